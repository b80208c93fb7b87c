package store

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Leases give a background job — deadline escalation, retraining a model,
// a purge — to one instance at a time when several serve the same
// database: a row per job names its holder and when the lease ends. The
// holder renews it while it works and releases it when done; a holder
// that dies without releasing it loses it when it expires, and another
// takes over.
//
// Expiry is read on the clock of the instance that asks: clocks of
// instances that differ by less than the lease's length minus the renewal
// interval do no harm.
type Leases struct {
	db     *DB
	holder string
	// Now is the clock; time.Now unless a test replaces it.
	Now func() time.Time
}

//go:embed lease_migrations/*.sql
var leaseMigrations embed.FS

// NewLeases returns the leases of db held under the name holder, or a
// name of this process (host, pid and a random part) when holder is "".
// It creates the lease table when missing.
func NewLeases(ctx context.Context, db *DB, holder string) (*Leases, error) {
	if err := db.Migrate(ctx, "store_leases", leaseFS()); err != nil {
		return nil, err
	}
	if holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return &Leases{db: db, holder: holder, Now: time.Now}, nil
}

func leaseFS() fs.FS {
	sub, err := fs.Sub(leaseMigrations, "lease_migrations")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	return sub
}

// Holder is the name the leases are held under.
func (l *Leases) Holder() string { return l.holder }

// Acquire takes the lease name for ttl when nobody holds it, its holder
// let it expire, or it is already this holder's (then it is renewed);
// it reports whether this holder has it now.
func (l *Leases) Acquire(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("store: lease %s: the duration must be positive", name)
	}
	now := l.Now()
	// One statement on both databases: the row is inserted, or taken
	// over only where the condition holds; no row changed means someone
	// else holds a live lease.
	res, err := l.db.ExecContext(ctx, `INSERT INTO store_leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE store_leases.holder = excluded.holder OR store_leases.expires_at <= $4`,
		name, l.holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Renew extends this holder's lease name to ttl from now; false means
// another holder took it (after it expired) or it was released.
func (l *Leases) Renew(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	res, err := l.db.ExecContext(ctx, `UPDATE store_leases SET expires_at = $3 WHERE name = $1 AND holder = $2`,
		name, l.holder, l.Now().Add(ttl).UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: renew lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: renew lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives the lease name up, when this holder has it.
func (l *Leases) Release(ctx context.Context, name string) error {
	if _, err := l.db.ExecContext(ctx, `DELETE FROM store_leases WHERE name = $1 AND holder = $2`, name, l.holder); err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}

// ErrLeaseLost ends the context of a job whose lease another holder took.
var ErrLeaseLost = errors.New("store: lease lost")

// Run runs job under the lease name when it can be acquired, renewing it
// every ttl/3 while job runs and releasing it afterwards; ran is false
// when another holder has it (job did not run). Should a renewal find the
// lease gone, job's context is cancelled with ErrLeaseLost as its cause.
func (l *Leases) Run(ctx context.Context, name string, ttl time.Duration, job func(ctx context.Context) error) (ran bool, err error) {
	got, err := l.Acquire(ctx, name, ttl)
	if err != nil || !got {
		return false, err
	}
	jctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-jctx.Done():
				return
			case <-tick.C:
				// A failed renewal (the database away a moment) is tried
				// again at the next tick; only a lease taken is lost.
				if ok, err := l.Renew(jctx, name, ttl); err == nil && !ok {
					cancel(ErrLeaseLost)
					return
				}
			}
		}
	}()
	err = job(jctx)
	close(done)
	<-renewed
	cancel(nil)
	// Released even when ctx ended: the next holder need not wait for
	// the expiry.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	if rerr := l.Release(rctx, name); rerr != nil && err == nil {
		err = rerr
	}
	return true, err
}
