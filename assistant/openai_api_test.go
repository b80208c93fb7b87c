package assistant_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestOpenAIFacade talks to /v1 with the go-openai client, as any OpenAI
// chat client would.
func TestOpenAIFacade(t *testing.T) {
	rec := newRecorder(t)
	s := newSite(t, storetest.SQLite(t), siteOptions{asker: rec})
	token := s.token("script@mattranso.test", auth.Staff)
	client := func(tok string) *openai.Client {
		cfg := openai.DefaultConfig(tok)
		cfg.BaseURL = s.srv.URL + "/v1"
		return openai.NewClientWithConfig(cfg)
	}
	c := client(token)
	ctx := t.Context()

	t.Run("models", func(t *testing.T) {
		m, err := c.ListModels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Models) != 1 || m.Models[0].ID != assistant.ModelID {
			t.Errorf("models: %+v", m.Models)
		}
	})

	t.Run("completion", func(t *testing.T) {
		res, err := c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			Model: assistant.ModelID,
			Messages: []openai.ChatCompletionMessage{
				{Role: openai.ChatMessageRoleSystem, Content: "Bạn là trợ lý."},
				{Role: openai.ChatMessageRoleUser, Content: adultQuestion},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Object != "chat.completion" || len(res.Choices) != 1 || res.Choices[0].FinishReason != openai.FinishReasonStop {
			t.Fatalf("completion: %+v", res)
		}
		msg := res.Choices[0].Message
		if msg.Role != "assistant" || !strings.Contains(msg.Content, "\n\nNguồn:\n[1] ") || !strings.Contains(msg.Content, "/van-ban/") {
			t.Errorf("content: %q", msg.Content)
		}
		if len(rec.last().History) != 0 {
			t.Errorf("a system message became history: %+v", rec.last().History)
		}

		// The earlier turns are the history; the appended sources are not.
		_, err = c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			Model: assistant.ModelID,
			Messages: []openai.ChatCompletionMessage{
				{Role: openai.ChatMessageRoleUser, Content: adultQuestion},
				{Role: openai.ChatMessageRoleAssistant, Content: msg.Content},
				{Role: openai.ChatMessageRoleUser, Content: "Còn người dưới 18 tuổi thì sao?"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		h := rec.last().History
		if len(h) != 2 || h[0].Content != adultQuestion || strings.Contains(h[1].Content, "Nguồn:") || h[1].Content == "" {
			t.Errorf("history: %+v", h)
		}
		if q := rec.last().Question; q != "Còn người dưới 18 tuổi thì sao?" {
			t.Errorf("question: %q", q)
		}
	})

	t.Run("stream", func(t *testing.T) {
		st, err := c.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
			Model:    assistant.ModelID,
			Stream:   true,
			Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: adultQuestion}},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var text strings.Builder
		chunks, finish := 0, openai.FinishReason("")
		for {
			r, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			chunks++
			if r.Object != "chat.completion.chunk" || len(r.Choices) != 1 {
				t.Fatalf("chunk: %+v", r)
			}
			text.WriteString(r.Choices[0].Delta.Content)
			if r.Choices[0].FinishReason != "" {
				finish = r.Choices[0].FinishReason
			}
		}
		if chunks < 4 || finish != openai.FinishReasonStop || !strings.Contains(text.String(), "Nguồn:\n[1] ") {
			t.Errorf("%d chunks, finish %q, text %q", chunks, finish, text.String())
		}
	})

	t.Run("errors", func(t *testing.T) {
		var apiErr *openai.APIError
		_, err := client("").CreateChatCompletion(ctx, openai.ChatCompletionRequest{
			Model: assistant.ModelID, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: adultQuestion}}})
		if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusUnauthorized {
			t.Errorf("without a token: %v", err)
		}
		_, err = client("").CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{Stream: true,
			Model: assistant.ModelID, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: adultQuestion}}})
		if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusUnauthorized {
			t.Errorf("stream without a token: %v", err)
		}
		if _, err := client("").ListModels(ctx); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusUnauthorized {
			t.Errorf("models without a token: %v", err)
		}
		for _, tc := range []struct {
			name   string
			req    openai.ChatCompletionRequest
			status int
		}{
			{"unknown model", openai.ChatCompletionRequest{Model: "gpt-4o", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: adultQuestion}}}, 404},
			{"last message not the user's", openai.ChatCompletionRequest{Model: assistant.ModelID, Messages: []openai.ChatCompletionMessage{{Role: "assistant", Content: "Xin chào"}}}, 400},
			{"empty question", openai.ChatCompletionRequest{Model: assistant.ModelID, Messages: []openai.ChatCompletionMessage{{Role: "user", Content: " "}}}, 400},
		} {
			_, err := c.CreateChatCompletion(ctx, tc.req)
			if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tc.status || apiErr.Message == "" {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	})
}
