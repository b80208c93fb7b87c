package org_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// testRole is the header naming the test user's role; roleActions are
// what each allows, as auth's table does for these actions.
const testRole = "X-Test-Role"

var roleActions = map[string][]string{
	"viewer":   {org.ActionReportRead, org.ActionVillageRead},
	"reporter": {org.ActionReportRead, org.ActionVillageRead, org.ActionVillageWrite, org.ActionProfileWrite, org.ActionStaffRead, org.ActionStaffWrite},
}

// roleAuthorizer allows a user acting for unit U with role R the actions
// R allows on what U contains, checks forms' CSRF token, and names the
// user for histories.
type roleAuthorizer struct{ s *org.Store }

func (a roleAuthorizer) Authorize(r *http.Request, action, unit string) error {
	who := r.Header.Get(testUser)
	if who == "" {
		return org.ErrUnauthenticated
	}
	if !slices.Contains(roleActions[r.Header.Get(testRole)], action) {
		return fmt.Errorf("%w: role %q may not %s", org.ErrForbidden, r.Header.Get(testRole), action)
	}
	ua, err := org.ParseUnit(who)
	if err != nil {
		return fmt.Errorf("%w: %v", org.ErrForbidden, err)
	}
	ub, err := org.ParseUnit(unit)
	if err != nil {
		return fmt.Errorf("%w: %v", org.ErrForbidden, err)
	}
	if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/api/") && r.PostFormValue("csrf_token") != testCSRF {
		return fmt.Errorf("%w: bad CSRF token", org.ErrForbidden)
	}
	if in, err := a.s.Contains(r.Context(), ua, ub); err != nil || !in {
		return fmt.Errorf("%w: %s does not contain %s", org.ErrForbidden, ua, ub)
	}
	return nil
}

// Scopes is the user's unit when the role allows action there.
func (a roleAuthorizer) Scopes(r *http.Request, action string) ([]string, error) {
	if r.Header.Get(testUser) == "" {
		return nil, org.ErrUnauthenticated
	}
	if !slices.Contains(roleActions[r.Header.Get(testRole)], action) {
		return []string{}, nil
	}
	return []string{r.Header.Get(testUser)}, nil
}

func (a roleAuthorizer) Actor(r *http.Request) string {
	return r.Header.Get(testRole) + "@" + r.Header.Get(testUser)
}

// recorder keeps the audited changes.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (rc *recorder) Audit(_ *http.Request, action, unit, target string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.events = append(rc.events, action+" "+unit+" "+target)
}

func (rc *recorder) all() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return strings.Join(rc.events, "\n")
}

type unitsSite struct {
	h     http.Handler
	srv   *httptest.Server
	store *org.Store
	audit *recorder
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newUnitsSite(t *testing.T, db *store.DB) *unitsSite {
	t.Helper()
	s := smallTree(t, db)
	us := &unitsSite{store: s, audit: &recorder{}, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	log := slog.New(slog.NewTextHandler(lockedWriter{us.logMu, us.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := web.New(web.Options{
		Logger: log,
		Modules: []web.Module{{
			Name: "org", Templates: org.Templates, Funcs: org.TemplateFuncs,
			Mount: func(r web.Router, pages *web.Renderer) error {
				org.New(org.Options{Store: s, Pages: pages, Authorizer: roleAuthorizer{s}, Auditor: us.audit,
					CSRF: func(*http.Request) string { return testCSRF }, Logger: log}).Register(r)
				return nil
			},
		}},
	})
	us.h = h
	us.srv = httptest.NewServer(h)
	t.Cleanup(us.srv.Close)
	return us
}

type req struct {
	method, path string
	who, role    string
	ct           string
	body         []byte
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (us *unitsSite) send(t *testing.T, q req) resp {
	t.Helper()
	r, err := http.NewRequest(q.method, us.srv.URL+q.path, bytes.NewReader(q.body))
	if err != nil {
		t.Fatal(err)
	}
	if q.who != "" {
		r.Header.Set(testUser, q.who)
		r.Header.Set(testRole, q.role)
	}
	if q.ct != "" {
		r.Header.Set("Content-Type", q.ct)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func (us *unitsSite) json(t *testing.T, method, path, who, role, body string, want int) map[string]any {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	r := us.send(t, req{method: method, path: path, who: who, role: role, ct: ct, body: []byte(body)})
	if r.status != want {
		t.Errorf("%s %s as %s %s: %d, want %d: %.400s", method, path, role, who, r.status, want, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Errorf("%s %s: not JSON: %.200s", method, path, r.body)
	}
	return m
}

func errField(m map[string]any) (code, field string) {
	e, _ := m["error"].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return code, field
}

func TestProfileAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		const p = "/api/v1/org/units/26740/HND/profile"

		// Who may read: the unit and its upper levels, not the public,
		// siblings or other organisations.
		us.json(t, "GET", p, "", "", "", 401)
		us.json(t, "GET", p, "26743/MTTQ", "reporter", "", 403)
		us.json(t, "GET", p, "79/CD", "viewer", "", 403)
		us.json(t, "GET", p, "79/MTTQ", "viewer", "", 200)
		us.json(t, "GET", p, "26740/HND", "viewer", "", 200)

		// Who may write.
		body := `{"members":1500,"full_time_staff":2,"typical_activities":"Hội thi nhà nông đua tài."}`
		us.json(t, "PUT", p, "", "", body, 401)
		us.json(t, "PUT", p, "26740/HND", "viewer", body, 403)
		us.json(t, "PUT", p, "26743/HND", "reporter", body, 403)
		m := us.json(t, "PUT", p, "26740/HND", "reporter", body, 200)
		prof := m["profile"].(map[string]any)
		if prof["members"].(float64) != 1500 || prof["version"].(float64) != 1 || prof["updated_by"] != "reporter@26740/HND" {
			t.Errorf("saved %v", prof)
		}
		if h := m["history"].([]any); len(h) != 3 {
			t.Errorf("history %v, want 3 changes", h)
		}
		if !strings.Contains(us.audit.all(), "org.profile.update 26740/HND v1: members, full_time_staff, typical_activities") {
			t.Errorf("audit log:\n%s", us.audit.all())
		}
		// Partial change by the upper level; a stale version is 409.
		us.json(t, "PUT", p, "79/MTTQ", "reporter", `{"difficulties":"Thiếu kinh phí.","version":1}`, 200)
		m = us.json(t, "PUT", p, "26740/HND", "reporter", `{"members":1,"version":1}`, 409)
		if c, f := errField(m); c != "conflict" || f != "version" {
			t.Errorf("stale: %s %s", c, f)
		}
		m = us.json(t, "GET", p, "VN/MTTQ", "viewer", "", 200)
		prof = m["profile"].(map[string]any)
		if prof["members"].(float64) != 1500 || prof["difficulties"] != "Thiếu kinh phí." || prof["version"].(float64) != 2 {
			t.Errorf("after two saves %v", prof)
		}

		// Bad input names the field; nothing is written.
		for _, c := range []struct {
			path, body, code, field string
			status                  int
		}{
			{p, `{"members":-1}`, "invalid_count", "members", 400},
			{p, `{"members":1.5}`, "invalid_type", "members", 400},
			{p, `{"members":"nhiều"}`, "invalid_type", "members", 400},
			{p, `{"recommendations":"` + strings.Repeat("a", org.MaxProfileText+1) + `"}`, "text_too_long", "recommendations", 400},
			{p, `{"staff":3}`, "unknown_field", "staff", 400},
			{p + "?from_staff=2", `{}`, "invalid_parameter", "from_staff", 400},
			{"/api/v1/org/units/2674/HND/profile", `{}`, "invalid_code", "territory", 400},
			{"/api/v1/org/units/26740/XYZ/profile", `{}`, "invalid_org", "org", 400},
			{"/api/v1/org/units/26749/HND/profile", `{}`, "not_found", "", 404},
		} {
			m := us.json(t, "PUT", c.path, "VN/MTTQ", "reporter", c.body, c.status)
			if code, field := errField(m); code != c.code || field != c.field {
				t.Errorf("PUT %s %.40s: %s %q, want %s %q", c.path, c.body, code, field, c.code, c.field)
			}
		}
		if got, _ := us.store.Profile(t.Context(), org.UnitOf("26740", org.HND)); got.Version != 2 {
			t.Errorf("a refused change was written: version %d", got.Version)
		}

		// A retired village: read, not written.
		v, err := us.store.CreateVillage(t.Context(), "26740", "Hòa Bình", "Thôn")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := us.store.RetireVillage(t.Context(), v.Code); err != nil {
			t.Fatal(err)
		}
		vp := "/api/v1/org/units/" + v.Code + "/MTTQ/profile"
		m = us.json(t, "PUT", vp, "26740/MTTQ", "reporter", `{"members":3}`, 409)
		if c, _ := errField(m); c != "retired" {
			t.Errorf("retired village: %v", m)
		}
		m = us.json(t, "GET", vp, "26740/MTTQ", "viewer", "", 200)
		if m["retired"] != true {
			t.Errorf("retired village read: %v", m)
		}
	})
}

func TestStaffAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		const p = "/api/v1/org/units/26740/MTTQ/staff"
		list := `{"people":[
			{"name":"Trần Thị Bình","position":"Chủ tịch","full_time":true,"committee_member":true,"phone":"0912 345 678","email":"binh@mttq.vn"},
			{"name":"Nguyễn Văn An","position":"Phó Chủ tịch","full_time":true,"committee_member":true,"executive_member":true,"phone":"0987 654 321"},
			{"name":"Lê Văn Cường","position":"Ủy viên","committee_member":true}]}`

		// Personal data: the unit's and upper levels' reporters only.
		us.json(t, "PUT", p, "26740/MTTQ", "viewer", list, 403)
		us.json(t, "PUT", p, "26743/MTTQ", "reporter", list, 403)
		us.json(t, "PUT", p, "", "", list, 401)
		m := us.json(t, "PUT", p, "26740/MTTQ", "reporter", list, 200)
		if c := m["counts"].(map[string]any); c["full_time_staff"].(float64) != 2 || c["committee_members"].(float64) != 3 || c["executive_members"].(float64) != 1 {
			t.Errorf("counts %v", c)
		}
		for _, c := range []struct{ who, role string }{{"", ""}, {"26740/MTTQ", "viewer"}, {"79/MTTQ", "viewer"}, {"26743/MTTQ", "reporter"}, {"26740/HND", "reporter"}} {
			r := us.send(t, req{method: "GET", path: p, who: c.who, role: c.role})
			if r.status != 401 && r.status != 403 || strings.Contains(r.body, "0912") {
				t.Errorf("%s %s reads the staff list: %d %.200s", c.role, c.who, r.status, r.body)
			}
		}
		r := us.send(t, req{method: "GET", path: p, who: "79/MTTQ", role: "reporter"})
		if r.status != 200 || !strings.Contains(r.body, "0912 345 678") || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("the province's reporter: %d %s %.300s", r.status, r.header.Get("Cache-Control"), r.body)
		}
		// Personal data is neither in the audit log nor in the server's log.
		us.logMu.Lock()
		logs := us.logs.String()
		us.logMu.Unlock()
		for _, secret := range []string{"0912", "binh@mttq.vn", "Trần Thị Bình"} {
			if strings.Contains(logs, secret) || strings.Contains(us.audit.all(), secret) {
				t.Errorf("%q is in the logs", secret)
			}
		}
		if !strings.Contains(us.audit.all(), "org.staff.update 26740/MTTQ v1: 0 → 3 người") {
			t.Errorf("audit:\n%s", us.audit.all())
		}

		// The profile's counts from the list.
		m = us.json(t, "PUT", "/api/v1/org/units/26740/MTTQ/profile?from_staff=1", "26740/MTTQ", "reporter", `{"members":40,"full_time_staff":99}`, 200)
		prof := m["profile"].(map[string]any)
		if prof["members"].(float64) != 40 || prof["full_time_staff"].(float64) != 2 || prof["committee_members"].(float64) != 3 || prof["executive_members"].(float64) != 1 {
			t.Errorf("from_staff: %v", prof)
		}

		for _, c := range []struct{ body, code, field string }{
			{`{"people":[{"name":"A","phone":"12"}]}`, "invalid_phone", "people[0].phone"},
			{`{"people":[{"name":"A"},{"name":" "}]}`, "missing_name", "people[1].name"},
			{`{"people":[{"name":"A","email":"x"}]}`, "invalid_email", "people[0].email"},
			{`{"people":[{"name":"A","full_time":"có"}]}`, "invalid_type", "people.full_time"},
			{`{}`, "missing_field", "people"},
			{`{"people":[],"version":0}`, "conflict", "version"},
		} {
			want := 400
			if c.code == "conflict" {
				want = 409
			}
			m := us.json(t, "PUT", p, "26740/MTTQ", "reporter", c.body, want)
			if code, field := errField(m); code != c.code || field != c.field {
				t.Errorf("%s: %s %q, want %s %q", c.body, code, field, c.code, c.field)
			}
		}
		if l, _ := us.store.Staff(t.Context(), org.UnitOf("26740", org.MTTQ)); len(l.People) != 3 {
			t.Errorf("a refused list was written: %d people", len(l.People))
		}
	})
}

func multipartFile(t *testing.T, name string, data []byte, fields ...string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func xlsxOf(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportStaffAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		const p = "/api/v1/org/units/26740/HPN/staff/import"
		good := "\ufeffHọ và tên,Chức vụ,Chuyên trách,Ủy viên Ủy ban MTTQ,Ủy viên Ban Chấp hành,Điện thoại,Email,Ghi chú\r\n" +
			"Trần Thị Bình,Chủ tịch,x,x,x,+84 912 345 678,binh@hpn.vn,\r\n" +
			"Lê Thị Cúc,Phó Chủ tịch,có,,x,0987654321,,Nghỉ phép tháng 12\r\n"
		post := func(who, role, ct string, body []byte, want int) map[string]any {
			t.Helper()
			r := us.send(t, req{method: "POST", path: p, who: who, role: role, ct: ct, body: body})
			if r.status != want {
				t.Errorf("import as %s %s: %d, want %d: %.500s", role, who, r.status, want, r.body)
			}
			var m map[string]any
			json.Unmarshal([]byte(r.body), &m)
			return m
		}
		post("26740/HPN", "viewer", "text/csv", []byte(good), 403)
		post("26743/HPN", "reporter", "text/csv", []byte(good), 403)
		m := post("26740/HPN", "reporter", "text/csv; charset=utf-8", []byte(good), 200)
		if c := m["counts"].(map[string]any); c["full_time_staff"].(float64) != 2 || c["executive_members"].(float64) != 2 || c["committee_members"].(float64) != 1 {
			t.Errorf("imported counts %v", c)
		}
		if !strings.Contains(us.audit.all(), "org.staff.import 26740/HPN v1: 0 → 2 người") {
			t.Errorf("audit:\n%s", us.audit.all())
		}

		// Bad files: 400 naming row and column, and nothing written.
		for _, c := range []struct {
			name, ct string
			body     []byte
			code     string
			rows     []string // "row column"
		}{
			{"a formula", "text/csv", []byte("Họ và tên,Ghi chú\nAn,ổn\nBình,\"=HYPERLINK(\"\"http://x\"\",\"\"bấm\"\")\"\n"), "invalid_rows", []string{"3 Ghi chú"}},
			{"an unknown column", "text/csv", []byte("Họ và tên,Lương\nAn,1\n"), "invalid_rows", []string{"1 Lương"}},
			{"no name column", "text/csv", []byte("Chức vụ\nChủ tịch\n"), "invalid_rows", []string{"1 Họ và tên"}},
			{"bad rows", "text/csv", []byte("Tên,Điện thoại,Chuyên trách\nAn,0912,x\n,0912345678,\nCường,,có lẽ\n"), "invalid_rows",
				[]string{"2 Điện thoại", "3 Tên", "4 Chuyên trách"}},
			{"an XLSX formula", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
				func() []byte {
					f := excelize.NewFile()
					defer f.Close()
					f.SetSheetRow("Sheet1", "A1", &[]any{"Họ và tên", "Điện thoại"})
					f.SetCellValue("Sheet1", "A2", "An")
					f.SetCellFormula("Sheet1", "B2", `HYPERLINK("http://x","gọi")`)
					var b bytes.Buffer
					f.WriteTo(&b)
					return b.Bytes()
				}(), "invalid_rows", []string{"2 Điện thoại"}},
			{"not a table", "text/csv", []byte("   "), "unreadable_file", nil},
		} {
			m := post("26740/HPN", "reporter", c.ct, c.body, 400)
			code, field := errField(m)
			if code != c.code || field != "file" {
				t.Errorf("%s: %s %q", c.name, code, field)
			}
			var got []string
			rows, _ := m["rows"].([]any)
			for _, r := range rows {
				r := r.(map[string]any)
				got = append(got, fmt.Sprintf("%v %v", r["row"], r["column"]))
				if r["message"] == "" {
					t.Errorf("%s: row without a message", c.name)
				}
			}
			if !slices.Equal(got, c.rows) {
				t.Errorf("%s: rows %v, want %v", c.name, got, c.rows)
			}
		}
		m = post("26740/HPN", "reporter", "application/json", []byte(`{"people":[]}`), 415)
		if code, field := errField(m); code != "unsupported_media_type" || field != "Content-Type" {
			t.Errorf("JSON: %s %s", code, field)
		}
		if l, _ := us.store.Staff(t.Context(), org.UnitOf("26740", org.HPN)); l.Version != 1 || len(l.People) != 2 {
			t.Errorf("after refused imports: version %d, %d people", l.Version, len(l.People))
		}

		// The list exported as CSV imports again unchanged; its cells that
		// a spreadsheet would run are neutralised.
		if _, _, err := us.store.SaveStaff(t.Context(), org.UnitOf("26740", org.HPN), []org.Person{
			{Name: "Trần Thị Bình", Position: "Chủ tịch", FullTime: true, Executive: true, Phone: "+84 912 345 678", Note: "Phụ trách khu phố 1, 2"},
			{Name: "Lê Thị Cúc", Committee: true, Note: "@ họp thứ Hai"},
		}, -1, "x"); err != nil {
			t.Fatal(err)
		}
		exp := us.send(t, req{method: "GET", path: "/api/v1/org/units/26740/HPN/staff?format=csv", who: "26740/HPN", role: "reporter"})
		if exp.status != 200 || !strings.Contains(exp.body, "'@ họp thứ Hai") || exp.header.Get("Cache-Control") != "no-store" {
			t.Errorf("CSV export: %d %q", exp.status, exp.body)
		}
		if r := us.send(t, req{method: "GET", path: "/api/v1/org/units/26740/HPN/staff?format=csv", who: "26740/HPN", role: "viewer"}); r.status != 403 || strings.Contains(r.body, "0912") {
			t.Errorf("CSV export to a viewer: %d", r.status)
		}
		clean := []org.Person{
			{Name: "Trần Thị Bình", Position: "Chủ tịch", FullTime: true, Executive: true, Phone: "+84 912 345 678", Note: "Phụ trách khu phố 1, 2"},
			{Name: "Lê Thị Cúc", Committee: true, Email: "cuc@hpn.vn"},
		}
		before, _, err := us.store.SaveStaff(t.Context(), org.UnitOf("26740", org.HPN), clean, -1, "x")
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"xlsx", "csv"} {
			exp := us.send(t, req{method: "GET", path: "/api/v1/org/units/26740/HPN/staff?format=" + format, who: "26740/HPN", role: "reporter"})
			if exp.status != 200 {
				t.Fatalf("%s export: %d %.200s", format, exp.status, exp.body)
			}
			m = post("26740/HPN", "reporter", "application/octet-stream", []byte(exp.body), 200)
			after, _ := us.store.Staff(t.Context(), org.UnitOf("26740", org.HPN))
			if after.Version != before.Version || !slices.Equal(after.People, clean) {
				t.Errorf("%s export imported again: version %d → %d, %+v", format, before.Version, after.Version, after.People)
			}
		}

		// XLSX in a multipart form replaces the list.
		ct, body := multipartFile(t, "ds.xlsx", xlsxOf(t, []any{"Họ tên", "Chức vụ", "SĐT"}, []any{"Phạm Văn Dũng", "Chủ tịch", "0911222333"}))
		m = post("26740/HPN", "reporter", ct, body, 200)
		staff := m["staff"].(map[string]any)
		if people := staff["people"].([]any); len(people) != 1 || people[0].(map[string]any)["phone"] != "0911222333" {
			t.Errorf("XLSX import: %v", staff)
		}
	})
}

func TestImportVillagesAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		const p = "/api/v1/org/territories/26740/villages/import"
		if _, err := us.store.CreateVillage(t.Context(), "26740", "Hòa Bình", "Thôn"); err != nil {
			t.Fatal(err)
		}
		send := func(who, role, ct, body string, want int) map[string]any {
			t.Helper()
			r := us.send(t, req{method: "POST", path: p, who: who, role: role, ct: ct, body: []byte(body)})
			if r.status != want {
				t.Errorf("import as %s %s: %d, want %d: %.500s", role, who, r.status, want, r.body)
			}
			var m map[string]any
			json.Unmarshal([]byte(r.body), &m)
			return m
		}
		send("26740/MTTQ", "viewer", "text/csv", "Tên,Loại\nAn Phú,Ấp\n", 403)
		send("26743/MTTQ", "reporter", "text/csv", "Tên,Loại\nAn Phú,Ấp\n", 403)
		m := send("26740/MTTQ", "reporter", "text/csv", "Tên;Loại\nAn Phú;Ấp\nHoà Bình;Thôn\n;Thôn\nTổ 5;quận\n", 400)
		var got []string
		for _, r := range m["rows"].([]any) {
			r := r.(map[string]any)
			got = append(got, fmt.Sprintf("%v %v", r["row"], r["column"]))
		}
		if !slices.Equal(got, []string{"3 Tên", "4 Tên", "5 Loại"}) {
			t.Errorf("rows %v", got)
		}
		if vs, _ := us.store.Villages(t.Context(), "26740", true); len(vs) != 1 {
			t.Errorf("%d villages after a refused import", len(vs))
		}
		m = send("79/MTTQ", "reporter", "text/csv", "Tên,Loại\nAn Phú,Ấp\nTổ dân phố 7,Tổ dân phố\n", 201)
		if c := m["created"].([]any); len(c) != 2 || c[0].(map[string]any)["name"] != "Ấp An Phú" {
			t.Errorf("created %v", c)
		}
		if !strings.Contains(us.audit.all(), "org.village.import 26740/MTTQ 2 thôn, tổ dân phố") {
			t.Errorf("audit:\n%s", us.audit.all())
		}
		m = send("VN/MTTQ", "reporter", "text/csv", "Tên,Loại\nX,Thôn\n", 201)
		m = us.json(t, "POST", "/api/v1/org/territories/79/villages/import", "VN/MTTQ", "reporter", `{}`, 400)
		if c, f := errField(m); c != "not_a_commune" || f != "code" {
			t.Errorf("a province: %s %s", c, f)
		}
	})
}

func TestUnitsAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		m := us.json(t, "GET", "/api/v1/org/units?level=commune&parent=79&org=mttq", "", "", "", 200)
		units := m["units"].([]any)
		if len(units) != 3 || units[0].(map[string]any)["id"] != "25792/MTTQ" || units[0].(map[string]any)["level"] != "commune" {
			t.Errorf("units %v", units)
		}
		m = us.json(t, "GET", "/api/v1/org/units?level=province&limit=4", "", "", "", 200)
		if len(m["units"].([]any)) != 4 || m["next"] != "01/DTN" {
			t.Errorf("first page %v", m)
		}
		m = us.json(t, "GET", "/api/v1/org/units?level=province&limit=4&after=01/DTN", "", "", "", 200)
		if m["units"].([]any)[0].(map[string]any)["id"] != "01/HPN" {
			t.Errorf("second page %v", m)
		}
		for _, c := range []struct{ q, field string }{
			{"level=huyen", "level"}, {"parent=7", "parent"}, {"org=ABC", "org"}, {"limit=0", "limit"},
			{"limit=99999", "limit"}, {"after=xyz", "after"}, {"include_retired=1&parent=79", "include_retired"},
		} {
			m := us.json(t, "GET", "/api/v1/org/units?"+c.q, "", "", "", 400)
			if _, f := errField(m); f != c.field {
				t.Errorf("%s: field %q, want %q", c.q, f, c.field)
			}
		}
		us.json(t, "GET", "/api/v1/org/units?parent=26740&include_retired=1", "", "", "", 401)
		us.json(t, "GET", "/api/v1/org/units?parent=26740&include_retired=1", "26740/MTTQ", "viewer", "", 200)
	})
}

func TestRolloutAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		ctx := t.Context()
		if _, err := us.store.CreateVillage(ctx, "26740", "A", "Thôn"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := us.store.SaveStaff(ctx, org.UnitOf("26743", org.MTTQ), []org.Person{{Name: "=cmd"}}, -1, "x"); err != nil {
			t.Fatal(err)
		}
		us.json(t, "GET", "/api/v1/org/rollout", "", "", "", 401)
		us.json(t, "GET", "/api/v1/org/rollout", "79/MTTQ", "viewer", "", 403)
		us.json(t, "GET", "/api/v1/org/rollout?parent=01", "79/MTTQ", "viewer", "", 403)
		m := us.json(t, "GET", "/api/v1/org/rollout?parent=79", "79/MTTQ", "viewer", "", 200)
		total := m["total"].(map[string]any)
		if total["communes"].(float64) != 3 || total["communes_with_villages"].(float64) != 1 || total["communes_with_staff"].(float64) != 1 || total["villages_percent"].(float64) != 33.33 {
			t.Errorf("total %v", total)
		}
		for _, c := range []struct{ q, field string }{{"parent=26740", "parent"}, {"parent=x", "parent"}, {"format=pdf", "format"}} {
			m := us.json(t, "GET", "/api/v1/org/rollout?"+c.q, "VN/MTTQ", "viewer", "", 400)
			if _, f := errField(m); f != c.field {
				t.Errorf("%s: field %q", c.q, f)
			}
		}

		r := us.send(t, req{method: "GET", path: "/api/v1/org/rollout?parent=VN&format=csv", who: "VN/MTTQ", role: "viewer"})
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.body, "79,Thành phố Hồ Chí Minh,3,1,33.33,1,1,33.33,1") {
			t.Errorf("CSV: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
		}
		r = us.send(t, req{method: "GET", path: "/api/v1/org/rollout?parent=VN&format=xlsx", who: "VN/MTTQ", role: "viewer"})
		if r.status != 200 {
			t.Fatalf("XLSX: %d %.200s", r.status, r.body)
		}
		f, err := excelize.OpenReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetList()[0])
		if err != nil {
			t.Fatal(err)
		}
		m = us.json(t, "GET", "/api/v1/org/rollout?parent=VN", "VN/MTTQ", "viewer", "", 200)
		jrows := m["rows"].([]any)
		if len(rows) != len(jrows)+2 {
			t.Fatalf("XLSX has %d rows, want header + %d + total", len(rows), len(jrows))
		}
		last := rows[len(rows)-1]
		total = m["total"].(map[string]any)
		if last[2] != fmt.Sprint(total["communes"]) || last[5] != fmt.Sprint(total["villages"]) || last[6] != fmt.Sprint(total["communes_with_staff"]) {
			t.Errorf("XLSX total %v, JSON %v", last, total)
		}
	})
}

func TestUnitPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		us := newUnitsSite(t, db)
		ctx := t.Context()
		u := org.UnitOf("26740", org.MTTQ)
		if _, _, err := us.store.SaveStaff(ctx, u, []org.Person{{Name: "Trần Thị Bình", Position: "Chủ tịch", FullTime: true, Phone: "0912345678"}}, -1, "x"); err != nil {
			t.Fatal(err)
		}
		const page = "/don-vi/26740/MTTQ"
		if r := us.send(t, req{method: "GET", path: page}); r.status != 401 || strings.Contains(r.body, "0912345678") {
			t.Errorf("public: %d", r.status)
		}
		if r := us.send(t, req{method: "GET", path: page, who: "26743/MTTQ", role: "reporter"}); r.status != 403 {
			t.Errorf("sibling: %d", r.status)
		}
		r := us.send(t, req{method: "GET", path: page, who: "79/MTTQ", role: "viewer"})
		if r.status != 200 || strings.Contains(r.body, "0912345678") || strings.Contains(r.body, "Trần Thị Bình") || strings.Contains(r.body, `action="/don-vi/26740/MTTQ/ho-so"`) {
			t.Errorf("viewer: %d, sees phone or form: %.300s", r.status, r.body)
		}
		r = us.send(t, req{method: "GET", path: page, who: "26740/MTTQ", role: "reporter"})
		if r.status != 200 || !strings.Contains(r.body, "0912345678") || !strings.Contains(r.body, `action="/don-vi/26740/MTTQ/ho-so"`) ||
			!strings.Contains(r.body, `action="/quan-tri/dia-ban/26740/thon/nhap"`) {
			t.Errorf("reporter: %d %.300s", r.status, r.body)
		}

		form := func(path string, v url.Values) resp {
			return us.send(t, req{method: "POST", path: path, who: "26740/MTTQ", role: "reporter",
				ct: "application/x-www-form-urlencoded", body: []byte(v.Encode())})
		}
		v := url.Values{"csrf_token": {testCSRF}, "version": {"0"}, "members": {"1.200"}, "full_time_staff": {"9"}, "typical_activities": {"Hội nghị."}, "from_staff": {"1"}}
		if r := form(page+"/ho-so", url.Values{"members": {"1"}}); r.status != 403 {
			t.Errorf("without CSRF: %d", r.status)
		}
		r = form(page+"/ho-so", v)
		if r.status != 303 || r.header.Get("Location") != page+"?ok=dem#ho-so" {
			t.Errorf("profile form: %d %s %.300s", r.status, r.header.Get("Location"), r.body)
		}
		p, _ := us.store.Profile(ctx, u)
		if p.Members != 1200 || p.FullTimeStaff != 1 || p.TypicalActivities != "Hội nghị." || p.UpdatedBy != "reporter@26740/MTTQ" {
			t.Errorf("profile after the form %+v", p)
		}
		v.Set("members", "-3")
		v.Set("version", "1")
		if r := form(page+"/ho-so", v); r.status != 422 || !strings.Contains(r.body, "phải là số nguyên") {
			t.Errorf("bad count: %d", r.status)
		}
		r = us.send(t, req{method: "GET", path: page, who: "26740/MTTQ", role: "reporter"})
		if !strings.Contains(r.body, "Số hội viên, đoàn viên, thành viên") || !strings.Contains(r.body, "“1200”") {
			t.Errorf("history not shown: %.500s", r.body)
		}

		// Add and remove a person.
		r = form(page+"/can-bo", url.Values{"csrf_token": {testCSRF}, "version": {"1"}, "name": {"Lê Văn Cường"}, "phone": {"0933 444 555"}, "full_time": {"1"}})
		if r.status != 303 {
			t.Errorf("add: %d %.300s", r.status, r.body)
		}
		// Without a version, the person is added to the list as it is.
		if r := form(page+"/can-bo", url.Values{"csrf_token": {testCSRF}, "name": {"Phạm Văn Dũng"}}); r.status != 303 {
			t.Errorf("add without a version: %d", r.status)
		}
		if r := form(page+"/can-bo/xoa", url.Values{"csrf_token": {testCSRF}, "version": {"3"}, "n": {"3"}}); r.status != 303 {
			t.Errorf("remove the one added: %d", r.status)
		}
		if r := form(page+"/can-bo", url.Values{"csrf_token": {testCSRF}, "name": {"X"}, "phone": {"12"}}); r.status != 422 {
			t.Errorf("add with a bad phone: %d", r.status)
		}
		if r := form(page+"/can-bo/xoa", url.Values{"csrf_token": {testCSRF}, "version": {"1"}, "n": {"1"}}); r.status != 409 {
			t.Errorf("remove on a stale version: %d", r.status)
		}
		if r := form(page+"/can-bo/xoa", url.Values{"csrf_token": {testCSRF}, "version": {"4"}, "n": {"1"}}); r.status != 303 {
			t.Errorf("remove: %d %.300s", r.status, r.body)
		}
		// Edit the one left: a stale version is refused, a bad phone shows
		// the edit form again, open, with what was typed.
		if r := form(page+"/can-bo", url.Values{"csrf_token": {testCSRF}, "version": {"4"}, "n": {"1"}, "name": {"Lê Văn Cường"}}); r.status != 422 || !strings.Contains(r.body, "người khác sửa") {
			t.Errorf("edit on a stale version: %d", r.status)
		}
		r = form(page+"/can-bo", url.Values{"csrf_token": {testCSRF}, "version": {"5"}, "n": {"1"}, "name": {"Lê Văn Cường"}, "phone": {"99"}})
		if r.status != 422 || !strings.Contains(r.body, `<details open>`) || !strings.Contains(r.body, `value="99"`) {
			t.Errorf("edit with a bad phone: %d %.300s", r.status, r.body)
		}
		r = form(page+"/can-bo", url.Values{"csrf_token": {testCSRF}, "version": {"5"}, "n": {"1"}, "name": {"Lê Văn Cường"},
			"position": {"Chủ tịch"}, "phone": {"0933 444 555"}, "executive_member": {"1"}})
		if r.status != 303 || r.header.Get("Location") != page+"?ok=sua#can-bo" {
			t.Errorf("edit: %d %s", r.status, r.header.Get("Location"))
		}
		l, _ := us.store.Staff(ctx, u)
		if len(l.People) != 1 || l.People[0] != (org.Person{Name: "Lê Văn Cường", Position: "Chủ tịch", Executive: true, Phone: "0933 444 555"}) || l.Version != 6 {
			t.Errorf("list after the forms %+v (version %d)", l.People, l.Version)
		}

		// Import forms, multipart with the CSRF token.
		ct, body := multipartFile(t, "ds.csv", []byte("Họ và tên,Điện thoại\nAn,=1+1\n"), "csrf_token", testCSRF)
		r = us.send(t, req{method: "POST", path: page + "/can-bo/nhap", who: "26740/MTTQ", role: "reporter", ct: ct, body: body})
		if r.status != 400 || !strings.Contains(r.body, "Dòng 2, cột Điện thoại") {
			t.Errorf("import form with a formula: %d %.2000s", r.status, r.body)
		}
		ct, body = multipartFile(t, "thon.csv", []byte("Tên,Loại\nHòa Bình,Thôn\nAn Phú,Ấp\n"), "csrf_token", testCSRF)
		r = us.send(t, req{method: "POST", path: "/quan-tri/dia-ban/26740/thon/nhap", who: "26740/MTTQ", role: "reporter", ct: ct, body: body})
		if r.status != 303 || r.header.Get("Location") != page+"?ok=nhap-th#nhap-thon" {
			t.Errorf("villages import form: %d %s %.300s", r.status, r.header.Get("Location"), r.body)
		}
		vs, _ := us.store.Villages(ctx, "26740", false)
		if len(vs) == 0 {
			t.Fatal("no village imported")
		}
		// A retired village's page: read, no forms.
		if _, err := us.store.RetireVillage(ctx, vs[0].Code); err != nil {
			t.Fatal(err)
		}
		vpage := "/don-vi/" + vs[0].Code + "/MTTQ"
		r = us.send(t, req{method: "GET", path: vpage, who: "26740/MTTQ", role: "reporter"})
		if r.status != 200 || !strings.Contains(r.body, "Đã ngừng hoạt động") || strings.Contains(r.body, `action="`+vpage+`/ho-so"`) {
			t.Errorf("retired village's page: %d %.300s", r.status, r.body)
		}
		if r := form(vpage+"/ho-so", url.Values{"csrf_token": {testCSRF}, "members": {"3"}}); r.status != 409 {
			t.Errorf("retired village's form: %d", r.status)
		}
		if _, err := us.store.CreateVillage(ctx, "26740", vs[0].ShortName, vs[0].Kind); err != nil {
			t.Fatal(err)
		}
		if vs, _ := us.store.Villages(ctx, "26740", false); len(vs) != 2 {
			t.Errorf("%d villages after the import form", len(vs))
		}

		// The rollout page.
		if r := us.send(t, req{method: "GET", path: "/quan-tri/trien-khai?parent=VN", who: "79/MTTQ", role: "viewer"}); r.status != 403 {
			t.Errorf("rollout page, a province's viewer at VN: %d", r.status)
		}
		r = us.send(t, req{method: "GET", path: "/quan-tri/trien-khai?parent=79", who: "79/MTTQ", role: "viewer"})
		if r.status != 200 || !strings.Contains(r.body, "Phường Sài Gòn") || !strings.Contains(r.body, "format=xlsx") {
			t.Errorf("rollout page: %d %.300s", r.status, r.body)
		}
		// Without a parent, the sender's own province.
		r = us.send(t, req{method: "GET", path: "/quan-tri/trien-khai", who: "79/MTTQ", role: "reporter"})
		if r.status != 200 || !strings.Contains(r.body, "Phường Sài Gòn") {
			t.Errorf("rollout page of the sender's province: %d %.300s", r.status, r.body)
		}
		// /don-vi leads to the sender's unit.
		if r := us.send(t, req{method: "GET", path: "/don-vi", who: "26743/HND", role: "viewer"}); r.status != 303 || r.header.Get("Location") != "/don-vi/26743/HND" {
			t.Errorf("/don-vi: %d %s", r.status, r.header.Get("Location"))
		}
		if r := us.send(t, req{method: "GET", path: "/don-vi"}); r.status != 401 {
			t.Errorf("/don-vi, nobody signed in: %d", r.status)
		}
		if r := us.send(t, req{method: "GET", path: "/don-vi/tep/don-vi.css"}); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
			t.Errorf("style sheet: %d", r.status)
		}
	})
}
