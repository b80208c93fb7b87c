package feedback

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/topic"
)

// Statistics and area analysis: the figures of a unit's subtree over a
// period, summed by the database from the items as they are (there is no
// table of figures to fall behind), for viewers and officers of the unit
// or a unit above it.
//
// # What is counted, and when
//
// A period is a run of whole days in Vietnam (UTC+7), From to To
// inclusive; weeks start on Monday. Each figure counts items by the time
// of one event:
//
//   - received, by state, by topic, by commune × topic: the items
//     received (created_at) in the period, in their current state and
//     topic;
//   - answered and the time to answer: the items whose answer (answered_at,
//     the latest answer when an item was reopened and answered again) was
//     given in the period;
//   - the on-time rate: the items DUE in the period (due_at in it),
//     rejected items left out (they are refused, not answered). An item
//     answered by its deadline (answered_at ≤ due_at) is on time; one
//     answered after it is late, and so is one not answered whose deadline
//     has passed (due_at < now). One not answered whose deadline is still
//     ahead is not yet due and is counted in neither: the rate is
//     on time / (on time + late), and null when both are 0. An item
//     answered and then reopened keeps the answer it was given until it
//     is answered again.
//
// The time to answer is counted in working days by the calendar the
// deadlines use (weekends and holidays, Tết included, skipped): the
// working days after the day an item was received up to and including the
// day it was answered, so an answer on the day of receipt takes 0 and one
// on the next working day 1 (workday.Calendar.Between). The median is
// exact: the middle value of the sorted durations, the mean of the two
// middle values for an even count, computed over the items themselves.
//
// # Units
//
// The subtree of a unit is what Store.List lists for it: the items whose
// receiving unit lies in its territory's subtree — of any organisation for
// the Front (MTTQ), whose member organisations it contains, or of the same
// organisation otherwise. By unit, the items are summed per child of the
// unit's territory (a province's communes, the centre's provinces): the
// unit's own items (received at its own level) in one row, each child's
// subtree in another.
//
// # Low spots
//
// The commune × topic table counts the items received in the period by
// the commune they are about and their topic. A cell is a low spot (điểm
// trũng) — complaints of one kind concentrated in one place — when it
// holds at least LowSpotMin items and at least LowSpotRatio times what the
// margins predict if topics were spread alike across communes: expected =
// row total × column total / table total, ratio = count / expected.
// Untagged items are counted in the margins but never make a low spot.

// The thresholds of a low spot.
const (
	LowSpotRatio = 2.0 // at least twice the count the margins predict
	LowSpotMin   = 3   // and at least this many items: one or two prove nothing
)

// The bounds of a period.
const (
	// DefaultWeeks is the default period: the current week and the 11
	// before it.
	DefaultWeeks = 12
	// MaxPeriodYears bounds a period: To at most this many years after
	// From.
	MaxPeriodYears = 2
)

// The actions statistics ask the Access about: aggregates carry no
// personal data, so whoever reads a unit's reports (viewers too) reads
// them; the items behind a figure need feedback.read, which the queue
// they link to checks.
const (
	statsAction = "report.read"
	itemsAction = "feedback.read"
)

// QueueURL is the officers' queue the commune × topic cells link to; it
// takes commune= and topic=.
const QueueURL = "/quan-tri/phan-anh"

// WorkdayCounter counts working days between two times;
// *workday.Calendar is one.
type WorkdayCounter interface {
	Between(a, b time.Time) int
}

// Period is a run of whole days in Vietnam, From to To inclusive. From
// and To are the days' midnights in Vietnam's zone.
type Period struct {
	From, To time.Time
}

// start is the first second of the period, end the first after it.
func (p Period) start() time.Time { return dayStart(p.From) }
func (p Period) end() time.Time   { return dayStart(p.To).AddDate(0, 0, 1) }

// dayStart is midnight in Vietnam at the start of t's day there.
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(Vietnam).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Vietnam)
}

// weekStart is the Monday of t's week in Vietnam, at midnight.
func weekStart(t time.Time) time.Time {
	d := dayStart(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// DefaultPeriod is the period of the last DefaultWeeks weeks at now: from
// the Monday DefaultWeeks-1 weeks before this week's to today.
func DefaultPeriod(now time.Time) Period {
	to := dayStart(now)
	return Period{From: weekStart(to).AddDate(0, 0, -7*(DefaultWeeks-1)), To: to}
}

const week = 7 * 24 * 3600

// Figures are the statistics of a unit's subtree over a period.
type Figures struct {
	Unit UnitRef `json:"unit"`
	From string  `json:"from"` // 2006-01-02
	To   string  `json:"to"`
	// At is when they were computed: "late" and "not yet due" are read at
	// this time.
	At time.Time `json:"computed_at"`

	Totals  Tally        `json:"totals"`
	ByState []StateCount `json:"by_state"`
	ByTopic []TopicCount `json:"by_topic"`
	ByUnit  []UnitTally  `json:"by_unit"`
	Weeks   []WeekTally  `json:"weeks"`
	Areas   AreaTable    `json:"commune_topic"`
}

// UnitRef names a unit.
type UnitRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Tally is the figures of one row: the whole subtree, a unit or a week.
type Tally struct {
	Received int `json:"received"` // received in the period (the week)
	Answered int `json:"answered"` // answered in it
	Due      int `json:"due"`      // due in it, rejected left out: OnTime + Late + NotYetDue
	OnTime   int `json:"on_time"`  // of those due: answered by the deadline
	Late     int `json:"late"`     // answered after it, or not answered and past it
	// LateOpen are the late items still not answered.
	LateOpen  int `json:"late_open"`
	NotYetDue int `json:"not_yet_due"` // not answered, deadline still ahead
	// OnTimeRate is OnTime / (OnTime + Late); null when both are 0.
	OnTimeRate *float64 `json:"on_time_rate"`
	// MedianDays is the median time to answer, in working days, of the
	// items answered in the period; null when none was.
	MedianDays *float64 `json:"median_working_days"`

	durations []int
}

// finish computes the rate and the median from the counts and durations.
func (t *Tally) finish() {
	if n := t.OnTime + t.Late; n > 0 {
		r := float64(t.OnTime) / float64(n)
		t.OnTimeRate = &r
	}
	t.MedianDays = median(t.durations)
	t.durations = nil
}

// median is the exact median of xs (sorted in place), nil for none.
func median(xs []int) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	n := len(xs)
	m := float64(xs[n/2])
	if n%2 == 0 {
		m = float64(xs[n/2-1]+xs[n/2]) / 2
	}
	return &m
}

// StateCount is how many items received in the period are in a state.
type StateCount struct {
	State State  `json:"state"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// TopicCount is how many items received in the period have a topic; the
// topic "" is the items not tagged yet.
type TopicCount struct {
	Topic string `json:"topic"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// UnitTally is the figures of one child of the unit, or of the unit's own
// items (Own).
type UnitTally struct {
	Unit string `json:"unit"`
	Name string `json:"name"`
	// Own is the row of the items received by the unit itself, at its own
	// level, rather than below it.
	Own bool `json:"own"`
	Tally
}

// WeekTally is the figures of one week, Monday to Sunday; the first and
// last weeks may reach outside the period, whose bounds still apply.
type WeekTally struct {
	Start string `json:"start"` // the Monday, 2006-01-02
	Tally
}

// AreaTable is the commune × topic table of the items received in the
// period: a row per commune with items, a column per topic with items.
type AreaTable struct {
	Topics      []TopicRef `json:"topics"`
	Rows        []AreaRow  `json:"rows"` // most items first
	TopicTotals []int      `json:"topic_totals"`
	Total       int        `json:"total"`
	// LowSpots are the cells that are low spots, the highest ratio first.
	LowSpots []LowSpot `json:"low_spots"`
}

// TopicRef names a topic.
type TopicRef struct {
	Topic string `json:"topic"`
	Name  string `json:"name"`
}

// AreaRow is a commune's row: a cell per AreaTable.Topics.
type AreaRow struct {
	Commune  string     `json:"commune"`
	Name     string     `json:"name"`
	Province string     `json:"province"`
	Total    int        `json:"total"`
	Cells    []AreaCell `json:"cells"`
}

// AreaCell is the count of one commune and topic, with what the margins
// predict and whether it is a low spot.
type AreaCell struct {
	Count    int     `json:"count"`
	Expected float64 `json:"expected"`
	Ratio    float64 `json:"ratio"`
	LowSpot  bool    `json:"low_spot"`
	// ItemsURL is the officers' queue filtered to the cell's items (it
	// needs feedback.read); "" for an empty cell.
	ItemsURL string `json:"items_url,omitempty"`
}

// LowSpot is a low spot of the table.
type LowSpot struct {
	Commune   string  `json:"commune"`
	Name      string  `json:"name"`
	Topic     string  `json:"topic"`
	TopicName string  `json:"topic_name"`
	Count     int     `json:"count"`
	Expected  float64 `json:"expected"`
	Ratio     float64 `json:"ratio"`
	ItemsURL  string  `json:"items_url"`
}

// StatsOptions are what Stats needs beyond the Service.
type StatsOptions struct {
	// Access decides who may read a unit's statistics; auth.Check
	// satisfies it. Without it every request is refused.
	Access StatsAccess
	// Workdays counts the working days of the time to answer; nil means
	// the Service's calendar, which must then count them too
	// (*workday.Calendar does).
	Workdays WorkdayCounter
	Logger   *slog.Logger
	// Now is the clock; nil means the Service's.
	Now func() time.Time
}

// Stats computes and serves the statistics of feedback.
type Stats struct {
	store       *Store
	territories Territories
	tax         *topic.Taxonomy
	names       map[string]string
	work        WorkdayCounter
	access      StatsAccess
	pages       Pages
	log         *slog.Logger
	now         func() time.Time
}

// NewStats returns the statistics of svc's items.
func NewStats(svc *Service, o StatsOptions) (*Stats, error) {
	st := &Stats{store: svc.store, territories: svc.store.territories, tax: svc.tax, names: svc.names,
		work: o.Workdays, access: o.Access, log: o.Logger, now: o.Now}
	if st.work == nil {
		w, ok := svc.cal.(WorkdayCounter)
		if !ok {
			return nil, errors.New("feedback: statistics need a calendar that counts working days between dates (StatsOptions.Workdays)")
		}
		st.work = w
	}
	if st.access == nil {
		st.access = noAccess{}
	}
	if st.log == nil {
		st.log = svc.log
	}
	if st.log == nil {
		st.log = slog.Default()
	}
	if st.now == nil {
		st.now = svc.now
	}
	if st.now == nil {
		st.now = time.Now
	}
	return st, nil
}

// ErrUnknownUnit: the unit asked for does not exist.
var ErrUnknownUnit = errors.New("unknown unit")

// subtree is a unit's territory and the SQL condition of its items.
type subtree struct {
	unit org.Unit
	terr org.Territory
}

func (s *Stats) subtree(ctx context.Context, unit string) (subtree, error) {
	u, err := org.ParseUnit(unit)
	if err != nil {
		return subtree{}, err
	}
	t, err := s.territories.Territory(ctx, u.Territory)
	if errors.Is(err, org.ErrNotFound) {
		return subtree{}, fmt.Errorf("feedback: statistics of %s: %w", unit, ErrUnknownUnit)
	}
	if err != nil {
		return subtree{}, fmt.Errorf("feedback: statistics of %s: %w", unit, err)
	}
	return subtree{unit: u, terr: t}, nil
}

// where is the condition of the subtree's items, its arguments appended
// to args: a range of unit_path (byte order on both databases), and for
// an organisation other than the Front its own units only.
func (t subtree) where(args *[]any) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	p := t.terr.Path
	var conds []string
	// Every item lies under the root: saying so would only lead the
	// planner to the subtree index, and a lookup of the row for each
	// item, where a plain scan of the period is cheaper.
	if t.terr.Level != org.Central {
		conds = append(conds, "unit_path >= "+arg(p)+" AND unit_path < "+arg(p[:len(p)-1]+"0"))
	}
	if t.unit.Org != org.MTTQ {
		conds = append(conds, "unit LIKE "+arg("%/"+string(t.unit.Org)))
	}
	if len(conds) == 0 {
		return "TRUE"
	}
	return strings.Join(conds, " AND ")
}

// child is the child territory of the subtree that path lies in, "" for
// the unit's own level.
func (t subtree) child(path string) string {
	rest := strings.TrimPrefix(path, t.terr.Path)
	c, _, _ := strings.Cut(rest, "/")
	return c
}

// Figures computes the statistics of unit's subtree over p. The queries
// read one snapshot of the database, so that the figures agree with each
// other.
func (s *Stats) Figures(ctx context.Context, unit string, p Period) (Figures, error) {
	sub, err := s.subtree(ctx, unit)
	if err != nil {
		return Figures{}, err
	}
	now := s.now()
	f := Figures{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), At: now.UTC().Truncate(time.Second)}
	f.Unit = UnitRef{ID: sub.unit.String(), Name: org.UnitName(sub.terr, sub.unit.Org)}

	origin := weekStart(p.From)
	nWeeks := int(weekStart(p.To).Sub(origin).Hours()/24)/7 + 1
	f.Weeks = make([]WeekTally, nWeeks)
	for i := range f.Weeks {
		f.Weeks[i].Start = origin.AddDate(0, 0, 7*i).Format(time.DateOnly)
	}
	units := map[string]*UnitTally{}
	unitOf := func(path string) *UnitTally {
		c := sub.child(path)
		u := units[c]
		if u == nil {
			u = &UnitTally{Own: c == ""}
			units[c] = u
		}
		return u
	}
	weekOf := func(wk int64) *Tally {
		if wk < 0 || int(wk) >= len(f.Weeks) {
			return nil
		}
		return &f.Weeks[wk].Tally
	}

	var opts *sql.TxOptions
	if s.store.db.Dialect == store.Postgres {
		// One snapshot for every query; SQLite's read transaction is one.
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.store.db.BeginTx(ctx, opts)
	if err != nil {
		return Figures{}, fmt.Errorf("feedback: statistics: %w", err)
	}
	defer tx.Rollback()
	from, end, o := p.start().Unix(), p.end().Unix(), origin.Unix()

	// Received, by state and topic.
	byState := map[State]int{}
	byTopic := map[string]int{}
	args := []any{}
	cond := sub.where(&args)
	args = append(args, from, end)
	err = s.each(ctx, tx, `SELECT state, topic, COUNT(*) FROM feedback_items WHERE `+cond+
		fmt.Sprintf(` AND created_at >= $%d AND created_at < $%d GROUP BY state, topic`, len(args)-1, len(args)), args,
		func(rows *sql.Rows) error {
			var state, tp string
			var n int
			if err := rows.Scan(&state, &tp, &n); err != nil {
				return err
			}
			byState[State(state)] += n
			byTopic[tp] += n
			f.Totals.Received += n
			return nil
		})
	if err != nil {
		return Figures{}, err
	}

	// Received, by unit and week.
	args = []any{}
	cond = sub.where(&args)
	args = append(args, o, from, end)
	n := len(args)
	err = s.each(ctx, tx, fmt.Sprintf(`SELECT unit_path, (created_at - $%d) / %d, COUNT(*) FROM feedback_items WHERE %s
		AND created_at >= $%d AND created_at < $%d GROUP BY 1, 2`, n-2, week, cond, n-1, n), args,
		func(rows *sql.Rows) error {
			var path string
			var wk int64
			var c int
			if err := rows.Scan(&path, &wk, &c); err != nil {
				return err
			}
			unitOf(path).Received += c
			if w := weekOf(wk); w != nil {
				w.Received += c
			}
			return nil
		})
	if err != nil {
		return Figures{}, err
	}

	// Due, by unit and week of the deadline: on time, late (of which still
	// open), not yet due.
	args = []any{}
	cond = sub.where(&args)
	args = append(args, o, now.Unix(), from, end)
	n = len(args)
	err = s.each(ctx, tx, fmt.Sprintf(`SELECT unit_path, (due_at - $%[1]d) / %[2]d,
			SUM(CASE WHEN answered_at IS NOT NULL AND answered_at <= due_at THEN 1 ELSE 0 END),
			SUM(CASE WHEN answered_at IS NOT NULL AND answered_at > due_at THEN 1 ELSE 0 END),
			SUM(CASE WHEN answered_at IS NULL AND due_at < $%[3]d THEN 1 ELSE 0 END),
			SUM(CASE WHEN answered_at IS NULL AND due_at >= $%[3]d THEN 1 ELSE 0 END)
		FROM feedback_items WHERE %[4]s AND due_at >= $%[5]d AND due_at < $%[6]d AND state <> 'rejected'
		GROUP BY 1, 2`, n-3, week, n-2, cond, n-1, n), args,
		func(rows *sql.Rows) error {
			var path string
			var wk int64
			var onTime, lateAnswered, lateOpen, ahead int
			if err := rows.Scan(&path, &wk, &onTime, &lateAnswered, &lateOpen, &ahead); err != nil {
				return err
			}
			for _, t := range []*Tally{&f.Totals, &unitOf(path).Tally, weekOf(wk)} {
				if t == nil {
					continue
				}
				t.OnTime += onTime
				t.Late += lateAnswered + lateOpen
				t.LateOpen += lateOpen
				t.NotYetDue += ahead
				t.Due += onTime + lateAnswered + lateOpen + ahead
			}
			return nil
		})
	if err != nil {
		return Figures{}, err
	}

	// Answered, with the time each took: the median needs the values.
	args = []any{}
	cond = sub.where(&args)
	args = append(args, from, end)
	n = len(args)
	err = s.each(ctx, tx, fmt.Sprintf(`SELECT unit_path, created_at, answered_at FROM feedback_items WHERE %s
		AND answered_at >= $%d AND answered_at < $%d`, cond, n-1, n), args,
		func(rows *sql.Rows) error {
			var path string
			var created, answered int64
			if err := rows.Scan(&path, &created, &answered); err != nil {
				return err
			}
			d := s.work.Between(time.Unix(created, 0), time.Unix(answered, 0))
			for _, t := range []*Tally{&f.Totals, &unitOf(path).Tally, weekOf((answered - o) / week)} {
				if t != nil {
					t.Answered++
					t.durations = append(t.durations, d)
				}
			}
			return nil
		})
	if err != nil {
		return Figures{}, err
	}

	// Commune × topic.
	cells := map[[2]string]int{}
	args = []any{}
	cond = sub.where(&args)
	args = append(args, from, end)
	n = len(args)
	err = s.each(ctx, tx, fmt.Sprintf(`SELECT commune, topic, COUNT(*) FROM feedback_items WHERE %s
		AND created_at >= $%d AND created_at < $%d GROUP BY commune, topic`, cond, n-1, n), args,
		func(rows *sql.Rows) error {
			var commune, tp string
			var c int
			if err := rows.Scan(&commune, &tp, &c); err != nil {
				return err
			}
			cells[[2]string{commune, tp}] += c
			return nil
		})
	if err != nil {
		return Figures{}, err
	}
	if err := tx.Commit(); err != nil {
		return Figures{}, fmt.Errorf("feedback: statistics: %w", err)
	}

	f.Totals.finish()
	for i := range f.Weeks {
		f.Weeks[i].finish()
	}
	for _, st := range States {
		f.ByState = append(f.ByState, StateCount{State: st, Label: st.Label(), Count: byState[st]})
	}
	f.ByTopic = s.topicCounts(byTopic)
	names := newTerritoryCache(s.territories)
	if len(cells) > prefetchNames {
		if err := names.prefetch(ctx, sub.terr, org.Commune); err != nil {
			return Figures{}, err
		}
	}
	if f.ByUnit, err = s.unitRows(ctx, sub, units, names); err != nil {
		return Figures{}, err
	}
	if f.Areas, err = s.areaTable(ctx, cells, names); err != nil {
		return Figures{}, err
	}
	return f, nil
}

// each runs a query and calls fn for each row.
func (s *Stats) each(ctx context.Context, tx *sql.Tx, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("feedback: statistics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("feedback: statistics: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("feedback: statistics: %w", err)
	}
	return nil
}

// topicName is a topic's name; a topic no longer in the taxonomy keeps its
// id, and "" is the items not tagged yet.
func (s *Stats) topicName(id string) string {
	if id == "" {
		return "Chưa phân loại"
	}
	if n, ok := s.names[id]; ok {
		return n
	}
	return id
}

// topicCounts lists every topic of the taxonomy in its order, then those
// it no longer holds and the untagged items when there are any.
func (s *Stats) topicCounts(counts map[string]int) []TopicCount {
	out := []TopicCount{}
	seen := map[string]bool{}
	for _, t := range s.tax.Topics {
		out = append(out, TopicCount{Topic: t.ID, Name: t.Name, Count: counts[t.ID]})
		seen[t.ID] = true
	}
	var rest []string
	for id := range counts {
		if !seen[id] && id != "" {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	for _, id := range rest {
		out = append(out, TopicCount{Topic: id, Name: s.topicName(id), Count: counts[id]})
	}
	if c := counts[""]; c > 0 {
		out = append(out, TopicCount{Topic: "", Name: s.topicName(""), Count: c})
	}
	return out
}

// territoryCache looks territories up once each.
type territoryCache struct {
	terr Territories
	seen map[string]org.Territory
}

func newTerritoryCache(t Territories) *territoryCache {
	return &territoryCache{terr: t, seen: map[string]org.Territory{}}
}

func (n *territoryCache) get(ctx context.Context, code string) (org.Territory, error) {
	if t, ok := n.seen[code]; ok {
		return t, nil
	}
	t, err := n.terr.Territory(ctx, code)
	if errors.Is(err, org.ErrNotFound) {
		// An item filed under a territory since removed keeps its code.
		t, err = org.Territory{Code: code, Name: code}, nil
	}
	if err != nil {
		return t, fmt.Errorf("feedback: statistics: %w", err)
	}
	n.seen[code] = t
	return t, nil
}

// prefetchNames is how many cells of the commune × topic table make the
// communes' names worth reading in one query rather than one by one.
const prefetchNames = 20

// descendantLister lists the territories of a level under one;
// *org.Store is one.
type descendantLister interface {
	Descendants(ctx context.Context, code string, level org.Level) ([]org.Territory, error)
}

// prefetch reads at once the territories of level under t, when the
// Territories can list them: the centre's table names thousands of
// communes.
func (n *territoryCache) prefetch(ctx context.Context, t org.Territory, level org.Level) error {
	l, ok := n.terr.(descendantLister)
	if !ok || t.Level == level || t.Level == org.Commune || t.Level == org.Village {
		return nil
	}
	all, err := l.Descendants(ctx, t.Code, level)
	if err != nil {
		return fmt.Errorf("feedback: statistics: %w", err)
	}
	for _, d := range all {
		n.seen[d.Code] = d
	}
	return nil
}

// childLister lists a territory's children; *org.Store is one.
type childLister interface {
	Children(ctx context.Context, code string) ([]org.Territory, error)
}

// unitRows are the rows by unit: the unit's own first, then its children
// by name. Below a province or the centre every child has a row, with
// items or not, so that a commune that received nothing shows.
func (s *Stats) unitRows(ctx context.Context, sub subtree, units map[string]*UnitTally, names *territoryCache) ([]UnitTally, error) {
	if l, ok := s.territories.(childLister); ok && (sub.terr.Level == org.Central || sub.terr.Level == org.Province) {
		kids, err := l.Children(ctx, sub.terr.Code)
		if err != nil {
			return nil, fmt.Errorf("feedback: statistics: %w", err)
		}
		for _, k := range kids {
			names.seen[k.Code] = k
			if units[k.Code] == nil {
				units[k.Code] = &UnitTally{}
			}
		}
	}
	if units[""] == nil {
		units[""] = &UnitTally{Own: true}
	}
	out := make([]UnitTally, 0, len(units))
	for code, u := range units {
		if code == "" {
			u.Unit, u.Name = sub.unit.String(), org.UnitName(sub.terr, sub.unit.Org)
		} else {
			t, err := names.get(ctx, code)
			if err != nil {
				return nil, err
			}
			u.Unit, u.Name = org.UnitOf(code, sub.unit.Org).String(), org.UnitName(t, sub.unit.Org)
		}
		u.finish()
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b UnitTally) int {
		if a.Own != b.Own {
			if a.Own {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(corpus.Fold(a.Name), corpus.Fold(b.Name)), cmp.Compare(a.Unit, b.Unit))
	})
	return out, nil
}

// ItemsURL is the officers' queue filtered to a commune and a topic.
func ItemsURL(commune, topic string) string {
	return QueueURL + "?" + url.Values{"commune": {commune}, "topic": {topic}}.Encode()
}

// areaTable builds the commune × topic table from the counts.
func (s *Stats) areaTable(ctx context.Context, cells map[[2]string]int, names *territoryCache) (AreaTable, error) {
	a := AreaTable{Topics: []TopicRef{}, Rows: []AreaRow{}, TopicTotals: []int{}, LowSpots: []LowSpot{}}
	rowTotals := map[string]int{}
	colTotals := map[string]int{}
	for k, c := range cells {
		rowTotals[k[0]] += c
		colTotals[k[1]] += c
		a.Total += c
	}
	for _, tc := range s.topicCounts(colTotals) {
		if tc.Count > 0 {
			a.Topics = append(a.Topics, TopicRef{Topic: tc.Topic, Name: tc.Name})
			a.TopicTotals = append(a.TopicTotals, tc.Count)
		}
	}
	for commune, total := range rowTotals {
		t, err := names.get(ctx, commune)
		if err != nil {
			return AreaTable{}, err
		}
		row := AreaRow{Commune: commune, Name: t.Name, Province: t.ParentCode, Total: total, Cells: make([]AreaCell, len(a.Topics))}
		for j, tp := range a.Topics {
			c := cells[[2]string{commune, tp.Topic}]
			exp := float64(total) * float64(a.TopicTotals[j]) / float64(a.Total)
			cell := AreaCell{Count: c, Expected: round2(exp), Ratio: round2(float64(c) / exp)}
			if c > 0 {
				cell.ItemsURL = ItemsURL(commune, tp.Topic)
			}
			cell.LowSpot = tp.Topic != "" && c >= LowSpotMin && float64(c) >= LowSpotRatio*exp
			if cell.LowSpot {
				a.LowSpots = append(a.LowSpots, LowSpot{Commune: commune, Name: t.Name, Topic: tp.Topic, TopicName: tp.Name,
					Count: c, Expected: cell.Expected, Ratio: cell.Ratio, ItemsURL: cell.ItemsURL})
			}
			row.Cells[j] = cell
		}
		a.Rows = append(a.Rows, row)
	}
	slices.SortFunc(a.Rows, func(x, y AreaRow) int {
		return cmp.Or(cmp.Compare(y.Total, x.Total), cmp.Compare(corpus.Fold(x.Name), corpus.Fold(y.Name)), cmp.Compare(x.Commune, y.Commune))
	})
	slices.SortFunc(a.LowSpots, func(x, y LowSpot) int {
		return cmp.Or(cmp.Compare(y.Ratio, x.Ratio), cmp.Compare(y.Count, x.Count), cmp.Compare(x.Commune, y.Commune), cmp.Compare(x.Topic, y.Topic))
	})
	return a, nil
}

// round2 rounds to two decimals, as the figures are shown.
func round2(x float64) float64 {
	return float64(int64(x*100+0.5)) / 100
}
