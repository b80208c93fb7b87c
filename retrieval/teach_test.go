package retrieval

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
)

func teachDocs() []*corpus.Document {
	law := &corpus.Document{
		ID: "luat-dat-dai", Kind: corpus.KindLaw, Title: "Luật Đất đai 2024",
		Nodes: []corpus.Node{
			corpus.ParseArticle("3", "Giải thích từ ngữ\n\n1. Thửa đất là phần diện tích đất được giới hạn bởi ranh giới xác định trên thực địa.\n\n2. Giấy chứng nhận quyền sử dụng đất là chứng thư pháp lý để Nhà nước xác nhận quyền sử dụng đất hợp pháp."),
			corpus.ParseArticle("135", "Cấp giấy chứng nhận quyền sử dụng đất\n\n1. Giấy chứng nhận quyền sử dụng đất được cấp theo từng thửa đất cho người có quyền sử dụng đất hợp pháp.\n\n2. Trường hợp thửa đất có nhiều người chung quyền sử dụng đất thì cấp cho mỗi người một giấy."),
			corpus.ParseArticle("136", "Thẩm quyền cấp giấy chứng nhận\n\nỦy ban nhân dân cấp huyện cấp giấy chứng nhận cho hộ gia đình, cá nhân đang sử dụng đất ở tại địa phương."),
		},
	}
	proc := &corpus.Document{
		ID: "1.000001", Kind: corpus.KindProcedure, Title: "Đăng ký kết hôn",
		Procedure: &corpus.Procedure{Code: "1.000001", Field: "Hộ tịch",
			Steps: "Hai bên nam, nữ nộp tờ khai tại Ủy ban nhân dân cấp xã.", Documents: "Tờ khai đăng ký kết hôn; giấy xác nhận tình trạng hôn nhân.",
			Fees: "Miễn lệ phí.", Agency: "Ủy ban nhân dân cấp xã."},
	}
	return []*corpus.Document{law, proc}
}

func teachPassages() []corpus.Passage {
	var ps []corpus.Passage
	for _, d := range teachDocs() {
		ps = append(ps, corpus.Passages(d)...)
	}
	return ps
}

func TestTeachMakesEachKindOfQuestion(t *testing.T) {
	ps := teachPassages()
	l := Teach(ps, TeachOptions{PerPassage: 20, StripShare: 1, LawShare: -1})
	got := map[string][]string{}
	for _, p := range l.Pairs {
		got[p.Source] = append(got[p.Source], p.Query)
		if !strings.Contains(p.Passage, "#") && p.Passage != "1.000001" {
			t.Errorf("%q names passage %q", p.Query, p.Passage)
		}
	}
	has := func(src, q string) {
		t.Helper()
		for _, g := range got[src] {
			if g == q {
				return
			}
		}
		t.Errorf("no %s question %q; %s: %q", src, q, src, got[src])
	}
	has(TeachHeading, "Cấp giấy chứng nhận quyền sử dụng đất")
	has(TeachDefinition, "Thửa đất là gì")
	has(TeachProcedure, "đăng ký kết hôn cần giấy tờ gì")
	has(TeachProcedure, "lệ phí đăng ký kết hôn bao nhiêu")
	has(TeachProcedure, "đăng ký kết hôn nộp ở đâu")
	// "quyền sử dụng đất" is the law's wording of "sổ đỏ" in the thesaurus.
	if len(got[TeachParaphrase]) == 0 || !strings.Contains(strings.Join(got[TeachParaphrase], "|"), "sổ đỏ") {
		t.Errorf("no everyday paraphrase: %q", got[TeachParaphrase])
	}
	// With every opening stripped, no stripped question keeps a word of
	// its article's heading.
	if len(got[TeachStripped]) == 0 {
		t.Fatalf("no stripped clause opening: %q", got)
	}
	for _, p := range l.Pairs {
		if p.Source != TeachStripped {
			continue
		}
		var head string
		for _, x := range ps {
			if x.ID == p.Passage {
				head = teachHeading(x.Heading)
			}
		}
		words := map[string]bool{}
		for _, tk := range corpus.Tokenize(head) {
			words[tk.Term] = true
		}
		for _, tk := range corpus.Tokenize(p.Query) {
			if words[tk.Term] {
				t.Errorf("stripped %q keeps %q of its heading %q", p.Query, tk.Term, head)
			}
		}
	}
}

func TestTeachIsDeterministicAndVersioned(t *testing.T) {
	ps := teachPassages()
	a, b := Teach(ps, TeachOptions{}), Teach(ps, TeachOptions{})
	if !reflect.DeepEqual(a, b) || a.Version != TeachVersion || len(a.Pairs) == 0 {
		t.Fatalf("two lessons of one library differ, or are empty: %d and %d pairs", len(a.Pairs), len(b.Pairs))
	}
	// The passages' order does not matter; their text does.
	rev := append([]corpus.Passage(nil), ps...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if c := Teach(rev, TeachOptions{}); !reflect.DeepEqual(a, c) {
		t.Error("the lesson depends on the passages' order")
	}
	changed := append([]corpus.Passage(nil), ps...)
	changed[0].Text += " Sửa đổi."
	if Teach(changed, TeachOptions{}).Library == a.Library {
		t.Error("a changed library has the same digest")
	}
	if c := Teach(ps, TeachOptions{Seed: 7, StripShare: 1}); reflect.DeepEqual(a.Pairs, c.Pairs) {
		t.Error("another seed and strip share made the same questions")
	}
	if c := Teach(ps, TeachOptions{Max: 3}); len(c.Pairs) != 3 {
		t.Errorf("Max 3 kept %d", len(c.Pairs))
	}
}

func TestLibraryPairsNameTheirPassages(t *testing.T) {
	ps := teachPassages()
	pairs := LibraryPairs(ps, Teach(ps, TeachOptions{}))
	if len(pairs) == 0 || len(pairs) > int(EmbedderShare*float64(len(ps))) {
		t.Fatalf("%d pairs for %d passages", len(pairs), len(ps))
	}
	for _, p := range pairs {
		if p.Passage == "" || !strings.HasPrefix(p.Text, "Luật Đất đai 2024\n") && !strings.HasPrefix(p.Text, "Đăng ký kết hôn\n") {
			t.Errorf("pair %+v", p)
		}
	}
}

// The library's re-ranker learns from the pseudo-questions searched in
// the hybrid index, and says what it learned from.
func TestTeachReranker(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	ps, err := h.Keyword.Passages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := Teach(ps, TeachOptions{})
	var steps int
	r, err := TeachReranker(ctx, h, ps, l, 0, func(what string, done, total int, _ time.Duration) { steps = done })
	if err != nil {
		t.Fatal(err)
	}
	if len(r.TrainedOn) != 1 || r.TrainedOn[0].Digest != l.Library || r.TrainedOn[0].Queries != steps || steps == 0 {
		t.Errorf("trained on %+v after %d questions", r.TrainedOn, steps)
	}
	b, _ := r.Marshal()
	if _, err := ParseReranker(b); err != nil {
		t.Fatal(err)
	}
	r2, _ := TeachReranker(ctx, h, ps, l, 0, nil)
	if !reflect.DeepEqual(r, r2) {
		t.Error("teaching twice gave two models")
	}
	// The model ranks a heading's question to its article first.
	h.Reranker = r
	res, err := h.Search(ctx, Query{Text: "chiếm đoạt di vật tử sỹ"})
	if err != nil || len(res.Hits) == 0 || !strings.Contains(res.Hits[0].Heading, "Điều 418") {
		t.Errorf("first hit %+v, %v", res.Hits, err)
	}
}

// A hybrid search with no vector side yet says why while the embedder
// learns, and stops saying it when it is done.
func TestHybridSaysItIsLearning(t *testing.T) {
	k := openTest(t)
	h := &Hybrid{Keyword: k}
	h.SetLearning("vector search still learning")
	res, err := h.Search(context.Background(), Query{Text: "khai sinh"})
	if err != nil || res.Degraded != "vector search still learning" || len(res.Hits) == 0 {
		t.Errorf("while learning: %q, %d hits, %v", res.Degraded, len(res.Hits), err)
	}
	h.SetLearning("")
	if res, _ := h.Search(context.Background(), Query{Text: "khai sinh"}); res.Degraded != "" {
		t.Errorf("after learning: %q", res.Degraded)
	}
	h.Mode = ModeKeyword
	h.SetLearning("x")
	if res, _ := h.Search(context.Background(), Query{Text: "khai sinh"}); res.Degraded != "" {
		t.Errorf("keyword mode: %q", res.Degraded)
	}
}

// Everyday puts the law's wording back in a citizen's words, whole
// phrases only, and never a single word inside a name.
func TestThesaurusEveryday(t *testing.T) {
	th, err := ParseThesaurus("test", "sổ đỏ\tgiấy chứng nhận quyền sử dụng đất\ncon trai\tnam\n")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"Cấp giấy chứng nhận quyền sử dụng đất lần đầu": "Cấp sổ đỏ lần đầu",
		"Công dân Việt Nam có quyền":                    "Công dân Việt Nam có quyền",
		"giấy chứng nhận quyền sử dụng đấtx":            "giấy chứng nhận quyền sử dụng đấtx",
		"không có gì": "không có gì",
	} {
		if got := th.Everyday(in); got != want {
			t.Errorf("Everyday(%q) = %q, want %q", in, got, want)
		}
	}
}

// Training says when it starts (epoch 0) and after each epoch, which
// serve logs with the time left; the library's pairs train with one
// sentence a passage.
func TestTrainingReportsProgress(t *testing.T) {
	ps := teachPassages()
	var epochs []int
	o := TrainOptions{Dim: 8, Epochs: 3, Batch: 4, MinDF: 1, Sentences: LibrarySentences,
		Supervised: LibraryPairs(ps, Teach(ps, TeachOptions{})),
		Progress:   func(e int, _ float64) { epochs = append(epochs, e) }}
	if _, err := TrainLocalEmbedder(context.Background(), ps, o); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(epochs, []int{0, 1, 2, 3}) || TrainEpochs(o) != 3 || TrainEpochs(TrainOptions{}) != 8 {
		t.Errorf("progress at epochs %v", epochs)
	}
}
