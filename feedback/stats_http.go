package feedback

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
)

// The statistics routes (report.read on the unit; see stats.go for what
// each figure counts):
//
//	GET /api/v1/feedback/stats?unit=&from=&to=                 the figures as JSON (Figures)
//	GET /api/v1/feedback/stats/export.csv?unit=&from=&to=&table=  one table as CSV (UTF-8 with BOM)
//	GET /api/v1/feedback/stats/export.xlsx?unit=&from=&to=     every table, a sheet each
//	GET /quan-tri/phan-anh/thong-ke?unit=&from=&to=            the page, with charts drawn on the server
//
// unit is a unit id (79/MTTQ), by default the first unit at which the
// user may read reports; from and to are days (2026-01-05), by default
// the last DefaultWeeks weeks; to is at most MaxPeriodYears years after
// from. Refusals name the parameter: 400 invalid_unit, unknown_unit,
// invalid_date, invalid_period, period_too_long, invalid_table; 401
// unauthenticated; 403 forbidden.

// StatsAccess decides who may read which unit's statistics; auth.Check
// satisfies it. Authorize returns nil to allow action on unit, or an
// error with a method HTTPStatus() int returning 401 (nobody signed in) or
// 403 (not allowed); Scopes returns the units at which the sender may do
// action, and everything below them, or such a 401 error.
type StatsAccess interface {
	Authorize(r *http.Request, action, unit string) error
	Scopes(r *http.Request, action string) ([]string, error)
}

// noAccess refuses everything: without an Access there is no back door.
type noAccess struct{}

var errNoAccess = refusalError{status: http.StatusUnauthorized, msg: "feedback: statistics: no access control configured"}

func (noAccess) Authorize(*http.Request, string, string) error  { return errNoAccess }
func (noAccess) Scopes(*http.Request, string) ([]string, error) { return nil, errNoAccess }

type refusalError struct {
	status int
	msg    string
}

func (e refusalError) Error() string   { return e.msg }
func (e refusalError) HTTPStatus() int { return e.status }

// StatsPage is the path of the statistics page.
const StatsPage = "/quan-tri/phan-anh/thong-ke"

// loginURL is the site's sign-on, which sends the browser back to ?next=.
const loginURL = "/auth/login"

// maxUnitParam bounds the unit parameter quoted back in a refusal.
const maxUnitParam = 64

// Register adds the statistics routes to r; the page renders through
// pages, and without pages only the JSON API and the exports are served.
// The page's style sheet is served by the Service's pages
// (/phan-anh/tep/stats.css).
func (s *Stats) Register(r Router, pages Pages) {
	s.pages = pages
	r.Handle(http.MethodGet, "/api/v1/feedback/stats", http.HandlerFunc(s.apiFigures))
	r.Handle(http.MethodGet, "/api/v1/feedback/stats/export.csv", http.HandlerFunc(s.exportCSV))
	r.Handle(http.MethodGet, "/api/v1/feedback/stats/export.xlsx", http.HandlerFunc(s.exportXLSX))
	if pages != nil {
		r.Handle(http.MethodGet, StatsPage, http.HandlerFunc(s.page))
	}
}

// statsRequest is a request for statistics, checked: the unit, the
// period and what the form showed.
type statsRequest struct {
	Unit   string
	Period Period
	// Scopes are the units at which the sender may read reports.
	Scopes []string
	// Raw are the parameters as given, for the form.
	RawUnit, RawFrom, RawTo string
}

// read checks who asks and what: the sender must be signed in and may
// read the unit's reports; the unit must exist; the period must be one.
// A refusal is an *api.Error naming the parameter; any other error is a
// failure of the check.
func (s *Stats) read(r *http.Request) (statsRequest, error) {
	q := r.URL.Query()
	req := statsRequest{RawUnit: strings.TrimSpace(q.Get("unit")), RawFrom: strings.TrimSpace(q.Get("from")),
		RawTo: strings.TrimSpace(q.Get("to"))}
	scopes, err := s.access.Scopes(r, statsAction)
	if err != nil {
		return req, s.refusal(r, err, "")
	}
	req.Scopes = scopes
	p, e := parsePeriod(req.RawFrom, req.RawTo, s.now())
	if e != nil {
		return req, e
	}
	req.Period = p
	req.Unit = req.RawUnit
	if req.Unit == "" {
		if len(scopes) == 0 {
			return req, &api.Error{Status: http.StatusForbidden, Code: "forbidden", Field: "unit",
				Message: "Tài khoản của bạn chưa được phân quyền xem báo cáo, thống kê ở đơn vị nào (no unit whose statistics you may read)."}
		}
		req.Unit = scopes[0]
	}
	shown := req.Unit
	if utf8.RuneCountInString(shown) > maxUnitParam {
		shown = string([]rune(shown)[:maxUnitParam]) + "…"
	}
	u, err := org.ParseUnit(req.Unit)
	if err != nil {
		return req, api.BadRequest("invalid_unit", "unit", fmt.Sprintf(
			"Mã đơn vị %q không hợp lệ: cần dạng ĐỊA_BÀN/TỔ_CHỨC, ví dụ 79/MTTQ (unit must be TERRITORY/ORG, e.g. 79/MTTQ).", shown))
	}
	req.Unit = u.String()
	if _, err := s.subtree(r.Context(), req.Unit); errors.Is(err, ErrUnknownUnit) {
		return req, api.BadRequest("unknown_unit", "unit", fmt.Sprintf("Không có đơn vị %s (unit %s does not exist).", shown, shown))
	} else if err != nil {
		return req, err
	}
	if err := s.access.Authorize(r, statsAction, req.Unit); err != nil {
		return req, s.refusal(r, err, req.Unit)
	}
	return req, nil
}

// refusal turns an Access error into the answer: 401 or 403 naming the
// unit, or else the error itself: a failure of the check.
func (s *Stats) refusal(r *http.Request, err error, unit string) error {
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) {
		switch hs.HTTPStatus() {
		case http.StatusUnauthorized:
			return &api.Error{Status: http.StatusUnauthorized, Code: "unauthenticated",
				Message: "Cần đăng nhập để xem thống kê phản ánh (sign in to read the statistics)."}
		case http.StatusForbidden:
			return &api.Error{Status: http.StatusForbidden, Code: "forbidden", Field: "unit", Message: fmt.Sprintf(
				"Tài khoản của bạn không được xem thống kê của đơn vị %s; chỉ xem được các đơn vị mình được phân quyền và cấp dưới (you may not read the statistics of unit %s).",
				unit, unit)}
		}
	}
	return err
}

// parsePeriod reads from and to (YYYY-MM-DD, days in Vietnam): by default
// to is today and from the Monday DefaultWeeks-1 weeks before to's week.
func parsePeriod(from, to string, now time.Time) (Period, *api.Error) {
	p := DefaultPeriod(now)
	day := func(field, s, vi string) (time.Time, *api.Error) {
		t, err := time.ParseInLocation(time.DateOnly, s, Vietnam)
		if err != nil || len(s) != len(time.DateOnly) {
			if len(s) > 20 {
				s = s[:20] + "…"
			}
			return t, api.BadRequest("invalid_date", field, fmt.Sprintf(
				"%s %q không phải một ngày dạng YYYY-MM-DD, ví dụ 2026-01-05 (%s must be a date as YYYY-MM-DD).", vi, s, field))
		}
		return t, nil
	}
	if to != "" {
		t, e := day("to", to, "Ngày kết thúc (to)")
		if e != nil {
			return p, e
		}
		p.To = t
		p.From = weekStart(t).AddDate(0, 0, -7*(DefaultWeeks-1))
	}
	if from != "" {
		f, e := day("from", from, "Ngày bắt đầu (from)")
		if e != nil {
			return p, e
		}
		p.From = f
	}
	if p.From.After(p.To) {
		return p, api.BadRequest("invalid_period", "from", fmt.Sprintf(
			"Ngày bắt đầu %s sau ngày kết thúc %s (from is after to).", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)))
	}
	if p.To.After(p.From.AddDate(MaxPeriodYears, 0, 0)) {
		return p, api.BadRequest("period_too_long", "to", fmt.Sprintf(
			"Khoảng thời gian từ %s đến %s dài quá %d năm; hãy chọn khoảng ngắn hơn (the period is longer than %d years).",
			p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), MaxPeriodYears, MaxPeriodYears))
	}
	return p, nil
}

func (s *Stats) apiFigures(w http.ResponseWriter, r *http.Request) {
	f, ok := s.figuresFor(w, r)
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, f)
}

// figuresFor reads the request and computes its figures, answering the
// refusal or failure itself.
func (s *Stats) figuresFor(w http.ResponseWriter, r *http.Request) (Figures, bool) {
	req, err := s.read(r)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return Figures{}, false
	}
	f, err := s.Figures(r.Context(), req.Unit, req.Period)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return Figures{}, false
	}
	return f, true
}

// The page.

// MaxAreaRows bounds the communes the page's commune × topic table shows,
// the most items first; the exports hold them all.
const MaxAreaRows = 150

type statsView struct {
	Error, Field string
	Unit         string
	From, To     string
	Units        []UnitRef
	F            *Figures
	Topics       []TopicCount // with items, the most first
	AreaRows     []AreaRow
	AreaMore     int
	WeeklyChart  template.HTML
	TopicChart   template.HTML
	Exports      []exportLink
	// CanDrill: the sender reads feedback somewhere, so the links to the
	// items are worth showing (the queue checks the unit).
	CanDrill bool
	Query    string // unit, from and to, for the links
}

type exportLink struct{ Label, URL string }

func (s *Stats) page(w http.ResponseWriter, r *http.Request) {
	req, err := s.read(r)
	v := statsView{Unit: req.RawUnit, From: req.RawFrom, To: req.RawTo}
	if err == nil {
		v.Unit, v.From, v.To = req.Unit, req.Period.From.Format(time.DateOnly), req.Period.To.Format(time.DateOnly)
	}
	v.Units = s.unitChoices(r, req.Scopes, v.Unit)
	var e *api.Error
	switch {
	case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, loginURL+"?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
		return
	case e != nil:
		v.Error, v.Field = e.Message, e.Field
		s.renderStats(w, r, e.Status, v)
		return
	case err != nil:
		if r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "feedback: statistics page", "err", err)
		}
		v.Error = api.Internal
		s.renderStats(w, r, http.StatusInternalServerError, v)
		return
	}
	f, err := s.Figures(r.Context(), req.Unit, req.Period)
	if err != nil {
		if r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "feedback: statistics page", "err", err)
		}
		v.Error = api.Internal
		s.renderStats(w, r, http.StatusInternalServerError, v)
		return
	}
	v.F = &f
	for _, t := range f.ByTopic {
		if t.Count > 0 {
			v.Topics = append(v.Topics, t)
		}
	}
	slices.SortStableFunc(v.Topics, func(a, b TopicCount) int { return b.Count - a.Count })
	v.AreaRows = f.Areas.Rows
	if len(v.AreaRows) > MaxAreaRows {
		v.AreaMore = len(v.AreaRows) - MaxAreaRows
		v.AreaRows = v.AreaRows[:MaxAreaRows]
	}
	if v.WeeklyChart, err = weeklyChart(f.Weeks); err != nil {
		s.log.ErrorContext(r.Context(), "feedback: weekly chart", "err", err)
	}
	if v.TopicChart, err = topicChart(v.Topics); err != nil {
		s.log.ErrorContext(r.Context(), "feedback: topic chart", "err", err)
	}
	q := url.Values{"unit": {v.Unit}, "from": {v.From}, "to": {v.To}}
	v.Query = q.Encode()
	v.Exports = append(v.Exports, exportLink{"Excel (.xlsx), mọi bảng", "/api/v1/feedback/stats/export.xlsx?" + v.Query})
	for _, t := range exportTables {
		q.Set("table", t.key)
		v.Exports = append(v.Exports, exportLink{"CSV: " + t.label, "/api/v1/feedback/stats/export.csv?" + q.Encode()})
	}
	if drill, err := s.access.Scopes(r, itemsAction); err == nil && len(drill) > 0 {
		v.CanDrill = true
	}
	s.renderStats(w, r, http.StatusOK, v)
}

// unitChoices are the units the form offers: those at which the sender
// may read reports, and the one shown.
func (s *Stats) unitChoices(r *http.Request, scopes []string, shown string) []UnitRef {
	ids := slices.Clone(scopes)
	if shown != "" && !slices.Contains(ids, shown) {
		if _, err := org.ParseUnit(shown); err == nil {
			ids = append(ids, shown)
		}
	}
	out := make([]UnitRef, 0, len(ids))
	for _, id := range ids {
		ref := UnitRef{ID: id, Name: id}
		if sub, err := s.subtree(r.Context(), id); err == nil {
			ref.Name = org.UnitName(sub.terr, sub.unit.Org) + " (" + id + ")"
		}
		out = append(out, ref)
	}
	return out
}

func (s *Stats) renderStats(w http.ResponseWriter, r *http.Request, status int, v statsView) {
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, r, status, "stats_thong_ke", v)
}

// What the page shows of the figures: Vietnamese numbers (a decimal
// comma) and "—" for a figure that has no value.

// RateText is the on-time rate as a percentage, "—" when nothing was due
// and decided.
func (t Tally) RateText() string {
	if t.OnTimeRate == nil {
		return "—"
	}
	return vnDecimal(*t.OnTimeRate*100, 1) + " %"
}

// MedianText is the median time to answer in working days, "—" when
// nothing was answered.
func (t Tally) MedianText() string {
	if t.MedianDays == nil {
		return "—"
	}
	return vnDecimal(*t.MedianDays, 1)
}

// Hint says what the margins predict for a cell.
func (c AreaCell) Hint() string {
	return "dự kiến " + vnDecimal(c.Expected, 1) + ", gấp " + vnDecimal(c.Ratio, 1) + " lần"
}

// StatsURL is the page of a unit's statistics over the same period.
func (f *Figures) StatsURL(unit string) string {
	return StatsPage + "?" + url.Values{"unit": {unit}, "from": {f.From}, "to": {f.To}}.Encode()
}

// WeekLabel is a week's Monday as dd/mm/yyyy.
func (w WeekTally) WeekLabel() string {
	t, err := time.Parse(time.DateOnly, w.Start)
	if err != nil {
		return w.Start
	}
	return t.Format("02/01/2006")
}

// vnDecimal writes x with at most n decimals and a decimal comma,
// dropping a fraction of zeros: 85,7; 3; 0,5.
func vnDecimal(x float64, n int) string {
	s := strconv.FormatFloat(x, 'f', n, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return strings.Replace(s, ".", ",", 1)
}

// RatioText is how many times the expected count a low spot holds.
func (l LowSpot) RatioText() string { return vnDecimal(l.Ratio, 1) }
