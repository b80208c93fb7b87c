package assistant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms/openai"

	"github.com/mattranso/mattranso/retrieval/openaitest"
)

func readClassifyExamples(t *testing.T, name string) []Example {
	t.Helper()
	ex, err := ReadExamplesFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestTrainClassifierHeldOut(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_train.jsonl"), ClassifierOptions{Epochs: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range readClassifyExamples(t, "classify_test.jsonl") {
		got := c.Classify(e.Text)
		if got.Topic != e.Label {
			t.Errorf("Classify(%q) = %s (%.2f), want %s", e.Text, got.Topic, got.Confidence, e.Label)
		}
		if got.Confidence <= 0 || got.Confidence > 1 || len(got.RunnersUp) != 2 {
			t.Errorf("Classify(%q): confidence %v, %d runners-up", e.Text, got.Confidence, len(got.RunnersUp))
		}
		sum := got.Confidence
		for _, r := range got.RunnersUp {
			if r.Score > got.Confidence {
				t.Errorf("runner-up %s scores %v above the chosen %v", r.Topic, r.Score, got.Confidence)
			}
			sum += r.Score
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("probabilities sum to %v", sum)
		}
	}
}

func TestTrainClassifierDeterministic(t *testing.T) {
	ex := readClassifyExamples(t, "classify_train.jsonl")
	opts := ClassifierOptions{Epochs: 10, ClassWeight: 0.5}
	a, err := TrainClassifier(ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainClassifier(ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ba, bb bytes.Buffer
	if _, err := a.WriteTo(&ba); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo(&bb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba.Bytes(), bb.Bytes()) {
		t.Error("two trainings on the same examples gave different models")
	}
	for _, e := range readClassifyExamples(t, "classify_test.jsonl") {
		if ca, cb := a.Classify(e.Text), b.Classify(e.Text); !reflect.DeepEqual(ca, cb) {
			t.Errorf("Classify(%q): %+v vs %+v", e.Text, ca, cb)
		}
	}
}

func TestTrainClassifierErrors(t *testing.T) {
	cases := []struct {
		name string
		ex   []Example
		opts ClassifierOptions
		want string
	}{
		{"none", nil, ClassifierOptions{}, "no examples"},
		{"one label", []Example{{"a", "x"}, {"b", "x"}}, ClassifierOptions{}, "at least two labels"},
		{"empty label", []Example{{"a", "x"}, {"b", " "}}, ClassifierOptions{}, "example 2: empty label"},
		{"duplicate option label", []Example{{"a", "x"}}, ClassifierOptions{Labels: []string{"x", "x"}}, `label "x" listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := TrainClassifier(c.ex, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestReadExamplesMalformed(t *testing.T) {
	_, err := ReadExamplesFile(filepath.Join("testdata", "classify_malformed.jsonl"))
	if err == nil {
		t.Fatal("malformed file accepted")
	}
	for _, want := range []string{"line 2: not a JSON object", `line 3: missing or empty "text"`, `line 5: missing or empty "label"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "line 1:") || strings.Contains(err.Error(), "line 4:") {
		t.Errorf("error %q blames a good or blank line", err)
	}
}

func TestClassifierSaveLoad(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_train.jsonl"), ClassifierOptions{Names: map[string]string{"facility": "Cơ sở vật chất"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Learn("bãi giữ xe chật chội", "facility"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "classifier.model")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	d, err := LoadClassifier(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range append(readClassifyExamples(t, "classify_test.jsonl"), Example{Text: "bãi giữ xe"}) {
		if a, b := c.Classify(e.Text), d.Classify(e.Text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after load: %+v, before: %+v", e.Text, b, a)
		}
	}
	if got := d.Classify("máy lạnh hư").Label; got != "Cơ sở vật chất" {
		t.Errorf("label after load = %q, want the display name", got)
	}
	if got := d.Corrections(); len(got) != 1 || got[0].Label != "facility" {
		t.Errorf("corrections after load = %+v", got)
	}
}

func TestClassifierCorruptedFile(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_train.jsonl"), ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flip := bytes.Clone(good)
	flip[len(flip)-20] ^= 0x01
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"flipped byte", flip, "checksum mismatch"},
		{"truncated", good[:len(good)/2], "checksum mismatch"},
		{"other version", bytes.Replace(good, []byte(fmt.Sprintf("mattranso-classifier %d", modelVersion)), []byte("mattranso-classifier 9"), 1), "version 9"},
		{"not a model", []byte("hello\nworld\n"), "not a classifier model"},
		{"empty", nil, "missing header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadClassifier(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLearnChangesPrediction(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_train.jsonl"), ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := "thư viện thiếu sách tham khảo"
	before := c.Classify(text)
	target := "facility"
	if before.Topic == target {
		target = "training_program"
	}
	if err := c.Learn(text, target); err != nil {
		t.Fatal(err)
	}
	after := c.Classify(text)
	if after.Topic != target || after.Confidence < learnTarget {
		t.Errorf("after Learn: %s (%.2f), want %s with ≥ %.1f (before: %s)", after.Topic, after.Confidence, target, learnTarget, before.Topic)
	}
	// The correction generalises to the same words unaccented.
	if got := c.Classify("thu vien thieu sach tham khao").Topic; got != target {
		t.Errorf("unaccented after Learn: %s, want %s", got, target)
	}
	// Other predictions stay.
	for _, e := range readClassifyExamples(t, "classify_test.jsonl") {
		if got := c.Classify(e.Text).Topic; got != e.Label {
			t.Errorf("after Learn, Classify(%q) = %s, want %s", e.Text, got, e.Label)
		}
	}
	if err := c.Learn(text, "nonsense"); err == nil || !strings.Contains(err.Error(), `unknown label "nonsense"`) {
		t.Errorf("Learn with an unknown label: %v", err)
	}
	// Retrain folds the correction in.
	r, err := c.Retrain(readClassifyExamples(t, "classify_train.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Classify(text).Topic; got != target {
		t.Errorf("after Retrain: %s, want %s", got, target)
	}
	if len(r.Corrections()) != 1 {
		t.Errorf("Retrain kept %d corrections, want 1", len(r.Corrections()))
	}
}

func TestLearnConcurrent(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_train.jsonl"), ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			for j := 0; j < 20; j++ {
				c.Classify("máy chiếu mờ")
				_ = c.Learn("máy chiếu mờ quá", "facility")
			}
			done <- true
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	if n := len(c.Corrections()); n != 80 {
		t.Errorf("%d corrections, want 80", n)
	}
}

func TestDefaultTaxonomyClassifies(t *testing.T) {
	cases := []struct{ text, want string }{
		{"Đường ngập nước, ổ gà nhiều gây nguy hiểm", "giao_thong"},
		{"Cán bộ xã gây khó dễ khi làm giấy tờ", "thu_tuc_hanh_chinh"},
		{"xả rác thải ra sông gây ô nhiễm", "moi_truong"},
		{"xa rac thai ra song gay o nhiem", "moi_truong"},
		{"Công ty nợ lương công nhân mấy tháng nay", "lao_dong_viec_lam"},
		{"Hàng xóm lấn chiếm đất, tranh chấp ranh giới thửa đất", "dat_dai"},
		{"Khu phố mất điện cả ngày không báo trước", "dien_nuoc_ha_tang"},
		{"Cán bộ đòi tiền bồi dưỡng mới làm hồ sơ", "tham_nhung_tieu_cuc"},
		{"trom cap xe may ban dem", "an_ninh_trat_tu"},
		{"Bệnh viện quá tải, chờ khám rất lâu", "y_te"},
		{"Trường thu nhiều khoản tiền đầu năm học", "giao_duc"},
		{"Gia đình nghèo không được xét hộ nghèo", "an_sinh_xa_hoi"},
		{"Nhà bên cạnh xây dựng không phép, cơi nới", "xay_dung_do_thi"},
	}
	for _, c := range cases {
		got := Classify(c.text)
		if got.Topic != c.want {
			t.Errorf("Classify(%q) = %s %q (%.2f; runners-up %+v), want %s", c.text, got.Topic, got.Label, got.Confidence, got.RunnersUp, c.want)
		}
		if got.Label == "" || got.Label == got.Topic {
			t.Errorf("Classify(%q): label %q is not the Vietnamese name", c.text, got.Label)
		}
	}
}

func TestDefaultClassifierIsOwn(t *testing.T) {
	a, err := DefaultClassifier()
	if err != nil {
		t.Fatal(err)
	}
	text := "Xin hỏi về lịch tiếp công dân"
	if err := a.Learn(text, "thu_tuc_hanh_chinh"); err != nil {
		t.Fatal(err)
	}
	b, _ := DefaultClassifier()
	if reflect.DeepEqual(a.Classify(text), b.Classify(text)) {
		t.Error("Learn on one default classifier changed another")
	}
}

func TestTaxonomyValidation(t *testing.T) {
	cases := []struct {
		name, format, data, want string
	}{
		{"one topic", "json", `{"topics":[{"id":"a","name":"A","definition":"d","examples":["x"]}]}`, "topics: need at least two topics"},
		{"missing id", "json", `{"topics":[{"name":"A","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].id: missing"},
		{"bad id", "json", `{"topics":[{"id":"Giao Thông","name":"A","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].id: \"Giao Thông\" must be"},
		{"duplicate id", "json", `{"topics":[{"id":"a","name":"A","definition":"d","examples":["x"]},{"id":"a","name":"B","definition":"d","examples":["y"]}]}`, `topics[1].id: "a" already used by topics[0]`},
		{"no name", "json", `{"topics":[{"id":"a","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].name: missing"},
		{"no definition", "json", `{"topics":[{"id":"a","name":"A","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].definition: missing"},
		{"no examples", "json", `{"topics":[{"id":"a","name":"A","definition":"d"},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].examples: need at least one"},
		{"empty example", "json", `{"topics":[{"id":"a","name":"A","definition":"d","examples":["x"," "]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].examples[1]: empty"},
		{"bad fallback", "json", `{"fallback":"zz","topics":[{"id":"a","name":"A","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, `fallback: "zz" is not the id`},
		{"unknown field", "json", `{"topics":[{"id":"a","name":"A","definition":"d","exmaples":["x"]}]}`, `unknown field "exmaples"`},
		{"bad json", "json", `{"topics":`, "invalid taxonomy"},
		{"yaml missing name", "yaml", "topics:\n  - id: a\n    definition: d\n    examples: [x]\n  - id: b\n    name: B\n    definition: d\n    examples: [y]\n", "topics[0].name: missing"},
		{"bad format", "toml", ``, `unknown taxonomy format "toml"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTaxonomy([]byte(c.data), c.format)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestLoadTaxonomyYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "topics.yaml")
	yml := `version: 1
fallback: khac
topics:
  - id: nuoc
    name: Nước sạch
    definition: Nước sinh hoạt, nước máy, mất nước.
    examples: ["Mất nước sinh hoạt ba ngày", "nuoc may duc, co mui"]
  - id: duong
    name: Đường sá
    definition: Đường hư hỏng, ổ gà.
    examples: ["Đường nhiều ổ gà", "duong xuong cap"]
  - id: khac
    name: Khác
    definition: Các phản ánh khác.
    examples: ["Xin cảm ơn"]
`
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	tax, err := LoadTaxonomy(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := TrainTaxonomy(tax, []Example{{Text: "vòi nước không chảy", Label: "nuoc"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Classify("mat nuoc may ca tuan").Topic; got != "nuoc" {
		t.Errorf("custom taxonomy: %s, want nuoc", got)
	}
	if _, err := TrainTaxonomy(tax, []Example{{Text: "x", Label: "giao_thong"}}); err == nil || !strings.Contains(err.Error(), `"giao_thong" is not a topic id`) {
		t.Errorf("labelled example outside the taxonomy: %v", err)
	}
	if _, err := LoadTaxonomy(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing file accepted")
	}
}

// The language model is the scripted stand-in of retrieval/openaitest: no
// model can run here, so these tests check the client's handling of good,
// garbage and late answers, not any model's judgement.
func TestLLMClassifier(t *testing.T) {
	srv := openaitest.New(t)
	llm, err := openai.New(openai.WithBaseURL(srv.URL), openai.WithToken("test"), openai.WithModel("stand-in-chat"))
	if err != nil {
		t.Fatal(err)
	}
	local, err := DefaultClassifier()
	if err != nil {
		t.Fatal(err)
	}
	lc, err := NewLLMClassifier(llm, DefaultTaxonomy(), local)
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
			got := lc.ClassifyContext(context.Background(), text)
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
	other, err := TrainClassifier(readClassifyExamples(t, "classify_train.jsonl"), ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := DefaultClassifier()
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

// A small hand-written sample (three classes, six phrases each) must be
// learnt well enough that held-out phrases, some typed without
// diacritics, land in their class with a clear margin.
func TestTrainClassifierSmallSample(t *testing.T) {
	train := readClassifyExamples(t, "classify_small.jsonl")
	c, err := TrainClassifier(train, ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Labels(), []string{"facility", "lecturer", "training_program"}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
	for _, e := range readClassifyExamples(t, "classify_small_test.jsonl") {
		got := c.Classify(e.Text)
		if got.Topic != e.Label {
			t.Errorf("Classify(%q) = %s (%.2f, runners-up %+v), want %s", e.Text, got.Topic, got.Confidence, got.RunnersUp, e.Label)
			continue
		}
		if margin := got.Confidence - got.RunnersUp[0].Score; margin < 0.1 {
			t.Errorf("Classify(%q): %s by a margin of only %.3f over %s", e.Text, got.Topic, margin, got.RunnersUp[0].Topic)
		}
	}
	// The training phrases themselves are separated: each class's phrases
	// get that class with probability above one half.
	for _, e := range train {
		if got := c.Classify(e.Text); got.Topic != e.Label || got.Confidence < 0.5 {
			t.Errorf("training phrase %q: %s (%.2f), want %s above 0.5", e.Text, got.Topic, got.Confidence, e.Label)
		}
	}
}

func TestClassifierRoundTrip(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_small.jsonl"), ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if _, err := c.WriteTo(&first); err != nil {
		t.Fatal(err)
	}
	d, err := ReadClassifier(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if _, err := d.WriteTo(&second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("a loaded model writes a different file")
	}
	texts := []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang", "một từ chưa gặp: xylophone", ""}
	for _, text := range texts {
		if a, b := c.Classify(text), d.Classify(text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after load: %+v, before: %+v", text, b, a)
		}
	}
	// The loaded model learns as the original does, new words included.
	for _, m := range []*Classifier{c, d} {
		if err := m.Learn("điều hòa giảng đường kêu ồn", "facility"); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := c.Classify("điều hòa kêu ồn"), d.Classify("điều hòa kêu ồn"); !reflect.DeepEqual(a, b) || a.Topic != "facility" {
		t.Errorf("after Learn: loaded %+v, original %+v, want facility for both", b, a)
	}
}

// A model file of the first format (no idf, no character n-grams) is
// refused with a message saying to retrain, not misread.
func TestClassifierOldFormat(t *testing.T) {
	payload := []byte(`{"labels":["a","b"],"options":{"Epochs":12},"features":["w:x"],"weights":[[1,-1]],"bias":[0,0]}`)
	sum := sha256.Sum256(payload)
	file := fmt.Sprintf("mattranso-classifier 1\nsha256 %s\n%s", hex.EncodeToString(sum[:]), payload)
	_, err := ReadClassifier(strings.NewReader(file))
	if err == nil || !strings.Contains(err.Error(), "model version 1") || !strings.Contains(err.Error(), "retrain") {
		t.Errorf("err = %v, want a version 1 error asking to retrain", err)
	}
}

// logLoss's gradient matches finite differences of its value.
func TestLogLossGradient(t *testing.T) {
	samples := []sample{
		{x: []feat{{0, 0.6}, {2, 0.8}}, y: 0, weight: 1},
		{x: []feat{{1, 1}}, y: 1, weight: 2},
		{x: []feat{{0, 0.5}, {1, 0.5}, {2, 0.7}}, y: 2, weight: 0.5},
	}
	const k, l2 = 3, 0.01
	th := make([]float64, 4*k)
	for i := range th {
		th[i] = math.Sin(float64(i)) / 2
	}
	g := make([]float64, len(th))
	logLoss(th, g, samples, k, l2)
	scratch := make([]float64, len(th))
	for i := range th {
		const h = 1e-6
		orig := th[i]
		th[i] = orig + h
		up := logLoss(th, scratch, samples, k, l2)
		th[i] = orig - h
		down := logLoss(th, scratch, samples, k, l2)
		th[i] = orig
		if num := (up - down) / (2 * h); math.Abs(num-g[i]) > 1e-6 {
			t.Errorf("gradient[%d] = %.8f, finite difference %.8f", i, g[i], num)
		}
	}
}

func TestLBFGSQuadratic(t *testing.T) {
	// f(x) = Σ (i+1)·(x_i − i)², minimum at x_i = i.
	x := make([]float64, 20)
	lbfgs(x, func(x, g []float64) float64 {
		var f float64
		for i, v := range x {
			d := v - float64(i)
			f += float64(i+1) * d * d
			g[i] = 2 * float64(i+1) * d
		}
		return f
	}, 200, 1e-12)
	for i, v := range x {
		if math.Abs(v-float64(i)) > 1e-4 {
			t.Errorf("x[%d] = %v, want %d", i, v, i)
		}
	}
}

// The NB-LR word model is trained by default, reads words only, gives a
// word found in one class's examples alone a positive log-count ratio for
// that class, and enters the probabilities as the mean of the two models'
// logits; SingleModel leaves it out.
func TestNBWordModel(t *testing.T) {
	ex := readClassifyExamples(t, "classify_small.jsonl")
	c, err := TrainClassifier(ex, ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	single, err := TrainClassifier(ex, ClassifierOptions{SingleModel: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.nb == nil || single.nb != nil {
		t.Fatalf("NB-LR model: default %v, SingleModel %v; want one and none", c.nb != nil, single.nb != nil)
	}
	// The NB-LR model reads the word block only.
	for j, name := range c.feats {
		if got, want := c.nb.r[j] != nil, !charFeature(name); got != want {
			t.Errorf("feature %q: NB-LR row %v, want %v", name, got, want)
		}
	}
	// A word in the examples of one class only leans towards that class.
	only := map[string]string{}
	for _, e := range ex {
		for _, n := range c.spec.names(e.Text) {
			if l, ok := only[n]; ok && l != e.Label {
				only[n] = ""
			} else if !ok {
				only[n] = e.Label
			}
		}
	}
	checked := 0
	for name, label := range only {
		if label == "" || charFeature(name) {
			continue
		}
		j, y := c.vocab[name], slices.Index(c.labels, label)
		for k, r := range c.nb.r[j] {
			if k != y && r >= c.nb.r[j][y] {
				t.Errorf("%q, seen in %s only: ratio %.3f for %s ≥ %.3f", name, label, r, c.labels[k], c.nb.r[j][y])
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no word belongs to one class only")
	}
	// The probabilities are the softmax of the mean of the two models' logits.
	for _, text := range []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang"} {
		x := c.vectorize(text, false)
		z := slices.Clone(c.bias)
		for _, f := range x {
			for j, w := range c.w[f.i] {
				z[j] += w * f.v
			}
		}
		nb := make([]float64, len(z))
		c.nb.logits(x, nb)
		var sum float64
		for j := range z {
			z[j] = math.Exp((z[j] + nb[j]) / 2)
			sum += z[j]
		}
		p := make([]float64, len(z))
		c.probs(x, p)
		for j := range p {
			if math.Abs(p[j]-z[j]/sum) > 1e-12 {
				t.Errorf("%q: p[%s] = %v, want %v", text, c.labels[j], p[j], z[j]/sum)
			}
		}
		if a, b := c.Classify(text), single.Classify(text); a.Confidence == b.Confidence {
			t.Errorf("%q: the same confidence %v with and without NB-LR", text, a.Confidence)
		}
	}
}

// A version 2 model file (before NB-LR) is still read, as a model of the
// logistic regression alone.
func TestClassifierVersion2(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_small.jsonl"), ClassifierOptions{SingleModel: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	old := bytes.Replace(buf.Bytes(), []byte(fmt.Sprintf("mattranso-classifier %d\n", modelVersion)), []byte("mattranso-classifier 2\n"), 1)
	d, err := ReadClassifier(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if d.nb != nil {
		t.Error("a version 2 model read with an NB-LR model")
	}
	for _, text := range []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang"} {
		if a, b := c.Classify(text), d.Classify(text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after load: %+v, before: %+v", text, b, a)
		}
	}
}

// A model file whose checksum holds but whose NB-LR part disagrees with the
// rest (a hand-edited or badly written file) is refused with the reason,
// not half-loaded.
func TestClassifierInconsistentNB(t *testing.T) {
	c, err := TrainClassifier(readClassifyExamples(t, "classify_small.jsonl"), ClassifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	head, rest, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	_, payload, _ := bytes.Cut(rest, []byte("\n"))
	for name, edit := range map[string]func(nb map[string]any){
		"bias":   func(nb map[string]any) { nb["bias"] = nb["bias"].([]any)[:1] },
		"ratios": func(nb map[string]any) { nb["ratios"] = append(nb["ratios"].([]any), []any{1.0}) },
	} {
		var m map[string]any
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		nb, ok := m["nb"].(map[string]any)
		if !ok {
			t.Fatal("the default model file holds no NB-LR part")
		}
		edit(nb)
		p, _ := json.Marshal(m)
		sum := sha256.Sum256(p)
		file := append(append(append(bytes.Clone(head), '\n'), "sha256 "+hex.EncodeToString(sum[:])+"\n"...), p...)
		if _, err := ReadClassifier(bytes.NewReader(file)); err == nil || !strings.Contains(err.Error(), "NB-LR") {
			t.Errorf("%s: err = %v, want the NB-LR part named", name, err)
		}
	}
}
