package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = 0
	if err != nil {
		code = 1
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func TestCommandErrors(t *testing.T) {
	data := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"ingest", "--data", data}, 2, "name at least one SOURCE"},
		{[]string{"ingest", "--data", data, "/no/such/path"}, 1, "/no/such/path"},
		{[]string{"eval", "retrieval"}, 2, "--dataset"},
		{[]string{"eval", "retrieval", "--dataset", data, "-v", "--ablation"}, 2, "leave out --ablation"},
		{[]string{"eval", "nonsense"}, 2, "unknown evaluation"},
		{[]string{"admin", "nonsense"}, 2, "unknown command"},
	}
	for _, c := range cases {
		_, stderr, code := runCmd(t, map[string]string{"MATTRANSO_INGEST": "none"}, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("mattranso %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// Ingest reports rejected lines and exits non-zero; serve then answers
// searches over what was ingested.
func TestIngestThenServe(t *testing.T) {
	data := t.TempDir()
	stdout, stderr, code := runCmd(t, nil, "ingest", "--data", data, "../../ingest/testdata/broken")
	if code != 1 || !strings.Contains(stderr, "laws.json:7") || !strings.Contains(stdout, "4 added") {
		t.Fatalf("ingest: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}

	t.Setenv("MATTRANSO_INGEST", "none")
	base := startServe(t, data)
	resp, err := http.Get(base + "/api/v1/library/search?q=" + url.QueryEscape("thu nghiem cap giay"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Results []struct{ ID, Kind, URL string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(body.Results) == 0 || body.Results[0].ID != "9.000001" {
		t.Errorf("search: %d %+v", resp.StatusCode, body)
	}
}
