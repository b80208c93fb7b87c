package redact

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pairs reads testdata/redact.txt: "<" lines and the ">" lines they must
// become.
func pairs(t testing.TB) [][2]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "redact.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	var in string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "< "):
			in = line[2:]
		case strings.HasPrefix(line, "> "):
			if in == "" {
				t.Fatalf("redact.txt:%d: an expected line without its input", n)
			}
			out = append(out, [2]string{in, line[2:]})
			in = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lines reads a testdata file's lines, without comments and blank lines.
func lines(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func TestText(t *testing.T) {
	cases := pairs(t)
	if len(cases) < 60 {
		t.Fatalf("redact.txt holds %d cases, want at least 60", len(cases))
	}
	for _, c := range cases {
		if got := Text(c[0]); got != c[1] {
			t.Errorf("Text(%q)\n got %q\nwant %q", c[0], got, c[1])
		}
	}
}

func TestKeep(t *testing.T) {
	for _, s := range lines(t, "keep.txt") {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
	}
}
