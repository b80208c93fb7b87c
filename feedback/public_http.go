package feedback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/feedback/redact"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/topic"
)

// The routes of publication (Public.Register). For everyone, without an
// account — published items only, anything else is 404:
//
//	GET /phan-anh                               the public list: ?q= (without diacritics too), province, commune, topic, before
//	GET /phan-anh/tra-loi/{id}                  a published item
//	GET /phan-anh/tra-loi/{id}/anh/{seq}        a photo the officer made public; …/nho its thumbnail
//	GET /phan-anh/feed.atom                     the latest published answers (Atom), with the list's filters
//	GET /api/v1/feedback/public                 the list as JSON: {"items":[PublicItem…],"next"}
//	GET /api/v1/feedback/public/{id}            one published item (PublicItem)
//
// For officers who may feedback.handle on the item's unit:
//
//	GET  /quan-tri/phan-anh/{id}/cong-bo        the review page: the content beside its public text, redactions marked
//	POST /quan-tri/phan-anh/{id}/cong-bo        the review form → 303 to the page
//	GET  /quan-tri/phan-anh/{id}/cong-bo/anh/{seq}  a photo's thumbnail, public or not
//	GET  /api/v1/feedback/items/{id}/publication    Publication
//	POST /api/v1/feedback/items/{id}/publication    PublishRequest → Publication
//
// API refusals: 400 invalid_code, unknown_province, unknown_commune,
// wrong_province, unknown_topic, invalid_cursor, invalid_limit, too_long,
// invalid_id, required, contains_contact, unknown_photo, duplicate_photo,
// invalid_text; 401 unauthenticated; 403 forbidden; 404 not_found; 409
// not_answered, conflict.

// handlePermission is the permission asked for reviewing and publishing an
// item, on the item's unit.
const handlePermission = "feedback.handle"

// AuditPublish is the audit log's action for a publication saved.
const AuditPublish = "feedback.publish"

// PublicOptions are what publication's handlers need. Service is
// required.
type PublicOptions struct {
	Service *Service
	// Authorizer decides whether the request may do action on unit (auth
	// provides it: auth.Check). It returns nil to allow, or an error with
	// a method HTTPStatus() int giving 401 (nobody signed in) or 403 (not
	// allowed); any other error refuses with 403 and is logged. Nil
	// refuses every officer's request with 401.
	Authorizer interface {
		Authorize(r *http.Request, action, unit string) error
	}
	// Auditor writes a publication to the audit log on behalf of the
	// request's sender (auth.AuditLog); nil writes a log line only.
	Auditor interface {
		Audit(r *http.Request, action, unit, target string)
	}
	// Actor names the request's sender in an item's history (an email);
	// nil names nobody.
	Actor func(r *http.Request) string
	// BaseURL is the site's address, for the feed's absolute links; ""
	// takes the request's host.
	BaseURL string
	// LoginURL is where a page sends someone who must sign in, with
	// ?next=; "" means "/auth/login".
	LoginURL string
	Logger   *slog.Logger
}

// Public serves the public list, items, photos and feed, and officers'
// review and publication; its HomeSection shows the latest answers on the
// site's home page.
type Public struct {
	s     *Service
	authz interface {
		Authorize(*http.Request, string, string) error
	}
	audit interface {
		Audit(*http.Request, string, string, string)
	}
	actor   func(*http.Request) string
	base    string
	login   string
	log     *slog.Logger
	pages   Pages
	section *template.Template
}

// NewPublic returns publication's handlers. It panics without a Service,
// a wiring mistake.
func NewPublic(o PublicOptions) *Public {
	if o.Service == nil {
		panic("feedback: NewPublic needs a Service")
	}
	p := &Public{s: o.Service, authz: o.Authorizer, audit: o.Auditor, actor: o.Actor,
		base: strings.TrimSuffix(o.BaseURL, "/"), login: o.LoginURL, log: o.Logger}
	if p.login == "" {
		p.login = "/auth/login"
	}
	if p.log == nil {
		p.log = o.Service.log
	}
	p.section = template.Must(template.New("").Funcs(TemplateFuncs).ParseFS(templateFiles,
		"templates/_public_card.html", "templates/_public_home.html"))
	return p
}

// Register adds publication's routes to r; without pages only the JSON
// API and the feed are served.
func (p *Public) Register(r Router, pages Pages) {
	p.pages = pages
	r.Handle(http.MethodGet, "/api/v1/feedback/public", http.HandlerFunc(p.apiList))
	r.Handle(http.MethodGet, "/api/v1/feedback/public/{id}", http.HandlerFunc(p.apiItem))
	r.Handle(http.MethodGet, "/api/v1/feedback/items/{id}/publication", http.HandlerFunc(p.apiPublication))
	r.Handle(http.MethodPost, "/api/v1/feedback/items/{id}/publication", http.HandlerFunc(p.apiPublish))
	r.Handle(http.MethodGet, "/phan-anh/feed.atom", http.HandlerFunc(p.feed))
	r.Handle(http.MethodGet, "/phan-anh/tra-loi/{id}/anh/{seq}", http.HandlerFunc(p.photo))
	r.Handle(http.MethodGet, "/phan-anh/tra-loi/{id}/anh/{seq}/nho", http.HandlerFunc(p.photo))
	if pages != nil {
		r.Handle(http.MethodGet, "/phan-anh", http.HandlerFunc(p.listPage))
		r.Handle(http.MethodGet, "/phan-anh/tra-loi/{id}", http.HandlerFunc(p.itemPage))
		r.Handle(http.MethodGet, "/quan-tri/phan-anh/{id}/cong-bo", http.HandlerFunc(p.reviewPage))
		r.Handle(http.MethodPost, "/quan-tri/phan-anh/{id}/cong-bo", http.HandlerFunc(p.reviewForm))
		r.Handle(http.MethodGet, "/quan-tri/phan-anh/{id}/cong-bo/anh/{seq}", http.HandlerFunc(p.officerPhoto))
	}
}

// pathID reads the {id} of a route: a positive number.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

const notFoundMessage = "Không có phản ánh nào đã công khai với số này (no published item has this id)."

// ---- the public list and items ----

func (p *Public) apiList(w http.ResponseWriter, r *http.Request) {
	q, err := p.s.CheckPublicQuery(r.Context(), r.URL.Query())
	if err != nil {
		api.Fail(w, r, p.log, err)
		return
	}
	page, err := p.s.PublicList(r.Context(), q)
	if err != nil {
		api.Fail(w, r, p.log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, page)
}

func (p *Public) apiItem(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		api.WriteError(w, http.StatusNotFound, "not_found", "id", notFoundMessage)
		return
	}
	it, err := p.s.PublishedItem(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, "not_found", "id", notFoundMessage)
		return
	}
	if err != nil {
		api.Fail(w, r, p.log, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, it)
}

// listView is what the public list page shows.
type listView struct {
	Q, Province, Commune, Topic string
	Provinces, Communes         []org.Territory
	Topics                      []topic.Topic
	Items                       []PublicItem
	Filtered                    bool
	NextURL                     string
	FeedURL                     string
	Error, Field                string
}

// listPage is /phan-anh: the published answers, newest first, with a
// search box and filters that work without JavaScript (choosing a
// province and pressing the button lists its communes).
func (p *Public) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := r.URL.Query()
	d := listView{Q: v.Get("q"), Province: v.Get("province"), Commune: v.Get("commune"), Topic: v.Get("topic"),
		Topics: p.s.tax.Topics}
	if pl, ok := p.s.store.territories.(places); ok {
		d.Provinces, _ = pl.Children(ctx, org.CentralCode)
		if l, err := org.LevelOf(d.Province); err == nil && l == org.Province {
			d.Communes, _ = pl.Children(ctx, d.Province)
		}
	}
	status := http.StatusOK
	q, err := p.s.CheckPublicQuery(ctx, v)
	var e *api.Error
	switch {
	case errors.As(err, &e):
		status, d.Error, d.Field = e.Status, e.Message, e.Field
	case err != nil:
		p.pageError(w, r, err)
		return
	default:
		page, err := p.s.PublicList(ctx, q)
		if err != nil {
			p.pageError(w, r, err)
			return
		}
		d.Items = page.Items
		d.Filtered = q.Q != "" || q.Province != "" || q.Commune != "" || q.Topic != ""
		if page.Next != "" {
			next := url.Values{}
			for _, k := range []string{"q", "province", "commune", "topic"} {
				if v.Get(k) != "" {
					next.Set(k, v.Get(k))
				}
			}
			next.Set("before", page.Next)
			d.NextURL = "/phan-anh?" + next.Encode()
		}
	}
	feed := url.Values{}
	for _, k := range []string{"province", "commune", "topic"} {
		if d.Error == "" && v.Get(k) != "" {
			feed.Set(k, v.Get(k))
		}
	}
	d.FeedURL = "/phan-anh/feed.atom"
	if len(feed) > 0 {
		d.FeedURL += "?" + feed.Encode()
	}
	p.pages.Render(w, r, status, "public_list", d)
}

func (p *Public) itemPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.pages.Render(w, r, http.StatusNotFound, "public_not_found", nil)
		return
	}
	it, err := p.s.PublishedItem(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		p.pages.Render(w, r, http.StatusNotFound, "public_not_found", nil)
		return
	}
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	p.pages.Render(w, r, http.StatusOK, "public_item", it)
}

// photo serves a public photo or its thumbnail; 404 for a photo not made
// public or of an item not published. Browsers revalidate it, so that a
// photo made private again stops showing.
func (p *Public) photo(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if !ok || err != nil || seq < 1 {
		http.NotFound(w, r)
		return
	}
	thumb := strings.HasSuffix(r.URL.Path, "/nho")
	data, ct, etag, err := p.s.store.PublicPhoto(r.Context(), id, seq, thumb)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		p.log.ErrorContext(r.Context(), "feedback: public photo", "err", err)
		http.Error(w, api.Internal, http.StatusInternalServerError)
		return
	}
	servePhoto(w, r, data, ct, etag, "no-cache")
}

func servePhoto(w http.ResponseWriter, r *http.Request, data []byte, ct, etag, cache string) {
	h := w.Header()
	h.Set("Cache-Control", cache)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

func (p *Public) pageError(w http.ResponseWriter, r *http.Request, err error) {
	p.log.ErrorContext(r.Context(), "feedback: public page", "path", r.URL.Path, "err", err)
	http.Error(w, api.Internal, http.StatusInternalServerError)
}

// HomeSectionItems is how many answers the home page shows.
const HomeSectionItems = 5

// HomeSection is the part of the site's home page that shows the latest
// published answers ("Phản ánh đã được trả lời"), or nothing when none is
// published yet.
func (p *Public) HomeSection(ctx context.Context) (template.HTML, error) {
	page, err := p.s.PublicList(ctx, PublicQuery{Limit: HomeSectionItems})
	if err != nil {
		return "", err
	}
	if len(page.Items) == 0 {
		return "", nil
	}
	var b bytes.Buffer
	if err := p.section.ExecuteTemplate(&b, "pa_home", page); err != nil {
		return "", fmt.Errorf("feedback: home section: %w", err)
	}
	return template.HTML(b.String()), nil
}

// ---- officers: review and publication ----

// authorize asks whether r may handle items of unit: 0 when it may, else
// the status that refuses it (401 or 403).
func (p *Public) authorize(r *http.Request, unit string) int {
	if p.authz == nil {
		return http.StatusUnauthorized
	}
	err := p.authz.Authorize(r, handlePermission, unit)
	if err == nil {
		return 0
	}
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) && (hs.HTTPStatus() == http.StatusUnauthorized || hs.HTTPStatus() == http.StatusForbidden) {
		return hs.HTTPStatus()
	}
	p.log.ErrorContext(r.Context(), "feedback: authorizer failed; refusing", "unit", unit, "err", err)
	return http.StatusForbidden
}

func (p *Public) actorOf(r *http.Request) string {
	if p.actor == nil {
		return ""
	}
	return p.actor(r)
}

func apiRefuse(w http.ResponseWriter, status int) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mattranso"`)
		api.WriteError(w, status, "unauthenticated", "", "Cần đăng nhập, hoặc gửi token hợp lệ trong tiêu đề Authorization: Bearer (sign in or send a bearer token).")
		return
	}
	api.WriteError(w, status, "forbidden", "", "Tài khoản của bạn không có quyền xử lý phản ánh của đơn vị này (you may not handle this unit's feedback).")
}

// officerItem reads the item of an officer's request and checks that the
// sender may handle it; ok false when it answered.
func (p *Public) officerItem(w http.ResponseWriter, r *http.Request, page bool) (Item, bool) {
	id, ok := pathID(r)
	var it Item
	var err error
	if ok {
		it, err = p.s.store.Item(r.Context(), id)
	}
	if !ok || errors.Is(err, ErrNotFound) {
		if page {
			p.denied(w, r, http.StatusNotFound, "Không tìm thấy phản ánh", "Không có phản ánh nào mang số này.")
		} else {
			api.WriteError(w, http.StatusNotFound, "not_found", "id", "Không có phản ánh nào mang số này (no item has this id).")
		}
		return it, false
	}
	if err != nil {
		if page {
			p.pageError(w, r, err)
		} else {
			api.Fail(w, r, p.log, err)
		}
		return it, false
	}
	if st := p.authorize(r, it.Unit); st != 0 {
		switch {
		case !page:
			apiRefuse(w, st)
		case st == http.StatusUnauthorized && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, p.login+"?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
		case st == http.StatusUnauthorized:
			p.denied(w, r, st, "Cần đăng nhập", "Phiên đăng nhập đã hết. Hãy đăng nhập lại rồi thực hiện lại thao tác.")
		default:
			p.denied(w, r, st, "Không có quyền", fmt.Sprintf("Tài khoản của bạn không có quyền xử lý phản ánh của đơn vị %s.", it.Unit))
		}
		return it, false
	}
	return it, true
}

func (p *Public) denied(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	d := map[string]any{"Status": status, "Title": title, "Message": msg}
	if status == http.StatusUnauthorized {
		d["LoginURL"] = p.login + "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	p.pages.Render(w, r, status, "public_denied", d)
}

func (p *Public) apiPublication(w http.ResponseWriter, r *http.Request) {
	it, ok := p.officerItem(w, r, false)
	if !ok {
		return
	}
	pub, err := p.s.Publication(r.Context(), it.ID)
	if err != nil {
		api.Fail(w, r, p.log, err)
		return
	}
	// The content as sent carries personal data.
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, pub)
}

// maxPublishBody bounds a publication's body: both texts at their limits
// in characters of up to four bytes, and the photos.
const maxPublishBody = 4*(MaxPublicText+MaxPublicAnswer) + 4096

func (p *Public) apiPublish(w http.ResponseWriter, r *http.Request) {
	it, ok := p.officerItem(w, r, false)
	if !ok {
		return
	}
	var req PublishRequest
	if e := api.DecodeLimit(w, r, &req, maxPublishBody); e != nil {
		api.Fail(w, r, p.log, e)
		return
	}
	pub, err := p.publish(r, &it, req)
	if err != nil {
		api.Fail(w, r, p.log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, pub)
}

// publish saves a review on behalf of r's sender, in the item's history
// and the audit log.
func (p *Public) publish(r *http.Request, it *Item, req PublishRequest) (Publication, error) {
	pub, err := p.s.Publish(r.Context(), it.ID, req, Change{Actor: p.actorOf(r), IP: clientIP(r)})
	if err != nil {
		return pub, err
	}
	if p.audit != nil {
		p.audit.Audit(r, AuditPublish, it.Unit, FormatCode(it.Code))
	} else {
		p.log.InfoContext(r.Context(), "feedback: publication saved", "item", it.ID, "published", pub.Published)
	}
	return pub, nil
}

// reviewView is what the review page shows.
type reviewView struct {
	Pub                  Publication
	Contact              Contact
	ContentMarked        []segment
	AnswerMarked         []segment
	PublicTextMarked     []segment
	PublicAnswerMarked   []segment
	Saved                bool
	Error, Field         string
	MaxText, MaxAnswer   int
	PublicURL, StatusURL string
}

// segment is a piece of a text, marked when it is (or stands for)
// personal data: Mark names what it is.
type segment struct {
	Text string
	Mark string
}

var kindLabels = map[redact.Kind]string{
	redact.Name: "họ tên", redact.Phone: "số điện thoại", redact.Email: "email", redact.IDNumber: "số CCCD/CMND",
	redact.BankAccount: "số tài khoản", redact.HouseNumber: "số nhà",
}

// marked cuts s into segments: what redact finds in it marked with its
// kind, and, with placeholdersToo, each placeholder redact leaves marked "đã ẩn".
func marked(s string, placeholdersToo bool) []segment {
	type span struct {
		start, end int
		mark       string
	}
	var spans []span
	for _, sp := range redact.Find(s) {
		spans = append(spans, span{sp.Start, sp.End, kindLabels[sp.Kind]})
	}
	if placeholdersToo {
		for _, ph := range redactionMarks {
			for at := 0; ; {
				i := strings.Index(s[at:], ph)
				if i < 0 {
					break
				}
				spans = append(spans, span{at + i, at + i + len(ph), "đã ẩn"})
				at += i + len(ph)
			}
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out []segment
	at := 0
	for _, sp := range spans {
		if sp.start < at {
			continue // overlaps one already marked
		}
		if sp.start > at {
			out = append(out, segment{Text: s[at:sp.start]})
		}
		out = append(out, segment{Text: s[sp.start:sp.end], Mark: sp.mark})
		at = sp.end
	}
	if at < len(s) {
		out = append(out, segment{Text: s[at:]})
	}
	return out
}

func (p *Public) renderReview(w http.ResponseWriter, r *http.Request, status int, pub Publication, saved bool, e *api.Error) {
	d := reviewView{Pub: pub, Contact: pub.contact, Saved: saved, MaxText: MaxPublicText, MaxAnswer: MaxPublicAnswer,
		ContentMarked: marked(pub.Content, false), AnswerMarked: marked(pub.Answer, false),
		PublicTextMarked: marked(pub.PublicText, true), PublicAnswerMarked: marked(pub.PublicAnswer, true),
		StatusURL: "/phan-anh/" + pub.TrackingCode}
	if pub.Published {
		d.PublicURL = PublicURL(pub.ItemID)
	}
	if e != nil {
		d.Error, d.Field = e.Message, e.Field
	}
	// The page shows the submitter's contact.
	w.Header().Set("Cache-Control", "no-store")
	p.pages.Render(w, r, status, "public_review", d)
}

func (p *Public) reviewPage(w http.ResponseWriter, r *http.Request) {
	it, ok := p.officerItem(w, r, true)
	if !ok {
		return
	}
	pub, err := p.s.Publication(r.Context(), it.ID)
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	p.renderReview(w, r, http.StatusOK, pub, r.URL.Query().Get("da-luu") == "1", nil)
}

// maxReviewForm bounds the review form's body.
const maxReviewForm = 4*(MaxPublicText+MaxPublicAnswer) + 16<<10

// reviewForm saves the review form: the two texts, the photos ticked as
// public (those not ticked are not), and whether the item is published.
func (p *Public) reviewForm(w http.ResponseWriter, r *http.Request) {
	it, ok := p.officerItem(w, r, true)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxReviewForm)
	if err := r.ParseForm(); err != nil {
		p.denied(w, r, http.StatusBadRequest, "Biểu mẫu không hợp lệ", "Không đọc được biểu mẫu gửi lên; hãy tải lại trang rồi thử lại.")
		return
	}
	pre, err := p.s.Publication(r.Context(), it.ID)
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	text, answer := r.PostForm.Get("public_text"), r.PostForm.Get("public_answer")
	published := r.PostForm.Get("published") == "1"
	req := PublishRequest{PublicText: &text, PublicAnswer: &answer, Published: &published}
	ticked := r.PostForm["photo"]
	for _, ph := range pre.Photos {
		req.Photos = append(req.Photos, PhotoChoice{Seq: ph.Seq, Public: slices.Contains(ticked, strconv.Itoa(ph.Seq))})
	}
	if _, err := p.publish(r, &it, req); err != nil {
		var e *api.Error
		if !errors.As(err, &e) {
			p.pageError(w, r, err)
			return
		}
		// Show the form again with what was typed.
		pre.PublicText, pre.PublicAnswer, pre.Published = text, answer, published
		for i := range pre.Photos {
			pre.Photos[i].Public = req.Photos[i].Public
		}
		status := e.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		p.renderReview(w, r, status, pre, false, e)
		return
	}
	http.Redirect(w, r, "/quan-tri/phan-anh/"+strconv.FormatInt(it.ID, 10)+"/cong-bo?da-luu=1", http.StatusSeeOther)
}

// officerPhoto serves a photo's thumbnail to an officer reviewing it,
// whether public or not.
func (p *Public) officerPhoto(w http.ResponseWriter, r *http.Request) {
	it, ok := p.officerItem(w, r, true)
	if !ok {
		return
	}
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	photos, err := p.s.store.Photos(r.Context(), it.ID)
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	for _, ph := range photos {
		if ph.Seq == seq {
			data, err := p.s.store.blobs.Get(r.Context(), ph.ThumbKey)
			if err != nil {
				p.pageError(w, r, err)
				return
			}
			servePhoto(w, r, data, ph.ThumbType, `"`+ph.ThumbKey+`"`, "private, no-cache")
			return
		}
	}
	http.NotFound(w, r)
}
