package feedback_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// vnAt is a time in Vietnam, "2026-02-02 09:00".
func vnAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, feedback.Vietnam)
	if err != nil {
		panic(err)
	}
	return t
}

// seedItem is an item written straight into the table, with the times
// and state a figure depends on.
type seedItem struct {
	name     string // a label for the test only
	commune  string // the place
	unit     string // the receiving unit
	topic    string
	state    feedback.State
	created  string
	due      string
	answered string // "" when not answered
}

var seedSeq atomic.Int64

// seed writes items as they would be after their handling: the test
// controls every time a figure depends on.
func (e *env) seed(t testing.TB, items ...seedItem) {
	t.Helper()
	ctx := context.Background()
	for _, it := range items {
		u, err := org.ParseUnit(it.unit)
		if err != nil {
			t.Fatal(err)
		}
		terr, err := e.tree.Territory(ctx, u.Territory)
		if err != nil {
			t.Fatal(err)
		}
		commune, err := e.tree.Territory(ctx, it.commune)
		if err != nil {
			t.Fatal(err)
		}
		level := feedback.LevelCommune
		if terr.Level == org.Province {
			level = feedback.LevelProvince
		}
		var answered any
		if it.answered != "" {
			answered = vnAt(it.answered).Unix()
		}
		var outcome, reason string
		switch it.state {
		case feedback.Closed:
			outcome = string(feedback.Resolved)
		case feedback.Rejected:
			reason = "Không thuộc thẩm quyền"
		}
		n := seedSeq.Add(1)
		_, err = e.db.ExecContext(ctx, `INSERT INTO feedback_items (code, content, province, commune, level, unit, unit_path,
				topic, topic_source, state, outcome, reason, answer, created_at, updated_at, due_at, answered_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'officer', $9, $10, $11, $12, $13, $13, $14, $15)`,
			fmt.Sprintf("S%09d", n), "Phản ánh "+it.name, commune.ParentCode, it.commune, string(level), u.String(), terr.Path,
			it.topic, string(it.state), outcome, reason, map[bool]string{true: "Đã trả lời", false: ""}[it.answered != ""],
			vnAt(it.created).Unix(), vnAt(it.due).Unix(), answered)
		if err != nil {
			t.Fatalf("seed %s: %v", it.name, err)
		}
	}
}

// The items of the statistics tests. Hồ Chí Minh City (79) has the
// communes Sài Gòn (26734) and Bến Thành (26743); Hà Nội (01) has Ba
// Đình (00004). The period is Monday 2 February to Sunday 15 March 2026
// (six weeks; Tết Bính Ngọ is 16–20 February), read on Thursday 12 March
// at 10:00. Working days to answer are given beside each answered item.
var statsItems = []seedItem{
	// S1 goes through Submit and Update instead (see seedStats): dat_dai,
	// received Mon 2/2 09:00, due 9/2 17:00, answered Thu 5/2 10:00 — on
	// time, 3 days.
	{"S2", "26734", "26734/MTTQ", "dat_dai", feedback.Closed, "2026-02-03 09:00", "2026-02-10 17:00", "2026-02-12 10:00"},      // late, 7
	{"S3", "26734", "26734/MTTQ", "dat_dai", feedback.Answered, "2026-02-13 09:00", "2026-02-27 17:00", "2026-02-23 09:00"},    // on time, 1 (Tết)
	{"S4", "26734", "26734/MTTQ", "dat_dai", feedback.InProgress, "2026-03-02 09:00", "2026-03-09 17:00", ""},                  // late, open
	{"S5", "26734", "26734/MTTQ", "giao_thong", feedback.Accepted, "2026-03-09 09:00", "2026-03-20 17:00", ""},                 // due after the period
	{"S6", "26734", "26734/MTTQ", "moi_truong", feedback.Rejected, "2026-02-04 09:00", "2026-02-11 17:00", ""},                 // rejected: never due
	{"B1", "26743", "26743/MTTQ", "giao_thong", feedback.Closed, "2026-02-02 09:00", "2026-02-06 17:00", "2026-02-06 17:00"},   // on time at the deadline, 4
	{"B2", "26743", "26743/MTTQ", "giao_thong", feedback.Answered, "2026-02-10 09:00", "2026-02-24 17:00", "2026-02-10 15:00"}, // on time, 0
	{"B3", "26743", "26743/MTTQ", "moi_truong", feedback.Answered, "2026-02-25 09:00", "2026-03-04 17:00", "2026-03-05 09:00"}, // late, 6
	{"B4", "26743", "26743/MTTQ", "giao_thong", feedback.Received, "2026-03-10 09:00", "2026-03-13 17:00", ""},                 // not yet due
	{"B5", "26743", "26743/MTTQ", "giao_thong", feedback.Received, "2026-03-12 08:00", "2026-03-19 17:00", ""},                 // due after the period
	// Received by the city's own committee, about Sài Gòn.
	{"P1", "26734", "79/MTTQ", "tham_nhung_tieu_cuc", feedback.Answered, "2026-02-16 08:00", "2026-03-06 17:00", "2026-03-02 10:00"}, // on time, 6
	// Received by Sài Gòn's Hội Nông dân: under the Front, not its own.
	{"H1", "26734", "26734/HND", "dat_dai", feedback.Answered, "2026-02-20 10:00", "2026-03-03 17:00", "2026-03-03 09:00"}, // on time, 7
	// Received before the period: O1 is due and answered in it.
	{"O1", "26734", "26734/MTTQ", "dat_dai", feedback.Answered, "2026-01-20 09:00", "2026-02-03 17:00", "2026-02-04 09:00"}, // late, 11
	{"O2", "26734", "26734/MTTQ", "dat_dai", feedback.Answered, "2026-01-05 09:00", "2026-01-12 17:00", "2026-01-09 09:00"},
	// Hà Nội.
	{"N1", "00004", "00004/MTTQ", "dat_dai", feedback.Answered, "2026-02-03 09:00", "2026-02-10 17:00", "2026-02-06 09:00"}, // on time, 3
	{"N2", "00004", "00004/MTTQ", "y_te", feedback.Received, "2026-02-05 09:00", "2026-02-12 17:00", ""},                    // late, open
}

// statsEnv is the feedback service with its statistics inside the real
// site (web, auth with tokens, org's containment), the items above stored.
type statsEnv struct {
	*env
	t     *testing.T
	auth  *auth.Service
	stats *feedback.Stats
	h     http.Handler
}

const statsPeriod = "from=2026-02-02&to=2026-03-15"

func newStatsEnv(t *testing.T, db *store.DB) *statsEnv {
	t.Helper()
	ctx := t.Context()
	e := newEnv(t, db, envOptions{})
	se := &statsEnv{env: e, t: t}
	se.seedStats()
	e.now = vnAt("2026-03-12 10:00")
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	se.auth, err = auth.New(auth.Options{DB: db, Units: org.IDs{Store: e.tree}, Logger: log, LoginLimiter: auth.NewLimiter(rate.Inf, 1)})
	if err != nil {
		t.Fatal(err)
	}
	se.stats, err = feedback.NewStats(e.svc, feedback.StatsOptions{Access: auth.Check, Workdays: workday.Default(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	se.h = web.New(web.Options{
		Logger: log,
		Modules: []web.Module{
			{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				se.auth.Register(r, p)
				return nil
			}},
			{Name: "feedback", Templates: feedback.Templates, Funcs: feedback.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				e.svc.Register(r, p)
				se.stats.Register(r, p)
				return nil
			}},
		},
		Middleware: []func(http.Handler) http.Handler{se.auth.Middleware},
		CSRFField:  auth.CSRFField,
	})
	return se
}

// seedStats stores statsItems, and S1 through intake and the officers'
// updates, as it happens in service.
func (se *statsEnv) seedStats() {
	t, e := se.t, se.env
	ctx := context.Background()
	e.now = vnAt("2026-02-02 09:00")
	it := e.submit(t, `{"content":"Tranh chấp ranh giới đất giữa hai hộ ở khu phố 3, đề nghị phường giải quyết.","commune_code":"26734"}`)
	if it.Unit != "26734/MTTQ" {
		t.Fatalf("S1 received by %s", it.Unit)
	}
	officer := feedback.Change{Actor: "can.bo@mttq.vn", Action: "move"}
	move := func(to feedback.State, set func(*feedback.Item)) {
		t.Helper()
		if _, err := e.store.Update(ctx, it.ID, officer, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
			x.State = to
			if set != nil {
				set(x)
			}
			return nil
		}); err != nil {
			t.Fatalf("S1 to %s: %v", to, err)
		}
	}
	move(feedback.Accepted, func(x *feedback.Item) {
		x.Topic, x.TopicSource, x.DueAt = "dat_dai", feedback.TopicOfficer, vnAt("2026-02-09 17:00")
	})
	move(feedback.InProgress, nil)
	e.now = vnAt("2026-02-05 10:00")
	move(feedback.Answered, func(x *feedback.Item) { x.Answer = "Phường đã hòa giải, hai hộ thống nhất ranh giới." })
	e.seed(t, statsItems...)
}

// token grants role at unit to email and returns a bearer token for it.
func (se *statsEnv) token(email string, role auth.Role, unit string) string {
	se.t.Helper()
	if _, err := se.auth.Store().Grant(se.t.Context(), email, role, unit, "test"); err != nil {
		se.t.Fatal(err)
	}
	secret, _, err := se.auth.Store().CreateToken(se.t.Context(), auth.TokenSpec{Email: email, Role: role, Unit: unit, CreatedBy: "test"})
	if err != nil {
		se.t.Fatal(err)
	}
	return secret
}

func (se *statsEnv) get(target, token string) answer {
	se.t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	se.h.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if w.Code >= 400 && strings.HasPrefix(target, "/api/") {
		var env struct {
			Error struct{ Code, Message, Field string }
		}
		if err := json.Unmarshal(a.body, &env); err != nil {
			se.t.Fatalf("%s: %d %s: not the API's error", target, w.Code, a.body)
		}
		a.err.Code, a.err.Message, a.err.Field = env.Error.Code, env.Error.Message, env.Error.Field
	}
	return a
}

func (se *statsEnv) figures(target, token string) feedback.Figures {
	se.t.Helper()
	a := se.get(target, token)
	if a.status != http.StatusOK {
		se.t.Fatalf("%s: %d %s", target, a.status, a.body)
	}
	var f feedback.Figures
	a.json(se.t, &f)
	return f
}

// tally is the counts of a Tally, with the rate and the median, for
// comparing.
type tally struct {
	received, answered, due, onTime, late, lateOpen, notYetDue int
	rate, median                                               float64 // NaN: null
}

func tallyOf(x feedback.Tally) tally {
	t := tally{x.Received, x.Answered, x.Due, x.OnTime, x.Late, x.LateOpen, x.NotYetDue, math.NaN(), math.NaN()}
	if x.OnTimeRate != nil {
		t.rate = *x.OnTimeRate
	}
	if x.MedianDays != nil {
		t.median = *x.MedianDays
	}
	return t
}

func checkTally(t *testing.T, what string, got feedback.Tally, want tally) {
	t.Helper()
	g := tallyOf(got)
	same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9 }
	if g.received != want.received || g.answered != want.answered || g.due != want.due || g.onTime != want.onTime ||
		g.late != want.late || g.lateOpen != want.lateOpen || g.notYetDue != want.notYetDue || !same(g.rate, want.rate) || !same(g.median, want.median) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, want)
	}
}

var null = math.NaN()

// The figures of a province, counted by hand from statsItems: by state,
// topic, unit and week, the on-time rate of the items due, the exact
// median in working days (Tết skipped), and the commune × topic table.
func TestStatsFigures(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		se := newStatsEnv(t, db)
		viewer := se.token("xem.tinh@mttq.vn", auth.Viewer, "79/MTTQ")
		f := se.figures("/api/v1/feedback/stats?unit=79/MTTQ&"+statsPeriod, viewer)

		if f.Unit.ID != "79/MTTQ" || f.From != "2026-02-02" || f.To != "2026-03-15" {
			t.Errorf("unit and period: %+v %s %s", f.Unit, f.From, f.To)
		}
		// Received in the period: S1–S6, B1–B5, P1, H1. Answered in it:
		// S1 3, S2 7, S3 1, B1 4, B2 0, B3 6, P1 6, H1 7, O1 11 working
		// days: the middle of nine is 6. Due in it (S6 rejected; S5, B5
		// due later): on time S1 S3 B1 B2 P1 H1, late S2 S4 B3 O1 (S4
		// open), not yet due B4.
		checkTally(t, "totals", f.Totals, tally{13, 9, 11, 6, 4, 1, 1, 0.6, 6})

		states := map[feedback.State]int{}
		for _, s := range f.ByState {
			states[s.State] = s.Count
			if s.Label == "" {
				t.Errorf("state %s without its label", s.State)
			}
		}
		wantStates := map[feedback.State]int{feedback.Received: 2, feedback.Accepted: 1, feedback.Rejected: 1, feedback.Forwarded: 0,
			feedback.InProgress: 1, feedback.Answered: 6, feedback.Closed: 2}
		if len(f.ByState) != len(feedback.States) || fmt.Sprint(states) != fmt.Sprint(wantStates) {
			t.Errorf("by state %v, want %v", states, wantStates)
		}
		topics := map[string]int{}
		for _, c := range f.ByTopic {
			topics[c.Topic] += c.Count
		}
		if topics["dat_dai"] != 5 || topics["giao_thong"] != 5 || topics["moi_truong"] != 2 || topics["tham_nhung_tieu_cuc"] != 1 ||
			topics["y_te"] != 0 || len(f.ByTopic) != 13 {
			t.Errorf("by topic %v (%d topics)", topics, len(f.ByTopic))
		}

		// The city's own items, then its communes by name.
		if len(f.ByUnit) != 3 {
			t.Fatalf("by unit: %+v", f.ByUnit)
		}
		for i, w := range []struct {
			unit string
			own  bool
			t    tally
		}{
			{"79/MTTQ", true, tally{1, 1, 1, 1, 0, 0, 0, 1, 6}},
			{"26743/MTTQ", false, tally{5, 3, 4, 2, 1, 0, 1, 2.0 / 3, 4}},
			// With Hội Nông dân's H1; O1 answered and due in the period;
			// medians of 1 3 7 7 11.
			{"26734/MTTQ", false, tally{7, 5, 6, 3, 3, 1, 0, 0.5, 7}},
		} {
			u := f.ByUnit[i]
			if u.Unit != w.unit || u.Own != w.own || u.Name == "" {
				t.Errorf("by unit %d: %s own %v %q, want %s", i, u.Unit, u.Own, u.Name, w.unit)
			}
			checkTally(t, "unit "+u.Unit, u.Tally, w.t)
		}

		// Weeks from Monday 2 February; W1's two answers took 7 and 0
		// days: the median of an even count is the mean of the middle two.
		wantWeeks := []tally{
			{4, 3, 2, 1, 1, 0, 0, 0.5, 4},
			{2, 2, 2, 1, 1, 0, 0, 0.5, 3.5},
			{2, 0, 0, 0, 0, 0, 0, null, null},
			{1, 1, 2, 2, 0, 0, 0, 1, 1},
			{1, 3, 3, 2, 1, 0, 0, 2.0 / 3, 6},
			{3, 0, 2, 0, 1, 1, 1, 0, null},
		}
		if len(f.Weeks) != len(wantWeeks) {
			t.Fatalf("%d weeks: %+v", len(f.Weeks), f.Weeks)
		}
		for i, w := range wantWeeks {
			if want := vnAt("2026-02-02 00:00").AddDate(0, 0, 7*i).Format(time.DateOnly); f.Weeks[i].Start != want {
				t.Errorf("week %d starts %s, want %s", i, f.Weeks[i].Start, want)
			}
			checkTally(t, "week "+f.Weeks[i].Start, f.Weeks[i].Tally, w)
		}

		// Commune × topic: Sài Gòn 8 (dat_dai 5, moi_truong 1, giao_thong
		// 1, tham_nhung 1), Bến Thành 5 (moi_truong 1, giao_thong 4).
		// Bến Thành × giao_thong: 4 against 5 × 5 / 13 = 1.92 expected, a
		// low spot; Sài Gòn × dat_dai: 5 against 3.08, not.
		a := f.Areas
		if a.Total != 13 || len(a.Rows) != 2 {
			t.Fatalf("commune × topic: %+v", a)
		}
		var cols []string
		for _, tp := range a.Topics {
			cols = append(cols, tp.Topic)
		}
		if want := []string{"dat_dai", "moi_truong", "giao_thong", "tham_nhung_tieu_cuc"}; !slices.Equal(cols, want) ||
			!slices.Equal(a.TopicTotals, []int{5, 2, 5, 1}) {
			t.Errorf("columns %v %v, want %v [5 2 5 1]", cols, a.TopicTotals, want)
		}
		wantRows := []struct {
			commune  string
			total    int
			counts   []int
			expected []float64
			low      []bool
		}{
			{"26734", 8, []int{5, 1, 1, 1}, []float64{3.08, 1.23, 3.08, 0.62}, []bool{false, false, false, false}},
			{"26743", 5, []int{0, 1, 4, 0}, []float64{1.92, 0.77, 1.92, 0.38}, []bool{false, false, true, false}},
		}
		for i, w := range wantRows {
			r := a.Rows[i]
			if r.Commune != w.commune || r.Total != w.total || r.Province != "79" || r.Name == "" {
				t.Errorf("row %d: %s %q total %d province %s, want %s %d", i, r.Commune, r.Name, r.Total, r.Province, w.commune, w.total)
				continue
			}
			for j, c := range r.Cells {
				if c.Count != w.counts[j] || math.Abs(c.Expected-w.expected[j]) > 0.006 || c.LowSpot != w.low[j] {
					t.Errorf("%s × %s: %+v, want %d expected %.2f low spot %v", r.Commune, cols[j], c, w.counts[j], w.expected[j], w.low[j])
				}
				wantURL := ""
				if c.Count > 0 {
					wantURL = "/quan-tri/phan-anh?commune=" + r.Commune + "&topic=" + cols[j]
				}
				if c.ItemsURL != wantURL {
					t.Errorf("%s × %s: items at %q, want %q", r.Commune, cols[j], c.ItemsURL, wantURL)
				}
			}
		}
		if len(a.LowSpots) != 1 || a.LowSpots[0].Commune != "26743" || a.LowSpots[0].Topic != "giao_thong" || a.LowSpots[0].Count != 4 ||
			math.Abs(a.LowSpots[0].Ratio-2.08) > 0.006 {
			t.Errorf("low spots %+v, want Bến Thành × giao_thong, 4, ratio 2.08", a.LowSpots)
		}
	})
}

// Who sees what: a commune's viewer sees their commune only, a province's
// aggregates its communes, an organisation other than the Front its own
// units, the centre everything; nobody signed in sees nothing.
func TestStatsPermissions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		se := newStatsEnv(t, db)
		commune := se.token("xem.xa@mttq.vn", auth.Viewer, "26734/MTTQ")
		province := se.token("xem.tinh@mttq.vn", auth.Viewer, "79/MTTQ")
		farmers := se.token("hnd.tinh@mttq.vn", auth.Viewer, "79/HND")
		centre := se.token("tw@mttq.vn", auth.Officer, "VN/MTTQ")
		staff := se.token("can.bo@mttq.vn", auth.Staff, "VN/MTTQ")

		// Without a unit: the one the user holds.
		f := se.figures("/api/v1/feedback/stats?"+statsPeriod, commune)
		if f.Unit.ID != "26734/MTTQ" || f.Totals.Received != 7 || len(f.Areas.Rows) != 1 || f.Areas.Rows[0].Commune != "26734" {
			t.Errorf("commune viewer: %s received %d, areas %+v", f.Unit.ID, f.Totals.Received, f.Areas.Rows)
		}
		for _, u := range f.ByUnit {
			if u.Unit != "26734/MTTQ" {
				t.Errorf("commune viewer sees unit %s", u.Unit)
			}
		}
		p := se.figures("/api/v1/feedback/stats?"+statsPeriod, province)
		sum := 0
		for _, u := range p.ByUnit {
			sum += u.Received
		}
		if p.Unit.ID != "79/MTTQ" || p.Totals.Received != 13 || sum != 13 {
			t.Errorf("province viewer: %s received %d, by unit %d", p.Unit.ID, p.Totals.Received, sum)
		}
		// Down the tree from the province.
		if f := se.figures("/api/v1/feedback/stats?unit=26743/MTTQ&"+statsPeriod, province); f.Totals.Received != 5 {
			t.Errorf("province viewer on Bến Thành: %d received", f.Totals.Received)
		}
		if f := se.figures("/api/v1/feedback/stats?unit=79/HND&"+statsPeriod, farmers); f.Totals.Received != 1 || f.Totals.OnTime != 1 ||
			len(f.ByUnit) != 3 || f.ByUnit[2].Unit != "26734/HND" || f.ByUnit[2].Received != 1 {
			t.Errorf("Hội Nông dân of the city: %+v %+v", f.Totals, f.ByUnit)
		}
		// The centre: both provinces; Ba Đình × y_te is 7.5 times what
		// the margins predict but holds one item, not a low spot.
		c := se.figures("/api/v1/feedback/stats?unit=VN/MTTQ&"+statsPeriod, centre)
		if c.Totals.Received != 15 || len(c.ByUnit) != 3 || c.ByUnit[1].Unit != "01/MTTQ" || c.ByUnit[1].Received != 2 ||
			c.ByUnit[2].Unit != "79/MTTQ" || c.ByUnit[2].Received != 13 {
			t.Errorf("centre: %d received, %+v", c.Totals.Received, c.ByUnit)
		}
		if len(c.Areas.LowSpots) != 1 || c.Areas.LowSpots[0].Commune != "26743" || math.Abs(c.Areas.LowSpots[0].Ratio-2.4) > 0.006 {
			t.Errorf("centre's low spots %+v", c.Areas.LowSpots)
		}
		for _, r := range c.Areas.Rows {
			for j, cell := range r.Cells {
				if r.Commune == "00004" && c.Areas.Topics[j].Topic == "y_te" && (cell.Count != 1 || cell.Ratio < 7 || cell.LowSpot) {
					t.Errorf("Ba Đình × y_te %+v", cell)
				}
			}
		}

		for _, x := range []struct {
			what, target, token string
			status              int
		}{
			{"the commune's viewer asks for the province", "/api/v1/feedback/stats?unit=79/MTTQ", commune, 403},
			{"the commune's viewer asks for its sibling", "/api/v1/feedback/stats?unit=26743/MTTQ", commune, 403},
			{"the province's viewer asks for another province", "/api/v1/feedback/stats?unit=01/MTTQ", province, 403},
			{"Hội Nông dân asks for the Front", "/api/v1/feedback/stats?unit=79/MTTQ", farmers, 403},
			{"staff may not read reports", "/api/v1/feedback/stats", staff, 403},
			{"the export of another province", "/api/v1/feedback/stats/export.csv?unit=01/MTTQ", province, 403},
			{"the XLSX of another province", "/api/v1/feedback/stats/export.xlsx?unit=01/MTTQ", province, 403},
			{"nobody signed in", "/api/v1/feedback/stats?unit=79/MTTQ", "", 401},
			{"nobody signed in, export", "/api/v1/feedback/stats/export.xlsx", "", 401},
		} {
			a := se.get(x.target, x.token)
			if a.status != x.status || a.err.Message == "" || (x.status == 403 && a.err.Field != "unit") {
				t.Errorf("%s: %d %+v, want %d naming unit", x.what, a.status, a.err, x.status)
			}
			if bytes.Contains(a.body, []byte("received")) {
				t.Errorf("%s: figures in the refusal: %s", x.what, a.body)
			}
		}
		// The page: nobody signed in is sent to sign in; a refused unit
		// is a page saying so, with the form.
		if a := se.get("/quan-tri/phan-anh/thong-ke?unit=79/MTTQ", ""); a.status != http.StatusSeeOther ||
			!strings.HasPrefix(a.header.Get("Location"), "/auth/login?next=%2Fquan-tri%2Fphan-anh%2Fthong-ke") {
			t.Errorf("page, nobody signed in: %d %s", a.status, a.header.Get("Location"))
		}
		if a := se.get("/quan-tri/phan-anh/thong-ke?unit=79/MTTQ", commune); a.status != 403 ||
			!bytes.Contains(a.body, []byte("không được xem thống kê của đơn vị 79/MTTQ")) || !bytes.Contains(a.body, []byte(`name="from"`)) {
			t.Errorf("page of a unit out of reach: %d %.300s", a.status, a.body)
		}
	})
}

// Bad parameters are refused naming the parameter, in Vietnamese with
// English after; the bounds of a period hold at their edge.
func TestStatsBadParameters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		se := newStatsEnv(t, db)
		admin := se.token("quan.tri@mttq.vn", auth.Admin, "VN/MTTQ")
		for _, c := range []struct {
			query, code, field string
		}{
			{"from=2026-02-30", "invalid_date", "from"},
			{"from=" + url.QueryEscape("hôm qua"), "invalid_date", "from"},
			{"to=2026/03/01", "invalid_date", "to"},
			{"to=2026-3-1", "invalid_date", "to"},
			{"from=2026-03-02&to=2026-03-01", "invalid_period", "from"},
			{"from=2024-01-01&to=2026-01-02", "period_too_long", "to"},
			{"unit=79", "invalid_unit", "unit"},
			{"unit=79/ABC", "invalid_unit", "unit"},
			{"unit=" + strings.Repeat("7", 300) + "/MTTQ", "invalid_unit", "unit"},
			{"unit=99999/MTTQ", "unknown_unit", "unit"},
		} {
			for _, path := range []string{"/api/v1/feedback/stats", "/api/v1/feedback/stats/export.csv", "/api/v1/feedback/stats/export.xlsx"} {
				a := se.get(path+"?"+c.query, admin)
				if a.status != http.StatusBadRequest || a.err.Code != c.code || a.err.Field != c.field ||
					!strings.Contains(a.err.Message, "(") || len(a.err.Message) > 400 {
					t.Errorf("%s?%s: %d %+v, want 400 %s naming %s", path, c.query, a.status, a.err, c.code, c.field)
				}
			}
			// The page shows the refusal next to the form.
			if a := se.get("/quan-tri/phan-anh/thong-ke?"+c.query, admin); a.status != http.StatusBadRequest || !bytes.Contains(a.body, []byte("pa-field--error")) {
				t.Errorf("page ?%s: %d", c.query, a.status)
			}
		}
		if a := se.get("/api/v1/feedback/stats/export.csv?table=khong-co", admin); a.status != 400 || a.err.Field != "table" || a.err.Code != "invalid_table" {
			t.Errorf("unknown table: %d %+v", a.status, a.err)
		}
		// Exactly two years is allowed; a default period is 12 weeks to
		// today.
		if f := se.figures("/api/v1/feedback/stats?from=2024-03-12&to=2026-03-12", admin); f.From != "2024-03-12" || len(f.Weeks) != 105 {
			t.Errorf("two years: %s, %d weeks", f.From, len(f.Weeks))
		}
		f := se.figures("/api/v1/feedback/stats", admin)
		if f.To != "2026-03-12" || f.From != "2025-12-22" || len(f.Weeks) != feedback.DefaultWeeks || f.Unit.ID != "VN/MTTQ" {
			t.Errorf("default period: %s to %s, %d weeks, unit %s", f.From, f.To, len(f.Weeks), f.Unit.ID)
		}
		// Only to: the 12 weeks before it.
		if f := se.figures("/api/v1/feedback/stats?to=2026-02-15", admin); f.From != "2025-11-24" {
			t.Errorf("to alone: from %s", f.From)
		}
	})
}

// The exports hold the figures of the JSON: CSV in UTF-8 with a BOM and
// text that cannot run as a formula; XLSX read back with excelize, a
// sheet per table, rates as numbers, low spots highlighted.
func TestStatsExports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		se := newStatsEnv(t, db)
		// A topic from an older taxonomy whose id a spreadsheet would run.
		se.seed(t, seedItem{"X1", "26734", "26734/MTTQ", "=1+2", feedback.Received, "2026-03-11 09:00", "2026-03-25 17:00", ""})
		viewer := se.token("xem.tinh@mttq.vn", auth.Viewer, "79/MTTQ")

		a := se.get("/api/v1/feedback/stats/export.csv?unit=79/MTTQ&"+statsPeriod+"&table=unit", viewer)
		if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv; charset=utf-8") ||
			a.header.Get("Content-Disposition") != `attachment; filename="thong-ke-phan-anh_79-MTTQ_2026-02-02_2026-03-15_unit.csv"` {
			t.Fatalf("CSV: %d %v", a.status, a.header)
		}
		if !bytes.HasPrefix(a.body, []byte("\ufeff")) {
			t.Errorf("the CSV has no byte order mark: %q", a.body[:10])
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(a.body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"79/MTTQ", "1", "1", "1", "1", "0", "0", "0", "100", "6"},
			{"26743/MTTQ", "5", "3", "4", "2", "1", "0", "1", "66.67", "4"},
			{"26734/MTTQ", "8", "5", "6", "3", "3", "1", "0", "50", "7"},
		}
		if len(rows) != 4 || len(rows[0]) != 11 || rows[0][0] != "Mã đơn vị (unit id)" {
			t.Fatalf("CSV by unit: %q", rows)
		}
		for i, w := range want {
			got := append([]string{rows[i+1][0]}, rows[i+1][2:]...)
			if !slices.Equal(got, w) {
				t.Errorf("CSV row %d: %q, want %q", i+1, got, w)
			}
		}
		if !strings.Contains(rows[1][1], "Hồ Chí Minh") || !strings.HasSuffix(rows[1][1], "(tiếp nhận trực tiếp)") {
			t.Errorf("CSV own row named %q", rows[1][1])
		}

		a = se.get("/api/v1/feedback/stats/export.csv?unit=79/MTTQ&"+statsPeriod+"&table=topic", viewer)
		rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(a.body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if r[0] == "'=1+2" && r[1] == "'=1+2" && r[2] == "1" {
				found = true
			}
			for _, c := range r {
				if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
					t.Errorf("CSV cell %q would run as a formula", c)
				}
			}
		}
		if !found {
			t.Errorf("the topic =1+2 is not in the CSV, guarded: %q", rows)
		}

		a = se.get("/api/v1/feedback/stats/export.xlsx?unit=79/MTTQ&"+statsPeriod, viewer)
		if a.status != 200 || a.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("XLSX: %d %v", a.status, a.header)
		}
		x, err := excelize.OpenReader(bytes.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if got := x.GetSheetList(); !slices.Equal(got, []string{"Tổng hợp", "Theo đơn vị", "Theo lĩnh vực", "Xã × lĩnh vực", "Theo tuần"}) {
			t.Errorf("sheets %q", got)
		}
		cell := func(sheet, name string) string {
			t.Helper()
			v, err := x.GetCellValue(sheet, name, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		// Sài Gòn's row: 8 received (with X1), rate 0.5 as a number shown as a
		// percentage, median 7.
		xr, err := x.GetRows("Theo đơn vị", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(xr) != 4 || xr[3][0] != "26734/MTTQ" || xr[3][2] != "8" || xr[3][9] != "0.5" || xr[3][10] != "7" {
			t.Errorf("XLSX by unit: %q", xr)
		}
		if v, _ := x.GetCellValue("Theo đơn vị", "J4"); v != "50.00%" {
			t.Errorf("the rate is shown as %q, want 50.00%%", v)
		}
		if !strings.Contains(cell("Tổng hợp", "B2"), "Hồ Chí Minh") || cell("Tổng hợp", "B3") != "79/MTTQ" {
			t.Errorf("summary unit %q", cell("Tổng hợp", "B2"))
		}
		wr, _ := x.GetRows("Theo tuần", excelize.Options{RawCellValue: true})
		if len(wr) != 7 || wr[1][0] != "2026-02-02" || wr[2][9] != "3.5" {
			t.Errorf("XLSX weekly: %q", wr)
		}
		// Commune × topic: Bến Thành's giao_thong is a low spot, marked
		// and named in the last column; the topic =1+2 is guarded.
		ar, _ := x.GetRows("Xã × lĩnh vực", excelize.Options{RawCellValue: true})
		head := ar[0]
		col := slices.Index(head, "Giao thông")
		if col < 0 || !slices.Contains(head, "'=1+2") || head[len(head)-1] != "Điểm trũng (low spots)" {
			t.Fatalf("XLSX commune × topic header %q", head)
		}
		var bt int
		for i, r := range ar {
			if r[0] == "26743" {
				bt = i
			}
		}
		if bt == 0 || ar[bt][col] != "4" || ar[bt][2] != "5" || ar[bt][len(ar[bt])-1] != "Giao thông" {
			t.Errorf("Bến Thành's row %q", ar[bt])
		}
		name, _ := excelize.CoordinatesToCellName(col+1, bt+1)
		style, err := x.GetCellStyle("Xã × lĩnh vực", name)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(style)
		if err != nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FFC7CE" {
			t.Errorf("the low spot %s is not highlighted: %+v %v", name, st, err)
		}
		if last := ar[len(ar)-1]; last[1] != "Tổng (total)" || last[2] != "14" {
			t.Errorf("XLSX commune × topic total row %q", last)
		}
	})
}

var svgBlock = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// The page: figures, the weekly and topic charts as SVG inside it (well
// formed, without style attributes the site's policy would refuse, with
// the series' names and values), the commune × topic table with its low
// spot, the exports; the items are linked for officers only.
func TestStatsPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		se := newStatsEnv(t, db)
		viewer := se.token("xem.tinh@mttq.vn", auth.Viewer, "79/MTTQ")
		officer := se.token("can.bo.tinh@mttq.vn", auth.Officer, "79/MTTQ")
		a := se.get("/quan-tri/phan-anh/thong-ke?unit=79/MTTQ&"+statsPeriod, viewer)
		if a.status != 200 || a.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("page: %d %v %.500s", a.status, a.header, a.body)
		}
		page := string(a.body)
		svgs := svgBlock.FindAllString(page, -1)
		if len(svgs) != 2 {
			t.Fatalf("%d charts in the page", len(svgs))
		}
		for i, svg := range svgs {
			texts := svgTexts(t, svg)
			if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
				t.Errorf("chart %d keeps style attributes or a script", i)
			}
			if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<title") {
				t.Errorf("chart %d has no accessible name", i)
			}
			switch i {
			case 0: // weekly: both series named, every week labelled
				for _, want := range []string{"Tiếp nhận", "Đã trả lời", "02/02", "09/02", "16/02", "23/02", "02/03", "09/03"} {
					if !slices.Contains(texts, want) {
						t.Errorf("weekly chart lacks %q: %q", want, texts)
					}
				}
			case 1: // topics: the four with items, with their counts
				for _, want := range []string{"Đất đai", "Giao thông", "Môi trường", "Tham nhũng – tiêu…", "5", "2", "1"} {
					if !slices.Contains(texts, want) {
						t.Errorf("topic chart lacks %q: %q", want, texts)
					}
				}
				if slices.Contains(texts, "Y tế") {
					t.Errorf("topic chart shows a topic without items")
				}
			}
		}
		for _, want := range []string{
			"60 %", // on-time rate
			">6<",  // median
			`class="tk-hot"`,
			"Phường Bến Thành</strong> · Giao thông: 4 phản ánh, gấp 2,1 lần dự kiến",
			`href="/quan-tri/phan-anh/thong-ke?from=2026-02-02&amp;to=2026-03-15&amp;unit=26743%2FMTTQ"`,
			`href="/api/v1/feedback/stats/export.xlsx?from=2026-02-02&amp;to=2026-03-15&amp;unit=79%2FMTTQ"`,
			`table=commune_topic`,
			`class="tk-scroll"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(page, "/quan-tri/phan-anh?commune=") {
			t.Errorf("a viewer is offered links to the items")
		}
		if p := string(se.get("/quan-tri/phan-anh/thong-ke?unit=79/MTTQ&"+statsPeriod, officer).body); !strings.Contains(p,
			`href="/quan-tri/phan-anh?commune=26743&amp;topic=giao_thong"`) {
			t.Errorf("an officer is not offered the items of the low spot")
		}
		// A period without items draws no chart and says so.
		a = se.get("/quan-tri/phan-anh/thong-ke?unit=79/MTTQ&from=2025-06-02&to=2025-06-29", viewer)
		if a.status != 200 || svgBlock.Match(a.body) || !bytes.Contains(a.body, []byte("Chưa có phản ánh nào trong khoảng thời gian này")) {
			t.Errorf("empty period: %d", a.status)
		}
	})
}

// svgTexts parses an SVG strictly and returns its text nodes.
func svgTexts(t *testing.T, svg string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var out []string
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if s := strings.TrimSpace(string(x)); s != "" {
				out = append(out, s)
			}
		}
	}
	if depth != 0 {
		t.Fatalf("the chart is not closed")
	}
	return out
}
