package reporttest_test

import (
	"context"
	"testing"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/report/reporttest"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// The generated running totals are the ones the reports give: the
// national roll-up is the same before and after Rebuild, and counts
// every generated report of every expected unit.
func TestGenerate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tree := org.NewStore(db)
		svc, err := report.NewService(report.Options{DB: db, Tree: tree, Datasets: []report.Dataset{reporttest.Dataset()}})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := reporttest.SyntheticTree(ctx, tree, 2, 3); err != nil {
			t.Fatal(err)
		}
		sum, err := reporttest.Generate(ctx, db, reporttest.Options{Villages: 20, Weeks: 2, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Communes != 6 || sum.Villages != 20 || sum.Units != 26*6 || sum.Reports < sum.Units || sum.Reports >= 2*sum.Units {
			t.Fatalf("summary %+v", sum)
		}
		c, err := tree.CountDescendants(ctx, "VN")
		if err != nil || c.Villages != 20 {
			t.Fatalf("counts %+v %v", c, err)
		}
		vs, err := tree.Villages(ctx, "10001", false)
		if err != nil || len(vs) == 0 || vs[0].Code != "10001-001" {
			t.Fatalf("villages of 10001: %v %v", vs, err)
		}
		reported := 0
		var before []report.Rollup
		for _, k := range sum.Periods {
			p, err := report.ParsePeriod(report.Weekly, k)
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.Rollup(ctx, "weekly", org.UnitOf("VN", org.MTTQ), true, p, 5)
			if err != nil {
				t.Fatal(err)
			}
			if r.Expected != sum.Units || r.Extra != 0 || r.MissingCount != r.Expected-r.Reported || len(r.Missing) != 5 {
				t.Fatalf("%s: %+v", k, r)
			}
			reported += r.Reported
			before = append(before, r)
		}
		if reported != sum.Reports {
			t.Fatalf("roll-ups count %d reports, %d generated", reported, sum.Reports)
		}
		if err := svc.Rebuild(ctx, "weekly", ""); err != nil {
			t.Fatal(err)
		}
		for i, k := range sum.Periods {
			p, _ := report.ParsePeriod(report.Weekly, k)
			r, err := svc.Rollup(ctx, "weekly", org.UnitOf("VN", org.MTTQ), true, p, 5)
			if err != nil {
				t.Fatal(err)
			}
			for f, v := range before[i].Totals {
				if r.Totals[f] != v {
					t.Fatalf("%s: %s is %v generated, %v rebuilt", k, f, v, r.Totals[f])
				}
			}
			if r.Reported != before[i].Reported || r.OnTime != before[i].OnTime {
				t.Fatalf("%s: counts differ after Rebuild", k)
			}
		}
	})
}
