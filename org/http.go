package org

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
)

// The actions the handlers ask the Authorizer about (see the package doc).
const (
	ActionVillageRead  = "org.village.read"
	ActionVillageWrite = "org.village.write"
)

// MaxBodyBytes bounds the body of a village request, JSON or form.
const MaxBodyBytes = 16 << 10

// Authorizer decides whether the request may do action on unit (a unit
// id, "26734/MTTQ"); auth provides it. It returns nil to allow, an error
// wrapping ErrUnauthenticated when nobody is signed in (401), or one
// wrapping ErrForbidden when the user may not (403); an error with a
// method HTTPStatus() int returning 401 or 403 is read the same way. Any
// other error refuses the request with 403 and is logged.
//
// For a state-changing request authenticated by a session cookie, it must
// also check the CSRF token that the forms carry (Options.CSRF).
type Authorizer interface {
	Authorize(r *http.Request, action string, unit string) error
}

// Auditor writes a change to the audit log on behalf of the request's
// sender — who, from where, under which request id it finds from r — as
// action on unit (a unit id) to target; auth provides it (auth.AuditLog).
// A failure to write is the Auditor's to report: the change is made.
type Auditor interface {
	Audit(r *http.Request, action, unit, target string)
}

// The audited actions: a village created, renamed (or given another
// kind), retired. Each is recorded on the unit COMMUNE/MTTQ it was
// authorised on.
const (
	AuditVillageCreate = "org.village.create"
	AuditVillageRename = "org.village.rename"
	AuditVillageRetire = "org.village.retire"
)

// Errors an Authorizer returns (wrapped) to refuse a request.
var (
	ErrUnauthenticated = errors.New("not signed in")
	ErrForbidden       = errors.New("not allowed")
)

// AuthorizerFunc lets a function be an Authorizer.
type AuthorizerFunc func(r *http.Request, action, unit string) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(r *http.Request, action, unit string) error {
	return f(r, action, unit)
}

// notConfigured refuses everything until auth provides an Authorizer:
// there is no back door.
var notConfigured = AuthorizerFunc(func(*http.Request, string, string) error { return errNotConfigured })

var errNotConfigured = fmt.Errorf("%w: sign-on is not configured (set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET)", ErrUnauthenticated)

// Pages renders one of the package's templates (Templates) inside the
// site layout; the templates read the data as .Data.
type Pages interface {
	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
}

// Router registers a route: method, a net/http style pattern and a
// handler reading parameters with r.PathValue.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// Options are what the handlers need. Store and Pages are required.
type Options struct {
	Store *Store
	Pages Pages
	// Authorizer is asked before every write and every read of staff
	// data; nil refuses them all with 401, saying that sign-on is not
	// configured.
	Authorizer Authorizer
	// Auditor records every change made; nil leaves a log line only.
	Auditor Auditor
	// CSRF returns the token that the request's forms must carry, in the
	// field CSRFField; nil puts none.
	CSRF func(r *http.Request) string
	// CSRFField is the name of the token's form field; "" means
	// "csrf_token".
	CSRFField string
	// LoginURL is where the pages send someone who must sign in, with
	// ?next= added; "" means "/auth/login".
	LoginURL string
	Logger   *slog.Logger // nil means slog.Default()
}

// Handler serves the org API and admin pages.
type Handler struct {
	store *Store
	pages Pages
	authz Authorizer
	audit Auditor
	csrf  func(*http.Request) string
	field string
	login string
	log   *slog.Logger
}

// New returns the handlers. It panics when Store or Pages is missing, a
// wiring mistake rather than a runtime condition.
func New(o Options) *Handler {
	if o.Store == nil || o.Pages == nil {
		panic("org: New needs Store and Pages")
	}
	h := &Handler{store: o.Store, pages: o.Pages, authz: o.Authorizer, audit: o.Auditor, csrf: o.CSRF,
		field: o.CSRFField, login: o.LoginURL, log: o.Logger}
	if h.authz == nil {
		h.authz = notConfigured
	}
	if h.field == "" {
		h.field = "csrf_token"
	}
	if h.login == "" {
		h.login = "/auth/login"
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// Register adds the routes to r.
func (h *Handler) Register(r Router) {
	r.Handle(http.MethodGet, "/api/v1/org/territories/{code}", http.HandlerFunc(h.APITerritory))
	r.Handle(http.MethodGet, "/api/v1/org/territories/{code}/villages", http.HandlerFunc(h.APIVillages))
	r.Handle(http.MethodPost, "/api/v1/org/territories/{code}/villages", http.HandlerFunc(h.APICreateVillage))
	r.Handle(http.MethodGet, "/api/v1/org/villages/{id}", http.HandlerFunc(h.APIVillage))
	r.Handle(http.MethodPatch, "/api/v1/org/villages/{id}", http.HandlerFunc(h.APIRenameVillage))
	r.Handle(http.MethodDelete, "/api/v1/org/villages/{id}", http.HandlerFunc(h.APIRetireVillage))

	r.Handle(http.MethodGet, "/quan-tri/dia-ban", http.HandlerFunc(h.TerritoryPage))
	r.Handle(http.MethodGet, "/quan-tri/dia-ban/{code}", http.HandlerFunc(h.TerritoryPage))
	r.Handle(http.MethodPost, "/quan-tri/dia-ban/{code}/thon", http.HandlerFunc(h.CreateVillageForm))
	r.Handle(http.MethodPost, "/quan-tri/thon/{id}/doi-ten", http.HandlerFunc(h.RenameVillageForm))
	r.Handle(http.MethodPost, "/quan-tri/thon/{id}/ngung", http.HandlerFunc(h.RetireVillageForm))
	h.registerUnits(r)
}

// Templates are the admin pages, for a Pages implementation to parse with
// the layout: "territory", "unit", "rollout" and "denied".
var Templates fs.FS = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

//go:embed templates/*.html
var templateFiles embed.FS

// TemplateFuncs are the functions the templates use.
var TemplateFuncs = template.FuncMap{
	"villageURL": func(code string) string { return "/quan-tri/thon/" + url.PathEscape(code) },
	"dict":       dict,
	// unitPath is the page of a unit id ("26734/MTTQ").
	"unitPath": func(id string) string {
		t, o, _ := strings.Cut(id, "/")
		return "/don-vi/" + url.PathEscape(t) + "/" + url.PathEscape(o)
	},
	"add": func(a, b int) int { return a + b },
	// vnTime shows a time in Vietnam.
	"vnTime": func(t time.Time) string { return t.In(vietnam).Format("02/01/2006 15:04") },
	"territoryURL": func(code string) string {
		if code == CentralCode {
			return "/quan-tri/dia-ban"
		}
		return "/quan-tri/dia-ban/" + url.PathEscape(code)
	},
}

// dict makes a map of its key, value arguments, to pass several values
// to a template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// authorize asks whether r may do action on the MTTQ unit of commune and
// returns the status that refuses it, or 0.
func (h *Handler) authorize(r *http.Request, action, commune string) (int, string) {
	unit := UnitOf(commune, MTTQ).String()
	err := h.authz.Authorize(r, action, unit)
	if err == nil {
		return 0, ""
	}
	status := http.StatusForbidden
	var hs interface{ HTTPStatus() int }
	switch {
	case errors.Is(err, ErrUnauthenticated):
		status = http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
	case errors.As(err, &hs) && (hs.HTTPStatus() == http.StatusUnauthorized || hs.HTTPStatus() == http.StatusForbidden):
		status = hs.HTTPStatus()
	default:
		h.log.ErrorContext(r.Context(), "org: authorizer failed; refusing", "action", action, "unit", unit, "err", err)
	}
	if errors.Is(err, errNotConfigured) {
		return status, "Chưa cấu hình đăng nhập một lần (OpenID Connect), nên chưa ai đăng nhập được: " +
			"người quản trị máy chủ cần đặt OIDC_ISSUER, OIDC_CLIENT_ID và OIDC_CLIENT_SECRET."
	}
	if status == http.StatusUnauthorized {
		return status, "Cần đăng nhập để thực hiện thao tác này."
	}
	return status, fmt.Sprintf("Tài khoản của bạn không có quyền quản lý thôn, tổ dân phố của đơn vị %s.", unit)
}

// UnitView is a unit in API answers and pages.
type UnitView struct {
	ID   string `json:"id"`
	Org  Org    `json:"org"`
	Name string `json:"name"`
}

func unitViews(t Territory) []UnitView {
	out := make([]UnitView, len(Orgs))
	for i, o := range Orgs {
		out[i] = UnitView{ID: t.Unit(o).String(), Org: o, Name: UnitName(t, o)}
	}
	return out
}

// TerritoryResponse is the body of GET /api/v1/org/territories/{code}.
type TerritoryResponse struct {
	Territory Territory   `json:"territory"`
	Units     []UnitView  `json:"units"`
	Ancestors []Territory `json:"ancestors"`
	Children  []Territory `json:"children"`
	Counts    Counts      `json:"counts"`
}

// VillagesResponse is the body of GET /api/v1/org/territories/{code}/villages.
type VillagesResponse struct {
	Commune  Territory   `json:"commune"`
	Villages []Territory `json:"villages"`
}

// VillageResponse is the body answering one village.
type VillageResponse struct {
	Village Territory  `json:"village"`
	Units   []UnitView `json:"units"`
}

// VillageRequest is the body of POST …/villages and PATCH /villages/{id}:
// the name as typed, and a kind (VillageKinds, any spelling); on PATCH an
// empty kind keeps the village's.
type VillageRequest struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// APITerritory answers GET /api/v1/org/territories/{code}: the territory,
// its units, ancestors, active children and descendant counts.
func (h *Handler) APITerritory(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !h.checkCode(w, "code", code) {
		return
	}
	ctx := r.Context()
	t, err := h.store.Territory(ctx, code)
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	out := TerritoryResponse{Territory: t, Units: unitViews(t)}
	if out.Ancestors, err = h.store.Ancestors(ctx, code); err == nil {
		if out.Children, err = h.store.Children(ctx, code); err == nil {
			out.Counts, err = h.store.CountDescendants(ctx, code)
		}
	}
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	api.WriteJSON(w, http.StatusOK, out)
}

// APIVillages answers GET /api/v1/org/territories/{code}/villages: the
// commune's active villages, or all of them with include_retired=1, which
// needs org.village.read.
func (h *Handler) APIVillages(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !h.checkCommune(w, code) {
		return
	}
	var all bool
	switch v := r.URL.Query().Get("include_retired"); v {
	case "", "0", "false":
	case "1", "true":
		all = true
	default:
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "include_retired",
			fmt.Sprintf("Tham số include_retired không hợp lệ: chỉ nhận 1 hoặc 0, nhận được %q.", v))
		return
	}
	ctx := r.Context()
	c, err := h.store.Territory(ctx, code)
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	if all {
		if status, msg := h.authorize(r, ActionVillageRead, code); status != 0 {
			api.WriteError(w, status, authCode(status), "", msg)
			return
		}
	}
	vs, err := h.store.Villages(ctx, code, all)
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	api.WriteJSON(w, http.StatusOK, VillagesResponse{Commune: c, Villages: vs})
}

// APIVillage answers GET /api/v1/org/villages/{id}.
func (h *Handler) APIVillage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := h.checkVillage(w, id); !ok {
		return
	}
	t, err := h.store.Territory(r.Context(), id)
	if err != nil {
		h.apiError(w, r, err, "id")
		return
	}
	api.WriteJSON(w, http.StatusOK, VillageResponse{Village: t, Units: unitViews(t)})
}

// APICreateVillage answers POST /api/v1/org/territories/{code}/villages
// with 201 and the new village.
func (h *Handler) APICreateVillage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !h.checkCommune(w, code) {
		return
	}
	// Which territories exist is public: the Authorizer is asked about
	// existing units only.
	if _, err := h.store.Territory(r.Context(), code); err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	if status, msg := h.authorize(r, ActionVillageWrite, code); status != 0 {
		api.WriteError(w, status, authCode(status), "", msg)
		return
	}
	var req VillageRequest
	if !h.decode(w, r, &req) || !checkVillageRequest(w, req, true) {
		return
	}
	t, err := h.store.CreateVillage(r.Context(), code, req.Name, req.Kind)
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	h.record(r, AuditVillageCreate, Territory{}, t)
	w.Header().Set("Location", "/api/v1/org/villages/"+url.PathEscape(t.Code))
	api.WriteJSON(w, http.StatusCreated, VillageResponse{Village: t, Units: unitViews(t)})
}

// APIRenameVillage answers PATCH /api/v1/org/villages/{id}.
func (h *Handler) APIRenameVillage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	commune, ok := h.checkVillage(w, id)
	if !ok {
		return
	}
	old, ok := h.exists(w, r, id)
	if !ok {
		return
	}
	if status, msg := h.authorize(r, ActionVillageWrite, commune); status != 0 {
		api.WriteError(w, status, authCode(status), "", msg)
		return
	}
	var req VillageRequest
	if !h.decode(w, r, &req) || !checkVillageRequest(w, req, false) {
		return
	}
	t, err := h.store.RenameVillage(r.Context(), id, req.Name, req.Kind)
	if err != nil {
		h.apiError(w, r, err, "id")
		return
	}
	h.record(r, AuditVillageRename, old, t)
	api.WriteJSON(w, http.StatusOK, VillageResponse{Village: t, Units: unitViews(t)})
}

// APIRetireVillage answers DELETE /api/v1/org/villages/{id}: the village
// is retired, not deleted, and answered with its retired_at.
func (h *Handler) APIRetireVillage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	commune, ok := h.checkVillage(w, id)
	if !ok {
		return
	}
	old, ok := h.exists(w, r, id)
	if !ok {
		return
	}
	if status, msg := h.authorize(r, ActionVillageWrite, commune); status != 0 {
		api.WriteError(w, status, authCode(status), "", msg)
		return
	}
	t, err := h.store.RetireVillage(r.Context(), id)
	if err != nil {
		h.apiError(w, r, err, "id")
		return
	}
	h.record(r, AuditVillageRetire, old, t)
	api.WriteJSON(w, http.StatusOK, VillageResponse{Village: t, Units: unitViews(t)})
}

// exists returns territory code, or answers 404 and returns false when it
// is unknown.
func (h *Handler) exists(w http.ResponseWriter, r *http.Request, code string) (Territory, bool) {
	t, err := h.store.Territory(r.Context(), code)
	if err != nil {
		h.apiError(w, r, err, "id")
		return Territory{}, false
	}
	return t, true
}

// record logs a change to a village, before and after, and writes it to
// the audit log on the commune's Front unit, which authorised it. A
// request that changed nothing (the same name, a village already
// retired) is not a change.
func (h *Handler) record(r *http.Request, action string, before, after Territory) {
	var target string
	switch {
	case action == AuditVillageCreate:
		target = fmt.Sprintf("%s %q", after.Code, after.Name)
	case action == AuditVillageRename && (before.Name != after.Name || before.Kind != after.Kind):
		target = fmt.Sprintf("%s %q → %q", after.Code, before.Name, after.Name)
	case action == AuditVillageRetire && !before.Retired():
		target = fmt.Sprintf("%s %q", after.Code, after.Name)
	default:
		return
	}
	h.log.InfoContext(r.Context(), "org: village changed", "action", action, "village", after.Code, "name", after.Name, "was", before.Name)
	if h.audit != nil {
		h.audit.Audit(r, action, UnitOf(after.ParentCode, MTTQ).String(), target)
	}
}

func authCode(status int) string {
	if status == http.StatusUnauthorized {
		return "unauthenticated"
	}
	return "forbidden"
}

const codeHelp = "VN, mã tỉnh 2 chữ số (79), mã xã 5 chữ số (26734) hoặc mã thôn (26734-001)"

func (h *Handler) checkCode(w http.ResponseWriter, field, code string) bool {
	if _, err := levelOf(code); err != nil {
		api.WriteError(w, http.StatusBadRequest, "invalid_code", field,
			fmt.Sprintf("Mã địa bàn %q không hợp lệ: cần %s.", code, codeHelp))
		return false
	}
	return true
}

func (h *Handler) checkCommune(w http.ResponseWriter, code string) bool {
	if !h.checkCode(w, "code", code) {
		return false
	}
	if l, _ := levelOf(code); l != Commune {
		api.WriteError(w, http.StatusBadRequest, "not_a_commune", "code",
			fmt.Sprintf("%s không phải mã xã, phường, đặc khu (5 chữ số): thôn, tổ dân phố chỉ thuộc cấp xã.", code))
		return false
	}
	return true
}

func (h *Handler) checkVillage(w http.ResponseWriter, id string) (commune string, ok bool) {
	commune, ok = VillageCommune(id)
	if !ok {
		api.WriteError(w, http.StatusBadRequest, "invalid_code", "id",
			fmt.Sprintf("Mã thôn %q không hợp lệ: cần mã xã, dấu gạch và số thứ tự, ví dụ 26734-001.", id))
	}
	return commune, ok
}

// decode reads a JSON body into v (api.Decode: strict, limited); false
// when it has answered the refusal.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if e := api.DecodeLimit(w, r, v, MaxBodyBytes); e != nil {
		api.Fail(w, r, h.log, e)
		return false
	}
	return true
}

// checkVillageRequest validates a name and kind at the edge so that the
// answer names the field.
func checkVillageRequest(w http.ResponseWriter, req VillageRequest, needKind bool) bool {
	if msg := nameProblem(req.Name); msg != "" {
		api.WriteError(w, http.StatusBadRequest, "invalid_name", "name", msg)
		return false
	}
	if msg := kindProblem(req.Kind, needKind); msg != "" {
		api.WriteError(w, http.StatusBadRequest, "invalid_kind", "kind", msg)
		return false
	}
	return true
}

// nameProblem is the message refusing a typed name, naming the field, or "".
func nameProblem(name string) string {
	_, err := cleanName(name)
	var ne *corpus.NameError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ne):
		return ne.Error()
	}
	return "Tên thôn, tổ dân phố cần có chữ hoặc số."
}

func kindProblem(kind string, need bool) string {
	if kind == "" && !need {
		return ""
	}
	if _, err := ParseVillageKind(kind); err != nil {
		if kind == "" {
			return fmt.Sprintf("Hãy chọn loại: %s.", joinKinds())
		}
		return fmt.Sprintf("Loại %q không có: chọn một trong %s.", kind, joinKinds())
	}
	return ""
}

func joinKinds() string {
	var b bytes.Buffer
	for i, k := range VillageKinds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
	}
	return b.String()
}

// apiError answers a Store error.
func (h *Handler) apiError(w http.ResponseWriter, r *http.Request, err error, field string) {
	status, code, msg := storeProblem(err)
	if status != http.StatusBadRequest {
		field = ""
	}
	if status == http.StatusInternalServerError {
		if clientGone(r, err) {
			return
		}
		h.log.ErrorContext(r.Context(), "org: request failed", "path", r.URL.Path, "err", err)
	}
	api.WriteError(w, status, code, field, msg)
}

// storeProblem maps a Store error to a status, a code and a message.
func storeProblem(err error) (int, string, string) {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "not_found", "Không có địa bàn nào mang mã này."
	case errors.Is(err, ErrDuplicate):
		return http.StatusConflict, "duplicate_name", "Xã đã có một thôn, tổ dân phố đang hoạt động mang tên này (kể cả khi bỏ dấu theo kiểu khác, như Hòa/Hoà)."
	case errors.Is(err, ErrRetired):
		return http.StatusConflict, "retired", "Thôn, tổ dân phố này đã ngừng hoạt động nên không sửa được."
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest, "invalid", "Yêu cầu không hợp lệ."
	}
	return http.StatusInternalServerError, "internal", "Hệ thống gặp sự cố, vui lòng thử lại sau."
}

func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && r.Context().Err() != nil
}
