// Package storetest runs a test against every database the project
// supports — a fresh SQLite file and a throwaway PostgreSQL database.
//
// The PostgreSQL server is found through [testenv.PostgresURL]: without
// one the PostgreSQL half is skipped on a developer's machine and fails in
// CI, so that a missing database never passes unnoticed.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
)

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
// MATTRANSO_TEST_DATABASE_URL ([testenv.PostgresURL]) and opens it; the
// database is dropped at the end of the test.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storetest: open database %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL creates an empty database as Postgres does and returns its
// URL without opening it, for a test that opens it more than once (as
// several processes would); it is dropped at the end of the test, after
// what the test opened is closed.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := testenv.PostgresURL(t)
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: %s=%q is not a postgres:// URL", testenv.EnvDatabaseURL, admin)
	}
	name := "mattranso_test_" + randomHex(8)

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	adb, err := store.Open(ctx, admin)
	if err != nil {
		t.Fatalf("storetest: %s: %v", testenv.EnvDatabaseURL, err)
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
	return u.String()
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

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
