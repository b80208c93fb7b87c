package report_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/report/reporttest"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
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
	db       *store.DB
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
	dsn := os.Getenv(EnvBenchReportDB)
	generate := dsn == ""
	if generate {
		dsn = b.TempDir() + "/bench.db"
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return benchWorldOn(b, db, generate, weeks)
}

// benchWorldOn is newBenchWorld on an open database, generating the
// reduced tree in it with generate.
func benchWorldOn(b *testing.B, db *store.DB, generate bool, weeks int) *benchWorld {
	b.Helper()
	ctx := context.Background()
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
		// The generation's log is copied into the database now rather
		// than beside the writes measured.
		if db.Dialect == store.SQLite {
			if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				b.Fatal(err)
			}
		}
	}
	w := &benchWorld{db: db, svc: svc}
	var last string
	if err := db.QueryRowContext(ctx, `SELECT MAX(period) FROM report_reports WHERE dataset = 'weekly'`).Scan(&last); err != nil {
		b.Fatalf("%v (has the database been filled by mattranso admin gen-reports?)", err)
	}
	if w.last, err = report.ParsePeriod(report.Weekly, last); err != nil {
		b.Fatal(err)
	}
	provinces, err := tree.Children(ctx, "VN")
	if err != nil || len(provinces) == 0 {
		b.Fatalf("no provinces: %v", err)
	}
	w.province = provinces[0].Code
	// The units written to: the communes and villages of the first
	// province, of the six organisations, so that concurrent writes meet
	// on a bucket's running totals about as often as a province's units
	// do on a reporting day.
	for _, l := range []org.Level{org.Commune, org.Village} {
		ts, err := tree.Descendants(ctx, w.province, l)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range ts {
			for _, o := range org.Orgs {
				w.units = append(w.units, org.UnitOf(t.Code, o))
			}
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
// event and its running totals) to a random commune or village unit of
// the province's, in the current week: from one writer, from 50 writers
// each writing again as soon as answered (closed loop), and from 50
// writers paced to a total rate (open loop, each write's time taken from
// when it was due, so that a write that waits for a late one counts its
// wait). It runs on the database named by EnvBenchReportDB, or on the
// reduced tree generated on SQLite and, when EnvDatabaseURL names a
// server (scripts/test.sh), on PostgreSQL.
func BenchmarkSave(b *testing.B) {
	run := func(b *testing.B, w *benchWorld) {
		b.Run("writers=1", func(b *testing.B) { benchSaveOne(b, w) })
		b.Run("writers=50", func(b *testing.B) { benchSaveClosed(b, w, 50) })
		for _, rate := range []int{200, 500} {
			b.Run(fmt.Sprintf("writers=50,rate=%d", rate), func(b *testing.B) { benchSavePaced(b, w, 50, rate) })
		}
	}
	if os.Getenv(EnvBenchReportDB) != "" {
		w := newBenchWorld(b, 0)
		b.Run(string(w.db.Dialect), func(b *testing.B) { run(b, w) })
		return
	}
	b.Run("sqlite", func(b *testing.B) { run(b, benchWorldOn(b, storetest.SQLite(b), true, 2)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(testenv.EnvDatabaseURL) == "" {
			b.Skip(testenv.EnvDatabaseURL + " is not set: run through scripts/test.sh")
		}
		run(b, benchWorldOn(b, storetest.Postgres(b), true, 2))
	})
}

func benchSaveOne(b *testing.B, w *benchWorld) {
	ctx := context.Background()
	p := report.CurrentPeriod(report.Weekly, time.Now())
	rng := rand.New(rand.NewSource(1))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := w.units[rng.Intn(len(w.units))]
		if _, err := w.svc.Save(ctx, "weekly", u, p, benchValues(rng), true, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSaveClosed is b.N writes from n writers that write again as soon
// as they are answered.
func benchSaveClosed(b *testing.B, w *benchWorld, n int) {
	ctx := context.Background()
	p := report.CurrentPeriod(report.Weekly, time.Now())
	var next atomic.Int64
	took := make([][]time.Duration, n)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i) + 1))
			for next.Add(1) <= int64(b.N) {
				u := w.units[rng.Intn(len(w.units))]
				t0 := time.Now()
				if _, err := w.svc.Save(ctx, "weekly", u, p, benchValues(rng), true, "bench"); err != nil {
					b.Error(err)
					return
				}
				took[i] = append(took[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	reportLatencies(b, took, time.Since(start))
}

// benchSavePaced is b.N writes from n writers that together write rate
// times a second: writer i's k-th write is due at (i/n + k)·n/rate
// seconds, and its time runs from then.
func benchSavePaced(b *testing.B, w *benchWorld, n, rate int) {
	ctx := context.Background()
	p := report.CurrentPeriod(report.Weekly, time.Now())
	every := time.Duration(n) * time.Second / time.Duration(rate)
	took := make([][]time.Duration, n)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		// Writer i makes the writes i, i+n, i+2n… of b.N.
		count := (b.N - i + n - 1) / n
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i) + 1))
			for k := range count {
				due := start.Add(every*time.Duration(k) + every*time.Duration(i)/time.Duration(n))
				time.Sleep(time.Until(due))
				u := w.units[rng.Intn(len(w.units))]
				if _, err := w.svc.Save(ctx, "weekly", u, p, benchValues(rng), true, "bench"); err != nil {
					b.Error(err)
					return
				}
				took[i] = append(took[i], time.Since(due))
			}
		}()
	}
	wg.Wait()
	reportLatencies(b, took, time.Since(start))
}

// reportLatencies reports the median, 99th percentile and slowest of the
// writes' times and the writes done per second.
func reportLatencies(b *testing.B, took [][]time.Duration, elapsed time.Duration) {
	b.StopTimer()
	all := slices.Concat(took...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
	b.ReportMetric(ms(all[len(all)-1]), "max-ms")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "writes/s")
}
