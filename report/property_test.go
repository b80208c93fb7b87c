package report_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// propertySeeds are the random worlds the property test builds; each is
// the same world every run.
var propertySeeds = []int64{1, 2, 3, 4}

// world is a random unit tree with its data set and the periods reported.
type world struct {
	svc     *report.Service
	clk     *clock
	db      *store.DB
	ds      report.Dataset
	periods []report.Period
	units   []org.Unit // every unit that files the data set
}

// propertyDataset is a data set filed at random levels by a random part
// of the organisations, with every kind of field, locked late enough
// that every period of the test can still be written.
func propertyDataset(rng *rand.Rand) report.Dataset {
	levels := []org.Level{org.Commune, org.Village}
	if rng.Intn(2) == 0 {
		levels = append(levels, org.Province)
	}
	orgs := []org.Org{org.MTTQ}
	for _, o := range org.Orgs[1:] {
		if rng.Intn(2) == 0 {
			orgs = append(orgs, o)
		}
	}
	zero := 0.0
	return report.Dataset{Key: "weekly", Name: "Thử", PeriodType: report.Weekly, Levels: levels, Orgs: orgs,
		DeadlineDays: 1, DeadlineHour: 17, LockDays: 365,
		Fields: []report.Field{
			{Key: "a", Label: "A", Type: report.Integer, Min: &zero},
			{Key: "b", Label: "B", Type: report.Number},
			{Key: "c", Label: "C", Type: report.Integer, Min: &zero, LessOrEqual: "a"},
			{Key: "t", Label: "T", Type: report.Text},
			{Key: "u", Label: "U", Type: report.Text},
			{Key: "f", Label: "F", Type: report.Bool},
		}}
}

// newWorld builds a random tree — provinces, communes, villages created
// at random times around the periods and some retired during or after
// them — and the service over it.
func newWorld(t *testing.T, db *store.DB, rng *rand.Rand) *world {
	t.Helper()
	ctx := context.Background()
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("level,code,name,short_name,type,type_full,parent_code,parent_name\n")
	var communes []string
	for p := 0; p < 2+rng.Intn(2); p++ {
		pc := fmt.Sprintf("%02d", 10+p)
		fmt.Fprintf(&csv, "province,%s,Tỉnh Thử %s,Thử %s,Tỉnh,Tỉnh,,\n", pc, pc, pc)
		for c := 0; c < 1+rng.Intn(4); c++ {
			cc := fmt.Sprintf("%s%03d", pc, c+1)
			fmt.Fprintf(&csv, "commune,%s,Xã Thử %s,Thử %s,Xã,Xã,%s,Tỉnh Thử %s\n", cc, cc, cc, pc, pc)
			communes = append(communes, cc)
		}
	}
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(csv.String())); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, clk: &clock{t: vn(2026, 11, 30, 10, 0)}, ds: propertyDataset(rng)}
	for _, k := range []string{"2026-W46", "2026-W47", "2026-W48"} {
		w.periods = append(w.periods, period(t, k))
	}
	var err error
	w.svc, err = report.NewService(report.Options{DB: db, Tree: tree, Datasets: []report.Dataset{w.ds}, Now: w.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Villages: created between two weeks before the first period and the
	// end of the last, some at a period's very start.
	from := w.periods[0].Start.AddDate(0, 0, -14)
	span := w.periods[len(w.periods)-1].End.Sub(from)
	var villages []string
	for _, c := range communes {
		for i := 0; i < rng.Intn(5); i++ {
			v, err := tree.CreateVillage(ctx, c, fmt.Sprintf("Thôn %d", i+1), "Thôn")
			if err != nil {
				t.Fatal(err)
			}
			created := from.Add(time.Duration(rng.Int63n(int64(span))))
			if rng.Intn(5) == 0 {
				created = w.periods[rng.Intn(len(w.periods))].Start
			}
			setTime(t, db, v.Code, "created_at", created)
			villages = append(villages, v.Code)
		}
	}
	var terr []string
	for _, l := range w.ds.Levels {
		switch l {
		case org.Province:
			for _, c := range communes {
				terr = append(terr, c[:2])
			}
		case org.Commune:
			terr = append(terr, communes...)
		case org.Village:
			terr = append(terr, villages...)
		}
	}
	slices.Sort(terr)
	for _, code := range slices.Compact(terr) {
		for _, o := range w.ds.Orgs {
			w.units = append(w.units, org.UnitOf(code, o))
		}
	}
	return w
}

// setTime rewrites a village's creation or retirement time, as if it had
// been done then.
func setTime(t *testing.T, db *store.DB, code, column string, at time.Time) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), `UPDATE org_territories SET `+column+` = $1 WHERE code = $2`,
		at.UTC().Format("2006-01-02T15:04:05.000000000Z"), code)
	if err != nil {
		t.Fatal(err)
	}
}

// randomValues are values for a report, now and then invalid.
func randomValues(rng *rand.Rand) map[string]any {
	a := rng.Intn(200)
	v := map[string]any{"a": float64(a), "b": float64(rng.Intn(1000)) / 4, "c": float64(rng.Intn(a + 1))}
	if rng.Intn(3) == 0 {
		v["t"] = fmt.Sprintf("Hoạt động %d", rng.Intn(1000))
	}
	if rng.Intn(4) == 0 {
		v["u"] = "Khó khăn"
	}
	if rng.Intn(2) == 0 {
		v["f"] = rng.Intn(2) == 0
	}
	switch rng.Intn(15) {
	case 0:
		v["c"] = float64(a + 1) // c > a
	case 1:
		v["a"] = -1.0
	case 2:
		v["zz"] = 1.0
	}
	return v
}

// expectedRefusal reports whether err is one of the refusals a random
// step may meet.
func expectedRefusal(err error) bool {
	var ve *report.ValidationError
	return errors.As(err, &ve) || errors.Is(err, report.ErrStatus) || errors.Is(err, report.ErrLocked) ||
		errors.Is(err, report.ErrRetired) || errors.Is(err, report.ErrNotFound)
}

// run applies n random steps: saves and submissions at random times
// before and after the deadlines, returns, approvals, exceptions, and
// villages retired between them.
func (w *world) run(t *testing.T, rng *rand.Rand, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		u := w.units[rng.Intn(len(w.units))]
		p := w.periods[rng.Intn(len(w.periods))]
		// Somewhere between the period's start and a few days after its
		// deadline, but never beyond the current week.
		at := p.Start.Add(time.Duration(rng.Int63n(int64(10 * 24 * time.Hour))))
		if at.After(vn(2026, 12, 6, 23, 0)) {
			at = vn(2026, 12, 6, 23, 0)
		}
		w.clk.Set(at)
		var err error
		switch k := rng.Intn(10); {
		case k < 3:
			_, err = w.svc.Save(ctx, w.ds.Key, u, p, randomValues(rng), false, "x")
		case k < 7:
			_, err = w.svc.Save(ctx, w.ds.Key, u, p, randomValues(rng), true, "x")
		case k < 8:
			_, err = w.svc.Return(ctx, w.ds.Key, u, p, "Xem lại", "y")
		case k < 9:
			_, err = w.svc.Approve(ctx, w.ds.Key, u, p, "y")
		default:
			_, err = w.svc.GrantException(ctx, w.ds.Key, u, p, at.Add(time.Hour), "Mở", "y")
		}
		if err != nil && !expectedRefusal(err) {
			t.Fatalf("step %d on %s %s: %v", i, u, p.Key, err)
		}
		if u.Level() == org.Village && rng.Intn(25) == 0 {
			if _, err := w.svc.Tree().RetireVillage(ctx, u.Territory); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Retirement times spread over the periods: a village retired during
	// a period is not expected in it, one retired after is.
	rows, err := w.db.QueryContext(ctx, `SELECT code, created_at FROM org_territories WHERE level = 'village' AND retired_at <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	type ret struct {
		code    string
		created time.Time
	}
	var retired []ret
	for rows.Next() {
		var code, created string
		if err := rows.Scan(&code, &created); err != nil {
			t.Fatal(err)
		}
		c, _ := time.Parse("2006-01-02T15:04:05.000000000Z", created)
		retired = append(retired, ret{code, c})
	}
	rows.Close()
	last := w.periods[len(w.periods)-1].End
	for _, r := range retired {
		at := r.created.Add(time.Duration(rng.Int63n(int64(last.Sub(r.created) + 72*time.Hour))))
		setTime(t, w.db, r.code, "retired_at", at)
	}
	w.clk.Set(vn(2026, 12, 6, 23, 0))
}

// direct is a roll-up computed straight from the reports and the tree,
// without the running totals.
type direct struct {
	totals                     map[string]float64
	reported, expected, onTime int
	extra                      int
	missing                    []string
	texts                      map[string]int
}

type terrRow struct {
	code, path string
	level      org.Level
	created    time.Time
	retired    *time.Time
}

type repRow struct {
	territory, org string
	period         string
	status         report.Status
	vals           map[string]any
	onTime         bool
}

func (w *world) load(t *testing.T) (map[string]terrRow, []repRow) {
	t.Helper()
	ctx := context.Background()
	terrs := map[string]terrRow{}
	rows, err := w.db.QueryContext(ctx, `SELECT code, path, level, created_at, retired_at FROM org_territories`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r terrRow
		var level, created, retired string
		if err := rows.Scan(&r.code, &r.path, &level, &created, &retired); err != nil {
			t.Fatal(err)
		}
		r.level = org.Level(level)
		r.created, _ = time.Parse("2006-01-02T15:04:05.000000000Z", created)
		if retired != "" {
			at, _ := time.Parse("2006-01-02T15:04:05.000000000Z", retired)
			r.retired = &at
		}
		terrs[r.code] = r
	}
	rows.Close()
	var reps []repRow
	rows, err = w.db.QueryContext(ctx, `SELECT territory, org, period, status, vals, on_time FROM report_reports`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r repRow
		var status, vals string
		var onTime int
		if err := rows.Scan(&r.territory, &r.org, &r.period, &status, &vals, &onTime); err != nil {
			t.Fatal(err)
		}
		r.status, r.onTime = report.Status(status), onTime == 1
		if err := json.Unmarshal([]byte(vals), &r.vals); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	rows.Close()
	return terrs, reps
}

// expectedIn is the expected rule, written again from the package doc.
func expectedIn(tr terrRow, p report.Period) bool {
	if tr.level != org.Village {
		return true
	}
	return !tr.created.After(p.Start) && (tr.retired == nil || !tr.retired.Before(p.End))
}

func (w *world) direct(terrs map[string]terrRow, reps []repRow, at terrRow, orgs []org.Org, p report.Period) direct {
	d := direct{totals: map[string]float64{"a": 0, "b": 0, "c": 0}, texts: map[string]int{}}
	in := func(code string) bool { return strings.HasPrefix(terrs[code].path, at.path) }
	done := map[string]bool{}
	for _, r := range reps {
		if r.period != p.Key || !in(r.territory) || !slices.Contains(orgs, org.Org(r.org)) || !r.status.Reported() {
			continue
		}
		for _, k := range []string{"a", "b", "c"} {
			if v, ok := r.vals[k].(float64); ok {
				d.totals[k] += v
			}
		}
		for _, k := range []string{"t", "u"} {
			if s, _ := r.vals[k].(string); s != "" {
				d.texts[k]++
			}
		}
		if expectedIn(terrs[r.territory], p) {
			d.reported++
			if r.onTime {
				d.onTime++
			}
			done[r.territory+"/"+r.org] = true
		} else {
			d.extra++
		}
	}
	for _, tr := range terrs {
		if !in(tr.code) || !slices.Contains(w.ds.Levels, tr.level) || !expectedIn(tr, p) {
			continue
		}
		for _, o := range orgs {
			d.expected++
			if id := tr.code + "/" + string(o); !done[id] {
				d.missing = append(d.missing, id)
			}
		}
	}
	slices.Sort(d.missing)
	return d
}

// check compares every roll-up of the world — every territory, each of
// its organisations and the Front's all — with the direct count.
func (w *world) check(t *testing.T, label string) {
	t.Helper()
	ctx := context.Background()
	terrs, reps := w.load(t)
	checked := 0
	for _, tr := range terrs {
		for _, p := range w.periods {
			for _, o := range org.Orgs {
				for _, all := range []bool{false, true} {
					if all && o != org.MTTQ {
						continue
					}
					orgs := []org.Org{o}
					if all {
						orgs = w.ds.Orgs
					} else if !slices.Contains(w.ds.Orgs, o) {
						orgs = nil
					}
					want := w.direct(terrs, reps, tr, orgs, p)
					got, err := w.svc.Rollup(ctx, w.ds.Key, org.UnitOf(tr.code, o), all, p, -1)
					if err != nil {
						t.Fatalf("%s: roll-up of %s/%s all=%v %s: %v", label, tr.code, o, all, p.Key, err)
					}
					missing := slices.Clone(got.Missing)
					slices.Sort(missing)
					texts := map[string]int{}
					for k, v := range got.Texts {
						texts[k] = len(v)
					}
					for k := range want.texts {
						if want.texts[k] > report.TextLimit {
							want.texts[k] = report.TextLimit
						}
					}
					if !equalTotals(got.Totals, want.totals) || got.Reported != want.reported || got.Expected != want.expected ||
						got.OnTime != want.onTime || got.Extra != want.extra || got.MissingCount != len(want.missing) ||
						!slices.Equal(missing, want.missing) || !equalCounts(texts, want.texts) {
						t.Fatalf("%s: roll-up of %s/%s all=%v %s:\n got totals %v reported %d expected %d on time %d extra %d missing %v texts %v\nwant totals %v reported %d expected %d on time %d extra %d missing %v texts %v",
							label, tr.code, o, all, p.Key, got.Totals, got.Reported, got.Expected, got.OnTime, got.Extra, missing, texts,
							want.totals, want.reported, want.expected, want.onTime, want.extra, want.missing, want.texts)
					}
					if got.Reported > got.Expected || (got.Expected > 0 && got.Percent > 100) {
						t.Fatalf("%s: %s/%s completeness %d of %d", label, tr.code, o, got.Reported, got.Expected)
					}
					checked++
				}
			}
		}
	}
	// The completion table's rows add up to the roll-up, less the
	// territory's own report.
	for _, tr := range terrs {
		if tr.level == org.Village {
			continue
		}
		u := org.UnitOf(tr.code, org.MTTQ)
		for _, p := range w.periods {
			rows, err := w.svc.Children(ctx, w.ds.Key, u, true, p)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := w.svc.Rollup(ctx, w.ds.Key, u, true, p, 0)
			if err != nil {
				t.Fatal(err)
			}
			own := w.direct(terrs, filterTerritory(reps, tr.code), tr, w.ds.Orgs, p)
			sum := own.totals
			reported, expected := 0, 0
			for _, r := range rows {
				for k, v := range r.Totals {
					sum[k] += v
				}
				reported += r.Reported
				expected += r.Expected
			}
			ownUnits := 0
			if slices.Contains(w.ds.Levels, tr.level) {
				ownUnits = len(w.ds.Orgs)
			}
			if !equalTotals(sum, whole.Totals) || reported+ownReported(reps, tr, p) != whole.Reported || expected+ownUnits != whole.Expected {
				t.Fatalf("%s: the completion table of %s %s adds up to %v, %d of %d; the roll-up is %v, %d of %d",
					label, tr.code, p.Key, sum, reported, expected, whole.Totals, whole.Reported, whole.Expected)
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

func filterTerritory(reps []repRow, code string) []repRow {
	var out []repRow
	for _, r := range reps {
		if r.territory == code {
			out = append(out, r)
		}
	}
	return out
}

func ownReported(reps []repRow, tr terrRow, p report.Period) int {
	n := 0
	for _, r := range reps {
		if r.territory == tr.code && r.period == p.Key && r.status.Reported() {
			n++
		}
	}
	return n
}

func equalTotals(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if d := v - b[k]; d > 1e-6 || d < -1e-6 {
			return false
		}
	}
	return true
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestRollupProperty: over random trees with villages created and retired
// during the periods, random reports and status changes, every roll-up
// equals the sum over its reports computed directly, completeness and
// timeliness match a direct count, and the running totals rebuilt from
// the reports give the same answers.
func TestRollupProperty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		for i, seed := range propertySeeds {
			if testing.Short() && i >= 1 {
				break
			}
			t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
				// Each seed gets its own tables: one database per run, so
				// worlds are built in fresh schemas named by the seed.
				db := db
				if i > 0 {
					db = freshDB(t, db)
				}
				rng := rand.New(rand.NewSource(seed))
				w := newWorld(t, db, rng)
				w.run(t, rng, 250)
				var n int
				if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM report_reports WHERE status IN ('submitted', 'approved')`).Scan(&n); err != nil || n < 20 {
					t.Fatalf("only %d reports count (%v): the random steps test too little", n, err)
				}
				w.check(t, "running totals")
				kept := buckets(t, db)
				if err := w.svc.Rebuild(context.Background(), w.ds.Key, ""); err != nil {
					t.Fatal(err)
				}
				if rebuilt := buckets(t, db); !equalTotals(kept, rebuilt) {
					t.Fatalf("running totals kept:\n%v\nrebuilt from the reports:\n%v", kept, rebuilt)
				}
			})
		}
	})
}

// buckets reads the running totals, leaving out those that came back to
// 0 (a rebuild does not write them).
func buckets(t *testing.T, db *store.DB) map[string]float64 {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT dataset, period, path, org, field, value FROM report_buckets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var d, p, path, o, f string
		var v float64
		if err := rows.Scan(&d, &p, &path, &o, &f, &v); err != nil {
			t.Fatal(err)
		}
		if v > 1e-9 || v < -1e-9 {
			out[d+" "+p+" "+path+" "+o+" "+f] = v
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no running totals")
	}
	return out
}

// freshDB opens another empty database of db's kind.
func freshDB(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if db.Dialect == store.Postgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}
