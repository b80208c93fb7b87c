package assistant_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// count is how many questions the recorder was asked.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// unlimited lets a test ask as fast as it likes.
func unlimited() *auth.Limiter { return auth.NewLimiter(rate.Inf, 1) }

// Through the API: a full conversation refuses a follow-up with 409
// before answering it; the list and a conversation come in pages linked
// by "next"; bad page parameters are refused naming the parameter.
func TestAPIConversationLimitsAndPaging(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		rec := newRecorder(t)
		s := newSite(t, db, siteOptions{asker: rec, askLimiter: unlimited()})
		s.convs.Limits = assistant.Limits{Conversations: 4, Exchanges: 3}
		thu := s.token("thu@mattranso.test", auth.Staff)

		var first assistant.AskResponse
		if res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion}, &first); res.StatusCode != 200 {
			t.Fatalf("ask: %d", res.StatusCode)
		}
		for _, q := range []string{"Còn người dưới 18 tuổi thì sao?", "Người chưa thành niên là ai?"} {
			if res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": q, "conversation_id": first.ConversationID}, nil); res.StatusCode != 200 {
				t.Fatalf("follow-up: %d", res.StatusCode)
			}
		}
		asked := rec.count()
		var e apiError
		res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": "Và người già?", "conversation_id": first.ConversationID}, &e)
		if res.StatusCode != http.StatusConflict || e.Error.Code != "conversation_full" || e.Error.Field != "conversation_id" ||
			!strings.Contains(e.Error.Message, "đã đủ 3 câu hỏi") || !strings.Contains(e.Error.Message, "cuộc trò chuyện mới") {
			t.Errorf("a fourth question in a conversation of three: %d %+v", res.StatusCode, e)
		}
		if rec.count() != asked {
			t.Error("the refused follow-up was answered first")
		}

		// The conversation in pages of two: the latest two, then the first.
		path := "/api/v1/assistant/conversations/" + itoa(first.ConversationID)
		var page assistant.ConversationPage
		s.call("GET", path+"?limit=2", thu, nil, &page)
		if len(page.Exchanges) != 2 || page.ExchangeCount != 3 || page.Exchanges[1].Question != "Người chưa thành niên là ai?" || page.Next == "" {
			t.Fatalf("first page: %+v", page)
		}
		var earlier assistant.ConversationPage
		s.call("GET", page.Next, thu, nil, &earlier)
		if len(earlier.Exchanges) != 1 || earlier.Exchanges[0].ID != first.AnswerID || earlier.Next != "" {
			t.Errorf("earlier page (%s): %+v", page.Next, earlier)
		}

		// Four more conversations: the first, least recently used, goes.
		var last assistant.AskResponse
		for i := range 4 {
			if res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": fmt.Sprintf("Thủ tục đăng ký khai sinh lần %d?", i)}, &last); res.StatusCode != 200 {
				t.Fatalf("new conversation %d: %d", i, res.StatusCode)
			}
		}
		if res := s.call("GET", path, thu, nil, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("the conversation past the limit of four: %d, want 404", res.StatusCode)
		}
		var ids []int64
		next := "/api/v1/assistant/conversations?limit=3"
		for pages := 0; next != ""; pages++ {
			if pages > 3 {
				t.Fatal("the list does not end")
			}
			var list assistant.ConversationList
			if res := s.call("GET", next, thu, nil, &list); res.StatusCode != 200 || len(list.Conversations) > 3 {
				t.Fatalf("%s: %d %+v", next, res.StatusCode, list)
			}
			for _, c := range list.Conversations {
				ids = append(ids, c.ID)
			}
			next = list.Next
		}
		if len(ids) != 4 || ids[0] != last.ConversationID {
			t.Errorf("the list in pages: %v, want four, %d first", ids, last.ConversationID)
		}

		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"}, {"limit=201", "limit"}, {"limit=hai", "limit"}, {"before=-1", "before"}, {"before=x", "before"},
		} {
			for _, p := range []string{"/api/v1/assistant/conversations", "/api/v1/assistant/conversations/" + itoa(last.ConversationID)} {
				var e apiError
				res := s.call("GET", p+"?"+tc.query, thu, nil, &e)
				if res.StatusCode != http.StatusBadRequest || e.Error.Field != tc.field || !strings.Contains(e.Error.Message, "Tham số "+tc.field) {
					t.Errorf("%s?%s: %d %+v, want 400 naming %s", p, tc.query, res.StatusCode, e, tc.field)
				}
			}
		}
	})
}

// The chat page shows the latest questions of a long conversation with a
// link to the earlier ones, a page of the list with a link to older
// conversations, and, for a full conversation, a form that starts anew.
func TestChatPagePaging(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), siteOptions{askLimiter: unlimited()})
	tok := s.token("thu@mattranso.test", auth.Staff)
	ctx := t.Context()
	user := mustUserID(t, s, "thu@mattranso.test")
	var conv int64
	var answers []int64
	for i := range assistant.PageSize + 3 {
		e, err := s.convs.Append(ctx, user, conv, fmt.Sprintf("Câu hỏi số %d?", i), answerFor("Trả lời.", false))
		if err != nil {
			t.Fatal(err)
		}
		conv, answers = e.ConversationID, append(answers, e.ID)
	}
	for i := range assistant.PageSize {
		if _, err := s.convs.Append(ctx, user, 0, fmt.Sprintf("Cuộc trò chuyện khác %d?", i), answerFor("Trả lời.", false)); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		res := s.call("GET", path, tok, nil, nil)
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res.StatusCode, b.String()
	}
	link := func(page, text string) string {
		t.Helper()
		i := strings.Index(page, text)
		j := strings.LastIndex(page[:max(i, 0)], `href="`)
		if i < 0 || j < 0 {
			return ""
		}
		href := page[j+len(`href="`):]
		return strings.ReplaceAll(href[:strings.IndexByte(href, '"')], "&amp;", "&")
	}

	status, page := get("/tro-ly?c=" + itoa(conv))
	if status != 200 || strings.Count(page, `class="qa" id="tra-loi-`) != assistant.PageSize ||
		!strings.Contains(page, "Câu hỏi số 52?") || strings.Contains(page, "Câu hỏi số 2?<") {
		t.Fatalf("the latest page (%d) shows %d exchanges", status, strings.Count(page, `class="qa" id="tra-loi-`))
	}
	if strings.Count(page, `<li><a href="/tro-ly?c=`) != assistant.PageSize {
		t.Errorf("the list shows %d conversations, want a page of %d", strings.Count(page, `<li><a href="/tro-ly?c=`), assistant.PageSize)
	}
	older := link(page, "Các cuộc trò chuyện cũ hơn")
	earlier := link(page, "Xem các câu hỏi trước")
	if earlier == "" || older == "" {
		t.Fatalf("links: earlier %q, older conversations %q", earlier, older)
	}
	status, page = get(earlier)
	if status != 200 || strings.Count(page, `class="qa" id="tra-loi-`) != 3 || !strings.Contains(page, "Câu hỏi số 0?") ||
		link(page, "Về các câu hỏi mới nhất") != "/tro-ly?c="+itoa(conv) {
		t.Errorf("the earlier page %s (%d): %d exchanges", earlier, status, strings.Count(page, `class="qa" id="tra-loi-`))
	}
	status, page = get(older)
	if status != 200 || strings.Count(page, `<li><a href="/tro-ly?c=`) != 1 || link(page, "Các cuộc trò chuyện cũ hơn") != "" {
		t.Errorf("the older conversations %s (%d): %d listed", older, status, strings.Count(page, `<li><a href="/tro-ly?c=`))
	}
	if status, _ := get("/tro-ly?c=" + itoa(conv) + "&truoc=abc"); status != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d, want 400", status)
	}

	// Rating an early answer without script comes back to its page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"rating": {"up"}, "conversation_id": {itoa(conv)}}
	req, _ := http.NewRequestWithContext(ctx, "POST", s.srv.URL+"/tro-ly/tra-loi/"+itoa(answers[1])+"/danh-gia", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if _, page := get(strings.Split(loc, "#")[0]); !strings.Contains(page, `id="tra-loi-`+itoa(answers[1])+`"`) {
		t.Errorf("after rating answer %d the page %s does not show it", answers[1], loc)
	}

	// A full conversation: the page says so and its form starts anew.
	s.convs.Limits = assistant.Limits{Exchanges: assistant.PageSize + 3}
	_, page = get("/tro-ly?c=" + itoa(conv))
	if !strings.Contains(page, `id="chat-full"`) || !strings.Contains(page, `id="conversation-id" value=""`) {
		t.Error("a full conversation's page neither says so nor starts a new conversation")
	}
	req, _ = http.NewRequestWithContext(ctx, "POST", s.srv.URL+"/tro-ly", strings.NewReader(url.Values{
		"question": {"Hỏi thêm?"}, "conversation_id": {itoa(conv)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Errorf("a follow-up to a full conversation by form: %d, want 409", res.StatusCode)
	}
}

// instantAsker stands in for the assistant where only the limits of the
// HTTP layer are under test: it answers at once, with nothing found.
type instantAsker struct{}

func (instantAsker) Ask(ctx context.Context, q assistant.Request) (assistant.Answer, error) {
	return assistant.Answer{Text: "Chưa tìm thấy căn cứ.", Mode: "extractive"}, nil
}

func (a instantAsker) AskStream(ctx context.Context, q assistant.Request, emit func(string) error) (assistant.Answer, error) {
	return a.Ask(ctx, q)
}

// Each user asks at most AskBurst questions at once, through the API,
// the form and the OpenAI-compatible façade alike; past that 429 with
// Retry-After, and other users are not held back.
func TestAskRateLimit(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), siteOptions{asker: instantAsker{}})
	thu := s.token("thu@mattranso.test", auth.Staff)
	lan := s.token("lan@mattranso.test", auth.Staff)
	// The answers come at once: the burst takes far less than AskEvery,
	// in which the limiter gives back one question.
	for i := range assistant.AskBurst {
		if res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion}, nil); res.StatusCode != 200 {
			t.Fatalf("question %d of the first %d: %d", i+1, assistant.AskBurst, res.StatusCode)
		}
	}
	var e apiError
	res := s.call("POST", "/api/v1/assistant/ask", thu, map[string]any{"question": adultQuestion}, &e)
	retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.StatusCode != http.StatusTooManyRequests || e.Error.Code != "rate_limited" || retry < 1 || retry > int(assistant.AskEvery/time.Second) ||
		!strings.Contains(e.Error.Message, "thử lại sau") {
		t.Errorf("question %d: %d %+v (Retry-After %q)", assistant.AskBurst+1, res.StatusCode, e, res.Header.Get("Retry-After"))
	}
	// A refused question does not count as one: bad input is no question.
	if res := s.call("POST", "/api/v1/assistant/ask", lan, map[string]any{"question": ""}, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an empty question: %d", res.StatusCode)
	}
	if res := s.call("POST", "/api/v1/assistant/ask", lan, map[string]any{"question": adultQuestion}, nil); res.StatusCode != 200 {
		t.Errorf("another user: %d", res.StatusCode)
	}
	res = s.call("POST", "/v1/chat/completions", thu, map[string]any{"model": assistant.ModelID,
		"messages": []map[string]string{{"role": "user", "content": adultQuestion}}}, nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("the OpenAI-compatible façade past the limit: %d", res.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.srv.URL+"/tro-ly", strings.NewReader(url.Values{"question": {adultQuestion}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+thu)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the form past the limit: %d", res.StatusCode)
	}
}
