package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// clock is a test clock shared by two holders, as two instances' clocks.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func leasesOf(t *testing.T, db *store.DB, holder string, c *clock) *store.Leases {
	t.Helper()
	l, err := store.NewLeases(t.Context(), db, holder)
	if err != nil {
		t.Fatal(err)
	}
	l.Now = c.now
	return l
}

func TestLeases(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := &clock{t: time.Unix(1_800_000_000, 0)}
		a, b := leasesOf(t, db, "a", c), leasesOf(t, db, "b", c)
		must := func(got bool, err error) bool {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if !must(a.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("a cannot take a free lease")
		}
		if must(b.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("b took the lease a holds")
		}
		if !must(b.Acquire(ctx, "outbox-purge", time.Minute)) {
			t.Fatal("another job's lease is not free")
		}
		// Renewed by its holder, it outlives its first minute.
		c.advance(50 * time.Second)
		if !must(a.Renew(ctx, "escalation", time.Minute)) {
			t.Fatal("a cannot renew its lease")
		}
		if !must(a.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("a cannot take again the lease it holds")
		}
		c.advance(50 * time.Second)
		if must(b.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("b took a renewed lease before it expired")
		}
		if must(b.Renew(ctx, "escalation", time.Minute)) {
			t.Fatal("b renewed a lease it does not hold")
		}
		// a dies: its lease expires and b takes over; a then knows.
		c.advance(61 * time.Second)
		if !must(b.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("b cannot take over an expired lease")
		}
		if must(a.Renew(ctx, "escalation", time.Minute)) {
			t.Fatal("a renewed a lease b took over")
		}
		// A release by who does not hold it changes nothing; by the
		// holder, it frees the lease at once.
		if err := a.Release(ctx, "escalation"); err != nil {
			t.Fatal(err)
		}
		if must(a.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("a's release freed b's lease")
		}
		if err := b.Release(ctx, "escalation"); err != nil {
			t.Fatal(err)
		}
		if !must(a.Acquire(ctx, "escalation", time.Minute)) {
			t.Fatal("a cannot take a released lease")
		}
		if _, err := a.Acquire(ctx, "x", 0); err == nil {
			t.Error("a lease of no duration was taken")
		}
	})
}

func TestLeasesRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		c := &clock{t: time.Unix(1_800_000_000, 0)}
		a, b := leasesOf(t, db, "a", c), leasesOf(t, db, "b", c)
		// While a runs the job, b's turn is refused and b's job not run.
		var inB atomic.Bool
		ran, err := a.Run(ctx, "retrain", time.Minute, func(ctx context.Context) error {
			ranB, err := b.Run(ctx, "retrain", time.Minute, func(context.Context) error { inB.Store(true); return nil })
			if err != nil || ranB {
				t.Errorf("b.Run while a runs = %v, %v; want false, nil", ranB, err)
			}
			return nil
		})
		if err != nil || !ran || inB.Load() {
			t.Fatalf("a.Run = %v, %v (b ran: %v); want true, nil, and b not run", ran, err, inB.Load())
		}
		// Released after it: b's turn now.
		ran, err = b.Run(ctx, "retrain", time.Minute, func(context.Context) error { return nil })
		if err != nil || !ran {
			t.Fatalf("b.Run after a = %v, %v; want true", ran, err)
		}
		// The job's error comes back, and the lease is released still.
		boom := errors.New("boom")
		if ran, err := a.Run(ctx, "retrain", time.Minute, func(context.Context) error { return boom }); !ran || !errors.Is(err, boom) {
			t.Fatalf("a.Run with a failing job = %v, %v", ran, err)
		}
		if got, err := b.Acquire(ctx, "retrain", time.Minute); err != nil || !got {
			t.Fatalf("the lease of a failed job is not released: %v, %v", got, err)
		}
	})
}

func TestLeasesRunLost(t *testing.T) {
	// A job whose lease is taken over (it ran past its lease without a
	// renewal getting through) is told through its context. The renewal
	// runs every ttl/3 on the real clock: a short lease, and a job that
	// waits for its context to end, not for a time.
	db := storetest.SQLite(t)
	ctx := t.Context()
	// b's clock is an hour ahead of a's: to b, a's lease has expired
	// however often a renews it.
	ca := &clock{t: time.Unix(1_800_000_000, 0)}
	cb := &clock{t: ca.t.Add(time.Hour)}
	a, b := leasesOf(t, db, "a", ca), leasesOf(t, db, "b", cb)
	ran, err := a.Run(ctx, "job", 30*time.Millisecond, func(jctx context.Context) error {
		if got, err := b.Acquire(ctx, "job", time.Hour); err != nil || !got {
			t.Errorf("b cannot take over the expired lease: %v, %v", got, err)
		}
		<-jctx.Done()
		return context.Cause(jctx)
	})
	if !ran || !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("a.Run = %v, %v; want true, ErrLeaseLost", ran, err)
	}
	// a's release did not free what b holds now.
	if got, err := a.Acquire(ctx, "job", time.Hour); err != nil || got {
		t.Fatalf("a took b's lease after losing it: %v, %v", got, err)
	}
}
