package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

// TextEntry is a text value gathered from a unit below.
type TextEntry struct {
	Unit string `json:"unit"`
	Name string `json:"name"`
	Text string `json:"text"`
}

// UnitRef names a unit: its id and its Vietnamese name.
type UnitRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Rollup is the roll-up of a unit's subtree for one period.
type Rollup struct {
	Dataset string    `json:"dataset"`
	Unit    string    `json:"unit"`
	Name    string    `json:"name"`
	Period  string    `json:"period"`
	Orgs    []org.Org `json:"orgs"`
	// Totals sums every numeric field over the reports that count, 0
	// where nothing was reported.
	Totals        map[string]float64 `json:"totals"`
	Reported      int                `json:"reported"`
	Expected      int                `json:"expected"`
	OnTime        int                `json:"on_time"`
	Percent       float64            `json:"percent"`
	OnTimePercent float64            `json:"on_time_percent"`
	// Missing lists the expected units that have not reported, in tree
	// order, at most the limit asked; MissingCount counts them all.
	Missing      []string  `json:"missing"`
	MissingUnits []UnitRef `json:"missing_units"`
	MissingCount int       `json:"missing_count"`
	// Texts gathers each text field's values from the reports that
	// count, in tree order, at most TextLimit per field.
	Texts map[string][]TextEntry `json:"texts"`
	// Extra counts the reports that count in the totals from units not
	// expected in the period (a village created mid-period).
	Extra    int       `json:"extra"`
	Deadline time.Time `json:"deadline"`
	At       time.Time `json:"at"`
}

// ChildRow is one row of a completion table: the roll-up of one
// territory directly below.
type ChildRow struct {
	Rollup
	Territory string    `json:"territory"`
	Level     org.Level `json:"level"`
	Retired   bool      `json:"retired,omitempty"`
}

// TextLimit bounds the texts a roll-up gathers per field.
const TextLimit = 200

// rollupOpts says which parts of a roll-up to compute.
type rollupOpts struct {
	missingLimit int // < 0: all; 0: none
	texts        bool
}

// orgsOf are the organisations a roll-up of u covers: u's own, or every
// organisation of the data set with all on a Front unit.
func orgsOf(d Dataset, u org.Unit, all bool) ([]org.Org, error) {
	if all {
		if u.Org != org.MTTQ {
			return nil, &ArgumentError{"org", "org=all is for a Front (MTTQ) unit, not " + u.String()}
		}
		return slices.Clone(d.Orgs), nil
	}
	if !slices.Contains(d.Orgs, u.Org) {
		return []org.Org{}, nil
	}
	return []org.Org{u.Org}, nil
}

// Rollup sums the reports of data set ds for period p over unit u's
// territory and everything below, of u's organisation or, with all on a
// Front unit, of every organisation; it lists at most missingLimit units
// that have not reported (all with a negative limit). See the package
// doc for the rules.
func (s *Service) Rollup(ctx context.Context, ds string, u org.Unit, all bool, p Period, missingLimit int) (Rollup, error) {
	d, t, err := s.rollupTarget(ctx, ds, u, p)
	if err != nil {
		return Rollup{}, err
	}
	return s.rollup(ctx, d, t, u, all, p, rollupOpts{missingLimit: missingLimit, texts: true})
}

func (s *Service) rollupTarget(ctx context.Context, ds string, u org.Unit, p Period) (Dataset, org.Territory, error) {
	d, err := s.Dataset(ds)
	if err != nil {
		return d, org.Territory{}, err
	}
	if p.Type != d.PeriodType {
		return d, org.Territory{}, fmt.Errorf("report: %w %q: data set %s has %s periods (e.g. %s)", ErrPeriod, p.Key, d.Key, d.PeriodType, d.PeriodType.Example())
	}
	if cur := CurrentPeriod(d.PeriodType, s.now()); p.Start.After(cur.Start) {
		return d, org.Territory{}, fmt.Errorf("report: period %s: %w (the current one is %s)", p.Key, ErrFuture, cur.Key)
	}
	t, err := s.tree.Territory(ctx, u.Territory)
	if errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrInvalid) {
		return d, t, fmt.Errorf("report: unit %s: %w", u, ErrNotFound)
	}
	return d, t, err
}

// below returns the bounds of the paths at and under path: every such
// path starts with path, so it sorts at or after it and before path with
// its final "/" turned into "0", the next byte.
func below(path string) (lo, hi string) { return path, path[:len(path)-1] + "0" }

// expected reports whether territory t is expected to report in period p
// (the expected rule of the package doc).
func expected(level org.Level, created time.Time, retired *time.Time, p Period) bool {
	if level != org.Village {
		return true
	}
	return !created.After(p.Start) && (retired == nil || !retired.Before(p.End))
}

// village is a village read for the expected rule.
type village struct {
	code, path, name string
	created          time.Time
	retired          *time.Time
}

// changedVillages reads the villages under path that were created after
// p's start or are retired: the only ones whose expected state is not
// "active now and expected". They are few, and found through indexes on
// creation and retirement times rather than by reading every village.
func (s *Service) changedVillages(ctx context.Context, path string, p Period) ([]village, error) {
	lo, hi := below(path)
	// SQLite's planner, with statistics taken before the villages were
	// added (org's import takes them, a village's creation does not),
	// prefers the (level, path) index and reads every village under
	// path: 90,000 of them for the country. The hint keeps it on the
	// indexes made for this query.
	created, retired := "", ""
	if s.db.Dialect == store.SQLite {
		created, retired = " INDEXED BY report_org_created", " INDEXED BY report_org_retired"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT code, path, name, created_at, retired_at FROM org_territories`+created+`
		WHERE level = 'village' AND created_at > $1 AND path >= $2 AND path < $3
		UNION
		SELECT code, path, name, created_at, retired_at FROM org_territories`+retired+`
		WHERE level = 'village' AND retired_at > '' AND path >= $2 AND path < $3`,
		formatTime(p.Start), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("report: villages changed under %s: %w", path, err)
	}
	defer rows.Close()
	var out []village
	for rows.Next() {
		var v village
		var created, retired string
		if err := rows.Scan(&v.code, &v.path, &v.name, &created, &retired); err != nil {
			return nil, err
		}
		if c := parseTime(created); c != nil {
			v.created = *c
		}
		v.retired = parseTime(retired)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Service) rollup(ctx context.Context, d Dataset, t org.Territory, u org.Unit, all bool, p Period, o rollupOpts) (Rollup, error) {
	orgs, err := orgsOf(d, u, all)
	if err != nil {
		return Rollup{}, err
	}
	r := Rollup{Dataset: d.Key, Unit: u.String(), Name: org.UnitName(t, u.Org), Period: p.Key, Orgs: orgs,
		Totals: map[string]float64{}, Missing: []string{}, MissingUnits: []UnitRef{}, Texts: map[string][]TextEntry{},
		Deadline: d.Deadline(p), At: s.now()}
	for _, k := range d.NumericKeys() {
		r.Totals[k] = 0
	}
	if len(orgs) == 0 {
		return r, nil
	}
	fail := func(err error) (Rollup, error) {
		return Rollup{}, fmt.Errorf("report: roll-up of %s %s: %w", u, p.Key, err)
	}

	// Sums and counts: the running totals under t's path; a village's
	// bucket is its commune, so a village reads its own reports.
	sums := map[string]float64{}
	if t.Level == org.Village {
		err = s.sumReports(ctx, d, []string{t.Code}, orgs, p, sums)
	} else {
		err = s.sumBuckets(ctx, d, t.Path, orgs, p, sums)
	}
	if err != nil {
		return fail(err)
	}
	for k, v := range sums {
		if !strings.HasPrefix(k, "#") {
			r.Totals[k] = v
		}
	}

	// Expected units, and the reports of units not expected.
	units := 0
	var unexpected []string
	levels := d.Levels
	if slices.Contains(levels, t.Level) && (t.Level != org.Village || expected(t.Level, t.CreatedAt, t.RetiredAt, p)) {
		units++
	} else if t.Level == org.Village && slices.Contains(levels, org.Village) {
		unexpected = append(unexpected, t.Code)
	}
	if t.Level != org.Village {
		c, err := s.tree.CountDescendants(ctx, t.Code)
		if err != nil {
			return fail(err)
		}
		if slices.Contains(levels, org.Province) {
			units += c.Provinces
		}
		if slices.Contains(levels, org.Commune) {
			units += c.Communes
		}
		if slices.Contains(levels, org.Village) {
			vs, err := s.changedVillages(ctx, t.Path, p)
			if err != nil {
				return fail(err)
			}
			units += c.Villages
			for _, v := range vs {
				switch exp := expected(org.Village, v.created, v.retired, p); {
				case v.retired == nil && !exp:
					units-- // active now, counted in c.Villages, not expected
					unexpected = append(unexpected, v.code)
				case v.retired != nil && exp:
					units++ // retired since, not in c.Villages, expected then
				case !exp:
					unexpected = append(unexpected, v.code)
				}
			}
		}
	}
	r.Expected = units * len(orgs)
	extra := map[string]float64{}
	if err := s.sumReports(ctx, d, unexpected, orgs, p, extra); err != nil {
		return fail(err)
	}
	r.Extra = int(extra[countReported])
	r.Reported = int(sums[countReported]) - r.Extra
	r.OnTime = int(sums[countOnTime]) - int(extra[countOnTime])
	if r.Expected > 0 {
		r.Percent = percent(r.Reported, r.Expected)
		r.OnTimePercent = percent(r.OnTime, r.Expected)
	}
	r.MissingCount = r.Expected - r.Reported
	if o.missingLimit != 0 && r.MissingCount > 0 {
		if err := s.missing(ctx, d, t, orgs, p, o.missingLimit, &r); err != nil {
			return fail(err)
		}
	}
	if o.texts && len(d.TextKeys()) > 0 {
		if err := s.gatherTexts(ctx, d, t.Path, orgs, p, &r); err != nil {
			return fail(err)
		}
	}
	return r, nil
}

func percent(n, of int) float64 {
	// Two decimals, as the seeds quote rates (68.65 %).
	return float64(int64(float64(n)*10000/float64(of)+0.5)) / 100
}

func orgArgs(orgs []org.Org, first int) (string, []any) {
	marks := make([]string, len(orgs))
	args := make([]any, len(orgs))
	for i, o := range orgs {
		marks[i] = fmt.Sprintf("$%d", first+i)
		args[i] = string(o)
	}
	return strings.Join(marks, ", "), args
}

// sumBuckets adds the running totals of the buckets under path.
func (s *Service) sumBuckets(ctx context.Context, d Dataset, path string, orgs []org.Org, p Period, into map[string]float64) error {
	lo, hi := below(path)
	marks, oargs := orgArgs(orgs, 5)
	rows, err := s.db.QueryContext(ctx, `SELECT field, SUM(value) FROM report_buckets
		WHERE dataset = $1 AND period = $2 AND path >= $3 AND path < $4 AND org IN (`+marks+`) GROUP BY field`,
		append([]any{d.Key, p.Key, lo, hi}, oargs...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f string
		var v float64
		if err := rows.Scan(&f, &v); err != nil {
			return err
		}
		into[f] += v
	}
	return rows.Err()
}

// sumReports adds the contributions of the reports of territories codes,
// read one by one: they are few (a village, the villages not expected).
func (s *Service) sumReports(ctx context.Context, d Dataset, codes []string, orgs []org.Org, p Period, into map[string]float64) error {
	const chunk = 200
	for len(codes) > 0 {
		n := min(chunk, len(codes))
		part := codes[:n]
		codes = codes[n:]
		marks, oargs := orgArgs(orgs, 3)
		cmarks := make([]string, len(part))
		args := append([]any{d.Key, p.Key}, oargs...)
		for i, c := range part {
			cmarks[i] = fmt.Sprintf("$%d", 3+len(orgs)+i)
			args = append(args, c)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT status, vals, on_time FROM report_reports
			WHERE dataset = $1 AND period = $2 AND org IN (`+marks+`) AND territory IN (`+strings.Join(cmarks, ", ")+`)
			AND status IN ('submitted', 'approved')`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var status, vals string
			var onTime int
			if err := rows.Scan(&status, &vals, &onTime); err != nil {
				rows.Close()
				return err
			}
			m := map[string]any{}
			if err := json.Unmarshal([]byte(vals), &m); err != nil {
				rows.Close()
				return err
			}
			for k, v := range contribution(d, Status(status), m, onTime == 1) {
				into[k] += v
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// missing lists the expected units under t that have not reported, in
// tree order, up to limit: territories are read a page at a time along
// the path index, with the reports of the page's path range.
func (s *Service) missing(ctx context.Context, d Dataset, t org.Territory, orgs []org.Org, p Period, limit int, r *Rollup) error {
	lo, hi := below(t.Path)
	var lmarks []string
	var largs []any
	for _, l := range d.Levels {
		largs = append(largs, string(l))
		lmarks = append(lmarks, fmt.Sprintf("$%d", 3+len(lmarks)))
	}
	const page = 500
	after := ""
	first := true
	for {
		cond := `path > $1`
		if first {
			cond = `path >= $1`
		}
		from := lo
		if !first {
			from = after
		}
		rows, err := s.db.QueryContext(ctx, `SELECT code, level, path, name, created_at, retired_at FROM org_territories
			WHERE `+cond+` AND path < $2 AND level IN (`+strings.Join(lmarks, ", ")+`)
			ORDER BY path LIMIT `+fmt.Sprint(page), append([]any{from, hi}, largs...)...)
		if err != nil {
			return err
		}
		type terr struct {
			code, path string
			t          org.Territory
			exp        bool
		}
		var ts []terr
		for rows.Next() {
			var x terr
			var level, created, retired string
			if err := rows.Scan(&x.code, &level, &x.path, &x.t.Name, &created, &retired); err != nil {
				rows.Close()
				return err
			}
			x.t.Level, x.t.Code = org.Level(level), x.code
			c := parseTime(created)
			if c == nil {
				c = &time.Time{}
			}
			x.exp = expected(x.t.Level, *c, parseTime(retired), p)
			ts = append(ts, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ts) == 0 {
			return nil
		}
		first = false
		after = ts[len(ts)-1].path
		// The reports that count in the page's path range. The path,
		// whose last segment is the territory's code, is read rather than
		// the territory column so that the scan stays in the path index
		// and never visits the table.
		done := map[string]bool{}
		marks, oargs := orgArgs(orgs, 5)
		rrows, err := s.db.QueryContext(ctx, `SELECT path, org FROM report_reports
			WHERE dataset = $1 AND period = $2 AND path >= $3 AND path <= $4 AND org IN (`+marks+`)
			AND status IN ('submitted', 'approved')`, append([]any{d.Key, p.Key, ts[0].path, after}, oargs...)...)
		if err != nil {
			return err
		}
		for rrows.Next() {
			var path, o string
			if err := rrows.Scan(&path, &o); err != nil {
				rrows.Close()
				return err
			}
			code := strings.TrimSuffix(path, "/")
			done[code[strings.LastIndex(code, "/")+1:]+"/"+o] = true
		}
		rrows.Close()
		if err := rrows.Err(); err != nil {
			return err
		}
		for _, x := range ts {
			if !x.exp {
				continue
			}
			for _, o := range orgs {
				id := x.code + "/" + string(o)
				if done[id] {
					continue
				}
				r.Missing = append(r.Missing, id)
				r.MissingUnits = append(r.MissingUnits, UnitRef{ID: id, Name: org.UnitName(x.t, o)})
				if limit > 0 && len(r.Missing) >= limit {
					return nil
				}
			}
		}
		if len(ts) < page {
			return nil
		}
	}
}

// gatherTexts reads the text values of the reports that count under
// path, in tree order, up to TextLimit per field.
func (s *Service) gatherTexts(ctx context.Context, d Dataset, path string, orgs []org.Org, p Period, r *Rollup) error {
	lo, hi := below(path)
	keys := d.TextKeys()
	marks, oargs := orgArgs(orgs, 5)
	rows, err := s.db.QueryContext(ctx, `SELECT r.territory, r.org, r.vals, t.level, t.name FROM report_reports r
		JOIN org_territories t ON t.code = r.territory
		WHERE r.dataset = $1 AND r.period = $2 AND r.texts = 1 AND r.path >= $3 AND r.path < $4 AND r.org IN (`+marks+`)
		ORDER BY r.path, r.org LIMIT `+fmt.Sprint(TextLimit*len(keys)), append([]any{d.Key, p.Key, lo, hi}, oargs...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var code, o, vals, level, name string
		if err := rows.Scan(&code, &o, &vals, &level, &name); err != nil {
			return err
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(vals), &m); err != nil {
			return err
		}
		t := org.Territory{Code: code, Level: org.Level(level), Name: name}
		for _, k := range keys {
			if v, ok := m[k].(string); ok && v != "" && len(r.Texts[k]) < TextLimit {
				r.Texts[k] = append(r.Texts[k], TextEntry{Unit: code + "/" + o, Name: org.UnitName(t, org.Org(o)), Text: v})
			}
		}
	}
	return rows.Err()
}

// Children returns the completion table of unit u: one roll-up per
// territory directly below u's (retired villages included, their reports
// being in u's totals), without missing lists or texts.
func (s *Service) Children(ctx context.Context, ds string, u org.Unit, all bool, p Period) ([]ChildRow, error) {
	d, t, err := s.rollupTarget(ctx, ds, u, p)
	if err != nil {
		return nil, err
	}
	var kids []org.Territory
	switch t.Level {
	case org.Village:
		return []ChildRow{}, nil
	case org.Commune:
		kids, err = s.tree.Villages(ctx, t.Code, true)
	default:
		kids, err = s.tree.Children(ctx, t.Code)
	}
	if err != nil {
		return nil, err
	}
	out := make([]ChildRow, 0, len(kids))
	for _, k := range kids {
		cu := org.UnitOf(k.Code, u.Org)
		r, err := s.rollup(ctx, d, k, cu, all, p, rollupOpts{})
		if err != nil {
			return nil, err
		}
		out = append(out, ChildRow{Rollup: r, Territory: k.Code, Level: k.Level, Retired: k.Retired()})
	}
	return out, nil
}

// Trend returns n roll-ups of unit u ending with period last, oldest
// first, without missing lists or texts.
func (s *Service) Trend(ctx context.Context, ds string, u org.Unit, all bool, last Period, n int) ([]Rollup, error) {
	d, t, err := s.rollupTarget(ctx, ds, u, last)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > 260 {
		return nil, &ArgumentError{"trend", fmt.Sprintf("%d periods: 1 to 260", n)}
	}
	ps := make([]Period, n)
	p := last
	for i := n - 1; i >= 0; i-- {
		ps[i] = p
		p = p.Prev()
	}
	out := make([]Rollup, 0, n)
	for _, p := range ps {
		r, err := s.rollup(ctx, d, t, u, all, p, rollupOpts{})
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
