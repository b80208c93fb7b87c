package congress

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hub and the events route against a small change feed kept in
// memory: ids, resume, keep-alive, batching, the cap, slow clients.

const testTerm = "2026-2031"

// memFeed is a change feed in memory whose events' data name the
// territory and the id.
type memFeed struct {
	mu      sync.Mutex
	changes []Change
	reads   int // ChangesSince calls
	pad     int // bytes of padding in each event's data
}

func (f *memFeed) add(territories ...string) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for _, t := range territories {
		id := int64(len(f.changes) + 1)
		f.changes = append(f.changes, Change{ID: id, Term: testTerm, Territory: t, Province: t[:2], At: time.Now()})
		ids = append(ids, id)
	}
	return ids
}

func (f *memFeed) ChangesSince(_ context.Context, term string, after int64, limit int) ([]Change, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []Change
	for _, c := range f.changes {
		if c.Term == term && c.ID > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *memFeed) LastChange(_ context.Context, term string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.changes)), nil
}

func (f *memFeed) render(_ context.Context, cs []Change) ([][]byte, error) {
	out := make([][]byte, len(cs))
	for i, c := range cs {
		out[i] = fmt.Appendf(nil, `{"territory":%q,"id":%d,"pad":%q}`, c.Territory, c.ID, strings.Repeat("x", f.pad))
	}
	return out, nil
}

type streamEnv struct {
	feed *memFeed
	hub  *Hub
	srv  *httptest.Server
	url  string
}

func newStreamEnv(t *testing.T, ho HubOptions, so StreamOptions, configure ...func(*httptest.Server)) *streamEnv {
	t.Helper()
	feed := &memFeed{}
	if ho.Feed == nil {
		ho.Feed = feed
	}
	ho.Term, ho.Render = testTerm, feed.render
	if ho.PollEvery == 0 {
		// Wake-ups come from Notify in these tests, not from polling.
		ho.PollEvery = time.Hour
	}
	hub := NewHub(ho)
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Run(ctx)
	st := newStream(testTerm, hub, so, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/congress/{term}/events", st.serve)
	srv := httptest.NewUnstartedServer(mux)
	for _, c := range configure {
		c(srv)
	}
	srv.Start()
	t.Cleanup(func() {
		cancel()
		<-hub.Done()
		srv.Close()
	})
	return &streamEnv{feed: feed, hub: hub, srv: srv, url: srv.URL + "/api/v1/congress/" + testTerm + "/events"}
}

// change adds changes to the feed and has the hub read them, as Put and
// OnChange do.
func (e *streamEnv) change(t *testing.T, territories ...string) []int64 {
	t.Helper()
	ids := e.feed.add(territories...)
	if err := e.hub.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ids
}

// sseEvent is one event as a client reads it; a comment has Comment set.
type sseEvent struct {
	ID, Event, Data string
	Comment         bool
	Retry           string
}

// sseClient reads a stream.
type sseClient struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

func connect(t *testing.T, url string, header map[string]string) *sseClient {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	c := &sseClient{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	t.Cleanup(c.close)
	// The stream opens with the reconnection delay and a comment.
	if ev := c.next(); !ev.Comment || ev.Retry == "" {
		t.Fatalf("the stream opens with %+v, want the retry field and a comment", ev)
	}
	return c
}

func (c *sseClient) close() { c.resp.Body.Close() }

// next reads the next event or comment, failing the test after a minute
// without one.
func (c *sseClient) next() sseEvent {
	c.t.Helper()
	type result struct {
		ev  sseEvent
		err error
	}
	done := make(chan result, 1)
	go func() {
		ev, err := readEvent(c.r)
		done <- result{ev, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			c.t.Fatalf("reading the stream: %v", res.err)
		}
		return res.ev
	case <-time.After(time.Minute):
		c.resp.Body.Close()
		c.t.Fatal("no event for a minute")
	}
	return sseEvent{}
}

// nextEvent skips comments.
func (c *sseClient) nextEvent() sseEvent {
	c.t.Helper()
	for {
		if ev := c.next(); !ev.Comment {
			return ev
		}
	}
}

// readEvent parses one event (or a block of comments) as the
// EventSource specification does, for the fields the stream uses.
func readEvent(r *bufio.Reader) (sseEvent, error) {
	var ev sseEvent
	any := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if any {
				return ev, nil
			}
			continue
		}
		any = true
		if strings.HasPrefix(line, ":") {
			ev.Comment = true
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimPrefix(v, " ")
		switch k {
		case "id":
			ev.ID = v
		case "event":
			ev.Event = v
		case "data":
			ev.Data += v
		case "retry":
			ev.Retry = v
		}
		ev.Comment = false
	}
}

func (c *sseClient) expect(ids ...int64) {
	c.t.Helper()
	for _, id := range ids {
		ev := c.nextEvent()
		if ev.Event != "congress" || ev.ID != strconv.FormatInt(id, 10) {
			c.t.Fatalf("got event %q id %s, want congress %d", ev.Event, ev.ID, id)
		}
		var d struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal([]byte(ev.Data), &d); err != nil || d.ID != id {
			c.t.Fatalf("event %d carries %s", id, ev.Data)
		}
	}
}

func TestStreamDeliversEachChangeWithItsID(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{})
	e.change(t, "79", "01") // before the client: not sent to it
	c := connect(t, e.url, nil)
	ids := e.change(t, "26734", "00004")
	ids = append(ids, e.change(t, "79")...)
	c.expect(ids...)
}

// The resume the dashboard relies on: a client disconnects, three changes
// are made, it reconnects with Last-Event-ID and receives exactly those
// three (the change after them comes next: nothing else in between).
func TestStreamResumesFromLastEventID(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{})
	c := connect(t, e.url, nil)
	first := e.change(t, "79")
	c.expect(first...)
	c.close()
	missed := e.change(t, "26734", "00004", "01")
	c = connect(t, e.url, map[string]string{"Last-Event-ID": strconv.FormatInt(first[0], 10)})
	c.expect(missed...)
	c.expect(e.change(t, "26743")...)
}

// EventSource's first connection passes the id as a parameter; on its
// reconnections the header, which wins.
func TestStreamLastEventIDParameter(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{})
	ids := e.change(t, "79", "01", "26734")
	c := connect(t, e.url+"?last_event_id="+strconv.FormatInt(ids[0], 10), nil)
	c.expect(ids[1:]...)
	c = connect(t, e.url+"?last_event_id="+strconv.FormatInt(ids[0], 10),
		map[string]string{"Last-Event-ID": strconv.FormatInt(ids[1], 10)})
	c.expect(ids[2:]...)
}

// A client behind what the hub keeps reads the store.
func TestStreamResumesFromTheStore(t *testing.T) {
	e := newStreamEnv(t, HubOptions{Keep: 3}, StreamOptions{})
	ids := e.change(t, "79", "01", "26734", "00004", "26743", "79", "01")
	c := connect(t, e.url, map[string]string{"Last-Event-ID": strconv.FormatInt(ids[0], 10)})
	c.expect(ids[1:]...)
	c.expect(e.change(t, "79")...)
}

// A client too far behind is told to reload the snapshot: one reset
// event carrying the newest id, then the changes after it.
func TestStreamResetsAClientFarBehind(t *testing.T) {
	for _, keep := range []int{2, 100} { // behind the hub's memory, and within it
		t.Run(strconv.Itoa(keep), func(t *testing.T) {
			e := newStreamEnv(t, HubOptions{Keep: keep}, StreamOptions{MaxBatch: 3})
			ids := e.change(t, "79", "01", "26734", "00004", "26743", "79")
			c := connect(t, e.url, map[string]string{"Last-Event-ID": "1"})
			ev := c.nextEvent()
			last := strconv.FormatInt(ids[len(ids)-1], 10)
			if ev.Event != "reset" || ev.ID != last || ev.Data != `{"last":`+last+`}` {
				t.Fatalf("got %+v, want a reset to %s", ev, last)
			}
			c.expect(e.change(t, "01")...)
		})
	}
}

func TestStreamKeepAlive(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{KeepAlive: 20 * time.Millisecond})
	c := connect(t, e.url, nil)
	for range 3 {
		if ev := c.next(); !ev.Comment {
			t.Fatalf("got %+v while nothing changed, want a keep-alive comment", ev)
		}
	}
	// Keep-alives do not disturb the events.
	c.expect(e.change(t, "79")...)
}

// The server's read and write timeouts, meant for requests that end, do
// not cut a stream: past them, events still arrive.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{KeepAlive: time.Hour}, func(s *httptest.Server) {
		s.Config.ReadTimeout = 50 * time.Millisecond
		s.Config.WriteTimeout = 50 * time.Millisecond
	})
	c := connect(t, e.url, nil)
	time.Sleep(300 * time.Millisecond)
	c.expect(e.change(t, "79")...)
}

// flushCounter is a ResponseWriter that records each flush's bytes.
type flushCounter struct {
	mu      sync.Mutex
	header  http.Header
	pending strings.Builder
	flushes []string
	flushed chan struct{}
}

func (f *flushCounter) Header() http.Header { return f.header }
func (f *flushCounter) WriteHeader(int)     {}
func (f *flushCounter) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pending.Write(b)
}
func (f *flushCounter) Flush() {
	f.mu.Lock()
	f.flushes = append(f.flushes, f.pending.String())
	f.pending.Reset()
	f.mu.Unlock()
	f.flushed <- struct{}{}
}

// A burst reaches a client in few writes: changes read one by one while
// the client waits out MinGap after its last write go out together.
func TestStreamBatchesBursts(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{MinGap: 2 * time.Second, KeepAlive: time.Hour})
	st := newStream(testTerm, e.hub, StreamOptions{MinGap: 2 * time.Second, KeepAlive: time.Hour}, nil)
	w := &flushCounter{header: http.Header{}, flushed: make(chan struct{}, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/congress/"+testTerm+"/events", nil)
	r.SetPathValue("term", testTerm)
	done := make(chan struct{})
	go func() { defer close(done); st.serve(w, r) }()
	<-w.flushed // the opening
	first := e.change(t, "79")
	<-w.flushed
	var burst []int64
	for _, code := range []string{"01", "26734", "00004", "26743", "79", "01", "26734", "00004", "26743"} {
		burst = append(burst, e.change(t, code)...)
	}
	<-w.flushed
	cancel()
	<-done
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.flushes) != 3 {
		t.Fatalf("%d writes, want 3 (the opening, the first change, the burst of 9): %q", len(w.flushes), w.flushes)
	}
	if !strings.HasPrefix(w.flushes[1], "id: "+strconv.FormatInt(first[0], 10)+"\n") {
		t.Errorf("second write %q", w.flushes[1])
	}
	for i, id := range burst {
		if n := strings.Count(w.flushes[2], "\nevent: congress\n"); n != len(burst) {
			t.Fatalf("the burst's write holds %d events, want %d", n, len(burst))
		}
		if !strings.Contains(w.flushes[2], "id: "+strconv.FormatInt(id, 10)+"\n") {
			t.Errorf("the burst's write lacks change %d (%d)", id, i)
		}
	}
}

func TestStreamRefusesBeyondItsClients(t *testing.T) {
	// A client that leaves is noticed at the next write: keep-alives
	// come often here.
	e := newStreamEnv(t, HubOptions{MaxClients: 2}, StreamOptions{KeepAlive: 20 * time.Millisecond})
	a := connect(t, e.url, nil)
	connect(t, e.url, nil)
	resp, err := http.Get(e.url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), `"code":"busy"`) {
		t.Fatalf("third client: %s, Retry-After %q, %s", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	// A client that leaves makes room.
	a.close()
	for e.hub.Clients() >= 2 {
		time.Sleep(10 * time.Millisecond)
	}
	connect(t, e.url, nil)
}

func TestStreamRefusals(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{})
	for _, c := range []struct {
		url, header, status, code string
	}{
		{e.srv.URL + "/api/v1/congress/2021-2026/events", "", "404", "not_found"},
		{e.url + "?last_event_id=abc", "", "400", "invalid_last_event_id"},
		{e.url, "-3", "400", "invalid_last_event_id"},
	} {
		req, _ := http.NewRequest(http.MethodGet, c.url, nil)
		if c.header != "" {
			req.Header.Set("Last-Event-ID", c.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strconv.Itoa(resp.StatusCode) != c.status || !strings.Contains(string(body), `"code":"`+c.code+`"`) {
			t.Errorf("%s (Last-Event-ID %q): %s %s, want %s %s", c.url, c.header, resp.Status, body, c.status, c.code)
		}
	}
}

// An id ahead of every change starts the client from now.
func TestStreamIDAheadStartsFromNow(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{})
	e.change(t, "79")
	c := connect(t, e.url, map[string]string{"Last-Event-ID": "1000"})
	c.expect(e.change(t, "01")...)
}

// A client that reads nothing holds up nobody: while its connection is
// full, another client receives every change.
func TestStreamSlowClientBlocksNoOne(t *testing.T) {
	e := newStreamEnv(t, HubOptions{}, StreamOptions{MinGap: time.Millisecond})
	e.feed.pad = 64 << 10
	stuck, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if _, err := fmt.Fprintf(stuck, "GET /api/v1/congress/%s/events HTTP/1.1\r\nHost: x\r\n\r\n", testTerm); err != nil {
		t.Fatal(err)
	}
	for e.hub.Clients() < 1 {
		time.Sleep(10 * time.Millisecond)
	}
	c := connect(t, e.url, nil)
	// 200 events of 64 KiB: far more than the stuck connection's buffers.
	for range 200 {
		c.expect(e.change(t, "79")...)
	}
}
