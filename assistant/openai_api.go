package assistant

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mattranso/mattranso/auth"
)

// The OpenAI-compatible façade: POST /v1/chat/completions and GET
// /v1/models, so that any OpenAI chat client (a script with an official
// SDK, a chat front end) can talk to the assistant with a bearer token.
// It keeps no conversation: as with OpenAI, the client sends the history.

// ModelID is the one model the façade lists and answers as.
const ModelID = "mattranso-assistant"

// MaxChatBody bounds a chat completion request: histories are sent whole.
const MaxChatBody = 512 << 10

// sourcesHeading starts the list of citations appended to an answer.
const sourcesHeading = "\n\nNguồn:\n"

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`

	// OpenAI's common sampling and bookkeeping parameters, which its
	// clients send by default: accepted and ignored, since answers are
	// taken from the library. Any other field is refused.
	Temperature         json.RawMessage `json:"temperature,omitempty"`
	TopP                json.RawMessage `json:"top_p,omitempty"`
	N                   json.RawMessage `json:"n,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"`
	MaxTokens           json.RawMessage `json:"max_tokens,omitempty"`
	MaxCompletionTokens json.RawMessage `json:"max_completion_tokens,omitempty"`
	PresencePenalty     json.RawMessage `json:"presence_penalty,omitempty"`
	FrequencyPenalty    json.RawMessage `json:"frequency_penalty,omitempty"`
	Seed                json.RawMessage `json:"seed,omitempty"`
	User                json.RawMessage `json:"user,omitempty"`
	StreamOptions       json.RawMessage `json:"stream_options,omitempty"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name,omitempty"`
}

// text is the message's content: a string, or the text parts of an array
// of content parts.
func (m chatMessage) text() (string, error) {
	c := strings.TrimSpace(string(m.Content))
	switch {
	case c == "" || c == "null":
		return "", nil
	case c[0] == '"':
		var s string
		err := json.Unmarshal(m.Content, &s)
		return s, err
	case c[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return "", err
		}
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "text" {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(p.Text)
			}
		}
		return b.String(), nil
	}
	return "", errors.New("content must be a string or an array of content parts")
}

type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *chatUsage   `json:"usage,omitempty"`
	// Citations are the answer's citations, for clients that want more
	// than the text: an extension, ignored by others.
	Citations []Citation `json:"citations,omitempty"`
}

type chatChoice struct {
	Index        int               `json:"index"`
	Message      *chatReplyMessage `json:"message,omitempty"`
	Delta        *chatReplyMessage `json:"delta,omitempty"`
	FinishReason *string           `json:"finish_reason"`
}

type chatReplyMessage struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// openAIError is OpenAI's error body, which its clients parse.
type openAIError struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func writeOpenAIError(w http.ResponseWriter, status int, typ, code, param, message string) {
	d := openAIErrorDetail{Message: message, Type: typ, Code: code}
	if param != "" {
		d.Param = &param
	}
	writeAPIJSON(w, status, openAIError{d})
}

// openAIStaff is staff for the façade: the same check, answered in
// OpenAI's error format rather than with a sign-on page.
func openAIStaff(w http.ResponseWriter, r *http.Request) (*auth.Identity, bool) {
	id := auth.UserFrom(r)
	if id == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mattranso"`)
		writeOpenAIError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "",
			"Cần token hợp lệ trong tiêu đề Authorization: Bearer (tạo bằng `mattranso admin token`).")
		return nil, false
	}
	unit := auth.RootUnit
	if s := auth.Scopes(id, auth.AssistantUse); len(s) > 0 {
		unit = s[0]
	}
	if err := auth.Authorize(r, auth.AssistantUse, unit); err != nil {
		if errors.Is(err, auth.ErrForbidden) {
			writeOpenAIError(w, http.StatusForbidden, "permission_error", "forbidden", "",
				"Token này không có quyền dùng trợ lý (cần vai trò cho phép assistant.use).")
			return nil, false
		}
		writeOpenAIError(w, http.StatusInternalServerError, "server_error", "internal", "", "Không kiểm tra được quyền, vui lòng thử lại sau.")
		return nil, false
	}
	return id, true
}

func (h *HTTP) openAIModels(w http.ResponseWriter, r *http.Request) {
	if _, ok := openAIStaff(w, r); !ok {
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	writeAPIJSON(w, http.StatusOK, struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{"list", []model{{ID: ModelID, Object: "model", Created: 1767225600, OwnedBy: "mattranso"}}})
}

// chatQuestion reads the question (the last message, from the user) and
// the history (the user's and assistant's messages before it).
func chatQuestion(req chatRequest) (Request, error) {
	if req.Model != "" && req.Model != ModelID {
		return Request{}, &InputError{"model", "model_not_found", fmt.Sprintf(
			"Không có mô hình %q: mô hình duy nhất là %q.", req.Model, ModelID)}
	}
	if len(req.Messages) == 0 {
		return Request{}, &InputError{"messages", "empty", "Trường messages đang trống: cần ít nhất một tin nhắn của người dùng."}
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return Request{}, &InputError{"messages", "invalid", fmt.Sprintf(
			"Tin nhắn cuối cùng phải của người dùng (role \"user\"), nhận được %q.", last.Role)}
	}
	q, err := last.text()
	if err != nil {
		return Request{}, &InputError{"messages", "invalid", "Nội dung tin nhắn cuối không đọc được: " + err.Error()}
	}
	question, err := CheckQuestion("messages", q)
	if err != nil {
		return Request{}, err
	}
	var hist []Message
	for i, m := range req.Messages[:len(req.Messages)-1] {
		if m.Role != "user" && m.Role != "assistant" {
			continue // system and tool messages do not steer the assistant
		}
		t, err := m.text()
		if err != nil {
			return Request{}, &InputError{"messages", "invalid", fmt.Sprintf("Tin nhắn thứ %d không đọc được: %v", i+1, err)}
		}
		if m.Role == "assistant" {
			// The sources list the façade appended is not part of the answer.
			t, _, _ = strings.Cut(t, sourcesHeading)
		}
		hist = append(hist, Message{Role: m.Role, Content: t})
	}
	if len(hist) > 2*HistoryTurns {
		hist = hist[len(hist)-2*HistoryTurns:]
	}
	return Request{Question: question, History: hist}, nil
}

// Sources is the citation list the façade appends to an answer's text:
// "[1] Bộ luật Dân sự, Điều 20 — /van-ban/…#dieu-20", one a line.
func Sources(cites []Citation) string {
	if len(cites) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(sourcesHeading)
	for i, c := range cites {
		if i > 0 {
			b.WriteByte('\n')
		}
		n := c.N
		if n == 0 {
			n = i + 1
		}
		fmt.Fprintf(&b, "[%d] %s", n, c.Title)
		if c.Label != "" {
			b.WriteString(", " + c.Label)
		}
		if c.URL != "" {
			b.WriteString(" — " + c.URL)
		}
	}
	return b.String()
}

func completionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}

func (h *HTTP) openAIChat(w http.ResponseWriter, r *http.Request) {
	if _, ok := openAIStaff(w, r); !ok {
		return
	}
	var req chatRequest
	if f := decodeBodyLimit(w, r, &req, MaxChatBody); f != nil {
		writeOpenAIError(w, f.status, "invalid_request_error", f.code, f.field, f.message)
		return
	}
	q, err := chatQuestion(req)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) && ie.Code == "model_not_found" {
			writeOpenAIError(w, http.StatusNotFound, "invalid_request_error", ie.Code, ie.Field, ie.Message)
			return
		}
		h.openAIFail(w, r, err)
		return
	}
	base := chatCompletion{ID: completionID(), Created: time.Now().Unix(), Model: ModelID}
	stop := "stop"
	if !req.Stream {
		a, err := h.ask.Ask(r.Context(), q)
		if err != nil {
			h.openAIFail(w, r, err)
			return
		}
		c := base
		c.Object = "chat.completion"
		c.Choices = []chatChoice{{Message: &chatReplyMessage{Role: "assistant", Content: a.Text + Sources(a.Citations)}, FinishReason: &stop}}
		c.Usage = &chatUsage{}
		c.Citations = a.Citations
		writeAPIJSON(w, http.StatusOK, c)
		return
	}

	ev := startEvents(w)
	chunk := func(d chatReplyMessage, finish *string) error {
		c := base
		c.Object = "chat.completion.chunk"
		c.Choices = []chatChoice{{Delta: &d, FinishReason: finish}}
		return ev.data(c)
	}
	if err := chunk(chatReplyMessage{Role: "assistant"}, nil); err != nil {
		return
	}
	a, err := h.ask.AskStream(r.Context(), q, func(d string) error { return chunk(chatReplyMessage{Content: d}, nil) })
	if err != nil {
		if f := h.failure(r, "chat completion (stream)", err); f != nil {
			_ = ev.data(openAIError{openAIErrorDetail{Message: f.message, Type: "server_error", Code: f.code}})
		}
		return
	}
	if s := Sources(a.Citations); s != "" {
		if err := chunk(chatReplyMessage{Content: s}, nil); err != nil {
			return
		}
	}
	if err := chunk(chatReplyMessage{}, &stop); err != nil {
		return
	}
	_, _ = fmt.Fprint(ev.w, "data: [DONE]\n\n")
	_ = ev.rc.Flush()
}

func (h *HTTP) openAIFail(w http.ResponseWriter, r *http.Request, err error) {
	f := h.failure(r, "chat completion", err)
	if f == nil {
		return
	}
	typ := "invalid_request_error"
	if f.status >= 500 {
		typ = "server_error"
	}
	field := f.field
	if field == "question" {
		field = "messages"
	}
	writeOpenAIError(w, f.status, typ, f.code, field, f.message)
}

// data writes an unnamed event, as OpenAI's streams are.
func (e *events) data(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "data: %s\n\n", b); err != nil {
		return err
	}
	return e.rc.Flush()
}
