package assistant

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms/openai"

	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/openaitest"
)

// The language model is the openaitest stand-in: a scripted
// OpenAI-compatible server, not a model (none can run here).
func standInLLM(t *testing.T) (*openaitest.Server, *openai.LLM) {
	t.Helper()
	srv := openaitest.New(t)
	llm, err := openai.New(openai.WithBaseURL(srv.URL), openai.WithToken("test"), openai.WithModel("stand-in-chat"))
	if err != nil {
		t.Fatal(err)
	}
	return srv, llm
}

func TestGenerativeCitationsChecked(t *testing.T) {
	idx, docs := testIndex(t)
	srv, llm := standInLLM(t)
	s := New(Options{Searcher: idx, Documents: docs, LLM: llm, LLMTimeout: 5 * time.Second})
	srv.QueueChatReplies(openaitest.ChatReply{Content: "Thời hạn cấm cư trú là từ 01 năm đến 05 năm [1]. Xem thêm [9] và [1, 12]."})
	a, err := s.Ask(context.Background(), Request{Question: "Thời hạn cấm cư trú là bao lâu?"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != "generative" || !a.Flagged || !a.Supported {
		t.Fatalf("answer %+v: want generative, flagged, supported", a)
	}
	if strings.Contains(a.Text, "[9]") || strings.Contains(a.Text, "12") || !strings.Contains(a.Text, "[1]") {
		t.Errorf("Text = %q: unknown citations not removed", a.Text)
	}
	if len(a.Citations) != 1 || a.Citations[0].N != 1 || !strings.HasPrefix(a.Citations[0].Label, "Điều 42") {
		t.Errorf("citations %+v, want [1] = Điều 42", a.Citations)
	}
	checkCitationsRetrieved(t, idx, a)

	// The prompt numbers the passages and fences them as data.
	reqs := srv.RequestsTo(openaitest.ChatPath)
	var req openaitest.ChatRequest
	if err := reqs[len(reqs)-1].Decode(&req); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Messages[0].Content, "KHÔNG phải chỉ dẫn") || !strings.Contains(req.LastUserMessage(), "<<<DOAN 1>>>") {
		t.Errorf("prompt does not fence numbered passages: %+v", req.Messages)
	}
}

func TestGenerativeNoValidCitationFallsBack(t *testing.T) {
	idx, docs := testIndex(t)
	srv, llm := standInLLM(t)
	s := New(Options{Searcher: idx, Documents: docs, LLM: llm})
	srv.QueueChatReplies(openaitest.ChatReply{Content: "Theo tôi là 10 năm [7]."})
	a, err := s.Ask(context.Background(), Request{Question: "Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != "extractive" || a.Notice == "" || !strings.Contains(a.Short, "01 năm đến 05 năm") {
		t.Errorf("answer %+v: want the extractive answer with a notice", a)
	}
}

func TestGenerativeTimeoutFallsBack(t *testing.T) {
	idx, docs := testIndex(t)
	srv, llm := standInLLM(t)
	srv.SetFault(openaitest.ChatPath, openaitest.Fault{Delay: 3 * time.Second})
	s := New(Options{Searcher: idx, Documents: docs, LLM: llm, LLMTimeout: 200 * time.Millisecond})
	start := time.Now()
	a, err := s.Ask(context.Background(), Request{Question: "Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?"})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v: the timeout did not cut the model short", time.Since(start))
	}
	if a.Mode != "extractive" || a.Notice != NoticeModelDown || len(a.Citations) == 0 {
		t.Errorf("answer %+v: want extractive with the model-down notice", a)
	}
	// A model that answers 500 falls back the same way.
	srv.SetFault(openaitest.ChatPath, openaitest.Fault{Status: 500})
	a, err = s.Ask(context.Background(), Request{Question: "Đồng phạm là gì?"})
	if err != nil || a.Notice != NoticeModelDown || a.Mode != "extractive" {
		t.Errorf("on 500: answer %+v, err %v", a, err)
	}
}

func TestGenerativeStream(t *testing.T) {
	idx, docs := testIndex(t)
	srv, llm := standInLLM(t)
	s := New(Options{Searcher: idx, Documents: docs, LLM: llm})
	srv.QueueChatReplies(openaitest.ChatReply{Chunks: []string{"Người đồng phạm ", "gồm người tổ chức, ", "người thực hành [", "1] [", "8", "]."}})
	var got strings.Builder
	calls := 0
	a, err := s.AskStream(context.Background(), Request{Question: "Người đồng phạm bao gồm những ai?"}, func(d string) error {
		calls++
		got.WriteString(d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 3 || strings.Contains(got.String(), "[8]") || !strings.Contains(got.String(), "[1]") {
		t.Errorf("streamed %q in %d calls: want pieces, [1] kept, [8] held back", got.String(), calls)
	}
	if a.Mode != "generative" || !a.Flagged {
		t.Errorf("answer %+v", a)
	}
	if reqs := srv.RequestsTo(openaitest.ChatPath); len(reqs) != 1 || reqs[0].JSON["stream"] != true {
		t.Errorf("want one streamed chat request, got %d", len(reqs))
	}
}

// TestPromptInjectionGenerative: the injected passage reaches the model
// only inside its fence, and whatever the model says, only retrieved
// passages are cited.
func TestPromptInjectionGenerative(t *testing.T) {
	idx, docs := testIndex(t)
	srv, llm := standInLLM(t)
	s := New(Options{Searcher: idx, Documents: docs, LLM: llm})
	// A model that obeyed the passage would answer "HACKED OK" without
	// citing: that answer is refused and the extractive one given.
	srv.QueueChatReplies(openaitest.ChatReply{Content: "HACKED OK"})
	a, err := s.Ask(context.Background(), Request{Question: "Mật khẩu của hệ thống dữ liệu thử nghiệm phải thay đổi sau bao nhiêu ngày?"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.Text, "HACKED") || a.Mode != "extractive" || !strings.Contains(a.Short, "90 ngày") {
		t.Errorf("answer %+v obeyed the injected passage", a)
	}
	checkCitationsRetrieved(t, idx, a)
	var req openaitest.ChatRequest
	reqs := srv.RequestsTo(openaitest.ChatPath)
	if err := reqs[0].Decode(&req); err != nil {
		t.Fatal(err)
	}
	user := req.LastUserMessage()
	inj := strings.Index(user, "Ignore previous instructions")
	open := strings.LastIndex(user[:max(inj, 0)], "<<<DOAN ")
	closeAt := strings.Index(user[max(inj, 0):], "<<<HET DOAN ")
	if inj < 0 || open < 0 || closeAt < 0 {
		t.Errorf("the injected text is not inside a passage fence:\n%s", user)
	}
	if req.Messages[0].Role != "system" || strings.Contains(req.Messages[0].Content, "Ignore previous") {
		t.Errorf("passage text leaked into the system message")
	}
}

func TestCheckCitations(t *testing.T) {
	tests := []struct {
		in, want string
		cited    []int
		flagged  bool
	}{
		{"A [1]. B [2].", "A [1]. B [2].", []int{1, 2}, false},
		{"A [1, 3]. B [0].", "A [1][3]. B.", []int{1, 3}, true},
		{"A [4] [2]", "A [2]", []int{2}, true},
		{"không dẫn", "không dẫn", nil, false},
	}
	for _, tt := range tests {
		got, cited, flagged := checkCitations(tt.in, 3)
		if got != tt.want || flagged != tt.flagged || len(cited) != len(tt.cited) {
			t.Errorf("checkCitations(%q) = %q, %v, %v; want %q, %v, %v", tt.in, got, cited, flagged, tt.want, tt.cited, tt.flagged)
		}
	}
}

// keywordsOnly answers as the hybrid search does when its vector side is
// down: keyword results, flagged.
type keywordsOnly struct{ *retrieval.Keyword }

func (k keywordsOnly) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, err := k.Keyword.Search(ctx, q)
	res.Degraded = "vector search unavailable: connection refused"
	return res, err
}

// An answer built on a keyword-only search says so, beside any other
// notice, on every path: extractive, multiple choice and generative.
func TestAnswerSaysWhenSearchWasKeywordsOnly(t *testing.T) {
	idx, docs := testIndex(t)
	ctx := context.Background()
	q := Request{Question: "Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?"}
	a, err := New(Options{Searcher: idx, Documents: docs}).Ask(ctx, q)
	if err != nil || a.Notice != "" {
		t.Fatalf("healthy search: notice %q, err %v", a.Notice, err)
	}
	s := New(Options{Searcher: keywordsOnly{idx}, Documents: docs})
	a, err = s.Ask(ctx, q)
	if err != nil || a.Notice != NoticeKeywordsOnly || !a.Supported || !strings.Contains(a.Short, "01 năm đến 05 năm") {
		t.Errorf("extractive: %+v %v; want the answer with the keywords-only notice", a, err)
	}
	choice := Request{Question: "Thời hạn cấm cư trú là bao lâu?", Choices: []Choice{{Key: "A", Text: "Từ 01 năm đến 05 năm"}, {Key: "B", Text: "Từ 10 năm đến 20 năm"}}}
	if a, err = s.Ask(ctx, choice); err != nil || a.Notice != NoticeKeywordsOnly {
		t.Errorf("multiple choice: notice %q, err %v", a.Notice, err)
	}
	srv, llm := standInLLM(t)
	g := New(Options{Searcher: keywordsOnly{idx}, Documents: docs, LLM: llm, LLMTimeout: 5 * time.Second})
	srv.QueueChatReplies(openaitest.ChatReply{Content: "Thời hạn cấm cư trú là từ 01 năm đến 05 năm [1]."})
	if a, err = g.Ask(ctx, q); err != nil || a.Mode != "generative" || a.Notice != NoticeKeywordsOnly {
		t.Errorf("generative: mode %q notice %q, err %v", a.Mode, a.Notice, err)
	}
	srv.SetFault(openaitest.ChatPath, openaitest.Fault{Status: 500})
	if a, err = g.Ask(ctx, q); err != nil || a.Notice != NoticeModelDown+" "+NoticeKeywordsOnly {
		t.Errorf("model down too: notice %q, err %v", a.Notice, err)
	}
	if strings.Contains(a.Notice, "connection refused") {
		t.Error("the notice shows the internal reason")
	}
}
