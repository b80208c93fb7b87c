package org

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/sheet"
)

// The actions of units' own data (see the package doc).
const (
	ActionReportRead   = "report.read"
	ActionProfileWrite = "org.profile.write"
	ActionStaffRead    = "org.staff.read"
	ActionStaffWrite   = "org.staff.write"
)

// The audited changes of units' own data, each on the unit changed (a
// village import on COMMUNE/MTTQ).
const (
	AuditProfileUpdate = "org.profile.update"
	AuditStaffUpdate   = "org.staff.update"
	AuditStaffImport   = "org.staff.import"
	AuditVillageImport = "org.village.import"
)

//go:embed static/*.css
var staticFiles embed.FS

// MaxImportBytes bounds an imported file (the site's body limit bounds the
// request around it).
const MaxImportBytes = 1 << 20

// MaxUnitsPage bounds a page of GET /api/v1/org/units.
const MaxUnitsPage = 1200

// registerUnits adds the routes of units' own data.
func (h *Handler) registerUnits(r Router) {
	r.Handle(http.MethodGet, "/api/v1/org/units", http.HandlerFunc(h.APIUnits))
	r.Handle(http.MethodGet, "/api/v1/org/units/{territory}/{org}/profile", http.HandlerFunc(h.APIProfile))
	r.Handle(http.MethodPut, "/api/v1/org/units/{territory}/{org}/profile", http.HandlerFunc(h.APISaveProfile))
	r.Handle(http.MethodGet, "/api/v1/org/units/{territory}/{org}/staff", http.HandlerFunc(h.APIStaff))
	r.Handle(http.MethodPut, "/api/v1/org/units/{territory}/{org}/staff", http.HandlerFunc(h.APISaveStaff))
	r.Handle(http.MethodPost, "/api/v1/org/units/{territory}/{org}/staff/import", http.HandlerFunc(h.APIImportStaff))
	r.Handle(http.MethodPost, "/api/v1/org/territories/{code}/villages/import", http.HandlerFunc(h.APIImportVillages))
	r.Handle(http.MethodGet, "/api/v1/org/rollout", http.HandlerFunc(h.APIRollout))

	r.Handle(http.MethodGet, "/don-vi", http.HandlerFunc(h.MyUnit))
	r.Handle(http.MethodGet, "/don-vi/{territory}/{org}", http.HandlerFunc(h.UnitPage))
	r.Handle(http.MethodPost, "/don-vi/{territory}/{org}/ho-so", http.HandlerFunc(h.ProfileForm))
	r.Handle(http.MethodPost, "/don-vi/{territory}/{org}/can-bo", http.HandlerFunc(h.AddPersonForm))
	r.Handle(http.MethodPost, "/don-vi/{territory}/{org}/can-bo/xoa", http.HandlerFunc(h.RemovePersonForm))
	r.Handle(http.MethodPost, "/don-vi/{territory}/{org}/can-bo/nhap", http.HandlerFunc(h.ImportStaffForm))
	r.Handle(http.MethodPost, "/quan-tri/dia-ban/{code}/thon/nhap", http.HandlerFunc(h.ImportVillagesForm))
	r.Handle(http.MethodGet, "/quan-tri/trien-khai", http.HandlerFunc(h.RolloutPage))
	r.Handle(http.MethodGet, "/don-vi/tep/{file}", http.HandlerFunc(h.asset))
}

// actor names the sender of r in histories: the Authorizer's Actor when it
// has one (auth's does), else "".
func (h *Handler) actor(r *http.Request) string {
	if a, ok := h.authz.(interface{ Actor(*http.Request) string }); ok {
		return a.Actor(r)
	}
	return ""
}

// allow asks the Authorizer whether r may do action on unit, and returns
// the status refusing it with a message, or 0.
func (h *Handler) allow(r *http.Request, action string, unit Unit) (int, string) {
	err := h.authz.Authorize(r, action, unit.String())
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
		h.log.ErrorContext(r.Context(), "org: authorizer failed; refusing", "action", action, "unit", unit.String(), "err", err)
	}
	if errors.Is(err, errNotConfigured) {
		return status, "Chưa cấu hình đăng nhập một lần (OpenID Connect), nên chưa ai đăng nhập được: " +
			"người quản trị máy chủ cần đặt OIDC_ISSUER, OIDC_CLIENT_ID và OIDC_CLIENT_SECRET."
	}
	if status == http.StatusUnauthorized {
		return status, "Cần đăng nhập để thực hiện thao tác này."
	}
	what := map[string]string{
		ActionReportRead:   "xem hồ sơ, số liệu",
		ActionProfileWrite: "sửa hồ sơ",
		ActionStaffRead:    "xem danh sách cán bộ",
		ActionStaffWrite:   "sửa danh sách cán bộ",
		ActionVillageWrite: "quản lý thôn, tổ dân phố",
	}[action]
	if what == "" {
		what = action
	}
	return status, fmt.Sprintf("Tài khoản của bạn không có quyền %s của đơn vị %s (not allowed).", what, unit)
}

// allowAPI is allow answering the refusal as JSON; false when refused.
func (h *Handler) allowAPI(w http.ResponseWriter, r *http.Request, action string, unit Unit) bool {
	if status, msg := h.allow(r, action, unit); status != 0 {
		api.WriteError(w, status, authCode(status), "", msg)
		return false
	}
	return true
}

// unitFromPath reads {territory}/{org} and looks the territory up: a
// malformed one is 400 naming the part, an unknown territory 404.
func (h *Handler) unitFromPath(r *http.Request) (Unit, Territory, *api.Error) {
	code, o := r.PathValue("territory"), r.PathValue("org")
	if strings.EqualFold(code, CentralCode) {
		code = CentralCode
	}
	if _, err := levelOf(code); err != nil {
		return Unit{}, Territory{}, api.BadRequest("invalid_code", "territory", fmt.Sprintf("Mã địa bàn %q không hợp lệ: cần %s.", clipText(code, 30), codeHelp))
	}
	org, err := ParseOrg(o)
	if err != nil {
		return Unit{}, Territory{}, api.BadRequest("invalid_org", "org", fmt.Sprintf("Tổ chức %q không có: chọn một trong %s.", clipText(o, 20), orgList()))
	}
	u := UnitOf(code, org)
	t, err := h.store.Territory(r.Context(), code)
	if err != nil {
		status, c, msg := storeProblem(err)
		return u, t, &api.Error{Status: status, Code: c, Message: msg}
	}
	return u, t, nil
}

// apiUnit is unitFromPath answering its refusal as JSON.
func (h *Handler) apiUnit(w http.ResponseWriter, r *http.Request) (Unit, Territory, bool) {
	u, t, e := h.unitFromPath(r)
	if e != nil {
		if e.Status == http.StatusInternalServerError {
			h.log.ErrorContext(r.Context(), "org: unit lookup failed", "path", r.URL.Path)
		}
		api.Fail(w, r, h.log, e)
		return u, t, false
	}
	return u, t, true
}

// unitProblem answers a Store error about units' own data.
func (h *Handler) unitProblem(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrRetired):
		api.WriteError(w, http.StatusConflict, "retired", "",
			"Thôn, tổ dân phố này đã ngừng hoạt động: hồ sơ và danh sách cán bộ của nó được giữ lại để tra cứu, không sửa được nữa.")
	case errors.Is(err, ErrConflict):
		api.WriteError(w, http.StatusConflict, "conflict", "version",
			"Dữ liệu đã được người khác sửa trong lúc bạn sửa: hãy tải lại để xem bản mới rồi sửa lại (changed meanwhile).")
	default:
		h.apiError(w, r, err, "")
	}
}

// UnitRow is one unit of GET /api/v1/org/units.
type UnitRow struct {
	ID        string `json:"id"`
	Territory string `json:"territory"`
	Org       Org    `json:"org"`
	Name      string `json:"name"`
	Level     Level  `json:"level"`
	Retired   bool   `json:"retired"`
}

// UnitsResponse is the body of GET /api/v1/org/units: a page of units and,
// when there are more, the after= of the next page.
type UnitsResponse struct {
	Units []UnitRow `json:"units"`
	Next  string    `json:"next,omitempty"`
}

// Units lists the units of the active territories of level under parent
// (any level: the territories directly under parent; no parent: the
// country), organisation o only when not "", in path order and then the
// organisations' order, after the unit id after, at most limit of them;
// next is the last unit's id when more may follow. A commune's retired
// villages come too with includeRetired.
func (s *Store) Units(ctx context.Context, level Level, parent string, o Org, after string, limit int, includeRetired bool) (units []UnitRow, next string, err error) {
	fail := func(err error) ([]UnitRow, string, error) { return nil, "", fmt.Errorf("org: units: %w", err) }
	if parent == "" {
		parent = CentralCode
	}
	p, err := s.territory(ctx, s.db, parent)
	if err != nil {
		return fail(err)
	}
	lo, hi := below(p.Path)
	where := []string{"path > $1", "path < $2"}
	args := []any{lo, hi}
	if level != "" {
		where = append(where, fmt.Sprintf("level = $%d", len(args)+1))
		args = append(args, string(level))
	} else {
		where = append(where, fmt.Sprintf("parent_code = $%d", len(args)+1))
		args = append(args, parent)
	}
	if !includeRetired {
		where = append(where, "retired_at = ''")
	}
	orgs := Orgs
	if o != "" {
		orgs = []Org{o}
	}
	afterOrg, afterTerr := -1, ""
	if after != "" {
		au, err := ParseUnit(after)
		if err != nil {
			return fail(err)
		}
		at, err := s.territory(ctx, s.db, au.Territory)
		if err != nil {
			return fail(err)
		}
		where = append(where, fmt.Sprintf("path >= $%d", len(args)+1))
		args = append(args, at.Path)
		afterTerr = at.Code
		// The page starts at the cursor's territory, whose organisations
		// up to the cursor's are skipped.
		for i, x := range orgs {
			if x == au.Org {
				afterOrg = i
			}
		}
	}
	n := limit/len(orgs) + 2
	args = append(args, n)
	ts, err := s.queryTerritories(ctx, s.db, "WHERE "+strings.Join(where, " AND ")+fmt.Sprintf(" ORDER BY path LIMIT $%d", len(args)), args...)
	if err != nil {
		return fail(err)
	}
	units = []UnitRow{}
	for i, t := range ts {
		for j, x := range orgs {
			if i == 0 && t.Code == afterTerr && j <= afterOrg {
				continue
			}
			if len(units) == limit {
				return units, units[len(units)-1].ID, nil
			}
			units = append(units, UnitRow{ID: t.Unit(x).String(), Territory: t.Code, Org: x, Name: UnitName(t, x), Level: t.Level, Retired: t.Retired()})
		}
	}
	if len(ts) == n && len(units) > 0 {
		next = units[len(units)-1].ID
	}
	return units, next, nil
}

// APIUnits answers GET /api/v1/org/units?level=&parent=&org=&after=&limit=
// — public, as territory names are.
func (h *Handler) APIUnits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var level Level
	switch l := q.Get("level"); l {
	case "":
	case string(Province), string(Commune), string(Village), string(Central):
		level = Level(l)
	default:
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "level",
			fmt.Sprintf("Cấp %q không có: chọn province, commune hoặc village.", clipText(l, 20)))
		return
	}
	parent := strings.TrimSpace(q.Get("parent"))
	if strings.EqualFold(parent, CentralCode) {
		parent = CentralCode
	}
	if parent != "" && !h.checkCode(w, "parent", parent) {
		return
	}
	var o Org
	if s := q.Get("org"); s != "" {
		var err error
		if o, err = ParseOrg(s); err != nil {
			api.WriteError(w, http.StatusBadRequest, "invalid_org", "org", fmt.Sprintf("Tổ chức %q không có: chọn một trong %s.", clipText(s, 20), orgList()))
			return
		}
	}
	limit := 300
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxUnitsPage {
			api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "limit",
				fmt.Sprintf("limit phải là số nguyên từ 1 đến %d.", MaxUnitsPage))
			return
		}
		limit = n
	}
	after := q.Get("after")
	if after != "" {
		if _, err := ParseUnit(after); err != nil {
			api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "after",
				"after phải là mã đơn vị TERRITORY/ORG, như giá trị next của trang trước.")
			return
		}
	}
	all := false
	switch v := q.Get("include_retired"); v {
	case "", "0", "false":
	case "1", "true":
		all = true
	default:
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "include_retired",
			fmt.Sprintf("Tham số include_retired không hợp lệ: chỉ nhận 1 hoặc 0, nhận được %q.", clipText(v, 20)))
		return
	}
	if all {
		// Retired villages are shown to staff only, as on the villages list.
		commune := parent
		if l, _ := levelOf(commune); l != Commune {
			api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "include_retired",
				"include_retired=1 chỉ dùng với parent là mã một xã (the villages of one commune).")
			return
		}
		if _, err := h.store.Territory(r.Context(), commune); err != nil {
			h.apiError(w, r, err, "parent")
			return
		}
		if status, msg := h.authorize(r, ActionVillageRead, commune); status != 0 {
			api.WriteError(w, status, authCode(status), "", msg)
			return
		}
	}
	units, next, err := h.store.Units(r.Context(), level, parent, o, after, limit, all)
	if err != nil {
		h.apiError(w, r, err, "parent")
		return
	}
	api.WriteJSON(w, http.StatusOK, UnitsResponse{Units: units, Next: next})
}

// ProfileResponse is the body answering a profile: the unit, its
// profile and its latest changes.
type ProfileResponse struct {
	Unit    UnitView        `json:"unit"`
	Retired bool            `json:"retired"`
	Profile Profile         `json:"profile"`
	History []ProfileChange `json:"history"`
}

// ProfileRequest is the body of PUT …/profile: the fields to change (the
// others are kept) and, optionally, the version they were edited on.
type ProfileRequest struct {
	Members           *int64  `json:"members"`
	FullTimeStaff     *int64  `json:"full_time_staff"`
	CommitteeMembers  *int64  `json:"committee_members"`
	ExecutiveMembers  *int64  `json:"executive_members"`
	TypicalActivities *string `json:"typical_activities"`
	Difficulties      *string `json:"difficulties"`
	Recommendations   *string `json:"recommendations"`
	Version           *int    `json:"version"`
}

// apply puts the request's fields on p.
func (q ProfileRequest) apply(p *Profile) {
	for _, c := range []struct {
		from *int64
		to   *int64
	}{{q.Members, &p.Members}, {q.FullTimeStaff, &p.FullTimeStaff}, {q.CommitteeMembers, &p.CommitteeMembers}, {q.ExecutiveMembers, &p.ExecutiveMembers}} {
		if c.from != nil {
			*c.to = *c.from
		}
	}
	for _, c := range []struct {
		from *string
		to   *string
	}{{q.TypicalActivities, &p.TypicalActivities}, {q.Difficulties, &p.Difficulties}, {q.Recommendations, &p.Recommendations}} {
		if c.from != nil {
			*c.to = *c.from
		}
	}
	if q.Version != nil {
		p.Version = *q.Version
	}
}

// APIProfile answers GET /api/v1/org/units/{territory}/{org}/profile, for
// those allowed report.read on the unit.
func (h *Handler) APIProfile(w http.ResponseWriter, r *http.Request) {
	u, t, ok := h.apiUnit(w, r)
	if !ok || !h.allowAPI(w, r, ActionReportRead, u) {
		return
	}
	p, err := h.store.Profile(r.Context(), u)
	if err != nil {
		h.unitProblem(w, r, err)
		return
	}
	hist, err := h.store.ProfileHistory(r.Context(), u, 100)
	if err != nil {
		h.unitProblem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, ProfileResponse{Unit: unitView(t, u.Org), Retired: t.Retired(), Profile: p, History: hist})
}

func unitView(t Territory, o Org) UnitView {
	return UnitView{ID: t.Unit(o).String(), Org: o, Name: UnitName(t, o)}
}

// APISaveProfile answers PUT /api/v1/org/units/{territory}/{org}/profile
// for those allowed org.profile.write on the unit. With from_staff=1 the
// three staff counts are taken from the unit's staff list.
func (h *Handler) APISaveProfile(w http.ResponseWriter, r *http.Request) {
	u, t, ok := h.apiUnit(w, r)
	if !ok {
		return
	}
	fromStaff, e := flag(r.URL.Query().Get("from_staff"), "from_staff")
	if e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if !h.allowAPI(w, r, ActionProfileWrite, u) {
		return
	}
	var req ProfileRequest
	if e := api.DecodeLimit(w, r, &req, MaxBodyBytes*4); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if t.Retired() {
		h.unitProblem(w, r, ErrRetired)
		return
	}
	p, err := h.saveProfile(r, u, req, fromStaff)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) {
			api.Fail(w, r, h.log, ae)
			return
		}
		h.unitProblem(w, r, err)
		return
	}
	hist, err := h.store.ProfileHistory(r.Context(), u, 100)
	if err != nil {
		h.unitProblem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, ProfileResponse{Unit: unitView(t, u.Org), Profile: p, History: hist})
}

// saveProfile applies req (and the staff list's counts with fromStaff) to
// the unit's profile, saves it and audits the change. A value that fails
// Profile.Check is an *api.Error naming its field.
func (h *Handler) saveProfile(r *http.Request, u Unit, req ProfileRequest, fromStaff bool) (Profile, error) {
	ctx := r.Context()
	p, err := h.store.Profile(ctx, u)
	if err != nil {
		return p, err
	}
	before := p
	req.apply(&p)
	if fromStaff {
		l, err := h.store.Staff(ctx, u)
		if err != nil {
			return p, err
		}
		c := l.Counts()
		p.FullTimeStaff, p.CommitteeMembers, p.ExecutiveMembers = c.FullTime, c.Committee, c.Executive
	}
	p.normalize()
	if probs := p.Check(); len(probs) > 0 {
		return p, probs[0]
	}
	saved, err := h.store.SaveProfile(ctx, u, p, h.actor(r))
	if err != nil {
		return p, err
	}
	if saved.Version != before.Version {
		var fields []string
		b, a := before.values(), saved.values()
		for _, f := range ProfileFields {
			if b[f.Key] != a[f.Key] {
				fields = append(fields, f.Key)
			}
		}
		target := fmt.Sprintf("v%d: %s", saved.Version, strings.Join(fields, ", "))
		h.log.InfoContext(ctx, "org: profile changed", "unit", u.String(), "version", saved.Version, "fields", fields)
		if h.audit != nil {
			h.audit.Audit(r, AuditProfileUpdate, u.String(), target)
		}
	}
	return saved, nil
}

// flag reads a 0/1 parameter.
func flag(v, field string) (bool, *api.Error) {
	switch v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, api.BadRequest("invalid_parameter", field, fmt.Sprintf("Tham số %s chỉ nhận 1 hoặc 0, nhận được %q.", field, clipText(v, 20)))
}

// StaffResponse is the body answering a staff list, with the counts it
// gives the profile.
type StaffResponse struct {
	Unit   UnitView    `json:"unit"`
	Staff  StaffList   `json:"staff"`
	Counts StaffCounts `json:"counts"`
}

// StaffRequest is the body of PUT …/staff: the whole list and, optionally,
// the version it was edited on.
type StaffRequest struct {
	People  []Person `json:"people"`
	Version *int     `json:"version"`
}

// APIStaff answers GET /api/v1/org/units/{territory}/{org}/staff for those
// allowed org.staff.read on the unit: personal data, never cached. With
// format=csv or xlsx it is a file in the import's columns, which can be
// edited and imported again.
func (h *Handler) APIStaff(w http.ResponseWriter, r *http.Request) {
	u, t, ok := h.apiUnit(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "format",
			fmt.Sprintf("Định dạng %q không có: chọn json, csv hoặc xlsx.", clipText(format, 20)))
		return
	}
	if !h.allowAPI(w, r, ActionStaffRead, u) {
		return
	}
	l, err := h.store.Staff(r.Context(), u)
	if err != nil {
		h.unitProblem(w, r, err)
		return
	}
	if format == "csv" || format == "xlsx" {
		header := make([]string, len(staffColumns))
		for i, c := range staffColumns {
			header[i] = c.Label
		}
		rows := make([][]any, len(l.People))
		for i, p := range l.People {
			rows[i] = []any{p.Name, p.Position, p.FullTime, p.Committee, p.Executive, p.Phone, p.Email, p.Note}
		}
		name := "danh-sach-can-bo_" + u.Territory + "-" + string(u.Org)
		h.sendFile(w, r, format, name, "Danh sách cán bộ", header, rows, []float64{28, 24, 12, 12, 12, 16, 28, 24}, false)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, StaffResponse{Unit: unitView(t, u.Org), Staff: l, Counts: l.Counts()})
}

// APISaveStaff answers PUT /api/v1/org/units/{territory}/{org}/staff for
// those allowed org.staff.write on the unit.
func (h *Handler) APISaveStaff(w http.ResponseWriter, r *http.Request) {
	u, t, ok := h.apiUnit(w, r)
	if !ok || !h.allowAPI(w, r, ActionStaffWrite, u) {
		return
	}
	var req StaffRequest
	if e := api.DecodeLimit(w, r, &req, MaxImportBytes); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	if req.People == nil {
		api.WriteError(w, http.StatusBadRequest, "missing_field", "people", "Cần trường people: danh sách cán bộ (có thể rỗng: []).")
		return
	}
	if t.Retired() {
		h.unitProblem(w, r, ErrRetired)
		return
	}
	for i := range req.People {
		req.People[i].normalize()
	}
	if probs := CheckPeople(req.People); len(probs) > 0 {
		api.Fail(w, r, h.log, probs[0])
		return
	}
	version := -1
	if req.Version != nil {
		version = *req.Version
	}
	l, err := h.saveStaff(r, u, req.People, version, AuditStaffUpdate)
	if err != nil {
		h.unitProblem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, StaffResponse{Unit: unitView(t, u.Org), Staff: l, Counts: l.Counts()})
}

// saveStaff saves a list and audits the change by its numbers only: the
// audit log and the server's log never hold the people's details.
func (h *Handler) saveStaff(r *http.Request, u Unit, people []Person, version int, action string) (StaffList, error) {
	l, ch, err := h.store.SaveStaff(r.Context(), u, people, version, h.actor(r))
	if err != nil {
		return l, err
	}
	if !ch.NothingToChange || action == AuditStaffImport {
		target := fmt.Sprintf("v%d: %d → %d người (thêm %d, bỏ %d, sửa %d)", ch.Version, ch.Before, ch.After, ch.Added, ch.Removed, ch.Changed)
		h.log.InfoContext(r.Context(), "org: staff list changed", "unit", u.String(), "version", ch.Version, "people", ch.After)
		if h.audit != nil {
			h.audit.Audit(r, action, u.String(), target)
		}
	}
	return l, nil
}

// ImportProblem is the body refusing an import: the error, and every row
// problem found (row as the spreadsheet numbers it, the column, the
// message); nothing was written.
type ImportProblem struct {
	Error *api.Error        `json:"error"`
	Rows  []sheet.CellError `json:"rows,omitempty"`
}

// importFile reads the uploaded table of r: a multipart form's "file", or
// the body itself as text/csv or an XLSX content type. The refusal is
// ready to answer.
func importFile(w http.ResponseWriter, r *http.Request) (sheet.Table, *ImportProblem) {
	fail := func(status int, code, field, msg string) (sheet.Table, *ImportProblem) {
		return sheet.Table{}, &ImportProblem{Error: &api.Error{Status: status, Code: code, Field: field, Message: msg}}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	var body io.Reader
	name := "tệp"
	switch mt {
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes+64<<10)
		f, fh, err := r.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return fail(http.StatusRequestEntityTooLarge, "body_too_large", "file", fmt.Sprintf("Tệp quá lớn: tối đa %d KiB.", MaxImportBytes>>10))
			}
			return fail(http.StatusBadRequest, "missing_file", "file", "Hãy chọn tệp CSV hoặc XLSX để nhập (trường file).")
		}
		defer f.Close()
		body, name = f, fh.Filename
	case "text/csv", "text/plain", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream":
		body = r.Body
	default:
		return fail(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type",
			fmt.Sprintf("Tệp nhập phải là CSV (text/csv) hoặc XLSX, gửi thẳng hoặc trong biểu mẫu multipart/form-data (trường file); nhận được %q.",
				clipText(r.Header.Get("Content-Type"), 60)))
	}
	tb, err := sheet.Read(body, name, MaxImportBytes)
	var cells sheet.Errors
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return tb, nil
	case errors.As(err, &cells):
		p := &ImportProblem{Rows: cells}
		p.Error = &api.Error{Status: http.StatusBadRequest, Code: "invalid_rows", Field: "file",
			Message: fmt.Sprintf("Tệp có %d ô không hợp lệ, không có gì được ghi. Dòng %d, cột %s: %s", len(cells), cells[0].Row, cells[0].Column, cells[0].Message)}
		return tb, p
	case errors.Is(err, sheet.ErrTooLarge), errors.As(err, &tooBig):
		return fail(http.StatusRequestEntityTooLarge, "file_too_large", "file",
			fmt.Sprintf("Tệp quá lớn: tối đa %d KiB, %d dòng, %d cột.", MaxImportBytes>>10, sheet.MaxRows, sheet.MaxColumns))
	case errors.Is(err, sheet.ErrUnreadable):
		return fail(http.StatusBadRequest, "unreadable_file", "file",
			"Không đọc được tệp: cần tệp CSV (UTF-8) hoặc XLSX có dòng tiêu đề ở đầu.")
	}
	return fail(http.StatusBadRequest, "unreadable_file", "file", "Không đọc được tệp gửi lên.")
}

// column names: the header cell of a column may be any of these, compared
// without diacritics, case or spacing.
type columnSpec struct {
	Key      string
	Label    string
	Names    []string
	Required bool
}

var staffColumns = []columnSpec{
	{"name", "Họ và tên", []string{"ho va ten", "ho ten", "ten", "name"}, true},
	{"position", "Chức vụ", []string{"chuc vu", "position"}, false},
	{"full_time", "Chuyên trách", []string{"chuyen trach", "full time", "full_time"}, false},
	{"committee_member", "Ủy viên Ủy ban MTTQ", []string{"uy vien uy ban mttq", "uy vien uy ban", "uy vien mttq", "committee", "committee_member"}, false},
	{"executive_member", "Ủy viên Ban Chấp hành", []string{"uy vien ban chap hanh", "uy vien bch", "executive", "executive_member"}, false},
	{"phone", "Điện thoại", []string{"dien thoai", "so dien thoai", "sdt", "phone"}, false},
	{"email", "Thư điện tử", []string{"thu dien tu", "email", "e-mail", "e mail"}, false},
	{"note", "Ghi chú", []string{"ghi chu", "note"}, false},
}

var villageColumns = []columnSpec{
	{"name", "Tên", []string{"ten", "ten thon", "ten thon to dan pho", "name"}, true},
	{"kind", "Loại", []string{"loai", "kind"}, true},
}

func headerKey(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("_", " ", ",", " ", "(", " ", ")", " ").Replace(
		strings.ToLower(corpus.Fold(s)))), " ")
}

// mapColumns finds each spec's column in the header: unknown or repeated
// columns and missing required ones are problems of row 1.
func mapColumns(header []string, specs []columnSpec) (map[string]int, []sheet.CellError) {
	at := map[string]int{}
	var probs []sheet.CellError
	for c, h := range header {
		k := headerKey(h)
		found := ""
		for _, s := range specs {
			for _, n := range s.Names {
				if k == n {
					found = s.Key
				}
			}
		}
		col := h
		if col == "" {
			col = columnLetter(c)
		}
		switch {
		case found == "":
			probs = append(probs, sheet.CellError{Row: 1, Column: col, Message: fmt.Sprintf("cột %q không dùng được; các cột nhận: %s (unknown column).", h, specLabels(specs))})
		case at[found] != 0:
			probs = append(probs, sheet.CellError{Row: 1, Column: col, Message: "cột này có hai lần (repeated column)."})
		default:
			at[found] = c + 1
		}
	}
	for _, s := range specs {
		if s.Required && at[s.Key] == 0 {
			probs = append(probs, sheet.CellError{Row: 1, Column: s.Label, Message: fmt.Sprintf("thiếu cột bắt buộc %q (missing column).", s.Label)})
		}
	}
	out := map[string]int{}
	for k, v := range at {
		out[k] = v - 1
	}
	return out, probs
}

func specLabels(specs []columnSpec) string {
	l := make([]string, len(specs))
	for i, s := range specs {
		l[i] = s.Label
	}
	return strings.Join(l, ", ")
}

func columnLetter(c int) string {
	s := ""
	for c++; c > 0; c = (c - 1) / 26 {
		s = string(rune('A'+(c-1)%26)) + s
	}
	return s
}

// yesNo reads a yes/no cell.
func yesNo(s string) (bool, bool) {
	switch headerKey(s) {
	case "", "khong", "0", "false", "no", "k":
		return false, true
	case "x", "co", "1", "true", "yes", "c", "v":
		return true, true
	}
	return false, false
}

// staffFromTable reads people from an imported table, with every row's
// problems.
func staffFromTable(tb sheet.Table) ([]Person, []sheet.CellError) {
	cols, probs := mapColumns(tb.Header, staffColumns)
	if len(probs) > 0 {
		return nil, probs
	}
	if len(tb.Rows) > MaxStaff {
		return nil, []sheet.CellError{{Row: tb.Lines[MaxStaff], Column: "", Message: fmt.Sprintf("danh sách quá dài: tối đa %d người.", MaxStaff)}}
	}
	label := map[string]string{}
	for _, s := range staffColumns {
		label[s.Key] = tb.Header[0]
		if c, ok := cols[s.Key]; ok {
			label[s.Key] = tb.Header[c]
		}
	}
	get := func(row []string, key string) string {
		if c, ok := cols[key]; ok {
			return row[c]
		}
		return ""
	}
	var people []Person
	for i, row := range tb.Rows {
		line := tb.Lines[i]
		p := Person{Name: get(row, "name"), Position: get(row, "position"), Phone: get(row, "phone"), Email: get(row, "email"), Note: get(row, "note")}
		for _, b := range []struct {
			key string
			to  *bool
		}{{"full_time", &p.FullTime}, {"committee_member", &p.Committee}, {"executive_member", &p.Executive}} {
			v, ok := yesNo(get(row, b.key))
			if !ok {
				probs = append(probs, sheet.CellError{Row: line, Column: label[b.key],
					Message: fmt.Sprintf("%q không đọc được: ghi x (hoặc có) khi đúng, để trống (hoặc không) khi không (yes/no).", clipText(get(row, b.key), 30))})
			}
			*b.to = v
		}
		p.normalize()
		for _, e := range p.Check("") {
			key := e.Field
			if key == "phone" || key == "email" || key == "name" || key == "position" || key == "note" {
				probs = append(probs, sheet.CellError{Row: line, Column: label[key], Message: e.Message})
			}
		}
		people = append(people, p)
	}
	return people, probs
}

// APIImportStaff answers POST /api/v1/org/units/{territory}/{org}/staff/import:
// the unit's list replaced by the file's people, all or nothing, for those
// allowed org.staff.write on the unit.
func (h *Handler) APIImportStaff(w http.ResponseWriter, r *http.Request) {
	u, t, ok := h.apiUnit(w, r)
	if !ok || !h.allowAPI(w, r, ActionStaffWrite, u) {
		return
	}
	l, prob, err := h.importStaff(w, r, u, t)
	if prob != nil {
		api.WriteJSON(w, prob.Error.Status, prob)
		return
	}
	if err != nil {
		h.unitProblem(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, StaffResponse{Unit: unitView(t, u.Org), Staff: l, Counts: l.Counts()})
}

func (h *Handler) importStaff(w http.ResponseWriter, r *http.Request, u Unit, t Territory) (StaffList, *ImportProblem, error) {
	tb, prob := importFile(w, r)
	if prob != nil {
		return StaffList{}, prob, nil
	}
	if t.Retired() {
		return StaffList{}, nil, ErrRetired
	}
	people, rows := staffFromTable(tb)
	if len(rows) > 0 {
		return StaffList{}, rowsProblem(rows), nil
	}
	l, err := h.saveStaff(r, u, people, -1, AuditStaffImport)
	return l, nil, err
}

func rowsProblem(rows []sheet.CellError) *ImportProblem {
	if len(rows) > 100 {
		rows = rows[:100]
	}
	return &ImportProblem{Rows: rows, Error: &api.Error{Status: http.StatusBadRequest, Code: "invalid_rows", Field: "file",
		Message: fmt.Sprintf("Tệp có %d lỗi, không có gì được ghi. Dòng %d, cột %s: %s", len(rows), rows[0].Row, rows[0].Column, rows[0].Message)}}
}

// VillagesImportResponse answers a villages import: the villages created.
type VillagesImportResponse struct {
	Commune  Territory   `json:"commune"`
	Created  []Territory `json:"created"`
	Villages []Territory `json:"villages"`
}

// APIImportVillages answers POST /api/v1/org/territories/{code}/villages/import:
// the file's villages created in the commune, all or nothing, for those
// allowed org.village.write on COMMUNE/MTTQ.
func (h *Handler) APIImportVillages(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !h.checkCommune(w, code) {
		return
	}
	c, err := h.store.Territory(r.Context(), code)
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	if status, msg := h.authorize(r, ActionVillageWrite, code); status != 0 {
		api.WriteError(w, status, authCode(status), "", msg)
		return
	}
	created, prob, err := h.importVillages(w, r, code)
	if prob != nil {
		api.WriteJSON(w, prob.Error.Status, prob)
		return
	}
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	vs, err := h.store.Villages(r.Context(), code, false)
	if err != nil {
		h.apiError(w, r, err, "code")
		return
	}
	api.WriteJSON(w, http.StatusCreated, VillagesImportResponse{Commune: c, Created: created, Villages: vs})
}

func (h *Handler) importVillages(w http.ResponseWriter, r *http.Request, commune string) ([]Territory, *ImportProblem, error) {
	tb, prob := importFile(w, r)
	if prob != nil {
		return nil, prob, nil
	}
	cols, probs := mapColumns(tb.Header, villageColumns)
	if len(probs) > 0 {
		return nil, rowsProblem(probs), nil
	}
	var rows []VillageRow
	for i, row := range tb.Rows {
		rows = append(rows, VillageRow{Line: tb.Lines[i], Name: row[cols["name"]], Kind: row[cols["kind"]]})
	}
	created, rowErrs, err := h.store.ImportVillages(r.Context(), commune, rows)
	if len(rowErrs) > 0 {
		for i := range rowErrs {
			if rowErrs[i].Column == "name" {
				rowErrs[i].Column = tb.Header[cols["name"]]
			} else {
				rowErrs[i].Column = tb.Header[cols["kind"]]
			}
		}
		return nil, rowsProblem(rowErrs), nil
	}
	if err != nil {
		return nil, nil, err
	}
	target := fmt.Sprintf("%d thôn, tổ dân phố", len(created))
	h.log.InfoContext(r.Context(), "org: villages imported", "commune", commune, "villages", len(created))
	if h.audit != nil {
		h.audit.Audit(r, AuditVillageImport, UnitOf(commune, MTTQ).String(), target)
	}
	return created, nil, nil
}

// VillageRow is one village of an import: its line in the file, its name
// and kind as typed.
type VillageRow struct {
	Line       int
	Name, Kind string
}

// ImportVillages creates the villages of rows in the commune, in their
// order, all or nothing, by CreateVillage's rules: a name or kind that
// cannot be used, or a name that an active village of the commune — or an
// earlier row — already has, is a problem of its row (Column "name" or
// "kind"); with any problem nothing is created. An empty file creates
// nothing.
func (s *Store) ImportVillages(ctx context.Context, commune string, rows []VillageRow) ([]Territory, []sheet.CellError, error) {
	fail := func(err error) ([]Territory, []sheet.CellError, error) {
		return nil, nil, fmt.Errorf("org: import villages of %s: %w", commune, err)
	}
	existing, err := s.Villages(ctx, commune, false)
	if err != nil {
		return fail(err)
	}
	taken := map[string]string{}
	for _, v := range existing {
		taken[NameKey(v.Name)] = fmt.Sprintf("%s đã có (mã %s)", v.Name, v.Code)
	}
	var probs []sheet.CellError
	for _, row := range rows {
		k, kerr := ParseVillageKind(row.Kind)
		if msg := kindProblem(row.Kind, true); msg != "" || kerr != nil {
			probs = append(probs, sheet.CellError{Row: row.Line, Column: "kind", Message: msg})
			continue
		}
		if msg := nameProblem(row.Name); msg != "" {
			probs = append(probs, sheet.CellError{Row: row.Line, Column: "name", Message: msg})
			continue
		}
		_, full, err := villageName(k, row.Name)
		if err != nil {
			probs = append(probs, sheet.CellError{Row: row.Line, Column: "name", Message: "Tên thôn, tổ dân phố không dùng được."})
			continue
		}
		key := NameKey(full)
		if why, ok := taken[key]; ok {
			probs = append(probs, sheet.CellError{Row: row.Line, Column: "name",
				Message: fmt.Sprintf("trùng tên: %s (duplicate name).", why)})
			continue
		}
		taken[key] = fmt.Sprintf("%s đã có ở dòng %d", full, row.Line)
	}
	if len(probs) > 0 {
		return nil, probs, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	var out []Territory
	for _, row := range rows {
		t, err := s.createVillage(ctx, tx, commune, row.Name, row.Kind)
		if err != nil {
			// A village created meanwhile by someone else.
			if errors.Is(err, ErrDuplicate) {
				return nil, []sheet.CellError{{Row: row.Line, Column: "name", Message: "trùng tên với một thôn vừa được tạo (duplicate name)."}}, nil
			}
			return fail(err)
		}
		out = append(out, t)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	if out == nil {
		out = []Territory{}
	}
	return out, nil, nil
}

// unitPageView is the data of the "unit" page: a unit's profile with its
// history and, for those allowed, its staff list and the forms.
type unitPageView struct {
	Unit        UnitView
	Territory   Territory
	Ancestors   []Territory
	Siblings    []UnitView // the territory's other units
	Up          []UnitView // the units above of the same organisation, the country's first
	Children    []UnitView // the same organisation's units one level down
	Profile     Profile
	Fields      []profileFieldView
	History     []ProfileChange
	CanEdit     bool
	CanStaff    bool
	CanStaffW   bool
	CanVillages bool
	Staff       StaffList
	Counts      StaffCounts
	StaffCols   []columnSpec
	VillageCols []columnSpec
	Kinds       []string
	MaxText     int
	Flash       string
	Error       string
	RowErrors   []sheet.CellError
	Add         Person
	AddOpen     bool   // the add form failed: show it open
	EditN       int    // the person whose edit form failed, from 1
	Edit        Person // what it held
	CSRFField   string
	CSRF        string
}

type profileFieldView struct {
	Key, Label, Value string
	Count             bool
}

var unitFlashes = map[string]string{
	"ho-so":   "Đã lưu hồ sơ đơn vị.",
	"dem":     "Đã lấy số cán bộ chuyên trách, ủy viên từ danh sách cán bộ.",
	"them":    "Đã thêm một người vào danh sách cán bộ.",
	"xoa":     "Đã bỏ một người khỏi danh sách cán bộ.",
	"sua":     "Đã sửa thông tin trong danh sách cán bộ.",
	"nhap":    "Đã nhập danh sách cán bộ từ tệp.",
	"nhap-th": "Đã nhập các thôn, tổ dân phố từ tệp.",
}

// UnitPage serves /don-vi/{territory}/{org}: the unit's profile and its
// history for those allowed report.read on it (upper levels read their
// subtree), the edit form for org.profile.write, the staff list for
// org.staff.read and its forms for org.staff.write; for a commune's Front
// unit, the villages import form for org.village.write.
func (h *Handler) UnitPage(w http.ResponseWriter, r *http.Request) {
	h.renderUnit(w, r, http.StatusOK, func(v *unitPageView) {
		if msg, ok := unitFlashes[r.URL.Query().Get("ok")]; ok {
			v.Flash = msg
		}
	})
}

// pageUnit reads the unit of a page's path, or shows the refusal.
func (h *Handler) pageUnit(w http.ResponseWriter, r *http.Request) (Unit, Territory, bool) {
	u, t, e := h.unitFromPath(r)
	if e != nil {
		switch e.Status {
		case http.StatusInternalServerError:
			h.denied(w, r, e.Status, "Đã có lỗi xảy ra", e.Message)
		case http.StatusNotFound:
			h.denied(w, r, e.Status, "Không tìm thấy đơn vị", e.Message)
		default:
			h.denied(w, r, http.StatusNotFound, "Không tìm thấy đơn vị", e.Message)
		}
		return u, t, false
	}
	return u, t, true
}

func (h *Handler) renderUnit(w http.ResponseWriter, r *http.Request, status int, adjust func(*unitPageView)) {
	ctx := r.Context()
	u, t, ok := h.pageUnit(w, r)
	if !ok {
		return
	}
	if st, msg := h.allow(r, ActionReportRead, u); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	v := unitPageView{Unit: unitView(t, u.Org), Territory: t, CSRFField: h.field, MaxText: MaxProfileText,
		StaffCols: staffColumns, VillageCols: villageColumns, Kinds: VillageKinds}
	if h.csrf != nil {
		v.CSRF = h.csrf(r)
	}
	var err error
	if v.Profile, err = h.store.Profile(ctx, u); err == nil {
		if v.History, err = h.store.ProfileHistory(ctx, u, 50); err == nil {
			v.Ancestors, err = h.store.Ancestors(ctx, t.Code)
		}
	}
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	vals := v.Profile.values()
	for _, f := range ProfileFields {
		v.Fields = append(v.Fields, profileFieldView{Key: f.Key, Label: f.Label, Value: vals[f.Key], Count: f.Count})
	}
	for _, o := range Orgs {
		if o != u.Org {
			v.Siblings = append(v.Siblings, unitView(t, o))
		}
	}
	for _, a := range v.Ancestors {
		v.Up = append(v.Up, unitView(a, u.Org))
	}
	if t.Level != Village {
		kids, err := h.store.Children(ctx, t.Code)
		if err != nil {
			h.pageError(w, r, err)
			return
		}
		for _, k := range kids {
			v.Children = append(v.Children, unitView(k, u.Org))
		}
	}
	// Editing is asked about first: the roles that may read staff lists
	// are those that may edit, so a viewer is refused once, not twice.
	if !t.Retired() {
		v.CanEdit = h.can(r, ActionProfileWrite, u)
	}
	if v.CanEdit {
		v.CanStaff = h.can(r, ActionStaffRead, u)
	}
	if v.CanStaff {
		if v.Staff, err = h.store.Staff(ctx, u); err != nil {
			h.pageError(w, r, err)
			return
		}
		v.Counts = v.Staff.Counts()
		v.CanStaffW = !t.Retired() && h.can(r, ActionStaffWrite, u)
	}
	if t.Level == Commune && u.Org == MTTQ && v.CanEdit {
		v.CanVillages = h.can(r, ActionVillageWrite, u)
	}
	if adjust != nil {
		adjust(&v)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "unit", v)
}

// can reports whether r may do action on u, to choose what a page shows.
// When the Authorizer can list the sender's scopes it answers from them,
// so that showing a viewer a page writes no refusal to the audit log;
// otherwise it asks the Authorizer.
func (h *Handler) can(r *http.Request, action string, u Unit) bool {
	if sc, ok := h.authz.(interface {
		Scopes(r *http.Request, action string) ([]string, error)
	}); ok {
		ids, err := sc.Scopes(r, action)
		if err != nil {
			return false
		}
		for _, id := range ids {
			a, err := ParseUnit(id)
			if err != nil {
				continue
			}
			if in, err := h.store.Contains(r.Context(), a, u); err == nil && in {
				return true
			}
		}
		return false
	}
	st, _ := h.allow(r, action, u)
	return st == 0
}

// unitDone sends the browser back to the unit's page after a change.
func (h *Handler) unitDone(w http.ResponseWriter, r *http.Request, u Unit, what, anchor string) {
	http.Redirect(w, r, unitURL(u)+"?ok="+what+"#"+anchor, http.StatusSeeOther)
}

func unitURL(u Unit) string {
	return "/don-vi/" + url.PathEscape(u.Territory) + "/" + url.PathEscape(string(u.Org))
}

// formUnit checks a form's unit, action and body; false when it has
// answered.
func (h *Handler) formUnit(w http.ResponseWriter, r *http.Request, action string) (Unit, Territory, bool) {
	u, t, ok := h.pageUnit(w, r)
	if !ok {
		return u, t, false
	}
	if st, msg := h.allow(r, action, u); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return u, t, false
	}
	if t.Retired() {
		h.denied(w, r, http.StatusConflict, "Đơn vị đã ngừng hoạt động",
			"Thôn, tổ dân phố này đã ngừng hoạt động: hồ sơ và danh sách cán bộ được giữ lại để tra cứu, không sửa được nữa.")
		return u, t, false
	}
	return u, t, true
}

// ProfileForm handles the profile form of a unit's page; its button
// "from_staff" takes the staff counts from the staff list instead.
func (h *Handler) ProfileForm(w http.ResponseWriter, r *http.Request) {
	u, _, ok := h.formUnit(w, r, ActionProfileWrite)
	if !ok || !h.parseForm(w, r) {
		return
	}
	var req ProfileRequest
	var problem string
	for _, f := range ProfileFields {
		val := r.PostFormValue(f.Key)
		if f.Count {
			val = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(val), ".", ""), " ", "")
			if val == "" {
				val = "0"
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil && problem == "" {
				problem = fmt.Sprintf("%s phải là một số nguyên không âm, nhận được %q.", f.Label, clipText(r.PostFormValue(f.Key), 20))
			}
			n2 := n
			switch f.Key {
			case "members":
				req.Members = &n2
			case "full_time_staff":
				req.FullTimeStaff = &n2
			case "committee_members":
				req.CommitteeMembers = &n2
			case "executive_members":
				req.ExecutiveMembers = &n2
			}
			continue
		}
		s := val
		switch f.Key {
		case "typical_activities":
			req.TypicalActivities = &s
		case "difficulties":
			req.Difficulties = &s
		case "recommendations":
			req.Recommendations = &s
		}
	}
	if ver, err := strconv.Atoi(r.PostFormValue("version")); err == nil {
		req.Version = &ver
	}
	fromStaff := r.PostFormValue("from_staff") == "1"
	if fromStaff && !h.can(r, ActionStaffRead, u) {
		fromStaff = false
		problem = "Tài khoản của bạn không xem được danh sách cán bộ nên không lấy số từ đó được."
	}
	if problem == "" {
		_, err := h.saveProfile(r, u, req, fromStaff)
		if err == nil {
			what := "ho-so"
			if fromStaff {
				what = "dem"
			}
			h.unitDone(w, r, u, what, "ho-so")
			return
		}
		var ae *api.Error
		switch {
		case errors.As(err, &ae):
			problem = ae.Message
		case errors.Is(err, ErrConflict):
			problem = "Hồ sơ đã được người khác sửa trong lúc bạn sửa. Trang dưới đây là bản mới nhất: hãy sửa lại."
		default:
			h.pageError(w, r, err)
			return
		}
	}
	h.renderUnit(w, r, http.StatusUnprocessableEntity, func(v *unitPageView) {
		v.Error = problem
		if req.Version != nil && !strings.Contains(problem, "người khác") {
			req.apply(&v.Profile)
			vals := v.Profile.values()
			for i := range v.Fields {
				if f := v.Fields[i]; f.Count {
					v.Fields[i].Value = r.PostFormValue(f.Key)
				} else {
					v.Fields[i].Value = vals[f.Key]
				}
			}
		}
	})
}

// AddPersonForm adds one person at the end of the unit's staff list or,
// with n (from 1), changes the n-th person of the list at the version the
// page showed.
func (h *Handler) AddPersonForm(w http.ResponseWriter, r *http.Request) {
	u, _, ok := h.formUnit(w, r, ActionStaffWrite)
	if !ok || !h.parseForm(w, r) {
		return
	}
	p := Person{Name: r.PostFormValue("name"), Position: r.PostFormValue("position"), Phone: r.PostFormValue("phone"),
		Email: r.PostFormValue("email"), Note: r.PostFormValue("note"), FullTime: r.PostFormValue("full_time") == "1",
		Committee: r.PostFormValue("committee_member") == "1", Executive: r.PostFormValue("executive_member") == "1"}
	p.normalize()
	edit := 0
	if s := r.PostFormValue("n"); s != "" {
		var err error
		if edit, err = strconv.Atoi(s); err != nil || edit == 0 {
			edit = -1 // no such person
		}
	}
	problem := ""
	if probs := p.Check(""); len(probs) > 0 {
		problem = probs[0].Message
	}
	if problem == "" {
		l, err := h.store.Staff(r.Context(), u)
		if err != nil {
			h.pageError(w, r, err)
			return
		}
		ver, verr := strconv.Atoi(r.PostFormValue("version"))
		if verr != nil {
			ver = l.Version
		}
		people := append(append([]Person(nil), l.People...), p)
		what := "them"
		if edit != 0 {
			if edit < 0 || edit > len(l.People) || ver != l.Version {
				err = ErrConflict
			}
			people, what = append([]Person(nil), l.People...), "sua"
			if err == nil {
				people[edit-1] = p
			}
		}
		if err == nil {
			_, err = h.saveStaff(r, u, people, ver, AuditStaffUpdate)
		}
		switch {
		case err == nil:
			h.unitDone(w, r, u, what, "can-bo")
			return
		case errors.Is(err, ErrConflict):
			problem = "Danh sách đã được người khác sửa trong lúc bạn sửa. Hãy xem lại danh sách dưới đây rồi sửa lại."
		case errors.Is(err, ErrInvalid):
			problem = "Danh sách có quá nhiều người hoặc có thông tin không hợp lệ."
		default:
			h.pageError(w, r, err)
			return
		}
	}
	h.renderUnit(w, r, http.StatusUnprocessableEntity, func(v *unitPageView) {
		v.Error = problem
		if edit != 0 {
			v.EditN, v.Edit = edit, p
		} else {
			v.Add, v.AddOpen = p, true
		}
	})
}

// RemovePersonForm removes the person at position n (from 1) of the list
// at the version the page showed.
func (h *Handler) RemovePersonForm(w http.ResponseWriter, r *http.Request) {
	u, _, ok := h.formUnit(w, r, ActionStaffWrite)
	if !ok || !h.parseForm(w, r) {
		return
	}
	l, err := h.store.Staff(r.Context(), u)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	n, _ := strconv.Atoi(r.PostFormValue("n"))
	ver, verr := strconv.Atoi(r.PostFormValue("version"))
	problem := ""
	switch {
	case verr != nil || ver != l.Version:
		problem = "Danh sách đã được người khác sửa trong lúc bạn xem. Hãy xem lại danh sách dưới đây."
	case n < 1 || n > len(l.People):
		problem = "Không có người này trong danh sách."
	default:
		people := append(append([]Person(nil), l.People[:n-1]...), l.People[n:]...)
		_, err := h.saveStaff(r, u, people, ver, AuditStaffUpdate)
		switch {
		case err == nil:
			h.unitDone(w, r, u, "xoa", "can-bo")
			return
		case errors.Is(err, ErrConflict):
			problem = "Danh sách đã được người khác sửa trong lúc bạn xem. Hãy xem lại danh sách dưới đây."
		default:
			h.pageError(w, r, err)
			return
		}
	}
	h.renderUnit(w, r, http.StatusConflict, func(v *unitPageView) { v.Error = problem })
}

// ImportStaffForm replaces the unit's staff list with an uploaded file's.
func (h *Handler) ImportStaffForm(w http.ResponseWriter, r *http.Request) {
	u, t, ok := h.formUnit(w, r, ActionStaffWrite)
	if !ok {
		return
	}
	_, prob, err := h.importStaff(w, r, u, t)
	if prob == nil && err == nil {
		h.unitDone(w, r, u, "nhap", "can-bo")
		return
	}
	if err != nil && prob == nil {
		h.pageError(w, r, err)
		return
	}
	h.renderUnit(w, r, prob.Error.Status, func(v *unitPageView) {
		v.Error, v.RowErrors = prob.Error.Message, prob.Rows
	})
}

// ImportVillagesForm creates a commune's villages from an uploaded file;
// it is on the commune's Front unit page and its territory page.
func (h *Handler) ImportVillagesForm(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if l, err := levelOf(code); err != nil || l != Commune {
		h.denied(w, r, http.StatusNotFound, "Không tìm thấy xã", fmt.Sprintf("%q không phải mã xã, phường, đặc khu.", clipText(code, 30)))
		return
	}
	if _, ok := h.pageExists(w, r, code); !ok {
		return
	}
	if st, msg := h.authorize(r, ActionVillageWrite, code); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	_, prob, err := h.importVillages(w, r, code)
	if prob == nil && err == nil {
		http.Redirect(w, r, unitURL(UnitOf(code, MTTQ))+"?ok=nhap-th#nhap-thon", http.StatusSeeOther)
		return
	}
	if prob == nil {
		h.pageError(w, r, err)
		return
	}
	r.SetPathValue("territory", code)
	r.SetPathValue("org", string(MTTQ))
	h.renderUnit(w, r, prob.Error.Status, func(v *unitPageView) {
		v.Error, v.RowErrors = prob.Error.Message, prob.Rows
	})
}

// rolloutView is the data of the "rollout" page.
type rolloutView struct {
	Rollout   Rollout
	Ancestors []Territory
	ByCommune bool
	Query     string
}

// scopes are the units at which the sender of r holds a role allowing
// action, when the Authorizer can say (auth's can); nil otherwise.
func (h *Handler) scopes(r *http.Request, action string) []Unit {
	sc, ok := h.authz.(interface {
		Scopes(r *http.Request, action string) ([]string, error)
	})
	if !ok {
		return nil
	}
	ids, err := sc.Scopes(r, action)
	if err != nil {
		return nil
	}
	var out []Unit
	for _, id := range ids {
		if u, err := ParseUnit(id); err == nil {
			out = append(out, u)
		}
	}
	return out
}

// MyUnit serves /don-vi: the page of the first unit at which the sender
// may read profiles, which links to the units around and below it.
func (h *Handler) MyUnit(w http.ResponseWriter, r *http.Request) {
	if us := h.scopes(r, ActionReportRead); len(us) > 0 {
		http.Redirect(w, r, unitURL(us[0]), http.StatusSeeOther)
		return
	}
	if st, msg := h.allow(r, ActionReportRead, UnitOf(CentralCode, MTTQ)); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	http.Redirect(w, r, unitURL(UnitOf(CentralCode, MTTQ)), http.StatusSeeOther)
}

// RolloutPage serves /quan-tri/trien-khai[?parent=CODE]: the rollout
// table by province, or by commune under a province, for those allowed
// report.read on PARENT/MTTQ, with its CSV and XLSX exports. Without
// parent it shows the country, or the province of the sender's first
// unit when that is all they may read.
func (h *Handler) RolloutPage(w http.ResponseWriter, r *http.Request) {
	parent := strings.TrimSpace(r.URL.Query().Get("parent"))
	if parent == "" {
		parent = CentralCode
		for _, u := range h.scopes(r, ActionReportRead) {
			if u.Territory == CentralCode {
				parent = CentralCode
				break
			}
			if t, err := h.store.Territory(r.Context(), u.Territory); err == nil && parent == CentralCode {
				if codes := pathCodes(t.Path); len(codes) > 1 {
					parent = codes[1]
				}
			}
		}
	}
	if strings.EqualFold(parent, CentralCode) {
		parent = CentralCode
	}
	if l, err := levelOf(parent); err != nil || (l != Central && l != Province) {
		h.denied(w, r, http.StatusNotFound, "Không tìm thấy địa bàn",
			"Số liệu triển khai xem theo tỉnh (cả nước) hoặc theo xã của một tỉnh (mã tỉnh 2 chữ số).")
		return
	}
	if _, ok := h.pageExists(w, r, parent); !ok {
		return
	}
	if st, msg := h.allow(r, ActionReportRead, UnitOf(parent, MTTQ)); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	ro, err := h.store.Rollout(r.Context(), parent)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	v := rolloutView{Rollout: ro, ByCommune: parent != CentralCode, Query: url.QueryEscape(parent)}
	if v.Ancestors, err = h.store.Ancestors(r.Context(), parent); err != nil {
		h.pageError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, http.StatusOK, "rollout", v)
}

// asset serves the pages' style sheet (the site's policy allows styles
// from the site only, not inline).
func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	data, err := staticFiles.ReadFile("static/" + name)
	if err != nil || !strings.HasSuffix(name, ".css") || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(data)
}
