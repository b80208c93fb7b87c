package assistant

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/corpus"
)

// MaxAskBody bounds the body of a question (JSON or form): a question of
// MaxQuestionLen characters and a comment fit many times over.
const MaxAskBody = 64 << 10

// Router registers a route with a net/http style pattern; web satisfies it.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// Pages renders one of the assistant's templates (see Templates) inside
// the site layout; web.Renderer satisfies it.
type Pages interface {
	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
}

// HTTPOptions are what the assistant's pages and API need. Asker and
// Conversations are required; Pages too for the chat page.
type HTTPOptions struct {
	Asker         Asker
	Conversations *Conversations
	Pages         Pages
	Logger        *slog.Logger // nil means slog.Default()
}

// HTTP serves the assistant's chat page, its JSON API and the
// OpenAI-compatible façade. Every route needs a user whose roles allow
// auth.AssistantUse somewhere.
type HTTP struct {
	ask   Asker
	convs *Conversations
	pages Pages
	log   *slog.Logger
}

// NewHTTP returns the assistant's handlers. It panics when a required
// option is missing: a wiring mistake.
func NewHTTP(o HTTPOptions) *HTTP {
	if o.Asker == nil || o.Conversations == nil || o.Pages == nil {
		panic("assistant: NewHTTP needs Asker, Conversations and Pages")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &HTTP{ask: o.Asker, convs: o.Conversations, pages: o.Pages, log: o.Logger}
}

// Register adds the assistant's routes to r:
//
//	GET    /tro-ly                                  the chat page (?c=conversation id)
//	POST   /tro-ly                                  ask without script: answers, then shows the conversation
//	POST   /tro-ly/{id}/xoa                         delete a conversation (form)
//	POST   /tro-ly/tra-loi/{id}/danh-gia            rate an answer (form)
//	POST   /api/v1/assistant/ask                    ask; streams with Accept: text/event-stream
//	GET    /api/v1/assistant/conversations          the caller's conversations
//	GET    /api/v1/assistant/conversations/{id}     one, with its answers
//	DELETE /api/v1/assistant/conversations/{id}     delete it
//	POST   /api/v1/assistant/answers/{id}/feedback  rate an answer
//	GET    /v1/models                               the OpenAI-compatible façade
//	POST   /v1/chat/completions
func (h *HTTP) Register(r Router) {
	r.Handle(http.MethodGet, "/tro-ly", http.HandlerFunc(h.chatPage))
	r.Handle(http.MethodPost, "/tro-ly", http.HandlerFunc(h.chatPost))
	r.Handle(http.MethodPost, "/tro-ly/{id}/xoa", http.HandlerFunc(h.deletePost))
	r.Handle(http.MethodPost, "/tro-ly/tra-loi/{id}/danh-gia", http.HandlerFunc(h.feedbackPost))
	r.Handle(http.MethodPost, "/api/v1/assistant/ask", http.HandlerFunc(h.apiAsk))
	r.Handle(http.MethodGet, "/api/v1/assistant/conversations", http.HandlerFunc(h.apiConversations))
	r.Handle(http.MethodGet, "/api/v1/assistant/conversations/{id}", http.HandlerFunc(h.apiConversation))
	r.Handle(http.MethodDelete, "/api/v1/assistant/conversations/{id}", http.HandlerFunc(h.apiDeleteConversation))
	r.Handle(http.MethodPost, "/api/v1/assistant/answers/{id}/feedback", http.HandlerFunc(h.apiFeedback))
	r.Handle(http.MethodGet, "/v1/models", http.HandlerFunc(h.openAIModels))
	r.Handle(http.MethodPost, "/v1/chat/completions", http.HandlerFunc(h.openAIChat))
}

// Templates are the assistant's pages, for web to parse with the layout.
var Templates fs.FS = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

//go:embed templates/*.html
var templateFiles embed.FS

// vietnam is the time zone the pages show times in (UTC+7, no DST).
var vietnam = time.FixedZone("ICT", 7*3600)

// TemplateFuncs are the functions the assistant's templates use.
var TemplateFuncs = template.FuncMap{
	"vntime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(vietnam).Format("15:04 02/01/2006")
	},
}

// staff returns the identity of r's sender when it may use the assistant,
// and otherwise answers 401 or 403 itself. The assistant is not tied to a
// unit: any unit where the sender holds a role allowing AssistantUse will
// do, and a sender who holds none is refused (and audited) at the root.
func staff(w http.ResponseWriter, r *http.Request) (*auth.Identity, bool) {
	id := auth.UserFrom(r)
	if id == nil {
		auth.Fail(w, r, auth.ErrUnauthenticated)
		return nil, false
	}
	unit := auth.RootUnit
	if s := auth.Scopes(id, auth.AssistantUse); len(s) > 0 {
		unit = s[0]
	}
	if err := auth.Authorize(r, auth.AssistantUse, unit); err != nil {
		auth.Fail(w, r, err)
		return nil, false
	}
	return id, true
}

// AskRequest is the body of POST /api/v1/assistant/ask.
type AskRequest struct {
	Question string `json:"question"`
	// ConversationID continues a conversation; 0 (or absent) starts one.
	ConversationID int64 `json:"conversation_id,omitempty"`
	// Kind limits the search to laws ("law") or procedures ("procedure").
	Kind corpus.Kind `json:"kind,omitempty"`
	// Choices, when given, make the question multiple-choice: {"A": "…",
	// "B": "…"}; the answer's "short" is then the key chosen.
	Choices map[string]string `json:"choices,omitempty"`
}

// AskResponse is the answer to an AskRequest: the Answer's fields
// ("answer", "citations", "mode", "supported", …) with where it is stored.
type AskResponse struct {
	Answer
	Question       string `json:"question"`
	ConversationID int64  `json:"conversation_id"`
	AnswerID       int64  `json:"answer_id"` // for POST …/answers/{id}/feedback
}

// FeedbackRequest is the body of POST /api/v1/assistant/answers/{id}/feedback.
type FeedbackRequest struct {
	Rating  string `json:"rating"` // "up" or "down"
	Comment string `json:"comment,omitempty"`
}

// ConversationList is the body of GET /api/v1/assistant/conversations.
type ConversationList struct {
	Conversations []Conversation `json:"conversations"`
}

// httpFailure is an error as the API answers it.
type httpFailure struct {
	status               int
	code, field, message string
}

// failure maps an error of the domain to what the API answers; a nil
// result means the client is gone and nothing should be written.
func (h *HTTP) failure(r *http.Request, what string, err error) *httpFailure {
	var ie *InputError
	switch {
	case errors.As(err, &ie):
		return &httpFailure{http.StatusBadRequest, ie.Code, ie.Field, ie.Message}
	case errors.Is(err, ErrBadQuestion):
		return &httpFailure{http.StatusBadRequest, "bad_question", "question",
			"Không trả lời được câu hỏi này: " + strings.TrimPrefix(err.Error(), ErrBadQuestion.Error()+": ")}
	case errors.Is(err, ErrNotFound):
		return &httpFailure{http.StatusNotFound, "not_found", "", notFoundMessage(err)}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return nil
	}
	h.log.ErrorContext(r.Context(), "assistant: "+what, "err", err)
	return &httpFailure{http.StatusInternalServerError, "internal", "",
		"Trợ lý đang gặp sự cố khi xử lý yêu cầu, vui lòng thử lại sau ít phút."}
}

func notFoundMessage(err error) string {
	if strings.HasPrefix(err.Error(), "answer ") {
		return "Không có câu trả lời này trong các cuộc trò chuyện của bạn."
	}
	return "Không có cuộc trò chuyện này trong danh sách của bạn (có thể đã bị xoá)."
}

func (h *HTTP) apiFail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if f := h.failure(r, what, err); f != nil {
		writeAPIError(w, f.status, f.code, f.field, f.message)
	}
}

func writeAPIError(w http.ResponseWriter, status int, code, field, message string) {
	w.Header().Set("Cache-Control", "no-store")
	api.WriteError(w, status, code, field, message)
}

// writeAPIJSON answers v: the assistant's answers belong to one user, so
// no cache keeps them.
func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, status, v)
}

// decodeBody reads a JSON body of at most MaxAskBody bytes into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) *httpFailure {
	return decodeBodyLimit(w, r, v, MaxAskBody)
}

// decodeBodyLimit reads a JSON body of at most limit bytes into v
// (api.DecodeLimit: strict).
func decodeBodyLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) *httpFailure {
	if e := api.DecodeLimit(w, r, v, limit); e != nil {
		return &httpFailure{e.Status, e.Code, e.Field, e.Message}
	}
	return nil
}

func pathID(r *http.Request) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return n, err == nil && n > 0
}

func checkKind(k corpus.Kind) error {
	switch k {
	case "", corpus.KindLaw, corpus.KindProcedure:
		return nil
	}
	return &InputError{"kind", "invalid", fmt.Sprintf("Trường kind không hợp lệ: chỉ nhận %q hoặc %q, nhận được %q.",
		corpus.KindLaw, corpus.KindProcedure, k)}
}

// requestChoices orders the options of a multiple-choice question by key
// and validates them.
func requestChoices(m map[string]string) ([]Choice, error) {
	if len(m) == 0 {
		return nil, nil
	}
	cs := make([]Choice, 0, len(m))
	for k, t := range m {
		cs = append(cs, Choice{Key: k, Text: t})
	}
	slices.SortFunc(cs, func(a, b Choice) int { return strings.Compare(a.Key, b.Key) })
	cs, err := checkChoices(cs)
	if err != nil {
		return nil, &InputError{"choices", "invalid", "Trường choices không hợp lệ: " + strings.TrimPrefix(err.Error(), ErrBadQuestion.Error()+": ") + "."}
	}
	return cs, nil
}

// prepare validates a question and finds its conversation's history.
func (h *HTTP) prepare(ctx context.Context, userID int64, q AskRequest) (Request, error) {
	question, err := CheckQuestion("question", q.Question)
	if err != nil {
		return Request{}, err
	}
	if err := checkKind(q.Kind); err != nil {
		return Request{}, err
	}
	if q.ConversationID < 0 {
		return Request{}, &InputError{"conversation_id", "invalid", "Trường conversation_id phải là số dương."}
	}
	choices, err := requestChoices(q.Choices)
	if err != nil {
		return Request{}, err
	}
	req := Request{Question: question, Kind: q.Kind, Choices: choices}
	if q.ConversationID != 0 {
		c, err := h.convs.Get(ctx, userID, q.ConversationID)
		if err != nil {
			return Request{}, err
		}
		req.History = c.History()
	}
	return req, nil
}

// answer asks and records the exchange. The record is written even when
// the client has gone meanwhile: the answer was given.
func (h *HTTP) answer(ctx context.Context, userID int64, q AskRequest, req Request, emit func(string) error) (AskResponse, error) {
	a, err := h.ask.AskStream(ctx, req, emit)
	if err != nil {
		return AskResponse{}, err
	}
	if a.Citations == nil {
		a.Citations = []Citation{}
	}
	ex, err := h.convs.Append(context.WithoutCancel(ctx), userID, q.ConversationID, req.Question, a)
	if err != nil {
		return AskResponse{}, err
	}
	return AskResponse{Answer: a, Question: ex.Question, ConversationID: ex.ConversationID, AnswerID: ex.ID}, nil
}

func wantsStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func (h *HTTP) apiAsk(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	var q AskRequest
	if f := decodeBody(w, r, &q); f != nil {
		writeAPIError(w, f.status, f.code, f.field, f.message)
		return
	}
	req, err := h.prepare(r.Context(), id.User.ID, q)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			writeAPIError(w, http.StatusNotFound, "not_found", "conversation_id", notFoundMessage(err))
			return
		}
		h.apiFail(w, r, "prepare question", err)
		return
	}
	if !wantsStream(r) {
		res, err := h.answer(r.Context(), id.User.ID, q, req, nil)
		if err != nil {
			h.apiFail(w, r, "answer", err)
			return
		}
		writeAPIJSON(w, http.StatusOK, res)
		return
	}
	ev := startEvents(w)
	res, err := h.answer(r.Context(), id.User.ID, q, req, func(d string) error {
		return ev.send("delta", struct {
			Text string `json:"text"`
		}{d})
	})
	if err != nil {
		if f := h.failure(r, "answer (stream)", err); f != nil {
			_ = ev.send("error", api.Envelope{Error: &api.Error{Status: f.status, Code: f.code, Message: f.message, Field: f.field}})
		}
		return
	}
	_ = ev.send("done", res)
}

// events writes a text/event-stream, flushing each event as it goes.
type events struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startEvents(w http.ResponseWriter) *events {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold the stream back
	w.WriteHeader(http.StatusOK)
	e := &events{w: w, rc: http.NewResponseController(w)}
	_ = e.rc.Flush()
	return e
}

// send writes one event whose data is v as JSON (one line: JSON escapes
// newlines inside strings).
func (e *events) send(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (h *HTTP) apiConversations(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	list, err := h.convs.List(r.Context(), id.User.ID)
	if err != nil {
		h.apiFail(w, r, "list conversations", err)
		return
	}
	writeAPIJSON(w, http.StatusOK, ConversationList{list})
}

func (h *HTTP) apiConversation(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	n, ok := pathID(r)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "not_found", "", "Không có cuộc trò chuyện mang mã "+strconv.Quote(r.PathValue("id"))+".")
		return
	}
	c, err := h.convs.Get(r.Context(), id.User.ID, n)
	if err != nil {
		h.apiFail(w, r, "get conversation", err)
		return
	}
	writeAPIJSON(w, http.StatusOK, c)
}

func (h *HTTP) apiDeleteConversation(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	n, ok := pathID(r)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "not_found", "", "Không có cuộc trò chuyện mang mã "+strconv.Quote(r.PathValue("id"))+".")
		return
	}
	if err := h.convs.Delete(r.Context(), id.User.ID, n); err != nil {
		h.apiFail(w, r, "delete conversation", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *HTTP) apiFeedback(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	n, ok := pathID(r)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "not_found", "", "Không có câu trả lời mang mã "+strconv.Quote(r.PathValue("id"))+".")
		return
	}
	var f FeedbackRequest
	if bad := decodeBody(w, r, &f); bad != nil {
		writeAPIError(w, bad.status, bad.code, bad.field, bad.message)
		return
	}
	fb, err := h.convs.SetFeedback(r.Context(), id.User.ID, n, f.Rating, f.Comment)
	if err != nil {
		h.apiFail(w, r, "store feedback", err)
		return
	}
	writeAPIJSON(w, http.StatusOK, fb)
}

// ChatPage is the data of the "chat" page.
type ChatPage struct {
	Conversations []Conversation
	Current       *Conversation // nil for a new conversation
	Question      string        // a question sent back with Error
	Error         string
	MaxQuestion   int
	MaxComment    int
}

func (h *HTTP) renderChat(w http.ResponseWriter, r *http.Request, status int, userID int64, current *Conversation, question, problem string) {
	list, err := h.convs.List(r.Context(), userID)
	if err != nil {
		h.log.ErrorContext(r.Context(), "assistant: list conversations", "err", err)
		http.Error(w, "Trợ lý đang gặp sự cố, vui lòng thử lại sau ít phút.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "chat", ChatPage{
		Conversations: list, Current: current, Question: question, Error: problem,
		MaxQuestion: MaxQuestionLen, MaxComment: MaxCommentLen,
	})
}

func (h *HTTP) chatPage(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	var current *Conversation
	if s := r.URL.Query().Get("c"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			h.renderChat(w, r, http.StatusNotFound, id.User.ID, nil, "", "Không có cuộc trò chuyện này trong danh sách của bạn.")
			return
		}
		c, err := h.convs.Get(r.Context(), id.User.ID, n)
		if err != nil {
			status, msg := http.StatusInternalServerError, "Không đọc được cuộc trò chuyện, vui lòng thử lại sau."
			if errors.Is(err, ErrNotFound) {
				status, msg = http.StatusNotFound, notFoundMessage(err)
			} else {
				h.log.ErrorContext(r.Context(), "assistant: get conversation", "err", err)
			}
			h.renderChat(w, r, status, id.User.ID, nil, "", msg)
			return
		}
		current = &c
	}
	h.renderChat(w, r, http.StatusOK, id.User.ID, current, "", "")
}

// chatPost answers the question form without script: the answer is
// stored and the browser sent to the conversation, at the answer.
func (h *HTTP) chatPost(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxAskBody)
	q := AskRequest{Question: r.PostFormValue("question")}
	if s := r.PostFormValue("conversation_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			h.renderChat(w, r, http.StatusBadRequest, id.User.ID, nil, q.Question, "Mã cuộc trò chuyện không hợp lệ.")
			return
		}
		q.ConversationID = n
	}
	current := func() *Conversation {
		if q.ConversationID == 0 {
			return nil
		}
		c, err := h.convs.Get(r.Context(), id.User.ID, q.ConversationID)
		if err != nil {
			return nil
		}
		return &c
	}
	req, err := h.prepare(r.Context(), id.User.ID, q)
	if err == nil {
		var res AskResponse
		if res, err = h.answer(r.Context(), id.User.ID, q, req, nil); err == nil {
			http.Redirect(w, r, chatURL(res.ConversationID, res.AnswerID), http.StatusSeeOther)
			return
		}
	}
	f := h.failure(r, "answer (form)", err)
	if f == nil {
		return
	}
	h.renderChat(w, r, f.status, id.User.ID, current(), q.Question, f.message)
}

// chatURL is the chat page showing a conversation, at one answer.
func chatURL(conv, answer int64) string {
	u := "/tro-ly?" + url.Values{"c": {strconv.FormatInt(conv, 10)}}.Encode()
	if answer > 0 {
		u += "#tra-loi-" + strconv.FormatInt(answer, 10)
	}
	return u
}

func (h *HTTP) deletePost(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	n, ok := pathID(r)
	if ok {
		if err := h.convs.Delete(r.Context(), id.User.ID, n); err != nil && !errors.Is(err, ErrNotFound) {
			h.log.ErrorContext(r.Context(), "assistant: delete conversation", "err", err)
			h.renderChat(w, r, http.StatusInternalServerError, id.User.ID, nil, "", "Không xoá được cuộc trò chuyện, vui lòng thử lại sau.")
			return
		}
	}
	// Deleting what is already gone is done: back to the list either way.
	http.Redirect(w, r, "/tro-ly", http.StatusSeeOther)
}

func (h *HTTP) feedbackPost(w http.ResponseWriter, r *http.Request) {
	id, ok := staff(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxAskBody)
	conv, _ := strconv.ParseInt(r.PostFormValue("conversation_id"), 10, 64)
	n, ok := pathID(r)
	if !ok {
		h.renderChat(w, r, http.StatusNotFound, id.User.ID, nil, "", "Không có câu trả lời này.")
		return
	}
	if _, err := h.convs.SetFeedback(r.Context(), id.User.ID, n, r.PostFormValue("rating"), r.PostFormValue("comment")); err != nil {
		f := h.failure(r, "store feedback (form)", err)
		if f == nil {
			return
		}
		var current *Conversation
		if c, err := h.convs.Get(r.Context(), id.User.ID, conv); err == nil {
			current = &c
		}
		h.renderChat(w, r, f.status, id.User.ID, current, "", f.message)
		return
	}
	if conv <= 0 {
		http.Redirect(w, r, "/tro-ly", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, chatURL(conv, n), http.StatusSeeOther)
}
