package congress

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

// The live part: a change stream per term (stream.go, events.go), the
// snapshot that the dashboard polls when the stream fails, and the
// dashboard (dashboard.go).
//
//	GET /api/v1/congress/{term}/events              server-sent events (events.go)
//	GET /api/v1/congress/{term}/snapshot?province=  the dashboard's figures (Snapshot), with an ETag
//	GET /dai-hoi                                    the dashboard of the current term, national
//	GET /dai-hoi/{province}                         a province and its communes (a term there: that term's national page)
//
// All are public; the dashboard shows staff (report.read on the scope)
// who last wrote each congress.

// LiveOptions configure the live part; the zero value is the defaults.
type LiveOptions struct {
	Stream StreamOptions
	// PollEvery, ListenPollEvery, Keep: see HubOptions.
	PollEvery, ListenPollEvery time.Duration
	Keep                       int
	// MaxClients bounds the event-stream clients of each term; 0:
	// DefaultMaxClients.
	MaxClients int
	// Now is the clock, in Vietnam; nil: Now.
	Now func() time.Time
}

// live is a Service's live part.
type live struct {
	o       LiveOptions
	hubs    map[string]*Hub
	streams map[string]*stream

	mu    sync.Mutex
	cache map[string]cachedSnapshot // by term and province
}

type cachedSnapshot struct {
	etag string
	body []byte
	snap *Snapshot
}

// SetLive configures the live part; call it before RunLive and before
// serving.
func (s *Service) SetLive(o LiveOptions) { s.liveParts().apply(o) }

func (s *Service) liveParts() *live {
	s.liveOnce.Do(func() { s.live = s.newLive() })
	return s.live
}

func (s *Service) newLive() *live {
	l := &live{hubs: map[string]*Hub{}, streams: map[string]*stream{}, cache: map[string]cachedSnapshot{}}
	for _, term := range s.store.Terms() {
		hub := NewHub(HubOptions{Term: term, Feed: s.store, Render: func(ctx context.Context, cs []Change) ([][]byte, error) {
			return s.renderChanges(ctx, term, cs)
		}, Logger: s.log})
		if s.store.DB().Dialect == store.Postgres {
			hub.o.Listen = ListenPostgres(s.store.DB().DB)
		}
		l.hubs[term] = hub
		l.streams[term] = newStream(term, hub, StreamOptions{}, s.log)
	}
	l.apply(LiveOptions{})
	// Every write wakes its term's hub, after whatever was called before.
	prev := s.store.on
	s.store.SetOnChange(func(c Change) {
		if prev != nil {
			prev(c)
		}
		if h := l.hubs[c.Term]; h != nil {
			h.Notify()
		}
	})
	return l
}

// apply sets the options, defaults for the zero ones, on every term's
// hub and stream.
func (l *live) apply(o LiveOptions) {
	if o.Now == nil {
		o.Now = Now
	}
	if o.MaxClients == 0 {
		o.MaxClients = DefaultMaxClients
	}
	l.o = o
	for term, h := range l.hubs {
		def := NewHub(HubOptions{PollEvery: o.PollEvery, ListenPollEvery: o.ListenPollEvery, Keep: o.Keep})
		h.o.PollEvery, h.o.ListenPollEvery, h.o.Keep, h.o.MaxClients = def.o.PollEvery, def.o.ListenPollEvery, def.o.Keep, o.MaxClients
		st := l.streams[term]
		*st = *newStream(term, h, o.Stream, st.log)
	}
}

// RunLive follows the changes of every term until ctx ends: the event
// streams end with it. Without it the streams wait.
func (s *Service) RunLive(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range s.liveParts().hubs {
		wg.Go(func() { h.Run(ctx) })
	}
	wg.Wait()
}

// Hub is the change stream of term, nil for a term not served.
func (s *Service) Hub(term string) *Hub { return s.liveParts().hubs[term] }

func (s *Service) registerLive(r Router) {
	l := s.liveParts()
	const base = "/api/v1/congress/{term}"
	r.Handle(http.MethodGet, base+"/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := l.streams[r.PathValue("term")]
		if st == nil {
			s.fail(w, r, fmt.Errorf("%w: term", ErrNotFound))
			return
		}
		st.serve(w, r)
	}))
	r.Handle(http.MethodGet, base+"/snapshot", http.HandlerFunc(s.apiSnapshot))
	if s.pages != nil {
		r.Handle(http.MethodGet, DashboardPath, http.HandlerFunc(s.dashboard))
		// The segment is the entry form's {term} to the router: a
		// province, or a term for that term's national page.
		r.Handle(http.MethodGet, DashboardPath+"/{term}", http.HandlerFunc(s.dashboard))
	}
}

// EventData is the data of a congress event.
type EventData struct {
	Congress Congress `json:"congress"`
	Summary  Summary  `json:"summary"`  // the congress's province
	National Summary  `json:"national"` // the whole country
}

// renderChanges makes the events' data of cs: each congress as it is now
// and the summaries after the changes, each read once.
func (s *Service) renderChanges(ctx context.Context, term string, cs []Change) ([][]byte, error) {
	now := s.liveParts().o.Now()
	national, err := s.store.Summary(ctx, term, "", now)
	if err != nil {
		return nil, err
	}
	congresses := map[string]Congress{}
	sums := map[string]Summary{}
	out := make([][]byte, len(cs))
	for i, ch := range cs {
		c, ok := congresses[ch.Territory]
		if !ok {
			if c, err = s.store.Get(ctx, term, ch.Territory); err != nil {
				return nil, err
			}
			congresses[ch.Territory] = c
		}
		sum, ok := sums[c.Province]
		if !ok {
			if sum, err = s.store.Summary(ctx, term, c.Province, now); err != nil {
				return nil, err
			}
			sums[c.Province] = sum
		}
		if out[i], err = json.Marshal(EventData{Congress: public(c), Summary: sum, National: national}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Snapshot is the dashboard's figures for a scope (the nation, or a
// province) at a change: what the page shows, and what it polls for when
// the event stream fails.
type Snapshot struct {
	Term         string `json:"term"`
	Province     string `json:"province,omitempty"` // "" for the nation
	ProvinceName string `json:"province_name,omitempty"`
	// LastEventID is the newest change the figures include: the id to
	// follow the event stream from.
	LastEventID int64   `json:"last_event_id"`
	Date        string  `json:"date"` // today in Vietnam
	Summary     Summary `json:"summary"`
	National    Summary `json:"national"`
	// Provinces are the provinces' summaries (nation only).
	Provinces []ProvinceRow `json:"provinces,omitempty"`
	// Congresses are the province's and its communes' (province only).
	Congresses []Congress `json:"congresses,omitempty"`
	Today      []Congress `json:"today"`    // expected today, not held
	Upcoming   []Congress `json:"upcoming"` // expected in the next 7 days, not held
	Latest     []Congress `json:"latest"`   // held, the latest written first
	Timeline   []DayCount `json:"timeline"` // held by the day they were held
}

// ProvinceRow is one province's line of the national table.
type ProvinceRow struct {
	Code    string  `json:"code"`
	Name    string  `json:"name"`
	Summary Summary `json:"summary"`
}

// DayCount is how many congresses were held on a day.
type DayCount struct {
	Date string `json:"date"`
	Held int    `json:"held"`
}

// Lengths of the snapshot's lists.
const (
	maxLatest = 10
	maxDays   = 7
)

// summarize counts cs as Store.Summary does, as of today.
func summarize(cs []Congress, today time.Time) Summary {
	var sum Summary
	from, to := today.Format(dateLayout), today.AddDate(0, 0, maxDays).Format(dateLayout)
	for _, c := range cs {
		sum.Expected++
		switch c.Status {
		case Held:
			sum.Held++
		case Preparing:
			sum.Preparing++
		case Postponed:
			sum.Postponed++
		default:
			sum.Planned++
		}
		if d := c.Date(); c.Status != Held && d != "" && d >= from && d <= to {
			sum.Upcoming7d++
		}
	}
	if sum.Expected > 0 {
		sum.PercentHeld = math.Round(float64(sum.Held)*1000/float64(sum.Expected)) / 10
	}
	return sum
}

// snapshot computes the figures of term in province ("" for the nation)
// at change last.
func (s *Service) snapshot(ctx context.Context, term, province string, last int64, now time.Time) (*Snapshot, error) {
	all, err := s.store.List(ctx, term, Filter{Province: province})
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Term: term, Province: province, LastEventID: last, Date: now.Format(dateLayout),
		Today: []Congress{}, Upcoming: []Congress{}, Latest: []Congress{}, Timeline: []DayCount{}}
	snap.Summary = summarize(all, now)
	if province == "" {
		snap.National = snap.Summary
		byProvince := map[string][]Congress{}
		var order []string
		names := map[string]string{}
		for _, c := range all {
			if c.Level == org.Province {
				order = append(order, c.Territory)
				names[c.Territory] = c.TerritoryName
			}
			byProvince[c.Province] = append(byProvince[c.Province], c)
		}
		for _, p := range order {
			snap.Provinces = append(snap.Provinces, ProvinceRow{Code: p, Name: names[p], Summary: summarize(byProvince[p], now)})
		}
	} else {
		if snap.National, err = s.store.Summary(ctx, term, "", now); err != nil {
			return nil, err
		}
		for i := range all {
			all[i] = public(all[i])
			if all[i].Territory == province {
				snap.ProvinceName = all[i].TerritoryName
			}
		}
		snap.Congresses = all
	}
	today, end := now.Format(dateLayout), now.AddDate(0, 0, maxDays).Format(dateLayout)
	held := map[string]int{}
	var latest []Congress
	for _, c := range all {
		d := c.Date()
		switch {
		case c.Status == Held:
			latest = append(latest, public(c))
			if d != "" {
				held[d]++
			}
		case d == today:
			snap.Today = append(snap.Today, public(c))
		case d > today && d <= end:
			snap.Upcoming = append(snap.Upcoming, public(c))
		}
	}
	slices.SortStableFunc(snap.Upcoming, func(a, b Congress) int { return strings.Compare(a.Date(), b.Date()) })
	slices.SortStableFunc(latest, func(a, b Congress) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	snap.Latest = append(snap.Latest, latest[:min(len(latest), maxLatest)]...)
	for d, n := range held {
		snap.Timeline = append(snap.Timeline, DayCount{Date: d, Held: n})
	}
	slices.SortFunc(snap.Timeline, func(a, b DayCount) int { return cmp.Compare(a.Date, b.Date) })
	return snap, nil
}

// current is the snapshot of term and province as of the newest change,
// computed once per change and day and kept for the next asker: every
// dashboard polls the same few.
func (s *Service) current(ctx context.Context, term, province string) (cachedSnapshot, error) {
	if err := s.store.CheckTerm(term); err != nil {
		return cachedSnapshot{}, err
	}
	last, err := s.store.LastChange(ctx, term)
	if err != nil {
		return cachedSnapshot{}, err
	}
	l := s.liveParts()
	now := l.o.Now()
	etag := `"` + strconv.FormatInt(last, 10) + "-" + now.Format("20060102") + "-" + cmp.Or(province, "VN") + `"`
	key := term + "/" + province
	l.mu.Lock()
	c, ok := l.cache[key]
	l.mu.Unlock()
	if ok && c.etag == etag {
		return c, nil
	}
	snap, err := s.snapshot(ctx, term, province, last, now)
	if err != nil {
		return cachedSnapshot{}, err
	}
	body, err := json.Marshal(snap)
	if err != nil {
		return cachedSnapshot{}, err
	}
	c = cachedSnapshot{etag: etag, body: append(body, '\n'), snap: snap}
	l.mu.Lock()
	if len(l.cache) > 1000 {
		clear(l.cache)
	}
	l.cache[key] = c
	l.mu.Unlock()
	return c, nil
}

// provinceParam reads ?province=, "" for the nation.
func provinceParam(r *http.Request) string {
	return strings.TrimSpace(r.URL.Query().Get("province"))
}

func (s *Service) apiSnapshot(w http.ResponseWriter, r *http.Request) {
	c, err := s.current(r.Context(), r.PathValue("term"), provinceParam(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("ETag", c.etag)
	// Always asked again, answered 304 while nothing changed.
	h.Set("Cache-Control", "no-cache")
	if etagMatch(r.Header.Get("If-None-Match"), c.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(c.body)
	}
}

// etagMatch reports whether an If-None-Match header names etag.
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
