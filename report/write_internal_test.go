package report

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store/storetest"
)

// SQLite's group commit: changes queued while a batch is written form the
// next batch together; one that fails is undone alone and answered with
// its own error, one whose caller gave up before its batch is skipped,
// and every caller is answered once its batch is committed.
func TestBatchSavepoints(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	s, err := NewService(Options{DB: db, Tree: org.NewStore(db)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE batch_test (k INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	stored := func(k int) bool {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM batch_test WHERE k = $1`, k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	insert := func(k int, refuse bool) func(context.Context, querier) (Report, error) {
		return func(ctx context.Context, q querier) (Report, error) {
			if _, err := q.ExecContext(ctx, `INSERT INTO batch_test (k) VALUES ($1)`, k); err != nil {
				return Report{}, err
			}
			if refuse {
				return Report{}, fmt.Errorf("refused %d", k)
			}
			return Report{Version: k}, nil
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; ; i++ {
			s.batch.mu.Lock()
			ok := cond()
			s.batch.mu.Unlock()
			if ok {
				return
			}
			if i > 1e7 {
				t.Fatalf("never: %s", what)
			}
			runtime.Gosched()
		}
	}

	// The first change holds its batch open until the others are queued.
	hold := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := s.batch.do(ctx, func(ctx context.Context, q querier) (Report, error) {
			<-hold
			return insert(1000, false)(ctx, q)
		})
		first <- err
	}()
	waitFor("the first batch running", func() bool { return s.batch.busy && len(s.batch.queue) == 0 })

	type answer struct {
		k       int
		r       Report
		err     error
		visible bool // the change was in the database when its caller was answered
	}
	answers := make(chan answer, 20)
	var wg sync.WaitGroup
	queue := func(ctx context.Context, k int, refuse bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.batch.do(ctx, insert(k, refuse))
			answers <- answer{k: k, r: r, err: err, visible: stored(k)}
		}()
	}
	for k := 1; k <= 10; k++ {
		queue(ctx, k, k%2 == 1) // odd ones refused after writing
	}
	queue(ctx, 2, false) // the key 2 again: a constraint error
	gone, cancel := context.WithCancel(ctx)
	cancel()
	queue(gone, 50, false)
	waitFor("12 changes queued", func() bool { return len(s.batch.queue) == 12 })
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(answers)

	var ok []int
	twos := 0
	for a := range answers {
		switch {
		case a.k == 50:
			if !errors.Is(a.err, context.Canceled) || a.visible {
				t.Errorf("change of a caller gone: %v, stored %v", a.err, a.visible)
			}
		case a.k == 2:
			twos++
			if a.err == nil {
				ok = append(ok, a.k)
			} else if !strings.Contains(a.err.Error(), "UNIQUE") {
				t.Errorf("second key 2: %v, want the constraint's error", a.err)
			}
			if !a.visible {
				t.Errorf("key 2 not in the database when answered")
			}
		case a.k%2 == 1:
			if a.err == nil || a.err.Error() != fmt.Sprintf("refused %d", a.k) {
				t.Errorf("change %d: %v, want its own refusal", a.k, a.err)
			}
			if a.visible {
				t.Errorf("refused change %d was written", a.k)
			}
		default:
			if a.err != nil || a.r.Version != a.k || !a.visible {
				t.Errorf("change %d: %+v, %v, stored %v", a.k, a.r, a.err, a.visible)
			}
			ok = append(ok, a.k)
		}
	}
	if twos != 2 {
		t.Fatalf("%d answers for key 2", twos)
	}
	sort.Ints(ok)
	if fmt.Sprint(ok) != "[2 4 6 8 10]" {
		t.Fatalf("written: %v, want [2 4 6 8 10] (2 once)", ok)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM batch_test`).Scan(&n); err != nil || n != 6 {
		t.Fatalf("%d rows (%v), want 6: 1000, 2, 4, 6, 8, 10", n, err)
	}
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	if s.batch.busy || len(s.batch.queue) != 0 {
		t.Fatalf("batch left busy %v with %d queued", s.batch.busy, len(s.batch.queue))
	}
}
