// Package testenv finds what the tests need outside the Go code — the
// shared data folder, a PostgreSQL server, headless Chromium, the Dex
// binary, nginx, the benchmarks' library — and owns the one rule for when one of
// them is missing: the test fails under CI (the CI variable set to
// anything) and is skipped with a message on a developer's machine, so that
// a missing fixture or service never passes unnoticed where it matters.
//
// `bash scripts/test.sh` provides all of them and sets the variables this
// package reads.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Environment variables read by this package.
const (
	// EnvCI set to anything makes whatever is missing a failure.
	EnvCI = "CI"
	// EnvShared is the shared data folder (corpus, evaluation sets,
	// fixtures); it defaults to ../shared beside the repository.
	EnvShared = "MATTRANSO_SHARED"
	// EnvDatabaseURL is a postgres:// URL of a server on which the tests
	// may create and drop databases.
	EnvDatabaseURL = "MATTRANSO_TEST_DATABASE_URL"
	// EnvRequirePostgres set to 1 makes a missing EnvDatabaseURL a failure
	// outside CI too.
	EnvRequirePostgres = "MATTRANSO_REQUIRE_POSTGRES"
	// EnvChromium is the path of a chromium binary.
	EnvChromium = "MATTRANSO_TEST_CHROMIUM"
	// EnvDex is the path of a dex binary.
	EnvDex = "MATTRANSO_TEST_DEX"
	// EnvNginx is the path of an nginx binary (Debian's).
	EnvNginx = "MATTRANSO_TEST_NGINX"
	// EnvBenchData is a data directory made by `mattranso ingest` from the
	// whole shared corpus: the library the library-scale checks and
	// benchmarks read.
	EnvBenchData = "MATTRANSO_BENCH_DATA"
)

// HowToRun is what a missing-component message advises.
const HowToRun = "run the tests with `bash scripts/test.sh`, which installs, builds and starts what they need"

// InCI reports whether the tests run in CI, where nothing may be missing.
func InCI() bool { return os.Getenv(EnvCI) != "" }

// Missing ends the test because something it needs is missing: it fails
// under CI and is skipped elsewhere, with the message either way. Every
// test that depends on something outside the Go code ends through here
// when that thing is absent.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := "testenv: " + fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// Shared returns the shared data folder: $MATTRANSO_SHARED, else ../shared
// beside the repository.
func Shared(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvShared)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		// internal/testenv/testenv.go → repository root → ../shared
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	if st, err := os.Stat(filepath.Join(dir, "corpus")); err != nil || !st.IsDir() {
		Missing(tb, "shared data not found at %s (set %s); %s", dir, EnvShared, HowToRun)
	}
	return dir
}

// SharedPath returns the file or folder elem names inside the shared data
// folder, ending the test as [Missing] does when it is not there.
func SharedPath(tb testing.TB, elem ...string) string {
	tb.Helper()
	path := filepath.Join(append([]string{Shared(tb)}, elem...)...)
	if _, err := os.Stat(path); err != nil {
		Missing(tb, "shared data: %v", err)
	}
	return path
}

// PostgresURL returns the postgres:// URL of the server named by
// MATTRANSO_TEST_DATABASE_URL; without it the test ends as [Missing] does,
// and fails outright when MATTRANSO_REQUIRE_POSTGRES=1.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvDatabaseURL)
	if u == "" {
		msg := EnvDatabaseURL + " is not set, so the PostgreSQL tests cannot run; " + HowToRun
		if os.Getenv(EnvRequirePostgres) == "1" {
			tb.Fatalf("testenv: %s (%s=1)", msg, EnvRequirePostgres)
		}
		Missing(tb, "%s", msg)
	}
	return u
}

// Chromium returns the path of the chromium binary named by
// MATTRANSO_TEST_CHROMIUM; without it the test ends as [Missing] does, and
// a path that is not an executable file fails.
func Chromium(tb testing.TB) string {
	tb.Helper()
	return executable(tb, EnvChromium, "the browser tests")
}

// Dex returns the path of the dex binary named by MATTRANSO_TEST_DEX;
// without it the test ends as [Missing] does, and a path that is not an
// executable file fails.
func Dex(tb testing.TB) string {
	tb.Helper()
	return executable(tb, EnvDex, "the tests that sign in through Dex")
}

// Nginx returns the path of the nginx binary named by
// MATTRANSO_TEST_NGINX, which the tests of deploy/'s load balancer run;
// without it the test ends as [Missing] does, and a path that is not an
// executable file fails.
func Nginx(tb testing.TB) string {
	tb.Helper()
	return executable(tb, EnvNginx, "the tests through nginx")
}

func executable(tb testing.TB, env, who string) string {
	tb.Helper()
	path := os.Getenv(env)
	if path == "" {
		Missing(tb, "%s is not set, so %s cannot run; %s", env, who, HowToRun)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatalf("testenv: %s: %v", env, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		tb.Fatalf("testenv: %s=%s is not an executable file", env, path)
	}
	return path
}

// BenchData returns the data directory named by MATTRANSO_BENCH_DATA, a
// library made by `mattranso ingest` from the whole shared corpus (the
// test command builds one); without it the test ends as [Missing] does.
// The caller checks the indexes it needs: a directory that exists but holds
// the wrong thing is a failure, not a missing fixture.
func BenchData(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvBenchData)
	if dir == "" {
		Missing(tb, "%s does not name a data directory (one made by `mattranso ingest --data DIR ../shared/corpus`); %s",
			EnvBenchData, HowToRun)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Fatalf("testenv: %s=%s is not a directory", EnvBenchData, dir)
	}
	return dir
}
