// Package openaitest provides Server, a scripted stand-in for an
// OpenAI-compatible HTTP server (vLLM, TEI, Ollama, OpenAI), for tests only.
// No language model or embedding model can run on the project's machines,
// so the clients of such servers (the embedder, the assistant's LLM calls)
// are tested against this stand-in. It answers from hashes and scripts, not
// from any model: nothing it says means anything.
package openaitest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// Paths the stand-in serves, relative to the host; Server.URL already ends
// in "/v1".
const (
	EmbeddingsPath = "/v1/embeddings"
	ChatPath       = "/v1/chat/completions"
	ModelsPath     = "/v1/models"
)

// DefaultDimension is the length of the vectors the stand-in returns until
// SetDimension says otherwise.
const DefaultDimension = 16

// maxBody bounds the request bodies the stand-in reads.
const maxBody = 32 << 20

// Fault scripts how the stand-in answers one request (when queued with
// QueueFaults) or every request (when set with SetFault). The zero Fault
// answers normally.
type Fault struct {
	// Delay holds the answer back; it ends early when the client goes away,
	// so a client timeout shorter than Delay sees a timeout.
	Delay time.Duration
	// Status, when non-zero, answers with this HTTP status and an
	// OpenAI-style error body (or Body, when set).
	Status int
	// RetryAfter sets the Retry-After header (seconds or an HTTP date).
	RetryAfter string
	// Header holds extra response headers, e.g. "Retry-After-Ms".
	Header http.Header
	// Body replaces the normal answer with these raw bytes, e.g. malformed
	// JSON; with Status zero it is sent with status 200.
	Body string
	// Drop closes the connection without answering: a network error.
	Drop bool
	// Dimension (embeddings only) answers with vectors of this length
	// instead of the server's dimension.
	Dimension int
	// ReverseOrder (embeddings only) lists the vectors last first, each
	// with its correct "index", as servers are allowed to.
	ReverseOrder bool
}

// Repeat returns n copies of f, for QueueFaults.
func Repeat(n int, f Fault) []Fault {
	out := make([]Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// Request is one request the stand-in received.
type Request struct {
	Method string
	Path   string
	Header http.Header // includes Authorization
	Body   []byte
	// JSON is the body decoded as a JSON object; nil when it is not one.
	JSON map[string]any
	Time time.Time
}

// Decode decodes the request body into v.
func (r Request) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Inputs returns the texts of an embeddings request, in order.
func (r Request) Inputs() []string {
	var body struct {
		Input json.RawMessage `json:"input"`
	}
	if err := r.Decode(&body); err != nil {
		return nil
	}
	return decodeInputs(body.Input)
}

// ChatRequest is the part of a chat completion request the stand-in reads.
type ChatRequest struct {
	Model         string        `json:"model"`
	Messages      []ChatMessage `json:"messages"`
	Stream        bool          `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options,omitempty"`
	Temperature         *float64 `json:"temperature,omitempty"`
	MaxTokens           int      `json:"max_tokens,omitempty"`
	MaxCompletionTokens int      `json:"max_completion_tokens,omitempty"`
}

// ChatMessage is one message of a chat request. Content given as an array
// of parts is joined from its text parts.
type ChatMessage struct {
	Role    string `json:"role"`
	Name    string `json:"name,omitempty"`
	Content string `json:"content"`
}

// UnmarshalJSON accepts content as a string, null, or an array of parts.
func (m *ChatMessage) UnmarshalJSON(data []byte) error {
	var raw struct {
		Role    string          `json:"role"`
		Name    string          `json:"name"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	m.Role, m.Name, m.Content = raw.Role, raw.Name, ""
	c := bytes.TrimSpace(raw.Content)
	switch {
	case len(c) == 0 || string(c) == "null":
	case c[0] == '"':
		return json.Unmarshal(c, &m.Content)
	case c[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(c, &parts); err != nil {
			return err
		}
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Text)
		}
		m.Content = b.String()
	default:
		return fmt.Errorf("message content: want a string or an array of parts, got %s", c)
	}
	return nil
}

// LastUserMessage returns the content of the last message with role "user".
func (r ChatRequest) LastUserMessage() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// ChatReply is a scripted answer to a chat completion request.
type ChatReply struct {
	Content      string
	FinishReason string // default "stop"
	// Chunks are the streamed pieces; by default Content is cut after each
	// space. Non-streaming requests get Content (or the chunks joined when
	// Content is empty).
	Chunks []string
	// ChunkDelay pauses before each streamed chunk.
	ChunkDelay time.Duration
	// AbortAfter, when positive, drops the connection after that many
	// content chunks, without [DONE]: a stream cut by the network.
	AbortAfter int
	// StreamError, when set, is sent after the content chunks as an
	// in-stream `data: {"error":...}` event, the way vLLM and OpenAI report
	// failures after the stream has started, and the stream ends there.
	StreamError string
}

// Server is a scripted stand-in for an OpenAI-compatible server such as
// vLLM, TEI, Ollama or OpenAI, for tests only. It listens on 127.0.0.1 and
// serves POST /v1/embeddings (deterministic hashed vectors), POST
// /v1/chat/completions (scripted replies, plain or streamed as server-sent
// events) and GET /v1/models; it records every request. All methods are safe
// for concurrent use.
type Server struct {
	// URL is the base URL to give clients, e.g. "http://127.0.0.1:41234/v1"
	// (what OPENAI_BASE_URL holds).
	URL string

	srv  *httptest.Server
	done chan struct{}

	mu        sync.Mutex
	apiKey    string
	dimension int
	models    []string
	queued    map[string][]Fault
	always    map[string]Fault
	chatFunc  func(ChatRequest) ChatReply
	replies   []ChatReply
	requests  []Request
	sequence  int
}

// New starts a stand-in on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		done:      make(chan struct{}),
		dimension: DefaultDimension,
		models:    []string{"stand-in-embedding", "stand-in-chat"},
		queued:    map[string][]Fault{},
		always:    map[string]Fault{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL + "/v1"
	t.Cleanup(s.Close)
	return s
}

// Close stops the stand-in, cutting short any delayed answers. New arranges
// for it to be called when the test ends; calling it twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// SetAPIKey makes the stand-in require "Authorization: Bearer key" and
// answer 401 otherwise; an empty key accepts every request.
func (s *Server) SetAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// SetDimension sets the length of the vectors returned from now on.
func (s *Server) SetDimension(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dimension = n
}

// SetModels sets the model ids listed by GET /v1/models.
func (s *Server) SetModels(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = append([]string(nil), ids...)
}

// QueueFaults scripts the next requests to path (EmbeddingsPath, ChatPath
// or ModelsPath), one fault per request, in order. Once the queue is empty
// the fault set with SetFault, if any, applies.
func (s *Server) QueueFaults(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[path] = append(s.queued[path], faults...)
}

// SetFault scripts every request to path that no queued fault covers; the
// zero Fault restores normal answers.
func (s *Server) SetFault(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always[path] = f
}

// SetChatFunc answers chat requests with f once the queued replies are used
// up. Without it the stand-in echoes the last user message.
func (s *Server) SetChatFunc(f func(ChatRequest) ChatReply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatFunc = f
}

// QueueChatReplies scripts the next chat answers, one per request, in order.
func (s *Server) QueueChatReplies(replies ...ChatReply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// Requests returns a copy of every request received so far, in order of
// arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the requests received for path, in order of arrival.
func (s *Server) RequestsTo(path string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Calls returns the number of requests received for path.
func (s *Server) Calls(path string) int { return len(s.RequestsTo(path)) }

// Vector is the vector the stand-in returns for text at dimension dim: a
// signed feature hash of the text's lower-cased words, normalised to unit
// length, so texts sharing words have a positive cosine similarity. A text
// without words hashes as a whole.
func Vector(text string, dim int) []float32 {
	if dim <= 0 {
		return []float32{}
	}
	v := make([]float64, dim)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	if len(words) == 0 {
		words = []string{"\x00" + text}
	}
	for _, w := range words {
		h := fnv.New64a()
		h.Write([]byte(w))
		x := h.Sum64()
		sign := 1.0
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dim)] += sign
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dim)
	for i, x := range v {
		if norm > 0 {
			out[i] = float32(x / norm)
		}
	}
	if norm == 0 { // every word cancelled out
		out[0] = 1
	}
	return out
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "reading body: "+err.Error())
		return
	}
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Time: time.Now()}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		rec.JSON = obj
	}

	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.sequence++
	seq := s.sequence
	key := s.apiKey
	s.mu.Unlock()

	if key != "" && r.Header.Get("Authorization") != "Bearer "+key {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided.")
		return
	}

	var method string
	switch r.URL.Path {
	case EmbeddingsPath, ChatPath:
		method = http.MethodPost
	case ModelsPath:
		method = http.MethodGet
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown path "+r.URL.Path)
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", r.Method+" not allowed on "+r.URL.Path)
		return
	}

	f := s.nextFault(r.URL.Path)
	if f.Delay > 0 && !s.wait(r, f.Delay) {
		return
	}
	if f.Drop {
		panic(http.ErrAbortHandler) // net/http closes the connection without a response
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Status != 0 {
		if f.Body != "" {
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
			return
		}
		writeError(w, f.Status, errorType(f.Status), "scripted failure from the openaitest stand-in")
		return
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, f.Body)
		return
	}

	switch r.URL.Path {
	case EmbeddingsPath:
		s.embeddings(w, body, f)
	case ChatPath:
		s.chat(w, r, body, seq)
	case ModelsPath:
		s.listModels(w)
	}
}

func (s *Server) nextFault(path string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queued[path]; len(q) > 0 {
		s.queued[path] = q[1:]
		return q[0]
	}
	return s.always[path]
}

// wait sleeps for d and reports whether the answer should still be sent.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) embeddings(w http.ResponseWriter, body []byte, f Fault) {
	var req struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
		Dimensions     int             `json:"dimensions"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body: "+err.Error())
		return
	}
	inputs := decodeInputs(req.Input)
	if inputs == nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "input: want a string, an array of strings or an array of token arrays")
		return
	}
	s.mu.Lock()
	dim := s.dimension
	s.mu.Unlock()
	if req.Dimensions > 0 {
		dim = req.Dimensions
	}
	if f.Dimension > 0 {
		dim = f.Dimension
	}

	type item struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	data := make([]item, len(inputs))
	tokens := 0
	for i, text := range inputs {
		vec := Vector(text, dim)
		var emb any = vec
		if req.EncodingFormat == "base64" {
			buf := make([]byte, 4*len(vec))
			for j, x := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(x))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data[i] = item{Object: "embedding", Index: i, Embedding: emb}
		tokens += len(strings.Fields(text))
	}
	if f.ReverseOrder {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

// decodeInputs reads the "input" field: a string, an array of strings, or
// token arrays (which hash by their numbers). It returns nil when the field
// is none of these.
func decodeInputs(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && many != nil {
		return many
	}
	var tokens [][]int
	if json.Unmarshal(raw, &tokens) == nil && tokens != nil {
		out := make([]string, len(tokens))
		for i, ts := range tokens {
			out[i] = fmt.Sprint(ts)
		}
		return out
	}
	var single []int
	if json.Unmarshal(raw, &single) == nil && single != nil {
		return []string{fmt.Sprint(single)}
	}
	return nil
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, body []byte, seq int) {
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body: "+err.Error())
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "messages: at least one message is required")
		return
	}
	reply := s.nextReply(req)
	if reply.FinishReason == "" {
		reply.FinishReason = "stop"
	}
	chunks := reply.Chunks
	if chunks == nil {
		chunks = splitAfterSpaces(reply.Content)
	}
	content := reply.Content
	if content == "" {
		content = strings.Join(chunks, "")
	}
	id := "chatcmpl-standin-" + strconv.Itoa(seq)
	created := time.Now().Unix()
	promptTokens := 0
	for _, m := range req.Messages {
		promptTokens += len(strings.Fields(m.Content))
	}
	usage := map[string]int{
		"prompt_tokens":     promptTokens,
		"completion_tokens": len(strings.Fields(content)),
		"total_tokens":      promptTokens + len(strings.Fields(content)),
	}

	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{
			"id":      id,
			"object":  "chat.completion",
			"created": created,
			"model":   req.Model,
			"choices": []map[string]any{{
				"index":         0,
				"message":       map[string]string{"role": "assistant", "content": content},
				"finish_reason": reply.FinishReason,
			}},
			"usage": usage,
		})
		return
	}

	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	chunk := func(delta map[string]string, finish any) map[string]any {
		return map[string]any{
			"id":      id,
			"object":  "chat.completion.chunk",
			"created": created,
			"model":   req.Model,
			"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	send(chunk(map[string]string{"role": "assistant", "content": ""}, nil))
	for i, c := range chunks {
		if reply.AbortAfter > 0 && i == reply.AbortAfter {
			panic(http.ErrAbortHandler)
		}
		if reply.ChunkDelay > 0 && !s.wait(r, reply.ChunkDelay) {
			return
		}
		send(chunk(map[string]string{"content": c}, nil))
	}
	if reply.StreamError != "" {
		send(map[string]any{"error": map[string]any{"message": reply.StreamError, "type": "server_error", "code": nil}})
		return
	}
	send(chunk(map[string]string{}, reply.FinishReason))
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		send(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"choices": []any{}, "usage": usage,
		})
	}
	io.WriteString(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

func (s *Server) nextReply(req ChatRequest) ChatReply {
	s.mu.Lock()
	if len(s.replies) > 0 {
		r := s.replies[0]
		s.replies = s.replies[1:]
		s.mu.Unlock()
		return r
	}
	f := s.chatFunc
	s.mu.Unlock()
	if f != nil {
		return f(req)
	}
	return ChatReply{Content: "stand-in reply to: " + req.LastUserMessage()}
}

func splitAfterSpaces(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func (s *Server) listModels(w http.ResponseWriter) {
	s.mu.Lock()
	ids := append([]string(nil), s.models...)
	s.mu.Unlock()
	data := make([]map[string]any, len(ids))
	for i, id := range ids {
		data[i] = map[string]any{"id": id, "object": "model", "created": 0, "owned_by": "openaitest"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func errorType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{
		"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
