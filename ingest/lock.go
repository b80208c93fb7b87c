package ingest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// ErrBusy is returned (wrapped, with the holder when known) by AcquireLock
// when another ingest holds the lock and did not let go within the wait.
var ErrBusy = errors.New("một lượt nạp thư viện khác đang chạy (another library ingest is running)")

// LockKey is the PostgreSQL advisory lock of the ingest: one ingest, or
// one deletion, at a time across every instance on the database.
const LockKey int64 = 0x6d74_736f_0003

// The SQLite lease: held for leaseTTL, renewed every leaseTTL/3.
const leaseTTL = time.Minute

// LockOptions configure AcquireLock; the zero value tries once.
type LockOptions struct {
	// Wait is how long to wait for another ingest to finish; 0 gives up
	// at once.
	Wait time.Duration
	// Holder names this process to a waiting one (SQLite); "" names it
	// by host and process id.
	Holder string
	// Logger says that the lock is taken and that this one waits.
	Logger *slog.Logger
}

// Lock is a held ingest lock.
type Lock struct {
	once    sync.Once
	release func()
}

// Release lets the next ingest run; it may be called more than once.
func (l *Lock) Release() {
	if l != nil {
		l.once.Do(l.release)
	}
}

// AcquireLock takes the ingest lock of db: pg_advisory_lock on PostgreSQL,
// a leased row on SQLite. When another ingest holds it, it logs so
// (Vietnamese first) and waits up to o.Wait, then fails with ErrBusy.
func AcquireLock(ctx context.Context, db *store.DB, o LockOptions) (*Lock, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = fmt.Sprintf("%s pid %d", host, os.Getpid())
	}
	b := make([]byte, 4)
	rand.Read(b)
	o.Holder += " #" + hex.EncodeToString(b) // two locks of one process differ
	try := tryPostgres
	if db.Dialect != store.Postgres {
		try = trySQLite
	}
	deadline := time.Now().Add(o.Wait)
	said := false
	for {
		l, holder, err := try(ctx, db, o.Holder)
		if err != nil || l != nil {
			return l, err
		}
		if !time.Now().Before(deadline) {
			if holder != "" {
				return nil, fmt.Errorf("%w: %s", ErrBusy, holder)
			}
			return nil, ErrBusy
		}
		if !said {
			o.Logger.Warn("một lượt nạp thư viện khác đang chạy, chờ nó xong (another library ingest is running; waiting for it)",
				"holder", holder, "wait", o.Wait)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(500*time.Millisecond, time.Until(deadline)+time.Millisecond)):
		}
	}
}

func tryPostgres(ctx context.Context, db *store.DB, _ string) (*Lock, string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, LockKey).Scan(&got); err != nil {
		conn.Close()
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	if !got {
		conn.Close()
		return nil, "", nil
	}
	return &Lock{release: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, LockKey); err != nil {
			// The session ends with the connection, and the lock with it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}}, "", nil
}

func trySQLite(ctx context.Context, db *store.DB, holder string) (*Lock, string, error) {
	now := time.Now().UTC()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	defer tx.Rollback()
	// Writes first (see corpus.Store.Put): an expired lease is taken over.
	if _, err := tx.ExecContext(ctx, `DELETE FROM ingest_lock WHERE name = 'library' AND expires_at < $1`, now.Format(time.RFC3339Nano)); err != nil {
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ingest_lock (name, holder, expires_at) VALUES ('library', $1, $2) ON CONFLICT (name) DO NOTHING`,
		holder, now.Add(leaseTTL).Format(time.RFC3339Nano))
	if err != nil {
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	if n == 0 {
		var other string
		if err := tx.QueryRowContext(ctx, `SELECT holder FROM ingest_lock WHERE name = 'library'`).Scan(&other); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, "", fmt.Errorf("ingest: lock: %w", err)
		}
		return nil, other, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, "", fmt.Errorf("ingest: lock: %w", err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, _ = db.ExecContext(ctx, `UPDATE ingest_lock SET expires_at = $1 WHERE name = 'library' AND holder = $2`,
					time.Now().UTC().Add(leaseTTL).Format(time.RFC3339Nano), holder)
				cancel()
			}
		}
	}()
	return &Lock{release: func() {
		close(stop)
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = db.ExecContext(ctx, `DELETE FROM ingest_lock WHERE name = 'library' AND holder = $1`, holder)
	}}, "", nil
}

// DeleteOptions configure Delete.
type DeleteOptions struct {
	DB       *store.DB
	Store    *corpus.Store
	Index    retrieval.Indexer
	LockWait time.Duration // see Options.LockWait
	Logger   *slog.Logger
}

// Delete removes documents from the library under the ingest lock: from
// the database, which logs each removal for the other instances, then
// from this instance's index. A document not stored fails with
// corpus.ErrNotFound, after the ones before it were removed.
func Delete(ctx context.Context, o DeleteOptions, ids ...string) error {
	lock, err := AcquireLock(ctx, o.DB, LockOptions{Wait: o.LockWait, Logger: o.Logger})
	if err != nil {
		return err
	}
	defer lock.Release()
	for _, id := range ids {
		if err := o.Store.Delete(ctx, id); err != nil {
			return err
		}
		if err := o.Index.Delete(ctx, id); err != nil {
			return fmt.Errorf("ingest: delete %s from the index: %w", id, err)
		}
	}
	return nil
}
