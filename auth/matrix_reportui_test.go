package auth_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/web"
)

// The report pages' rows of the matrix: the pages ask the same
// Authorizer as the API, so a unit's form, roll-up and print are read
// with report.read and the form is saved with report.file, by unit.

func init() {
	fixtureModules = append(fixtureModules, func(f *fixture, log *slog.Logger) web.Module {
		// The report module of matrix_report_test.go made the service.
		return web.Module{Name: "report-pages", Templates: report.Templates, Funcs: report.TemplateFuncs,
			Mount: func(r web.Router, p *web.Renderer) error {
				h := report.NewHTTP(report.HTTPOptions{Service: reportService(f.t, f), Authorizer: auth.Check, Over: overCheck{},
					Auditor: auth.AuditLog, Actor: auth.Actor, Logger: log})
				h.RegisterPages(r, p, report.PageOptions{})
				return nil
			}}
	})
	endpoints = append(endpoints, reportPageEndpoints...)
}

func reportPage(target, period string) string { return "/bao-cao/" + target + "/" + period }

var reportPageEndpoints = []endpoint{
	{name: "GET /bao-cao/{territory}/{org}/{period}", allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(reportPage(target, thisWeek()), token), http.StatusOK)
		}},
	{name: "GET /bao-cao/{territory}/{org}/{period}/tong-hop", allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(reportPage(target, thisWeek())+"/tong-hop", token), http.StatusOK)
		}},
	{name: "GET /bao-cao/{territory}/{org}/{period}/in", allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(reportPage(target, thisWeek())+"/in", token), http.StatusOK)
		}},
	{name: "POST /bao-cao/{territory}/{org}/{period} (the form)", allowed: []auth.Role{auth.Admin, auth.Reporter},
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
			form := url.Values{"f_n": {"4"}, "hanh-dong": {"gui"}}
			r := f.do(http.MethodPost, reportPage(target, p.Key), token, strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			// Saved, the form sends back to itself; refused, to the
			// sign-on or a 403 page.
			ok := r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), reportPage(target, p.Key))
			if !ok && !(r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/auth/login")) {
				status(t, r, http.StatusSeeOther)
			}
			after, err := reportService(t, f).Report(t.Context(), "weekly", u, p)
			if err != nil {
				t.Fatal(err)
			}
			if saved := after.Version > before.Version; saved != ok {
				t.Errorf("answer says saved=%v, the store %v", ok, saved)
			}
			return ok
		}},
}
