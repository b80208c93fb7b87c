package ingest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// migrated opens a second handle on the same database, as another
// process would, with the ingest tables.
func migrated(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if err := Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestIngestLock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		migrated(t, db)
		first, err := AcquireLock(ctx, db, LockOptions{Holder: "máy một"})
		if err != nil {
			t.Fatal(err)
		}
		// A second one that does not wait is told at once, in Vietnamese
		// first, and on SQLite who holds it.
		_, err = AcquireLock(ctx, db, LockOptions{})
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("second lock while the first is held: %v, want ErrBusy", err)
		}
		if !strings.HasPrefix(err.Error(), "một lượt nạp thư viện khác đang chạy") {
			t.Errorf("message %q is not Vietnamese first", err)
		}
		if db.Dialect == store.SQLite && !strings.Contains(err.Error(), "máy một") {
			t.Errorf("message %q does not name the holder", err)
		}
		// An ingest run is refused the same way.
		l := openLib(t, db, t.TempDir())
		src := writeLawDump(t, map[string]string{"Luật Cư trú": "Công dân có quyền tự do cư trú."})
		if _, err := Run(ctx, Options{DB: db, Store: l.docs, Index: l.index, Sources: []string{src}}); !errors.Is(err, ErrBusy) {
			t.Fatalf("ingest while another holds the lock: %v, want ErrBusy", err)
		}
		if n, _ := l.docs.Count(ctx, ""); n != 0 {
			t.Fatalf("the refused ingest stored %d documents", n)
		}
		// One that waits gets it once the first lets go.
		got := make(chan error, 1)
		go func() {
			second, err := AcquireLock(ctx, db, LockOptions{Wait: time.Minute})
			if err == nil {
				second.Release()
			}
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("the waiting lock returned while the first was held: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		first.Release()
		first.Release() // harmless
		if err := <-got; err != nil {
			t.Fatalf("the waiting lock: %v", err)
		}
		sum, err := Run(ctx, Options{DB: db, Store: l.docs, Index: l.index, Sources: []string{src}})
		if err != nil || sum.Added != 1 {
			t.Fatalf("ingest once the lock is free: %+v, %v", sum, err)
		}
	})
}

// Two handles on one database, as two instances: the lock holds across
// them.
func TestIngestLockAcrossConnections(t *testing.T) {
	check := func(t *testing.T, a, b *store.DB) {
		ctx := t.Context()
		migrated(t, a)
		l, err := AcquireLock(ctx, a, LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		if _, err := AcquireLock(ctx, b, LockOptions{Wait: 200 * time.Millisecond}); !errors.Is(err, ErrBusy) {
			t.Fatalf("the other instance: %v, want ErrBusy", err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lock.db")
		check(t, open(t, path), open(t, path))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresURL(t)
		check(t, open(t, dsn), open(t, dsn))
	})
}

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A lease left by a killed process on SQLite is taken over once expired.
func TestIngestLockExpiredLease(t *testing.T) {
	db := migrated(t, storetest.SQLite(t))
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `INSERT INTO ingest_lock (name, holder, expires_at) VALUES ('library', 'đã chết', $1)`,
		time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(ctx, db, LockOptions{})
	if err != nil {
		t.Fatalf("an expired lease: %v", err)
	}
	l.Release()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ingest_lock`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after release: %d rows, %v; want none", n, err)
	}
}
