// Package reporttest generates report data at scale — villages under the
// communes of a unit tree and weeks of reports from every unit — for the
// report package's benchmarks and for `mattranso admin gen-reports`,
// which fills a database to measure a deployment's size (90,000 villages,
// six organisations, 52 weeks: about 28 million reports).
//
// It writes rows in bulk, not through report.Service: a year of a
// country's reports through the workflow would take hours. The rows are
// what the workflow writes — reports submitted or approved, on time or
// not, with their running totals — except the history events, which no
// roll-up reads. Villages are written as org's CreateVillage writes them,
// with the communes' counters.
package reporttest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"slices"
	"strings"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
)

const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Dataset is the data set the scale is measured with: the default weekly
// report, filed by communes and villages.
func Dataset() report.Dataset {
	d := report.DefaultDatasets()[0]
	d.Levels = []org.Level{org.Commune, org.Village}
	return d
}

// SyntheticTree imports provinces × communes territories with made-up
// codes and names (provinces 10, 11…; communes PP001, PP002…), for a tree
// of a chosen size without the official list.
func SyntheticTree(ctx context.Context, tree *org.Store, provinces, communes int) error {
	if provinces < 1 || provinces > 89 || communes < 1 || communes > 999 {
		return fmt.Errorf("reporttest: %d provinces of %d communes: want 1–89 and 1–999", provinces, communes)
	}
	var b strings.Builder
	b.WriteString("level,code,name,short_name,type,type_full,parent_code,parent_name\n")
	for p := 0; p < provinces; p++ {
		pc := fmt.Sprintf("%02d", 10+p)
		fmt.Fprintf(&b, "province,%s,Tỉnh Mẫu %s,Mẫu %s,Tỉnh,Tỉnh,,\n", pc, pc, pc)
		for c := 1; c <= communes; c++ {
			cc := fmt.Sprintf("%s%03d", pc, c)
			fmt.Fprintf(&b, "commune,%s,Xã Mẫu %s,Mẫu %s,Xã,Xã,%s,Tỉnh Mẫu %s\n", cc, cc, cc, pc, pc)
		}
	}
	_, err := tree.ImportTerritories(ctx, strings.NewReader(b.String()))
	return err
}

// Options say what to generate.
type Options struct {
	// Villages are added, spread evenly over the communes of the tree
	// (none: the villages already there are used).
	Villages int
	// Weeks of reports, ending with Last (default: the week before the
	// current one).
	Weeks int
	Last  report.Period
	// Rate is the share of units that report in a week (default 0.9),
	// OnTime the share of those on time (default 0.8).
	Rate, OnTime float64
	Seed         int64
	// Progress, when set, gets a line per week.
	Progress io.Writer
}

// Summary is what was generated.
type Summary struct {
	Communes, Villages, Units, Weeks, Reports int
	Periods                                   []string
}

// Generate adds villages and weeks of reports of Dataset() to db, whose
// org and report tables must exist (report.Service.Migrate) and whose
// tree has communes.
func Generate(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	var sum Summary
	if o.Weeks < 1 || o.Weeks > 520 {
		return sum, fmt.Errorf("reporttest: %d weeks: want 1 to 520", o.Weeks)
	}
	if o.Rate == 0 {
		o.Rate = 0.9
	}
	if o.OnTime == 0 {
		o.OnTime = 0.8
	}
	if o.Last.Key == "" {
		o.Last = report.CurrentPeriod(report.Weekly, time.Now()).Prev()
	}
	periods := make([]report.Period, o.Weeks)
	p := o.Last
	for i := o.Weeks - 1; i >= 0; i-- {
		periods[i] = p
		p = p.Prev()
	}
	rng := rand.New(rand.NewSource(o.Seed))
	l, err := openLoader(ctx, db)
	if err != nil {
		return sum, err
	}
	defer l.close(ctx)
	communes, err := readCommunes(ctx, db)
	if err != nil {
		return sum, err
	}
	if len(communes) == 0 {
		return sum, fmt.Errorf("reporttest: the tree has no communes (import them first)")
	}
	// Villages are created a year before the first week, so that all are
	// expected in every week.
	if o.Villages > 0 {
		if err := addVillages(ctx, l, communes, o.Villages, periods[0].Start.AddDate(-1, 0, 0)); err != nil {
			return sum, err
		}
	}
	units, err := readUnits(ctx, db)
	if err != nil {
		return sum, err
	}
	d := Dataset()
	sum = Summary{Communes: len(communes), Units: len(units) * len(d.Orgs), Weeks: o.Weeks}
	for _, u := range units {
		if u.level == org.Village {
			sum.Villages++
		}
	}
	for _, p := range periods {
		n, err := writeWeek(ctx, l, d, p, units, o, rng)
		if err != nil {
			return sum, err
		}
		sum.Reports += n
		sum.Periods = append(sum.Periods, p.Key)
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s: %d reports\n", p.Key, n)
		}
	}
	if db.Dialect == store.Postgres {
		// What autovacuum would do some time later: statistics for the
		// planner, and the visibility map that lets a scan answer from an
		// index alone (the missing list's reads of the path index).
		if _, err := l.conn.ExecContext(ctx, `VACUUM ANALYZE org_territories, report_reports, report_buckets`); err != nil {
			return sum, fmt.Errorf("reporttest: vacuum: %w", err)
		}
	}
	return sum, nil
}

type terr struct {
	code, path, bucket string
	level              org.Level
}

func readCommunes(ctx context.Context, db *store.DB) ([]terr, error) {
	rows, err := db.QueryContext(ctx, `SELECT code, path FROM org_territories WHERE level = 'commune' ORDER BY path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []terr
	for rows.Next() {
		var t terr
		if err := rows.Scan(&t.code, &t.path); err != nil {
			return nil, err
		}
		t.level, t.bucket = org.Commune, t.path
		out = append(out, t)
	}
	return out, rows.Err()
}

// readUnits reads the communes and active villages, with the path of the
// bucket their reports feed.
func readUnits(ctx context.Context, db *store.DB) ([]terr, error) {
	rows, err := db.QueryContext(ctx, `SELECT code, path, level FROM org_territories
		WHERE level IN ('commune', 'village') AND retired_at = '' ORDER BY path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []terr
	for rows.Next() {
		var t terr
		var level string
		if err := rows.Scan(&t.code, &t.path, &level); err != nil {
			return nil, err
		}
		t.level, t.bucket = org.Level(level), t.path
		if t.level == org.Village {
			p := strings.TrimSuffix(t.path, "/")
			t.bucket = p[:strings.LastIndex(p, "/")+1]
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func addVillages(ctx context.Context, l *loader, communes []terr, n int, created time.Time) error {
	if err := l.begin(ctx); err != nil {
		return err
	}
	defer l.rollback(ctx)
	at := created.UTC().Format(timeLayout)
	var rows [][]any
	for i, c := range communes {
		k := n / len(communes)
		if i < n%len(communes) {
			k++
		}
		if k == 0 {
			continue
		}
		next, err := l.queryInt(ctx, `UPDATE org_territories SET next_child = next_child + $2, villages = villages + $2
			WHERE code = $1 RETURNING next_child`, c.code, k)
		if err != nil {
			return fmt.Errorf("reporttest: villages of %s: %w", c.code, err)
		}
		for j := next - k + 1; j <= next; j++ {
			code := fmt.Sprintf("%s-%03d", c.code, j)
			short := fmt.Sprintf("Số %d", j)
			full := "Thôn " + short
			// created_at and updated_at are the same time.
			rows = append(rows, []any{code, c.code, c.path + code + "/", full, short, "Thôn", org.NameKey(full), org.NameKey(short),
				corpus.Fold(full), at, at, string(org.Village)})
		}
		if len(rows) >= 20000 {
			if err := insertVillages(ctx, l, rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	if err := insertVillages(ctx, l, rows); err != nil {
		return err
	}
	return l.commit(ctx)
}

var villageColumns = []string{"code", "parent_code", "path", "name", "short_name", "kind", "name_key", "short_key",
	"name_fold", "created_at", "updated_at", "level"}

func insertVillages(ctx context.Context, l *loader, rows [][]any) error {
	if err := l.insert(ctx, "org_territories", villageColumns, rows); err != nil {
		return fmt.Errorf("reporttest: villages: %w", err)
	}
	return nil
}

var (
	reportColumns = []string{"dataset", "period", "territory", "org", "level", "bucket", "path", "status", "vals",
		"texts", "submitted_at", "first_submitted_at", "approved_at", "on_time", "version", "created_at", "updated_at", "updated_by"}
	bucketColumns = []string{"dataset", "period", "path", "org", "field", "value"}
)

// writeWeek writes one week's reports and their running totals in one
// transaction. The totals are summed in memory as the rows are made and
// written once per bucket and field at the end, as Rebuild would find
// them, rather than by an upsert per report as a write through the
// Service does.
func writeWeek(ctx context.Context, l *loader, d report.Dataset, p report.Period, units []terr, o Options, rng *rand.Rand) (int, error) {
	if err := l.begin(ctx); err != nil {
		return 0, err
	}
	defer l.rollback(ctx)
	deadline := d.Deadline(p)
	numeric := d.NumericKeys()
	type bkey struct{ path, org, field string }
	sums := map[bkey]float64{}
	var rows [][]any
	n := 0
	flush := func() error {
		err := l.insert(ctx, "report_reports", reportColumns, rows)
		rows = rows[:0]
		return err
	}
	for _, u := range units {
		for _, og := range d.Orgs {
			if rng.Float64() >= o.Rate {
				continue
			}
			staff := 3 + rng.Intn(20)
			vals := map[string]any{"members": float64(50 + rng.Intn(2000)), "staff": float64(staff), "full_time": float64(rng.Intn(staff + 1)),
				"activities": float64(rng.Intn(8)), "citizens_reached": float64(rng.Intn(500)),
				"feedback_received": float64(rng.Intn(10)), "feedback_answered": float64(rng.Intn(10))}
			texts := 0
			if rng.Intn(10) == 0 {
				vals["typical_activities"] = "Ra quân làm sạch đường làng, ngõ xóm."
				texts = 1
			}
			b, _ := json.Marshal(vals)
			onTime := rng.Float64() < o.OnTime
			sub := deadline.Add(-time.Duration(rng.Int63n(int64(48 * time.Hour))))
			if !onTime {
				sub = deadline.Add(time.Duration(1 + rng.Int63n(int64(72*time.Hour))))
			}
			at := sub.UTC().Format(timeLayout)
			status, approved := report.Submitted, ""
			if rng.Intn(3) == 0 {
				status, approved = report.Approved, sub.Add(24*time.Hour).UTC().Format(timeLayout)
			}
			rows = append(rows, []any{d.Key, p.Key, u.code, string(og), string(u.level), u.bucket, u.path, string(status), string(b),
				texts, at, at, approved, boolInt(onTime), 1, at, at, "reporttest"})
			n++
			sums[bkey{u.bucket, string(og), "#reported"}]++
			if onTime {
				sums[bkey{u.bucket, string(og), "#on_time"}]++
			}
			for _, k := range numeric {
				sums[bkey{u.bucket, string(og), k}] += vals[k].(float64)
			}
			if len(rows) >= 20000 {
				if err := flush(); err != nil {
					return 0, fmt.Errorf("reporttest: reports of %s: %w", p.Key, err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return 0, fmt.Errorf("reporttest: reports of %s: %w", p.Key, err)
	}
	// In key order, so that the same seed writes the same rows in the
	// same order.
	keys := make([]bkey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b bkey) int {
		return cmp.Or(strings.Compare(a.path, b.path), strings.Compare(a.org, b.org), strings.Compare(a.field, b.field))
	})
	brows := make([][]any, len(keys))
	for i, k := range keys {
		brows[i] = []any{d.Key, p.Key, k.path, k.org, k.field, sums[k]}
	}
	if err := l.insert(ctx, "report_buckets", bucketColumns, brows); err != nil {
		return 0, fmt.Errorf("reporttest: running totals of %s: %w", p.Key, err)
	}
	return n, l.commit(ctx)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
