package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// testUser is the header by which the test authorizers know who asks: the
// unit the user acts for. auth's own rows for these routes are in
// auth/matrix_report_test.go.
const testUser = "X-Test-Unit"

// testAuth stands in for auth: a user acting for unit U may do anything
// on what U contains (Authorize), and the upper level's steps only on
// what U contains at a lower territory (AuthorizeOver, as auth.CanOver).
type testAuth struct {
	tree   *org.Store
	audits *[]string
}

func (a testAuth) check(r *http.Request, unit string, over bool) error {
	who := r.Header.Get(testUser)
	if who == "" {
		return report.ErrUnauthenticated
	}
	u, err := org.ParseUnit(who)
	if err != nil {
		return report.ErrForbidden
	}
	b, err := org.ParseUnit(unit)
	if err != nil {
		return report.ErrForbidden
	}
	in, err := a.tree.Contains(r.Context(), u, b)
	if err != nil || !in || over && u.Territory == b.Territory {
		return fmt.Errorf("%w: %s on %s", report.ErrForbidden, u, b)
	}
	return nil
}

func (a testAuth) Authorize(r *http.Request, action, unit string) error {
	return a.check(r, unit, false)
}
func (a testAuth) AuthorizeOver(r *http.Request, action, unit string) error {
	return a.check(r, unit, true)
}
func (a testAuth) Audit(r *http.Request, action, unit, target string) {
	*a.audits = append(*a.audits, action+" "+unit+" "+target)
}

// site serves the report API of svc on a test server, as the site mounts
// it.
type site struct {
	srv    *httptest.Server
	audits []string
}

func newSite(t *testing.T, svc *report.Service) *site {
	t.Helper()
	s := &site{}
	a := testAuth{tree: svc.Tree(), audits: &s.audits}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := web.New(web.Options{Logger: log, Modules: []web.Module{{Name: "report", Mount: func(r web.Router, _ *web.Renderer) error {
		report.NewHTTP(report.HTTPOptions{Service: svc, Authorizer: a, Over: a, Auditor: a,
			Actor: func(r *http.Request) string { return r.Header.Get(testUser) }, Logger: log}).Register(r)
		return nil
	}}}})
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	return s
}

type answer struct {
	status int
	body   string
	err    api.Error
}

func (s *site) do(t *testing.T, method, path, user, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set(testUser, user)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, body: string(b)}
	if res.StatusCode >= 400 {
		var env api.Envelope
		if err := json.Unmarshal(b, &env); err != nil || env.Error == nil {
			t.Fatalf("%s %s: %d without the error envelope: %s", method, path, res.StatusCode, b)
		}
		a.err = *env.Error
	}
	return a
}

func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	return v
}

func reportBody(members int, submit bool) string {
	b, _ := json.Marshal(report.SaveRequest{Values: goodValues(members), Submit: submit})
	return string(b)
}

// TestAPIRefusals: every bad request is a 4xx naming the field or the
// reason, and writes nothing.
func TestAPIRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		villages := report.DefaultDatasets()[0]
		villages.Key, villages.Levels = "villages", []org.Level{org.Commune, org.Village}
		svc, _ := newService(t, db, append(report.DefaultDatasets(), villages))
		ctx := context.Background()
		v, err := svc.Tree().CreateVillage(ctx, "26734", "Khu phố 2", "Khu phố")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Tree().RetireVillage(ctx, v.Code); err != nil {
			t.Fatal(err)
		}
		s := newSite(t, svc)
		const base = "/api/v1/org/units/26734/HND/reports/"
		for _, c := range []struct {
			name, method, path, user, body string
			status                         int
			code, field                    string
		}{
			{"anonymous", "PUT", base + "2026-W47", "", reportBody(1, true), 401, "unauthenticated", ""},
			{"another commune", "PUT", base + "2026-W47", "26737/HND", reportBody(1, true), 403, "forbidden", ""},
			{"malformed territory", "PUT", "/api/v1/org/units/2673/HND/reports/2026-W47", "VN/MTTQ", reportBody(1, true), 400, "invalid_unit", "territory"},
			{"unknown organisation", "PUT", "/api/v1/org/units/26734/XYZ/reports/2026-W47", "VN/MTTQ", reportBody(1, true), 400, "invalid_unit", "org"},
			{"unknown territory", "PUT", "/api/v1/org/units/26999/HND/reports/2026-W47", "VN/MTTQ", reportBody(1, true), 404, "not_found", "territory"},
			{"unit that does not file", "PUT", "/api/v1/org/units/79/HND/reports/2026-W47", "79/HND", reportBody(1, true), 400, "not_reporting", "territory"},
			{"village that does not file", "PUT", "/api/v1/org/units/" + v.Code + "/HND/reports/2026-W47", "VN/MTTQ", reportBody(1, true), 400, "not_reporting", "territory"},
			{"retired village", "PUT", "/api/v1/org/units/" + v.Code + "/HND/reports/2026-W47?dataset=villages", "VN/MTTQ", reportBody(1, true), 409, "retired", "territory"},
			{"period in the wrong form", "PUT", base + "2026-47", "26734/HND", reportBody(1, true), 400, "invalid_period", "period"},
			{"month for a weekly set", "PUT", base + "2026-11", "26734/HND", reportBody(1, true), 400, "invalid_period", "period"},
			{"period in the future", "PUT", base + "2026-W49", "26734/HND", reportBody(1, true), 400, "invalid_period", "period"},
			{"locked period", "PUT", base + "2026-W45", "26734/HND", reportBody(1, true), 409, "locked", ""},
			{"unknown data set", "PUT", base + "2026-W47?dataset=daily", "26734/HND", reportBody(1, true), 404, "not_found", "dataset"},
			{"unknown field", "PUT", base + "2026-W47", "26734/HND", `{"values":{"member":1},"submit":true}`, 400, "unknown_field", "values.member"},
			{"text for a number", "PUT", base + "2026-W47", "26734/HND", `{"values":{"members":"12","staff":1,"full_time":1,"activities":1}}`, 400, "invalid_value", "values.members"},
			{"full_time over staff", "PUT", base + "2026-W47", "26734/HND", `{"values":{"members":12,"staff":1,"full_time":2,"activities":1}}`, 400, "invalid_value", "values.full_time"},
			{"required missing at submission", "PUT", base + "2026-W47", "26734/HND", `{"values":{"members":12,"staff":1,"full_time":1},"submit":true}`, 400, "required", "values.activities"},
			{"no values", "PUT", base + "2026-W47", "26734/HND", `{"submit":true}`, 400, "invalid_value", "values"},
			{"values not an object", "PUT", base + "2026-W47", "26734/HND", `{"values":[1,2]}`, 400, "invalid_type", "values"},
			{"unknown body field", "PUT", base + "2026-W47", "26734/HND", `{"values":{},"sumbit":true}`, 400, "unknown_field", "sumbit"},
			{"approve own territory", "POST", base + "2026-W47/approve", "26734/MTTQ", "", 403, "forbidden", ""},
			{"approve no report", "POST", base + "2026-W47/approve", "79/HND", "", 404, "not_found", ""},
			{"return without reason", "POST", base + "2026-W47/return", "79/HND", `{"reason":" "}`, 400, "invalid_parameter", "reason"},
			{"exception in the past", "POST", base + "2026-W45/exception", "79/HND", `{"until":"2026-11-01","reason":"Bổ sung"}`, 400, "invalid_parameter", "until"},
			{"exception until not a time", "POST", base + "2026-W45/exception", "79/HND", `{"until":"mai","reason":"Bổ sung"}`, 400, "invalid_parameter", "until"},
			{"rollup org=all on HND", "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&org=all", "79/HND", "", 400, "invalid_parameter", "org"},
			{"rollup bad format", "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&format=pdf", "79/HND", "", 400, "invalid_parameter", "format"},
			{"rollup future", "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W50", "79/HND", "", 400, "invalid_period", "period"},
			{"rollup bad limit", "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&missing_limit=-1", "79/HND", "", 400, "invalid_parameter", "missing_limit"},
			{"rollup of a unit above", "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47", "26734/HND", "", 403, "forbidden", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				a := s.do(t, c.method, c.path, c.user, c.body)
				if a.status != c.status || a.err.Code != c.code || a.err.Field != c.field || a.err.Message == "" {
					t.Fatalf("%d %s %q (%s), want %d %s %q", a.status, a.err.Code, a.err.Field, a.err.Message, c.status, c.code, c.field)
				}
				for _, table := range []string{"report_reports", "report_events", "report_buckets", "report_exceptions"} {
					if n := count(t, db, table); n != 0 {
						t.Fatalf("%s has %d rows after a refusal", table, n)
					}
				}
			})
		}
		if len(s.audits) != 0 {
			t.Errorf("refusals audited as changes: %v", s.audits)
		}
	})
}

// TestAPIWorkflow goes through the API: submit, return by the province,
// resubmit, approve; the approved report can no longer be changed; every
// change is audited.
func TestAPIWorkflow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc, _ := newService(t, db, nil)
		s := newSite(t, svc)
		const path = "/api/v1/org/units/26734/HND/reports/2026-W47"
		const commune, province = "26734/HND", "79/HND"
		if a := s.do(t, "GET", path, commune, ""); a.status != 200 || decode[report.Report](t, a).Version != 0 {
			t.Fatalf("empty report: %d %s", a.status, a.body)
		}
		if a := s.do(t, "PUT", path, commune, reportBody(30, true)); a.status != 200 || decode[report.Report](t, a).Status != report.Submitted {
			t.Fatalf("submit: %d %s", a.status, a.body)
		}
		if a := s.do(t, "POST", path+"/return", province, `{"reason":"Thiếu hoạt động tiêu biểu."}`); a.status != 200 ||
			decode[report.Report](t, a).ReturnReason != "Thiếu hoạt động tiêu biểu." {
			t.Fatalf("return: %d %s", a.status, a.body)
		}
		ru := decode[report.RollupResponse](t, s.do(t, "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47", province, ""))
		if ru.Reported != 0 || ru.Totals["members"] != 0 {
			t.Fatalf("a returned report counts: %+v", ru.Rollup)
		}
		if a := s.do(t, "PUT", path, commune, reportBody(31, true)); a.status != 200 {
			t.Fatalf("resubmit: %d %s", a.status, a.body)
		}
		if a := s.do(t, "POST", path+"/approve", province, `{"note":"Đạt."}`); a.status != 200 || !decode[report.Report](t, a).Locked {
			t.Fatalf("approve: %d %s", a.status, a.body)
		}
		if a := s.do(t, "PUT", path, commune, reportBody(32, true)); a.status != 409 || a.err.Code != "locked" {
			t.Fatalf("PUT after approval: %d %s", a.status, a.body)
		}
		ru = decode[report.RollupResponse](t, s.do(t, "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&children=1&trend=3", province, ""))
		if ru.Reported != 1 || ru.Totals["members"] != 31 || len(ru.Children) != 2 || len(ru.Trend) != 3 || ru.Trend[2].Totals["members"] != 31 {
			t.Fatalf("roll-up: %s", mustJSON(ru))
		}
		hist := decode[report.HistoryResponse](t, s.do(t, "GET", path+"/history", province, ""))
		if len(hist.Events) != 4 || hist.Events[1].Reason != "Thiếu hoạt động tiêu biểu." || hist.Events[3].Actor != province {
			t.Fatalf("history: %s", mustJSON(hist))
		}
		want := []string{
			"report.submit 26734/HND weekly/2026-W47", "report.return 26734/HND weekly/2026-W47",
			"report.submit 26734/HND weekly/2026-W47", "report.approve 26734/HND weekly/2026-W47",
		}
		if !slices.Equal(s.audits, want) {
			t.Fatalf("audit log %v, want %v", s.audits, want)
		}
		// Whom to call about the commune that has not reported, from its
		// staff list.
		if _, _, err := svc.Tree().SaveStaff(context.Background(), unit(t, "26737/HND"), []org.Person{
			{Name: "Lê Văn Bình", Position: "Phó Chủ tịch", FullTime: true, Phone: "0912345678"},
			{Name: "Trần Thị An", Position: "Chủ tịch", FullTime: true, Phone: "0987654321", Email: "an@hnd.vn"},
		}, 0, "test"); err != nil {
			t.Fatal(err)
		}
		ru = decode[report.RollupResponse](t, s.do(t, "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&contacts=1", province, ""))
		if c := ru.MissingContacts["26737/HND"]; len(ru.Missing) != 1 || c.Name != "Trần Thị An" || c.Phone != "0987654321" {
			t.Fatalf("contacts of %v: %+v", ru.Missing, ru.MissingContacts)
		}
		if a := s.do(t, "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47", province, ""); strings.Contains(a.body, "0987654321") {
			t.Fatalf("contacts without contacts=1: %s", a.body)
		}
		if a := s.do(t, "GET", "/api/v1/org/datasets", "", ""); a.status != 200 || !strings.Contains(a.body, `"less_or_equal":"staff"`) {
			t.Fatalf("datasets: %d %.300s", a.status, a.body)
		}
		if a := s.do(t, "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&format=xlsx", province, ""); a.status != 200 && a.status != 406 {
			t.Fatalf("export: %d %.300s", a.status, a.body)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAPIAcceptanceRealList: with the official list imported, reports
// written through the API for a few communes of Hồ Chí Minh City show at
// once in the city's roll-up — totals, reported of its 168 communes, the
// missing list — and in the country's.
func TestAPIAcceptanceRealList(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the official list of 3,355 units")
	}
	path := testenv.SharedPath(t, "data", "admin-units", "vn_admin_units_flat.csv")
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tree := org.NewStore(db)
		if err := tree.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := tree.ImportTerritories(ctx, f); err != nil {
			t.Fatal(err)
		}
		c := &clock{t: vn(2026, 11, 23, 10, 0)}
		svc, err := report.NewService(report.Options{DB: db, Tree: tree, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s := newSite(t, svc)
		communes, err := tree.Descendants(ctx, "79", org.Commune)
		if err != nil {
			t.Fatal(err)
		}
		if len(communes) < 150 {
			t.Fatalf("Hồ Chí Minh City has %d communes", len(communes))
		}
		filed := map[string]bool{}
		members := 0.0
		for i, cm := range communes[:5] {
			u := cm.Code + "/HND"
			body := reportBody(100+i, i < 4) // the fifth stays a draft
			if a := s.do(t, "PUT", "/api/v1/org/units/"+cm.Code+"/HND/reports/2026-W47", u, body); a.status != 200 {
				t.Fatalf("PUT %s: %d %s", u, a.status, a.body)
			}
			if i < 4 {
				filed[u] = true
				members += float64(100 + i)
			}
		}
		a := s.do(t, "GET", "/api/v1/org/units/79/HND/rollup?period=2026-W47&children=1", "79/HND", "")
		if a.status != 200 {
			t.Fatalf("roll-up: %d %s", a.status, a.body)
		}
		ru := decode[report.RollupResponse](t, a)
		if ru.Totals["members"] != members || ru.Totals["activities"] != 12 || ru.Reported != 4 || ru.OnTime != 4 ||
			ru.Expected != len(communes) || ru.MissingCount != len(communes)-4 || len(ru.Missing) != len(communes)-4 {
			t.Fatalf("roll-up of 79/HND: totals %v reported %d on time %d expected %d missing %d (%d listed)",
				ru.Totals, ru.Reported, ru.OnTime, ru.Expected, ru.MissingCount, len(ru.Missing))
		}
		for _, m := range ru.Missing {
			if filed[m] || !strings.HasSuffix(m, "/HND") {
				t.Fatalf("missing lists %s", m)
			}
		}
		if len(ru.Children) != len(communes) {
			t.Fatalf("completion table of %d rows", len(ru.Children))
		}
		if got := decode[report.RollupResponse](t, s.do(t, "GET", "/api/v1/org/units/79/MTTQ/rollup?period=2026-W47&org=all&missing_limit=10", "79/MTTQ", "")); got.Reported != 4 ||
			got.Expected != 6*len(communes) || len(got.Missing) != 10 || got.MissingCount != 6*len(communes)-4 {
			t.Fatalf("roll-up of 79/MTTQ with org=all: reported %d expected %d missing %d", got.Reported, got.Expected, got.MissingCount)
		}
		nat := decode[report.RollupResponse](t, s.do(t, "GET", "/api/v1/org/units/VN/HND/rollup?period=2026-W47&missing_limit=0", "VN/HND", ""))
		if nat.Reported != 4 || nat.Expected != 3321 || nat.Totals["members"] != members || len(nat.Missing) != 0 {
			t.Fatalf("national roll-up: reported %d expected %d members %v", nat.Reported, nat.Expected, nat.Totals["members"])
		}
	})
}
