package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// probe stands in for the testing.TB of a test that looks something up:
// it records how that test ended, and stops it there as Fatal and Skip do.
type probe struct {
	testing.TB
	ended  string // "fatal", "skip" or "" when the lookup returned
	reason string
}

type stopped struct{}

func (p *probe) Helper() {}

func (p *probe) end(how string, args ...any) {
	p.ended, p.reason = how, fmt.Sprint(args...)
	panic(stopped{})
}

func (p *probe) Fatal(args ...any)                 { p.end("fatal", args...) }
func (p *probe) Fatalf(format string, args ...any) { p.end("fatal", fmt.Sprintf(format, args...)) }
func (p *probe) Skip(args ...any)                  { p.end("skip", args...) }
func (p *probe) Skipf(format string, args ...any)  { p.end("skip", fmt.Sprintf(format, args...)) }

// lookup runs f with a probe and says how it ended and why.
func lookup(t *testing.T, f func(tb testing.TB) string) (got, ended, reason string) {
	t.Helper()
	p := &probe{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopped); !ok {
					panic(r)
				}
			}
		}()
		got = f(p)
	}()
	return got, p.ended, p.reason
}

func TestMissingFailsInCIAndSkipsElsewhere(t *testing.T) {
	missing := func(tb testing.TB) string { Missing(tb, "no %s", "thing"); return "" }
	for _, c := range []struct{ ci, want string }{{"true", "fatal"}, {"1", "fatal"}, {"", "skip"}} {
		t.Setenv(EnvCI, c.ci)
		if _, ended, reason := lookup(t, missing); ended != c.want || reason != "testenv: no thing" {
			t.Errorf("CI=%q: ended %q (%q), want %q", c.ci, ended, reason, c.want)
		}
	}
}

func TestLookups(t *testing.T) {
	shared := t.TempDir()
	if err := os.MkdirAll(filepath.Join(shared, "corpus", "laws"), 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), "chromium")
	plain := filepath.Join(t.TempDir(), "plain")
	for path, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644} {
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		env    map[string]string
		lookup func(testing.TB) string
		got    string // when the lookup returns
		ended  string // else how the test ends
		reason string // and a part of its message
	}{
		{"shared", map[string]string{EnvShared: shared}, Shared, shared, "", ""},
		{"shared without corpus", map[string]string{EnvShared: t.TempDir(), EnvCI: "true"}, Shared, "", "fatal", "shared data not found"},
		{"shared path", map[string]string{EnvShared: shared}, func(tb testing.TB) string { return SharedPath(tb, "corpus", "laws") },
			filepath.Join(shared, "corpus", "laws"), "", ""},
		{"shared path missing", map[string]string{EnvShared: shared}, func(tb testing.TB) string { return SharedPath(tb, "eval", "x") },
			"", "skip", filepath.Join(shared, "eval", "x")},
		{"chromium", map[string]string{EnvChromium: exe}, Chromium, exe, "", ""},
		{"chromium unset", map[string]string{EnvChromium: ""}, Chromium, "", "skip", EnvChromium + " is not set"},
		{"chromium unset in CI", map[string]string{EnvChromium: "", EnvCI: "true"}, Chromium, "", "fatal", EnvChromium + " is not set"},
		{"chromium not executable", map[string]string{EnvChromium: plain}, Chromium, "", "fatal", "is not an executable file"},
		{"dex absent", map[string]string{EnvDex: plain + ".absent"}, Dex, "", "fatal", EnvDex},
		{"postgres", map[string]string{EnvDatabaseURL: "postgres://db/x"}, PostgresURL, "postgres://db/x", "", ""},
		{"postgres unset", map[string]string{EnvDatabaseURL: "", EnvRequirePostgres: ""}, PostgresURL, "", "skip", EnvDatabaseURL},
		{"postgres required", map[string]string{EnvDatabaseURL: "", EnvRequirePostgres: "1"}, PostgresURL, "", "fatal", EnvRequirePostgres + "=1"},
		{"bench data", map[string]string{EnvBenchData: shared}, BenchData, shared, "", ""},
		{"bench data unset in CI", map[string]string{EnvBenchData: "", EnvCI: "true"}, BenchData, "", "fatal", EnvBenchData + " does not name"},
		{"bench data a file", map[string]string{EnvBenchData: plain}, BenchData, "", "fatal", "is not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvCI, "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			got, ended, reason := lookup(t, c.lookup)
			if got != c.got || ended != c.ended || !strings.Contains(reason, c.reason) {
				t.Errorf("got %q, ended %q (%s); want %q, ended %q (…%s…)", got, ended, reason, c.got, c.ended, c.reason)
			}
		})
	}
}
