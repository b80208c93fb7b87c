package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"
	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// uiSite is the real site — web.New with the auth and report modules,
// the pages included — over the small tree of fixture_test.go, served on
// 127.0.0.1, its clock on Monday 23 November 2026 at 10:00.
type uiSite struct {
	t     *testing.T
	svc   *report.Service
	clock *clock
	auth  *auth.Service
	srv   *httptest.Server
	logs  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// overAuth asks auth.CanOver, as serve wires it.
type overAuth struct{}

func (overAuth) AuthorizeOver(r *http.Request, action, unit string) error {
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

type uiSiteOptions struct {
	// dex, when set, starts a real Dex for the site's sign-on with these
	// users.
	dex []dextest.User
}

func newUISite(t *testing.T, db *store.DB) *uiSite {
	t.Helper()
	s, _ := newUISiteWith(t, db, uiSiteOptions{})
	return s
}

// newUISiteWith is newUISite with a Dex when o asks for one: the server
// starts first, for Dex must know the callback's URL and the site Dex's.
func newUISiteWith(t *testing.T, db *store.DB, o uiSiteOptions) (*uiSite, *dextest.Dex) {
	t.Helper()
	s := &uiSite{t: t, logs: &lockedBuffer{}}
	var h atomic.Pointer[http.Handler]
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	var dex *dextest.Dex
	var oidc auth.OIDC
	if o.dex != nil {
		dex = dextest.Start(t, dextest.Options{RedirectURLs: []string{s.srv.URL + "/auth/callback"}, Users: o.dex})
		oidc = auth.OIDC{Issuer: dex.Issuer, ClientID: dex.ClientID, ClientSecret: dex.ClientSecret}
	}
	handler := s.build(db, oidc)
	h.Store(&handler)
	return s, dex
}

// build assembles the site over db; the server must exist (for its URL).
func (s *uiSite) build(db *store.DB, oidc auth.OIDC) http.Handler {
	t := s.t
	t.Helper()
	ctx := t.Context()
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s.svc, s.clock = newService(t, db, nil)
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	s.auth, err = auth.New(auth.Options{DB: db, Units: org.IDs{Store: s.svc.Tree()}, OIDC: oidc, PublicURL: s.srv.URL,
		LoginLimiter: auth.NewLimiter(rate.Inf, 1), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	// Phường Tân Định's women's union has a staff list: the roll-up
	// names whom to call there.
	if _, _, err := s.svc.Tree().SaveStaff(ctx, org.Unit{Territory: "26737", Org: org.HPN}, []org.Person{
		{Name: "Nguyễn Văn An", Position: "Ủy viên", Phone: "0987 000 111"},
		{Name: "Lê Thị Hoa", Position: "Chủ tịch Hội", FullTime: true, Phone: "0912 345 678", Email: "hoa@hpn.test"},
	}, 0, "test"); err != nil {
		t.Fatal(err)
	}
	rh := report.NewHTTP(report.HTTPOptions{Service: s.svc, Authorizer: auth.Check, Over: overAuth{}, Auditor: auth.AuditLog,
		Actor: auth.Actor, Logger: log})
	handler := web.New(web.Options{
		Logger: log,
		Modules: []web.Module{
			{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				s.auth.Register(r, p)
				return nil
			}},
			{Name: "report", Templates: report.Templates, Funcs: report.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				rh.Register(r)
				rh.RegisterPages(r, p, report.PageOptions{})
				return nil
			}},
		},
		Middleware: []func(http.Handler) http.Handler{s.auth.Middleware},
		CSRFField:  auth.CSRFField,
	})
	t.Cleanup(func() {
		if t.Failed() {
			lines := strings.Split(s.logs.String(), "\n")
			t.Logf("site log (the last 40 lines):\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	return handler
}

// token grants role at unit to email and returns a bearer token for it.
func (s *uiSite) token(email string, role auth.Role, unit string) string {
	s.t.Helper()
	if _, err := s.auth.Store().Grant(s.t.Context(), email, role, unit, "test"); err != nil {
		s.t.Fatal(err)
	}
	secret, _, err := s.auth.Store().CreateToken(s.t.Context(), auth.TokenSpec{Email: email, Role: role, Unit: unit, CreatedBy: "test"})
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

type uiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r uiResponse) doc(t *testing.T) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// do sends a request without following redirects; form, when not nil,
// is posted as application/x-www-form-urlencoded.
func (s *uiSite) do(method, path, token string, form url.Values) uiResponse {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return uiResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *uiSite) want(r uiResponse, status int, what string) {
	s.t.Helper()
	if r.status != status {
		s.t.Fatalf("%s: status %d, want %d:\n%s", what, r.status, status, clipBody(r.body))
	}
}

func clipBody(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// formValues are the form's fields for a weekly report.
func formValues(staff, fullTime string, submit bool) url.Values {
	v := url.Values{
		"f_members": {"1250"}, "f_staff": {staff}, "f_full_time": {fullTime}, "f_activities": {"3"},
		"f_citizens_reached": {"120"}, "f_feedback_received": {"4"}, "f_feedback_answered": {"3"},
		"f_typical_activities": {"Ra quân vệ sinh môi trường, trồng 200 cây xanh."},
	}
	if submit {
		v.Set("hanh-dong", "gui")
	} else {
		v.Set("hanh-dong", "luu")
	}
	return v
}

const (
	formPath   = "/bao-cao/26734/HPN/2026-W47"
	rollupPath = "/bao-cao/79/HPN/2026-W47/tong-hop"
)

// TestPagesWorkflow walks the weekly report through the pages as its
// users do: the commune's reporter finds the unit on the home page, sends
// a value that breaks a rule and reads the Vietnamese message beside the
// field with what was typed kept, corrects it and submits; the
// province's reporter reads it in the roll-up and the completion table,
// with the missing commune and its contact, prints it, and approves it;
// the commune can no longer change it. Refusals: another province, a
// commune approving its own report, nobody signed in.
func TestPagesWorkflow(t *testing.T) {
	s := newUISite(t, storetest.SQLite(t))
	commune := s.token("hpn.saigon@mattranso.test", auth.Reporter, "26734/HPN")
	province := s.token("hpn.hcm@mattranso.test", auth.Reporter, "79/HPN")
	other := s.token("hpn.qn@mattranso.test", auth.Viewer, "22/HPN")

	home := s.do("GET", "/bao-cao", commune, nil)
	s.want(home, 200, "the home page")
	d := home.doc(t)
	li := d.Find(`#don-vi-cua-toi li[data-unit="26734/HPN"]`)
	if li.Length() != 1 || !strings.Contains(li.Text(), "Hội Liên hiệp Phụ nữ Phường Sài Gòn") || !strings.Contains(li.Text(), "Chưa báo cáo") {
		t.Errorf("the home page's unit reads %q", li.Text())
	}
	if href, _ := li.Find("a").First().Attr("href"); href != formPath {
		t.Errorf("the home page links the form at %q, want %s", href, formPath)
	}
	if got := d.Find("header").Text(); !strings.Contains(got, "Tuần 47 năm 2026") {
		t.Errorf("the home page's period reads %q, want week 47, due at 17:00 today", got)
	}

	form := s.do("GET", formPath, commune, nil)
	s.want(form, 200, "the form")
	d = form.doc(t)
	for _, id := range []string{"f_members", "f_staff", "f_full_time", "f_typical_activities", "luu-nhap", "gui-bao-cao"} {
		if d.Find("#"+id).Length() != 1 {
			t.Errorf("the form has no #%s", id)
		}
	}
	if got := d.Find(`label[for="f_full_time"]`).Text(); !strings.Contains(got, "chuyên trách") {
		t.Errorf("the full-time field's label reads %q", got)
	}
	if d.Find("#thao-tac-cap-tren").Length() != 0 {
		t.Error("the commune's own reporter is offered the upper level's approval")
	}
	if key, _ := d.Find("form.bc-form").Attr("data-draft"); key != "26734/HPN/weekly/2026-W47" {
		t.Errorf("the draft key is %q", key)
	}

	// full_time may not exceed staff: refused, the message beside the
	// field, nothing stored.
	bad := s.do("POST", formPath, commune, formValues("5", "8", true))
	s.want(bad, http.StatusUnprocessableEntity, "a report breaking full_time ≤ staff")
	d = bad.doc(t)
	msg := d.Find("#f_full_time-loi").Text()
	if !strings.Contains(msg, "không được lớn hơn") || !strings.Contains(msg, "Số cán bộ") {
		t.Errorf("the full-time field's message reads %q", msg)
	}
	if v, _ := d.Find("#f_full_time").Attr("value"); v != "8" {
		t.Errorf("the full-time field holds %q after the refusal, want what was typed, 8", v)
	}
	if href, _ := d.Find("#loi a").Attr("href"); href != "#f_full_time" || d.Find("#loi a").Length() != 1 {
		t.Errorf("the message at the top leads to %q (%d links)", href, d.Find("#loi a").Length())
	}
	if inv, _ := d.Find("#f_full_time").Attr("aria-invalid"); inv != "true" {
		t.Error("the refused field is not marked aria-invalid")
	}
	if _, ok := d.Find("form.bc-form").Attr("data-posted"); !ok {
		t.Error("the refused form is not marked as posted (the draft script would restore over it)")
	}
	if rep, err := s.svc.Report(t.Context(), "weekly", org.Unit{Territory: "26734", Org: org.HPN}, period(t, "2026-W47")); err != nil || rep.Version != 0 {
		t.Errorf("the refused report was stored: version %d (%v)", rep.Version, err)
	}

	ok := s.do("POST", formPath, commune, formValues("5", "2", true))
	s.want(ok, http.StatusSeeOther, "the corrected report")
	if loc := ok.header.Get("Location"); loc != formPath+"?ok=gui" {
		t.Errorf("after submitting: to %q", loc)
	}
	d = s.do("GET", formPath+"?ok=gui", commune, nil).doc(t)
	if st, _ := d.Find("#trang-thai").Attr("data-status"); st != "submitted" {
		t.Errorf("the status after submitting is %q", st)
	}
	if !strings.Contains(d.Find("#thong-bao").Text(), "Đã gửi báo cáo") {
		t.Errorf("no message after submitting: %q", d.Find("#thong-bao").Text())
	}

	// The province's roll-up: one of its two communes has reported.
	ru := s.do("GET", rollupPath, province, nil)
	s.want(ru, 200, "the province's roll-up")
	d = ru.doc(t)
	if got := strings.TrimSpace(d.Find("#da-bao-cao").Text()); got != "1/2" {
		t.Errorf("reported %q, want 1/2", got)
	}
	if got := strings.TrimSpace(d.Find("#ty-le").Text()); got != "50\u00a0%" {
		t.Errorf("completeness %q, want 50 %%", got)
	}
	if got := d.Find(`#bang-tong tr[data-field="members"] td`).Text(); got != "1.250" {
		t.Errorf("members total %q, want 1.250", got)
	}
	row := d.Find(`#bang-don-vi tr[data-unit="26734"]`)
	if !strings.Contains(row.Text(), "Phường Sài Gòn") || !strings.Contains(row.Text(), "100\u00a0%") {
		t.Errorf("the completion table's row reads %q", row.Text())
	}
	missing := d.Find(`#ds-chua-bao-cao li[data-unit="26737/HPN"]`)
	if missing.Length() != 1 {
		t.Fatalf("the missing list: %q", d.Find("#ds-chua-bao-cao").Text())
	}
	if !strings.Contains(missing.Text(), "Lê Thị Hoa") || !strings.Contains(missing.Text(), "0912 345 678") {
		t.Errorf("the missing unit's contact is not shown to the province's reporter: %q", missing.Text())
	}
	if d.Find(`#bieu-do-ty-le`).Length() != 1 {
		t.Error("the roll-up has no completion chart")
	}
	if !strings.Contains(d.Find(`section[aria-labelledby="y-kien"]`).Text(), "trồng 200 cây xanh") {
		t.Error("the roll-up does not gather the commune's typical activities")
	}
	if href, _ := d.Find("#tai-xlsx").Attr("href"); href != "/api/v1/org/units/79/HPN/rollup?format=xlsx&period=2026-W47" {
		t.Errorf("the XLSX link is %q", href)
	}
	// A viewer reads the roll-up without the staff's phones.
	viewer := s.token("xem.hcm@mattranso.test", auth.Viewer, "79/HPN")
	d = s.do("GET", rollupPath, viewer, nil).doc(t)
	if txt := d.Find("#ds-chua-bao-cao").Text(); strings.Contains(txt, "0912") || !strings.Contains(txt, "26737/HPN") {
		t.Errorf("the viewer's missing list reads %q", txt)
	}

	// The export's missing list carries the same contact, to the
	// province's reporter only.
	for _, c := range []struct {
		token string
		want  string
	}{{province, "26737/HPN|Hội Liên hiệp Phụ nữ Phường Tân Định|Lê Thị Hoa|Chủ tịch Hội|0912 345 678|hoa@hpn.test"},
		{viewer, "26737/HPN|Hội Liên hiệp Phụ nữ Phường Tân Định"}} {
		x := s.do("GET", "/api/v1/org/units/79/HPN/rollup?period=2026-W47&format=xlsx", c.token, nil)
		s.want(x, 200, "the XLSX export")
		f, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("Chưa báo cáo")
		f.Close()
		if err != nil || len(rows) != 2 || strings.Join(rows[1], "|") != c.want {
			t.Errorf("the exported missing list: %q (%v), want %s", rows, err, c.want)
		}
	}

	pr := s.do("GET", "/bao-cao/79/HPN/2026-W47/in", province, nil)
	s.want(pr, 200, "the print page")
	d = pr.doc(t)
	head := d.Find(".bc-doc-head").Text()
	for _, want := range []string{"HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM", "BAN CHẤP HÀNH HỘI LIÊN HIỆP PHỤ NỮ THÀNH PHỐ HỒ CHÍ MINH",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Hồ Chí Minh, ngày 23 tháng 11 năm 2026"} {
		if !strings.Contains(head, want) {
			t.Errorf("the document's header lacks %q: %q", want, head)
		}
	}
	if got := d.Find(".bc-doc-title").Text(); got != "BÁO CÁO TUẦN 47 NĂM 2026" {
		t.Errorf("the document's title is %q", got)
	}
	if !strings.Contains(d.Find("#ban-in").Text(), "1/2 đơn vị đã báo cáo") {
		t.Error("the print page does not say how many have reported")
	}

	// Refusals.
	if r := s.do("GET", rollupPath, other, nil); r.status != http.StatusForbidden {
		t.Errorf("another province's viewer reads the roll-up: %d", r.status)
	}
	if r := s.do("POST", formPath+"/duyet", commune, url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("the commune approves its own report: %d", r.status)
	}
	if r := s.do("GET", formPath, "", nil); r.status != http.StatusSeeOther ||
		r.header.Get("Location") != "/auth/login?next="+url.QueryEscape(formPath) {
		t.Errorf("nobody signed in: %d to %q", r.status, r.header.Get("Location"))
	}
	if r := s.do("POST", formPath, other, formValues("5", "2", true)); r.status != http.StatusForbidden {
		t.Errorf("another province's viewer files the report: %d", r.status)
	}

	// The province's reporter sees the upper level's forms and approves.
	d = s.do("GET", formPath, province, nil).doc(t)
	if d.Find("#duyet").Length() != 1 || d.Find("#tra-lai").Length() != 1 {
		t.Fatal("the province's reporter is not offered approve and return")
	}
	ap := s.do("POST", formPath+"/duyet", province, url.Values{})
	s.want(ap, http.StatusSeeOther, "approval")
	d = s.do("GET", formPath, commune, nil).doc(t)
	if st, _ := d.Find("#trang-thai").Attr("data-status"); st != "approved" {
		t.Errorf("status after approval %q", st)
	}
	if _, ok := d.Find("#f_members").Attr("disabled"); !ok || d.Find("#gui-bao-cao").Length() != 0 {
		t.Error("the approved report's form is still open to the commune")
	}
	if _, ok := d.Find("form.bc-form").Attr("data-locked"); !ok {
		t.Error("the approved form is not marked locked for the draft script")
	}
	again := s.do("POST", formPath, commune, formValues("6", "2", true))
	s.want(again, http.StatusConflict, "changing an approved report")
	if !strings.Contains(again.doc(t).Find("#loi").Text(), "khóa") {
		t.Errorf("the refusal reads %q", again.doc(t).Find("#loi").Text())
	}
	rep, err := s.svc.Report(t.Context(), "weekly", org.Unit{Territory: "26734", Org: org.HPN}, period(t, "2026-W47"))
	if err != nil || rep.Status != report.Approved || rep.Values["staff"] != 5.0 {
		t.Errorf("the approved report: %s, staff %v (%v)", rep.Status, rep.Values["staff"], err)
	}
}

// TestPagesReturnAndDraft: a draft does not count; the upper level
// returns a submitted report with a reason, which the commune reads on
// its form; a return without a reason is refused on the form.
func TestPagesReturnAndDraft(t *testing.T) {
	s := newUISite(t, storetest.SQLite(t))
	commune := s.token("hpn.saigon@mattranso.test", auth.Reporter, "26734/HPN")
	province := s.token("hpn.hcm@mattranso.test", auth.Reporter, "79/HPN")

	s.want(s.do("POST", formPath, commune, formValues("5", "2", false)), http.StatusSeeOther, "a draft")
	d := s.do("GET", rollupPath, province, nil).doc(t)
	if got := strings.TrimSpace(d.Find("#da-bao-cao").Text()); got != "0/2" {
		t.Errorf("a draft counts: reported %q", got)
	}
	d = s.do("GET", formPath, province, nil).doc(t)
	if d.Find("#duyet").Length() != 0 {
		t.Error("a draft can be approved")
	}
	s.want(s.do("POST", formPath, commune, formValues("5", "2", true)), http.StatusSeeOther, "submitting")
	noReason := s.do("POST", formPath+"/tra-lai", province, url.Values{"ly_do": {"  "}})
	s.want(noReason, http.StatusUnprocessableEntity, "a return without a reason")
	if !strings.Contains(noReason.doc(t).Find("#loi-xet-duyet").Text(), "lý do") {
		t.Errorf("the refusal reads %q", noReason.doc(t).Find("#loi-xet-duyet").Text())
	}
	s.want(s.do("POST", formPath+"/tra-lai", province, url.Values{"ly_do": {"Số hội viên chưa khớp với danh sách."}}),
		http.StatusSeeOther, "a return")
	d = s.do("GET", formPath, commune, nil).doc(t)
	if !strings.Contains(d.Find("#ly-do-tra-lai").Text(), "Số hội viên chưa khớp") {
		t.Errorf("the commune does not read why: %q", d.Find("#ly-do-tra-lai").Text())
	}
	if d.Find("#gui-bao-cao").Length() != 1 {
		t.Error("a returned report cannot be sent again")
	}
}

// TestRollupExportMatchesJSON: the XLSX and CSV exports of a roll-up hold
// the totals, completeness and missing list of the JSON roll-up, on both
// databases; a text that a spreadsheet would run is written as text.
func TestRollupExportMatchesJSON(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newUISite(t, db)
		commune := s.token("hpn.saigon@mattranso.test", auth.Reporter, "26734/HPN")
		province := s.token("hpn.hcm@mattranso.test", auth.Reporter, "79/HPN")
		vals := formValues("7", "3", true)
		vals.Set("f_difficulties", `=HYPERLINK("http://x.test","bấm")`)
		vals.Set("f_members", "1234")
		s.want(s.do("POST", formPath, commune, vals), http.StatusSeeOther, "a report")
		other := s.token("hpn.tandinh@mattranso.test", auth.Reporter, "26737/HPN")
		vals = formValues("4", "4", true)
		vals.Set("f_members", "800")
		s.want(s.do("POST", "/bao-cao/26737/HPN/2026-W47", other, vals), http.StatusSeeOther, "another report")

		// The JSON roll-up of the city, then of Phường Sài Gòn (its own
		// report only) with the city's missing list below it empty.
		api := "/api/v1/org/units/79/HPN/rollup?period=2026-W47"
		var ru report.Rollup
		j := s.do("GET", api, province, nil)
		s.want(j, 200, "the JSON roll-up")
		if err := json.Unmarshal(j.body, &ru); err != nil {
			t.Fatal(err)
		}
		if ru.Totals["members"] != 2034 || ru.Reported != 2 || ru.Expected != 2 {
			t.Fatalf("the JSON roll-up: %+v", ru)
		}
		x := s.do("GET", api+"&format=xlsx", province, nil)
		s.want(x, 200, "the XLSX export")
		if ct := x.header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("XLSX content type %q", ct)
		}
		if cd := x.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="bao-cao_79-HPN_2026-W47.xlsx"`) {
			t.Errorf("XLSX disposition %q", cd)
		}
		f, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatalf("the XLSX does not open: %v", err)
		}
		defer f.Close()
		wantSheets := "Tổng hợp|Số liệu|Theo đơn vị|Chưa báo cáo|Nội dung"
		if got := strings.Join(f.GetSheetList(), "|"); got != wantSheets {
			t.Errorf("sheets %s, want %s", got, wantSheets)
		}
		rows, err := f.GetRows("Số liệu", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			n, err := strconv.ParseFloat(r[2], 64)
			if err != nil || n != ru.Totals[r[0]] {
				t.Errorf("XLSX total of %s is %q, JSON %v", r[0], r[2], ru.Totals[r[0]])
			}
			seen[r[0]] = true
		}
		for k := range ru.Totals {
			if !seen[k] {
				t.Errorf("the XLSX has no total of %s", k)
			}
		}
		summary := map[string]string{}
		rows, _ = f.GetRows("Tổng hợp", excelize.Options{RawCellValue: true})
		for _, r := range rows {
			if len(r) == 2 {
				summary[r[0]] = r[1]
			}
		}
		for k, want := range map[string]string{"Đã báo cáo (reported)": "2", "Phải báo cáo (expected)": "2",
			"Tỷ lệ báo cáo, % (completeness)": "1", "Mã đơn vị (unit id)": "79/HPN"} {
			if summary[k] != want {
				t.Errorf("XLSX %s = %q, want %q", k, summary[k], want)
			}
		}
		rows, _ = f.GetRows("Theo đơn vị", excelize.Options{RawCellValue: true})
		if len(rows) != 3 || rows[1][0] != "26734" || rows[1][2] != "1" || rows[1][3] != "1" {
			t.Errorf("XLSX completion table: %q", rows)
		}
		rows, _ = f.GetRows("Nội dung", excelize.Options{RawCellValue: true})
		found := false
		for _, r := range rows {
			if len(r) == 4 && strings.Contains(r[3], "HYPERLINK") {
				found = true
				if !strings.HasPrefix(r[3], "'=") {
					t.Errorf("a formula-like text exported as %q", r[3])
				}
			}
		}
		if !found {
			t.Errorf("the texts sheet lacks the difficulty: %q", rows)
		}

		// The CSV holds the same totals; the city has no missing unit
		// now, Quảng Ninh's commune is missing in the national roll-up.
		c := s.do("GET", api+"&format=csv", province, nil)
		s.want(c, 200, "the CSV export")
		if !bytes.HasPrefix(c.body, []byte("\ufeff")) {
			t.Error("the CSV has no byte order mark")
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c.body, []byte("\ufeff"))))
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		inTotals := false
		for _, r := range recs {
			switch {
			case len(r) == 1 && r[0] == "Số liệu":
				inTotals = true
			case len(r) == 1:
				inTotals = false
			case inTotals && len(r) == 3 && r[0] != "Mã chỉ tiêu (field)":
				if r[2] != strconv.FormatFloat(ru.Totals[r[0]], 'f', -1, 64) {
					t.Errorf("CSV total of %s is %q, JSON %v", r[0], r[2], ru.Totals[r[0]])
				}
			}
		}

		admin := s.token("admin@mattranso.test", auth.Admin, "VN/MTTQ")
		var nat report.Rollup
		if err := json.Unmarshal(s.do("GET", "/api/v1/org/units/VN/HPN/rollup?period=2026-W47", admin, nil).body, &nat); err != nil {
			t.Fatal(err)
		}
		x = s.do("GET", "/api/v1/org/units/VN/HPN/rollup?period=2026-W47&format=xlsx", admin, nil)
		s.want(x, 200, "the national XLSX")
		f2, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f2.Close()
		rows, _ = f2.GetRows("Chưa báo cáo")
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0])
		}
		if fmt.Sprint(got) != fmt.Sprint(nat.Missing) || len(got) != 1 {
			t.Errorf("XLSX missing %v, JSON %v", got, nat.Missing)
		}
		if rows[0][len(rows[0])-1] != "Thư điện tử (e-mail)" {
			t.Errorf("the admin's missing list has no contact columns: %q", rows[0])
		}
		// A viewer's export has no contact columns.
		viewer := s.token("xem@mattranso.test", auth.Viewer, "VN/HPN")
		x = s.do("GET", "/api/v1/org/units/VN/HPN/rollup?period=2026-W47&format=xlsx", viewer, nil)
		f3, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f3.Close()
		if rows, _ := f3.GetRows("Chưa báo cáo"); len(rows) == 0 || len(rows[0]) != 2 {
			t.Errorf("the viewer's missing list: %q", rows)
		}
	})
}

// TestPagesLockException: past the lock the commune's form is closed and
// a save refused; the province grants an exception on the form, after
// which the commune saves again. A period to come has no form.
func TestPagesLockException(t *testing.T) {
	s := newUISite(t, storetest.SQLite(t))
	commune := s.token("hpn.saigon@mattranso.test", auth.Reporter, "26734/HPN")
	province := s.token("hpn.hcm@mattranso.test", auth.Reporter, "79/HPN")

	if r := s.do("GET", "/bao-cao/26734/HPN/2026-W49", commune, nil); r.status != http.StatusNotFound ||
		!strings.Contains(r.doc(t).Find("h1").Text(), "Chưa đến kỳ báo cáo") {
		t.Errorf("a period to come: %d %q", r.status, r.doc(t).Find("h1").Text())
	}
	d := s.do("GET", formPath, province, nil).doc(t)
	if d.Find("#gia-han").Length() != 0 {
		t.Error("an exception is offered before the period locks")
	}

	s.clock.Set(vn(2026, 12, 1, 9, 0)) // W47 locked on 30 November at 17:00
	d = s.do("GET", formPath, commune, nil).doc(t)
	if _, ok := d.Find("#f_members").Attr("disabled"); !ok || !strings.Contains(d.Find("#khoa").Text(), "khóa sổ") {
		t.Errorf("the locked period's form: %q", d.Find("#khoa").Text())
	}
	s.want(s.do("POST", formPath, commune, formValues("5", "2", true)), http.StatusConflict, "a save in a locked period")

	d = s.do("GET", formPath, province, nil).doc(t)
	if d.Find("#gia-han").Length() != 1 {
		t.Fatal("the province is not offered an exception")
	}
	if r := s.do("POST", formPath+"/gia-han", commune, url.Values{"den_ngay": {"2026-12-03"}, "ly_do": {"Mất điện"}}); r.status != http.StatusForbidden {
		t.Errorf("the commune grants itself an exception: %d", r.status)
	}
	bad := s.do("POST", formPath+"/gia-han", province, url.Values{"den_ngay": {"mai"}, "ly_do": {"Mất điện cả tuần"}})
	s.want(bad, http.StatusUnprocessableEntity, "an exception without a date")
	if v, _ := bad.doc(t).Find("#ly-do-gia-han").Html(); v != "Mất điện cả tuần" {
		t.Errorf("the refused exception's reason is not kept: %q", v)
	}
	s.want(s.do("POST", formPath+"/gia-han", province, url.Values{"den_ngay": {"2026-12-03"}, "ly_do": {"Mất điện cả tuần"}}),
		http.StatusSeeOther, "an exception")
	d = s.do("GET", formPath, commune, nil).doc(t)
	if !strings.Contains(d.Find(".bc-meta").Text(), "được sửa đến 00:00 04/12/2026") {
		t.Errorf("the exception is not shown: %q", d.Find(".bc-meta").Text())
	}
	s.want(s.do("POST", formPath, commune, formValues("5", "2", true)), http.StatusSeeOther, "a save under the exception")
	rep, err := s.svc.Report(t.Context(), "weekly", org.Unit{Territory: "26734", Org: org.HPN}, period(t, "2026-W47"))
	if err != nil || rep.Status != report.Submitted || rep.OnTime {
		t.Errorf("the late report: %s, on time %v (%v)", rep.Status, rep.OnTime, err)
	}
}

// TestPagesAllOrganisations: the Front's roll-up gathers the six
// organisations with org=all; the home page of an upper level shows its
// roll-up's completion; the period chosen in the roll-up's form is a
// page of its own.
func TestPagesAllOrganisations(t *testing.T) {
	s := newUISite(t, storetest.SQLite(t))
	commune := s.token("hpn.saigon@mattranso.test", auth.Reporter, "26734/HPN")
	front := s.token("mttq.hcm@mattranso.test", auth.Reporter, "79/MTTQ")
	s.want(s.do("POST", formPath, commune, formValues("5", "2", true)), http.StatusSeeOther, "a report")

	d := s.do("GET", "/bao-cao/79/MTTQ/2026-W47/tong-hop?org=all", front, nil).doc(t)
	if got := strings.TrimSpace(d.Find("#da-bao-cao").Text()); got != "1/12" {
		t.Errorf("the Front's roll-up of the six organisations: %q, want 1/12", got)
	}
	if _, ok := d.Find(`input[name="org"]`).Attr("checked"); !ok {
		t.Error("the form does not keep org=all")
	}
	if href, _ := d.Find("#ban-in").Attr("href"); href != "/bao-cao/79/MTTQ/2026-W47/in?org=all" {
		t.Errorf("the print link is %q", href)
	}
	d = s.do("GET", "/bao-cao/79/MTTQ/2026-W47/tong-hop", front, nil).doc(t)
	if got := strings.TrimSpace(d.Find("#da-bao-cao").Text()); got != "0/2" {
		t.Errorf("the Front's own roll-up: %q, want 0/2", got)
	}
	if r := s.do("GET", "/bao-cao/79/MTTQ/2026-W47/tong-hop?ky=2026-W46&org=all", front, nil); r.status != http.StatusSeeOther ||
		r.header.Get("Location") != "/bao-cao/79/MTTQ/2026-W46/tong-hop?org=all" {
		t.Errorf("choosing a period: %d to %q", r.status, r.header.Get("Location"))
	}
	d = s.do("GET", "/bao-cao", front, nil).doc(t)
	li := d.Find(`li[data-unit="79/MTTQ"]`)
	if !strings.Contains(li.Text(), "0/2 đơn vị đã báo cáo") || li.Find(".bc-status").Length() != 0 {
		t.Errorf("the upper level's home page reads %q", li.Text())
	}
}

// TestPagesPrefillFromProfile: a report never saved opens with the
// counts of the unit's profile, marked as such; nothing is stored until
// the reporter saves, and a saved report shows what was saved.
func TestPagesPrefillFromProfile(t *testing.T) {
	s := newUISite(t, storetest.SQLite(t))
	commune := s.token("hpn.saigon@mattranso.test", auth.Reporter, "26734/HPN")
	u := org.Unit{Territory: "26734", Org: org.HPN}
	if _, err := s.svc.Tree().SaveProfile(t.Context(), u, org.Profile{Members: 900, FullTimeStaff: 3}, "test"); err != nil {
		t.Fatal(err)
	}
	d := s.do("GET", formPath, commune, nil).doc(t)
	for id, want := range map[string]string{"f_members": "900", "f_full_time": "3", "f_staff": ""} {
		if v, _ := d.Find("#" + id).Attr("value"); v != want {
			t.Errorf("#%s = %q, want %q", id, v, want)
		}
	}
	if !strings.Contains(d.Find(`label[for="f_members"]`).Text(), "theo hồ sơ đơn vị") ||
		strings.Contains(d.Find(`label[for="f_staff"]`).Text(), "theo hồ sơ đơn vị") {
		t.Error("the prefilled fields are not told apart")
	}
	if rep, err := s.svc.Report(t.Context(), "weekly", u, period(t, "2026-W47")); err != nil || rep.Version != 0 {
		t.Errorf("opening the form stored a report: version %d (%v)", rep.Version, err)
	}
	s.want(s.do("POST", formPath, commune, formValues("5", "2", false)), http.StatusSeeOther, "a draft")
	d = s.do("GET", formPath, commune, nil).doc(t)
	if v, _ := d.Find("#f_members").Attr("value"); v != "1250" || d.Find(".bc-prefilled").Length() != 0 {
		t.Errorf("the saved draft shows members %q, %d prefilled marks", v, d.Find(".bc-prefilled").Length())
	}
}
