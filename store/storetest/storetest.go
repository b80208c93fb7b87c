// Package storetest runs a test against every database the project
// supports — a fresh SQLite file and a throwaway PostgreSQL database — and
// finds the other real components tests drive (headless Chromium).
//
// PostgreSQL and Chromium are found through environment variables that
// `bash scripts/test.sh` sets. Without them the tests that need them are
// skipped on a developer's machine and fail in CI, so that a missing
// component never passes unnoticed.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattranso/mattranso/store"
)

// Environment variables read by this package.
const (
	// EnvDatabaseURL is a postgres:// URL of a server on which the tests may
	// create and drop databases.
	EnvDatabaseURL = "MATTRANSO_TEST_DATABASE_URL"
	// EnvChromium is the path of a chromium binary.
	EnvChromium = "MATTRANSO_TEST_CHROMIUM"
	// EnvRequirePostgres set to 1 makes a missing EnvDatabaseURL a failure,
	// as it is when CI is set.
	EnvRequirePostgres = "MATTRANSO_REQUIRE_POSTGRES"
)

const howToRun = "run the tests with `bash scripts/test.sh`, which installs and starts what they need"

// setupTimeout bounds creating or dropping a throwaway database.
const setupTimeout = 30 * time.Second

// Run runs fn as two subtests, "sqlite" on a fresh SQLite file and
// "postgres" on a fresh PostgreSQL database; each database is closed and
// removed when its subtest ends.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Helper()
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Helper()
		fn(t, Postgres(t))
	})
}

// SQLite opens a new SQLite database in a temporary directory, closed at
// the end of the test.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres creates a database with a random name on the server named by
// MATTRANSO_TEST_DATABASE_URL and opens it; the database is dropped at the
// end of the test. Without the variable the test is skipped, or fails when
// CI or MATTRANSO_REQUIRE_POSTGRES=1 is set.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	admin := os.Getenv(EnvDatabaseURL)
	if admin == "" {
		missing(t, os.Getenv("CI") != "" || os.Getenv(EnvRequirePostgres) == "1",
			EnvDatabaseURL+" is not set, so the PostgreSQL tests cannot run; "+howToRun)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: %s=%q is not a postgres:// URL", EnvDatabaseURL, admin)
	}
	name := "mattranso_test_" + randomHex(8)

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	adb, err := store.Open(ctx, admin)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvDatabaseURL, err)
	}
	defer adb.Close()
	// The name is generated, never user input: it is safe to splice in.
	if _, err := adb.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("storetest: create database %s: %v", name, err)
	}
	// Registered before the database is opened so that it runs after it
	// is closed (cleanups run last-in, first-out).
	t.Cleanup(func() { dropDatabase(t, admin, name) })

	u.Path = "/" + name
	db, err := store.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("storetest: open database %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dropDatabase(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	adb, err := store.Open(ctx, admin)
	if err != nil {
		t.Errorf("storetest: drop database %s: %v", name, err)
		return
	}
	defer adb.Close()
	// FORCE ends connections a test may have leaked, which would
	// otherwise keep the database alive.
	if _, err := adb.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		t.Errorf("storetest: drop database %s: %v", name, err)
	}
}

// Chromium returns the path of the chromium binary named by
// MATTRANSO_TEST_CHROMIUM. Without the variable the test is skipped, or
// fails when CI is set; a path that is not an executable file fails.
func Chromium(t testing.TB) string {
	t.Helper()
	path := os.Getenv(EnvChromium)
	if path == "" {
		missing(t, os.Getenv("CI") != "",
			EnvChromium+" is not set, so the browser tests cannot run; "+howToRun)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvChromium, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("storetest: %s=%s is not an executable file", EnvChromium, path)
	}
	return path
}

func missing(t testing.TB, required bool, msg string) {
	t.Helper()
	if required {
		t.Fatalf("storetest: %s", msg)
	}
	t.Skipf("storetest: %s", msg)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
