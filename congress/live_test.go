package congress_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// The live part over the real store, through the site as serve builds
// it: the event stream, the snapshot and the dashboard.

// liveSite is the test site with its change streams running.
func liveSite(t *testing.T, db *store.DB) (*site, map[string]string) {
	t.Helper()
	f := newSite(t, db, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.svc.RunLive(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return f, f.people()
}

// stream is an event-stream client over real HTTP (with gzip offered, as
// browsers do).
type stream struct {
	t    *testing.T
	body io.ReadCloser
	r    *bufio.Reader
}

type event struct {
	id, name string
	data     congress.EventData
	raw      string
}

func openStream(t *testing.T, url string, header map[string]string) *stream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") ||
		resp.Header.Get("Content-Encoding") != "" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %s, Content-Type %q, Content-Encoding %q: %s", url, resp.Status,
			resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), b)
	}
	s := &stream{t: t, body: resp.Body, r: bufio.NewReader(resp.Body)}
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() { s.body.Close() }

// next reads the next event, skipping comments; a minute without one
// fails the test.
func (s *stream) next() event {
	s.t.Helper()
	got := make(chan event, 1)
	fail := make(chan error, 1)
	go func() {
		var ev event
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				fail <- err
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					got <- ev
					return
				}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.raw = line[6:]
			}
		}
	}()
	select {
	case ev := <-got:
		if ev.name == "congress" {
			if err := json.Unmarshal([]byte(ev.raw), &ev.data); err != nil {
				s.t.Fatalf("event %s: %v: %s", ev.id, err, ev.raw)
			}
		}
		return ev
	case err := <-fail:
		s.t.Fatalf("reading the stream: %v", err)
	case <-time.After(time.Minute):
		s.close()
		s.t.Fatal("no event for a minute")
	}
	return event{}
}

// put writes a congress through the API.
func put(t *testing.T, f *site, token, territory, body string) {
	t.Helper()
	if a := f.call(t, http.MethodPut, congressPath(territory), token, body); a.status != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", territory, a.status, a.body)
	}
}

func lastChange(t *testing.T, f *site) int64 {
	t.Helper()
	id, err := f.store.LastChange(t.Context(), term)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The acceptance test of the resume: a client disconnects, three changes
// are made, it reconnects with Last-Event-ID and receives exactly those
// three — in order, each with its congress and its province's new
// summary — and then the next change, nothing in between.
func TestEventsResumeAfterDisconnect(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f, p := liveSite(t, db)
		events := f.srv.URL + "/api/v1/congress/" + term + "/events"
		s := openStream(t, events, nil)
		put(t, f, p[hcmcReporter], saiGon, `{"status":"preparing","planned_date":"2026-05-20"}`)
		first := s.next()
		if first.name != "congress" || first.data.Congress.Territory != saiGon || first.data.Congress.Status != congress.Preparing ||
			first.data.Summary.Preparing != 1 || first.data.Summary.Expected != 4 || first.data.National.Preparing != 1 {
			t.Fatalf("first event: %s %s %s", first.name, first.id, first.raw)
		}
		if first.id != strconv.FormatInt(lastChange(t, f), 10) {
			t.Fatalf("event id %s, the history's %d", first.id, lastChange(t, f))
		}
		if strings.Contains(first.raw, "updated_by") || strings.Contains(first.raw, "@") {
			t.Errorf("the public event names who wrote: %s", first.raw)
		}
		s.close()

		put(t, f, p[hcmcReporter], saiGon, `{"status":"held","planned_date":"2026-05-20","chair":"Nguyễn Văn An"}`)
		put(t, f, p[hanoiReporter], baDinh, `{"status":"preparing"}`)
		put(t, f, p[hcmcReporter], benThanh, `{"status":"held","planned_date":"2026-05-21"}`)
		s = openStream(t, events, map[string]string{"Last-Event-ID": first.id})
		want := []struct {
			territory string
			status    congress.Status
		}{{saiGon, congress.Held}, {baDinh, congress.Preparing}, {benThanh, congress.Held}}
		prev, _ := strconv.ParseInt(first.id, 10, 64)
		for i, w := range want {
			ev := s.next()
			id, err := strconv.ParseInt(ev.id, 10, 64)
			if err != nil || id <= prev || ev.name != "congress" || ev.data.Congress.Territory != w.territory ||
				ev.data.Congress.Status != w.status || ev.data.Summary.Expected == 0 {
				t.Fatalf("event %d after the reconnection: %s id %s: %s", i+1, ev.name, ev.id, ev.raw)
			}
			prev = id
		}
		// Then the next change, and nothing else before it.
		put(t, f, p[hcmcReporter], longHoa, `{"status":"postponed","postponed_reason":"Mưa bão","new_date":"2026-06-02"}`)
		ev := s.next()
		if ev.data.Congress.Territory != longHoa || ev.data.Congress.Status != congress.Postponed || ev.data.Summary.Postponed != 1 ||
			ev.data.Summary.Held != 2 || ev.data.National.Held != 2 || ev.data.National.Preparing != 1 {
			t.Fatalf("the change after the three: %s %s", ev.id, ev.raw)
		}
		// A reconnection from the id of the last of the three sends this
		// one alone.
		s.close()
		s = openStream(t, events+"?last_event_id="+strconv.FormatInt(prev, 10), nil)
		if again := s.next(); again.id != ev.id {
			t.Fatalf("resumed from %d: got %s, want %s", prev, again.id, ev.id)
		}
	})
}

// A write wakes the stream in the process (OnChange), not the polling:
// with polling set to an hour, the event still comes.
func TestEventsWakeOnWrite(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), false)
	f.svc.SetLive(congress.LiveOptions{PollEvery: time.Hour, ListenPollEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.svc.RunLive(ctx) }()
	defer func() { cancel(); <-done }()
	p := f.people()
	s := openStream(t, f.srv.URL+"/api/v1/congress/"+term+"/events", nil)
	put(t, f, p[hcmcReporter], hcmc, `{"status":"preparing"}`)
	if ev := s.next(); ev.data.Congress.Territory != hcmc || ev.data.Congress.Level != "province" {
		t.Fatalf("got %s", ev.raw)
	}
}

func getSnapshot(t *testing.T, f *site, query, etag string) (int, string, congress.Snapshot) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/api/v1/congress/"+term+"/snapshot"+query, nil)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap congress.Snapshot
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatalf("snapshot: %v: %.300s", err, b)
		}
	} else if resp.StatusCode != http.StatusNotModified {
		t.Logf("snapshot%s: %s", query, b)
	}
	return resp.StatusCode, resp.Header.Get("ETag"), snap
}

// The snapshot the dashboard polls: 304 while nothing changed, new
// figures and a new ETag after a change.
func TestSnapshotETag(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f, p := liveSite(t, db)
		status, etag, snap := getSnapshot(t, f, "", "")
		if status != http.StatusOK || etag == "" || snap.Summary.Expected != 9 || snap.Summary.Planned != 9 || len(snap.Provinces) != 3 {
			t.Fatalf("snapshot: %d %q %+v", status, etag, snap)
		}
		if status, again, _ := getSnapshot(t, f, "", etag); status != http.StatusNotModified || again != etag {
			t.Fatalf("unchanged: %d %q, want 304 %q", status, again, etag)
		}
		put(t, f, p[hcmcReporter], saiGon, `{"status":"held","planned_date":"2026-05-20","chair":"Nguyễn Văn An"}`)
		status, etag2, snap := getSnapshot(t, f, "", etag)
		if status != http.StatusOK || etag2 == etag || snap.Summary.Held != 1 || snap.LastEventID != lastChange(t, f) ||
			len(snap.Latest) != 1 || snap.Latest[0].Territory != saiGon || snap.Latest[0].Chair != "Nguyễn Văn An" {
			t.Fatalf("after a change: %d %q %+v", status, etag2, snap)
		}
		if len(snap.Timeline) != 1 || snap.Timeline[0] != (congress.DayCount{Date: "2026-05-20", Held: 1}) {
			t.Errorf("timeline %+v", snap.Timeline)
		}
		status, _, prov := getSnapshot(t, f, "?province="+hcmc, "")
		if status != http.StatusOK || prov.Province != hcmc || prov.Summary.Expected != 4 || prov.Summary.Held != 1 ||
			len(prov.Congresses) != 4 || prov.National.Held != 1 {
			t.Fatalf("province snapshot: %d %+v", status, prov)
		}
		for _, c := range prov.Congresses {
			if c.UpdatedBy != "" {
				t.Errorf("the public snapshot names who wrote %s: %s", c.Territory, c.UpdatedBy)
			}
		}
		for _, q := range []string{"?province=7", "?province=99", "?province=" + saiGon} {
			if status, _, _ := getSnapshot(t, f, q, ""); status != http.StatusBadRequest {
				t.Errorf("snapshot%s: %d, want 400", q, status)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/congress/1990-1995/snapshot", nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown term's snapshot: %v %v", resp.Status, err)
		}
	})
}

// The snapshot's counts, computed from the list, are the Store's summary
// for every scope, over random congresses.
func TestSnapshotCountsAreTheSummary(t *testing.T) {
	f, p := liveSite(t, storetest.SQLite(t))
	rng := rand.New(rand.NewPCG(16, 2026))
	territories := []string{hanoi, hcmc, "56", baDinh, "00008", saiGon, benThanh, longHoa, "22366"}
	day := func() string { return congress.Now().AddDate(0, 0, rng.IntN(12)-3).Format("2006-01-02") }
	for round := range 4 {
		for _, code := range territories {
			var body string
			switch rng.IntN(5) {
			case 0:
				continue
			case 1:
				body = fmt.Sprintf(`{"status":"preparing","planned_date":%q}`, day())
			case 2:
				body = fmt.Sprintf(`{"status":"held","planned_date":%q}`, day())
			case 3:
				body = fmt.Sprintf(`{"status":"postponed","postponed_reason":"Thời tiết","new_date":%q}`, day())
			default:
				body = fmt.Sprintf(`{"status":"planned","planned_date":%q,"correction":"Nhập nhầm"}`, day())
			}
			f.call(t, http.MethodPut, congressPath(code), p[hcmcReporter], body) // refusals (e.g. Hà Nội) are part of the mix
			f.call(t, http.MethodPut, congressPath(code), p[hanoiReporter], body)
		}
		now := congress.Now()
		_, _, snap := getSnapshot(t, f, "", "")
		want, err := f.store.Summary(t.Context(), term, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Summary != want {
			t.Fatalf("round %d: national %+v, the store's %+v", round, snap.Summary, want)
		}
		for _, row := range snap.Provinces {
			want, err := f.store.Summary(t.Context(), term, row.Code, now)
			if err != nil {
				t.Fatal(err)
			}
			_, _, ps := getSnapshot(t, f, "?province="+row.Code, "")
			if row.Summary != want || ps.Summary != want {
				t.Fatalf("round %d: province %s %+v and %+v, the store's %+v", round, row.Code, row.Summary, ps.Summary, want)
			}
		}
	}
}

// The dashboard without JavaScript: the counts, the charts, the tables;
// a province's page lists its communes; staff see who wrote each and the
// link to the form, the public neither.
func TestDashboardPages(t *testing.T) {
	f, p := liveSite(t, storetest.SQLite(t))
	put(t, f, p[hcmcReporter], saiGon, `{"status":"held","planned_date":"2026-05-20","chair":"Nguyễn Văn An"}`)
	put(t, f, p[hcmcReporter], benThanh, `{"status":"preparing","planned_date":"`+congress.Now().AddDate(0, 0, 2).Format("2006-01-02")+`"}`)
	b := newBrowser(t)
	home := b.get(f.srv.URL + "/dai-hoi")
	for _, want := range []string{`data-count="held">1<`, `id="bieu-do-trang-thai"`, `id="bieu-do-tien-do"`, `href="/dai-hoi/79"`,
		`Phường Sài Gòn`, `Nguyễn Văn An`, `data-last-event-id="` + strconv.FormatInt(lastChange(t, f), 10) + `"`, `/dai-hoi/tep/live.js`} {
		if home.status != http.StatusOK || !strings.Contains(home.body, want) {
			t.Errorf("/dai-hoi (%d) lacks %s", home.status, want)
		}
	}
	prov := b.get(f.srv.URL + "/dai-hoi/79")
	for _, want := range []string{`data-territory="26740"`, `data-territory="25792"`, `Phường Bến Thành`, `data-scope="national"`} {
		if prov.status != http.StatusOK || !strings.Contains(prov.body, want) {
			t.Errorf("/dai-hoi/79 (%d) lacks %s", prov.status, want)
		}
	}
	if strings.Contains(prov.body, "/cap-nhat") || strings.Contains(prov.body, "@mattranso.test") {
		t.Errorf("the public page shows staff details")
	}
	staff := f.token("theo-doi.hcm@mattranso.test", auth.Viewer, hcmc+"/MTTQ")
	a := f.call(t, http.MethodGet, "/dai-hoi/79", staff, nil)
	if a.status != http.StatusOK || !strings.Contains(string(a.body), congress.EntryURL(term, saiGon)) ||
		!strings.Contains(string(a.body), hcmcReporter) {
		t.Errorf("staff's /dai-hoi/79 (%d) lacks the entry links or who wrote", a.status)
	}
	for _, path := range []string{"/dai-hoi/7", "/dai-hoi/26740", "/dai-hoi/99"} {
		if pg := b.get(f.srv.URL + path); pg.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, pg.status)
		}
	}
	if pg := b.get(f.srv.URL + "/dai-hoi/" + term); pg.status != http.StatusOK || !strings.Contains(pg.body, `href="/dai-hoi/79"`) {
		t.Errorf("/dai-hoi/%s: %d", term, pg.status)
	}
}
