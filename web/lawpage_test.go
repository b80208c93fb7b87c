package web_test

import "testing"

func TestLawPageSize(t *testing.T) {
	h := newSite(t, nil)
	r := get(t, h, "/van-ban/"+civilCode)
	t.Logf("civil code page: status %d, %d bytes", r.status, len(r.body))
}
