package topic

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms/openai"

	"github.com/mattranso/mattranso/retrieval/openaitest"
)

// The language model is the scripted stand-in of retrieval/openaitest: no
// model can run here, so these tests check the client's handling of good,
// garbage and late answers, not any model's judgement.
func TestLLMClassifier(t *testing.T) {
	srv := openaitest.New(t)
	llm, err := openai.New(openai.WithBaseURL(srv.URL), openai.WithToken("test"), openai.WithModel("stand-in-chat"))
	if err != nil {
		t.Fatal(err)
	}
	lc, err := NewLLMClassifier(llm, DefaultTaxonomy(), defaultClassifier(t))
	if err != nil {
		t.Fatal(err)
	}
	lc.Timeout = 500 * time.Millisecond
	text := "Đường ngập nước, ổ gà nhiều gây nguy hiểm"
	cases := []struct {
		name      string
		reply     openaitest.ChatReply
		fault     *openaitest.Fault
		topic     string
		source    string
		notice    string
		runnersUp bool
	}{
		{"bare id", openaitest.ChatReply{Content: "moi_truong"}, nil, "moi_truong", "llm", "", true},
		{"decorated id", openaitest.ChatReply{Content: "`Y_TE`."}, nil, "y_te", "llm", "", true},
		{"json", openaitest.ChatReply{Content: `{"topic": "dat_dai"}`}, nil, "dat_dai", "llm", "", true},
		{"name", openaitest.ChatReply{Content: "Giáo dục"}, nil, "giao_duc", "llm", "", true},
		{"sentence", openaitest.ChatReply{Content: "Chủ đề: an_ninh_trat_tu"}, nil, "an_ninh_trat_tu", "llm", "", true},
		{"garbage", openaitest.ChatReply{Content: "Tôi không chắc lắm."}, nil, "giao_thong", "local", "không phải mã chủ đề", true},
		{"two ids", openaitest.ChatReply{Content: "y_te hoặc giao_duc"}, nil, "giao_thong", "local", "không phải mã chủ đề", true},
		{"timeout", openaitest.ChatReply{}, &openaitest.Fault{Delay: 5 * time.Second}, "giao_thong", "local", "hết thời gian chờ", true},
		{"server error", openaitest.ChatReply{}, &openaitest.Fault{Status: 400}, "giao_thong", "local", "lỗi", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.fault != nil {
				srv.SetFault(openaitest.ChatPath, *c.fault)
				defer srv.SetFault(openaitest.ChatPath, openaitest.Fault{})
			} else {
				srv.QueueChatReplies(c.reply)
			}
			start := time.Now()
			got := classify(t, lc, text)
			if got.Topic != c.topic || got.Source != c.source || !strings.Contains(got.Notice, c.notice) {
				t.Errorf("got %+v, want topic %s from %s, notice containing %q", got, c.topic, c.source, c.notice)
			}
			if c.notice == "" && got.Notice != "" {
				t.Errorf("unexpected notice %q", got.Notice)
			}
			if got.Label == "" || (c.runnersUp && len(got.RunnersUp) == 0) {
				t.Errorf("missing label or runners-up: %+v", got)
			}
			for _, r := range got.RunnersUp {
				if r.Topic == got.Topic {
					t.Errorf("the chosen topic %s is also a runner-up", r.Topic)
				}
			}
			if c.fault != nil && c.fault.Delay > 0 && time.Since(start) > 4*time.Second {
				t.Errorf("timeout took %v", time.Since(start))
			}
		})
	}
	// Blank text is refused before the model is asked.
	asked := len(srv.RequestsTo(openaitest.ChatPath))
	if _, err := lc.Classify(t.Context(), " \n"); !errors.Is(err, ErrEmptyText) {
		t.Errorf("blank text: err = %v, want ErrEmptyText", err)
	}
	if n := len(srv.RequestsTo(openaitest.ChatPath)); n != asked {
		t.Errorf("the model was asked about blank text (%d requests, %d before)", n, asked)
	}
	// The prompt carries the definitions and the feedback as data.
	reqs := srv.RequestsTo(openaitest.ChatPath)
	if len(reqs) == 0 {
		t.Fatal("no chat request")
	}
	var req openaitest.ChatRequest
	if err := reqs[0].Decode(&req); err != nil {
		t.Fatal(err)
	}
	if len(req.Messages) != 2 || !strings.Contains(req.Messages[0].Content, "giao_thong: Giao thông — ") ||
		!strings.Contains(req.Messages[1].Content, "<phan_anh>\n"+text) {
		t.Errorf("prompt = %+v", req.Messages)
	}
}

func TestNewLLMClassifierErrors(t *testing.T) {
	srv := openaitest.New(t)
	llm, err := openai.New(openai.WithBaseURL(srv.URL), openai.WithToken("test"), openai.WithModel("m"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := Train(t.Context(), readExamples(t, "train.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	local := defaultClassifier(t)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"no model", llmErrOf(NewLLMClassifier(nil, DefaultTaxonomy(), local)), "no model"},
		{"no taxonomy", llmErrOf(NewLLMClassifier(llm, nil, local)), "no taxonomy"},
		{"no fallback", llmErrOf(NewLLMClassifier(llm, DefaultTaxonomy(), nil)), "no fallback"},
		{"fallback lacks topics", llmErrOf(NewLLMClassifier(llm, DefaultTaxonomy(), other)), "does not know topic"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, c.err, c.want)
		}
	}
}

func llmErrOf[T any](_ T, err error) error { return errors.Join(err) }
