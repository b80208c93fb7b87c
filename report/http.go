package report

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
)

// The actions the handlers ask about (see the package doc).
const (
	ActionFile    = "report.file"
	ActionRead    = "report.read"
	ActionApprove = "report.approve"
	// ActionStaffRead (org's) is asked, besides report.read, for the
	// missing units' contacts (contacts=1): their phones and e-mails are
	// personal data.
	ActionStaffRead = "org.staff.read"
)

// The audited actions, recorded on the report's unit with the target
// DATASET/PERIOD.
const (
	AuditSave      = "report.save"
	AuditSubmit    = "report.submit"
	AuditApprove   = "report.approve"
	AuditReturn    = "report.return"
	AuditException = "report.exception"
)

// MaxBodyBytes bounds a report's JSON body: eleven fields of up to 4,000
// bytes of text fit with room to spare.
const MaxBodyBytes = 64 << 10

// DefaultMissingLimit is how many missing units a roll-up lists unless
// missing_limit says otherwise; MaxMissingLimit the most it may ask.
const (
	DefaultMissingLimit = 1000
	MaxMissingLimit     = 100000
)

// Authorizer decides whether the request may do action on unit (a unit
// id); auth provides it (auth.Check). nil to allow; an error wrapping
// ErrUnauthenticated, or with HTTPStatus() 401, for nobody signed in;
// ErrForbidden or HTTPStatus() 403 to refuse; any other error refuses
// with 403 and is logged.
type Authorizer interface {
	Authorize(r *http.Request, action, unit string) error
}

// OverAuthorizer is Authorizer for the actions an upper level takes on a
// unit below (approve, return, grant an exception): only roles held at a
// higher territory count. cmd wires it to auth.CanOver.
type OverAuthorizer interface {
	AuthorizeOver(r *http.Request, action, unit string) error
}

// Auditor writes a change to the audit log on behalf of the request's
// sender; auth provides it (auth.AuditLog).
type Auditor interface {
	Audit(r *http.Request, action, unit, target string)
}

// Errors an Authorizer returns (wrapped) to refuse a request.
var (
	ErrUnauthenticated = errors.New("not signed in")
	ErrForbidden       = errors.New("not allowed")
)

// Router registers a route: method, a net/http style pattern and a
// handler reading parameters with r.PathValue.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// HTTPOptions are what the handlers need. Service is required.
type HTTPOptions struct {
	Service *Service
	// Authorizer and Over are asked before every read and write; nil
	// refuses everything with 401.
	Authorizer Authorizer
	Over       OverAuthorizer
	// Auditor records every change; nil leaves a log line only.
	Auditor Auditor
	// Actor names the sender of a request in a report's history; nil
	// leaves it empty.
	Actor  func(r *http.Request) string
	Logger *slog.Logger
}

// Handler serves the report API.
type Handler struct {
	svc   *Service
	authz Authorizer
	over  OverAuthorizer
	audit Auditor
	actor func(*http.Request) string
	log   *slog.Logger
	// contacts are the people to call about missing units (RegisterPages).
	contacts ContactsFunc
}

var errNotConfigured = fmt.Errorf("%w: sign-on is not configured", ErrUnauthenticated)

type refuseAll struct{}

func (refuseAll) Authorize(*http.Request, string, string) error     { return errNotConfigured }
func (refuseAll) AuthorizeOver(*http.Request, string, string) error { return errNotConfigured }

// NewHTTP returns the handlers. It panics without a Service, a wiring
// mistake.
func NewHTTP(o HTTPOptions) *Handler {
	if o.Service == nil {
		panic("report: NewHTTP needs a Service")
	}
	h := &Handler{svc: o.Service, authz: o.Authorizer, over: o.Over, audit: o.Auditor, actor: o.Actor, log: o.Logger}
	if h.authz == nil {
		h.authz = refuseAll{}
	}
	if h.over == nil {
		h.over = refuseAll{}
	}
	if h.actor == nil {
		h.actor = func(*http.Request) string { return "" }
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// Service is the service the handlers serve.
func (h *Handler) Service() *Service { return h.svc }

// Register adds the API routes.
func (h *Handler) Register(r Router) {
	const unit = "/api/v1/org/units/{territory}/{org}"
	r.Handle(http.MethodGet, "/api/v1/org/datasets", http.HandlerFunc(h.APIDatasets))
	r.Handle(http.MethodGet, unit+"/reports/{period}", http.HandlerFunc(h.APIReport))
	r.Handle(http.MethodPut, unit+"/reports/{period}", http.HandlerFunc(h.APISave))
	r.Handle(http.MethodGet, unit+"/reports/{period}/history", http.HandlerFunc(h.APIHistory))
	r.Handle(http.MethodPost, unit+"/reports/{period}/approve", http.HandlerFunc(h.APIApprove))
	r.Handle(http.MethodPost, unit+"/reports/{period}/return", http.HandlerFunc(h.APIReturn))
	r.Handle(http.MethodPost, unit+"/reports/{period}/exception", http.HandlerFunc(h.APIException))
	r.Handle(http.MethodGet, unit+"/rollup", http.HandlerFunc(h.APIRollup))
}

// DatasetsResponse is the body of GET /api/v1/org/datasets.
type DatasetsResponse struct {
	Datasets []Dataset `json:"datasets"`
}

// APIDatasets lists the data sets with their fields and rules: the forms
// are public, as the paper ones are.
func (h *Handler) APIDatasets(w http.ResponseWriter, r *http.Request) {
	api.WriteJSON(w, http.StatusOK, DatasetsResponse{Datasets: h.svc.Datasets()})
}

// request is what every report route reads: the data set, the unit and,
// when asked, the period.
type request struct {
	ds   Dataset
	unit org.Unit
	p    Period
}

// parse reads the data set (?dataset=, default weekly), the unit from the
// path and the period from the path or, for a roll-up, ?period=, then
// looks the territory up (which exists is public): a malformed part is
// 400 naming it, an unknown territory 404.
func (h *Handler) parse(r *http.Request, periodFrom string) (request, *api.Error) {
	var q request
	key := r.URL.Query().Get("dataset")
	if e := api.CheckQuery("dataset", key); e != nil {
		return q, e
	}
	if key == "" {
		key = "weekly"
	}
	d, err := h.svc.Dataset(key)
	if err != nil {
		return q, &api.Error{Status: http.StatusNotFound, Code: "not_found", Field: "dataset",
			Message: fmt.Sprintf("Không có biểu mẫu báo cáo %q (no such data set).", key)}
	}
	q.ds = d
	terr, o := r.PathValue("territory"), r.PathValue("org")
	if _, err := org.LevelOf(terr); err != nil && !strings.EqualFold(terr, org.CentralCode) {
		return q, api.BadRequest("invalid_unit", "territory", fmt.Sprintf(
			"Mã địa bàn %q không đúng dạng: cần VN, mã tỉnh 2 chữ số, mã xã 5 chữ số hoặc mã thôn như 26734-001 (not a territory code).", clip(terr)))
	}
	u, err := org.ParseUnit(terr + "/" + o)
	if err != nil {
		return q, api.BadRequest("invalid_unit", "org", fmt.Sprintf(
			"Tổ chức %q không hợp lệ: cần một trong MTTQ, CD, HND, DTN, HPN, CCB (unknown organisation).", clip(o)))
	}
	q.unit = u
	var ps string
	switch periodFrom {
	case "path":
		ps = r.PathValue("period")
	case "query":
		ps = r.URL.Query().Get("period")
		if e := api.CheckQuery("period", ps); e != nil {
			return q, e
		}
		if ps == "" {
			ps = CurrentPeriod(d.PeriodType, h.svc.now()).Key
		}
	}
	if periodFrom != "" {
		p, err := ParsePeriod(d.PeriodType, ps)
		if err != nil {
			return q, api.BadRequest("invalid_period", "period", fmt.Sprintf(
				"Kỳ báo cáo %q không đúng dạng: biểu mẫu %s dùng kỳ dạng %s (a period of the form %s).", clip(ps), d.Name, d.PeriodType.Example(), d.PeriodType.Example()))
		}
		q.p = p
	}
	if _, err := h.svc.tree.Territory(r.Context(), u.Territory); err != nil {
		if errors.Is(err, org.ErrNotFound) {
			return q, &api.Error{Status: http.StatusNotFound, Code: "not_found", Field: "territory",
				Message: fmt.Sprintf("Không có địa bàn %s (no such territory).", u.Territory)}
		}
		return q, &api.Error{Status: http.StatusInternalServerError, Code: "internal", Message: api.Internal}
	}
	return q, nil
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "")
}

// refuse answers an Authorizer's refusal.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, action, unit string, err error) {
	status := http.StatusForbidden
	var hs interface{ HTTPStatus() int }
	switch {
	case errors.Is(err, ErrUnauthenticated):
		status = http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
	case errors.As(err, &hs) && (hs.HTTPStatus() == http.StatusUnauthorized || hs.HTTPStatus() == http.StatusForbidden):
		status = hs.HTTPStatus()
	default:
		h.log.ErrorContext(r.Context(), "report: authorizer failed; refusing", "action", action, "unit", unit, "err", err)
	}
	if status == http.StatusUnauthorized {
		api.WriteError(w, status, "unauthenticated", "", "Cần đăng nhập để thực hiện thao tác này (sign in first).")
		return
	}
	msg := fmt.Sprintf("Tài khoản của bạn không có quyền %s đối với đơn vị %s (forbidden).", actionLabel(action), unit)
	api.WriteError(w, status, "forbidden", "", msg)
}

func actionLabel(action string) string {
	switch action {
	case ActionFile:
		return "lập báo cáo"
	case ActionRead:
		return "xem báo cáo"
	case ActionApprove:
		return "duyệt, trả lại hoặc mở khóa báo cáo (chỉ cấp trên)"
	case ActionStaffRead:
		return "xem thông tin liên hệ của cán bộ"
	}
	return action
}

// fail answers an error of the Service.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ve *ValidationError
	var ae *ArgumentError
	switch {
	case errors.As(err, &ve) && len(ve.Errors) > 0:
		first := ve.Errors[0]
		msg := first.Message
		if len(ve.Errors) > 1 {
			parts := make([]string, len(ve.Errors))
			for i, e := range ve.Errors {
				parts[i] = "values." + e.Field + ": " + e.Message
			}
			msg = strings.Join(parts, " ")
		}
		api.WriteError(w, http.StatusBadRequest, first.Code, "values."+first.Field, msg)
	case errors.Is(err, ErrNotFound):
		api.WriteError(w, http.StatusNotFound, "not_found", "", "Không tìm thấy báo cáo hoặc đơn vị (not found).")
	case errors.Is(err, ErrNotReporting):
		api.WriteError(w, http.StatusBadRequest, "not_reporting", "territory",
			"Đơn vị này không thuộc diện lập biểu mẫu báo cáo này (this unit does not file this data set).")
	case errors.Is(err, ErrFuture):
		api.WriteError(w, http.StatusBadRequest, "invalid_period", "period",
			"Chưa đến kỳ báo cáo này: chỉ báo cáo được kỳ hiện tại và các kỳ trước (a period beyond the current one).")
	case errors.Is(err, ErrPeriod):
		api.WriteError(w, http.StatusBadRequest, "invalid_period", "period", "Kỳ báo cáo không hợp lệ (invalid period).")
	case errors.Is(err, ErrLocked):
		msg := "Kỳ báo cáo đã khóa: cần cấp trên mở khóa để sửa (the period is locked)."
		if strings.Contains(err.Error(), LockApproved) {
			msg = "Báo cáo đã được duyệt nên không sửa được nữa (approved reports are locked)."
		}
		api.WriteError(w, http.StatusConflict, "locked", "", msg)
	case errors.Is(err, ErrRetired):
		api.WriteError(w, http.StatusConflict, "retired", "territory",
			"Thôn, tổ dân phố này đã ngừng hoạt động nên không lập báo cáo mới được (the village is retired).")
	case errors.Is(err, ErrStatus):
		api.WriteError(w, http.StatusConflict, "wrong_status", "",
			"Trạng thái báo cáo không cho phép thao tác này: chỉ duyệt hoặc trả lại báo cáo đã gửi; báo cáo đã duyệt không mở khóa (wrong status).")
	case errors.As(err, &ae):
		msg := map[string]string{
			"org":    "org=all chỉ dùng cho đơn vị Mặt trận Tổ quốc (MTTQ) (org=all is for a Front unit).",
			"reason": fmt.Sprintf("Cần ghi lý do, tối đa %d byte (a reason of 1 to %d bytes is required).", MaxReasonLen, MaxReasonLen),
			"note":   fmt.Sprintf("Ghi chú tối đa %d byte (the note is too long).", MaxReasonLen),
			"until": fmt.Sprintf("Thời hạn mở khóa phải sau hiện tại và trong vòng %d ngày (until must be within the next %d days).",
				MaxExceptionDays, MaxExceptionDays),
		}[ae.Arg]
		if msg == "" {
			msg = "Tham số không hợp lệ (invalid parameter)."
		}
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", ae.Arg, msg)
	default:
		api.Fail(w, r, h.log, err)
	}
}

// APIReport answers GET …/reports/{period}: the report, an empty draft of
// version 0 when none was saved.
func (h *Handler) APIReport(w http.ResponseWriter, r *http.Request) {
	q, e := h.parse(r, "path")
	if e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if err := h.authz.Authorize(r, ActionRead, q.unit.String()); err != nil {
		h.refuse(w, r, ActionRead, q.unit.String(), err)
		return
	}
	rep, err := h.svc.Report(r.Context(), q.ds.Key, q.unit, q.p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, rep)
}

// HistoryResponse is the body of GET …/reports/{period}/history.
type HistoryResponse struct {
	Events []Event `json:"events"`
}

// APIHistory answers GET …/reports/{period}/history: every change of the
// report, oldest first, with who made it.
func (h *Handler) APIHistory(w http.ResponseWriter, r *http.Request) {
	q, e := h.parse(r, "path")
	if e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if err := h.authz.Authorize(r, ActionRead, q.unit.String()); err != nil {
		h.refuse(w, r, ActionRead, q.unit.String(), err)
		return
	}
	evs, err := h.svc.History(r.Context(), q.ds.Key, q.unit, q.p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, HistoryResponse{Events: evs})
}

// SaveRequest is the body of PUT …/reports/{period}.
type SaveRequest struct {
	Values map[string]any `json:"values"`
	Submit bool           `json:"submit"`
}

// APISave answers PUT …/reports/{period}.
func (h *Handler) APISave(w http.ResponseWriter, r *http.Request) {
	q, e := h.parse(r, "path")
	if e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if err := h.authz.Authorize(r, ActionFile, q.unit.String()); err != nil {
		h.refuse(w, r, ActionFile, q.unit.String(), err)
		return
	}
	var body SaveRequest
	if e := api.DecodeLimit(w, r, &body, MaxBodyBytes); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if body.Values == nil {
		api.Fail(w, r, h.log, api.BadRequest("invalid_value", "values", "Cần trường values: một đối tượng JSON các số liệu báo cáo (values is required)."))
		return
	}
	rep, err := h.svc.Save(r.Context(), q.ds.Key, q.unit, q.p, body.Values, body.Submit, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	action := AuditSave
	if body.Submit {
		action = AuditSubmit
	}
	h.record(r, action, q)
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, rep)
}

func (h *Handler) record(r *http.Request, action string, q request) {
	target := q.ds.Key + "/" + q.p.Key
	if h.audit == nil {
		h.log.InfoContext(r.Context(), "report: change", "action", action, "unit", q.unit.String(), "target", target)
		return
	}
	h.audit.Audit(r, action, q.unit.String(), target)
}

// upper parses an upper level's request and asks the OverAuthorizer.
func (h *Handler) upper(w http.ResponseWriter, r *http.Request) (request, bool) {
	q, e := h.parse(r, "path")
	if e != nil {
		api.Fail(w, r, h.log, e)
		return q, false
	}
	if err := h.over.AuthorizeOver(r, ActionApprove, q.unit.String()); err != nil {
		h.refuse(w, r, ActionApprove, q.unit.String(), err)
		return q, false
	}
	return q, true
}

// ApproveRequest is the body of POST …/reports/{period}/approve, which
// may also be empty.
type ApproveRequest struct {
	Note string `json:"note"`
}

// APIApprove answers POST …/reports/{period}/approve.
func (h *Handler) APIApprove(w http.ResponseWriter, r *http.Request) {
	q, ok := h.upper(w, r)
	if !ok {
		return
	}
	var body ApproveRequest
	if r.ContentLength != 0 {
		if e := api.DecodeLimit(w, r, &body, MaxBodyBytes); e != nil {
			api.Fail(w, r, h.log, e)
			return
		}
	}
	rep, err := h.svc.ApproveNote(r.Context(), q.ds.Key, q.unit, q.p, body.Note, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditApprove, q)
	api.WriteJSON(w, http.StatusOK, rep)
}

// ReturnRequest is the body of POST …/reports/{period}/return.
type ReturnRequest struct {
	Reason string `json:"reason"`
}

// APIReturn answers POST …/reports/{period}/return.
func (h *Handler) APIReturn(w http.ResponseWriter, r *http.Request) {
	q, ok := h.upper(w, r)
	if !ok {
		return
	}
	var body ReturnRequest
	if e := api.DecodeLimit(w, r, &body, MaxBodyBytes); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	rep, err := h.svc.Return(r.Context(), q.ds.Key, q.unit, q.p, body.Reason, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditReturn, q)
	api.WriteJSON(w, http.StatusOK, rep)
}

// ExceptionRequest is the body of POST …/reports/{period}/exception:
// until is an RFC 3339 time, or a date (YYYY-MM-DD) meaning the end of
// that day in Vietnam.
type ExceptionRequest struct {
	Until  string `json:"until"`
	Reason string `json:"reason"`
}

// ParseUntil reads an exception's end: an RFC 3339 time, or a date
// meaning the end of that day, Vietnam time.
func ParseUntil(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, Vietnam)
	if err != nil {
		return time.Time{}, fmt.Errorf("report: until %q: %w: want 2026-12-20 or 2026-12-20T17:00:00+07:00", s, ErrInvalid)
	}
	return d.AddDate(0, 0, 1), nil
}

// APIException answers POST …/reports/{period}/exception.
func (h *Handler) APIException(w http.ResponseWriter, r *http.Request) {
	q, ok := h.upper(w, r)
	if !ok {
		return
	}
	var body ExceptionRequest
	if e := api.DecodeLimit(w, r, &body, MaxBodyBytes); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	until, err := ParseUntil(body.Until)
	if err != nil {
		api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "until",
			"Thời hạn mở khóa cần dạng 2026-12-20 hoặc 2026-12-20T17:00:00+07:00 (until: a date or an RFC 3339 time)."))
		return
	}
	rep, err := h.svc.GrantException(r.Context(), q.ds.Key, q.unit, q.p, until, body.Reason, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditException, q)
	api.WriteJSON(w, http.StatusOK, rep)
}

// RollupResponse is the body of GET …/rollup: the roll-up, with the
// completion table when children=1, the trend when trend=N, and with
// contacts=1 whom to call about each missing unit listed (from the units'
// staff lists; units without one are left out).
type RollupResponse struct {
	Rollup
	Children        []ChildRow             `json:"children,omitempty"`
	Trend           []Rollup               `json:"trend,omitempty"`
	MissingContacts map[string]org.Contact `json:"missing_contacts,omitempty"`
}

// APIRollup answers GET …/rollup?period=…[&org=all][&missing_limit=N]
// [&children=1][&trend=N][&contacts=1][&format=csv|xlsx].
func (h *Handler) APIRollup(w http.ResponseWriter, r *http.Request) {
	q, e := h.parse(r, "query")
	if e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	qs := r.URL.Query()
	all := false
	switch v := qs.Get("org"); v {
	case "":
	case "all":
		all = true
	default:
		api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "org", "org chỉ nhận giá trị all (org=all: every organisation)."))
		return
	}
	limit := DefaultMissingLimit
	format := qs.Get("format")
	switch format {
	case "":
	case "csv", "xlsx":
		limit = MaxMissingLimit
	default:
		api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "format", "format chỉ nhận csv hoặc xlsx (format: csv or xlsx)."))
		return
	}
	if v := qs.Get("missing_limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxMissingLimit {
			api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "missing_limit",
				fmt.Sprintf("missing_limit phải là số nguyên từ 0 đến %d (an integer from 0 to %d).", MaxMissingLimit, MaxMissingLimit)))
			return
		}
		limit = n
	}
	trend := 0
	if v := qs.Get("trend"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 52 {
			api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "trend", "trend phải là số kỳ từ 1 đến 52 (an integer from 1 to 52)."))
			return
		}
		trend = n
	}
	children := false
	switch qs.Get("children") {
	case "":
	case "1", "true":
		children = true
	default:
		api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "children", "children chỉ nhận 1 (children=1 adds the completion table)."))
		return
	}
	contacts := false
	switch qs.Get("contacts") {
	case "":
	case "1", "true":
		contacts = true
	default:
		api.Fail(w, r, h.log, api.BadRequest("invalid_parameter", "contacts", "contacts chỉ nhận 1 (contacts=1 adds whom to call about the missing units)."))
		return
	}
	if err := h.authz.Authorize(r, ActionRead, q.unit.String()); err != nil {
		h.refuse(w, r, ActionRead, q.unit.String(), err)
		return
	}
	if contacts {
		if err := h.authz.Authorize(r, ActionStaffRead, q.unit.String()); err != nil {
			h.refuse(w, r, ActionStaffRead, q.unit.String(), err)
			return
		}
	}
	ctx := r.Context()
	ru, err := h.svc.Rollup(ctx, q.ds.Key, q.unit, all, q.p, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if format != "" {
		h.writeRollupExport(w, r, ru, format)
		return
	}
	resp := RollupResponse{Rollup: ru}
	if contacts && len(ru.Missing) > 0 {
		units := make([]org.Unit, 0, len(ru.Missing))
		for _, id := range ru.Missing {
			if u, err := org.ParseUnit(id); err == nil {
				units = append(units, u)
			}
		}
		cs, err := h.svc.tree.Contacts(ctx, units)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		resp.MissingContacts = make(map[string]org.Contact, len(cs))
		for u, c := range cs {
			resp.MissingContacts[u.String()] = c
		}
	}
	if children {
		if resp.Children, err = h.svc.Children(ctx, q.ds.Key, q.unit, all, q.p); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if trend > 0 {
		if resp.Trend, err = h.svc.Trend(ctx, q.ds.Key, q.unit, all, q.p, trend); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, resp)
}
