package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
)

func TestAdminGenCorpus(t *testing.T) {
	src := testenv.SharedPath(t, "corpus")
	out := filepath.Join(t.TempDir(), "big")
	stdout, stderr, code := runCmd(t, nil, "admin", "gen-corpus", "--passages", "400", "--seed", "2", "--source", src, out)
	if code != 0 || !strings.Contains(stdout, "gen-corpus: ") || !strings.Contains(stdout, " passages in ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	laws, _ := filepath.Glob(filepath.Join(out, "gen-laws-*.json"))
	procs, _ := filepath.Glob(filepath.Join(out, "gen-procedures-*.jsonl"))
	if len(laws) != 1 || len(procs) != 1 {
		t.Fatalf("files %v %v: want one law dump and one procedure dump", laws, procs)
	}
	if b, err := os.ReadFile(procs[0]); err != nil || !strings.Contains(string(b), `"ma_thu_tuc":"9.000000"`) {
		t.Fatalf("procedure dump: %v, starts %.200q", err, b)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"admin", "gen-corpus", out}, "--passages 1 to"},
		{[]string{"admin", "gen-corpus", "--passages", "10"}, "one OUT_DIR"},
		{[]string{"admin", "gen-corpus", "--passages", "10", "--source", t.TempDir(), filepath.Join(t.TempDir(), "x")}, "laws/*.json"},
		{[]string{"admin", "gen-corpus", "--passages", "10", "--source", src, out}, "already holds generated files"},
	} {
		_, stderr, code := runCmd(t, nil, c.args...)
		if code == 0 || !strings.Contains(stderr, c.msg) {
			t.Errorf("mattranso %v: exit %d, stderr %q; want a failure mentioning %q", c.args, code, stderr, c.msg)
		}
	}
}
