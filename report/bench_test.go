package report_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/report/reporttest"
	"github.com/mattranso/mattranso/store"
)

// EnvBenchReportDB names a database filled by `mattranso admin
// gen-reports` (an SQLite file or a postgres:// URL) for the benchmarks
// to run on at full scale; without it they build a reduced tree.
const EnvBenchReportDB = "MATTRANSO_BENCH_REPORT_DB"

// The reduced tree: 10 provinces of 20 communes with 2,000 villages,
// 13,200 units.
const (
	benchProvinces = 10
	benchCommunes  = 20
	benchVillages  = 2000
)

type benchWorld struct {
	svc      *report.Service
	last     report.Period
	province string
	units    []org.Unit
}

// newBenchWorld opens the full-scale database when EnvBenchReportDB is
// set (weeks is then what it holds), or generates the reduced tree with
// weeks of reports in a temporary SQLite file.
func newBenchWorld(b *testing.B, weeks int) *benchWorld {
	b.Helper()
	ctx := context.Background()
	dsn := os.Getenv(EnvBenchReportDB)
	generate := dsn == ""
	if generate {
		dsn = b.TempDir() + "/bench.db"
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	tree := org.NewStore(db)
	svc, err := report.NewService(report.Options{DB: db, Tree: tree, Datasets: []report.Dataset{reporttest.Dataset()}})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if generate {
		if err := reporttest.SyntheticTree(ctx, tree, benchProvinces, benchCommunes); err != nil {
			b.Fatal(err)
		}
		if _, err := reporttest.Generate(ctx, db, reporttest.Options{Villages: benchVillages, Weeks: weeks, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	w := &benchWorld{svc: svc}
	var last string
	if err := db.QueryRowContext(ctx, `SELECT MAX(period) FROM report_reports WHERE dataset = 'weekly'`).Scan(&last); err != nil {
		b.Fatalf("%v (has %s been filled by mattranso admin gen-reports?)", err, dsn)
	}
	if w.last, err = report.ParsePeriod(report.Weekly, last); err != nil {
		b.Fatal(err)
	}
	provinces, err := tree.Children(ctx, "VN")
	if err != nil || len(provinces) == 0 {
		b.Fatalf("no provinces: %v", err)
	}
	w.province = provinces[0].Code
	// The units written to: communes and villages of the first province.
	for _, l := range []org.Level{org.Commune, org.Village} {
		ts, err := tree.Descendants(ctx, w.province, l)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range ts {
			w.units = append(w.units, org.UnitOf(t.Code, org.HND))
		}
	}
	return w
}

// benchRollup measures one roll-up with completeness, timeliness, the
// first DefaultMissingLimit missing units and the texts, as the API
// answers it.
func benchRollup(b *testing.B, w *benchWorld, u org.Unit) {
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := w.svc.Rollup(ctx, "weekly", u, u.Org == org.MTTQ, w.last, report.DefaultMissingLimit)
		if err != nil {
			b.Fatal(err)
		}
		if r.Expected == 0 || r.Reported == 0 {
			b.Fatalf("empty roll-up %+v", r)
		}
	}
}

// BenchmarkRollupNational is the country's roll-up for one week, all six
// organisations; with 1 and 12 weeks of history on the same tree its cost
// should not change.
func BenchmarkRollupNational(b *testing.B) {
	for _, weeks := range benchWeeks() {
		b.Run(fmt.Sprintf("weeks=%d", weeks), func(b *testing.B) {
			w := newBenchWorld(b, weeks)
			benchRollup(b, w, org.UnitOf("VN", org.MTTQ))
		})
	}
}

// BenchmarkRollupProvince is one province's roll-up for one week, all six
// organisations.
func BenchmarkRollupProvince(b *testing.B) {
	for _, weeks := range benchWeeks() {
		b.Run(fmt.Sprintf("weeks=%d", weeks), func(b *testing.B) {
			w := newBenchWorld(b, weeks)
			benchRollup(b, w, org.UnitOf(w.province, org.MTTQ))
		})
	}
}

// benchWeeks are the histories compared on the reduced tree; a
// full-scale database has the history it was filled with.
func benchWeeks() []int {
	if os.Getenv(EnvBenchReportDB) != "" {
		return []int{0}
	}
	return []int{1, 12}
}

func benchValues(rng *rand.Rand) map[string]any {
	staff := 3 + rng.Intn(20)
	return map[string]any{"members": float64(50 + rng.Intn(2000)), "staff": float64(staff), "full_time": float64(rng.Intn(staff + 1)),
		"activities": float64(rng.Intn(8)), "notes": "Số liệu thử."}
}

// BenchmarkSave is one report submitted (validated, with its history
// event and its running totals) to a unit of the province, in the
// current week.
func BenchmarkSave(b *testing.B) {
	w := newBenchWorld(b, 2)
	ctx := context.Background()
	p := report.CurrentPeriod(report.Weekly, time.Now())
	rng := rand.New(rand.NewSource(1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := w.units[rng.Intn(len(w.units))]
		if _, err := w.svc.Save(ctx, "weekly", u, p, benchValues(rng), true, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveConcurrent is BenchmarkSave from 50 writers at once; it
// reports the median and the 99th percentile of one write's time.
func BenchmarkSaveConcurrent(b *testing.B) {
	w := newBenchWorld(b, 2)
	ctx := context.Background()
	p := report.CurrentPeriod(report.Weekly, time.Now())
	b.SetParallelism((50 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	var took []time.Duration
	var seed atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewSource(seed.Add(1)))
		var mine []time.Duration
		for pb.Next() {
			u := w.units[rng.Intn(len(w.units))]
			start := time.Now()
			if _, err := w.svc.Save(ctx, "weekly", u, p, benchValues(rng), true, "bench"); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(took) > 0 {
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	}
}
