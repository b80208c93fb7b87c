package report

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/org"
)

// The pages, phone first and in Vietnamese; the forms work without
// JavaScript (static/bao-cao.js adds drafts kept in the browser):
//
//	GET  /bao-cao                                     the signed-in user's units and this period's status
//	GET  /bao-cao/{territory}/{org}/{period}          the form (report.read; editable with report.file)
//	POST /bao-cao/{territory}/{org}/{period}          save a draft or submit (report.file)
//	POST /bao-cao/{territory}/{org}/{period}/duyet    approve (report.approve from a higher territory)
//	POST /bao-cao/{territory}/{org}/{period}/tra-lai  return with a reason (same)
//	POST /bao-cao/{territory}/{org}/{period}/gia-han  grant a lock exception (same)
//	GET  /bao-cao/{territory}/{org}/{period}/tong-hop the roll-up: totals, completion table, missing list, texts, charts
//	GET  /bao-cao/{territory}/{org}/{period}/in       the roll-up as an A4 administrative document
//	GET  /bao-cao/tep/{file}                          the pages' style sheet and script
//
// ?dataset= chooses another data set than weekly; ?org=all on a Front
// (MTTQ) unit's roll-up gathers the six organisations. The forms carry the
// CSRF token the layout gives ({{$.CSRFField}}); auth checks it.

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Templates are the pages, for a Pages implementation (web.Renderer) to
// parse inside the site layout.
var Templates fs.FS = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

// TemplateFuncs are the functions the templates use.
var TemplateFuncs = template.FuncMap{
	"inc":   func(i int) int { return i + 1 },
	"upper": strings.ToUpper,
}

// PagesRenderer renders one of Templates inside the site layout, the
// page's data in .Data; web.Renderer satisfies it.
type PagesRenderer interface {
	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
}

// ContactsFunc gives the person to call about each of units that has
// one; the roll-up shows them beside the missing units to those who may
// read staff data (org.staff.read), and the exports carry them. By
// default they come from the units' staff lists (org.Store.Contacts).
type ContactsFunc func(ctx context.Context, units []org.Unit) (map[org.Unit]org.Contact, error)

// Limits of the pages.
const (
	// maxFormBytes bounds a posted form: the values of a report (texts of
	// MaxTextLen bytes each) and a reason.
	maxFormBytes = 256 << 10
	// pageMissing bounds the units the roll-up page lists as missing,
	// with their contacts; the exports list them all.
	pageMissing = 100
	// printMissing bounds the missing units the print page names.
	printMissing = 300
	// pageTexts bounds the texts per field the roll-up page shows.
	pageTexts = 20
	// trendPeriods is how many periods the trend chart shows.
	trendPeriods = 8
	// homeUnits bounds the units the home page lists.
	homeUnits = 30
	// lowPercent marks a unit below it in the completion table.
	lowPercent = 50
)

// pageDeps are what the pages need; the API's handler gives them.
type pageDeps struct {
	svc   *Service
	pages PagesRenderer
	// authorize is the Authorizer's check (report.read, report.file…),
	// over the CanOver check (report.approve from a higher territory).
	authorize func(r *http.Request, action, unit string) error
	over      func(r *http.Request, action, unit string) error
	// scopes are the units at which the sender holds action (nil: the
	// Authorizer cannot tell, and the home page lists nothing).
	scopes   func(r *http.Request, action string) ([]string, error)
	actor    func(r *http.Request) string
	audit    func(r *http.Request, action, unit, target string)
	contacts ContactsFunc
	login    string
	log      *slog.Logger
}

type pageHandler struct{ pageDeps }

// PageOptions are what the pages need beyond the API's handler.
type PageOptions struct {
	// Contacts replaces the staff lists as the source of the person to
	// call about each unit that has not reported.
	Contacts ContactsFunc
	// LoginURL is the site's sign-on, to which the pages send someone not
	// signed in with ?next=; "" means "/auth/login".
	LoginURL string
}

// RegisterPages adds the pages to r, rendered through pages, with the
// handler's Authorizer, OverAuthorizer, Auditor and Actor. The home page
// lists the units at which the user holds a role when the Authorizer can
// tell (a method Scopes(r, action) ([]string, error), as auth.Check has).
func (h *Handler) RegisterPages(r Router, pages PagesRenderer, o PageOptions) {
	if o.Contacts == nil {
		o.Contacts = h.svc.tree.Contacts
	}
	h.contacts = o.Contacts
	d := pageDeps{svc: h.svc, pages: pages, authorize: h.authz.Authorize, over: h.over.AuthorizeOver,
		actor: h.actor, audit: func(r *http.Request, action, unit, target string) {
			if h.audit == nil {
				h.log.InfoContext(r.Context(), "report: change", "action", action, "unit", unit, "target", target)
				return
			}
			h.audit.Audit(r, action, unit, target)
		}, contacts: o.Contacts, login: o.LoginURL, log: h.log}
	if sc, ok := h.authz.(scoper); ok {
		d.scopes = sc.Scopes
	}
	registerPages(r, d)
}

func registerPages(rt Router, d pageDeps) {
	if d.login == "" {
		d.login = "/auth/login"
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	h := &pageHandler{d}
	const base = "/bao-cao/{territory}/{org}/{period}"
	rt.Handle(http.MethodGet, "/bao-cao", http.HandlerFunc(h.home))
	rt.Handle(http.MethodGet, "/bao-cao/tep/{file}", http.HandlerFunc(h.asset))
	rt.Handle(http.MethodGet, base, http.HandlerFunc(h.form))
	rt.Handle(http.MethodPost, base, http.HandlerFunc(h.save))
	rt.Handle(http.MethodPost, base+"/duyet", http.HandlerFunc(h.approve))
	rt.Handle(http.MethodPost, base+"/tra-lai", http.HandlerFunc(h.giveBack))
	rt.Handle(http.MethodPost, base+"/gia-han", http.HandlerFunc(h.exception))
	rt.Handle(http.MethodGet, base+"/tong-hop", http.HandlerFunc(h.rollup))
	rt.Handle(http.MethodGet, base+"/in", http.HandlerFunc(h.print))
}

// PageURL is the path of unit u's form for period (a period key).
func PageURL(u org.Unit, period string) string {
	return "/bao-cao/" + url.PathEscape(u.Territory) + "/" + url.PathEscape(string(u.Org)) + "/" + url.PathEscape(period)
}

// withDataset adds ?dataset= to a page's path unless it is the default.
func withDataset(path, ds string, extra url.Values) string {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	if ds != "" && ds != defaultDataset {
		q.Set("dataset", ds)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

const defaultDataset = "weekly"

func (h *pageHandler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var ct string
	switch {
	case strings.HasSuffix(name, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		ct = "text/css; charset=utf-8"
	}
	data, err := staticFiles.ReadFile("static/" + name)
	if ct == "" || err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(data)
}

// pageError is a refusal or failure shown as a page.
type pageError struct {
	Status   int
	Title    string
	Message  string
	LoginURL string
}

func (h *pageHandler) fail(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "bao_cao_loi", pageError{Status: status, Title: title, Message: msg})
}

// refuse answers an Authorizer's refusal: to the sign-on for nobody
// signed in (a GET comes back after), a 403 page otherwise.
func (h *pageHandler) refuse(w http.ResponseWriter, r *http.Request, err error, what string) {
	status := http.StatusForbidden
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) && hs.HTTPStatus() == http.StatusUnauthorized {
		status = http.StatusUnauthorized
	}
	if status == http.StatusUnauthorized {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = r.URL.Path
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, h.login+"?"+url.Values{"next": {next}}.Encode(), http.StatusSeeOther)
		return
	}
	if hs == nil {
		h.log.WarnContext(r.Context(), "report: permission check failed", "err", err)
	}
	h.fail(w, r, status, "Không được phép", "Tài khoản của bạn không được "+what+" (forbidden).")
}

// internal answers a failure of the service.
func (h *pageHandler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() == nil {
		h.log.ErrorContext(r.Context(), "report: page", "path", r.URL.Path, "err", err)
	}
	h.fail(w, r, http.StatusInternalServerError, "Lỗi hệ thống",
		"Máy chủ gặp lỗi khi xử lý yêu cầu; hãy thử lại sau ít phút (internal error).")
}

// target is a page's unit, data set and period, read from the path and
// checked.
type target struct {
	Unit    org.Unit
	Dataset Dataset
	Period  Period
	Terr    org.Territory
	Name    string
}

// readTarget reads and checks the path's unit and period and the data
// set; it answers the request itself when they are not usable.
func (h *pageHandler) readTarget(w http.ResponseWriter, r *http.Request) (target, bool) {
	var t target
	o, err := org.ParseOrg(r.PathValue("org"))
	if err != nil {
		h.fail(w, r, http.StatusNotFound, "Không có đơn vị", fmt.Sprintf(
			"Tổ chức %q không có; cần một trong MTTQ, CD, HND, DTN, HPN, CCB (unknown organisation).", clipRunes(r.PathValue("org"), 20)))
		return t, false
	}
	t.Unit = org.Unit{Territory: r.PathValue("territory"), Org: o}
	ds := r.URL.Query().Get("dataset")
	if ds == "" {
		ds = defaultDataset
	}
	if t.Dataset, err = h.svc.Dataset(ds); err != nil {
		h.fail(w, r, http.StatusNotFound, "Không có biểu mẫu", fmt.Sprintf("Không có biểu mẫu báo cáo %q (unknown data set).", clipRunes(ds, 40)))
		return t, false
	}
	if t.Period, err = ParsePeriod(t.Dataset.PeriodType, r.PathValue("period")); err != nil {
		h.fail(w, r, http.StatusNotFound, "Kỳ báo cáo không hợp lệ", fmt.Sprintf(
			"Kỳ báo cáo %q không hợp lệ: cần dạng %s (invalid period).", clipRunes(r.PathValue("period"), 20), t.Dataset.PeriodType.Example()))
		return t, false
	}
	if t.Terr, err = h.svc.Tree().Territory(r.Context(), t.Unit.Territory); err != nil {
		if errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrInvalid) {
			h.fail(w, r, http.StatusNotFound, "Không có đơn vị", fmt.Sprintf("Không có địa bàn %q (unknown territory).", clipRunes(t.Unit.Territory, 20)))
		} else {
			h.internal(w, r, err)
		}
		return t, false
	}
	t.Name = org.UnitName(t.Terr, o)
	return t, true
}

// clipRunes cuts s to n characters for quoting it back.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// can says, without asking the Authorizer (which records refusals),
// whether the sender holds action at unit or above it: for showing or
// hiding a form. The action itself is checked by the Authorizer.
func (h *pageHandler) can(r *http.Request, action string, u org.Unit, higherOnly bool) bool {
	return canIn(r, h.scopes, h.svc.tree, action, u, higherOnly)
}

// Labels.

// PeriodLabel names a period as Vietnamese documents do: "Tuần 47 năm
// 2026", "Tháng 11 năm 2026", "Quý IV năm 2026".
func PeriodLabel(p Period) string {
	y, rest, _ := strings.Cut(p.Key, "-")
	switch p.Type {
	case Monthly:
		m, _ := strconv.Atoi(rest)
		return fmt.Sprintf("Tháng %d năm %s", m, y)
	case Quarterly:
		q, _ := strconv.Atoi(strings.TrimPrefix(rest, "Q"))
		return fmt.Sprintf("Quý %s năm %s", roman(q), y)
	}
	w, _ := strconv.Atoi(strings.TrimPrefix(rest, "W"))
	return fmt.Sprintf("Tuần %d năm %s", w, y)
}

func roman(q int) string {
	if q >= 1 && q <= 4 {
		return []string{"I", "II", "III", "IV"}[q-1]
	}
	return strconv.Itoa(q)
}

// periodDates are a period's first and last days: "16/11/2026 – 22/11/2026".
func periodDates(p Period) string {
	return p.Start.In(Vietnam).Format("02/01/2006") + " – " + p.LastDay().In(Vietnam).Format("02/01/2006")
}

func vnTime(t time.Time) string { return t.In(Vietnam).Format("15:04 02/01/2006") }

// statusLabels name the statuses; a report never saved is "none".
var statusLabels = map[Status]string{
	Draft:     "Bản nháp",
	Submitted: "Đã gửi, chờ duyệt",
	Returned:  "Bị trả lại",
	Approved:  "Đã duyệt",
}

func statusOf(rep Report) (class, label string) {
	if rep.Version == 0 {
		return "none", "Chưa báo cáo"
	}
	return string(rep.Status), statusLabels[rep.Status]
}

// vnDecimal writes x with at most n decimals and a decimal comma, with
// dots between thousands: 1.234,5.
func vnDecimal(x float64, n int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	s := strconv.FormatFloat(x, 'f', n, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "," + frac
	}
	return out
}

// percentText writes a percentage, the sign kept on the number's line.
func percentText(x float64) string { return vnDecimal(x, 1) + "\u00a0%" }

// The home page.

type homeView struct {
	DatasetName  string
	PeriodLabel  string
	DeadlineText string
	DeadlineRule string
	Units        []homeUnit
	Error        string
}

type homeUnit struct {
	ID, Name, RoleLabel          string
	Files                        bool
	StatusClass, StatusLabel     string
	RollupText                   string
	FormURL, RollupURL, PrintURL string
}

func (h *pageHandler) home(w http.ResponseWriter, r *http.Request) {
	if h.scopes == nil {
		h.refuse(w, r, errors.New("report: pages: no scopes"), "xem báo cáo")
		return
	}
	read, err := h.scopes(r, ActionRead)
	if err != nil {
		h.refuse(w, r, err, "xem báo cáo")
		return
	}
	file, err := h.scopes(r, ActionFile)
	if err != nil {
		h.refuse(w, r, err, "xem báo cáo")
		return
	}
	d, err := h.svc.Dataset(defaultDataset)
	if ds := r.URL.Query().Get("dataset"); ds != "" {
		d, err = h.svc.Dataset(ds)
	}
	if err != nil {
		h.fail(w, r, http.StatusNotFound, "Không có biểu mẫu", "Không có biểu mẫu báo cáo này (unknown data set).")
		return
	}
	p := duePeriod(d, h.svc.Now())
	v := homeView{DatasetName: d.Name, PeriodLabel: PeriodLabel(p), DeadlineText: vnTime(d.Deadline(p)),
		DeadlineRule: deadlineRule(d)}
	ids := slices.Clone(file)
	for _, s := range read {
		if !slices.Contains(ids, s) {
			ids = append(ids, s)
		}
	}
	if len(ids) > homeUnits {
		ids = ids[:homeUnits]
	}
	for _, id := range ids {
		u, err := org.ParseUnit(id)
		if err != nil {
			continue
		}
		hu := homeUnit{ID: u.String(), Name: u.String()}
		if t, err := h.svc.Tree().Territory(r.Context(), u.Territory); err == nil {
			hu.Name = org.UnitName(t, u.Org)
		}
		if slices.Contains(file, id) {
			hu.RoleLabel = "báo cáo"
		} else {
			hu.RoleLabel = "xem"
		}
		if d.Reports(u) {
			hu.Files = true
			hu.FormURL = withDataset(PageURL(u, p.Key), d.Key, nil)
			rep, err := h.svc.Report(r.Context(), d.Key, u, p)
			if err != nil {
				hu.StatusClass, hu.StatusLabel = "none", "Không đọc được"
			} else {
				hu.StatusClass, hu.StatusLabel = statusOf(rep)
			}
		}
		if u.Level() != org.Village {
			hu.RollupURL = withDataset(PageURL(u, p.Key)+"/tong-hop", d.Key, nil)
			hu.PrintURL = withDataset(PageURL(u, p.Key)+"/in", d.Key, nil)
			if !hu.Files {
				if ru, err := h.svc.Rollup(r.Context(), d.Key, u, false, p, 0); err == nil {
					hu.RollupText = fmt.Sprintf("%d/%d đơn vị đã báo cáo (%s)", ru.Reported, ru.Expected, percentText(ru.Percent))
				}
			}
		}
		v.Units = append(v.Units, hu)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "bao_cao", v)
}

// duePeriod is the period a unit files now: the last one while its
// deadline has not passed (on Monday morning, last week's), else the
// current one.
func duePeriod(d Dataset, now time.Time) Period {
	cur := CurrentPeriod(d.PeriodType, now)
	if prev := cur.Prev(); now.Before(d.Deadline(prev)) {
		return prev
	}
	return cur
}

// deadlineRule says when reports are due, in words.
func deadlineRule(d Dataset) string {
	if d.PeriodType == Weekly && d.DeadlineDays == 1 {
		return fmt.Sprintf("%d giờ thứ Hai tuần sau", d.DeadlineHour)
	}
	return fmt.Sprintf("%d giờ, %d ngày sau khi hết kỳ", d.DeadlineHour, d.DeadlineDays)
}

// The form.

type formView struct {
	DatasetName, UnitName, UnitID string
	PeriodLabel, PeriodDates      string
	Status                        Status
	StatusClass, StatusLabel      string
	OnTimeText                    string
	DeadlineText, LockAtText      string
	ExceptionText, UpdatedText    string
	URL, RollupURL, PrintURL      string
	PrevURL, NextURL              string
	DraftKey                      string
	Version                       int
	Fields                        []fieldView
	Flash, Error                  string
	// ErrorLinks lead from the message at the top to each refused field.
	ErrorLinks                 []option
	ReturnReason, LockText     string
	Posted, Editable, Reported bool
	// The upper level's forms.
	CanApprove, CanExcept bool
	ActionError           string
	ReturnDraft           string
	ExceptionDay          string
	ExceptionReason       string
}

type fieldView struct {
	ID, Label, Help string
	Kind            string // "number", "text", "select"
	Required        bool
	Value           string
	Error           string
	Prefilled       bool // filled from the unit's profile, not yet saved
	Step, Min       string
	InputMode       string
	MaxLen          int
	Options         []option
}

type option struct{ Value, Label string }

// formField is the name of field key's input: a prefix keeps the fields
// apart from the form's own (the CSRF token, the button).
func formField(key string) string { return "f_" + key }

var flashes = map[string]string{
	"luu":     "Đã lưu bản nháp. Báo cáo chỉ được tính khi bấm Gửi báo cáo.",
	"gui":     "Đã gửi báo cáo. Cấp trên đã thấy số liệu trong bảng tổng hợp.",
	"duyet":   "Đã duyệt báo cáo; báo cáo đã được khóa.",
	"tra-lai": "Đã trả lại báo cáo cho đơn vị sửa.",
	"gia-han": "Đã mở khóa sổ cho đơn vị.",
}

func (h *pageHandler) form(w http.ResponseWriter, r *http.Request) {
	t, ok := h.readTarget(w, r)
	if !ok {
		return
	}
	if err := h.authorize(r, ActionRead, t.Unit.String()); err != nil {
		h.refuse(w, r, err, "xem báo cáo của "+t.Name)
		return
	}
	rep, err := h.svc.Report(r.Context(), t.Dataset.Key, t.Unit, t.Period)
	if err != nil {
		h.serviceError(w, r, t, err)
		return
	}
	v := h.formView(r, t, rep)
	v.Flash = flashes[r.URL.Query().Get("ok")]
	if rep.Version == 0 && v.Editable {
		h.prefill(r, t, &v)
	}
	h.renderForm(w, r, http.StatusOK, v)
}

// prefill fills a report never saved with the unit's profile, for the
// fields that name a profile field (FromProfile): a suggestion shown in
// the form, stored only when the reporter saves it.
func (h *pageHandler) prefill(r *http.Request, t target, v *formView) {
	prof, err := h.svc.tree.Profile(r.Context(), t.Unit)
	if err != nil || prof.Version == 0 {
		if err != nil {
			h.log.WarnContext(r.Context(), "report: profile for the form", "unit", t.Unit.String(), "err", err)
		}
		return
	}
	b, err := json.Marshal(prof)
	var fields map[string]any
	if err == nil {
		err = json.Unmarshal(b, &fields)
	}
	if err != nil {
		return
	}
	for i, f := range t.Dataset.Fields {
		val, ok := fields[f.FromProfile]
		if f.FromProfile == "" || !ok || v.Fields[i].Value != "" {
			continue
		}
		switch x := val.(type) {
		case float64:
			if f.Type.Numeric() {
				v.Fields[i].Value, v.Fields[i].Prefilled = formValue(x), true
			}
		case string:
			if f.Type == Text && x != "" {
				v.Fields[i].Value, v.Fields[i].Prefilled = x, true
			}
		}
	}
	for _, f := range v.Fields {
		if f.Prefilled {
			v.Flash = "Các ô đánh dấu “theo hồ sơ đơn vị” đã được điền sẵn từ hồ sơ của đơn vị; hãy kiểm tra trước khi lưu."
			break
		}
	}
}

// serviceError shows a refusal of the service (an unknown unit, a unit
// that does not file the data set, a future period) or a failure.
func (h *pageHandler) serviceError(w http.ResponseWriter, r *http.Request, t target, err error) {
	switch {
	case errors.Is(err, ErrNotReporting):
		h.fail(w, r, http.StatusNotFound, "Đơn vị không báo cáo biểu mẫu này", fmt.Sprintf(
			"%s không thuộc các đơn vị báo cáo %s; xem trang tổng hợp của đơn vị (the unit does not file this data set).", t.Name, t.Dataset.Name))
	case errors.Is(err, ErrFuture):
		h.fail(w, r, http.StatusNotFound, "Chưa đến kỳ báo cáo", fmt.Sprintf(
			"%s chưa bắt đầu; chỉ báo cáo được kỳ hiện tại và các kỳ trước (period in the future).", PeriodLabel(t.Period)))
	case errors.Is(err, ErrPeriod):
		h.fail(w, r, http.StatusNotFound, "Kỳ báo cáo không hợp lệ", fmt.Sprintf(
			"Kỳ %s không dùng được với biểu mẫu %s (invalid period).", t.Period.Key, t.Dataset.Name))
	case errors.Is(err, ErrNotFound):
		h.fail(w, r, http.StatusNotFound, "Không tìm thấy", "Không có đơn vị hoặc báo cáo này (not found).")
	default:
		h.internal(w, r, err)
	}
}

// formView builds the form of report rep as stored.
func (h *pageHandler) formView(r *http.Request, t target, rep Report) formView {
	d, p, u := t.Dataset, t.Period, t.Unit
	base := PageURL(u, p.Key)
	v := formView{DatasetName: d.Name, UnitName: t.Name, UnitID: u.String(), PeriodLabel: PeriodLabel(p),
		PeriodDates: periodDates(p), Status: rep.Status, DeadlineText: vnTime(rep.Deadline), LockAtText: vnTime(rep.LockAt),
		URL: withDataset(base, d.Key, nil), PrintURL: withDataset(base+"/in", d.Key, nil),
		PrevURL: withDataset(PageURL(u, p.Prev().Key), d.Key, nil), Version: rep.Version,
		DraftKey: u.String() + "/" + d.Key + "/" + p.Key, Reported: rep.Status.Reported(), ExceptionDay: h.svc.Now().In(Vietnam).AddDate(0, 0, 7).Format(time.DateOnly)}
	if rep.Version == 0 {
		v.Status = ""
	}
	v.StatusClass, v.StatusLabel = statusOf(rep)
	if rep.FirstSubmittedAt != nil {
		if rep.OnTime {
			v.OnTimeText = "gửi đúng hạn lúc " + vnTime(*rep.FirstSubmittedAt)
		} else {
			v.OnTimeText = "gửi trễ hạn lúc " + vnTime(*rep.FirstSubmittedAt)
		}
	}
	if rep.Status == Returned {
		v.ReturnReason = rep.ReturnReason
	}
	if next := p.Next(); !next.Start.After(h.svc.Now()) {
		v.NextURL = withDataset(PageURL(u, next.Key), d.Key, nil)
	}
	if u.Level() != org.Village {
		v.RollupURL = withDataset(base+"/tong-hop", d.Key, nil)
	}
	if rep.ExceptionUntil != nil && rep.ExceptionUntil.After(h.svc.Now()) {
		v.ExceptionText = "được sửa đến " + vnTime(*rep.ExceptionUntil)
	}
	if rep.Version > 0 && !rep.UpdatedAt.IsZero() {
		v.UpdatedText = vnTime(rep.UpdatedAt)
		if rep.UpdatedBy != "" {
			v.UpdatedText += " · " + rep.UpdatedBy
		}
	}
	canFile := h.can(r, ActionFile, u, false)
	v.Editable = canFile && !rep.Locked
	switch {
	case rep.Locked && rep.LockReason == LockApproved:
		v.LockText = "Báo cáo đã được cấp trên duyệt và khóa; không sửa được nữa."
	case rep.Locked:
		v.LockText = "Kỳ báo cáo đã khóa sổ lúc " + vnTime(rep.LockAt) + "; muốn sửa cần cấp trên gia hạn."
	case !canFile:
		v.LockText = "Bạn chỉ được xem báo cáo này."
	}
	v.CanApprove = h.can(r, ActionApprove, u, true)
	v.CanExcept = v.CanApprove && rep.Status != Approved && h.svc.Now().After(rep.LockAt)
	for _, f := range d.Fields {
		fv := fieldView{ID: formField(f.Key), Label: f.Label, Help: f.Help, Required: f.Required}
		switch f.Type {
		case Number, Integer:
			fv.Kind, fv.Step, fv.InputMode = "number", "any", "decimal"
			if f.Type == Integer {
				fv.Step, fv.InputMode = "1", "numeric"
			}
			if f.Min != nil {
				fv.Min = strconv.FormatFloat(*f.Min, 'f', -1, 64)
			}
		case Text:
			fv.Kind, fv.MaxLen = "text", MaxTextLen
		case Bool:
			fv.Kind = "select"
			fv.Options = []option{{"true", "Có"}, {"false", "Không"}}
		case Choice:
			fv.Kind = "select"
			for _, c := range f.Choices {
				fv.Options = append(fv.Options, option{c, c})
			}
		}
		fv.Value = formValue(rep.Values[f.Key])
		v.Fields = append(v.Fields, fv)
	}
	return v
}

// formValue writes a stored value into its input.
func formValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func (h *pageHandler) renderForm(w http.ResponseWriter, r *http.Request, status int, v formView) {
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "bao_cao_form", v)
}

// readValues reads the form's fields as the service takes them: numbers
// as float64 (a decimal comma allowed), yes or no as bool, texts as they
// are; an empty field is left out. A number that does not read is passed
// on as typed, so that the service names the field in its refusal.
func readValues(d Dataset, form url.Values) map[string]any {
	out := map[string]any{}
	for _, f := range d.Fields {
		raw := form.Get(formField(f.Key))
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		switch f.Type {
		case Number, Integer:
			n, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), ",", "."), 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				out[f.Key] = s
			} else {
				out[f.Key] = n
			}
		case Bool:
			switch s {
			case "true":
				out[f.Key] = true
			case "false":
				out[f.Key] = false
			default:
				out[f.Key] = s
			}
		case Text:
			out[f.Key] = raw
		default:
			out[f.Key] = s
		}
	}
	return out
}

// parseForm reads a posted form within maxFormBytes; false when it
// answered the request itself.
func (h *pageHandler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, "Nội dung quá dài",
				fmt.Sprintf("Biểu mẫu gửi lên dài quá %d KB; hãy rút gọn các ô văn bản (form too large).", maxFormBytes>>10))
		} else {
			h.fail(w, r, http.StatusBadRequest, "Biểu mẫu không hợp lệ", "Không đọc được biểu mẫu gửi lên (invalid form).")
		}
		return false
	}
	return true
}

func (h *pageHandler) save(w http.ResponseWriter, r *http.Request) {
	t, ok := h.readTarget(w, r)
	if !ok {
		return
	}
	if err := h.authorize(r, ActionFile, t.Unit.String()); err != nil {
		h.refuse(w, r, err, "báo cáo thay "+t.Name)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	submit := r.PostForm.Get("hanh-dong") == "gui"
	values := readValues(t.Dataset, r.PostForm)
	_, err := h.svc.Save(r.Context(), t.Dataset.Key, t.Unit, t.Period, values, submit, h.actorOf(r))
	if err != nil {
		h.formRefused(w, r, t, err)
		return
	}
	action, flash := AuditSave, "luu"
	if submit {
		action, flash = AuditSubmit, "gui"
	}
	h.auditOf(r, action, t)
	http.Redirect(w, r, withDataset(PageURL(t.Unit, t.Period.Key), t.Dataset.Key, url.Values{"ok": {flash}}), http.StatusSeeOther)
}

// formRefused shows the form again with what was sent and why it was
// refused: each value's message beside its field, a lock or a retired
// village at the top.
func (h *pageHandler) formRefused(w http.ResponseWriter, r *http.Request, t target, err error) {
	var ve *ValidationError
	status := http.StatusConflict
	msg := ""
	switch {
	case errors.As(err, &ve):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, ErrLocked):
		msg = "Báo cáo đã bị khóa (đã duyệt hoặc quá hạn khóa sổ) nên không lưu được; cần cấp trên gia hạn (locked)."
	case errors.Is(err, ErrRetired):
		msg = "Thôn, tổ dân phố này đã ngừng hoạt động; không nhận báo cáo (retired)."
	case errors.Is(err, ErrNotReporting), errors.Is(err, ErrFuture), errors.Is(err, ErrPeriod), errors.Is(err, ErrNotFound):
		h.serviceError(w, r, t, err)
		return
	default:
		h.internal(w, r, err)
		return
	}
	rep, rerr := h.svc.Report(r.Context(), t.Dataset.Key, t.Unit, t.Period)
	if rerr != nil {
		h.internal(w, r, rerr)
		return
	}
	v := h.formView(r, t, rep)
	v.Posted = true
	byField := map[string]string{}
	if ve != nil {
		for _, fe := range ve.Errors {
			if byField[fe.Field] == "" {
				byField[fe.Field] = fe.Message
			} else {
				byField[fe.Field] += " " + fe.Message
			}
		}
		msg = fmt.Sprintf("Báo cáo chưa được lưu: %d ô cần sửa, xem thông báo dưới từng ô (not saved: fields to correct: %d).", len(byField), len(byField))
	}
	v.Error = msg
	for i := range v.Fields {
		f := &v.Fields[i]
		key := strings.TrimPrefix(f.ID, "f_")
		if v.Editable {
			f.Value = r.PostForm.Get(f.ID)
		}
		f.Error = byField[key]
		if f.Error != "" {
			v.ErrorLinks = append(v.ErrorLinks, option{Value: f.ID, Label: f.Label})
		}
		delete(byField, key)
	}
	for k, m := range byField {
		v.Error += " " + k + ": " + m
	}
	h.renderForm(w, r, status, v)
}

func (h *pageHandler) actorOf(r *http.Request) string {
	if h.actor == nil {
		return ""
	}
	return h.actor(r)
}

func (h *pageHandler) auditOf(r *http.Request, action string, t target) {
	if h.audit != nil {
		h.audit(r, action, t.Unit.String(), t.Dataset.Key+"/"+t.Period.Key)
	}
}

// The upper level's steps.

func (h *pageHandler) approve(w http.ResponseWriter, r *http.Request) {
	h.upper(w, r, AuditApprove, "duyet", func(t target, actor string) (Report, error) {
		return h.svc.Approve(r.Context(), t.Dataset.Key, t.Unit, t.Period, actor)
	}, nil)
}

func (h *pageHandler) giveBack(w http.ResponseWriter, r *http.Request) {
	h.upper(w, r, AuditReturn, "tra-lai", func(t target, actor string) (Report, error) {
		return h.svc.Return(r.Context(), t.Dataset.Key, t.Unit, t.Period, r.PostForm.Get("ly_do"), actor)
	}, func(v *formView) { v.ReturnDraft = r.PostForm.Get("ly_do") })
}

func (h *pageHandler) exception(w http.ResponseWriter, r *http.Request) {
	h.upper(w, r, AuditException, "gia-han", func(t target, actor string) (Report, error) {
		day, err := time.ParseInLocation(time.DateOnly, r.PostForm.Get("den_ngay"), Vietnam)
		if err != nil {
			return Report{}, fmt.Errorf("%w: den_ngay", ErrInvalid)
		}
		// The exception runs to the end of the day chosen.
		return h.svc.GrantException(r.Context(), t.Dataset.Key, t.Unit, t.Period, day.AddDate(0, 0, 1), r.PostForm.Get("ly_do"), actor)
	}, func(v *formView) {
		v.ExceptionDay, v.ExceptionReason = r.PostForm.Get("den_ngay"), r.PostForm.Get("ly_do")
	})
}

// upper runs one of the upper level's steps: checked through the CanOver
// authorizer (a grant at a higher territory), audited, then back to the
// form with a message; a refusal shows the form with the reason.
func (h *pageHandler) upper(w http.ResponseWriter, r *http.Request, action, flash string,
	step func(t target, actor string) (Report, error), refill func(*formView)) {
	t, ok := h.readTarget(w, r)
	if !ok {
		return
	}
	if h.over == nil {
		h.refuse(w, r, errors.New("report: pages: no CanOver authorizer"), "duyệt báo cáo của "+t.Name)
		return
	}
	if err := h.over(r, ActionApprove, t.Unit.String()); err != nil {
		h.refuse(w, r, err, "duyệt, trả lại hay gia hạn báo cáo của "+t.Name+" (chỉ cấp trên được làm)")
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	_, err := step(t, h.actorOf(r))
	if err != nil {
		var msg string
		switch {
		case errors.Is(err, ErrStatus):
			msg = "Báo cáo không ở trạng thái cho phép bước này (chỉ duyệt, trả lại báo cáo đã gửi; báo cáo đã duyệt thì không gia hạn) (wrong status)."
		case errors.Is(err, ErrInvalid):
			msg = "Cần ghi lý do (không quá 2000 ký tự); ngày gia hạn phải là một ngày sắp tới, không quá 90 ngày (invalid reason or date)."
		case errors.Is(err, ErrLocked):
			msg = "Báo cáo đã khóa (locked)."
		case errors.Is(err, ErrNotReporting), errors.Is(err, ErrFuture), errors.Is(err, ErrPeriod), errors.Is(err, ErrNotFound):
			h.serviceError(w, r, t, err)
			return
		default:
			h.internal(w, r, err)
			return
		}
		cur, rerr := h.svc.Report(r.Context(), t.Dataset.Key, t.Unit, t.Period)
		if rerr != nil {
			h.internal(w, r, rerr)
			return
		}
		v := h.formView(r, t, cur)
		v.ActionError = msg
		if refill != nil {
			refill(&v)
		}
		status := http.StatusConflict
		if errors.Is(err, ErrInvalid) {
			status = http.StatusUnprocessableEntity
		}
		h.renderForm(w, r, status, v)
		return
	}
	h.auditOf(r, action, t)
	http.Redirect(w, r, withDataset(PageURL(t.Unit, t.Period.Key), t.Dataset.Key, url.Values{"ok": {flash}}), http.StatusSeeOther)
}

// The roll-up and its print.

type rollupView struct {
	DatasetName, UnitName, UnitID string
	PeriodLabel, PeriodDates      string
	AtText                        string
	URL, RollupURL                string
	R                             Rollup
	All, CanAll                   bool
	PercentText, OnTimeText       string
	Totals                        []totalRow
	ChildColumns                  []string
	Children                      []childView
	Missing                       []missingView
	MissingMore                   int
	Texts                         []textGroup
	CompletionChart, TrendChart   template.HTML
	ChartCut                      bool
	MaxBars                       int
	TrendCount                    int
	Periods                       []periodChoice
	Exports                       []exportLink
	Error                         string
}

type totalRow struct{ Key, Label, Value string }

type childView struct {
	ID, Name, URL           string
	Reported, Expected      int
	PercentText, OnTimeText string
	Low                     bool
	Values                  []string
}

type missingView struct {
	ID, Name, URL string
	Contacts      []org.Contact
}

type textGroup struct {
	Key, Label string
	Entries    []TextEntry
	More       int
}

type periodChoice struct {
	Key, Label string
	Current    bool
}

type exportLink struct{ Label, URL, ID string }

// rollupTarget reads a roll-up request: the unit, period and data set of
// the path, org=all, a period chosen in the page's form (ky=), and
// checks report.read; false when it answered the request itself.
func (h *pageHandler) rollupTarget(w http.ResponseWriter, r *http.Request, suffix string) (target, bool, bool) {
	t, ok := h.readTarget(w, r)
	if !ok {
		return t, false, false
	}
	q := r.URL.Query()
	all := q.Get("org") == "all" && t.Unit.Org == org.MTTQ
	if ky := q.Get("ky"); ky != "" && ky != t.Period.Key {
		if p, err := ParsePeriod(t.Dataset.PeriodType, ky); err == nil {
			extra := url.Values{}
			if all {
				extra.Set("org", "all")
			}
			http.Redirect(w, r, withDataset(PageURL(t.Unit, p.Key)+suffix, t.Dataset.Key, extra), http.StatusSeeOther)
			return t, false, false
		}
	}
	if err := h.authorize(r, ActionRead, t.Unit.String()); err != nil {
		h.refuse(w, r, err, "xem báo cáo tổng hợp của "+t.Name)
		return t, false, false
	}
	if cur := CurrentPeriod(t.Dataset.PeriodType, h.svc.Now()); t.Period.Start.After(cur.Start) {
		h.serviceError(w, r, t, ErrFuture)
		return t, false, false
	}
	return t, all, true
}

// rollupView computes what the roll-up and print pages show: the
// roll-up with its missing units (up to missing), the completion table
// and the texts.
func (h *pageHandler) buildRollup(r *http.Request, t target, all bool, missing, texts int) (rollupView, error) {
	ctx := r.Context()
	d, p, u := t.Dataset, t.Period, t.Unit
	base := PageURL(u, p.Key)
	extra := url.Values{}
	if all {
		extra.Set("org", "all")
	}
	v := rollupView{DatasetName: d.Name, UnitName: t.Name, UnitID: u.String(), PeriodLabel: PeriodLabel(p),
		PeriodDates: periodDates(p), URL: withDataset(base+"/tong-hop", d.Key, nil),
		RollupURL: withDataset(base+"/tong-hop", d.Key, extra), All: all, CanAll: u.Org == org.MTTQ, MaxBars: maxBars}
	ru, err := h.svc.Rollup(ctx, d.Key, u, all, p, missing)
	if err != nil {
		return v, err
	}
	v.R = ru
	v.AtText = vnTime(ru.At)
	v.PercentText, v.OnTimeText = percentText(ru.Percent), percentText(ru.OnTimePercent)
	if ru.Expected == 0 {
		v.PercentText, v.OnTimeText = "—", "—"
	}
	var numeric []Field
	for _, f := range d.Fields {
		if f.Type.Numeric() {
			numeric = append(numeric, f)
			v.Totals = append(v.Totals, totalRow{Key: f.Key, Label: f.Label, Value: vnDecimal(ru.Totals[f.Key], 2)})
			v.ChildColumns = append(v.ChildColumns, f.Label)
		}
	}
	children, err := h.svc.Children(ctx, d.Key, u, all, p)
	if err != nil {
		return v, err
	}
	var bars []barItem
	for _, c := range children {
		if c.Expected == 0 && c.Reported == 0 && c.Extra == 0 {
			continue
		}
		cu := u
		cu.Territory = c.Territory
		// Every row is of the same organisation: the territory names it.
		name := strings.TrimPrefix(c.Name, u.Org.ShortName()+" ")
		cv := childView{ID: c.Territory, Name: name, Reported: c.Reported, Expected: c.Expected,
			PercentText: percentText(c.Percent), OnTimeText: percentText(c.OnTimePercent), Low: c.Expected > 0 && c.Percent < lowPercent}
		if c.Expected == 0 {
			cv.PercentText, cv.OnTimeText = "—", "—"
		}
		// A unit that files the data set leads to its report, which the
		// upper level approves there; one above leads to its roll-up.
		switch {
		case !all && d.Reports(cu):
			cv.URL = withDataset(PageURL(cu, p.Key), d.Key, nil)
		case c.Level != org.Village:
			cv.URL = withDataset(PageURL(cu, p.Key)+"/tong-hop", d.Key, extra)
		}
		for _, f := range numeric {
			cv.Values = append(cv.Values, vnDecimal(c.Totals[f.Key], 2))
		}
		v.Children = append(v.Children, cv)
		if c.Expected > 0 {
			bars = append(bars, barItem{Label: name, Percent: c.Percent})
		}
	}
	for _, m := range ru.MissingUnits {
		mv := missingView{ID: m.ID, Name: m.Name}
		if mu, err := org.ParseUnit(m.ID); err == nil {
			mv.URL = withDataset(PageURL(mu, p.Key), d.Key, nil)
		}
		v.Missing = append(v.Missing, mv)
	}
	v.MissingMore = ru.MissingCount - len(v.Missing)
	if h.contacts != nil && len(v.Missing) > 0 && h.can(r, ActionStaffRead, u, false) {
		units := make([]org.Unit, 0, len(v.Missing))
		for _, m := range v.Missing {
			if mu, err := org.ParseUnit(m.ID); err == nil {
				units = append(units, mu)
			}
		}
		if cs, err := h.contacts(ctx, units); err != nil {
			h.log.WarnContext(ctx, "report: contacts of missing units", "err", err)
		} else {
			for i, m := range v.Missing {
				if mu, err := org.ParseUnit(m.ID); err == nil {
					if c, ok := cs[mu]; ok {
						v.Missing[i].Contacts = []org.Contact{c}
					}
				}
			}
		}
	}
	for _, f := range d.Fields {
		entries := ru.Texts[f.Key]
		if f.Type != Text || len(entries) == 0 {
			continue
		}
		g := textGroup{Key: f.Key, Label: f.Label, Entries: entries}
		if texts > 0 && len(entries) > texts {
			g.Entries, g.More = entries[:texts], len(entries)-texts
		}
		v.Texts = append(v.Texts, g)
	}
	if v.CompletionChart, v.ChartCut, err = completionChart(bars); err != nil {
		h.log.ErrorContext(ctx, "report: completion chart", "err", err)
	}
	return v, nil
}

func (h *pageHandler) rollup(w http.ResponseWriter, r *http.Request) {
	t, all, ok := h.rollupTarget(w, r, "/tong-hop")
	if !ok {
		return
	}
	v, err := h.buildRollup(r, t, all, pageMissing, pageTexts)
	if err != nil {
		h.serviceError(w, r, t, err)
		return
	}
	ctx := r.Context()
	if trend, err := h.svc.Trend(ctx, t.Dataset.Key, t.Unit, all, t.Period, trendPeriods); err != nil {
		h.log.ErrorContext(ctx, "report: trend", "err", err)
	} else {
		pts := make([]trendPoint, len(trend))
		for i, tr := range trend {
			label := tr.Period
			if tp, err := ParsePeriod(t.Dataset.PeriodType, tr.Period); err == nil {
				label = shortPeriod(tp)
			}
			pts[i] = trendPoint{Label: label, Percent: tr.Percent, OnTime: tr.OnTimePercent}
		}
		v.TrendCount = len(pts)
		if v.TrendChart, err = trendChart(pts); err != nil {
			h.log.ErrorContext(ctx, "report: trend chart", "err", err)
		}
	}
	cur := CurrentPeriod(t.Dataset.PeriodType, h.svc.Now())
	for p, i := cur, 0; i < 12; p, i = p.Prev(), i+1 {
		v.Periods = append(v.Periods, periodChoice{Key: p.Key, Label: PeriodLabel(p), Current: p.Key == t.Period.Key})
	}
	if !slices.ContainsFunc(v.Periods, func(c periodChoice) bool { return c.Current }) {
		v.Periods = append(v.Periods, periodChoice{Key: t.Period.Key, Label: PeriodLabel(t.Period), Current: true})
	}
	api := "/api/v1/org/units/" + url.PathEscape(t.Unit.Territory) + "/" + url.PathEscape(string(t.Unit.Org)) + "/rollup"
	q := url.Values{"period": {t.Period.Key}}
	if t.Dataset.Key != defaultDataset {
		q.Set("dataset", t.Dataset.Key)
	}
	if all {
		q.Set("org", "all")
	}
	for _, f := range []struct{ label, format, id string }{
		{"Excel (.xlsx): số liệu, theo đơn vị, đơn vị chưa báo cáo, nội dung", "xlsx", "tai-xlsx"},
		{"CSV: cùng các bảng, nối tiếp nhau", "csv", "tai-csv"},
	} {
		fq := url.Values{}
		for k, vs := range q {
			fq[k] = vs
		}
		fq.Set("format", f.format)
		v.Exports = append(v.Exports, exportLink{Label: f.label, URL: api + "?" + fq.Encode(), ID: f.id})
	}
	v.Exports = append(v.Exports,
		exportLink{Label: "JSON (API)", URL: api + "?" + q.Encode()},
		exportLink{Label: "Bản in khổ A4 (báo cáo hành chính)", URL: withDataset(PageURL(t.Unit, t.Period.Key)+"/in", t.Dataset.Key, extraAll(all)), ID: "ban-in"})
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "bao_cao_tong_hop", v)
}

func extraAll(all bool) url.Values {
	if all {
		return url.Values{"org": {"all"}}
	}
	return nil
}

// shortPeriod labels a period on a chart's axis: "T47", "11/26", "Q4/26".
func shortPeriod(p Period) string {
	y, rest, _ := strings.Cut(p.Key, "-")
	switch p.Type {
	case Monthly:
		return rest + "/" + y[2:]
	case Quarterly:
		return rest + "/" + y[2:]
	}
	return "T" + strings.TrimPrefix(rest, "W")
}

// printView is the print page: the roll-up laid out as a Vietnamese
// administrative report.
type printView struct {
	rollupView
	Title, Subtitle    string
	Parent, Issuer     string
	OrgCode            string
	PlaceDate          string
	Recipient, SignFor string
	TextNumbers        []string
	MissingNumber      string
}

var romanNumerals = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

func (h *pageHandler) print(w http.ResponseWriter, r *http.Request) {
	t, all, ok := h.rollupTarget(w, r, "/in")
	if !ok {
		return
	}
	rv, err := h.buildRollup(r, t, all, printMissing, 0)
	if err != nil {
		h.serviceError(w, r, t, err)
		return
	}
	rv.CompletionChart = ""
	v := printView{rollupView: rv, OrgCode: string(t.Unit.Org)}
	v.Title = strings.ToUpper(PeriodLabel(t.Period))
	v.Title = "BÁO CÁO " + v.Title
	who := t.Name
	if all {
		who += " và các tổ chức chính trị - xã hội"
	}
	v.Subtitle = fmt.Sprintf("Kết quả công tác %s (từ ngày %s đến ngày %s) của %s", strings.ToLower(PeriodLabel(t.Period)),
		t.Period.Start.In(Vietnam).Format("02/01/2006"), t.Period.LastDay().In(Vietnam).Format("02/01/2006"), who)
	v.Parent, v.Issuer, v.SignFor = documentHead(t.Terr, t.Unit.Org)
	place := t.Terr.ShortName
	if t.Terr.Level == org.Central || place == "" {
		place = "Hà Nội"
	}
	now := h.svc.Now().In(Vietnam)
	v.PlaceDate = fmt.Sprintf("%s, ngày %02d tháng %02d năm %d", place, now.Day(), int(now.Month()), now.Year())
	v.Recipient = "Cấp trên trực tiếp (để báo cáo)"
	if t.Terr.ParentCode != "" {
		if pt, err := h.svc.Tree().Territory(r.Context(), t.Terr.ParentCode); err == nil {
			v.Recipient = org.UnitName(pt, t.Unit.Org) + " (để báo cáo)"
		}
	}
	n := 3
	if len(v.Children) > 0 {
		n = 4
	}
	for range v.Texts {
		v.TextNumbers = append(v.TextNumbers, romanNumerals[min(n-1, len(romanNumerals)-1)])
		n++
	}
	v.MissingNumber = romanNumerals[min(n-1, len(romanNumerals)-1)]
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "bao_cao_in", v)
}

// documentHead is the left of a document's header — the organisation
// above and the issuing committee — and whom the signature is for.
func documentHead(t org.Territory, o org.Org) (parent, issuer, signFor string) {
	parent = strings.ToUpper(o.Name())
	if o == org.MTTQ {
		signFor = "TM. BAN THƯỜNG TRỰC"
		if t.Level == org.Central {
			return parent, "ỦY BAN TRUNG ƯƠNG", signFor
		}
		return parent, "ỦY BAN MTTQ VIỆT NAM " + strings.ToUpper(t.Name), signFor
	}
	signFor = "TM. BAN CHẤP HÀNH"
	if t.Level == org.Central {
		return parent, "BAN CHẤP HÀNH TRUNG ƯƠNG", signFor
	}
	return parent, "BAN CHẤP HÀNH " + strings.ToUpper(o.ShortName()+" "+t.Name), signFor
}
