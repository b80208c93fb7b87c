package congress

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattranso/mattranso/store"
)

// The change stream. A Hub follows the history of one term and hands each
// change, rendered once, to every client connected to the events route.
//
// It wakes up in three ways:
//   - in the process, Options.OnChange after every Store.Put calls
//     Hub.Notify;
//   - on PostgreSQL, a notification on the channel congress_changes, which
//     Store.Put sends in its transaction, so that a write through another
//     instance reaches this one's clients at once (ListenPostgres, on a
//     connection of its own);
//   - polling, the fallback: every PollEvery on SQLite and while the
//     listener is down, every ListenPollEvery while it is up, in case a
//     notification was lost with a dropped connection.
//
// Why notifications and a poll rather than either alone: the history table
// is the truth and reading it after an id is exact and cheap (an index
// range), so every wake-up, whatever its cause, is one ChangesSince after
// the last id read; notifications make that read happen within
// milliseconds of a commit on any instance, and polling makes it happen at
// all when they cannot (SQLite, a lost connection).
//
// Each client reads what it has not had yet from the hub's memory, which
// keeps the latest changes (HubOptions.Keep); a client behind that, or
// resuming from before the server started, reads the store. The hub never
// writes to a client: it only signals, without blocking, so a slow client
// delays nobody but itself.

// ChangesChannel is the PostgreSQL notification channel of congress
// changes; Store.Put notifies it with the history id.
const ChangesChannel = "congress_changes"

// Defaults of HubOptions.
const (
	PollEvery       = time.Second
	ListenPollEvery = 30 * time.Second
	DefaultKeep     = 4096
	// readBatch bounds the changes read from the store at once.
	readBatch = 256
)

// ErrHubFull: the hub has as many clients as it allows.
var ErrHubFull = errors.New("congress: too many clients of the change stream")

// changeFeed is the part of the Store the hub reads.
type changeFeed interface {
	ChangesSince(ctx context.Context, term string, after int64, limit int) ([]Change, error)
	LastChange(ctx context.Context, term string) (int64, error)
}

// renderFunc turns changes into their events' data, one JSON line each,
// in the same order; it may read the state after the changes (the data is
// the congress as it is now and its province's summary).
type renderFunc func(ctx context.Context, cs []Change) ([][]byte, error)

// HubOptions configure a Hub.
type HubOptions struct {
	Term   string
	Feed   changeFeed
	Render renderFunc
	// Listen, when set, blocks delivering wake-ups from other instances
	// (see ListenPostgres) until ctx ends or its connection fails; the hub
	// calls it again after a failure.
	Listen func(ctx context.Context, ready, wake func()) error
	// PollEvery and ListenPollEvery: how often the store is read without
	// a wake-up, without and with a working listener.
	PollEvery, ListenPollEvery time.Duration
	// Keep is how many of the latest changes the hub keeps for clients
	// that resume.
	Keep int
	// MaxClients bounds the connected clients; 0: no bound.
	MaxClients int
	Logger     *slog.Logger
}

// frame is one change, rendered as a whole server-sent event.
type frame struct {
	id  int64
	raw []byte
}

// Hub fans the changes of one term out to its clients.
type Hub struct {
	o    HubOptions
	wake chan struct{}

	ready     chan struct{} // closed once the starting id is known
	done      chan struct{} // closed when Run ends
	listening atomic.Bool
	clients   atomic.Int64

	readMu sync.Mutex // one read of the store at a time

	mu   sync.RWMutex
	base int64   // every change in (base, last] is in ring
	last int64   // the newest change read
	ring []frame // ascending ids
	subs map[*Subscription]struct{}
}

// NewHub makes a hub; Run starts it.
func NewHub(o HubOptions) *Hub {
	if o.PollEvery <= 0 {
		o.PollEvery = PollEvery
	}
	if o.ListenPollEvery <= 0 {
		o.ListenPollEvery = ListenPollEvery
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Hub{o: o, wake: make(chan struct{}, 1), ready: make(chan struct{}), done: make(chan struct{}),
		subs: map[*Subscription]struct{}{}}
}

// Notify wakes the hub to read the store; it never blocks. Options.
// OnChange calls it after each Put.
func (h *Hub) Notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// NotifyChange is Notify in the form of Options.OnChange.
func (h *Hub) NotifyChange(Change) { h.Notify() }

// Done is closed when the hub has stopped: its clients end their streams.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Clients is the number of connected clients.
func (h *Hub) Clients() int { return int(h.clients.Load()) }

// Run follows the store until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		last, err := h.o.Feed.LastChange(ctx, h.o.Term)
		if err == nil {
			h.mu.Lock()
			h.base, h.last = last, last
			h.mu.Unlock()
			close(h.ready)
			break
		}
		h.o.Logger.Error("congress: change stream: reading the last change", "term", h.o.Term, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	if h.o.Listen != nil {
		go h.listen(ctx)
	}
	t := time.NewTimer(h.o.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-t.C:
		}
		h.read(ctx)
		every := h.o.PollEvery
		if h.listening.Load() {
			every = h.o.ListenPollEvery
		}
		t.Reset(every)
	}
}

// listen keeps the listener running, reconnecting with a growing pause;
// while it is down the hub polls at PollEvery.
func (h *Hub) listen(ctx context.Context) {
	for wait := time.Second; ctx.Err() == nil; {
		started := time.Now()
		err := h.o.Listen(ctx, func() {
			if !h.listening.Swap(true) {
				h.o.Logger.Info("congress: change stream: listening for other instances' changes", "term", h.o.Term, "channel", ChangesChannel)
			}
			// What was written before the listener started is read now.
			h.Notify()
		}, h.Notify)
		h.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		h.o.Logger.Warn("congress: change stream: listener stopped; polling meanwhile", "err", err, "retry_in", wait)
		if time.Since(started) > time.Minute {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// read reads the store after the last change, renders what it finds,
// keeps it and signals the clients; it reads again while batches come
// full.
func (h *Hub) read(ctx context.Context) {
	h.readMu.Lock()
	defer h.readMu.Unlock()
	for ctx.Err() == nil {
		h.mu.RLock()
		after := h.last
		h.mu.RUnlock()
		cs, err := h.o.Feed.ChangesSince(ctx, h.o.Term, after, readBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.o.Logger.Error("congress: change stream: reading changes", "term", h.o.Term, "after", after, "err", err)
			}
			return
		}
		if len(cs) == 0 {
			return
		}
		frames, err := h.render(ctx, cs)
		if err != nil {
			if ctx.Err() == nil {
				h.o.Logger.Error("congress: change stream: rendering changes", "term", h.o.Term, "after", after, "err", err)
			}
			return
		}
		h.mu.Lock()
		h.ring = append(h.ring, frames...)
		h.last = frames[len(frames)-1].id
		if over := len(h.ring) - h.o.Keep; over > 0 {
			h.base = h.ring[over-1].id
			// A new array, so that the frames clients hold slices of are
			// never written over and the old ones can be collected.
			h.ring = slices.Clone(h.ring[over:])
		}
		for s := range h.subs {
			s.signal()
		}
		h.mu.Unlock()
		if len(cs) < readBatch {
			return
		}
	}
}

// render makes the whole events of cs.
func (h *Hub) render(ctx context.Context, cs []Change) ([]frame, error) {
	data, err := h.o.Render(ctx, cs)
	if err != nil {
		return nil, err
	}
	if len(data) != len(cs) {
		return nil, errors.New("congress: change stream: rendered a different number of events")
	}
	out := make([]frame, len(cs))
	for i, c := range cs {
		out[i] = frame{id: c.ID, raw: eventFrame("congress", c.ID, data[i])}
	}
	return out, nil
}

// eventFrame is one server-sent event; data is one line.
func eventFrame(event string, id int64, data []byte) []byte {
	b := make([]byte, 0, len(data)+len(event)+40)
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, "\nevent: "...)
	b = append(b, event...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// Last is the newest change the hub has read; it waits for the hub to
// start.
func (h *Hub) Last(ctx context.Context) (int64, error) {
	if err := h.started(ctx); err != nil {
		return 0, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.last, nil
}

func (h *Hub) started(ctx context.Context) error {
	select {
	case <-h.ready:
		return nil
	case <-h.done:
		return errHubStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errHubStopped = errors.New("congress: change stream stopped")

// Sync reads the store now, waiting for a read under way.
func (h *Hub) Sync(ctx context.Context) error {
	if err := h.started(ctx); err != nil {
		return err
	}
	h.read(ctx)
	return ctx.Err()
}

// Subscription is one client's link to the hub: C receives a value when
// there may be something new to read with Since.
type Subscription struct {
	h *Hub
	c chan struct{}
}

// C signals that changes may have arrived.
func (s *Subscription) C() <-chan struct{} { return s.c }

func (s *Subscription) signal() {
	select {
	case s.c <- struct{}{}:
	default:
	}
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	if _, ok := s.h.subs[s]; ok {
		delete(s.h.subs, s)
		s.h.clients.Add(-1)
	}
	s.h.mu.Unlock()
}

// Subscribe connects a client, or refuses with ErrHubFull.
func (h *Hub) Subscribe() (*Subscription, error) {
	if n := h.clients.Add(1); h.o.MaxClients > 0 && n > int64(h.o.MaxClients) {
		h.clients.Add(-1)
		return nil, ErrHubFull
	}
	s := &Subscription{h: h, c: make(chan struct{}, 1)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s, nil
}

// Since returns the events after the change after, at most max of them,
// and the id of the last one returned (after itself when none). Those the
// hub keeps come from memory, shared by every client; older ones are read
// and rendered from the store. more reports that there may be more.
func (h *Hub) Since(ctx context.Context, after int64, max int) (events [][]byte, last int64, more bool, err error) {
	if err := h.started(ctx); err != nil {
		return nil, after, false, err
	}
	h.mu.RLock()
	if after >= h.base {
		i, _ := slices.BinarySearchFunc(h.ring, after, func(f frame, id int64) int {
			switch {
			case f.id < id:
				return -1
			case f.id > id:
				return 1
			}
			return 0
		})
		for ; i < len(h.ring) && h.ring[i].id <= after; i++ {
		}
		n := min(len(h.ring)-i, max)
		events = make([][]byte, n)
		for k := range n {
			events[k] = h.ring[i+k].raw
		}
		if n > 0 {
			last = h.ring[i+n-1].id
		} else {
			last = after
		}
		more = i+n < len(h.ring)
		h.mu.RUnlock()
		return events, last, more, nil
	}
	h.mu.RUnlock()
	cs, err := h.o.Feed.ChangesSince(ctx, h.o.Term, after, max+1)
	if err != nil {
		return nil, after, false, err
	}
	if len(cs) == 0 {
		return nil, after, false, nil
	}
	if len(cs) > max {
		cs, more = cs[:max], true
	}
	frames, err := h.render(ctx, cs)
	if err != nil {
		return nil, after, false, err
	}
	events = make([][]byte, len(frames))
	for i, f := range frames {
		events[i] = f.raw
	}
	return events, frames[len(frames)-1].id, more, nil
}

// ListenPostgres is a HubOptions.Listen for PostgreSQL: store.ListenPostgres on
// ChangesChannel.
func ListenPostgres(db *sql.DB) func(ctx context.Context, ready, wake func()) error {
	return store.ListenPostgres(db, ChangesChannel)
}
