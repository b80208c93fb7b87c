package congress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
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
// Refusals: 400 invalid_last_event_id; 404 not_found (field term); 503
// busy (also while the server stops).

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
	return &api.Error{Status: http.StatusNotFound, Code: "not_found", Field: "term", Message: fmt.Sprintf(
		"Không có nhiệm kỳ %q (unknown term).", term)}
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
	handed := false // to the goroutine that follows a hijacked connection
	defer func() {
		if !handed {
			sub.Close()
		}
	}()
	last, err := s.hub.Last(ctx)
	if errors.Is(err, errHubStopped) {
		w.Header().Set("Retry-After", strconv.Itoa(reconnectMillis/1000))
		api.WriteError(w, http.StatusServiceUnavailable, "busy", "",
			"Máy chủ đang khởi động lại; hãy thử lại sau ít giây (the server is restarting).")
		return
	}
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
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	opening := []byte("retry: " + strconv.Itoa(reconnectMillis) + "\n: connected\n\n")
	if conn := hijack(w); conn != nil {
		// The connection is the stream's alone from here: the server's
		// goroutine, its reader and its buffers are let go, and one small
		// goroutine follows the hub for the client — what an idle client
		// costs. A client that leaves is noticed at the next write (the
		// keep-alive at the latest).
		c := &connSink{conn: conn}
		head := "HTTP/1.1 200 OK\r\n" + headerLines(h) + "Connection: close\r\n\r\n"
		if err := c.write([]byte(head), opening); err != nil {
			conn.Close()
			return
		}
		handed = true
		go func() {
			defer conn.Close()
			defer sub.Close()
			s.follow(context.Background(), c, sub, after)
		}()
		return
	}
	// Without hijacking (HTTP/2, a test's recorder), the stream stays in
	// the handler. The server's write timeout is for answers that end;
	// each write sets its own deadline instead.
	w.WriteHeader(http.StatusOK)
	c := &flushSink{w: w, rc: http.NewResponseController(w)}
	if err := c.write(opening); err != nil {
		return
	}
	s.follow(ctx, c, sub, after)
}

// follow writes the hub's events after after to the client until ctx or
// the hub ends or a write fails.
func (s *stream) follow(ctx context.Context, c sink, sub *Subscription, after int64) {
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
			if err := c.write([]byte(": \n\n")); err != nil {
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
		if err := c.write(events...); err != nil {
			return
		}
		after, lastWrite = next, time.Now()
		keep.Reset(s.o.KeepAlive)
	}
}

// sink is where a client's stream is written, each write bounded in time
// and sent at once.
type sink interface {
	write(parts ...[]byte) error
}

// flushSink writes through the server's ResponseWriter.
type flushSink struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (c *flushSink) write(parts ...[]byte) error {
	_ = c.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	for _, p := range parts {
		if _, err := c.w.Write(p); err != nil {
			return err
		}
	}
	return c.rc.Flush()
}

// connSink writes to a hijacked connection, the parts in one system call.
type connSink struct{ conn net.Conn }

func (c *connSink) write(parts ...[]byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	// WriteTo consumes its slice: a copy of the list, never of the bytes.
	bufs := net.Buffers(slices.Clone(parts))
	_, err := bufs.WriteTo(c.conn)
	return err
}

// hijack takes the connection from the server when it can (HTTP/1.x),
// nil otherwise.
func hijack(w http.ResponseWriter) net.Conn {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	// A GET has no body: nothing is left to read; the buffers go.
	if rw != nil && rw.Reader.Buffered() > 0 {
		conn.Close()
		return nil
	}
	return conn
}

// headerLines writes h as an HTTP/1.1 header block, without the ending
// blank line.
func headerLines(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}
