package corpus_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func ops(cs []corpus.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.DocID+":"+string(c.Op))
	}
	return out
}

func TestChangeLog(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		last, err := s.LastChange(ctx)
		if err != nil || last.Seq != 0 {
			t.Fatalf("empty log: last change %+v, %v; want none", last, err)
		}
		before := time.Now().UTC().Add(-time.Second)
		d := civilCode()
		if err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
		d.Title = "Bộ luật Dân sự (sửa)"
		d.Hash = ""
		if err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
		p := &corpus.Document{ID: "1.000001", Kind: corpus.KindProcedure, Title: "Đăng ký thường trú"}
		if err := s.Put(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		// A delete that finds nothing and a refused put leave no trace.
		if err := s.Delete(ctx, d.ID); !errors.Is(err, corpus.ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
		if err := s.Put(ctx, &corpus.Document{ID: "x", Kind: corpus.KindLaw}); !errors.Is(err, corpus.ErrInvalid) {
			t.Fatalf("put without a title: %v, want ErrInvalid", err)
		}
		all, err := s.Changes(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"91-2015-qh13:added", "91-2015-qh13:updated", "1.000001:added", "91-2015-qh13:deleted"}
		if got := ops(all); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
			t.Fatalf("changes %v, want %v", got, want)
		}
		for i, c := range all {
			if i > 0 && c.Seq <= all[i-1].Seq {
				t.Errorf("seq %d after %d: not increasing", c.Seq, all[i-1].Seq)
			}
			if c.At.Before(before) || c.At.After(time.Now().Add(time.Second)) {
				t.Errorf("change %d at %v: not now", c.Seq, c.At)
			}
		}
		rest, err := s.Changes(ctx, all[1].Seq, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != 1 || rest[0].Seq != all[2].Seq {
			t.Errorf("changes after %d, limit 1: %v, want the third", all[1].Seq, ops(rest))
		}
		last, err = s.LastChange(ctx)
		if err != nil || last.Seq != all[3].Seq || last.Op != corpus.OpDeleted {
			t.Errorf("last change %+v, %v; want %+v", last, err, all[3])
		}
	})
}

// Writers running at once: the log holds exactly one change per write, and
// on PostgreSQL a reader that follows the log while they write sees the
// seqs in order with none appearing behind one it has passed.
func TestChangeLogConcurrentWriters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		const writers, each = 4, 15
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var seen []int64
		var readErr error
		reader := make(chan struct{})
		go func() {
			defer close(reader)
			var after int64
			for {
				// Once every write has committed, a read that finds
				// nothing new is the end; one begun earlier may not be.
				var done bool
				select {
				case <-stop:
					done = true
				default:
				}
				cs, err := s.Changes(ctx, after, 0)
				if err != nil {
					readErr = err
					return
				}
				for _, c := range cs {
					seen = append(seen, c.Seq)
					after = c.Seq
				}
				if done && len(cs) == 0 {
					return
				}
			}
		}()
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					d := &corpus.Document{ID: "w" + string(rune('a'+w)) + "-" + string(rune('a'+i)), Kind: corpus.KindProcedure, Title: "Thủ tục"}
					if err := s.Put(ctx, d); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(stop)
		<-reader
		if readErr != nil {
			t.Fatal(readErr)
		}
		all, err := s.Changes(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != writers*each {
			t.Fatalf("%d changes logged, want %d", len(all), writers*each)
		}
		if len(seen) != len(all) {
			t.Fatalf("the reader following the log saw %d changes, the log holds %d: a change committed behind one it had passed", len(seen), len(all))
		}
	})
}

// On PostgreSQL a committed write is announced on ChangesChannel with its
// seq.
func TestChangeLogNotifies(t *testing.T) {
	db := storetest.Postgres(t)
	s := newStore(t, db)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+corpus.ChangesChannel); err != nil {
			return err
		}
		if err := s.Put(ctx, civilCode()); err != nil {
			return err
		}
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		last, err := s.LastChange(ctx)
		if err != nil {
			return err
		}
		if n.Channel != corpus.ChangesChannel || n.Payload != itoa(last.Seq) {
			t.Errorf("notification %s %q, want %s %q", n.Channel, n.Payload, corpus.ChangesChannel, itoa(last.Seq))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Pruning removes the old changes but the newest ones asked for, never
// the newest of all, and records how far it went; seqs keep growing after.
func TestPruneChanges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		for i := range 5 {
			if err := s.Put(ctx, &corpus.Document{ID: "1.00000" + strconv.Itoa(i), Kind: corpus.KindProcedure, Title: "Thủ tục " + strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.Changes(ctx, 0, 0)
		if err != nil || len(all) != 5 {
			t.Fatalf("changes %v, %v", all, err)
		}
		if through, err := s.PrunedThrough(ctx); err != nil || through != 0 {
			t.Fatalf("never pruned: through %d, %v", through, err)
		}
		// Nothing is old yet.
		if n, err := s.PruneChanges(ctx, time.Now().Add(-time.Hour), 1); err != nil || n != 0 {
			t.Fatalf("pruned %d, %v; nothing is older than an hour", n, err)
		}
		// All old: the newest two are kept.
		if n, err := s.PruneChanges(ctx, time.Now().Add(time.Hour), 2); err != nil || n != 3 {
			t.Fatalf("pruned %d, %v; want 3", n, err)
		}
		left, err := s.Changes(ctx, 0, 0)
		if err != nil || len(left) != 2 || left[0].Seq != all[3].Seq {
			t.Fatalf("left %v, %v; want the last two of %v", left, err, all)
		}
		if through, err := s.PrunedThrough(ctx); err != nil || through != all[2].Seq {
			t.Fatalf("through %d, %v; want %d", through, err, all[2].Seq)
		}
		// keep 0 still keeps the newest, which followers read as the head.
		if n, err := s.PruneChanges(ctx, time.Now().Add(time.Hour), 0); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		if last, err := s.LastChange(ctx); err != nil || last.Seq != all[4].Seq {
			t.Fatalf("last change %+v, %v; want seq %d", last, err, all[4].Seq)
		}
		if err := s.Delete(ctx, "1.000000"); err != nil {
			t.Fatal(err)
		}
		if last, err := s.LastChange(ctx); err != nil || last.Seq <= all[4].Seq {
			t.Fatalf("a change after pruning has seq %d, not above %d (%v)", last.Seq, all[4].Seq, err)
		}
		if through, err := s.PrunedThrough(ctx); err != nil || through != all[3].Seq {
			t.Fatalf("through %d, %v; want %d", through, err, all[3].Seq)
		}
	})
}
