package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/topic"
)

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), for apps
// that report to many cities' systems the same way:
//
//	GET  /open311/v2/discovery.{json,xml}         the endpoint, its formats, how to get a key
//	GET  /open311/v2/services.{json,xml}          the services: the taxonomy's topics
//	GET  /open311/v2/services/{code}.{json,xml}   a service's definition: the attributes routing needs
//	POST /open311/v2/requests.{json,xml}          submit an item (an API key needed)
//	GET  /open311/v2/requests.{json,xml}          items, filtered
//	GET  /open311/v2/requests/{id}.{json,xml}     one item by its tracking code
//	GET  /open311/v2/tokens/{token}.{json,xml}    a token's item (the token is the tracking code)
//	GET  /open311/v2/media/{id}/{n}               the n-th photo of an item, once published
//
// What the specification leaves to the provider is decided so:
//
//   - service_request_id is the tracking code (XXXXX-XXXXX). Services are
//     "realtime": the POST answers with the id once the item is durably
//     stored, so it never gives a token; tokens/{token} still answers for a
//     tracking code given as the token, in any spelling ParseCode reads.
//   - Routing needs the commune, which coordinates cannot give without a
//     map of communes: every service has metadata true, and its definition
//     asks for attribute[commune_code] (required), attribute[village_code]
//     and attribute[level]. address_id, when sent, is a territory code: the
//     commune's, or a village's (which gives its commune too), the same
//     code GET answers as address_id.
//   - jurisdiction_id is accepted and not used: one endpoint serves all of
//     Vietnam ("vn"), and the commune says where an item goes.
//   - POST needs an API key, as the specification says: a bearer token of
//     the sign-on, in the Authorization header or as the api_key parameter
//     (Open311Options.Client says whose it is); without one, or with one
//     that is not valid, the answer is 403. It goes through Service.Submit
//     with the checks of the site's own form (description is its content,
//     up to MaxContent characters where the specification suggests 4,000);
//     an Idempotency-Key header is honoured as there. It is not limited
//     per address as the public form is: an application posts for many
//     people from one address, and its key can be revoked. Photos are multipart/form-data files named media
//     (the extension most GeoReport servers take); media_url is refused,
//     since the server fetches nothing from addresses a client gives.
//     first_name and last_name make the submitter's name, family name
//     first as Vietnamese names are written; device_id and account_id are
//     not stored (account_id is echoed in the answer, as the specification
//     has it).
//   - GET never carries what identifies the submitter: no email, name,
//     phone, device or account, as GeoReport v2 keeps those POST-only; nor
//     the address or position they gave — address is the commune and
//     province, address_id the commune's code, lat, long and zipcode are
//     null (a commune has no single point to coarsen to). description is
//     the officer-reviewed public text of a published item, null for the
//     others: never the content as sent. media_url is the first photo an
//     officer published, of a published item only.
//   - GET requests lists published items only: an officer decides what
//     the public sees, and the tracking codes it lists open the status
//     pages. An item named by its tracking code (requests/{id}, or
//     service_request_id) is answered whether published or not, telling
//     what its status page tells anyone holding the code.
//   - status is open for received, accepted, forwarded and in_progress,
//     closed for rejected, answered and closed; status_notes is the
//     state's Vietnamese name, with the outcome and the public answer once
//     there is one. Times are ISO 8601 in Vietnam's zone (+07:00).
//   - Errors are the specification's document ([{"code","description"}],
//     <errors><error>…), the code being the HTTP status: 403 for the key,
//     404 for what does not exist, 400 (or the intake's own 409, 413, 415)
//     for the rest, the description in Vietnamese then English, naming the
//     parameter. This API is the one place where that document replaces
//     the api package's envelope: Open311 clients read no other.

// Open311Path is where the Open311 API is served.
const Open311Path = "/open311/v2"

// open311Spec identifies GeoReport v2 in discovery.
const open311Spec = "http://wiki.open311.org/GeoReport_v2"

// The bounds of GET requests: the specification's 90 days and first 1000
// requests, and as many ids as one query names.
const (
	open311MaxRange = 90 * 24 * time.Hour
	open311MaxItems = 1000
	open311MaxIDs   = 100
	maxAccountID    = 200
)

// Open311Options configure the Open311 API.
type Open311Options struct {
	// PublicURL is the site's address (https://mattranso.example.vn), which
	// discovery's endpoint url and media_url start with; "" takes the
	// scheme and host of each request.
	PublicURL string
	// Contact and KeyService are discovery's contact and key_service; ""
	// gives the defaults, which point to the site's administrators.
	Contact    string
	KeyService string
	// Changeset is when the services last changed: the taxonomy and rules
	// are read at start, so the zero value means when RegisterOpen311 ran.
	Changeset time.Time
	// Client says who sends a POST: the holder of a valid API key, named
	// for the item's history; ok false refuses the POST with 403. Nil
	// refuses every POST.
	Client func(r *http.Request) (who string, ok bool)
}

type open311 struct {
	s         *Service
	o         Open311Options
	changeset string
}

// RegisterOpen311 adds the Open311 GeoReport v2 routes to r (see the
// comment at the top of open311.go for what they answer and why).
func (s *Service) RegisterOpen311(r Router, o Open311Options) {
	if o.Changeset.IsZero() {
		o.Changeset = s.now()
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	h := &open311{s: s, o: o, changeset: w3c(o.Changeset)}
	r.Handle(http.MethodGet, Open311Path+"/{file}", http.HandlerFunc(h.get))
	r.Handle(http.MethodPost, Open311Path+"/{file}", http.HandlerFunc(h.post))
	r.Handle(http.MethodGet, Open311Path+"/services/{file}", http.HandlerFunc(h.definition))
	r.Handle(http.MethodGet, Open311Path+"/requests/{file}", http.HandlerFunc(h.request))
	r.Handle(http.MethodGet, Open311Path+"/tokens/{file}", http.HandlerFunc(h.token))
	r.Handle(http.MethodGet, Open311Path+"/media/{code}/{seq}", http.HandlerFunc(h.media))
}

// w3c formats a time as the specification wants it: ISO 8601 with the
// zone, in Vietnam's.
func w3c(t time.Time) string { return t.In(Vietnam).Format(time.RFC3339) }

type o311Format int

const (
	formatXML o311Format = iota
	formatJSON
)

// splitFormat reads "services.json" as services in JSON; ok false when
// the name ends in neither format.
func splitFormat(file string) (string, o311Format, bool) {
	if name, ok := strings.CutSuffix(file, ".json"); ok {
		return name, formatJSON, true
	}
	if name, ok := strings.CutSuffix(file, ".xml"); ok {
		return name, formatXML, true
	}
	return file, formatXML, false
}

// write answers a document in the format asked: xmlV as XML, jsonV as JSON.
func (h *open311) write(w http.ResponseWriter, f o311Format, status int, jsonV, xmlV any) {
	if f == formatJSON {
		api.WriteJSON(w, status, jsonV)
		return
	}
	writeXML(w, h.s.log, status, xmlV)
}

// fail answers the specification's error document with one error.
func (h *open311) fail(w http.ResponseWriter, f o311Format, status int, description string) {
	errs := []o311Error{{Code: status, Description: description}}
	h.write(w, f, status, errs, o311ErrorsXML{Errors: errs})
}

// failErr answers err: an *api.Error with its status and message, the
// field renamed to the parameter the client sent; anything else logged
// and answered 500 without detail.
func (h *open311) failErr(w http.ResponseWriter, r *http.Request, f o311Format, err error, fields map[string]string) {
	var e *api.Error
	if errors.As(err, &e) {
		status := e.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		desc := e.Message
		if field := e.Field; field != "" {
			if p, ok := fields[field]; ok {
				field = p
			}
			desc = field + ": " + desc
		}
		h.fail(w, f, status, desc)
		return
	}
	if r.Context().Err() != nil {
		return
	}
	h.s.log.ErrorContext(r.Context(), "feedback: open311 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	h.fail(w, f, http.StatusInternalServerError, api.Internal)
}

func (h *open311) notFound(w http.ResponseWriter, f o311Format) {
	h.fail(w, f, http.StatusNotFound, "Không có tài nguyên Open311 nào ở địa chỉ này; các địa chỉ kết thúc bằng .json hoặc .xml, "+
		"ví dụ "+Open311Path+"/services.json (no Open311 resource at this address).")
}

// base is the site's address: the configured one, or the request's.
func (h *open311) base(r *http.Request) string {
	if h.o.PublicURL != "" {
		return h.o.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// get serves the documents at the top of the endpoint.
func (h *open311) get(w http.ResponseWriter, r *http.Request) {
	name, f, ok := splitFormat(r.PathValue("file"))
	if !ok {
		h.notFound(w, f)
		return
	}
	switch name {
	case "discovery":
		h.discovery(w, r, f)
	case "services":
		list := h.services()
		h.write(w, f, http.StatusOK, list, o311Services{Services: list})
	case "requests":
		h.list(w, r, f)
	default:
		h.notFound(w, f)
	}
}

func (h *open311) discovery(w http.ResponseWriter, r *http.Request, f o311Format) {
	base := h.base(r)
	contact := h.o.Contact
	if contact == "" {
		contact = "Quản trị viên hệ thống Mặt trận số tại " + base + " (the administrators of this site)."
	}
	key := h.o.KeyService
	if key == "" {
		key = "Khóa API là mã truy cập (mts_…) do quản trị viên hệ thống cấp cho ứng dụng (mattranso admin token); " +
			"gửi trong tham số api_key hoặc tiêu đề Authorization: Bearer. Chỉ gửi phản ánh (POST) mới cần khóa " +
			"(an API key is an access token the site's administrators issue to an application; send it as api_key " +
			"or as an Authorization: Bearer header; only POST needs one)."
	}
	d := o311Discovery{Changeset: h.changeset, Contact: contact, KeyService: key, Endpoints: []o311Endpoint{{
		Specification: open311Spec, URL: base + Open311Path, Changeset: h.changeset, Type: "production",
		Formats: []string{"text/xml", "application/json"},
	}}}
	h.write(w, f, http.StatusOK, d, d)
}

// o311Group is the group of every service: the taxonomy has one level.
const o311Group = "Phản ánh, kiến nghị"

// services lists the taxonomy's topics as services.
func (h *open311) services() []o311Service {
	out := make([]o311Service, 0, len(h.s.tax.Topics))
	for _, t := range h.s.tax.Topics {
		out = append(out, o311Service{Code: t.ID, Name: t.Name, Description: t.Definition, Metadata: true,
			Type: "realtime", Keywords: keywords(t), Group: o311Group})
	}
	return out
}

// keywords are a topic's name split into its parts, and its id's words,
// which are the name without diacritics: "xây dựng, trật tự đô thị, xay
// dung do thi".
func keywords(t topic.Topic) string {
	var out []string
	for _, part := range strings.FieldsFunc(t.Name, func(r rune) bool { return r == '–' || r == '-' || r == ',' }) {
		if p := strings.ToLower(strings.TrimSpace(part)); p != "" {
			out = append(out, p)
		}
	}
	out = append(out, strings.ReplaceAll(t.ID, "_", " "))
	return strings.Join(out, ", ")
}

// definition serves services/{code}.{json,xml}.
func (h *open311) definition(w http.ResponseWriter, r *http.Request) {
	code, f, ok := splitFormat(r.PathValue("file"))
	if !ok {
		h.notFound(w, f)
		return
	}
	if _, known := h.s.names[code]; !known {
		h.fail(w, f, http.StatusNotFound, fmt.Sprintf("service_code: không có dịch vụ (lĩnh vực) %q; danh sách ở %s/services.%s "+
			"(no service has this code).", code, Open311Path, formatName(f)))
		return
	}
	d := h.definitionOf(code)
	h.write(w, f, http.StatusOK, d, d)
}

func formatName(f o311Format) string {
	if f == formatJSON {
		return "json"
	}
	return "xml"
}

// The attributes of every service: where the item goes.
const (
	attrCommune = "commune_code"
	attrVillage = "village_code"
	attrLevel   = "level"
)

func (h *open311) definitionOf(code string) o311Definition {
	levels := make([]o311Value, 0, len(Levels))
	for _, l := range Levels {
		levels = append(levels, o311Value{Key: string(l), Name: l.Label()})
	}
	levelNote := "Cấp Mặt trận nhận phản ánh; mặc định là cấp xã (the level of the Front addressed; the commune by default)."
	if l := h.s.rules.ReceivingLevel(LevelCommune, code); l != LevelCommune {
		levelNote = fmt.Sprintf("Cấp Mặt trận nhận phản ánh. Lĩnh vực này do %s trở lên tiếp nhận, dù chọn cấp thấp hơn "+
			"(the level of the Front addressed; this topic goes at least to the %s level).", strings.ToLower(l.Label()), l)
	}
	return o311Definition{Code: code, Attributes: []o311Attribute{
		{Variable: true, Code: attrCommune, Datatype: "string", Required: true, Order: 1, Values: []o311Value{},
			DatatypeDescription: "Mã gồm 5 chữ số theo danh mục đơn vị hành chính, ví dụ 26734 (a 5-digit commune code, e.g. 26734).",
			Description: "Xã, phường, đặc khu nơi xảy ra sự việc: phản ánh được chuyển tới Ủy ban MTTQ Việt Nam của xã đó, " +
				"hoặc của cấp chọn ở level. Có thể gửi mã này trong address_id thay cho trường này " +
				"(the commune where it happened, which routes the item; address_id may carry the code instead)."},
		{Variable: true, Code: attrVillage, Datatype: "string", Required: false, Order: 2, Values: []o311Value{},
			DatatypeDescription: "Dạng MÃXÃ-SỐ, ví dụ 26734-001 (a village code such as 26734-001).",
			Description:         "Thôn, tổ dân phố trong xã đó, nếu biết (the village or neighbourhood within that commune, if known)."},
		{Variable: true, Code: attrLevel, Datatype: "singlevaluelist", Required: false, Order: 3,
			DatatypeDescription: "Một trong: commune, province, central (one of commune, province, central).",
			Description:         levelNote, Values: levels},
	}}
}

// postFields are the parameters of POST requests: the specification's,
// the attributes of the definition, and api_key, which auth reads.
var postFields = []string{"api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
	"email", "device_id", "account_id", "first_name", "last_name", "phone", "description", "media_url",
	"attribute[" + attrCommune + "]", "attribute[" + attrVillage + "]", "attribute[" + attrLevel + "]"}

// post serves POST requests.{json,xml}.
func (h *open311) post(w http.ResponseWriter, r *http.Request) {
	name, f, ok := splitFormat(r.PathValue("file"))
	if !ok || name != "requests" {
		h.notFound(w, f)
		return
	}
	values, media, formErr := readO311Form(w, r)
	who, allowed := "", false
	if h.o.Client != nil {
		who, allowed = h.o.Client(r)
	}
	if !allowed {
		if bearerGiven(r) || strings.TrimSpace(values.Get("api_key")) != "" {
			h.fail(w, f, http.StatusForbidden, "api_key: khóa API không hợp lệ, đã hết hạn hoặc đã bị thu hồi "+
				"(the API key is not valid, has expired or was revoked).")
		} else {
			h.fail(w, f, http.StatusForbidden, "api_key: cần khóa API để gửi phản ánh qua Open311, trong tham số api_key "+
				"hoặc tiêu đề Authorization: Bearer (an API key is needed to submit).")
		}
		return
	}
	if formErr != nil {
		h.failErr(w, r, f, formErr, nil)
		return
	}
	sub, fields, e := h.submission(values)
	if e != nil {
		h.failErr(w, r, f, e, nil)
		return
	}
	sub.IdempotencyKey = r.Header.Get("Idempotency-Key")
	sub.IP = clientIP(r)
	for _, fh := range media {
		data, e := readMedia(fh, len(sub.Photos)+1)
		if e != nil {
			h.failErr(w, r, f, e, fields)
			return
		}
		if len(data) > 0 {
			sub.Photos = append(sub.Photos, data)
		}
	}
	c, err := h.s.Submit(r.Context(), sub)
	if err != nil {
		h.failErr(w, r, f, err, fields)
		return
	}
	if !c.Replayed {
		// Which application sent it, beside the intake's own "submit".
		ev := Event{ItemID: c.ItemID, Actor: who, Action: "open311", Detail: "GeoReport v2", IP: sub.IP}
		if err := h.s.store.AddEvent(r.Context(), h.s.store.db, ev); err != nil {
			h.s.log.WarnContext(r.Context(), "feedback: open311: note the client in the history", "item", c.ItemID, "err", err)
		}
	}
	n := newNames(h.s)
	unit, err := n.unit(r.Context(), c.Receipt.Unit)
	if err != nil {
		h.failErr(w, r, f, err, nil)
		return
	}
	notice := h.notice(unit, c.Receipt.Unit, c.Receipt.Topic, c.Receipt.ExpectedAt)
	a := strings.TrimSpace(values.Get("account_id"))
	var account *string
	if a != "" {
		account = &a
	}
	id := c.Receipt.TrackingCode
	w.Header().Set("Location", Open311Path+"/requests/"+url.PathEscape(id)+"."+formatName(f))
	h.write(w, f, http.StatusCreated, []o311Created{{ID: id, ServiceNotice: notice, AccountID: account}},
		o311CreatedXML{Requests: []o311CreatedXMLReq{{ID: id, ServiceNotice: notice, AccountID: a}}})
}

// bearerGiven reports whether the request carries an Authorization
// bearer token, valid or not.
func bearerGiven(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(tok) != ""
}

// readO311Form reads the parameters of a POST — the body's, as
// application/x-www-form-urlencoded (the specification's) or
// multipart/form-data (with photos as files named media), and the
// query's — and the photos' file headers. A parameter given twice, in the
// body or between body and query, is refused.
func readO311Form(w http.ResponseWriter, r *http.Request) (url.Values, []*multipart.FileHeader, *api.Error) {
	values := url.Values{}
	var media []*multipart.FileHeader
	mt, _, _ := mimeType(r)
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return values, nil, formError(err)
		}
		for k, v := range r.PostForm {
			values[k] = v
		}
	case "multipart/form-data":
		if r.MultipartForm == nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
			if err := r.ParseMultipartForm(32 << 20); err != nil {
				return values, nil, multipartError(err)
			}
		}
		for k, v := range r.MultipartForm.Value {
			values[k] = v
		}
		for name, fhs := range r.MultipartForm.File {
			if name != "media" {
				return values, nil, api.BadRequest("unknown_field", name, fmt.Sprintf("tệp %q không được nhận: ảnh gửi trong các tệp tên media "+
					"(files other than media are not taken).", name))
			}
			media = fhs
		}
	default:
		return values, nil, api.BadRequest("unsupported_media_type", "Content-Type",
			"cần gửi application/x-www-form-urlencoded, hoặc multipart/form-data khi có ảnh "+
				"(send application/x-www-form-urlencoded, or multipart/form-data with photos).")
	}
	for k, v := range r.URL.Query() {
		values[k] = append(values[k], v...)
	}
	return values, media, nil
}

func formError(err error) *api.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return multipartError(err)
	}
	return api.BadRequest("invalid_form", "body", "không đọc được nội dung biểu mẫu gửi lên (the form body cannot be read).")
}

// readMedia reads the n-th photo of a POST, refusing it past the size of
// a photo; an empty file reads as nothing.
func readMedia(fh *multipart.FileHeader, n int) ([]byte, *api.Error) {
	if n > MaxPhotos {
		return nil, bad("too_many_photos", "photos", fmt.Sprintf("Gửi được tối đa %d ảnh.", MaxPhotos), fmt.Sprintf("at most %d photos", MaxPhotos))
	}
	if fh.Size > MaxPhotoBytes {
		return nil, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "photo_too_large", Field: "photos",
			Message: fmt.Sprintf("Ảnh thứ %d lớn quá %d MB (photo %d is larger than %d MB).", n, MaxPhotoBytes>>20, n, MaxPhotoBytes>>20)}
	}
	file, err := fh.Open()
	if err != nil {
		return nil, multipartError(err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxPhotoBytes+1))
	if err != nil {
		return nil, multipartError(err)
	}
	return data, nil
}

// submission makes a Submission of a POST's parameters, and says which
// parameter each of the Submission's fields came from, for refusals.
func (h *open311) submission(values url.Values) (Submission, map[string]string, *api.Error) {
	fields := map[string]string{
		"content": "description", "commune_code": "attribute[" + attrCommune + "]",
		"village_code": "attribute[" + attrVillage + "]", "level": "attribute[" + attrLevel + "]",
		"address": "address_string", "lat": "lat", "lon": "long", "name": "first_name, last_name",
		"phone": "phone", "email": "email", "topic": "service_code", "photos": "media",
	}
	var sub Submission
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case !slices.Contains(postFields, k) && strings.HasPrefix(k, "attribute["):
			return sub, fields, api.BadRequest("unknown_field", k, fmt.Sprintf("thuộc tính này không có trong định nghĩa dịch vụ; "+
				"các thuộc tính: %s, %s, %s (no such attribute).", attrCommune, attrVillage, attrLevel))
		case !slices.Contains(postFields, k):
			return sub, fields, api.BadRequest("unknown_field", k, "tham số này không có trong yêu cầu gửi phản ánh của Open311 "+
				"GeoReport v2 (unknown parameter).")
		case len(values[k]) > 1:
			return sub, fields, api.BadRequest("duplicate_field", k, "tham số được gửi hai lần (parameter sent twice).")
		case len(values[k][0]) > maxField:
			return sub, fields, api.BadRequest("too_long", k, "tham số quá dài (parameter too long).")
		}
	}
	get := func(k string) string { return values.Get(k) }
	if get("media_url") != "" {
		return sub, fields, api.BadRequest("unsupported", "media_url", "hệ thống không tải ảnh từ địa chỉ do ứng dụng gửi; "+
			"hãy gửi ảnh kèm theo, dạng multipart/form-data, trong các tệp tên media "+
			"(media is not fetched from URLs; upload the photos as multipart files named media).")
	}
	if a := get("account_id"); len(a) > maxAccountID {
		return sub, fields, api.BadRequest("too_long", "account_id", fmt.Sprintf("account_id dài quá %d byte (account_id is too long).", maxAccountID))
	} else if e := api.CheckText("account_id", a); e != nil {
		return sub, fields, e
	}
	code := strings.TrimSpace(get("service_code"))
	if code == "" {
		return sub, fields, api.BadRequest("required", "service_code", "cần chọn một dịch vụ (lĩnh vực) trong danh sách "+
			Open311Path+"/services (service_code is required).")
	}
	if _, ok := h.s.names[code]; !ok {
		return sub, fields, &api.Error{Status: http.StatusNotFound, Code: "unknown_topic", Field: "service_code",
			Message: fmt.Sprintf("không có dịch vụ (lĩnh vực) %q; danh sách ở %s/services (no service has this code).", code, Open311Path)}
	}
	sub.Topic = code
	sub.Content, sub.Address = get("description"), get("address_string")
	sub.Phone, sub.Email = get("phone"), get("email")
	// Vietnamese names are written family name first.
	sub.Name = strings.TrimSpace(strings.TrimSpace(get("last_name")) + " " + strings.TrimSpace(get("first_name")))
	sub.CommuneCode = strings.TrimSpace(get("attribute[" + attrCommune + "]"))
	sub.VillageCode = strings.TrimSpace(get("attribute[" + attrVillage + "]"))
	sub.Level = get("attribute[" + attrLevel + "]")
	if e := h.addressID(&sub, strings.TrimSpace(get("address_id")), fields); e != nil {
		return sub, fields, e
	}
	if sub.CommuneCode == "" {
		return sub, fields, api.BadRequest("required", "attribute["+attrCommune+"]", "cần mã xã, phường, đặc khu nơi xảy ra sự việc, "+
			"ví dụ attribute[commune_code]=26734, hoặc gửi mã đó trong address_id (the commune code is required).")
	}
	for _, p := range []struct {
		name string
		v    **float64
	}{{"lat", &sub.Lat}, {"long", &sub.Lon}} {
		s := strings.TrimSpace(get(p.name))
		if s == "" {
			continue
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return sub, fields, api.BadRequest("invalid_position", p.name, "cần một số theo WGS84, ví dụ 10.7769 (must be a number).")
		}
		*p.v = &x
	}
	return sub, fields, nil
}

// addressID reads address_id as a territory code: a commune's, standing
// for attribute[commune_code], or a village's, standing for
// attribute[village_code] and giving its commune. It must agree with the
// attributes when both are given.
func (h *open311) addressID(sub *Submission, id string, fields map[string]string) *api.Error {
	if id == "" {
		return nil
	}
	disagree := api.BadRequest("wrong_commune", "address_id", "mã address_id không khớp với attribute[commune_code] hay "+
		"attribute[village_code] đã gửi (address_id disagrees with the attributes).")
	if vc, ok := org.VillageCommune(id); ok {
		switch {
		case sub.VillageCode != "" && sub.VillageCode != id, sub.CommuneCode != "" && sub.CommuneCode != vc:
			return disagree
		}
		if sub.VillageCode == "" {
			sub.VillageCode, fields["village_code"] = id, "address_id"
		}
		if sub.CommuneCode == "" {
			sub.CommuneCode, fields["commune_code"] = vc, "address_id"
		}
		return nil
	}
	if l, err := org.LevelOf(id); err == nil && l == org.Commune {
		if sub.CommuneCode != "" && sub.CommuneCode != id {
			return disagree
		}
		if sub.CommuneCode == "" {
			sub.CommuneCode, fields["commune_code"] = id, "address_id"
		}
		return nil
	}
	return api.BadRequest("invalid_code", "address_id", fmt.Sprintf("address_id %q không phải mã xã (5 chữ số, ví dụ 26734) "+
		"hay mã thôn (ví dụ 26734-001) (address_id is a commune or village code).", id))
}

// list serves GET requests.{json,xml}.
func (h *open311) list(w http.ResponseWriter, r *http.Request, f o311Format) {
	q, e := h.query(r.URL.Query())
	if e != nil {
		h.failErr(w, r, f, e, nil)
		return
	}
	rows, err := h.s.store.open311Items(r.Context(), q)
	if err != nil {
		h.failErr(w, r, f, err, nil)
		return
	}
	h.answer(w, r, f, rows)
}

// request serves requests/{id}.{json,xml}.
func (h *open311) request(w http.ResponseWriter, r *http.Request) {
	id, f, ok := splitFormat(r.PathValue("file"))
	if !ok {
		h.notFound(w, f)
		return
	}
	code, valid := ParseCode(id)
	var rows []o311Row
	if valid {
		var err error
		if rows, err = h.s.store.open311Items(r.Context(), o311Query{Codes: []string{code}}); err != nil {
			h.failErr(w, r, f, err, nil)
			return
		}
	}
	if len(rows) == 0 {
		h.fail(w, f, http.StatusNotFound, fmt.Sprintf("service_request_id: không có phản ánh nào mã %q; hãy kiểm tra lại mã theo dõi "+
			"(no request has this id).", id))
		return
	}
	h.answer(w, r, f, rows)
}

// token serves tokens/{token}.{json,xml}: the token is a tracking code.
func (h *open311) token(w http.ResponseWriter, r *http.Request) {
	tok, f, ok := splitFormat(r.PathValue("file"))
	if !ok {
		h.notFound(w, f)
		return
	}
	it, err := h.s.store.ItemByCode(r.Context(), tok)
	if errors.Is(err, ErrNotFound) {
		h.fail(w, f, http.StatusNotFound, fmt.Sprintf("token: không có phản ánh nào ứng với token %q; token là mã theo dõi "+
			"(no request has this token, which is a tracking code).", tok))
		return
	}
	if err != nil {
		h.failErr(w, r, f, err, nil)
		return
	}
	list := []o311Token{{ID: FormatCode(it.Code), Token: tok}}
	h.write(w, f, http.StatusOK, list, o311TokensXML{Requests: list})
}

// answer writes rows as the specification's service requests.
func (h *open311) answer(w http.ResponseWriter, r *http.Request, f o311Format, rows []o311Row) {
	out, err := h.describe(r.Context(), h.base(r), rows)
	if err != nil {
		h.failErr(w, r, f, err, nil)
		return
	}
	if f == formatJSON {
		api.WriteJSON(w, http.StatusOK, out)
		return
	}
	x := o311RequestsXML{Requests: make([]o311RequestXML, len(out))}
	for i, q := range out {
		x.Requests[i] = q.xml()
	}
	writeXML(w, h.s.log, http.StatusOK, x)
}

// o311Query selects the items of GET requests: by tracking codes (any
// item, the others fields unused), or published items by creation time,
// topic and state.
type o311Query struct {
	Codes    []string
	From, To time.Time
	Topics   []string
	States   []State
}

// query reads GET requests' filters.
func (h *open311) query(v url.Values) (o311Query, *api.Error) {
	var q o311Query
	list := func(name string) []string {
		var out []string
		for _, s := range strings.Split(strings.Join(v[name], ","), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if ids := list("service_request_id"); len(ids) > 0 {
		// The specification: the ids override every other argument.
		if len(ids) > open311MaxIDs {
			return q, api.BadRequest("too_many", "service_request_id", fmt.Sprintf("tối đa %d mã mỗi lần, nhận được %d (at most %d ids).",
				open311MaxIDs, len(ids), open311MaxIDs))
		}
		for _, id := range ids {
			c, ok := ParseCode(id)
			if !ok {
				return q, api.BadRequest("invalid_code", "service_request_id", fmt.Sprintf("%q không phải mã theo dõi dạng XXXXX-XXXXX "+
					"(not a tracking code).", id))
			}
			q.Codes = append(q.Codes, c)
		}
		return q, nil
	}
	for _, c := range list("service_code") {
		if _, ok := h.s.names[c]; !ok {
			return q, api.BadRequest("unknown_topic", "service_code", fmt.Sprintf("không có dịch vụ (lĩnh vực) %q; danh sách ở %s/services "+
				"(no service has this code).", c, Open311Path))
		}
		q.Topics = append(q.Topics, c)
	}
	for _, s := range list("status") {
		switch s {
		case "open":
			q.States = append(q.States, OpenStates...)
		case "closed":
			q.States = append(q.States, Rejected, Answered, Closed)
		default:
			return q, api.BadRequest("invalid_status", "status", fmt.Sprintf("trạng thái %q không hợp lệ: chọn open hoặc closed "+
				"(status is open or closed).", s))
		}
	}
	var from, to *time.Time
	for _, p := range []struct {
		name string
		end  bool
		t    **time.Time
	}{{"start_date", false, &from}, {"end_date", true, &to}} {
		s := strings.TrimSpace(v.Get(p.name))
		if s == "" {
			continue
		}
		t, ok := parseW3C(s, p.end)
		if !ok {
			return q, api.BadRequest("invalid_date", p.name, fmt.Sprintf("thời điểm %q không hợp lệ: cần dạng ISO 8601 có múi giờ, "+
				"ví dụ 2026-03-01T00:00:00+07:00, hoặc một ngày 2026-03-01 (a W3C date-time with its zone, or a date).", s))
		}
		*p.t = &t
	}
	switch {
	case from == nil && to == nil:
		now := h.s.now()
		q.From, q.To = now.Add(-open311MaxRange), now
	case from == nil:
		q.From, q.To = to.Add(-open311MaxRange), *to
	case to == nil:
		q.From, q.To = *from, from.Add(open311MaxRange)
	default:
		q.From, q.To = *from, *to
	}
	if q.To.Before(q.From) {
		return q, api.BadRequest("invalid_range", "end_date", "end_date ở trước start_date (end_date is before start_date).")
	}
	if q.To.Sub(q.From) > open311MaxRange {
		return q, api.BadRequest("range_too_long", "start_date, end_date", "khoảng thời gian không được dài quá 90 ngày "+
			"(start_date and end_date may not be more than 90 days apart).")
	}
	return q, nil
}

// parseW3C reads a date-time of the W3C note with its zone (seconds and
// their fractions optional), or a date alone: its first second, or its
// last when it ends a range, in Vietnam's time.
func parseW3C(s string, end bool) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	d, err := time.ParseInLocation("2006-01-02", s, Vietnam)
	if err != nil {
		return time.Time{}, false
	}
	if end {
		d = d.AddDate(0, 0, 1).Add(-time.Second)
	}
	return d, true
}

// o311Row is an item as GET requests reads it: the item, and the number
// of its first published photo (0 when none).
type o311Row struct {
	Item
	Photo int
}

// withExtra scans the item's columns and then more.
type withExtra struct {
	rows *sql.Rows
	more []any
}

func (x withExtra) Scan(dest ...any) error { return x.rows.Scan(append(dest, x.more...)...) }

// open311Items reads the items of q, newest first, at most
// open311MaxItems.
func (s *Store) open311Items(ctx context.Context, q o311Query) ([]o311Row, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	public := arg(true)
	var where []string
	if len(q.Codes) > 0 {
		marks := make([]string, len(q.Codes))
		for i, c := range q.Codes {
			marks[i] = arg(c)
		}
		where = append(where, "code IN ("+strings.Join(marks, ", ")+")")
	} else {
		where = append(where, "published = "+public, "created_at >= "+arg(q.From.Unix()), "created_at <= "+arg(q.To.Unix()))
		if len(q.Topics) > 0 {
			marks := make([]string, len(q.Topics))
			for i, t := range q.Topics {
				marks[i] = arg(t)
			}
			where = append(where, "topic IN ("+strings.Join(marks, ", ")+")")
		}
		if len(q.States) > 0 {
			marks := make([]string, len(q.States))
			for i, st := range q.States {
				marks[i] = arg(string(st))
			}
			where = append(where, "state IN ("+strings.Join(marks, ", ")+")")
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+itemColumns+`, COALESCE(p.seq, 0) FROM feedback_items
		LEFT JOIN (SELECT item_id, MIN(seq) AS seq FROM feedback_photos WHERE public = `+public+` GROUP BY item_id) p
			ON p.item_id = feedback_items.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY created_at DESC, id DESC LIMIT `+arg(open311MaxItems), args...)
	if err != nil {
		return nil, fmt.Errorf("feedback: open311 requests: %w", err)
	}
	defer rows.Close()
	out := []o311Row{}
	for rows.Next() {
		var row o311Row
		it, err := scanItem(withExtra{rows, []any{&row.Photo}})
		if err != nil {
			return nil, fmt.Errorf("feedback: open311 requests: %w", err)
		}
		row.Item = it
		out = append(out, row)
	}
	return out, rows.Err()
}

// names looks up the names GET requests shows, each once per answer.
type names struct {
	s     *Service
	terrs map[string]string
	units map[string]string
}

func newNames(s *Service) *names {
	return &names{s: s, terrs: map[string]string{}, units: map[string]string{}}
}

func (n *names) territory(ctx context.Context, code string) (string, error) {
	if v, ok := n.terrs[code]; ok {
		return v, nil
	}
	v, err := n.s.territoryName(ctx, code)
	if err != nil {
		return "", err
	}
	n.terrs[code] = v
	return v, nil
}

func (n *names) unit(ctx context.Context, id string) (string, error) {
	if v, ok := n.units[id]; ok {
		return v, nil
	}
	u, err := org.ParseUnit(id)
	if err != nil {
		return "", fmt.Errorf("feedback: open311: unit %s: %w", id, err)
	}
	t, err := n.s.store.territories.Territory(ctx, u.Territory)
	if err != nil {
		return "", fmt.Errorf("feedback: open311: unit %s: %w", id, err)
	}
	v := org.UnitName(t, u.Org)
	n.units[id] = v
	return v, nil
}

// notice is service_notice: who answers, by when.
func (h *open311) notice(unitName, unit, topic string, due time.Time) string {
	level := LevelCommune
	if u, err := org.ParseUnit(unit); err == nil {
		switch u.Level() {
		case org.Central:
			level = LevelCentral
		case org.Province:
			level = LevelProvince
		}
	}
	days := h.s.rules.WorkingDays(topic, level)
	d := due.In(Vietnam).Format("02/01/2006")
	return fmt.Sprintf("%s trả lời trong %d ngày làm việc, hạn %s (answered within %d working days, by %s).", unitName, days, d, days, d)
}

// describe turns items into the specification's service requests, with
// nothing of the submitter's (see the comment at the top of this file).
func (h *open311) describe(ctx context.Context, base string, rows []o311Row) ([]o311Request, error) {
	n := newNames(h.s)
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := make([]o311Request, 0, len(rows))
	for _, row := range rows {
		it := row.Item
		commune, err := n.territory(ctx, it.Commune)
		if err != nil {
			return nil, err
		}
		province, err := n.territory(ctx, it.Province)
		if err != nil {
			return nil, err
		}
		unit, err := n.unit(ctx, it.Unit)
		if err != nil {
			return nil, err
		}
		code := FormatCode(it.Code)
		q := o311Request{
			ID: code, Status: "open", ServiceName: str(h.s.names[it.Topic]), ServiceCode: str(it.Topic),
			AgencyResponsible: str(unit), ServiceNotice: str(h.notice(unit, it.Unit, it.Topic, it.DueAt)),
			Requested: w3c(it.CreatedAt), Updated: w3c(it.UpdatedAt), Expected: str(w3c(it.DueAt)),
			Address: str(commune + ", " + province), AddressID: str(it.Commune),
		}
		if !it.State.Open() {
			q.Status = "closed"
			// For a closed request the specification's updated_datetime is
			// when it was closed.
			switch {
			case it.State == Closed && it.ClosedAt != nil:
				q.Updated = w3c(*it.ClosedAt)
			case it.State == Answered && it.AnsweredAt != nil:
				q.Updated = w3c(*it.AnsweredAt)
			}
		}
		notes := it.State.Label()
		if it.State == Closed && it.Outcome.Valid() {
			notes += " – " + it.Outcome.Label()
		}
		// The answer as the public may read it (officers quote what they
		// were sent).
		answer, err := h.s.store.PublicAnswer(ctx, &it)
		if err != nil {
			return nil, err
		}
		if answer != "" {
			notes += ": " + answer
		}
		q.StatusNotes = &notes
		if it.Published {
			if it.PublicText != nil {
				q.Description = str(*it.PublicText)
			}
			if row.Photo > 0 {
				q.MediaURL = str(base + Open311Path + "/media/" + url.PathEscape(code) + "/" + strconv.Itoa(row.Photo))
			}
		}
		out = append(out, q)
	}
	return out, nil
}

// media serves a photo an officer published, of a published item.
func (h *open311) media(w http.ResponseWriter, r *http.Request) {
	gone := func() {
		h.fail(w, formatXML, http.StatusNotFound, "Không có ảnh công khai nào ở địa chỉ này (no published photo here).")
	}
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil || seq < 1 {
		gone()
		return
	}
	it, err := h.s.store.ItemByCode(r.Context(), r.PathValue("code"))
	if errors.Is(err, ErrNotFound) || (err == nil && !it.Published) {
		gone()
		return
	}
	if err != nil {
		h.failErr(w, r, formatXML, err, nil)
		return
	}
	photos, err := h.s.store.Photos(r.Context(), it.ID)
	if err != nil {
		h.failErr(w, r, formatXML, err, nil)
		return
	}
	for _, p := range photos {
		if p.Seq != seq || !p.Public {
			continue
		}
		data, err := h.s.store.Blobs().Get(r.Context(), p.BlobKey)
		if err != nil {
			h.failErr(w, r, formatXML, err, nil)
			return
		}
		w.Header().Set("Content-Type", p.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		// An officer may take a photo back: caches ask again.
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data)
		return
	}
	gone()
}
