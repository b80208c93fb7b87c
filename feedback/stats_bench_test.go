package feedback_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/topic"
)

// benchItems is how many items the statistics benchmark sums.
const benchItems = 20_000

// BenchmarkStats measures Stats.Figures — every query of the page and the
// exports, the medians and the tables — over 20,000 items received in the
// two years before now across 150 communes of two provinces, on each
// database: for the whole tree, a province and a commune, over the default
// 12 weeks and over two years.
func BenchmarkStats(b *testing.B) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		b.Run(dbName, func(b *testing.B) {
			var db *store.DB
			if dbName == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			e := newEnv(b, db, envOptions{noClassifier: true})
			communes := benchTree(b, e)
			benchSeed(b, e, communes)
			st, err := feedback.NewStats(e.svc, feedback.StatsOptions{Workdays: workday.Default()})
			if err != nil {
				b.Fatal(err)
			}
			for _, unit := range []string{"VN/MTTQ", "79/MTTQ", communes[0] + "/MTTQ"} {
				for _, period := range []struct {
					name string
					p    feedback.Period
				}{
					{"12weeks", feedback.DefaultPeriod(e.now)},
					{"2years", feedback.Period{From: e.now.AddDate(-2, 0, 0), To: e.now}},
				} {
					b.Run(strings.ReplaceAll(unit, "/", "-")+"/"+period.name, func(b *testing.B) {
						var f feedback.Figures
						for b.Loop() {
							if f, err = st.Figures(context.Background(), unit, period.p); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(f.Totals.Received), "items")
					})
				}
			}
		})
	}
}

// benchTree adds 100 communes to Hồ Chí Minh City and 50 to Hà Nội and
// returns the codes of every commune, the city's first.
func benchTree(b *testing.B, e *env) []string {
	b.Helper()
	var csv strings.Builder
	csv.WriteString("level,code,name,short_name,type,type_full,parent_code,parent_name\n")
	csv.WriteString("province,01,Thành phố Hà Nội,Hà Nội,Thành phố,Thành phố trực thuộc trung ương,,\n")
	csv.WriteString("province,79,Thành phố Hồ Chí Minh,Hồ Chí Minh,Thành phố,Thành phố trực thuộc trung ương,,\n")
	var codes []string
	for i := range 150 {
		prov, pname, code := "79", "Thành phố Hồ Chí Minh", fmt.Sprintf("%05d", 27000+i)
		if i >= 100 {
			prov, pname, code = "01", "Thành phố Hà Nội", fmt.Sprintf("%05d", 100+i)
		}
		fmt.Fprintf(&csv, "commune,%s,Phường Số %d,Số %d,Phường,Phường,%s,%s\n", code, i, i, prov, pname)
		codes = append(codes, code)
	}
	if _, err := e.tree.ImportTerritories(context.Background(), strings.NewReader(csv.String())); err != nil {
		b.Fatal(err)
	}
	return codes
}

// benchSeed writes benchItems items, 500 a statement: a commune and a
// topic each (a few communes and topics more often than others), received
// over the two years before e.now, due ten days later, four in five
// answered between the same day and three weeks later, some of those
// closed, the rest open or rejected.
func benchSeed(b *testing.B, e *env, communes []string) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	topics := topic.DefaultTaxonomy().IDs()
	paths := map[string]string{}
	for _, c := range communes {
		t, err := e.tree.Territory(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		paths[c] = t.Path
	}
	now := e.now.Unix()
	span := int64(2 * 365 * 24 * 3600)
	const batch = 500
	const cols = 14
	for start := 0; start < benchItems; start += batch {
		var sql strings.Builder
		sql.WriteString(`INSERT INTO feedback_items (code, content, province, commune, level, unit, unit_path, topic,
			topic_source, state, outcome, created_at, updated_at, due_at, answered_at) VALUES `)
		args := make([]any, 0, batch*cols)
		for i := start; i < min(start+batch, benchItems); i++ {
			c := communes[min(len(communes)-1, int(rng.ExpFloat64()*30))]
			tp := topics[min(len(topics)-1, int(rng.ExpFloat64()*3))]
			created := now - rng.Int64N(span)
			due := created + 10*24*3600
			state, outcome := feedback.InProgress, ""
			var answered any
			switch x := rng.IntN(100); {
			case x < 80:
				a := created + rng.Int64N(21*24*3600)
				if a > now {
					break
				}
				answered, state = a, feedback.Answered
				if x < 50 {
					state, outcome = feedback.Closed, string(feedback.Resolved)
				}
			case x < 85:
				state = feedback.Rejected
			}
			if i > start {
				sql.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sql, "($%d, 'x', $%d, $%d, 'commune', $%d, $%d, $%d, 'classifier', $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12)
			province := "79"
			if strings.HasPrefix(paths[c], "VN/01/") {
				province = "01"
			}
			args = append(args, fmt.Sprintf("B%09d", i), province, c, c+"/MTTQ", paths[c], tp, string(state), outcome,
				created, created, due, answered)
		}
		if _, err := e.db.ExecContext(ctx, sql.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	// As a database in service would be: its statistics gathered, and on
	// PostgreSQL the visibility map set by (auto)vacuum, without which no
	// scan can be index-only.
	analyze := `ANALYZE`
	if e.db.Dialect == store.Postgres {
		analyze = `VACUUM ANALYZE feedback_items`
	}
	if _, err := e.db.ExecContext(ctx, analyze); err != nil {
		b.Fatal(err)
	}
}
