package assistant_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store/storetest"
)

// recorder is the real Service with a note of each request it was asked,
// so that tests can see the history a follow-up carried.
type recorder struct {
	assistant.Asker
	mu   sync.Mutex
	reqs []assistant.Request
	// gate, when set, holds the stream after its first piece until closed.
	gate chan struct{}
}

func (r *recorder) note(q assistant.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, q)
	r.mu.Unlock()
}

func (r *recorder) Ask(ctx context.Context, q assistant.Request) (assistant.Answer, error) {
	r.note(q)
	return r.Asker.Ask(ctx, q)
}

func (r *recorder) AskStream(ctx context.Context, q assistant.Request, emit func(string) error) (assistant.Answer, error) {
	r.note(q)
	first := true
	return r.Asker.AskStream(ctx, q, func(d string) error {
		if emit == nil {
			return nil
		}
		if err := emit(d); err != nil {
			return err
		}
		if first && r.gate != nil {
			first = false
			select {
			case <-r.gate:
			case <-time.After(10 * time.Second):
			}
		}
		return nil
	})
}

func (r *recorder) last() assistant.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

func newRecorder(t *testing.T) *recorder {
	docs, index := needLibrary(t)
	return &recorder{Asker: assistant.New(assistant.Options{Searcher: index, Documents: docs})}
}

const adultQuestion = "Người thành niên là người bao nhiêu tuổi?"

type apiError struct {
	Error struct{ Code, Message, Field string } `json:"error"`
}

func TestAPI(t *testing.T) {
	rec := newRecorder(t)
	s := newSite(t, storetest.SQLite(t), siteOptions{asker: rec})
	thu := s.token("thu@mattranso.test", auth.Staff)
	lan := s.token("lan@mattranso.test", auth.Viewer)

	t.Run("needs a user", func(t *testing.T) {
		for _, rt := range []struct{ method, path string }{
			{"POST", "/api/v1/assistant/ask"},
			{"GET", "/api/v1/assistant/conversations"},
			{"GET", "/api/v1/assistant/conversations/1"},
			{"DELETE", "/api/v1/assistant/conversations/1"},
			{"POST", "/api/v1/assistant/answers/1/feedback"},
		} {
			var e apiError
			res := s.call(rt.method, rt.path, "", map[string]string{"question": adultQuestion}, &e)
			if res.StatusCode != http.StatusUnauthorized || e.Error.Code != "unauthenticated" {
				t.Errorf("%s %s without a token: %d %+v", rt.method, rt.path, res.StatusCode, e)
			}
			res = s.call(rt.method, rt.path, "mts_not-a-real-token", map[string]string{"question": adultQuestion}, &e)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with a bad token: %d", rt.method, rt.path, res.StatusCode)
			}
		}
	})

	var first assistant.AskResponse
	t.Run("ask starts a conversation", func(t *testing.T) {
		res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion}, &first)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("ask: %d", res.StatusCode)
		}
		if !first.Supported || first.Text == "" || len(first.Citations) == 0 || first.ConversationID == 0 || first.AnswerID == 0 || first.Mode != "extractive" {
			t.Fatalf("answer: %+v", first)
		}
		c := first.Citations[0]
		if c.ID == "" || c.Title == "" || c.Quote == "" || !strings.HasPrefix(c.URL, "/van-ban/"+c.ID+"?dieu=") || !strings.HasSuffix(c.URL, "#"+c.Anchor) {
			t.Errorf("citation: %+v", c)
		}
		var raw map[string]any
		s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion}, &raw)
		for _, k := range []string{"answer", "citations", "conversation_id", "mode", "supported", "answer_id"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("the answer has no %q: %v", k, raw)
			}
		}
	})

	t.Run("follow-up carries the history", func(t *testing.T) {
		var next assistant.AskResponse
		res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{
			"question": "Còn người dưới 18 tuổi thì sao?", "conversation_id": first.ConversationID}, &next)
		if res.StatusCode != http.StatusOK || next.ConversationID != first.ConversationID {
			t.Fatalf("follow-up: %d %+v", res.StatusCode, next)
		}
		h := rec.last().History
		if len(h) != 2 || h[0].Content != adultQuestion || h[1].Content != first.Text {
			t.Errorf("history passed: %+v", h)
		}
		var c assistant.Conversation
		s.call("GET", "/api/v1/assistant/conversations/"+itoa(first.ConversationID), thu, nil, &c)
		if len(c.Exchanges) != 2 || c.Title != adultQuestion || c.Exchanges[1].ID != next.AnswerID {
			t.Errorf("conversation: %+v", c)
		}
		var list assistant.ConversationList
		s.call("GET", "/api/v1/assistant/conversations", thu, nil, &list)
		if len(list.Conversations) != 2 || list.Conversations[0].ID != first.ConversationID {
			t.Errorf("list, most recently used first: %+v", list)
		}
	})

	t.Run("bad input names the field", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			path   string
			body   any
			status int
			field  string
		}{
			{"empty question", "/api/v1/assistant/ask", map[string]any{"question": "  "}, 400, "question"},
			{"long question", "/api/v1/assistant/ask", map[string]any{"question": strings.Repeat("luật ", assistant.MaxQuestionLen)}, 400, "question"},
			{"conversation id as text", "/api/v1/assistant/ask", map[string]any{"question": adultQuestion, "conversation_id": "abc"}, 400, "conversation_id"},
			{"unknown kind", "/api/v1/assistant/ask", map[string]any{"question": adultQuestion, "kind": "tin-tuc"}, 400, "kind"},
			{"someone else's conversation", "/api/v1/assistant/ask", map[string]any{"question": adultQuestion, "conversation_id": 999999}, 404, "conversation_id"},
			{"no rating", "/api/v1/assistant/answers/" + itoa(first.AnswerID) + "/feedback", map[string]any{}, 400, "rating"},
			{"long comment", "/api/v1/assistant/answers/" + itoa(first.AnswerID) + "/feedback", map[string]any{"rating": "down", "comment": strings.Repeat("x", assistant.MaxCommentLen+1)}, 400, "comment"},
		} {
			var e apiError
			res := s.call("POST", tc.path, thu, tc.body, &e)
			if res.StatusCode != tc.status || e.Error.Field != tc.field || e.Error.Message == "" {
				t.Errorf("%s: %d %+v, want %d naming %s", tc.name, res.StatusCode, e, tc.status, tc.field)
			}
		}
	})

	t.Run("feedback", func(t *testing.T) {
		path := "/api/v1/assistant/answers/" + itoa(first.AnswerID) + "/feedback"
		var fb assistant.Feedback
		if res := s.call("POST", path, thu, map[string]any{"rating": "up"}, &fb); res.StatusCode != 200 || fb.Rating != "up" {
			t.Fatalf("rate: %d %+v", res.StatusCode, fb)
		}
		if res := s.call("POST", path, thu, map[string]any{"rating": "down", "comment": "Thiếu khoản 2."}, &fb); res.StatusCode != 200 || fb.Comment != "Thiếu khoản 2." {
			t.Fatalf("re-rate: %d %+v", res.StatusCode, fb)
		}
		rated, err := s.convs.Rated(t.Context(), 10)
		if err != nil || len(rated) != 1 || rated[0].Rating != "down" {
			t.Errorf("stored feedback: %+v %v", rated, err)
		}
		if res := s.call("POST", path, lan, map[string]any{"rating": "up"}, nil); res.StatusCode != 404 {
			t.Errorf("rating someone else's answer: %d", res.StatusCode)
		}
	})

	t.Run("only the owner sees and deletes", func(t *testing.T) {
		path := "/api/v1/assistant/conversations/" + itoa(first.ConversationID)
		if res := s.call("GET", path, lan, nil, nil); res.StatusCode != 404 {
			t.Errorf("another user reads: %d", res.StatusCode)
		}
		if res := s.call("DELETE", path, lan, nil, nil); res.StatusCode != 404 {
			t.Errorf("another user deletes: %d", res.StatusCode)
		}
		var list assistant.ConversationList
		s.call("GET", "/api/v1/assistant/conversations", lan, nil, &list)
		if len(list.Conversations) != 0 {
			t.Errorf("another user lists: %+v", list)
		}
		if res := s.call("DELETE", path, thu, nil, nil); res.StatusCode != http.StatusNoContent {
			t.Errorf("owner deletes: %d", res.StatusCode)
		}
		if res := s.call("GET", path, thu, nil, nil); res.StatusCode != 404 {
			t.Errorf("after delete: %d", res.StatusCode)
		}
	})

	t.Run("multiple choice", func(t *testing.T) {
		choices := map[string]string{"A": "16 tuổi", "B": "18 tuổi", "C": "21 tuổi"}
		var a assistant.AskResponse
		res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion, "choices": choices}, &a)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("ask with choices: %d", res.StatusCode)
		}
		if _, ok := choices[a.Short]; !ok || !a.Supported || len(a.Citations) == 0 {
			t.Fatalf("the answer is not one of the choices: %+v", a.Answer)
		}
		if a.Short != "B" || !strings.Contains(a.Text, "B. 18 tuổi") {
			t.Errorf("answer %q (%q), want B. 18 tuổi", a.Short, a.Text)
		}
		// The handler orders the options by key before the domain sees them.
		if cs := rec.last().Choices; len(cs) != 3 || cs[0].Key != "A" || cs[2].Key != "C" {
			t.Errorf("choices passed: %+v", cs)
		}

		many := map[string]string{}
		for i := range assistant.MaxChoices + 1 {
			many[string(rune('A'+i))] = itoa(int64(i)) + " tuổi"
		}
		for _, tc := range []struct {
			name    string
			choices map[string]string
			says    string // a part the message must hold
		}{
			{"too many", many, "11 choices, at most 10"},
			{"an empty option", map[string]string{"A": "18 tuổi", "B": "  "}, `choice "B" is empty`},
			{"a key that is not a letter", map[string]string{"A": "18 tuổi", "Phương án": "21 tuổi"}, "is not a letter"},
			{"a key given twice", map[string]string{"A": "18 tuổi", "a": "21 tuổi"}, "given twice"},
			{"a long option", map[string]string{"A": strings.Repeat("x", assistant.MaxChoiceLen+1)}, "longer than 500 characters"},
		} {
			var e apiError
			res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion, "choices": tc.choices}, &e)
			if res.StatusCode != http.StatusBadRequest || e.Error.Field != "choices" || !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("%s: %d %+v, want 400 naming choices and saying %q", tc.name, res.StatusCode, e, tc.says)
			}
		}
		var e apiError
		if res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion, "choices": []string{"16 tuổi", "18 tuổi"}}, &e); res.StatusCode != http.StatusBadRequest {
			t.Errorf("choices as a list: %d %+v, want 400", res.StatusCode, e)
		}
	})

	t.Run("no support is said plainly", func(t *testing.T) {
		var a assistant.AskResponse
		s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": "Giá vé máy bay từ Hà Nội đi Paris tháng sau là bao nhiêu?"}, &a)
		if a.Supported || !strings.Contains(a.Text, "Thư viện chưa có căn cứ") {
			t.Errorf("an unanswerable question: %+v", a.Answer)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sseEvent is one event of a text/event-stream.
type sseEvent struct{ name, data string }

// readSSE reads events from r until it ends, calling each with the event.
func readSSE(t *testing.T, sc *bufio.Scanner, each func(sseEvent)) {
	t.Helper()
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.data != "" || ev.name != "" {
				each(ev)
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func TestAPIStream(t *testing.T) {
	rec := newRecorder(t)
	// The gate is set before the server starts and only closed after:
	// the handler reads it while this goroutine reads the stream.
	rec.gate = make(chan struct{})
	released := false
	s := newSite(t, storetest.SQLite(t), siteOptions{asker: rec})
	thu := s.token("thu@mattranso.test", auth.Staff)

	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.srv.URL+"/api/v1/assistant/ask",
		strings.NewReader(`{"question":"`+adultQuestion+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip") // events must still come as they are made
	req.Header.Set("Authorization", "Bearer "+thu)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("stream answered %d %q %q", res.StatusCode, ct, res.Header.Get("Content-Encoding"))
	}
	var deltas strings.Builder
	var done *assistant.AskResponse
	var names []string
	readSSE(t, bufio.NewScanner(res.Body), func(ev sseEvent) {
		names = append(names, ev.name)
		switch ev.name {
		case "delta":
			var d struct{ Text string }
			if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
				t.Fatal(err)
			}
			deltas.WriteString(d.Text)
			if !released {
				// The first piece arrived while the answer was held: it
				// was flushed, not buffered until the end.
				close(rec.gate)
				released = true
			}
		case "done":
			done = &assistant.AskResponse{}
			if err := json.Unmarshal([]byte(ev.data), done); err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("unexpected event %s: %s", ev.name, ev.data)
		}
	})
	if !released {
		t.Fatal("no delta event arrived")
	}
	if done == nil || names[len(names)-1] != "done" {
		t.Fatalf("events %v: no done at the end", names)
	}
	if deltas.String() != done.Text || !done.Supported || len(done.Citations) == 0 || done.ConversationID == 0 {
		t.Errorf("deltas %q; done %+v", deltas.String(), done)
	}
	c, _, err := s.convs.Get(t.Context(), mustUserID(t, s, "thu@mattranso.test"), done.ConversationID, assistant.Page{})
	if err != nil || len(c.Exchanges) != 1 || c.Exchanges[0].Answer.Text != done.Text {
		t.Errorf("the streamed answer was stored as %+v (%v)", c, err)
	}

	// A bad question before the stream starts is a plain JSON error.
	req, _ = http.NewRequestWithContext(t.Context(), "POST", s.srv.URL+"/api/v1/assistant/ask", strings.NewReader(`{"question":""}`))
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+thu)
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != 400 || !strings.HasPrefix(res2.Header.Get("Content-Type"), "application/json") {
		t.Errorf("empty question on a stream: %d %s", res2.StatusCode, res2.Header.Get("Content-Type"))
	}
}

func mustUserID(t *testing.T, s *site, email string) int64 {
	t.Helper()
	u, err := s.auth.Store().UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
