package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// law is a one-article law whose article says text.
func law(id, text string) *corpus.Document {
	return &corpus.Document{ID: id, Kind: corpus.KindLaw, Title: "Luật " + id, Nodes: []corpus.Node{{
		Kind: corpus.NodeDieu, Label: "1", Heading: "Phạm vi", Text: text, Anchor: "dieu-1",
	}}}
}

// indexed is what the index holds: each document with its article's text.
func indexed(t *testing.T, k *retrieval.Keyword) map[string]string {
	t.Helper()
	ps, err := k.Passages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range ps {
		out[p.DocID] = p.Text
	}
	return out
}

func wantIndexed(t *testing.T, k *retrieval.Keyword, want map[string]string) {
	t.Helper()
	got := indexed(t, k)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the index holds %v, want %v", got, want)
	}
}

// follower opens the index in dir and a follower on it with its seq file
// there too, closed at the end of the test.
func follower(t *testing.T, db *store.DB, dir string, o FollowOptions) (*Follower, *retrieval.Keyword) {
	t.Helper()
	k, err := retrieval.OpenKeyword(filepath.Join(dir, "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	closeOnce := sync.OnceValue(k.Close)
	t.Cleanup(func() { closeOnce() })
	closers[k] = closeOnce
	o.Store = corpus.NewStore(db)
	o.Index = k
	o.SeqFile = filepath.Join(dir, "library.seq")
	if o.Known == nil {
		o.Known = k.DocIDs // as serve does
	}
	return NewFollower(o), k
}

// closers close each test's indexes once, whether the test closed one
// itself or not.
var closers = map[*retrieval.Keyword]func() error{}

func readSeqFile(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "library.seq"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestFollowerAppliesAddsUpdatesDeletes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l := openLib(t, db, t.TempDir())
		for _, d := range []*corpus.Document{law("a", "công dân cư trú"), law("b", "hộ tịch khai sinh")} {
			if err := l.docs.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		f, k := follower(t, db, dir, FollowOptions{})
		n, err := f.Start(ctx, k.Fresh)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("a fresh index: Start indexed %d documents, want 2", n)
		}
		wantIndexed(t, k, map[string]string{"a": "công dân cư trú", "b": "hộ tịch khai sinh"})
		last, _ := l.docs.LastChange(ctx)
		if got := readSeqFile(t, dir); got != fmt.Sprint(last.Seq) {
			t.Errorf("seq file %q after a rebuild, want the newest change %d", got, last.Seq)
		}

		// Another instance writes: a law added, one updated, one deleted.
		if err := l.docs.Put(ctx, law("c", "đất đai thu hồi")); err != nil {
			t.Fatal(err)
		}
		if err := l.docs.Put(ctx, law("a", "công dân thường trú tạm trú")); err != nil {
			t.Fatal(err)
		}
		if err := l.docs.Delete(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		if lag := f.Lag(); lag.Changes != 0 {
			t.Errorf("lag before looking at the database: %+v, want none seen", lag)
		}
		if err := f.look(ctx); err != nil {
			t.Fatal(err)
		}
		wantIndexed(t, k, map[string]string{"a": "công dân thường trú tạm trú", "c": "đất đai thu hồi"})
		last, _ = l.docs.LastChange(ctx)
		if lag := f.Lag(); lag.Applied != last.Seq || lag.Changes != 0 || lag.Behind != 0 {
			t.Errorf("lag after catching up: %+v, want applied %d and nothing behind", lag, last.Seq)
		}
		if got := readSeqFile(t, dir); got != fmt.Sprint(last.Seq) {
			t.Errorf("seq file %q, want %d", got, last.Seq)
		}
		// And the search finds what the database holds now.
		res, err := k.Search(ctx, retrieval.Query{Text: "thu hồi đất đai", Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 || res.Hits[0].DocID != "c" {
			t.Errorf("search after the changes: %+v, want law c first", res.Hits)
		}
	})
}

// An instance stopped while others write resumes from its seq file,
// applying only what it missed, many batches of it.
func TestFollowerResumesAndCatchesUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l := openLib(t, db, t.TempDir())
		if err := l.docs.Put(ctx, law("a", "một")); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		f, k := follower(t, db, dir, FollowOptions{})
		if _, err := f.Start(ctx, k.Fresh); err != nil {
			t.Fatal(err)
		}
		closers[k]()

		// While it is down: more changes than one read of the log.
		want := map[string]string{"a": "một"}
		for i := range followBatch + 40 {
			id := fmt.Sprintf("n%03d", i%60)
			text := fmt.Sprintf("văn bản số %d", i)
			if err := l.docs.Put(ctx, law(id, text)); err != nil {
				t.Fatal(err)
			}
			want[id] = text
		}
		if err := l.docs.Delete(ctx, "n007"); err != nil {
			t.Fatal(err)
		}
		delete(want, "n007")

		f2, k2 := follower(t, db, dir, FollowOptions{})
		if k2.Fresh {
			t.Fatal("the reopened index is fresh: the test would not test resuming")
		}
		if f2.Lag().Started {
			t.Fatal("Started before Start")
		}
		n, err := f2.Start(ctx, k2.Fresh)
		if err != nil {
			t.Fatal(err)
		}
		// Two reads of the log: the first 500 changes touch all 60
		// documents, the next 40 touch 40 of them again, then the removal.
		// A rebuild would have indexed 60 (59 and a).
		if n != 60+40+1 {
			t.Errorf("resuming applied %d documents, want 101 (60, then 40, then the removal)", n)
		}
		wantIndexed(t, k2, want)
		last, _ := l.docs.LastChange(ctx)
		if lag := f2.Lag(); lag.Applied != last.Seq || lag.Changes != 0 || !lag.Started {
			t.Errorf("lag after resuming: %+v, want applied %d", lag, last.Seq)
		}
	})
}

// Behind: the lag says how many changes and how old the oldest is, until
// they are applied.
func TestFollowerReportsLag(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	l := openLib(t, db, t.TempDir())
	f, k := follower(t, db, t.TempDir(), FollowOptions{})
	if _, err := f.Start(ctx, k.Fresh); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x", "y", "z"} {
		if err := l.docs.Put(ctx, law(id, "nội dung "+id)); err != nil {
			t.Fatal(err)
		}
	}
	// Seen but not applied: what a slow or failing apply looks like.
	f.o.Index = brokenIndex{}
	if err := f.look(ctx); err == nil {
		t.Fatal("look with a failing index: no error")
	}
	lag := f.Lag()
	if lag.Changes != 3 || lag.Behind <= 0 {
		t.Fatalf("lag with 3 changes not applied: %+v", lag)
	}
	f.o.Index = k
	if err := f.look(ctx); err != nil {
		t.Fatal(err)
	}
	if lag := f.Lag(); lag.Changes != 0 || lag.Behind != 0 {
		t.Errorf("lag after applying: %+v, want none", lag)
	}
	wantIndexed(t, k, map[string]string{"x": "nội dung x", "y": "nội dung y", "z": "nội dung z"})
}

type brokenIndex struct{}

func (brokenIndex) Index(context.Context, ...*corpus.Document) error {
	return errors.New("index unavailable")
}
func (brokenIndex) Delete(context.Context, ...string) error { return errors.New("index unavailable") }

// A seq file ahead of the database (the database was restored or
// replaced) rebuilds the index, dropping what the database does not hold.
func TestFollowerRebuildsWhenAhead(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	l := openLib(t, db, t.TempDir())
	dir := t.TempDir()
	f, k := follower(t, db, dir, FollowOptions{})
	if err := k.Index(ctx, law("old", "văn bản đã xoá")); err != nil {
		t.Fatal(err)
	}
	if err := l.docs.Put(ctx, law("kept", "văn bản còn")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "library.seq"), []byte("999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Start(ctx, false); err != nil {
		t.Fatal(err)
	}
	wantIndexed(t, k, map[string]string{"kept": "văn bản còn"})
	if got := readSeqFile(t, dir); got != "1" {
		t.Errorf("seq file %q after the rebuild, want 1", got)
	}
}

// What this instance ingests itself is indexed once, not a second time
// when its changes come back through the log.
func TestFollowerSkipsOwnWrites(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	l := openLib(t, db, t.TempDir())
	f, k := follower(t, db, t.TempDir(), FollowOptions{})
	if _, err := f.Start(ctx, k.Fresh); err != nil {
		t.Fatal(err)
	}
	src := writeLawDump(t, map[string]string{"Luật Cư trú": "Công dân có quyền tự do cư trú."})
	sum, err := Run(ctx, Options{DB: db, Store: l.docs, Index: f.Indexer(), Sources: []string{src}})
	if err != nil || sum.Added != 1 {
		t.Fatalf("ingest: %+v, %v", sum, err)
	}
	n, err := f.CatchUp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the follower indexed %d documents this instance had just indexed, want 0", n)
	}
	if got := indexed(t, k); len(got) != 1 {
		t.Errorf("index %v, want the one law", got)
	}
	// Changed elsewhere afterwards: applied again.
	ids, _ := l.docs.Hashes(ctx, "")
	for id := range ids {
		d, _ := l.docs.Get(ctx, id)
		d.Nodes[0].Text = "Công dân có quyền tự do đi lại và cư trú."
		d.Hash = ""
		if err := l.docs.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := f.CatchUp(ctx); err != nil || n != 1 {
		t.Errorf("a later change from elsewhere: applied %d, %v; want 1", n, err)
	}
}

// writeLawDump writes a law dump (name → the text of its Điều 1).
func writeLawDump(t *testing.T, laws map[string]string) string {
	t.Helper()
	dump := map[string][]string{}
	for name, text := range laws {
		dump[name] = []string{text}
	}
	p := filepath.Join(t.TempDir(), "laws.json")
	if err := os.WriteFile(p, testenv.LawDump(dump, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Run wakes at a notification on PostgreSQL, long before its next poll;
// on SQLite it polls.
func TestFollowerRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		l := openLib(t, db, t.TempDir())
		o := FollowOptions{PollEvery: 100 * time.Millisecond}
		if db.Dialect == store.Postgres {
			o.Listen = ListenPostgres(db.DB)
			o.PollEvery, o.ListenPollEvery = time.Hour, time.Hour
		}
		f, k := follower(t, db, t.TempDir(), o)
		if _, err := f.Start(ctx, k.Fresh); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); f.Run(ctx) }()
		defer func() { cancel(); <-done }()
		if db.Dialect == store.Postgres {
			waitFor(t, "the listener", func() bool { return f.Lag().Listens })
		}
		if err := l.docs.Put(ctx, law("moi", "văn bản mới")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the new law in the index", func() bool { return indexed(t, k)["moi"] == "văn bản mới" })
		if err := l.docs.Delete(ctx, "moi"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the law gone from the index", func() bool { _, ok := indexed(t, k)["moi"]; return !ok })
	})
}

// waitFor waits up to 20 s for ok: a bound on a hang, not a timing check.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A database that cannot be read is reported, and the report clears once
// it can be read again.
func TestFollowerReportsUnreachableDatabase(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	openLib(t, db, t.TempDir())
	f, k := follower(t, db, t.TempDir(), FollowOptions{})
	if _, err := f.Start(ctx, k.Fresh); err != nil {
		t.Fatal(err)
	}
	if err := f.look(ctx); err != nil || f.Lag().Unreachable != nil {
		t.Fatalf("a readable database: %v, %v", err, f.Lag().Unreachable)
	}
	// The database's tables gone is as good as the database gone.
	if _, err := db.ExecContext(ctx, `ALTER TABLE document_changes RENAME TO document_changes_away`); err != nil {
		t.Fatal(err)
	}
	if err := f.look(ctx); err == nil || f.Lag().Unreachable == nil {
		t.Fatalf("an unreadable database: look %v, lag %+v; want both to say so", err, f.Lag())
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE document_changes_away RENAME TO document_changes`); err != nil {
		t.Fatal(err)
	}
	if err := f.look(ctx); err != nil || f.Lag().Unreachable != nil {
		t.Errorf("readable again: %v, %v; want the report cleared", err, f.Lag().Unreachable)
	}
}

// Settle runs once a catch-up has applied the last change there is — own
// writes included — before the changes count as applied, and not when
// there was nothing to apply.
func TestFollowerSettles(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	l := openLib(t, db, t.TempDir())
	f, k := follower(t, db, t.TempDir(), FollowOptions{})
	settles := 0
	var appliedAtSettle int64
	f.SetSettle(func(context.Context) error {
		settles++
		appliedAtSettle = f.Lag().Applied
		return nil
	})
	if _, err := f.Start(ctx, k.Fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CatchUp(ctx); err != nil || settles != 0 {
		t.Fatalf("nothing to apply: %d settles, %v; want none", settles, err)
	}
	src := writeLawDump(t, map[string]string{"Luật Cư trú": "Công dân có quyền tự do cư trú."})
	if _, err := Run(ctx, Options{DB: db, Store: l.docs, Index: f.Indexer(), Sources: []string{src}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	last, _ := l.docs.LastChange(ctx)
	if settles != 1 || appliedAtSettle >= last.Seq || f.Lag().Applied != last.Seq {
		t.Errorf("after its own ingest: %d settles at applied %d, now %d; want 1 before %d counted", settles, appliedAtSettle, f.Lag().Applied, last.Seq)
	}
}

// An instance that comes back after the change log was pruned past what it
// had applied rebuilds its index from the documents (the changes it missed
// are gone); one that keeps running and falls behind does the same.
func TestFollowerRebuildsPastPrunedLog(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		l := openLib(t, db, t.TempDir())
		for _, id := range []string{"gone", "kept"} {
			if err := l.docs.Put(ctx, law(id, "văn bản "+id)); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		f, k := follower(t, db, dir, FollowOptions{})
		if _, err := f.Start(ctx, true); err != nil {
			t.Fatal(err)
		}
		wantIndexed(t, k, map[string]string{"gone": "văn bản gone", "kept": "văn bản kept"})
		// Away: a document removed, one added, and the log pruned past
		// both but its newest entry.
		if err := l.docs.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if err := l.docs.Put(ctx, law("new", "văn bản new")); err != nil {
			t.Fatal(err)
		}
		if err := l.docs.Put(ctx, law("newer", "văn bản newer")); err != nil {
			t.Fatal(err)
		}
		if n, err := l.docs.PruneChanges(ctx, time.Now().Add(time.Hour), 1); err != nil || n == 0 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		want := map[string]string{"kept": "văn bản kept", "new": "văn bản new", "newer": "văn bản newer"}
		// Running: the next catch-up finds it is behind the pruned part.
		if _, err := f.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		wantIndexed(t, k, want)
		last, err := l.docs.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := readSeqFile(t, dir); got != strconv.FormatInt(last.Seq, 10) {
			t.Errorf("seq file %q after the rebuild, want %d", got, last.Seq)
		}
		// Coming back: a second instance whose seq file is behind the
		// pruned part, over an index holding a document since removed.
		dir2 := t.TempDir()
		f2, k2 := follower(t, db, dir2, FollowOptions{})
		if err := k2.Index(ctx, law("gone", "văn bản gone"), law("kept", "văn bản kept")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir2, "library.seq"), []byte("2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := f2.Start(ctx, false); err != nil {
			t.Fatal(err)
		}
		wantIndexed(t, k2, want)
	})
}
