package report_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func TestSaveSubmitRollup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _ := newService(t, db, nil)
		p := period(t, "2026-W47")
		a, b := unit(t, "26734/HND"), unit(t, "26737/HND")
		if _, err := svc.Save(ctx, "weekly", a, p, goodValues(100), true, "a@x.vn"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Save(ctx, "weekly", b, p, goodValues(50), false, "b@x.vn"); err != nil {
			t.Fatal(err)
		}
		r, err := svc.Rollup(ctx, "weekly", unit(t, "79/HND"), false, p, -1)
		if err != nil {
			t.Fatal(err)
		}
		if r.Totals["members"] != 100 || r.Reported != 1 || r.Expected != 2 || r.OnTime != 1 || r.Percent != 50 {
			t.Fatalf("roll-up %+v", r)
		}
		if len(r.Missing) != 1 || r.Missing[0] != "26737/HND" || r.MissingCount != 1 {
			t.Fatalf("missing %v (%d)", r.Missing, r.MissingCount)
		}
		if got := r.Texts["typical_activities"]; len(got) != 1 || got[0].Unit != "26734/HND" {
			t.Fatalf("texts %v", r.Texts)
		}
		all, err := svc.Rollup(ctx, "weekly", unit(t, "VN/MTTQ"), true, p, 3)
		if err != nil {
			t.Fatal(err)
		}
		if all.Expected != 3*6 || all.Reported != 1 || len(all.Missing) != 3 || all.MissingCount != 17 {
			t.Fatalf("national roll-up %+v", all)
		}
		if _, err := svc.Rollup(ctx, "weekly", unit(t, "VN/HND"), true, p, 0); !errors.Is(err, report.ErrInvalid) {
			t.Fatalf("org=all on HND: %v", err)
		}
	})
}
