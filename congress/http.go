package congress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
)

// The JSON API, under /api/v1/congress/{term}:
//
//	GET    /congresses?province=&level=&status=&format=csv|xlsx   the list (public)
//	GET    /congresses/{territory}                                one congress (public)
//	PUT    /congresses/{territory}                                the whole record (congress.write)
//	PATCH  /congresses/{territory}                                the fields sent (congress.write)
//	GET    /congresses/{territory}/history                        every write, with who (report.read)
//	GET    /congresses/{territory}/attachments/{id}[?thumb=1]     a file (public)
//	DELETE /congresses/{territory}/attachments/{id}               (congress.write)
//	POST   /attachments                                           multipart: territory, kind, file (congress.write)
//	GET    /summary?province=                                     the counts (public)
//	POST   /import?province=                                      CSV or XLSX, all or nothing (congress.write on each row)
//
// Uploads go to paths without the territory so that the site's body
// limit can be raised for them by exact path (BodyLimits).

// Limits of requests.
const (
	// MaxUpload is the largest attachment request: a resolution and the
	// multipart envelope.
	MaxUpload = MaxResolution + 64<<10
	// MaxImport is the largest import file.
	MaxImport = 4 << 20
	// MaxImportRows bounds an import: a province's communes, with room.
	MaxImportRows = 1000
)

// BodyLimits are the upload routes of terms, whose bodies may be larger
// than the site's default limit.
func BodyLimits(terms []string) map[string]int64 {
	out := map[string]int64{}
	for _, t := range terms {
		out["/api/v1/congress/"+t+"/attachments"] = MaxUpload
		out["/api/v1/congress/"+t+"/import"] = MaxImport + 64<<10
		out["/dai-hoi/"+t+"/tep"] = MaxUpload
	}
	return out
}

func (s *Service) registerAPI(r Router) {
	const base = "/api/v1/congress/{term}"
	r.Handle(http.MethodGet, base+"/congresses", http.HandlerFunc(s.apiList))
	r.Handle(http.MethodGet, base+"/congresses/{territory}", http.HandlerFunc(s.apiGet))
	r.Handle(http.MethodPut, base+"/congresses/{territory}", http.HandlerFunc(s.apiPut))
	r.Handle(http.MethodPatch, base+"/congresses/{territory}", http.HandlerFunc(s.apiPatch))
	r.Handle(http.MethodGet, base+"/congresses/{territory}/history", http.HandlerFunc(s.apiHistory))
	r.Handle(http.MethodGet, base+"/congresses/{territory}/attachments/{id}", http.HandlerFunc(s.apiBlob))
	r.Handle(http.MethodDelete, base+"/congresses/{territory}/attachments/{id}", http.HandlerFunc(s.apiDetach))
	r.Handle(http.MethodPost, base+"/attachments", http.HandlerFunc(s.apiAttach))
	r.Handle(http.MethodGet, base+"/summary", http.HandlerFunc(s.apiSummary))
	r.Handle(http.MethodPost, base+"/import", http.HandlerFunc(s.apiImport))
}

// ListResponse is the list's answer.
type ListResponse struct {
	Term       string     `json:"term"`
	Count      int        `json:"count"`
	Congresses []Congress `json:"congresses"`
}

// public is c as anyone may see it: who last wrote it is for staff (the
// history).
func public(c Congress) Congress {
	c.UpdatedBy = ""
	return c
}

// filter reads the list's query.
func filter(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Province: strings.TrimSpace(q.Get("province")), Level: org.Level(strings.TrimSpace(q.Get("level")))}
	if st := strings.TrimSpace(q.Get("status")); st != "" {
		s, err := ParseStatus(st)
		if err != nil {
			return f, err
		}
		f.Status = s
	}
	return f, nil
}

func (s *Service) apiList(w http.ResponseWriter, r *http.Request) {
	term := r.PathValue("term")
	f, err := filter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" && format != "xlsx" {
		api.WriteError(w, http.StatusBadRequest, "invalid_format", "format",
			fmt.Sprintf("Định dạng %q không hợp lệ: cần json, csv hoặc xlsx (format must be json, csv or xlsx).", format))
		return
	}
	list, err := s.store.List(r.Context(), term, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range list {
		list[i] = public(list[i])
	}
	switch format {
	case "csv", "xlsx":
		s.export(w, r, term, f, list, format)
		return
	}
	api.WriteJSON(w, http.StatusOK, ListResponse{Term: term, Count: len(list), Congresses: list})
}

func (s *Service) apiGet(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Get(r.Context(), r.PathValue("term"), r.PathValue("territory"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, public(c))
}

// writable finds the congress of the request's path and checks that its
// sender may write it; false when it answered.
func (s *Service) writable(w http.ResponseWriter, r *http.Request, term, territory string) (Congress, bool) {
	c, err := s.store.Get(r.Context(), term, territory)
	if err != nil {
		s.fail(w, r, err)
		return Congress{}, false
	}
	if !s.allowed(w, r, ActionWrite, c.Unit()) {
		return Congress{}, false
	}
	return c, true
}

// allowed asks the Authorizer and answers its refusal.
func (s *Service) allowed(w http.ResponseWriter, r *http.Request, action, unit string) bool {
	if s.authz == nil {
		api.WriteError(w, http.StatusUnauthorized, "unauthenticated", "", "Chưa cấu hình đăng nhập (sign-on is not configured).")
		return false
	}
	err := s.authz.Authorize(r, action, unit)
	if err == nil {
		return true
	}
	switch authStatus(err) {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="mattranso"`)
		api.WriteError(w, http.StatusUnauthorized, "unauthenticated", "",
			"Cần đăng nhập, hoặc gửi token hợp lệ trong tiêu đề Authorization: Bearer (sign in first).")
	case http.StatusForbidden:
		api.WriteError(w, http.StatusForbidden, "forbidden", "",
			fmt.Sprintf("Tài khoản của bạn không có quyền %s với đơn vị %s (not allowed to %s on %s).", action, unit, action, unit))
	default:
		s.fail(w, r, err)
	}
	return false
}

// authStatus is the status an Authorizer's error refuses with: 401, 403,
// or 500 for a check that failed.
func authStatus(err error) int {
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) && (hs.HTTPStatus() == http.StatusUnauthorized || hs.HTTPStatus() == http.StatusForbidden) {
		return hs.HTTPStatus()
	}
	return http.StatusInternalServerError
}

func (s *Service) actor(r *http.Request) string {
	if s.authz == nil {
		return ""
	}
	return s.authz.Actor(r)
}

// samePath refuses a body whose term or territory is not the path's: a
// record sent to the wrong address.
func samePath(c Congress, term, territory string) error {
	if c.Term != "" && c.Term != term {
		return invalid("term", fmt.Sprintf("Nhiệm kỳ trong nội dung (%s) khác nhiệm kỳ trong đường dẫn (%s)", c.Term, term),
			"the body's term is not the path's")
	}
	if c.Territory != "" && c.Territory != territory {
		return invalid("territory", fmt.Sprintf("Địa bàn trong nội dung (%s) khác địa bàn trong đường dẫn (%s)", c.Territory, territory),
			"the body's territory is not the path's")
	}
	return nil
}

func (s *Service) apiPut(w http.ResponseWriter, r *http.Request) {
	term, territory := r.PathValue("term"), r.PathValue("territory")
	cur, ok := s.writable(w, r, term, territory)
	if !ok {
		return
	}
	var in Congress
	if e := api.Decode(w, r, &in); e != nil {
		api.Fail(w, r, s.log, e)
		return
	}
	if err := samePath(in, term, territory); err != nil {
		s.fail(w, r, err)
		return
	}
	s.save(w, r, cur, in)
}

// save writes in over cur and audits the write.
func (s *Service) save(w http.ResponseWriter, r *http.Request, cur, in Congress) {
	c, err := s.store.Put(r.Context(), cur.Term, cur.Territory, in, s.actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.record(r, cur, c, in.Correction)
	api.WriteJSON(w, http.StatusOK, c)
}

// record audits a write: a correction (a status gone back) apart.
func (s *Service) record(r *http.Request, before, after Congress, correction string) {
	if s.audit == nil {
		return
	}
	action := AuditWrite
	if correction != "" && after.Status.rank() < before.Status.rank() && before.Status != Postponed && after.Status != Postponed {
		action = AuditCorrection
	}
	s.audit.Audit(r, action, after.Unit(), fmt.Sprintf("%s/%s v%d %s", after.Term, after.Territory, after.Version, after.Status))
}

// Patch is a PATCH body: the fields sent are changed, the others kept;
// null clears a field.
type Patch struct {
	Name               json.RawMessage `json:"name"`
	Ordinal            json.RawMessage `json:"ordinal"`
	PlannedDate        json.RawMessage `json:"planned_date"`
	Place              json.RawMessage `json:"place"`
	Status             json.RawMessage `json:"status"`
	PostponedReason    json.RawMessage `json:"postponed_reason"`
	NewDate            json.RawMessage `json:"new_date"`
	DelegatesSummoned  json.RawMessage `json:"delegates_summoned"`
	DelegatesAttending json.RawMessage `json:"delegates_attending"`
	CommitteeSize      json.RawMessage `json:"committee_size"`
	StandingSize       json.RawMessage `json:"standing_size"`
	Chair              json.RawMessage `json:"chair"`
	ViceChairs         json.RawMessage `json:"vice_chairs"`
	DelegationAbove    json.RawMessage `json:"delegation_above"`
	Summary            json.RawMessage `json:"summary"`
	News               json.RawMessage `json:"news"`
	Correction         json.RawMessage `json:"correction"`
	Version            json.RawMessage `json:"version"`
}

// apply sets the fields of p on c.
func (p Patch) apply(c *Congress) error {
	set := func(field string, raw json.RawMessage, dst any) error {
		if raw == nil {
			return nil
		}
		if string(raw) == "null" {
			// Clearing: the zero value of dst's type.
			switch d := dst.(type) {
			case *string:
				*d = ""
			case **int:
				*d = nil
			case *[]string:
				*d = nil
			case *[]NewsItem:
				*d = nil
			case *int:
				*d = 0
			case *Status:
				*d = ""
			}
			return nil
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return invalid(field, "Giá trị không đúng kiểu", "wrong type")
		}
		return nil
	}
	for _, f := range []struct {
		field string
		raw   json.RawMessage
		dst   any
	}{
		{"name", p.Name, &c.Name}, {"ordinal", p.Ordinal, &c.Ordinal}, {"planned_date", p.PlannedDate, &c.PlannedDate},
		{"place", p.Place, &c.Place}, {"status", p.Status, &c.Status}, {"postponed_reason", p.PostponedReason, &c.PostponedReason},
		{"new_date", p.NewDate, &c.NewDate}, {"delegates_summoned", p.DelegatesSummoned, &c.DelegatesSummoned},
		{"delegates_attending", p.DelegatesAttending, &c.DelegatesAttending}, {"committee_size", p.CommitteeSize, &c.CommitteeSize},
		{"standing_size", p.StandingSize, &c.StandingSize}, {"chair", p.Chair, &c.Chair}, {"vice_chairs", p.ViceChairs, &c.ViceChairs},
		{"delegation_above", p.DelegationAbove, &c.DelegationAbove}, {"summary", p.Summary, &c.Summary}, {"news", p.News, &c.News},
		{"correction", p.Correction, &c.Correction}, {"version", p.Version, &c.Version},
	} {
		if err := set(f.field, f.raw, f.dst); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) apiPatch(w http.ResponseWriter, r *http.Request) {
	term, territory := r.PathValue("term"), r.PathValue("territory")
	cur, ok := s.writable(w, r, term, territory)
	if !ok {
		return
	}
	var p Patch
	if e := api.Decode(w, r, &p); e != nil {
		api.Fail(w, r, s.log, e)
		return
	}
	in := cur
	in.Correction = ""
	if err := p.apply(&in); err != nil {
		s.fail(w, r, err)
		return
	}
	s.save(w, r, cur, in)
}

// HistoryResponse is a congress's history.
type HistoryResponse struct {
	Term      string         `json:"term"`
	Territory string         `json:"territory"`
	Entries   []HistoryEntry `json:"entries"`
}

func (s *Service) apiHistory(w http.ResponseWriter, r *http.Request) {
	term, territory := r.PathValue("term"), r.PathValue("territory")
	c, err := s.store.Get(r.Context(), term, territory)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.allowed(w, r, ActionRead, c.Unit()) {
		return
	}
	h, err := s.store.History(r.Context(), term, territory)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.mayReadStaff(r, territory) {
		// Who wrote is a member of staff's e-mail: for org.staff.read.
		for i := range h {
			h[i].Actor, h[i].Congress.UpdatedBy = "", ""
		}
	}
	api.WriteJSON(w, http.StatusOK, HistoryResponse{Term: term, Territory: territory, Entries: h})
}

// ActionStaffRead is what reading the e-mails of staff who wrote takes.
const ActionStaffRead = "org.staff.read"

// mayReadStaff reports whether r's sender may read staff contacts of the
// territory's committee: a unit of the Front at it or above it. It asks
// for the sender's scopes rather than a permission, so that not seeing
// them is not written to the audit log as a refusal.
func (s *Service) mayReadStaff(r *http.Request, territory string) bool {
	scopes, err := s.authz.Scopes(r, ActionStaffRead)
	if err != nil {
		return false
	}
	t, err := s.store.tree.Territory(r.Context(), territory)
	if err != nil {
		return false
	}
	for _, u := range scopes {
		code, o, _ := strings.Cut(u, "/")
		if o == string(org.MTTQ) && strings.Contains("/"+t.Path, "/"+code+"/") {
			return true
		}
	}
	return false
}

func (s *Service) apiSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := s.store.Summary(r.Context(), r.PathValue("term"), strings.TrimSpace(r.URL.Query().Get("province")), Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, sum)
}

// Vietnam is the time zone of a congress's day.
var Vietnam = time.FixedZone("ICT", 7*3600)

// Now is the time in Vietnam, whose day counts a congress as upcoming.
func Now() time.Time { return time.Now().In(Vietnam) }

func parseAttachmentID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, invalid("id", fmt.Sprintf("Số tệp %q không hợp lệ: cần một số nguyên dương", s), "id must be a positive integer")
	}
	return id, nil
}

func (s *Service) apiBlob(w http.ResponseWriter, r *http.Request) {
	term, territory := r.PathValue("term"), r.PathValue("territory")
	id, err := parseAttachmentID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.CheckTerm(term); err != nil {
		s.fail(w, r, err)
		return
	}
	ct, data, err := s.store.Blob(r.Context(), term, territory, id, r.URL.Query().Get("thumb") == "1")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	if ct == "application/pdf" {
		w.Header().Set("Content-Disposition", "attachment; filename=\"nghi-quyet-"+territory+".pdf\"")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

func (s *Service) apiDetach(w http.ResponseWriter, r *http.Request) {
	term, territory := r.PathValue("term"), r.PathValue("territory")
	id, err := parseAttachmentID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, ok := s.writable(w, r, term, territory)
	if !ok {
		return
	}
	c, err := s.store.RemoveAttachment(r.Context(), term, territory, id, s.actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.audit != nil {
		s.audit.Audit(r, AuditDetach, cur.Unit(), fmt.Sprintf("%s/%s attachment %d", term, territory, id))
	}
	api.WriteJSON(w, http.StatusOK, c)
}

// readUpload reads the multipart form of an attachment: territory, kind
// and one file. The form may have been parsed already (auth reads a
// session's CSRF token from it).
func readUpload(w http.ResponseWriter, r *http.Request) (territory string, f File, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return "", File{}, &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Field: "Content-Type",
			Message: "Cần gửi dạng multipart/form-data với các trường territory, kind và file (want multipart/form-data)."}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	if err := r.ParseMultipartForm(memoryForm); err != nil {
		return "", File{}, uploadError(err)
	}
	territory = strings.TrimSpace(r.PostFormValue("territory"))
	if territory == "" {
		return "", File{}, invalid("territory", "Thiếu mã địa bàn", "territory is missing")
	}
	if f.Kind, err = ParseKind(r.PostFormValue("kind")); err != nil {
		return "", File{}, err
	}
	f.Name, f.Data, err = formFile(r, "file", MaxResolution)
	return territory, f, err
}

// memoryForm is how much of a multipart form is kept in memory; the rest
// goes to temporary files.
const memoryForm = 1 << 20

// formFile reads the file of field, at most limit bytes (one more is
// read, to tell a file too large).
func formFile(r *http.Request, field string, limit int64) (string, []byte, error) {
	fh := r.MultipartForm.File[field]
	if len(fh) == 0 {
		return "", nil, invalid(field, "Chưa chọn tệp", "no file")
	}
	if fh[0].Size > limit {
		return "", nil, &FieldError{Field: field, Message: fmt.Sprintf("Tệp quá lớn: %d byte, tối đa %d MiB (the file is too large).", fh[0].Size, limit>>20)}
	}
	fd, err := fh[0].Open()
	if err != nil {
		return "", nil, err
	}
	defer fd.Close()
	data, err := io.ReadAll(io.LimitReader(fd, limit+1))
	return fh[0].Filename, data, err
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Field: "file",
			Message: fmt.Sprintf("Tệp quá lớn: tối đa %d MiB (the file is too large).", MaxResolution>>20)}
	}
	return api.BadRequest("invalid_body", "body", "Không đọc được nội dung multipart (malformed multipart body).")
}

func (s *Service) apiAttach(w http.ResponseWriter, r *http.Request) {
	term := r.PathValue("term")
	if err := s.store.CheckTerm(term); err != nil {
		s.fail(w, r, err)
		return
	}
	territory, f, err := readUpload(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, ok := s.writable(w, r, term, territory)
	if !ok {
		return
	}
	c, a, err := s.store.AddAttachment(r.Context(), term, territory, f, s.actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.audit != nil {
		s.audit.Audit(r, AuditAttach, cur.Unit(), fmt.Sprintf("%s/%s attachment %d %s", term, territory, a.ID, a.Kind))
	}
	w.Header().Set("Location", AttachmentURL(term, territory, a.ID))
	api.WriteJSON(w, http.StatusCreated, c)
}

// AttachmentURL is where an attachment is served.
func AttachmentURL(term, territory string, id int64) string {
	return "/api/v1/congress/" + term + "/congresses/" + territory + "/attachments/" + strconv.FormatInt(id, 10)
}

// fail answers an error of the domain: a FieldError 400 (413 for a file
// too large) naming its field, ErrNotFound 404, ErrConflict 409, an
// *api.Error as it is, anything else 500.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FieldError
	var re *RowErrors
	var ae *api.Error
	var ie *ImportError
	switch {
	case errors.As(err, &ae):
		api.Fail(w, r, s.log, ae)
	case errors.As(err, &ie):
		writeImportError(w, ie)
	case errors.As(err, &re):
		writeRowErrors(w, re)
	case errors.As(err, &fe):
		status := http.StatusBadRequest
		if TooLarge(err) {
			status = http.StatusRequestEntityTooLarge
		}
		api.WriteError(w, status, "invalid_"+codeOf(fe.Field), fe.Field, fe.Message)
	case errors.Is(err, ErrNotFound):
		field, msg := "territory", "Không có địa bàn này (no such territory)."
		switch {
		case s.store.CheckTerm(r.PathValue("term")) != nil:
			field = "term"
			msg = fmt.Sprintf("Không có nhiệm kỳ %q: nhiệm kỳ đang theo dõi là %s (unknown term).", r.PathValue("term"), strings.Join(s.store.Terms(), ", "))
		case strings.Contains(err.Error(), "attachment"):
			field, msg = "id", "Không có tệp đính kèm này (no such attachment)."
		}
		api.WriteError(w, http.StatusNotFound, "not_found", field, msg)
	case errors.Is(err, ErrConflict):
		api.WriteError(w, http.StatusConflict, "conflict", "version",
			"Bản ghi vừa được người khác sửa: hãy tải lại rồi sửa tiếp (the record changed meanwhile: read it again).")
	default:
		api.Fail(w, r, s.log, err)
	}
}

// codeOf is the error code's part for a field: "news[0].url" → "news".
func codeOf(field string) string {
	if i := strings.IndexAny(field, "[."); i > 0 {
		return field[:i]
	}
	return field
}
