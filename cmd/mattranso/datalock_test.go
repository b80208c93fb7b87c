package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// While a server runs on a data directory, ingest and reindex on it fail
// at once, naming the directory and the server's process, and leave its
// index alone.
func TestDataDirInUse(t *testing.T) {
	data := t.TempDir()
	if _, stderr, code := runCmd(t, nil, "ingest", "--data", data, "../../ingest/testdata/broken"); code != 1 || !strings.Contains(stderr, "laws.json:7") {
		t.Fatalf("ingest: exit %d, %s", code, stderr)
	}
	t.Setenv("MATTRANSO_INGEST", "none")
	base := startServe(t, data)
	t.Setenv("MATTRANSO_DATA", data) // admin reindex has no --data
	for _, args := range [][]string{
		{"ingest", "--data", data, "../../ingest/testdata/broken"},
		{"admin", "reindex"},
	} {
		start := time.Now()
		_, stderr, code := runCmd(t, nil, args...)
		if took := time.Since(start); took > time.Second {
			t.Errorf("%v refused after %v, want under a second", args, took)
		}
		want := fmt.Sprintf("đang được tiến trình %d (", os.Getpid())
		if code != 1 || !strings.Contains(stderr, "thư mục dữ liệu "+data) || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 naming %s and %q", args, code, stderr, data, want)
		}
	}
	if body := search(t, base, "thu nghiem cap giay"); len(body.Results) == 0 {
		t.Error("the server lost its index to the refused commands")
	}
}
