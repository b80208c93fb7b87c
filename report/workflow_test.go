package report_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

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

// count reads how many rows a table holds, to show that a refusal wrote
// nothing.
func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func fieldOf(t *testing.T, err error) []string {
	t.Helper()
	var ve *report.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	var out []string
	for _, e := range ve.Errors {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

// Every refusal names what was wrong and writes nothing: no report, no
// event, no running total.
func TestSaveRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, c := newService(t, db, nil)
		p := period(t, "2026-W47")
		u := unit(t, "26734/HND")
		village, err := svc.Tree().CreateVillage(ctx, "26734", "Khu phố 1", "Khu phố")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Tree().RetireVillage(ctx, village.Code); err != nil {
			t.Fatal(err)
		}
		villages := report.DefaultDatasets()
		villages[0].Key, villages[0].Levels = "villages", append(villages[0].Levels, "village")
		svc2, err := report.NewService(report.Options{DB: db, Tree: svc.Tree(), Datasets: append(report.DefaultDatasets(), villages[0]), Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		bad := func(vals map[string]any) map[string]any {
			out := goodValues(100)
			for k, v := range vals {
				out[k] = v
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			svc    *report.Service
			ds     string
			unit   string
			period report.Period
			values map[string]any
			submit bool
			want   error
			fields []string
		}{
			{"unknown field", svc, "weekly", u.String(), p, bad(map[string]any{"membres": 3.0}), true, nil, []string{"membres:unknown_field"}},
			{"text for a number", svc, "weekly", u.String(), p, bad(map[string]any{"members": "một trăm"}), true, nil, []string{"members:invalid_value"}},
			{"fraction for an integer", svc, "weekly", u.String(), p, bad(map[string]any{"activities": 2.5}), true, nil, []string{"activities:invalid_value"}},
			{"negative", svc, "weekly", u.String(), p, bad(map[string]any{"staff": -1.0, "full_time": -2.0}), true, nil, []string{"full_time:invalid_value", "staff:invalid_value"}},
			{"full_time over staff", svc, "weekly", u.String(), p, bad(map[string]any{"full_time": 9.0}), true, nil, []string{"full_time:invalid_value"}},
			{"bool for text", svc, "weekly", u.String(), p, bad(map[string]any{"difficulties": true}), true, nil, []string{"difficulties:invalid_value"}},
			{"required at submission", svc, "weekly", u.String(), p, map[string]any{"members": 3.0}, true, nil,
				[]string{"staff:required", "full_time:required", "activities:required"}},
			{"unknown unit", svc, "weekly", "26999/HND", p, goodValues(1), true, report.ErrNotFound, nil},
			{"unit that does not file", svc, "weekly", "79/HND", p, goodValues(1), true, report.ErrNotReporting, nil},
			{"unknown data set", svc, "monthly", u.String(), p, goodValues(1), true, report.ErrNotFound, nil},
			{"future period", svc, "weekly", u.String(), period(t, "2026-W49"), goodValues(1), true, report.ErrFuture, nil},
			{"locked period", svc, "weekly", u.String(), period(t, "2026-W45"), goodValues(1), true, report.ErrLocked, nil},
			{"retired village", svc2, "villages", village.Code + "/HND", p, goodValues(1), true, report.ErrRetired, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.svc.Save(ctx, tc.ds, unit(t, tc.unit), tc.period, tc.values, tc.submit, "x@x.vn")
				if err == nil {
					t.Fatal("saved")
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Fatalf("error %v, want %v", err, tc.want)
				}
				if tc.fields != nil {
					if got := fieldOf(t, err); !equalSets(got, tc.fields) {
						t.Fatalf("fields %v, want %v", got, tc.fields)
					}
				}
				for _, table := range []string{"report_reports", "report_events", "report_buckets"} {
					if n := count(t, db, table); n != 0 {
						t.Fatalf("%s has %d rows after a refusal", table, n)
					}
				}
			})
		}
	})
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// The workflow: a draft does not count; submitted counts; returned leaves
// the totals and keeps its first submission's timeliness; resubmitted
// counts again; approved stays and is locked.
func TestWorkflow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, c := newService(t, db, nil)
		p := period(t, "2026-W47")
		u, up := unit(t, "26734/CD"), unit(t, "79/CD")
		totals := func(wantMembers float64, wantReported, wantOnTime int) {
			t.Helper()
			r, err := svc.Rollup(ctx, "weekly", up, false, p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if r.Totals["members"] != wantMembers || r.Reported != wantReported || r.OnTime != wantOnTime {
				t.Fatalf("roll-up: members %v reported %d on time %d; want %v %d %d", r.Totals["members"], r.Reported, r.OnTime,
					wantMembers, wantReported, wantOnTime)
			}
		}
		rep, err := svc.Save(ctx, "weekly", u, p, map[string]any{"members": 10.0}, false, "c@x.vn")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != report.Draft || rep.Version != 1 {
			t.Fatalf("draft: %+v", rep)
		}
		totals(0, 0, 0)
		if _, err := svc.Approve(ctx, "weekly", u, p, "p@x.vn"); !errors.Is(err, report.ErrStatus) {
			t.Fatalf("approving a draft: %v", err)
		}
		if rep, err = svc.Save(ctx, "weekly", u, p, goodValues(40), true, "c@x.vn"); err != nil {
			t.Fatal(err)
		}
		if rep.Status != report.Submitted || !rep.OnTime || rep.FirstSubmittedAt == nil {
			t.Fatalf("submitted: %+v", rep)
		}
		totals(40, 1, 1)
		// Saved without submit, a submitted report stays submitted and its
		// values change in the totals.
		if rep, err = svc.Save(ctx, "weekly", u, p, goodValues(45), false, "c@x.vn"); err != nil || rep.Status != report.Submitted {
			t.Fatalf("edit: %+v %v", rep, err)
		}
		totals(45, 1, 1)
		if _, err := svc.Return(ctx, "weekly", u, p, "  ", "p@x.vn"); !errors.Is(err, report.ErrInvalid) {
			t.Fatalf("return without a reason: %v", err)
		}
		if rep, err = svc.Return(ctx, "weekly", u, p, "Số cán bộ chưa khớp danh sách.", "p@x.vn"); err != nil || rep.Status != report.Returned {
			t.Fatalf("return: %+v %v", rep, err)
		}
		totals(0, 0, 0)
		// Past the deadline, the resubmission keeps the first one's
		// timeliness.
		c.Set(vn(2026, 11, 24, 9, 0))
		if rep, err = svc.Save(ctx, "weekly", u, p, goodValues(44), true, "c@x.vn"); err != nil || !rep.OnTime || rep.ReturnReason != "" {
			t.Fatalf("resubmit: %+v %v", rep, err)
		}
		totals(44, 1, 1)
		if rep, err = svc.Approve(ctx, "weekly", u, p, "p@x.vn"); err != nil || rep.Status != report.Approved || !rep.Locked || rep.LockReason != report.LockApproved {
			t.Fatalf("approve: %+v %v", rep, err)
		}
		totals(44, 1, 1)
		if _, err := svc.Save(ctx, "weekly", u, p, goodValues(1), true, "c@x.vn"); !errors.Is(err, report.ErrLocked) {
			t.Fatalf("saving an approved report: %v", err)
		}
		if _, err := svc.GrantException(ctx, "weekly", u, p, c.Now().Add(time.Hour), "Sửa số liệu", "p@x.vn"); !errors.Is(err, report.ErrStatus) {
			t.Fatalf("an exception on an approved report: %v", err)
		}
		totals(44, 1, 1)
		hist, err := svc.History(ctx, "weekly", u, p)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range hist {
			actions = append(actions, e.Action)
		}
		want := "report.save report.submit report.save report.return report.submit report.approve"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("history %s, want %s", got, want)
		}
		if err := svc.Rebuild(ctx, "weekly", ""); err != nil {
			t.Fatal(err)
		}
		totals(44, 1, 1)
	})
}

// A late first submission is not on time; the period locks LockDays after
// the deadline; an upper level's exception reopens it for one unit until
// it expires.
func TestLockAndException(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, c := newService(t, db, nil)
		p := period(t, "2026-W47")
		u, other := unit(t, "26734/DTN"), unit(t, "26737/DTN")
		c.Set(vn(2026, 11, 23, 17, 0)) // the deadline itself is on time
		if rep, err := svc.Save(ctx, "weekly", u, p, goodValues(10), true, "c@x.vn"); err != nil || !rep.OnTime {
			t.Fatalf("at the deadline: %+v %v", rep, err)
		}
		c.Set(vn(2026, 11, 23, 17, 1))
		if rep, err := svc.Save(ctx, "weekly", other, p, goodValues(10), true, "c@x.vn"); err != nil || rep.OnTime {
			t.Fatalf("after the deadline: %+v %v", rep, err)
		}
		r, err := svc.Rollup(ctx, "weekly", unit(t, "79/DTN"), false, p, 0)
		if err != nil || r.Reported != 2 || r.OnTime != 1 || r.OnTimePercent != 50 {
			t.Fatalf("roll-up %+v %v", r, err)
		}
		c.Set(vn(2026, 11, 30, 17, 0))
		if _, err := svc.Save(ctx, "weekly", u, p, goodValues(11), false, "c@x.vn"); err != nil {
			t.Fatalf("at the lock time: %v", err)
		}
		c.Set(vn(2026, 11, 30, 17, 1))
		if _, err := svc.Save(ctx, "weekly", u, p, goodValues(12), false, "c@x.vn"); !errors.Is(err, report.ErrLocked) {
			t.Fatalf("after the lock time: %v", err)
		}
		if rep, err := svc.Report(ctx, "weekly", u, p); err != nil || !rep.Locked || rep.LockReason != report.LockPeriod {
			t.Fatalf("report: %+v %v", rep, err)
		}
		if _, err := svc.GrantException(ctx, "weekly", u, p, c.Now().Add(-time.Minute), "Bổ sung", "p@x.vn"); !errors.Is(err, report.ErrInvalid) {
			t.Fatalf("an exception in the past: %v", err)
		}
		rep, err := svc.GrantException(ctx, "weekly", u, p, c.Now().Add(48*time.Hour), "Bổ sung số liệu", "p@x.vn")
		if err != nil || rep.Locked || rep.ExceptionUntil == nil {
			t.Fatalf("exception: %+v %v", rep, err)
		}
		if _, err := svc.Save(ctx, "weekly", u, p, goodValues(13), true, "c@x.vn"); err != nil {
			t.Fatalf("within the exception: %v", err)
		}
		if _, err := svc.Save(ctx, "weekly", other, p, goodValues(13), true, "c@x.vn"); !errors.Is(err, report.ErrLocked) {
			t.Fatalf("another unit without one: %v", err)
		}
		c.Add(49 * time.Hour)
		if _, err := svc.Save(ctx, "weekly", u, p, goodValues(14), true, "c@x.vn"); !errors.Is(err, report.ErrLocked) {
			t.Fatalf("after the exception: %v", err)
		}
		r, err = svc.Rollup(ctx, "weekly", unit(t, "79/DTN"), false, p, 0)
		if err != nil || r.Totals["members"] != 23 {
			t.Fatalf("roll-up %+v %v", r, err)
		}
	})
}

// A number that falls by more than MaxDropPercent from the previous
// reported period needs the explanation field.
func TestDropRule(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _ := newService(t, db, nil)
		u := unit(t, "07030/HPN")
		if _, err := svc.Save(ctx, "weekly", u, period(t, "2026-W46"), goodValues(100), true, "c@x.vn"); err != nil {
			t.Fatal(err)
		}
		p := period(t, "2026-W47")
		_, err := svc.Save(ctx, "weekly", u, p, goodValues(79), true, "c@x.vn")
		if got := fieldOf(t, err); len(got) != 1 || got[0] != "notes:invalid_value" {
			t.Fatalf("a 21%% drop: %v", got)
		}
		if _, err := svc.Save(ctx, "weekly", u, p, goodValues(80), true, "c@x.vn"); err != nil {
			t.Fatalf("a 20%% drop: %v", err)
		}
		v := goodValues(50)
		v["notes"] = "Chuyển sinh hoạt 30 hội viên sang chi hội mới."
		if _, err := svc.Save(ctx, "weekly", u, p, v, true, "c@x.vn"); err != nil {
			t.Fatalf("explained: %v", err)
		}
	})
}

// Writers at once on the units of one bucket: every change lands in the
// running totals exactly once, as a rebuild from the reports shows.
func TestConcurrentSaves(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, _ := newService(t, db, nil)
		p := period(t, "2026-W47")
		units := []string{"26734/MTTQ", "26734/CD", "26734/HND", "26737/MTTQ", "26737/HND"}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for g := 0; g < 10; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 8; i++ {
					u := unit(t, units[(g+i)%len(units)])
					if _, err := svc.Save(ctx, "weekly", u, p, goodValues(100+g*10+i), (g+i)%3 != 0, "w"); err != nil {
						errs <- err
						return
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		before, err := svc.Rollup(ctx, "weekly", unit(t, "79/MTTQ"), true, p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Rebuild(ctx, "weekly", p.Key); err != nil {
			t.Fatal(err)
		}
		after, err := svc.Rollup(ctx, "weekly", unit(t, "79/MTTQ"), true, p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if before.Reported == 0 || before.Reported != after.Reported || before.OnTime != after.OnTime || !equalTotals(before.Totals, after.Totals) {
			t.Fatalf("kept %+v, rebuilt %+v", before, after)
		}
		var events int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM report_events`).Scan(&events); err != nil || events != 80 {
			t.Fatalf("%d events (%v), want 80", events, err)
		}
	})
}
