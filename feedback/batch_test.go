package feedback

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func batchItem(content, key string) *NewItem {
	now := time.Unix(1_790_000_000, 0)
	return &NewItem{
		Item: Item{Content: content, Province: "79", Commune: "26734", Level: LevelCommune, Unit: "26734/MTTQ",
			UnitPath: "VN/79/26734/", State: Received, CreatedAt: now, DueAt: now.Add(72 * time.Hour)},
		IdempotencyKey: key, RequestHash: "hash of " + content, IP: "192.0.2.1",
	}
}

// commitJobs runs one batch through b, as a sender does, and returns the
// answers in the batch's order.
func commitJobs(b *batcher, items ...*NewItem) []result {
	jobs := make([]*job, len(items))
	for i, n := range items {
		jobs[i] = &job{ctx: context.Background(), n: n, res: make(chan result, 1)}
	}
	b.commit(jobs)
	out := make([]result, len(jobs))
	for i, j := range jobs {
		out[i] = <-j.res
	}
	return out
}

func countRows(t *testing.T, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM `+table+` WHERE `+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch on PostgreSQL stores each of its submissions with everything
// that belongs to it; a key given twice in one batch is one item, both
// answered alike; a key given for another request is a conflict. When
// PostgreSQL refuses one submission the batch is undone and the others are
// stored alone: the refused one gets its error, and nothing of it is
// stored.
func TestBatch(t *testing.T) {
	for _, relaxed := range []bool{false, true} {
		name := "durable"
		if relaxed {
			name = "relaxed"
		}
		t.Run(name, func(t *testing.T) {
			db := storetest.Postgres(t)
			s := NewStore(db, StoreOptions{RelaxedDurability: relaxed})
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			b := &batcher{s: s}

			withContact := batchItem("có liên hệ", "")
			withContact.Contact = Contact{Name: "Nguyễn Văn An", Phone: "0903123456"}
			other := batchItem("khác", "k1")
			other.RequestHash = "another request"
			rs := commitJobs(b, batchItem("một", "k1"), batchItem("một", "k1"), batchItem("hai", ""), withContact)
			for i, r := range rs {
				if r.err != nil {
					t.Fatalf("submission %d: %v", i, r.err)
				}
			}
			if rs[0].c.Replayed || !rs[1].c.Replayed || string(rs[1].c.Body) != string(rs[0].c.Body) || rs[1].c.ItemID != rs[0].c.ItemID {
				t.Errorf("a key twice in a batch: %+v and %+v", rs[0].c, rs[1].c)
			}
			if rs[2].c.ItemID == rs[0].c.ItemID || rs[3].c.ItemID == rs[2].c.ItemID || rs[2].c.Receipt.TrackingCode == rs[0].c.Receipt.TrackingCode {
				t.Errorf("items share an id or a code: %+v", rs)
			}
			for table, want := range map[string]int{"feedback_items": 3, "feedback_events": 3, "feedback_idempotency": 1, "feedback_contacts": 1} {
				if n := countRows(t, db, table, "TRUE"); n != want {
					t.Errorf("%s: %d rows, want %d", table, n, want)
				}
			}
			for _, r := range rs {
				it, err := s.ItemByCode(t.Context(), r.c.Receipt.TrackingCode)
				if err != nil || it.ID != r.c.ItemID {
					t.Errorf("%s: item %d, %v; acknowledged as %d", r.c.Receipt.TrackingCode, it.ID, err, r.c.ItemID)
				}
			}
			if rs := commitJobs(b, other); !errors.Is(rs[0].err, ErrConflict) {
				t.Errorf("a key for another request: %v", rs[0].err)
			}

			// A NUL byte, which PostgreSQL does not take in text.
			rs = commitJobs(b, batchItem("ba", ""), batchItem("hỏng\x00", ""), batchItem("bốn", "k2"))
			if rs[0].err != nil || rs[2].err != nil || rs[1].err == nil {
				t.Fatalf("a batch with a refused submission: %v, %v, %v", rs[0].err, rs[1].err, rs[2].err)
			}
			if n := countRows(t, db, "feedback_items", "content IN ('ba', 'bốn')"); n != 2 {
				t.Errorf("%d of the two good submissions stored", n)
			}
			if n := countRows(t, db, "feedback_items", "TRUE"); n != 5 {
				t.Errorf("%d items in all, want 5", n)
			}
			if n := countRows(t, db, "feedback_events", "TRUE"); n != 5 {
				t.Errorf("%d events in all, want 5", n)
			}
		})
	}
}

// Submissions sent at once through Create, in whatever batches they fall
// on PostgreSQL, are each answered with an item of their own, stored.
func TestBatchUnderLoad(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := NewStore(db, StoreOptions{})
		defer s.Close()
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		const n = 200
		type answer struct {
			c   Created
			err error
		}
		answers := make(chan answer, n)
		for i := range n {
			go func() {
				key := ""
				if i%2 == 0 {
					key = string(rune('a'+i%26)) + string(rune('a'+i/26))
				}
				c, err := s.Create(t.Context(), batchItem("nội dung "+string(rune('a'+i%26))+string(rune('a'+i/26)), key))
				answers <- answer{c, err}
			}()
		}
		ids := map[int64]bool{}
		for range n {
			a := <-answers
			if a.err != nil {
				t.Fatal(a.err)
			}
			ids[a.c.ItemID] = true
		}
		if len(ids) != n || countRows(t, db, "feedback_items", "TRUE") != n || countRows(t, db, "feedback_idempotency", "TRUE") != n/2 {
			t.Errorf("%d distinct ids, %d items, %d keys; want %d, %d, %d", len(ids), countRows(t, db, "feedback_items", "TRUE"),
				countRows(t, db, "feedback_idempotency", "TRUE"), n, n, n/2)
		}
	})
}
