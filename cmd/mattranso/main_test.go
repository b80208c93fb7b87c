package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
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

// The usage text and README's Commands list the same commands, line for
// line.
func TestUsageMatchesReadme(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Commands\n\n```sh\n")
	if !ok {
		t.Fatal("README.md has no ## Commands section opening with a sh block")
	}
	section, _, _ = strings.Cut(section, "```")
	commands := func(text string) []string {
		var out []string
		for _, line := range strings.Split(text, "\n") {
			line, _, _ = strings.Cut(line, " # ")
			if f := strings.Fields(line); len(f) > 1 && f[0] == "mattranso" && f[1] != "—" {
				out = append(out, strings.Join(f, " "))
			}
		}
		return out
	}
	readme, use := commands(section), commands(usage)
	if len(readme) < 10 || !slices.Equal(readme, use) {
		t.Errorf("README's commands:\n%s\nthe usage text's:\n%s", strings.Join(readme, "\n"), strings.Join(use, "\n"))
	}
	out, _, code := runCmd(t, nil, "help")
	if code != 0 || out != usage {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

// Each command loads the settings it uses and no other: a bad sign-on or
// search setting does not stop help, the evaluations or the records, and
// a bad value stops the commands that use it, naming the variable.
func TestCommandsLoadWhatTheyUse(t *testing.T) {
	data := t.TempDir()
	badAuth := map[string]string{"MATTRANSO_DATA": data, "MATTRANSO_INGEST": "none", "OIDC_ISSUER": "id.example.vn", "MATTRANSO_SESSION_IDLE": "soon"}
	badSearch := map[string]string{"MATTRANSO_DATA": data, "MATTRANSO_INGEST": "none", "MATTRANSO_SEARCH_CONCURRENCY": "many"}
	badLog := map[string]string{"MATTRANSO_DATA": data, "MATTRANSO_INGEST": "none", "LOG_LEVEL": "verbose"}
	for _, c := range []struct {
		env  map[string]string
		args []string
		code int
		msg  string // in stderr
	}{
		{badAuth, []string{"help"}, 0, ""},
		{badAuth, []string{"eval", "query-mix", "--dataset", "../../eval/testdata/fts5-tiny", "--limit", "2"}, 0, ""},
		{badAuth, []string{"admin", "grant", "list"}, 0, ""},
		{badAuth, []string{"admin", "reindex"}, 0, ""},
		{badAuth, []string{"serve", "--addr", "127.0.0.1:0"}, 1, `OIDC_ISSUER="id.example.vn"`},
		{badSearch, []string{"help"}, 0, ""},
		{badSearch, []string{"admin", "token", "list"}, 0, ""},
		{badSearch, []string{"admin", "reindex"}, 1, `MATTRANSO_SEARCH_CONCURRENCY="many"`},
		{badSearch, []string{"ingest", "../../ingest/testdata/broken"}, 1, `MATTRANSO_SEARCH_CONCURRENCY="many"`},
		{badLog, []string{"eval", "query-mix", "--dataset", "../../eval/testdata/fts5-tiny", "--limit", "2"}, 0, ""},
		{badLog, []string{"serve", "--addr", "127.0.0.1:0"}, 1, `cấu hình: LOG_LEVEL="verbose" không hợp lệ`},
		{badLog, []string{"ingest", "../../ingest/testdata/broken"}, 1, `LOG_LEVEL="verbose"`},
	} {
		for _, m := range []map[string]string{badAuth, badSearch, badLog} {
			for k := range m {
				t.Setenv(k, "") // one bad setting at a time
			}
		}
		_, stderr, code := runCmd(t, c.env, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v mattranso %v: exit %d, stderr %q; want exit %d mentioning %q", c.env, c.args, code, stderr, c.code, c.msg)
		}
	}
}
