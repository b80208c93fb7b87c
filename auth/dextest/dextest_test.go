package dextest_test

import (
	"testing"

	"github.com/mattranso/mattranso/auth/dextest"
)

func TestStart(t *testing.T) {
	d := dextest.Start(t, dextest.Options{RedirectURLs: []string{"http://127.0.0.1:1/auth/callback"}})
	doc, err := d.Discovery(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != d.Issuer {
		t.Errorf("issuer %v, want %s", doc["issuer"], d.Issuer)
	}
	methods, _ := doc["code_challenge_methods_supported"].([]any)
	found := false
	for _, m := range methods {
		found = found || m == "S256"
	}
	if !found {
		t.Errorf("Dex does not offer PKCE S256: %v", doc["code_challenge_methods_supported"])
	}
	t.Logf("discovery: %v", doc)
}
