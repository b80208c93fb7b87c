package feedback

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/api"
)

// The public routes (no account needed):
//
//	POST /api/v1/feedback          submit: JSON, or multipart/form-data with files "photos";
//	                               Idempotency-Key header → 201 {"tracking_code","status","topic","unit","expected_at"}
//	GET  /api/v1/feedback/{code}   an item's public status (PublicStatus)
//	GET  /phan-anh/gui             the submission form (works without JavaScript)
//	POST /phan-anh/gui             the form's multipart POST → 303 to the status page
//	GET  /phan-anh/{code}          the status page
//
// API refusals are {"error":{"code","message","field"}}: 400 required,
// too_long, invalid_code, unknown_commune, wrong_commune,
// unknown_village, retired_village, invalid_level, invalid_position,
// invalid_name, invalid_phone, invalid_email, unknown_topic,
// too_many_photos, invalid_photo, invalid_multipart, unknown_field,
// duplicate_field, invalid_idempotency_key, invalid_json, invalid_type;
// 404 not_found; 409 idempotency_key_reused; 413 photo_too_large,
// body_too_large; 415 unsupported_photo, unsupported_media_type; 429
// rate_limited.

// MaxUpload bounds a multipart submission: five photos at their limit and
// the fields.
const MaxUpload = MaxPhotos*MaxPhotoBytes + 1<<20

// maxField bounds one text field of a multipart submission, in bytes:
// the content at its limit in characters of up to four bytes.
const maxField = 4*MaxContent + 1024

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

// BodyLimits are the routes whose bodies may be larger than the site's
// default limit, by path: the submissions with photos, Open311's too.
var BodyLimits = map[string]int64{
	"/api/v1/feedback":             MaxUpload,
	"/phan-anh/gui":                MaxUpload,
	Open311Path + "/requests.json": MaxUpload,
	Open311Path + "/requests.xml":  MaxUpload,
}

// Register adds the public routes to r; the pages render through pages,
// and without pages only the JSON API is served.
func (s *Service) Register(r Router, pages Pages) {
	s.pages = pages
	r.Handle(http.MethodPost, "/api/v1/feedback", http.HandlerFunc(s.apiSubmit))
	r.Handle(http.MethodGet, "/api/v1/feedback/{code}", http.HandlerFunc(s.apiStatus))
	if s.pages != nil {
		r.Handle(http.MethodGet, "/phan-anh/gui", http.HandlerFunc(s.formPage))
		r.Handle(http.MethodPost, "/phan-anh/gui", http.HandlerFunc(s.formSubmit))
		r.Handle(http.MethodGet, "/phan-anh/tep/{file}", http.HandlerFunc(s.asset))
		r.Handle(http.MethodGet, "/phan-anh/{code}", http.HandlerFunc(s.statusPage))
	}
}

// limited answers 429 when the client is past its limit.
func (s *Service) limited(w http.ResponseWriter, r *http.Request, page bool) bool {
	if s.limiter == nil {
		return false
	}
	ok, wait := s.limiter.Allow(r)
	if ok {
		return false
	}
	secs := int((wait.Seconds()) + 0.999)
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := fmt.Sprintf("Bạn gửi quá nhiều phản ánh trong thời gian ngắn. Vui lòng thử lại sau %d giây (too many submissions; retry in %d s).", secs, secs)
	if page {
		s.renderForm(w, r, http.StatusTooManyRequests, formData{Error: msg})
	} else {
		api.WriteError(w, http.StatusTooManyRequests, "rate_limited", "", msg)
	}
	return true
}

func (s *Service) apiSubmit(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r, false) {
		return
	}
	sub, e := s.readSubmission(w, r)
	if e != nil {
		api.Fail(w, r, s.log, e)
		return
	}
	c, err := s.Submit(r.Context(), sub)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/feedback/"+url.PathEscape(c.Receipt.TrackingCode))
	api.WriteJSON(w, http.StatusCreated, json.RawMessage(c.Body))
}

// readSubmission reads a submission as JSON or multipart/form-data.
func (s *Service) readSubmission(w http.ResponseWriter, r *http.Request) (Submission, *api.Error) {
	var sub Submission
	if mt, _, _ := mimeType(r); mt == "multipart/form-data" {
		var e *api.Error
		sub, e = readMultipart(w, r)
		if e != nil {
			return sub, e
		}
	} else if e := api.DecodeLimit(w, r, &sub, 64<<10); e != nil {
		return sub, e
	}
	sub.IdempotencyKey = r.Header.Get("Idempotency-Key")
	sub.IP = clientIP(r)
	return sub, nil
}

// formFields are the text fields of a multipart submission.
var formFields = []string{"content", "commune_code", "village_code", "level", "address", "lat", "lon", "name", "phone", "email", "topic"}

// readMultipart reads a multipart/form-data submission part by part,
// refusing as soon as a limit is passed: a sixth photo, a photo over
// MaxPhotoBytes, a field too long, a field not of the form or given twice.
func readMultipart(w http.ResponseWriter, r *http.Request) (Submission, *api.Error) {
	sub, _, e := readMultipartWith(w, r)
	return sub, e
}

// readMultipartWith is readMultipart also taking the extra fields named,
// returned by name.
func readMultipartWith(w http.ResponseWriter, r *http.Request, extra ...string) (Submission, map[string]string, *api.Error) {
	var sub Submission
	values := map[string]string{}
	if r.MultipartForm != nil {
		// Already read, by a check of the CSRF token of a signed-in user.
		return fromParsedForm(r.MultipartForm, extra)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return sub, values, api.BadRequest("invalid_multipart", "body", "Không đọc được nội dung multipart/form-data gửi lên (the multipart body cannot be read).")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	seen := map[string]bool{}
	fields := append(formFields[:len(formFields):len(formFields)], extra...)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sub, values, multipartError(err)
		}
		name := p.FormName()
		if name == "photos" {
			if p.FileName() == "" {
				// A browser sends an empty part for a file input left empty.
				if n, _ := io.Copy(io.Discard, io.LimitReader(p, 1)); n == 0 {
					continue
				}
			}
			if len(sub.Photos) == MaxPhotos {
				return sub, values, bad("too_many_photos", "photos", fmt.Sprintf("Gửi được tối đa %d ảnh.", MaxPhotos),
					fmt.Sprintf("at most %d photos", MaxPhotos))
			}
			data, err := io.ReadAll(io.LimitReader(p, MaxPhotoBytes+1))
			if err != nil {
				return sub, values, multipartError(err)
			}
			if len(data) > MaxPhotoBytes {
				n := len(sub.Photos) + 1
				return sub, values, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "photo_too_large", Field: "photos",
					Message: fmt.Sprintf("Ảnh thứ %d lớn quá %d MB (photo %d is larger than %d MB).", n, MaxPhotoBytes>>20, n, MaxPhotoBytes>>20)}
			}
			if len(data) == 0 {
				continue
			}
			sub.Photos = append(sub.Photos, data)
			continue
		}
		known := false
		for _, f := range fields {
			known = known || f == name
		}
		if !known {
			return sub, values, api.BadRequest("unknown_field", name, fmt.Sprintf("Trường %q không có trong yêu cầu này. Các trường nhận: %s, photos (unknown field).",
				name, strings.Join(formFields, ", ")))
		}
		if seen[name] {
			return sub, values, api.BadRequest("duplicate_field", name, fmt.Sprintf("Trường %q được gửi hai lần (field sent twice).", name))
		}
		seen[name] = true
		data, err := io.ReadAll(io.LimitReader(p, maxField+1))
		if err != nil {
			return sub, values, multipartError(err)
		}
		if len(data) > maxField {
			return sub, values, bad("too_long", name, fmt.Sprintf("Trường %q quá dài.", name), name+" is too long")
		}
		values[name] = string(data)
	}
	e := fill(&sub, values)
	return sub, values, e
}

// fill sets a submission's fields from a form's values.
func fill(sub *Submission, values map[string]string) *api.Error {
	sub.Content, sub.CommuneCode, sub.VillageCode = values["content"], values["commune_code"], values["village_code"]
	sub.Level, sub.Address, sub.Name, sub.Phone = values["level"], values["address"], values["name"], values["phone"]
	sub.Email, sub.Topic = values["email"], values["topic"]
	for _, f := range []struct {
		name string
		v    **float64
	}{{"lat", &sub.Lat}, {"lon", &sub.Lon}} {
		s := strings.TrimSpace(values[f.name])
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("invalid_position", f.name, fmt.Sprintf("%s phải là một số, ví dụ 10.7769.", f.name), f.name+" must be a number")
		}
		*f.v = &x
	}
	return nil
}

// fromParsedForm reads a submission from a multipart form already parsed,
// with readMultipart's checks.
func fromParsedForm(f *multipart.Form, extra []string) (Submission, map[string]string, *api.Error) {
	var sub Submission
	values := map[string]string{}
	names := make([]string, 0, len(f.Value))
	for name := range f.Value {
		names = append(names, name)
	}
	sort.Strings(names)
	fields := append(formFields[:len(formFields):len(formFields)], extra...)
	for _, name := range names {
		if name == "photos" && len(f.Value[name]) == 1 && f.Value[name][0] == "" {
			continue // a file input left empty, read as a field
		}
		if !slices.Contains(fields, name) {
			return sub, values, api.BadRequest("unknown_field", name, fmt.Sprintf("Trường %q không có trong yêu cầu này (unknown field).", name))
		}
		if len(f.Value[name]) > 1 {
			return sub, values, api.BadRequest("duplicate_field", name, fmt.Sprintf("Trường %q được gửi hai lần (field sent twice).", name))
		}
		if len(f.Value[name][0]) > maxField {
			return sub, values, bad("too_long", name, fmt.Sprintf("Trường %q quá dài.", name), name+" is too long")
		}
		values[name] = f.Value[name][0]
	}
	for name := range f.File {
		if name != "photos" {
			return sub, values, api.BadRequest("unknown_field", name, fmt.Sprintf("Trường %q không có trong yêu cầu này (unknown field).", name))
		}
	}
	for i, fh := range f.File["photos"] {
		if fh.Size == 0 {
			continue
		}
		if len(sub.Photos) == MaxPhotos {
			return sub, values, bad("too_many_photos", "photos", fmt.Sprintf("Gửi được tối đa %d ảnh.", MaxPhotos), fmt.Sprintf("at most %d photos", MaxPhotos))
		}
		if fh.Size > MaxPhotoBytes {
			return sub, values, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "photo_too_large", Field: "photos",
				Message: fmt.Sprintf("Ảnh thứ %d lớn quá %d MB (photo %d is larger than %d MB).", i+1, MaxPhotoBytes>>20, i+1, MaxPhotoBytes>>20)}
		}
		file, err := fh.Open()
		if err != nil {
			return sub, values, multipartError(err)
		}
		data, err := io.ReadAll(io.LimitReader(file, MaxPhotoBytes+1))
		file.Close()
		if err != nil {
			return sub, values, multipartError(err)
		}
		sub.Photos = append(sub.Photos, data)
	}
	return sub, values, fill(&sub, values)
}

func multipartError(err error) *api.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Field: "body",
			Message: fmt.Sprintf("Nội dung gửi lên quá lớn: tối đa %d MB (the body is larger than %d MB).", MaxUpload>>20, MaxUpload>>20)}
	}
	return api.BadRequest("invalid_multipart", "body", "Nội dung multipart/form-data gửi lên bị hỏng (the multipart body is malformed).")
}

// clientIP is the connection's address without the port.
func clientIP(r *http.Request) string {
	if i := strings.LastIndexByte(r.RemoteAddr, ':'); i > 0 {
		return strings.Trim(r.RemoteAddr[:i], "[]")
	}
	return r.RemoteAddr
}

func (s *Service) apiStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.Status(r.Context(), r.PathValue("code"))
	if errors.Is(err, ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, "not_found", "code",
			"Không tìm thấy phản ánh nào có mã theo dõi này; hãy kiểm tra lại mã (no item has this tracking code).")
		return
	}
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, st)
}

func mimeType(r *http.Request) (string, map[string]string, error) {
	return mime.ParseMediaType(r.Header.Get("Content-Type"))
}
