package congress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
)

// The change stream's route:
//
//	GET /api/v1/congress/{term}/events    text/event-stream
//
// Each change is one event:
//
//	id: 1234
//	event: congress
//	data: {"congress":{…},"summary":{…},"national":{…}}
//
// id is the history row's id; data is the congress as it is now (as the
// public list shows it), the summary of its province and the national one.
// A client sends the id of the last event it had as the Last-Event-ID
// header — EventSource does so when it reconnects — or, on its first
// connection, as ?last_event_id= (EventSource cannot set headers: the
// dashboard passes the id its snapshot was taken at); the header wins. It
// then receives exactly the changes after that id, in order. Without
// either it receives the changes from now on.
//
// A client more than StreamOptions.MaxBatch changes behind (a bulk import,
// a long disconnection) receives instead one event "reset", whose id is
// the newest change and whose data is {"last":id}: it reloads the
// snapshot rather than replaying thousands of events.
//
// A comment line (": ") keeps the connection open at least every
// KeepAlive; events arriving in a burst are written together, at most one
// write every MinGap. Beyond MaxClients connected clients the route
// answers 503 with Retry-After; the dashboard then polls the snapshot.
//
// Refusals: 400 invalid_last_event_id; 404 unknown_term; 503 busy.

// Defaults of StreamOptions.
const (
	DefaultKeepAlive  = 20 * time.Second
	DefaultMinGap     = 250 * time.Millisecond
	DefaultMaxBatch   = 200
	DefaultMaxClients = 10000
	// retryAfter is what a refused client is told to wait, in seconds.
	retryAfter = 30
	// reconnectMillis is what EventSource waits before reconnecting after
	// a dropped connection.
	reconnectMillis = 3000
	// writeTimeout bounds one write to a client: one that reads nothing
	// for that long is dropped.
	writeTimeout = 30 * time.Second
)

// StreamOptions configure the events route.
type StreamOptions struct {
	KeepAlive time.Duration // 0: DefaultKeepAlive
	MinGap    time.Duration // 0: DefaultMinGap
	MaxBatch  int           // 0: DefaultMaxBatch
}

// stream serves the events route of one term's hub.
type stream struct {
	term string
	hub  *Hub
	o    StreamOptions
	log  *slog.Logger
}

func newStream(term string, hub *Hub, o StreamOptions, log *slog.Logger) *stream {
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.MinGap <= 0 {
		o.MinGap = DefaultMinGap
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if log == nil {
		log = slog.Default()
	}
	return &stream{term: term, hub: hub, o: o, log: log}
}

// lastEventID reads where the client stands: -1 when it did not say.
func lastEventID(r *http.Request) (int64, *api.Error) {
	raw, field := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if raw == "" {
		raw, field = r.URL.Query().Get("last_event_id"), "last_event_id"
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return -1, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 0 {
		if len(raw) > 24 {
			raw = raw[:24] + "…"
		}
		return 0, api.BadRequest("invalid_last_event_id", field, fmt.Sprintf(
			"%s %q không hợp lệ: cần mã số của sự kiện cuối cùng đã nhận, một số nguyên không âm (%s must be the id of the last event received, a whole number).",
			field, raw, field))
	}
	return id, nil
}

func unknownTerm(term string) *api.Error {
	if len(term) > 24 {
		term = term[:24] + "…"
	}
	return &api.Error{Status: http.StatusNotFound, Code: "unknown_term", Field: "term", Message: fmt.Sprintf(
		"Không có nhiệm kỳ %q; nhiệm kỳ đang theo dõi có dạng 2026-2031 (unknown term).", term)}
}

func (s *stream) serve(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("term") != s.term {
		api.Fail(w, r, s.log, unknownTerm(r.PathValue("term")))
		return
	}
	after, e := lastEventID(r)
	if e != nil {
		api.Fail(w, r, s.log, e)
		return
	}
	ctx := r.Context()
	sub, err := s.hub.Subscribe()
	if errors.Is(err, ErrHubFull) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		api.WriteError(w, http.StatusServiceUnavailable, "busy", "", fmt.Sprintf(
			"Quá nhiều người đang theo dõi trực tiếp; trang sẽ tự cập nhật định kỳ. Hãy thử lại sau %d giây (too many live clients; retry in %d s).",
			retryAfter, retryAfter))
		return
	}
	defer sub.Close()
	last, err := s.hub.Last(ctx)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	switch {
	case after < 0:
		after = last
	case after > last:
		// Ahead of this instance: another instance has read further, or
		// the id is not one of this database's. Read now; an id still
		// ahead is not a change, and the client starts from now.
		if err := s.hub.Sync(ctx); err != nil {
			return
		}
		if last, err = s.hub.Last(ctx); err != nil {
			return
		}
		after = min(after, last)
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// A proxy in front (nginx) would otherwise hold events back.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	// The server's write timeout is for answers that end; this one does
	// not, and each write sets its own deadline instead.
	c := &client{w: w, rc: http.NewResponseController(w)}
	if err := c.write(ctx, []byte("retry: "+strconv.Itoa(reconnectMillis)+"\n: connected\n\n")); err != nil {
		return
	}
	// What the client missed is read at once.
	sub.signal()
	keep := time.NewTimer(s.o.KeepAlive)
	defer keep.Stop()
	var pause *time.Timer
	var lastWrite time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hub.Done():
			return
		case <-keep.C:
			if err := c.write(ctx, []byte(": \n\n")); err != nil {
				return
			}
			keep.Reset(s.o.KeepAlive)
			continue
		case <-sub.C():
		}
		// A burst is written together: what arrives within MinGap of the
		// last write waits for the next.
		if wait := s.o.MinGap - time.Since(lastWrite); wait > 0 {
			if pause == nil {
				pause = time.NewTimer(wait)
			} else {
				pause.Reset(wait)
			}
			select {
			case <-ctx.Done():
				pause.Stop()
				return
			case <-s.hub.Done():
				pause.Stop()
				return
			case <-pause.C:
			}
		}
		events, next, more, err := s.hub.Since(ctx, after, s.o.MaxBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "congress: change stream: reading a client's changes", "after", after, "err", err)
			}
			return
		}
		if more {
			// Too far behind to replay: the newest id, and the client
			// reloads the snapshot.
			if next, err = s.hub.Last(ctx); err != nil {
				return
			}
			events = [][]byte{eventFrame("reset", next, []byte(`{"last":`+strconv.FormatInt(next, 10)+`}`))}
		}
		if len(events) == 0 {
			continue
		}
		if err := c.write(ctx, events...); err != nil {
			return
		}
		after, lastWrite = next, time.Now()
		keep.Reset(s.o.KeepAlive)
	}
}

// client writes to one connection, each write bounded in time and
// flushed at once.
type client struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (c *client) write(ctx context.Context, parts ...[]byte) error {
	_ = c.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	for _, p := range parts {
		if _, err := c.w.Write(p); err != nil {
			return err
		}
	}
	if err := c.rc.Flush(); err != nil {
		return err
	}
	return ctx.Err()
}
