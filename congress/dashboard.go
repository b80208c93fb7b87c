package congress

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/org"
)

// The public dashboard: the progress of a term nationally (/dai-hoi) or in
// a province (/dai-hoi/79), drawn on the server — counts, charts, today's
// and the week's congresses, the latest results, the table of provinces
// or of the province's communes — and kept current in the browser by
// static/live.js, which follows the event stream and, when it fails,
// polls the snapshot. Without JavaScript it is a page like any other.

// DashboardPath is the dashboard of the current term.
const DashboardPath = "/dai-hoi"

// DashboardURL is the dashboard of a province ("" for the nation) in
// term; the current term's has no term in it.
func (s *Service) DashboardURL(term, province string) string {
	if term != s.store.Terms()[0] {
		return DashboardPath + "/" + url.PathEscape(term) + provinceQuery(province)
	}
	if province == "" {
		return DashboardPath
	}
	return DashboardPath + "/" + url.PathEscape(province)
}

func provinceQuery(p string) string {
	if p == "" {
		return ""
	}
	return "?province=" + url.QueryEscape(p)
}

// dashboardView is the data of the "dashboard" template.
type dashboardView struct {
	Snap          *Snapshot
	Title         string
	Current       bool // the current term
	EventsURL     string
	SnapshotURL   string
	NationalURL   string
	StatusChart   template.HTML
	TimelineChart template.HTML
	// Staff: the sender reads reports of the scope, and sees who wrote
	// each congress and the links to the entry form.
	Staff     bool
	WrittenBy map[string]string // territory → who last wrote it, for staff
	Terms     []string
}

// scopeOf reads a dashboard path: the term and the province ("" for the
// nation). ok is false for a segment that is neither a term served nor a
// province code.
func (s *Service) scopeOf(r *http.Request) (term, province string, ok bool) {
	terms := s.store.Terms()
	term = terms[0]
	seg := r.PathValue("term")
	switch {
	case seg == "":
	case slices.Contains(terms, seg):
		term = seg
		province = provinceParam(r)
	default:
		if l, err := org.LevelOf(seg); err != nil || l != org.Province {
			return term, "", false
		}
		province = seg
	}
	return term, province, true
}

func (s *Service) dashboard(w http.ResponseWriter, r *http.Request) {
	term, province, ok := s.scopeOf(r)
	if !ok {
		s.refusePage(w, r, http.StatusNotFound, "Không có trang này: sau /dai-hoi/ là mã tỉnh, thành phố (ví dụ /dai-hoi/79) hoặc một nhiệm kỳ (no such page).")
		return
	}
	c, err := s.current(r.Context(), term, province)
	if err != nil {
		status, msg := pageError(err)
		if status == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "congress: dashboard", "path", r.URL.Path, "err", err)
		}
		if errors.Is(err, ErrInvalid) {
			status = http.StatusNotFound
		}
		s.refusePage(w, r, status, msg)
		return
	}
	snap := c.snap
	v := dashboardView{Snap: snap, Current: term == s.store.Terms()[0], Terms: s.store.Terms(),
		EventsURL:   "/api/v1/congress/" + url.PathEscape(term) + "/events",
		SnapshotURL: "/api/v1/congress/" + url.PathEscape(term) + "/snapshot" + provinceQuery(province),
		NationalURL: s.DashboardURL(term, ""),
		Staff:       s.staff(r, province)}
	v.Title = "Đại hội Mặt trận Tổ quốc các cấp nhiệm kỳ " + term
	if province != "" {
		v.Title = "Đại hội Mặt trận Tổ quốc " + snap.ProvinceName + " nhiệm kỳ " + term
	}
	if v.StatusChart, err = statusChart(snap.Summary); err != nil {
		s.log.ErrorContext(r.Context(), "congress: status chart", "err", err)
	}
	if v.TimelineChart, err = timelineChart(snap.Timeline); err != nil {
		s.log.ErrorContext(r.Context(), "congress: timeline chart", "err", err)
	}
	if v.Staff && province != "" {
		// Who wrote each congress: for staff only, never in the shared
		// snapshot.
		if list, err := s.store.List(r.Context(), term, Filter{Province: province}); err == nil {
			v.WrittenBy = map[string]string{}
			for _, c := range list {
				if c.UpdatedBy != "" {
					v.WrittenBy[c.Territory] = c.UpdatedBy
				}
			}
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	s.pages.Render(w, r, http.StatusOK, "dashboard", v)
}

// scoper lists the units at which the sender may do an action;
// auth.Check is one.
type scoper interface {
	Scopes(r *http.Request, action string) ([]string, error)
}

// staff reports whether the sender reads reports in the dashboard's
// scope. Someone who reads them nowhere is not asked about the scope, so
// that the public's visits leave no refusals in the audit log.
func (s *Service) staff(r *http.Request, province string) bool {
	if s.authz == nil {
		return false
	}
	if sc, ok := s.authz.(scoper); ok {
		if units, err := sc.Scopes(r, ActionRead); err != nil || len(units) == 0 {
			return false
		}
	}
	unit := org.UnitOf(cmpOr(province, org.CentralCode), org.MTTQ).String()
	return s.authz.Authorize(r, ActionRead, unit) == nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Template helpers of the dashboard.

// StatusClass is the CSS modifier of a status.
func (s Status) StatusClass() string { return "dh-status--" + string(s) }

// PercentText is the share held with a decimal comma: "12,5 %".
func (s Summary) PercentText() string {
	return strings.Replace(strconv.FormatFloat(s.PercentHeld, 'f', -1, 64), ".", ",", 1) + " %"
}

// DateText is a congress's expected day as dd/mm/yyyy, "" when unknown.
func (c Congress) DateText() string {
	d := c.Date()
	if len(d) != len(dateLayout) {
		return ""
	}
	return d[8:10] + "/" + d[5:7] + "/" + d[0:4]
}

// DateText is the snapshot's day as dd/mm/yyyy.
func (s *Snapshot) DateText() string { return DayCount{Date: s.Date}.DayText() }

// DayText is a timeline day as dd/mm/yyyy.
func (d DayCount) DayText() string {
	if len(d.Date) != len(dateLayout) {
		return d.Date
	}
	return d.Date[8:10] + "/" + d.Date[5:7] + "/" + d.Date[0:4]
}
