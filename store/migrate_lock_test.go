package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// racingMigrations are migrations that fail when applied twice: a table
// without IF NOT EXISTS, and a row counted afterwards.
var racingMigrations = fstest.MapFS{
	"001_first.sql":  sqlFile("CREATE TABLE race_once (n INTEGER NOT NULL);\nINSERT INTO race_once (n) VALUES (1);\n"),
	"002_second.sql": sqlFile("CREATE TABLE race_twice (v TEXT);\nINSERT INTO race_once (n) VALUES (2);\n"),
	"003_third.sql":  sqlFile("CREATE INDEX race_twice_v ON race_twice (v);\nINSERT INTO race_once (n) VALUES (3);\n"),
}

// migrateRace opens dsn several times, as several processes starting at
// once would, and migrates the same domain through each at the same time:
// every one must succeed and each migration must have run once.
func migrateRace(t *testing.T, dsn string, racers int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbs := make([]*store.DB, racers)
	for i := range dbs {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	start := make(chan struct{})
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			// The ledger itself is created in the race too: a second
			// domain migrated first by half of them.
			if i%2 == 1 {
				if err := db.Migrate(ctx, "race_other", fstest.MapFS{"001_x.sql": sqlFile("CREATE TABLE race_other (v TEXT);\n")}); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = db.Migrate(ctx, "race", racingMigrations)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	var rows, versions int
	if err := dbs[0].QueryRowContext(ctx, `SELECT COUNT(*) FROM race_once`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := dbs[0].QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE domain = 'race'`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if rows != 3 || versions != 3 {
		t.Errorf("after %d racing migrations: %d rows written by the migrations, %d versions recorded; want 3 and 3", racers, rows, versions)
	}
}

func TestMigrateRacePostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	migrateRace(t, dsn, 4)
}

func TestMigrateRaceSQLite(t *testing.T) {
	migrateRace(t, filepath.Join(t.TempDir(), "race.db"), 4)
}

// The lock is released when Migrate returns: a second Migrate on another
// connection is not kept waiting, nor is an ordinary advisory lock user.
func TestMigrateReleasesLock(t *testing.T) {
	db := storetest.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx, "rel", racingMigrations); err != nil {
		t.Fatal(err)
	}
	var got bool
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, store.MigrationLockKey).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !got {
		t.Fatal("the migration lock is still held after Migrate returned")
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, store.MigrationLockKey); err != nil {
		t.Fatal(err)
	}
}
