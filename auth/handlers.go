package auth

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
)

// Templates are auth's pages, for web to parse with the layout: staff
// (the staff home), audit, setup, login_failed, logout, logged_out and
// problem.
var Templates fs.FS = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

//go:embed templates/*.html
var templateFiles embed.FS

// TemplateFuncs are the functions auth's templates use.
var TemplateFuncs = template.FuncMap{
	"vntime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(vietnam).Format("15:04 02/01/2006")
	},
}

// vietnam is the time zone the pages show times in (UTC+7, no DST).
var vietnam = time.FixedZone("ICT", 7*3600)

// Register adds auth's routes to r; pages renders its templates.
//
//	GET  /auth/login?next=/path   start a sign-on (rate limited)
//	GET  /auth/callback           the provider's return (rate limited)
//	GET  /auth/logout             a page with the logout button
//	POST /auth/logout             end the session
//	GET  /can-bo                  the staff home
//	GET  /can-bo/nhat-ky          the audit log (audit.read)
//	GET  /api/v1/me               who am I
//	GET  /api/v1/auth/tokens      tokens the caller administers (auth.admin)
//	DELETE /api/v1/auth/tokens/{id}  revoke one (auth.admin)
//	GET  /api/v1/audit            the audit log, JSON or ?format=csv (audit.read)
func (s *Service) Register(r Router, pages Pages) {
	s.pages = pages
	r.Handle(http.MethodGet, "/auth/login", s.limiter.Wrap(http.HandlerFunc(s.login)))
	r.Handle(http.MethodGet, "/auth/callback", s.limiter.Wrap(http.HandlerFunc(s.callback)))
	r.Handle(http.MethodGet, "/auth/logout", http.HandlerFunc(s.logout))
	r.Handle(http.MethodPost, "/auth/logout", http.HandlerFunc(s.logout))
	r.Handle(http.MethodGet, "/can-bo", RequireUser(http.HandlerFunc(s.staffHome)))
	r.Handle(http.MethodGet, "/can-bo/nhat-ky", RequireUser(http.HandlerFunc(s.auditPage)))
	r.Handle(http.MethodGet, "/api/v1/me", RequireUser(http.HandlerFunc(s.apiMe)))
	r.Handle(http.MethodGet, "/api/v1/auth/tokens", RequireUser(http.HandlerFunc(s.apiTokens)))
	r.Handle(http.MethodDelete, "/api/v1/auth/tokens/{id}", RequireUser(http.HandlerFunc(s.apiRevokeToken)))
	r.Handle(http.MethodGet, "/api/v1/audit", RequireUser(http.HandlerFunc(s.apiAudit)))
}

// Me is the body of GET /api/v1/me.
type Me struct {
	Email string  `json:"email"`
	Name  string  `json:"name"`
	Roles []Grant `json:"roles"`
}

func (s *Service) apiMe(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	roles := id.Grants
	if roles == nil {
		roles = []Grant{}
	}
	writeJSON(w, http.StatusOK, Me{Email: id.User.Email, Name: id.User.Name, Roles: roles})
}

// TokenList is the body of GET /api/v1/auth/tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// apiTokens lists the tokens whose unit the caller administers.
func (s *Service) apiTokens(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	if err := s.authorizeSomewhere(r, id, AuthAdmin); err != nil {
		Fail(w, r, err)
		return
	}
	all, err := s.store.Tokens(r.Context())
	if err != nil {
		Fail(w, r, err)
		return
	}
	m := newCanMemo(r.Context(), id, AuthAdmin)
	out := TokenList{Tokens: []Token{}}
	for _, t := range all {
		ok, err := m.can(t.Unit)
		if err != nil {
			Fail(w, r, err)
			return
		}
		if ok {
			out.Tokens = append(out.Tokens, t)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	if err := s.authorizeSomewhere(r, id, AuthAdmin); err != nil {
		Fail(w, r, err)
		return
	}
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "id",
			fmt.Sprintf("Mã token không hợp lệ: cần một số nguyên dương, nhận được %q.", r.PathValue("id")))
		return
	}
	t, err := s.store.Token(r.Context(), n)
	if errors.Is(err, ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("Không có token số %d.", n))
		return
	}
	if err != nil {
		Fail(w, r, err)
		return
	}
	if err := Authorize(r, AuthAdmin, t.Unit); err != nil {
		Fail(w, r, err)
		return
	}
	t, err = s.store.RevokeToken(r.Context(), n)
	if err != nil {
		Fail(w, r, err)
		return
	}
	s.audit(r, id, Event{Action: EventTokenRevoke, Outcome: OutcomeOK, Unit: t.Unit, Target: "token " + itoa(t.ID) + " (" + t.Prefix + "…, " + t.Email + ")"})
	writeJSON(w, http.StatusOK, t)
}

// authorizeSomewhere refuses, and logs, a caller who holds action on no
// unit at all.
func (s *Service) authorizeSomewhere(r *http.Request, id *Identity, action Action) error {
	if len(Scopes(id, action)) > 0 {
		return nil
	}
	s.audit(r, id, Event{Action: EventDenied, Outcome: OutcomeDenied, Target: string(action), Reason: r.Method + " " + clip(r.URL.Path, 100)})
	return fmt.Errorf("auth: %s holds %s nowhere: %w", id.actor(), action, ErrForbidden)
}

// RootUnit contains every unit: the central committee of the Front.
// Audit events without a unit (sign-ons, refused credentials) are shown
// to those who may read the audit log there.
const RootUnit = "VN/MTTQ"

// canMemo answers Can for many units of one request, asking the tree once
// per unit.
type canMemo struct {
	ctx    context.Context
	id     *Identity
	action Action
	seen   map[string]bool
}

func newCanMemo(ctx context.Context, id *Identity, a Action) *canMemo {
	return &canMemo{ctx: ctx, id: id, action: a, seen: map[string]bool{}}
}

func (m *canMemo) can(unit string) (bool, error) {
	if unit == "" {
		unit = RootUnit
	}
	if ok, done := m.seen[unit]; done {
		return ok, nil
	}
	ok, err := Can(m.ctx, m.id, m.action, unit)
	if err != nil {
		// A unit the tree does not know (a retired record, a typo in an
		// old event) is simply not shown.
		slog.Default().WarnContext(m.ctx, "auth: check unit of a record", "unit", unit, "err", err)
		ok = false
	}
	m.seen[unit] = ok
	return ok, nil
}

// EventList is the JSON body of GET /api/v1/audit. Next, when set, is the
// value of "before" that reads on.
type EventList struct {
	Events []Event `json:"events"`
	Next   int64   `json:"next,omitempty"`
}

// visibleEvents reads the audit log that id may see: events on units
// where id holds audit.read, newest first, at most limit, from before.
// next is the "before" of the following page, 0 at the end.
func (s *Service) visibleEvents(ctx context.Context, id *Identity, before int64, action string, limit int) ([]Event, int64, error) {
	if err := s.flushRefusals(ctx); err != nil {
		// The reader still gets the log; the counts are lost, not the log.
		s.log.ErrorContext(ctx, "auth: audit log: write counted refusals", "err", err)
	}
	if err := s.indexBacklog(ctx); err != nil {
		return nil, 0, err
	}
	evs, err := s.store.EventsIn(ctx, Scopes(id, AuditRead), EventQuery{Before: before, Action: action, Limit: limit + 1})
	if err != nil {
		return nil, 0, err
	}
	switch {
	case len(evs) > limit:
		evs = evs[:limit]
	case len(evs) < limit || limit < MaxEvents:
		return evs, 0, nil
	}
	// A full page (of MaxEvents, the one more was not read) reads on
	// from its last event.
	return evs, evs[limit-1].ID, nil
}

// auditQuery reads the parameters of the audit log's API and page.
func auditQuery(r *http.Request, defLimit int) (before int64, action string, limit int, bad string) {
	q := r.URL.Query()
	limit = defLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxEvents {
			return 0, "", 0, fmt.Sprintf("Tham số limit không hợp lệ: cần một số nguyên từ 1 đến %d, nhận được %q.", MaxEvents, v)
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return 0, "", 0, fmt.Sprintf("Tham số before không hợp lệ: cần một số nguyên dương, nhận được %q.", v)
		}
		before = n
	}
	action = clip(strings.TrimSpace(q.Get("action")), 100)
	return before, action, limit, ""
}

// apiAudit answers GET /api/v1/audit?format=json|csv&limit=&before=&action=.
func (s *Service) apiAudit(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	if err := s.authorizeSomewhere(r, id, AuditRead); err != nil {
		Fail(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "format",
			fmt.Sprintf("Tham số format không hợp lệ: chỉ nhận \"json\" hoặc \"csv\", nhận được %q.", format))
		return
	}
	def := 100
	if format == "csv" {
		def = MaxEvents
	}
	before, action, limit, bad := auditQuery(r, def)
	if bad != "" {
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "", bad)
		return
	}
	evs, next, err := s.visibleEvents(r.Context(), id, before, action, limit)
	if err != nil {
		Fail(w, r, err)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="nhat-ky-`+s.now().In(vietnam).Format("20060102-1504")+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		if err := WriteCSV(w, evs); err != nil {
			s.log.ErrorContext(r.Context(), "auth: write audit CSV", "err", err)
		}
		return
	}
	if evs == nil {
		evs = []Event{}
	}
	writeJSON(w, http.StatusOK, EventList{Events: evs, Next: next})
}

// staffData is what the staff pages show.
type staffData struct {
	Name     string
	Email    string
	Method   Method
	Grants   []grantView
	CanAudit bool
	NoGrants bool
	Tools    []Tool // the staff pages the user may use
}

type grantView struct {
	Role      Role
	RoleLabel string
	Unit      string
	UnitName  string
}

// UnitNamer gives a unit's name for the staff home; org.Store satisfies
// it through a small adapter. Optional: without it units show as ids.
type UnitNamer interface {
	UnitName(ctx context.Context, unit string) (string, error)
}

func (s *Service) staffHome(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	d := staffData{Name: id.Name(), Email: id.User.Email, Method: id.Method,
		CanAudit: len(Scopes(id, AuditRead)) > 0, NoGrants: len(id.Grants) == 0}
	for _, t := range s.tools {
		if len(Scopes(id, t.Action)) > 0 {
			d.Tools = append(d.Tools, t)
		}
	}
	namer, _ := s.units.(UnitNamer)
	for _, g := range id.Grants {
		v := grantView{Role: g.Role, RoleLabel: g.Role.Label(), Unit: g.Unit}
		if namer != nil {
			if n, err := namer.UnitName(r.Context(), g.Unit); err == nil {
				v.UnitName = n
			}
		}
		d.Grants = append(d.Grants, v)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "staff", d)
}

type auditData struct {
	Events []Event
	Next   string // link to older events
	CSV    string // link to the CSV export
}

func (s *Service) auditPage(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	if err := s.authorizeSomewhere(r, id, AuditRead); err != nil {
		Fail(w, r, err)
		return
	}
	before, action, limit, bad := auditQuery(r, 100)
	if bad != "" {
		writeProblem(w, r, http.StatusBadRequest, "invalid_parameter", bad)
		return
	}
	evs, next, err := s.visibleEvents(r.Context(), id, before, action, limit)
	if err != nil {
		Fail(w, r, err)
		return
	}
	d := auditData{Events: evs, CSV: "/api/v1/audit?format=csv"}
	if action != "" {
		d.CSV += "&action=" + url.QueryEscape(action)
	}
	if next > 0 {
		v := url.Values{"before": {itoa(next)}}
		if action != "" {
			v.Set("action", action)
		}
		d.Next = "/can-bo/nhat-ky?" + v.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "audit", d)
}

// setupData is the page shown where sign-on would be, while it is not
// configured.
type setupData struct {
	Vars []setupVar
}

type setupVar struct{ Name, Example, Meaning string }

// renderSetup answers a sign-on asked while none is configured. A visitor
// who is not signed in — most often a citizen who followed "Đăng nhập cho
// cán bộ" — is told that staff sign-in is not open yet, without the
// operator's settings; someone signed in (a bearer token works without
// sign-on) gets the settings to make. The operator finds them in the log
// at start too.
func (s *Service) renderSetup(w http.ResponseWriter, r *http.Request) {
	if api.IsAPIPath(r.URL.Path) {
		api.WriteError(w, http.StatusServiceUnavailable, "sign_on_not_configured", "",
			"Chưa cấu hình đăng nhập một lần: đặt OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET và MATTRANSO_PUBLIC_URL.")
		return
	}
	if UserFrom(r) == nil {
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, r, http.StatusServiceUnavailable, "signin_closed", nil)
		return
	}
	s.render(w, r, http.StatusServiceUnavailable, "setup", setupData{Vars: []setupVar{
		{"OIDC_ISSUER", "https://id.mttq.vn", "địa chỉ nhà cung cấp OpenID Connect (Keycloak, Dex, VNeID…)"},
		{"OIDC_CLIENT_ID", "mattranso", "mã ứng dụng đã đăng ký với nhà cung cấp"},
		{"OIDC_CLIENT_SECRET", "…", "khoá bí mật của ứng dụng (hoặc OIDC_CLIENT_SECRET_FILE: tệp chứa khoá)"},
		{"MATTRANSO_PUBLIC_URL", "https://mattranso.vn", "địa chỉ công khai của trang; địa chỉ quay về là …/auth/callback (hoặc đặt OIDC_REDIRECT_URL)"},
	}})
}

func (s *Service) renderLoginFailed(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusBadRequest, "login_failed", nil)
}

// render shows one of auth's pages; before Register has given the pages,
// a plain text stands in.
func (s *Service) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if s.pages == nil {
		http.Error(w, name, status)
		return
	}
	s.pages.Render(w, r, status, name, data)
}

// problemData is the data of the "problem" page.
type problemData struct {
	Status    int
	Title     string
	Message   string
	RequestID string
	Login     string // a sign-on link, for 401
}

var problemTitles = map[int]string{
	http.StatusBadRequest:          "Yêu cầu không hợp lệ",
	http.StatusUnauthorized:        "Cần đăng nhập",
	http.StatusForbidden:           "Không có quyền truy cập",
	http.StatusTooManyRequests:     "Quá nhiều yêu cầu",
	http.StatusInternalServerError: "Đã có lỗi xảy ra",
	http.StatusServiceUnavailable:  "Tạm thời chưa phục vụ được",
}

// writeProblem answers an error: {"error":{"code","message"}} under /api,
// auth's problem page elsewhere.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if api.IsAPIPath(r.URL.Path) {
		api.WriteError(w, status, code, "", message)
		return
	}
	st := stateFrom(r)
	if st == nil || st.s.pages == nil {
		http.Error(w, message, status)
		return
	}
	d := problemData{Status: status, Title: problemTitles[status], Message: message, RequestID: r.Header.Get("X-Request-ID")}
	if status == http.StatusUnauthorized {
		d.Login = "/auth/login?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	st.s.pages.Render(w, r, status, "problem", d)
}

// Fail answers a request that Authorize (or RequireUser, or a failed
// check) refused: 401 — JSON under /api, else the sign-on (or, for a
// request that is not a GET, a page with its link); 403 — JSON under /api,
// else a page; anything else is logged and answered 500.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		// A page asked by someone not signed in goes to the sign-in page,
		// configured or not: how to configure sign-on is the operator's
		// business, not the visitor's (see renderSetup).
		if api.IsAPIPath(r.URL.Path) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mattranso"`)
			api.WriteError(w, http.StatusUnauthorized, "unauthenticated", "",
				"Cần đăng nhập, hoặc gửi token hợp lệ trong tiêu đề Authorization: Bearer.")
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/auth/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		writeProblem(w, r, http.StatusUnauthorized, "unauthenticated", "Phiên đăng nhập đã hết. Hãy đăng nhập lại rồi thực hiện lại thao tác.")
	case errors.Is(err, ErrForbidden):
		writeProblem(w, r, http.StatusForbidden, "forbidden",
			"Tài khoản của bạn không có quyền thực hiện thao tác này với đơn vị này. Nếu cần, hãy đề nghị quản trị viên của đơn vị phân quyền.")
	default:
		slog.Default().ErrorContext(r.Context(), "auth: request failed", "err", err, "path", r.URL.Path)
		writeProblem(w, r, http.StatusInternalServerError, "internal", "Hệ thống gặp sự cố khi xử lý yêu cầu. Vui lòng thử lại sau ít phút.")
	}
}

// writeJSON answers v: auth's answers carry personal data, so no cache
// keeps them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, status, v)
}
