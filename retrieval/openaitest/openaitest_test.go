package openaitest_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mattranso/mattranso/retrieval/openaitest"
)

// These tests drive the stand-in with go-openai, the client the project
// uses, so that the embedder's and the assistant's tests can rely on it
// speaking the protocol the way real servers do.

func client(srv *openaitest.Server, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = srv.URL
	return openai.NewClientWithConfig(cfg)
}

func chatRequest(question string) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model: "stand-in-chat",
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "Trả lời bằng tiếng Việt."},
			{Role: openai.ChatMessageRoleUser, Content: question},
		},
	}
}

// stream reads a whole stream and returns the content and finish reason.
func stream(t *testing.T, c *openai.Client, req openai.ChatCompletionRequest) (content, finish string, chunks int, err error) {
	t.Helper()
	req.Stream = true
	s, err := c.CreateChatCompletionStream(context.Background(), req)
	if err != nil {
		return "", "", 0, err
	}
	defer s.Close()
	var b strings.Builder
	for {
		resp, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return b.String(), finish, chunks, nil
		}
		if err != nil {
			return b.String(), finish, chunks, err
		}
		for _, ch := range resp.Choices {
			if ch.Delta.Content != "" {
				chunks++
				b.WriteString(ch.Delta.Content)
			}
			if ch.FinishReason != "" {
				finish = string(ch.FinishReason)
			}
		}
	}
}

func TestChat(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(*openaitest.Server)
		stream      bool
		wantContent string
		wantFinish  string
		wantChunks  int // streamed content chunks; 0 skips the check
		wantErr     string
	}{
		{
			name:        "default echoes the question",
			setup:       func(*openaitest.Server) {},
			wantContent: "stand-in reply to: Điều 5 quy định gì?",
			wantFinish:  "stop",
		},
		{
			name:        "default echoes the question, streamed",
			setup:       func(*openaitest.Server) {},
			stream:      true,
			wantContent: "stand-in reply to: Điều 5 quy định gì?",
			wantFinish:  "stop",
			wantChunks:  8, // cut after each space
		},
		{
			name: "queued reply",
			setup: func(s *openaitest.Server) {
				s.QueueChatReplies(openaitest.ChatReply{Content: "Theo khoản 1 Điều 5.", FinishReason: "length"})
			},
			wantContent: "Theo khoản 1 Điều 5.",
			wantFinish:  "length",
		},
		{
			name: "queued reply with chunks, streamed",
			setup: func(s *openaitest.Server) {
				s.QueueChatReplies(openaitest.ChatReply{Chunks: []string{"Theo ", "khoản 1", " Điều 5."}})
			},
			stream:      true,
			wantContent: "Theo khoản 1 Điều 5.",
			wantFinish:  "stop",
			wantChunks:  3,
		},
		{
			name: "reply func sees the request",
			setup: func(s *openaitest.Server) {
				s.SetChatFunc(func(r openaitest.ChatRequest) openaitest.ChatReply {
					return openaitest.ChatReply{Content: r.Model + "|" + r.Messages[0].Role + "|" + strings.ToUpper(r.LastUserMessage())}
				})
			},
			stream:      true,
			wantContent: "stand-in-chat|system|ĐIỀU 5 QUY ĐỊNH GÌ?",
			wantFinish:  "stop",
		},
		{
			name: "server error",
			setup: func(s *openaitest.Server) {
				s.QueueFaults(openaitest.ChatPath, openaitest.Fault{Status: http.StatusInternalServerError})
			},
			wantErr: "500",
		},
		{
			name: "server error, streamed",
			setup: func(s *openaitest.Server) {
				s.QueueFaults(openaitest.ChatPath, openaitest.Fault{Status: http.StatusServiceUnavailable})
			},
			stream:  true,
			wantErr: "503",
		},
		{
			name: "stream cut by the network",
			setup: func(s *openaitest.Server) {
				s.QueueChatReplies(openaitest.ChatReply{Content: "một hai ba bốn", AbortAfter: 2})
			},
			stream:      true,
			wantContent: "một hai ",
			wantErr:     "EOF",
		},
		{
			name: "error inside the stream",
			setup: func(s *openaitest.Server) {
				s.QueueChatReplies(openaitest.ChatReply{Content: "một hai", StreamError: "model overloaded"})
			},
			stream:      true,
			wantContent: "một hai",
			wantErr:     "model overloaded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := openaitest.New(t)
			tc.setup(srv)
			c := client(srv, "")
			req := chatRequest("Điều 5 quy định gì?")

			var content, finish string
			var chunks int
			var err error
			if tc.stream {
				content, finish, chunks, err = stream(t, c, req)
			} else {
				var resp openai.ChatCompletionResponse
				resp, err = c.CreateChatCompletion(context.Background(), req)
				if err == nil {
					if len(resp.Choices) != 1 || resp.Object != "chat.completion" || resp.Usage.TotalTokens == 0 {
						t.Errorf("response = %+v, want one choice, object chat.completion and usage", resp)
					}
					content, finish = resp.Choices[0].Message.Content, string(resp.Choices[0].FinishReason)
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if content != tc.wantContent {
				t.Errorf("content = %q, want %q", content, tc.wantContent)
			}
			if finish != tc.wantFinish {
				t.Errorf("finish reason = %q, want %q", finish, tc.wantFinish)
			}
			if tc.wantChunks > 0 && chunks != tc.wantChunks {
				t.Errorf("%d content chunks, want %d", chunks, tc.wantChunks)
			}
			reqs := srv.RequestsTo(openaitest.ChatPath)
			if len(reqs) != 1 {
				t.Fatalf("%d chat requests recorded, want 1", len(reqs))
			}
			if got := reqs[0].JSON["stream"] == true; got != tc.stream {
				t.Errorf("recorded stream = %v, want %v", got, tc.stream)
			}
		})
	}
}

func TestChatStreamWire(t *testing.T) {
	srv := openaitest.New(t)
	srv.QueueChatReplies(openaitest.ChatReply{Chunks: []string{"a", "b"}})
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":[{"type":"text","text":"xin chào"}]}]}`
	resp, err := http.Post(srv.URL+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	events := strings.Split(strings.TrimSpace(string(raw)), "\n\n")
	// role, "a", "b", finish, usage, [DONE]
	if len(events) != 6 {
		t.Fatalf("%d events, want 6:\n%s", len(events), raw)
	}
	for _, e := range events {
		if !strings.HasPrefix(e, "data: ") {
			t.Fatalf("event %q does not start with \"data: \"", e)
		}
	}
	if !strings.Contains(events[4], `"usage"`) || events[5] != "data: [DONE]" {
		t.Fatalf("want a usage chunk then [DONE]; got:\n%s", raw)
	}
	var req openaitest.ChatRequest
	if err := srv.Requests()[0].Decode(&req); err != nil || req.LastUserMessage() != "xin chào" {
		t.Fatalf("decoded request = %+v, %v; want the text part joined", req, err)
	}
}

func TestChatStreamHonoursClientCancel(t *testing.T) {
	srv := openaitest.New(t)
	srv.QueueChatReplies(openaitest.ChatReply{Content: "một hai ba", ChunkDelay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req := chatRequest("?")
	req.Stream = true
	s, err := client(srv, "").CreateChatCompletionStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	for {
		if _, err = s.Recv(); err != nil {
			break
		}
	}
	if errors.Is(err, io.EOF) || time.Since(start) > 2*time.Second {
		t.Fatalf("stream ended with %v after %v; want a prompt context error", err, time.Since(start))
	}
}

func TestAuth(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetAPIKey("sk-test")
	if _, err := client(srv, "sk-test").CreateChatCompletion(context.Background(), chatRequest("a")); err != nil {
		t.Fatalf("right key: %v", err)
	}
	for _, key := range []string{"", "sk-wrong"} {
		_, err := client(srv, key).CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{Input: []string{"a"}, Model: "m"})
		var apiErr *openai.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusUnauthorized {
			t.Fatalf("key %q: err = %v, want 401", key, err)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests recorded, want 3 (rejected ones too)", len(reqs))
	}
	for i, want := range []string{"Bearer sk-test", "", "Bearer sk-wrong"} {
		if got := reqs[i].Header.Get("Authorization"); got != want {
			t.Errorf("request %d Authorization = %q, want %q", i, got, want)
		}
	}
}

func TestEmbeddings(t *testing.T) {
	srv := openaitest.New(t)
	c := client(srv, "")
	in := []string{"Quyền bầu cử", "quyền BẦU cử!", "Nghĩa vụ quân sự", ""}
	for _, format := range []openai.EmbeddingEncodingFormat{"", openai.EmbeddingEncodingFormatBase64} {
		resp, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{Input: in, Model: "m", EncodingFormat: format})
		if err != nil {
			t.Fatalf("format %q: %v", format, err)
		}
		if len(resp.Data) != len(in) {
			t.Fatalf("format %q: %d vectors, want %d", format, len(resp.Data), len(in))
		}
		for i, d := range resp.Data {
			if d.Index != i || !reflect.DeepEqual(d.Embedding, openaitest.Vector(in[i], openaitest.DefaultDimension)) {
				t.Fatalf("format %q: vector %d (index %d) is not Vector(%q)", format, i, d.Index, in[i])
			}
		}
	}
	if got := srv.RequestsTo(openaitest.EmbeddingsPath)[0].Inputs(); !reflect.DeepEqual(got, in) {
		t.Fatalf("recorded inputs = %q, want %q", got, in)
	}

	srv.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Dimension: 3}, openaitest.Fault{Status: 429, RetryAfter: "7"})
	resp, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{Input: []string{"a"}, Model: "m"})
	if err != nil || len(resp.Data[0].Embedding) != 3 {
		t.Fatalf("scripted dimension: %v, %v", resp, err)
	}
	_, err = c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{Input: []string{"a"}, Model: "m"})
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusTooManyRequests {
		t.Fatalf("scripted 429: err = %v", err)
	}
}

func TestVector(t *testing.T) {
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	for _, text := range []string{"", "a", "Điều 5 Luật Đất đai", "!!!"} {
		for _, dim := range []int{1, 8, 384} {
			v := openaitest.Vector(text, dim)
			if len(v) != dim || math.Abs(cos(v, v)-1) > 1e-5 {
				t.Fatalf("Vector(%q, %d) has length %d, norm² %v; want unit length", text, dim, len(v), cos(v, v))
			}
			if !reflect.DeepEqual(v, openaitest.Vector(text, dim)) {
				t.Fatalf("Vector(%q, %d) is not deterministic", text, dim)
			}
		}
	}
	a := openaitest.Vector("thủ tục đăng ký khai sinh", 256)
	b := openaitest.Vector("đăng ký khai sinh cho trẻ", 256)
	c := openaitest.Vector("nghĩa vụ quân sự", 256)
	if cos(a, b) <= cos(a, c) {
		t.Fatalf("texts sharing words should be closer: cos(a,b)=%v, cos(a,c)=%v", cos(a, b), cos(a, c))
	}
}

func TestModelsAndRouting(t *testing.T) {
	srv := openaitest.New(t)
	srv.SetModels("bge-m3", "qwen2.5")
	list, err := client(srv, "").ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Models {
		ids = append(ids, m.ID)
	}
	if !reflect.DeepEqual(ids, []string{"bge-m3", "qwen2.5"}) {
		t.Fatalf("models = %v", ids)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, openaitest.EmbeddingsPath, http.StatusMethodNotAllowed},
		{http.MethodPost, "/v1/completions", http.StatusNotFound},
		{http.MethodPost, openaitest.ChatPath, http.StatusBadRequest}, // empty body
	} {
		req, _ := http.NewRequest(tc.method, strings.TrimSuffix(srv.URL, "/v1")+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := openaitest.New(t)
	c := client(srv, "")
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{Input: []string{"x"}, Model: "m"}); err != nil {
				t.Error(err)
			}
			if _, _, _, err := stream(t, c, chatRequest("y")); err != nil {
				t.Error(err)
			}
			srv.SetDimension(8)
			_ = srv.Requests()
		})
	}
	wg.Wait()
	if n := len(srv.Requests()); n != 32 {
		t.Fatalf("%d requests recorded, want 32", n)
	}
}
