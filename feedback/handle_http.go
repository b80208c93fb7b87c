package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
)

// The officers' routes (see Handling); each asks the Authorizer, on the
// item's receiving unit:
//
//	GET  /api/v1/feedback/items                  the queue: ?state=&topic=&commune=&flagged=&overdue=&before=&limit=  (feedback.read, the user's subtrees)
//	GET  /api/v1/feedback/items/{id}             an item for staff: content, contact, photos, notes, history,
//	                                             model texts, agencies, likely duplicates  (feedback.read)
//	GET  /api/v1/feedback/items/{id}/photos/{n}  a photo, ?thumb=1 its thumbnail  (feedback.read)
//	POST /api/v1/feedback/items/{id}/transition  {"to","reason","agency","answer","outcome"}  (feedback.handle)
//	POST /api/v1/feedback/items/{id}/notes       {"text"} → 201  (feedback.handle)
//	POST /api/v1/feedback/items/{id}/topic       {"topic"}  (feedback.handle)
//	POST /api/v1/feedback/items/{id}/route       {"unit","reason"}  (feedback.handle, on the target unit too)
//	POST /api/v1/feedback/items/{id}/duplicate   {"of": id | "tracking code" | null}  (feedback.handle; feedback.read on "of")
//
// and the pages /quan-tri/phan-anh (the queue) and /quan-tri/phan-anh/{id}
// (an item, with forms posting to …/{id}/trang-thai, ghi-chu, linh-vuc,
// don-vi and trung-lap).
//
// Nobody signed in: 401 (the pages send the browser to the sign-on). An
// item the user may not see is answered as if it did not exist (404, as
// for a wrong id): the queue of one commune does not learn that another's
// items exist, nor how many there are. Seeing but not handling it is 403.
// The POST routes answer the item as GET does (notes: 201 and the note;
// an item a topic correction sent out of the user's reach, its id,
// tracking code, unit and state only),
// and every change is written to the audit log (feedback.transition,
// feedback.note, feedback.topic, feedback.route, feedback.duplicate on
// the item's unit) and to the item's history with who, when and from
// which address.
//
// Refusals: 400 required, invalid_state, unexpected_field, too_long,
// invalid_text, invalid_outcome, unknown_agency, unknown_topic,
// invalid_unit, unknown_unit, same_unit, self_duplicate, unknown_item,
// invalid_parameter, unknown_parameter, invalid_id (and api.Decode's);
// 401 unauthenticated; 403 forbidden, out_of_reach; 404 not_found; 409
// invalid_transition (naming "to"), not_open, changed.

// The actions the Authorizer is asked about.
const (
	ActionRead   = "feedback.read"
	ActionHandle = "feedback.handle"
)

// The audited actions.
const (
	AuditTransition = "feedback.transition"
	AuditNote       = "feedback.note"
	AuditTopic      = "feedback.topic"
	AuditRoute      = "feedback.route"
	AuditDuplicate  = "feedback.duplicate"
)

// Authorizer decides whether the request may do action on unit, lists
// the units it may do an action under, and names who sent it; auth.Check
// is one. Authorize returns nil to allow, or an error with a method
// HTTPStatus() int returning 401 (nobody signed in) or 403 (not allowed);
// Scopes returns the 401 error for nobody signed in.
type Authorizer interface {
	Authorize(r *http.Request, action, unit string) error
	Scopes(r *http.Request, action string) ([]string, error)
	Actor(r *http.Request) string
}

// Auditor writes a change to the audit log on behalf of the request's
// sender; auth.AuditLog is one.
type Auditor interface {
	Audit(r *http.Request, action, unit, target string)
}

// notConfigured refuses everything until sign-on is configured: there is
// no back door.
type notConfigured struct{}

var errNotConfigured = &statusError{http.StatusUnauthorized,
	"sign-on is not configured (set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET)"}

func (notConfigured) Authorize(*http.Request, string, string) error  { return errNotConfigured }
func (notConfigured) Scopes(*http.Request, string) ([]string, error) { return nil, errNotConfigured }
func (notConfigured) Actor(*http.Request) string                     { return "" }
func (e *statusError) Error() string                                 { return "feedback: " + e.msg }
func (e *statusError) HTTPStatus() int                               { return e.status }

type statusError struct {
	status int
	msg    string
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

// Register adds the officers' API and pages to r; the pages render
// through pages, and without pages only the API is served.
func (h *Handling) Register(r Router, pages Pages) {
	h.pages = pages
	r.Handle(http.MethodGet, "/api/v1/feedback/items", http.HandlerFunc(h.apiQueue))
	r.Handle(http.MethodGet, "/api/v1/feedback/items/{id}", http.HandlerFunc(h.apiItem))
	r.Handle(http.MethodGet, "/api/v1/feedback/items/{id}/photos/{n}", http.HandlerFunc(h.photo))
	r.Handle(http.MethodPost, "/api/v1/feedback/items/{id}/transition", http.HandlerFunc(h.apiTransition))
	r.Handle(http.MethodPost, "/api/v1/feedback/items/{id}/notes", http.HandlerFunc(h.apiNote))
	r.Handle(http.MethodPost, "/api/v1/feedback/items/{id}/topic", http.HandlerFunc(h.apiTopic))
	r.Handle(http.MethodPost, "/api/v1/feedback/items/{id}/route", http.HandlerFunc(h.apiRoute))
	r.Handle(http.MethodPost, "/api/v1/feedback/items/{id}/duplicate", http.HandlerFunc(h.apiDuplicate))
	if pages != nil {
		h.registerPages(r)
	}
}

// access is an item a request may see, with the units it may see under.
type access struct {
	item   Item
	scopes []string
}

// refusal is why a request may not go on, as the API and the pages say it.
type refusal struct {
	status      int
	code, field string
	msg         string
	// setup: nobody can sign in until sign-on is configured, so a page
	// says so rather than sending the browser to the sign-on.
	setup bool
}

func (f *refusal) Error() string { return f.msg }

func newRefusal(status int, code, field, msg string) *refusal {
	return &refusal{status: status, code: code, field: field, msg: msg}
}

// notFound is the answer for an item that does not exist or that the user
// may not see: the same, so that one does not tell the other.
var notFound = newRefusal(http.StatusNotFound, "not_found", "id",
	"Không tìm thấy phản ánh này, hoặc phản ánh không thuộc đơn vị bạn phụ trách (no such item in your units).")

// check finds the item {id} of r and whether its sender may see it and,
// with handle, act on it.
func (h *Handling) check(r *http.Request, handle bool) (access, *refusal) {
	scopes, f := h.readScopes(r)
	if f != nil {
		return access{}, f
	}
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return access{}, newRefusal(http.StatusBadRequest, "invalid_id", "id",
			fmt.Sprintf("Số phản ánh %q không hợp lệ: cần một số nguyên dương (id must be a positive integer).", r.PathValue("id")))
	}
	it, err := h.st.Item(r.Context(), id)
	if errors.Is(err, ErrNotFound) {
		return access{}, notFound
	}
	if err != nil {
		return access{}, h.internal(r, err)
	}
	if err := h.authz.Authorize(r, ActionRead, it.Unit); err != nil {
		if authStatus(err) == http.StatusForbidden {
			return access{}, notFound
		}
		return access{}, h.authRefusal(r, err, it.Unit)
	}
	if handle {
		if err := h.authz.Authorize(r, ActionHandle, it.Unit); err != nil {
			return access{}, h.authRefusal(r, err, it.Unit)
		}
	}
	return access{item: it, scopes: scopes}, nil
}

// readScopes are the units under which r's sender may read feedback; a
// user who may read it nowhere is refused at once.
func (h *Handling) readScopes(r *http.Request) ([]string, *refusal) {
	scopes, err := h.authz.Scopes(r, ActionRead)
	if err != nil {
		return nil, h.authRefusal(r, err, "")
	}
	if len(scopes) == 0 {
		return nil, newRefusal(http.StatusForbidden, "forbidden", "",
			"Tài khoản của bạn không được giao xử lý phản ánh ở đơn vị nào. Nếu cần, hãy đề nghị quản trị viên của đơn vị phân quyền (no unit where you may read feedback).")
	}
	return scopes, nil
}

// authRefusal turns an Authorizer's error into a refusal.
func (h *Handling) authRefusal(r *http.Request, err error, unit string) *refusal {
	switch authStatus(err) {
	case http.StatusUnauthorized:
		if errors.Is(err, errNotConfigured) {
			return &refusal{status: http.StatusUnauthorized, code: "unauthenticated", setup: true,
				msg: "Chưa cấu hình đăng nhập một lần (OpenID Connect), nên chưa ai đăng nhập được: người quản trị máy chủ cần đặt " +
					"OIDC_ISSUER, OIDC_CLIENT_ID và OIDC_CLIENT_SECRET (sign-on is not configured)."}
		}
		return newRefusal(http.StatusUnauthorized, "unauthenticated", "",
			"Cần đăng nhập, hoặc gửi token hợp lệ trong tiêu đề Authorization: Bearer (sign in first).")
	case http.StatusForbidden:
		return newRefusal(http.StatusForbidden, "forbidden", "",
			fmt.Sprintf("Tài khoản của bạn không có quyền xử lý phản ánh của đơn vị %s (not allowed to handle feedback of %s).", unit, unit))
	}
	return h.internal(r, err)
}

func (h *Handling) internal(r *http.Request, err error) *refusal {
	if r.Context().Err() == nil {
		h.log.ErrorContext(r.Context(), "feedback: officer request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return newRefusal(http.StatusInternalServerError, "internal", "", api.Internal)
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

// writeRefusal answers a refusal in the API's envelope.
func writeRefusal(w http.ResponseWriter, f *refusal) {
	if f.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mattranso"`)
	}
	api.WriteError(w, f.status, f.code, f.field, f.msg)
}

// fail answers err from the domain: an *api.Error as it is, a missing
// item as notFound, anything else 500.
func (h *Handling) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *api.Error
	switch {
	case errors.As(err, &e):
		api.Fail(w, r, h.log, e)
	case errors.Is(err, ErrNotFound):
		writeRefusal(w, notFound)
	default:
		writeRefusal(w, h.internal(r, err))
	}
}

// actor is the request's sender, for the history.
func (h *Handling) actor(r *http.Request) Actor {
	return Actor{Name: h.authz.Actor(r), IP: clientIP(r)}
}

func (h *Handling) record(r *http.Request, action, unit, target string) {
	if h.audit != nil {
		h.audit.Audit(r, action, unit, target)
	}
}

// QueueItem is an item in a queue.
type QueueItem struct {
	ID              int64      `json:"id"`
	TrackingCode    string     `json:"tracking_code"`
	State           State      `json:"state"`
	StateLabel      string     `json:"state_label"`
	Topic           string     `json:"topic"`
	TopicName       string     `json:"topic_name"`
	TopicConfidence float64    `json:"topic_confidence"`
	TopicFlagged    bool       `json:"topic_flagged"`
	TopicSource     string     `json:"topic_source"`
	Level           Level      `json:"level"`
	Unit            string     `json:"unit"`
	UnitName        string     `json:"unit_name"`
	Commune         string     `json:"commune"`
	CommuneName     string     `json:"commune_name"`
	Excerpt         string     `json:"excerpt"`
	CreatedAt       time.Time  `json:"created_at"`
	DueAt           time.Time  `json:"due_at"`
	Overdue         bool       `json:"overdue"`
	EscalatedAt     *time.Time `json:"escalated_at,omitempty"`
	DuplicateOf     *int64     `json:"duplicate_of,omitempty"`
	URL             string     `json:"url"`
}

// QueueResponse is the body of GET /api/v1/feedback/items: a page of the
// queue, newest first, and the counts over the user's units.
type QueueResponse struct {
	Items []QueueItem `json:"items"`
	// Next is the before= of the next page; absent on the last.
	Next   int64       `json:"next,omitempty"`
	Counts QueueCounts `json:"counts"`
}

// StaffItem is the body answering one item for staff: all it holds,
// who sent it, and what an officer needs to handle it.
type StaffItem struct {
	QueueItem
	Content      string     `json:"content"`
	PublicText   *string    `json:"public_text"`
	Province     string     `json:"province"`
	ProvinceName string     `json:"province_name"`
	Village      string     `json:"village,omitempty"`
	Address      string     `json:"address,omitempty"`
	Lat          *float64   `json:"lat,omitempty"`
	Lon          *float64   `json:"lon,omitempty"`
	Outcome      Outcome    `json:"outcome,omitempty"`
	OutcomeLabel string     `json:"outcome_label,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Agency       string     `json:"agency,omitempty"`
	Answer       string     `json:"answer,omitempty"`
	Published    bool       `json:"published"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ForwardedAt  *time.Time `json:"forwarded_at,omitempty"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	PublishedAt  *time.Time `json:"published_at,omitempty"`

	Contact    ContactView   `json:"contact"`
	Photos     []PhotoView   `json:"photos"`
	Notes      []NoteView    `json:"notes"`
	History    []EventView   `json:"history"`
	Moves      []State       `json:"moves"`
	Templates  []Filled      `json:"templates"`
	Agencies   []string      `json:"agencies"`
	Duplicates []SimilarView `json:"duplicates"`
	// CanHandle says whether the user may act on the item, not only see it.
	CanHandle bool `json:"can_handle"`
}

// ContactView is the submitter, for staff.
type ContactView struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// PhotoView is a photo with the staff-only addresses of its bytes.
type PhotoView struct {
	Seq         int    `json:"seq"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Public      bool   `json:"public"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
}

// NoteView is an internal note.
type NoteView struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// EventView is an entry of the history.
type EventView struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	From   State     `json:"from,omitempty"`
	To     State     `json:"to,omitempty"`
	Detail string    `json:"detail,omitempty"`
	IP     string    `json:"ip,omitempty"`
}

// SimilarView is a likely duplicate.
type SimilarView struct {
	ID           int64   `json:"id"`
	TrackingCode string  `json:"tracking_code"`
	State        State   `json:"state"`
	Score        float64 `json:"score"`
	Excerpt      string  `json:"excerpt"`
	URL          string  `json:"url"`
	Percent      int     `json:"-"` // Score as the pages show it
}

// itemURL is an item's address in the API.
func itemURL(id int64) string { return "/api/v1/feedback/items/" + strconv.FormatInt(id, 10) }

// excerpt is the start of a text, at most n characters, on a word.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// namer looks names up once per request.
type namer struct {
	h     *Handling
	ctx   context.Context
	cache map[string]string
}

func (h *Handling) namer(ctx context.Context) *namer {
	return &namer{h: h, ctx: ctx, cache: map[string]string{}}
}

func (n *namer) territory(code string) string {
	if v, ok := n.cache[code]; ok {
		return v
	}
	name := code
	if t, err := n.h.st.territories.Territory(n.ctx, code); err == nil {
		name = t.Name
	}
	n.cache[code] = name
	return name
}

func (n *namer) unit(id string) string {
	k := "unit " + id
	if v, ok := n.cache[k]; ok {
		return v
	}
	v := n.h.unitName(n.ctx, id)
	n.cache[k] = v
	return v
}

func (h *Handling) queueItem(n *namer, it Item, now time.Time) QueueItem {
	return QueueItem{
		ID: it.ID, TrackingCode: FormatCode(it.Code), State: it.State, StateLabel: it.State.Label(),
		Topic: it.Topic, TopicName: h.svc.names[it.Topic], TopicConfidence: it.TopicConfidence,
		TopicFlagged: it.TopicFlagged, TopicSource: it.TopicSource, Level: it.Level,
		Unit: it.Unit, UnitName: n.unit(it.Unit), Commune: it.Commune, CommuneName: n.territory(it.Commune),
		Excerpt: excerpt(it.Content, 160), CreatedAt: it.CreatedAt.In(Vietnam), DueAt: it.DueAt.In(Vietnam),
		Overdue: it.Overdue(now), EscalatedAt: localPtr(it.EscalatedAt), DuplicateOf: it.DuplicateOf, URL: itemURL(it.ID),
	}
}

func localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := t.In(Vietnam)
	return &l
}

// queueQuery reads the queue's parameters; units are the user's scopes.
func (h *Handling) queueQuery(q url.Values, units []string) (Query, bool, *api.Error) {
	query := Query{Units: units}
	overdue := false
	for name := range q {
		switch name {
		case "state", "topic", "commune", "flagged", "overdue", "before", "limit":
			if len(q[name]) > 1 {
				return query, false, api.BadRequest("invalid_parameter", name, fmt.Sprintf("Tham số %q được gửi hai lần (given twice).", name))
			}
		default:
			return query, false, api.BadRequest("unknown_parameter", name,
				fmt.Sprintf("Tham số %q không có; các tham số: state, topic, commune, flagged, overdue, before, limit (unknown parameter).", name))
		}
	}
	switch s := strings.TrimSpace(q.Get("state")); {
	case s == "":
	case s == "open":
		query.States = OpenStates
	case State(s).Valid():
		query.States = []State{State(s)}
	default:
		return query, false, api.BadRequest("invalid_parameter", "state",
			fmt.Sprintf("Trạng thái %q không có; dùng open hoặc một trong: %s.", s, stateList(States)))
	}
	if t := strings.TrimSpace(q.Get("topic")); t != "" {
		if _, ok := h.svc.names[t]; !ok {
			return query, false, api.BadRequest("invalid_parameter", "topic",
				fmt.Sprintf("Lĩnh vực %q không có; các lĩnh vực: %s.", t, strings.Join(h.svc.tax.IDs(), ", ")))
		}
		query.Topic = t
	}
	if c := strings.TrimSpace(q.Get("commune")); c != "" {
		if l, err := org.LevelOf(c); err != nil || l != org.Commune {
			return query, false, api.BadRequest("invalid_parameter", "commune",
				fmt.Sprintf("Mã xã %q không hợp lệ: cần 5 chữ số, ví dụ 26734.", c))
		}
		query.Commune = c
	}
	for _, f := range []struct {
		name string
		v    *bool
	}{{"flagged", &query.Flagged}, {"overdue", &overdue}} {
		switch v := q.Get(f.name); v {
		case "", "0", "false":
		case "1", "true":
			*f.v = true
		default:
			return query, false, api.BadRequest("invalid_parameter", f.name, fmt.Sprintf("Tham số %s chỉ nhận 1 hoặc 0, nhận được %q.", f.name, v))
		}
	}
	if v := q.Get("before"); v != "" {
		n, ok := parseID(v)
		if !ok {
			return query, false, api.BadRequest("invalid_parameter", "before", fmt.Sprintf("Tham số before phải là số phản ánh (một số nguyên dương), nhận được %q.", v))
		}
		query.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxList {
			return query, false, api.BadRequest("invalid_parameter", "limit", fmt.Sprintf("Tham số limit phải từ 1 đến %d, nhận được %q.", MaxList, v))
		}
		query.Limit = n
	}
	return query, overdue, nil
}

// queue reads one page of the user's queue.
func (h *Handling) queue(r *http.Request) (QueueResponse, *refusal, *api.Error) {
	scopes, f := h.readScopes(r)
	if f != nil {
		return QueueResponse{}, f, nil
	}
	q, overdue, e := h.queueQuery(r.URL.Query(), scopes)
	if e != nil {
		return QueueResponse{}, nil, e
	}
	ctx := r.Context()
	now := h.now()
	if overdue {
		q.DueBefore = now
	}
	page, err := h.st.List(ctx, q)
	if err != nil {
		return QueueResponse{}, h.internal(r, err), nil
	}
	out := QueueResponse{Items: []QueueItem{}, Next: page.Next}
	if out.Counts, err = h.Counts(ctx, scopes, now); err != nil {
		return QueueResponse{}, h.internal(r, err), nil
	}
	n := h.namer(ctx)
	for _, it := range page.Items {
		out.Items = append(out.Items, h.queueItem(n, it, now))
	}
	return out, nil, nil
}

func (h *Handling) apiQueue(w http.ResponseWriter, r *http.Request) {
	out, f, e := h.queue(r)
	switch {
	case f != nil:
		writeRefusal(w, f)
	case e != nil:
		api.Fail(w, r, h.log, e)
	default:
		w.Header().Set("Cache-Control", "no-store")
		api.WriteJSON(w, http.StatusOK, out)
	}
}

// staffItem is everything staff see of an item.
func (h *Handling) staffItem(r *http.Request, a access) (StaffItem, error) {
	ctx := r.Context()
	it := a.item
	now := h.now()
	n := h.namer(ctx)
	v := StaffItem{
		QueueItem: h.queueItem(n, it, now), Content: it.Content, PublicText: it.PublicText,
		Province: it.Province, ProvinceName: n.territory(it.Province), Village: it.Village, Address: it.Address,
		Lat: it.Lat, Lon: it.Lon, Outcome: it.Outcome, OutcomeLabel: it.Outcome.Label(), Reason: it.Reason,
		Agency: it.Agency, Answer: it.Answer, Published: it.Published, UpdatedAt: it.UpdatedAt.In(Vietnam),
		ForwardedAt: localPtr(it.ForwardedAt), AnsweredAt: localPtr(it.AnsweredAt), ClosedAt: localPtr(it.ClosedAt),
		PublishedAt: localPtr(it.PublishedAt), Photos: []PhotoView{}, Notes: []NoteView{}, History: []EventView{},
		Moves: append([]State{}, Moves[it.State]...), Duplicates: []SimilarView{},
	}
	// Asked of the scopes rather than by Authorize, which would log a
	// refusal for every look of a user who may only read.
	if handle, err := h.authz.Scopes(r, ActionHandle); err == nil {
		if v.CanHandle, err = h.st.inSubtrees(ctx, it.ID, handle); err != nil {
			return v, err
		}
	}
	c, err := h.st.Contact(ctx, it.ID)
	if err != nil {
		return v, err
	}
	v.Contact = ContactView{Name: c.Name, Phone: c.Phone, Email: c.Email}
	photos, err := h.st.Photos(ctx, it.ID)
	if err != nil {
		return v, err
	}
	for _, p := range photos {
		u := itemURL(it.ID) + "/photos/" + strconv.Itoa(p.Seq)
		v.Photos = append(v.Photos, PhotoView{Seq: p.Seq, ContentType: p.ContentType, Width: p.Width, Height: p.Height,
			Public: p.Public, URL: u, ThumbURL: u + "?thumb=1"})
	}
	notes, err := h.st.Notes(ctx, it.ID)
	if err != nil {
		return v, err
	}
	for _, x := range notes {
		v.Notes = append(v.Notes, NoteView{ID: x.ID, At: x.At.In(Vietnam), Author: x.Author, Text: x.Text})
	}
	evs, err := h.st.Events(ctx, it.ID)
	if err != nil {
		return v, err
	}
	for _, e := range evs {
		v.History = append(v.History, EventView{At: e.At.In(Vietnam), Actor: e.Actor, Action: e.Action, From: e.From, To: e.To, Detail: e.Detail, IP: e.IP})
	}
	v.Templates = h.responsesFor(ctx, it)
	if v.Templates == nil {
		v.Templates = []Filled{}
	}
	if v.Agencies, err = h.AgenciesFor(ctx, it.Unit); err != nil {
		return v, err
	}
	dups, err := h.Duplicates(ctx, it, a.scopes)
	if err != nil {
		return v, err
	}
	for _, d := range dups {
		v.Duplicates = append(v.Duplicates, SimilarView{ID: d.Item.ID, TrackingCode: FormatCode(d.Item.Code), State: d.Item.State,
			Score: math.Round(d.Score*1000) / 1000, Excerpt: excerpt(d.Item.Content, 160), URL: itemURL(d.Item.ID),
			Percent: int(math.Round(d.Score * 100))})
	}
	return v, nil
}

// answerItem answers the item {id} as it is now.
func (h *Handling) answerItem(w http.ResponseWriter, r *http.Request, status int, id int64, scopes []string) {
	it, err := h.st.Item(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A topic correction may have sent the item up, out of the user's
	// reach: they learn where it went, and no more.
	if ok, err := h.st.inSubtrees(r.Context(), it.ID, scopes); err != nil || !ok {
		if err != nil {
			h.fail(w, r, err)
			return
		}
		api.WriteJSON(w, status, map[string]any{"id": it.ID, "tracking_code": FormatCode(it.Code), "unit": it.Unit, "state": it.State})
		return
	}
	v, err := h.staffItem(r, access{item: it, scopes: scopes})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, status, v)
}

func (h *Handling) apiItem(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, false)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	v, err := h.staffItem(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, v)
}

// photo serves a photo's bytes (or its thumbnail) to staff who may see
// the item; the public sees photos only once published, elsewhere.
func (h *Handling) photo(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, false)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	thumb := false
	for name, vs := range r.URL.Query() {
		if name != "thumb" || len(vs) > 1 {
			writeRefusal(w, newRefusal(http.StatusBadRequest, "unknown_parameter", name, fmt.Sprintf("Tham số %q không có; chỉ có thumb=1 (unknown parameter).", name)))
			return
		}
		switch vs[0] {
		case "1", "true":
			thumb = true
		case "", "0", "false":
		default:
			writeRefusal(w, newRefusal(http.StatusBadRequest, "invalid_parameter", "thumb", fmt.Sprintf("Tham số thumb chỉ nhận 1 hoặc 0, nhận được %q.", vs[0])))
			return
		}
	}
	seq, err := strconv.Atoi(r.PathValue("n"))
	photos, perr := h.st.Photos(r.Context(), a.item.ID)
	if perr != nil {
		h.fail(w, r, perr)
		return
	}
	var p *Photo
	for i := range photos {
		if err == nil && photos[i].Seq == seq {
			p = &photos[i]
		}
	}
	if p == nil {
		writeRefusal(w, newRefusal(http.StatusNotFound, "not_found", "n", "Phản ánh không có ảnh này (no such photo)."))
		return
	}
	key, ct := p.BlobKey, p.ContentType
	if thumb {
		key, ct = p.ThumbKey, p.ThumbType
	}
	data, err := h.st.blobs.Get(r.Context(), key)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func (h *Handling) apiTransition(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, true)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	var m Move
	if e := api.Decode(w, r, &m); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	before := a.item.State
	it, err := h.Transition(r.Context(), a.item.ID, m, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditTransition, it.Unit, fmt.Sprintf("%s: %s → %s", FormatCode(it.Code), before, it.State))
	h.answerItem(w, r, http.StatusOK, it.ID, a.scopes)
}

func (h *Handling) apiNote(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, true)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	var req struct {
		Text string `json:"text"`
	}
	if e := api.Decode(w, r, &req); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	n, err := h.AddNote(r.Context(), a.item.ID, req.Text, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditNote, a.item.Unit, FormatCode(a.item.Code))
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusCreated, NoteView{ID: n.ID, At: n.At.In(Vietnam), Author: n.Author, Text: n.Text})
}

func (h *Handling) apiTopic(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, true)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	var req struct {
		Topic string `json:"topic"`
	}
	if e := api.Decode(w, r, &req); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	it, err := h.CorrectTopic(r.Context(), a.item.ID, req.Topic, h.actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditTopic, a.item.Unit, fmt.Sprintf("%s: %s → %s", FormatCode(it.Code), orNone(a.item.Topic), it.Topic))
	h.answerItem(w, r, http.StatusOK, it.ID, a.scopes)
}

// reroute checks a re-route's target (it exists, and the user may handle
// items there) and makes it.
func (h *Handling) reroute(r *http.Request, a access, unit, reason string) (Item, error) {
	target, err := h.CheckUnit(r.Context(), unit)
	if err != nil {
		return Item{}, err
	}
	if err := h.authz.Authorize(r, ActionHandle, target); err != nil {
		if authStatus(err) != http.StatusForbidden {
			f := h.authRefusal(r, err, target)
			return Item{}, &api.Error{Status: f.status, Code: f.code, Message: f.msg}
		}
		return Item{}, &api.Error{Status: http.StatusForbidden, Code: "out_of_reach", Field: "unit",
			Message: fmt.Sprintf("Đơn vị %s nằm ngoài phạm vi bạn được xử lý phản ánh; chỉ chuyển được đến đơn vị bạn có quyền xử lý (the unit is out of your reach).", target)}
	}
	return h.Reroute(r.Context(), a.item.ID, target, reason, h.actor(r))
}

func (h *Handling) apiRoute(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, true)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	var req struct {
		Unit   string `json:"unit"`
		Reason string `json:"reason"`
	}
	if e := api.Decode(w, r, &req); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	it, err := h.reroute(r, a, req.Unit, req.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.record(r, AuditRoute, a.item.Unit, fmt.Sprintf("%s: %s → %s", FormatCode(it.Code), a.item.Unit, it.Unit))
	h.answerItem(w, r, http.StatusOK, it.ID, a.scopes)
}

// linkDuplicate links the item to of, which the user must be able to see
// (an item they may not see is "unknown", as for a wrong id).
func (h *Handling) linkDuplicate(r *http.Request, a access, of *int64) (Item, error) {
	if of != nil {
		o, err := h.st.Item(r.Context(), *of)
		if err == nil {
			err = h.authz.Authorize(r, ActionRead, o.Unit)
		}
		if err != nil {
			if errors.Is(err, ErrNotFound) || authStatus(err) == http.StatusForbidden {
				return Item{}, bad("unknown_item", "of", fmt.Sprintf("Không tìm thấy phản ánh số %d trong các đơn vị bạn phụ trách.", *of),
					fmt.Sprintf("no item %d in your units", *of))
			}
			return Item{}, err
		}
	}
	return h.LinkDuplicate(r.Context(), a.item.ID, of, h.actor(r))
}

// duplicateOf reads the "of" of POST …/duplicate: an item's number, its
// tracking code, or null (or nothing) to unlink.
func (h *Handling) duplicateOf(ctx context.Context, raw json.RawMessage) (*int64, error) {
	wrong := bad("invalid_type", "of", "Trường \"of\" phải là số hoặc mã theo dõi của một phản ánh, hoặc null để bỏ đánh dấu trùng.",
		"of must be an item's number or tracking code, or null")
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		if n <= 0 {
			return nil, wrong
		}
		return &n, nil
	}
	var code string
	if err := json.Unmarshal(raw, &code); err != nil {
		return nil, wrong
	}
	it, err := h.st.ItemByCode(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return nil, bad("unknown_item", "of", fmt.Sprintf("Không có phản ánh nào mã %q.", code), "no item has that tracking code")
	}
	if err != nil {
		return nil, err
	}
	return &it.ID, nil
}

func (h *Handling) apiDuplicate(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, true)
	if f != nil {
		writeRefusal(w, f)
		return
	}
	var req struct {
		Of json.RawMessage `json:"of"`
	}
	if e := api.Decode(w, r, &req); e != nil {
		api.Fail(w, r, h.log, e)
		return
	}
	of, err := h.duplicateOf(r.Context(), req.Of)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	it, err := h.linkDuplicate(r, a, of)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	target := FormatCode(it.Code) + ": không trùng"
	if it.DuplicateOf != nil {
		target = fmt.Sprintf("%s: trùng với số %d", FormatCode(it.Code), *it.DuplicateOf)
	}
	h.record(r, AuditDuplicate, it.Unit, target)
	h.answerItem(w, r, http.StatusOK, it.ID, a.scopes)
}
