package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// FollowOptions configure a Follower.
type FollowOptions struct {
	Store *corpus.Store
	// Index is what follows the database: the instance's keyword index,
	// with its memory snapshot and vectors (retrieval.Hybrid).
	Index retrieval.Indexer
	// SeqFile keeps the last change applied, written after the index
	// has committed it; it lives next to the index, so that an index
	// removed or rebuilt is rebuilt from the database whole.
	SeqFile string
	// Known lists the documents the index holds, for a rebuild over an
	// index that may hold documents since deleted; nil when it cannot.
	Known func(ctx context.Context) ([]string, error)
	// Settle, when set, is called once a catch-up has applied the last
	// change there is, before it counts as applied: the keyword index
	// rebuilding its memory snapshot (retrieval.Keyword.WaitMemory),
	// without which it ranks from disk for a while.
	Settle func(ctx context.Context) error
	// Listen, when set, wakes the follower at every change (ListenPostgres);
	// it returns when its connection fails and is started again.
	Listen func(ctx context.Context, ready, wake func()) error
	// PollEvery is how often the database is asked without a listener
	// (default 1 s), ListenPollEvery with one (default 30 s).
	PollEvery, ListenPollEvery time.Duration
	Logger                     *slog.Logger
}

// Follower keeps an instance's index in step with the library's change
// log (corpus.Store.Changes): it applies each change it has not seen by
// reading the document as the database holds it now — indexed when
// present, removed when not — so applying a change twice is harmless,
// and remembers the last one applied in SeqFile.
type Follower struct {
	o FollowOptions

	applyMu sync.Mutex // one apply at a time
	applied atomic.Int64
	head    atomic.Int64 // the newest change seen in the database
	oldest  atomic.Int64 // unix nanoseconds of the oldest change not applied; 0 when none
	started atomic.Bool
	listens atomic.Bool
	wake    chan struct{}
	// dbErr is why the database could not be read at the last look, nil
	// when it could; errLogged is when that was last logged.
	dbErr     atomic.Pointer[error]
	errLogged time.Time

	// own are the documents this instance indexed itself (through
	// Indexer) at the hash it indexed: their changes need no second
	// indexing when they come back through the log.
	ownMu sync.Mutex
	own   map[string]string
}

// NewFollower returns a follower; Start brings the index in step, Run
// keeps it so.
func NewFollower(o FollowOptions) *Follower {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.PollEvery <= 0 {
		o.PollEvery = time.Second
	}
	if o.ListenPollEvery <= 0 {
		o.ListenPollEvery = 30 * time.Second
	}
	return &Follower{o: o, wake: make(chan struct{}, 1), own: map[string]string{}}
}

// SetSettle sets FollowOptions.Settle; call it before Start.
func (f *Follower) SetSettle(fn func(ctx context.Context) error) { f.o.Settle = fn }

// Lag is how far an instance's index is behind the database.
type Lag struct {
	Applied int64         // the last change applied
	Head    int64         // the newest change the database held when last asked
	Changes int64         // Head - Applied: changes not applied yet
	Behind  time.Duration // age of the oldest change not applied; 0 when none
	Started bool          // Start has brought the index in step once
	Listens bool          // woken by notifications, not only polling
	// Unreachable is why the database could not be read at the last
	// look; nil when it could.
	Unreachable error
}

// Lag reports how far behind the index is, as of the last look at the
// database.
func (f *Follower) Lag() Lag {
	l := Lag{Applied: f.applied.Load(), Head: f.head.Load(), Started: f.started.Load(), Listens: f.listens.Load()}
	if e := f.dbErr.Load(); e != nil {
		l.Unreachable = *e
	}
	if l.Head > l.Applied {
		l.Changes = l.Head - l.Applied
	}
	if t := f.oldest.Load(); t != 0 && l.Changes > 0 {
		l.Behind = max(0, time.Since(time.Unix(0, t)))
	}
	return l
}

// Start brings the index in step with the database. An index that is
// fresh (empty), has no SeqFile, or has one ahead of the database (the
// database was replaced) is rebuilt from the documents, after noting the
// newest change, so that changes made during the rebuild are applied
// after it; otherwise the changes since SeqFile are applied. It returns
// how many documents it indexed or removed.
func (f *Follower) Start(ctx context.Context, fresh bool) (int, error) {
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	last, err := f.o.Store.LastChange(ctx)
	if err != nil {
		return 0, err
	}
	f.head.Store(last.Seq)
	seq, ok, err := f.readSeq()
	if err != nil {
		return 0, err
	}
	pruned, err := f.o.Store.PrunedThrough(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	// An index behind what the change log still holds (pruned while this
	// instance was away) cannot catch up change by change.
	if fresh || !ok || seq > last.Seq || seq < pruned {
		if !fresh {
			f.o.Logger.Info("library index: rebuilding from the database", "seq_file", ok, "applied", seq, "database", last.Seq, "pruned_through", pruned)
		}
		if n, err = f.rebuild(ctx, last.Seq, fresh); err != nil {
			return n, err
		}
	} else {
		f.applied.Store(seq)
	}
	m, err := f.catchUp(ctx)
	n += m
	if err != nil {
		return n, err
	}
	f.started.Store(true)
	return n, nil
}

// rebuild indexes every document of the database over the index (after
// removing those the database no longer holds, unless the index is
// fresh) and counts the changes up to head as applied.
func (f *Follower) rebuild(ctx context.Context, head int64, fresh bool) (int, error) {
	n := 0
	if !fresh {
		var err error
		if n, err = f.dropUnknown(ctx); err != nil {
			return n, err
		}
	}
	m, err := Rebuild(ctx, f.o.Store, f.o.Index, nil)
	n += m
	if err != nil {
		return n, err
	}
	f.applied.Store(head)
	return n, f.writeSeq(head)
}

// dropUnknown removes from the index the documents the database no longer
// holds, before a rebuild over an index that was kept.
func (f *Follower) dropUnknown(ctx context.Context) (int, error) {
	if f.o.Known == nil {
		return 0, nil
	}
	ids, err := f.o.Known(ctx)
	if err != nil {
		return 0, err
	}
	stored, err := f.o.Store.Hashes(ctx, "")
	if err != nil {
		return 0, err
	}
	var gone []string
	for _, id := range ids {
		if _, ok := stored[id]; !ok {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	return len(gone), f.o.Index.Delete(ctx, gone...)
}

// CatchUp applies every change not applied yet and returns how many
// documents it indexed or removed.
func (f *Follower) CatchUp(ctx context.Context) (int, error) {
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	return f.catchUp(ctx)
}

// followBatch is how many changes are read at once; followIndexBatch how
// many documents are indexed together.
const (
	followBatch      = 500
	followIndexBatch = 32
)

func (f *Follower) catchUp(ctx context.Context) (int, error) {
	n := 0
	// A follower that fell behind the pruned part of the log (a long
	// pause) rebuilds, as Start would.
	if pruned, err := f.o.Store.PrunedThrough(ctx); err != nil {
		return 0, err
	} else if f.applied.Load() < pruned {
		last, err := f.o.Store.LastChange(ctx)
		if err != nil {
			return 0, err
		}
		f.o.Logger.Warn("library index: the change log was pruned past this instance; rebuilding from the database", "applied", f.applied.Load(), "pruned_through", pruned)
		if n, err = f.rebuild(ctx, last.Seq, false); err != nil {
			return n, err
		}
	}
	for {
		after := f.applied.Load()
		cs, err := f.o.Store.Changes(ctx, after, followBatch)
		if err != nil {
			return n, err
		}
		if len(cs) == 0 {
			f.oldest.Store(0)
			return n, nil
		}
		if last := cs[len(cs)-1].Seq; last > f.head.Load() {
			f.head.Store(last)
		}
		if f.oldest.Load() == 0 {
			f.oldest.Store(cs[0].At.UnixNano())
		}
		// Each document once, as it is now.
		var ids []string
		seen := map[string]bool{}
		for _, c := range cs {
			if !seen[c.DocID] {
				seen[c.DocID] = true
				ids = append(ids, c.DocID)
			}
		}
		for i := 0; i < len(ids); i += followIndexBatch {
			m, err := f.apply(ctx, ids[i:min(i+followIndexBatch, len(ids))])
			n += m
			if err != nil {
				return n, err
			}
		}
		seq := cs[len(cs)-1].Seq
		if len(cs) < followBatch && f.o.Settle != nil {
			// The last of what there is: the index is made to answer as it
			// will from now on before the changes count as applied, so
			// that instances that say they are at one change rank alike.
			if err := f.o.Settle(ctx); err != nil && ctx.Err() == nil {
				f.o.Logger.Warn("library index: not settled after applying changes", "err", err)
			}
		}
		if err := f.writeSeq(seq); err != nil {
			return n, err
		}
		f.applied.Store(seq)
		if len(cs) < followBatch {
			f.oldest.Store(0)
		} else {
			f.oldest.Store(cs[len(cs)-1].At.UnixNano())
		}
	}
}

// apply brings the documents ids to their state in the database.
func (f *Follower) apply(ctx context.Context, ids []string) (int, error) {
	var put []*corpus.Document
	var gone []string
	for _, id := range ids {
		d, err := f.o.Store.Get(ctx, id)
		switch {
		case errors.Is(err, corpus.ErrNotFound):
			gone = append(gone, id)
			f.forget(id)
		case err != nil:
			return 0, err
		case f.indexedHere(d):
		default:
			put = append(put, d)
		}
	}
	if len(put) > 0 {
		if err := f.o.Index.Index(ctx, put...); err != nil {
			return 0, err
		}
	}
	if len(gone) > 0 {
		if err := f.o.Index.Delete(ctx, gone...); err != nil {
			return len(put), err
		}
	}
	return len(put) + len(gone), nil
}

// indexedHere reports, once, whether this instance indexed d itself at
// the content the database holds.
func (f *Follower) indexedHere(d *corpus.Document) bool {
	f.ownMu.Lock()
	defer f.ownMu.Unlock()
	h, ok := f.own[d.ID]
	if ok {
		delete(f.own, d.ID)
	}
	return ok && d.Hash != "" && h == d.Hash
}

func (f *Follower) forget(id string) {
	f.ownMu.Lock()
	delete(f.own, id)
	f.ownMu.Unlock()
}

// Indexer is the follower's index for this instance's own ingest: what
// it indexes is not indexed a second time when its changes come back
// through the log.
func (f *Follower) Indexer() retrieval.Indexer { return ownIndexer{f} }

type ownIndexer struct{ f *Follower }

func (o ownIndexer) Index(ctx context.Context, docs ...*corpus.Document) error {
	if err := o.f.o.Index.Index(ctx, docs...); err != nil {
		return err
	}
	o.f.ownMu.Lock()
	for _, d := range docs {
		if d.Hash != "" {
			o.f.own[d.ID] = d.Hash
		}
	}
	o.f.ownMu.Unlock()
	return nil
}

func (o ownIndexer) Delete(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		o.f.forget(id)
	}
	return o.f.o.Index.Delete(ctx, ids...)
}

// Notify makes Run look at the database now.
func (f *Follower) Notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Run follows the database until ctx ends: woken by the listener when
// there is one, polling in any case. Call it after Start.
func (f *Follower) Run(ctx context.Context) {
	if f.o.Listen != nil {
		go f.listen(ctx)
	}
	t := time.NewTimer(f.o.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-t.C:
		}
		if err := f.look(ctx); err != nil && ctx.Err() == nil && time.Since(f.errLogged) > time.Minute {
			// Once a minute: a database down is polled every second.
			f.o.Logger.Error("library index: following the database", "applied", f.applied.Load(), "err", err)
			f.errLogged = time.Now()
		} else if err == nil {
			f.errLogged = time.Time{}
		}
		every := f.o.PollEvery
		if f.listens.Load() {
			every = f.o.ListenPollEvery
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(every)
	}
}

// look notes the newest change and applies what is missing.
func (f *Follower) look(ctx context.Context) error {
	last, err := f.o.Store.LastChange(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.dbErr.Store(&err)
		}
		return err
	}
	f.dbErr.Store(nil)
	if last.Seq > f.head.Load() {
		f.head.Store(last.Seq)
	}
	if last.Seq <= f.applied.Load() {
		return nil
	}
	n, err := f.CatchUp(ctx)
	if n > 0 {
		f.o.Logger.Info("library index: changes applied", "documents", n, "applied", f.applied.Load())
	}
	return err
}

// listen keeps the listener running, starting it again after a pause
// that grows while it keeps failing; meanwhile Run polls at PollEvery.
func (f *Follower) listen(ctx context.Context) {
	for wait := time.Second; ctx.Err() == nil; wait = min(2*wait, 30*time.Second) {
		err := f.o.Listen(ctx, func() {
			f.listens.Store(true)
			wait = time.Second
			f.o.Logger.Info("library index: listening for changes", "channel", corpus.ChangesChannel)
			f.Notify() // what came before the listener
		}, f.Notify)
		f.listens.Store(false)
		if ctx.Err() != nil {
			return
		}
		f.o.Logger.Warn("library index: change listener stopped; polling meanwhile", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// ListenPostgres is a FollowOptions.Listen for PostgreSQL: store.ListenPostgres on
// corpus.ChangesChannel.
func ListenPostgres(db *sql.DB) func(ctx context.Context, ready, wake func()) error {
	return store.ListenPostgres(db, corpus.ChangesChannel)
}

// readSeq reads SeqFile; ok is false when there is none.
func (f *Follower) readSeq() (seq int64, ok bool, err error) {
	if f.o.SeqFile == "" {
		return 0, false, nil
	}
	b, err := os.ReadFile(f.o.SeqFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ingest: read %s: %w", f.o.SeqFile, err)
	}
	seq, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		// Unreadable: as if absent, the index is rebuilt.
		f.o.Logger.Warn("library index: unreadable applied sequence; rebuilding", "file", f.o.SeqFile, "err", err)
		return 0, false, nil
	}
	return seq, true, nil
}

// writeSeq replaces SeqFile whole (write, sync, rename).
func (f *Follower) writeSeq(seq int64) error {
	if f.o.SeqFile == "" {
		return nil
	}
	tmp := f.o.SeqFile + ".tmp"
	if err := os.MkdirAll(filepath.Dir(f.o.SeqFile), 0o755); err != nil {
		return err
	}
	w, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("ingest: write %s: %w", f.o.SeqFile, err)
	}
	_, err = w.WriteString(strconv.FormatInt(seq, 10) + "\n")
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.o.SeqFile)
	}
	if err != nil {
		return fmt.Errorf("ingest: write %s: %w", f.o.SeqFile, err)
	}
	return nil
}
