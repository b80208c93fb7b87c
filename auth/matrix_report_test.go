package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// reportServices are the fixtures' report services, for the rows that
// prepare a report to act on.
var reportServices sync.Map // *fixture → *report.Service

// matrixDataset is filed at every level by every organisation, so that
// every relation's target has reports, and locks so late that any past
// week of the approval rows can still be written.
func matrixDataset() report.Dataset {
	zero := 0.0
	return report.Dataset{Key: "weekly", Name: "Báo cáo tuần", PeriodType: report.Weekly,
		Levels: []org.Level{org.Central, org.Province, org.Commune, org.Village}, Orgs: org.Orgs,
		DeadlineDays: 1, DeadlineHour: 17, LockDays: 100000,
		Fields: []report.Field{{Key: "n", Label: "Số hoạt động", Type: report.Integer, Min: &zero}}}
}

// overCheck is the OverAuthorizer serve wires (cmd/mattranso/internal/
// server): auth.CanOver for the sender of r.
type overCheck struct{}

func (overCheck) AuthorizeOver(r *http.Request, action, unit string) error {
	id := auth.UserFrom(r)
	if id == nil {
		return auth.ErrUnauthenticated
	}
	ok, err := auth.CanOver(r.Context(), id, auth.Action(action), unit)
	if err != nil {
		return err
	}
	if !ok {
		return auth.ErrForbidden
	}
	return nil
}

func init() {
	fixtureModules = append(fixtureModules, func(f *fixture, log *slog.Logger) web.Module {
		svc, err := report.NewService(report.Options{DB: f.db, Tree: f.org, Datasets: []report.Dataset{matrixDataset()}, Logger: log})
		if err != nil {
			f.t.Fatal(err)
		}
		if err := svc.Migrate(context.Background()); err != nil {
			f.t.Fatal(err)
		}
		reportServices.Store(f, svc)
		h := report.NewHTTP(report.HTTPOptions{Service: svc, Authorizer: auth.Check, Over: overCheck{}, Auditor: auth.AuditLog,
			Actor: auth.Actor, Logger: log})
		return web.Module{Name: "report", Mount: func(r web.Router, _ *web.Renderer) error {
			h.Register(r)
			return nil
		}}
	})
	endpoints = append(endpoints, reportEndpoints...)
}

func reportService(t *testing.T, f *fixture) *report.Service {
	t.Helper()
	s, ok := reportServices.Load(f)
	if !ok {
		t.Fatal("the fixture has no report service")
	}
	return s.(*report.Service)
}

func thisWeek() string { return report.CurrentPeriod(report.Weekly, time.Now()).Key }

func reportPath(target, period string) string {
	return "/api/v1/org/units/" + target + "/reports/" + period
}

// reportEndpoints are the report rows of the matrix: reading a unit's
// report and its roll-up (report.read), filing it (report.file).
var reportEndpoints = []endpoint{
	{name: "GET /api/v1/org/units/{territory}/{org}/reports/{period}",
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(reportPath(target, thisWeek()), token), http.StatusOK)
		}},
	{name: "GET /api/v1/org/units/{territory}/{org}/reports/{period}/history",
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(reportPath(target, thisWeek())+"/history", token), http.StatusOK)
		}},
	{name: "PUT /api/v1/org/units/{territory}/{org}/reports/{period}", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			u, err := org.ParseUnit(target)
			if err != nil {
				t.Fatal(err)
			}
			p := report.CurrentPeriod(report.Weekly, time.Now())
			before, err := reportService(t, f).Report(t.Context(), "weekly", u, p)
			if err != nil {
				t.Fatal(err)
			}
			r := f.do(http.MethodPut, reportPath(target, p.Key), token, strings.NewReader(`{"values":{"n":3},"submit":true}`),
				"Content-Type", "application/json")
			ok := status(t, r, http.StatusOK)
			after, err := reportService(t, f).Report(t.Context(), "weekly", u, p)
			if err != nil {
				t.Fatal(err)
			}
			if saved := after.Version > before.Version; saved != ok {
				t.Errorf("answer says saved=%v, the store %v", ok, saved)
			}
			return ok
		}},
	{name: "GET /api/v1/org/units/{territory}/{org}/rollup",
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get("/api/v1/org/units/"+target+"/rollup?period="+thisWeek(), token), http.StatusOK)
		}},
	{name: "GET /api/v1/org/units/{territory}/{org}/rollup?contacts=1 (staff contacts: report.read and org.staff.read)",
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get("/api/v1/org/units/"+target+"/rollup?contacts=1&period="+thisWeek(), token), http.StatusOK)
		}},
}

// weeksBack gives each approval case a week of its own, before this one,
// so that each acts on a freshly submitted report.
var weeksBack atomic.Int64

func freshPeriod(t *testing.T) report.Period {
	t.Helper()
	p := report.CurrentPeriod(report.Weekly, time.Now())
	for n := weeksBack.Add(1); n > 0; n-- {
		p = p.Prev()
	}
	if p.Start.Year() < 2001 {
		t.Fatal("out of weeks")
	}
	return p
}

// overEndpoints are the upper level's steps: allowed only to roles held
// at a unit that covers the target from a HIGHER territory (auth.CanOver).
var overEndpoints = []struct {
	name    string
	path    string
	body    string
	applied func(r report.Report) bool
}{
	{"POST …/reports/{period}/approve", "/approve", `{"note":"Đạt"}`, func(r report.Report) bool { return r.Status == report.Approved }},
	{"POST …/reports/{period}/return", "/return", `{"reason":"Xem lại số liệu"}`, func(r report.Report) bool { return r.Status == report.Returned }},
	{"POST …/reports/{period}/exception", "/exception", `{"until":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `","reason":"Bổ sung"}`,
		func(r report.Report) bool { return r.ExceptionUntil != nil }},
}

// TestAuthorizationMatrixReportApproval runs the upper level's steps for
// every role and relation: only report.approve held at a higher
// territory that covers the target allows them — never at the target's
// own territory, not even through the Front's committee of that commune.
// Every answer is checked against the store.
func TestAuthorizationMatrixReportApproval(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps every endpoint, role and relation on both databases: left to the pass without the race detector (scripts/test.sh)")
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		svc := reportService(t, f)
		tokens := map[string]string{}
		tokenFor := func(role auth.Role, unit string) string {
			k := string(role) + " " + unit
			if tokens[k] == "" {
				tokens[k], _ = f.token(string(role)+"."+strings.NewReplacer("/", ".").Replace(unit)+"@over.vn", role, unit)
			}
			return tokens[k]
		}
		try := func(t *testing.T, ep int, token, target string) bool {
			t.Helper()
			u, err := org.ParseUnit(target)
			if err != nil {
				t.Fatal(err)
			}
			p := freshPeriod(t)
			if _, err := svc.Save(t.Context(), "weekly", u, p, map[string]any{"n": 2.0}, true, "test"); err != nil {
				t.Fatal(err)
			}
			e := overEndpoints[ep]
			r := f.do(http.MethodPost, reportPath(target, p.Key)+e.path, token, strings.NewReader(e.body), "Content-Type", "application/json")
			ok := status(t, r, http.StatusOK)
			after, err := svc.Report(t.Context(), "weekly", u, p)
			if err != nil && !errors.Is(err, report.ErrNotFound) {
				t.Fatal(err)
			}
			if e.applied(after) != ok {
				t.Errorf("answer says done=%v, the store %v", ok, e.applied(after))
			}
			return ok
		}
		cases := 0
		for i, e := range overEndpoints {
			t.Run(e.name, func(t *testing.T) {
				if try(t, i, "", saiGon+"/MTTQ") {
					t.Errorf("anonymous request allowed")
				}
				for _, role := range allRoles {
					for _, rel := range relations {
						userTerritory, _, _ := strings.Cut(rel.user, "/")
						targetTerritory, _, _ := strings.Cut(rel.target, "/")
						want := contains2([]auth.Role{auth.Admin, auth.Reporter}, role) && rel.covered && userTerritory != targetTerritory
						cases++
						if got := try(t, i, tokenFor(role, rel.user), rel.target); got != want {
							t.Errorf("%s at %s, target %s (%s): allowed=%v, want %v", role, rel.user, rel.target, rel.name, got, want)
						}
					}
				}
			})
		}
		t.Logf("%d cases", cases)
		if n := len(f.events(report.AuditApprove)); n == 0 {
			t.Error("no approval was audited")
		}
	})
}
