package assistant

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// testDocs holds the test laws by id; it is the Documents of the tests.
type testDocs map[string]*corpus.Document

func (d testDocs) Get(_ context.Context, id string) (*corpus.Document, error) {
	if doc, ok := d[id]; ok {
		return doc, nil
	}
	return nil, corpus.ErrNotFound
}

// testIndex builds a real keyword index in a temporary directory from
// testdata/laws.json (the ALQAC dump format).
func testIndex(t testing.TB) (*retrieval.Keyword, testDocs) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "laws.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump []struct {
		ID       string `json:"id"`
		Articles []struct{ ID, Text string }
	}
	if err := json.Unmarshal(b, &dump); err != nil {
		t.Fatal(err)
	}
	docs := testDocs{}
	var list []*corpus.Document
	for _, l := range dump {
		d := &corpus.Document{ID: corpus.Slug(l.ID), Kind: corpus.KindLaw, Title: l.ID}
		for _, a := range l.Articles {
			d.Nodes = append(d.Nodes, corpus.ParseArticle(a.ID, a.Text))
		}
		docs[d.ID] = d
		list = append(list, d)
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(t.TempDir(), "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(context.Background(), list...); err != nil {
		t.Fatal(err)
	}
	return idx, docs
}

// checkCitationsRetrieved fails unless every citation quotes, verbatim, a
// passage the index returns for the searched query.
func checkCitationsRetrieved(t *testing.T, idx retrieval.Searcher, a Answer) {
	t.Helper()
	res, err := idx.Search(context.Background(), retrieval.Query{Text: a.Query, Limit: passagesAsked})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range a.Citations {
		found := false
		for _, h := range res.Hits {
			if h.PassageID == c.PassageID && strings.Contains(h.Text, c.Quote) && c.Quote != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("citation %+v does not quote a retrieved passage", c)
		}
		if !strings.HasPrefix(c.Anchor, "dieu-") || !strings.Contains(c.URL, "#"+c.Anchor) || !strings.HasPrefix(c.Label, "Điều ") {
			t.Errorf("citation %+v: bad anchor, label or URL", c)
		}
	}
}

func TestAskExtractive(t *testing.T) {
	idx, docs := testIndex(t)
	s := New(Options{Searcher: idx, Documents: docs})
	tests := []struct {
		name, q   string
		short     string // expected Short (compared folded, contained)
		label     string // expected citation label prefix
		supported bool
	}{
		{"number", "Người từ đủ bao nhiêu tuổi phải chịu trách nhiệm hình sự về mọi tội phạm?", "16 tuổi", "Điều 12, khoản 1", true},
		{"range", "Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?", "01 năm đến 05 năm", "Điều 42", true},
		{"upper bound", "Thời hạn cấm cư trú tối đa là bao nhiêu năm?", "05 năm", "Điều 42", true},
		{"what", "Người bị kết án tử hình được ân giảm thì hình phạt tử hình được chuyển thành hình phạt gì?", "tù chung thân", "Điều 40, khoản 3", true},
		{"list", "Người đồng phạm bao gồm những ai?", "người tổ chức, người thực hành", "Điều 17, khoản 2", true},
		{"points", "Các tình tiết giảm nhẹ trách nhiệm hình sự gồm những gì?", "tự nguyện sửa chữa", "Điều 51, khoản 1", true},
		{"yes/no", "Hành vi gây thiệt hại trong tình thế cấp thiết có phải là tội phạm không?", "không", "Điều 22", true},
		{"definition", "Đồng phạm là gì?", "có hai người trở lên cố ý cùng thực hiện một tội phạm", "Điều 17, khoản 1", true},
		{"unrelated", "thời tiết hôm nay thế nào", "", "", false},
		{"unrelated 2", "Giá vàng SJC tuần này bao nhiêu?", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.Ask(context.Background(), Request{Question: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			if a.Supported != tt.supported {
				t.Fatalf("Supported = %v, want %v; answer %q", a.Supported, tt.supported, a.Text)
			}
			if a.Mode != "extractive" {
				t.Errorf("Mode = %q", a.Mode)
			}
			if !tt.supported {
				if !strings.HasPrefix(a.Text, "Thư viện chưa có căn cứ") || a.Short != "" {
					t.Errorf("unsupported answer %q, short %q", a.Text, a.Short)
				}
				// The closest passages are named as "có thể liên quan",
				// never more than three, each a retrieved passage.
				if len(a.Citations) > 3 || len(a.Citations) > 0 && !strings.Contains(a.Text, "Có thể liên quan:") {
					t.Errorf("unsupported answer %q with %d citations", a.Text, len(a.Citations))
				}
				checkCitationsRetrieved(t, idx, a)
				return
			}
			if !strings.Contains(corpus.Fold(a.Short), corpus.Fold(tt.short)) {
				t.Errorf("Short = %q, want it to contain %q", a.Short, tt.short)
			}
			if len(a.Citations) == 0 || !strings.HasPrefix(a.Citations[0].Label, tt.label) {
				t.Fatalf("citations %+v, want first labelled %q", a.Citations, tt.label)
			}
			if !strings.Contains(a.Text, "[1]") {
				t.Errorf("Text %q does not cite [1]", a.Text)
			}
			checkCitationsRetrieved(t, idx, a)
		})
	}
}

func TestAskBadQuestion(t *testing.T) {
	idx, _ := testIndex(t)
	s := New(Options{Searcher: idx})
	for _, q := range []string{"", "   ", strings.Repeat("a", MaxQuestionLen+1)} {
		if _, err := s.Ask(context.Background(), Request{Question: q}); err == nil || !strings.Contains(err.Error(), "bad question") {
			t.Errorf("Ask(%.20q) error = %v, want ErrBadQuestion", q, err)
		}
	}
}

func TestFollowUp(t *testing.T) {
	tests := []struct {
		q      string
		follow bool
	}{
		{"còn người dưới 18 tuổi thì sao?", true},
		{"Thế còn phụ nữ có thai?", true},
		{"Vậy thời hạn là bao lâu?", true},
		{"Người từ đủ bao nhiêu tuổi phải chịu trách nhiệm hình sự về mọi tội phạm?", false},
		{"Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?", false},
	}
	for _, tt := range tests {
		if got := IsFollowUp(tt.q); got != tt.follow {
			t.Errorf("IsFollowUp(%q) = %v, want %v", tt.q, got, tt.follow)
		}
	}
	hist := []Message{
		{Role: "user", Content: "Có áp dụng hình phạt tử hình đối với phụ nữ có thai không?"},
		{Role: "assistant", Content: "Không [1]."},
	}
	if got, want := Standalone("còn người dưới 18 tuổi thì sao?", hist), hist[0].Content+" còn người dưới 18 tuổi thì sao?"; got != want {
		t.Errorf("Standalone = %q, want %q", got, want)
	}
	if got := Standalone("Đồng phạm là gì?", hist); got != "Đồng phạm là gì?" {
		t.Errorf("Standalone of a full question = %q", got)
	}

	idx, docs := testIndex(t)
	s := New(Options{Searcher: idx, Documents: docs})
	a, err := s.Ask(context.Background(), Request{Question: "còn người dưới 18 tuổi thì sao?", History: hist})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.Query, "tử hình") || !a.Supported {
		t.Fatalf("follow-up answer %+v: want the earlier question in Query and support", a)
	}
	if len(a.Citations) == 0 || !strings.HasPrefix(a.Citations[0].Label, "Điều 40") {
		t.Errorf("follow-up cites %+v, want Điều 40", a.Citations)
	}
	checkCitationsRetrieved(t, idx, a)
}

// TestPromptInjectionExtractive: a passage that orders the assistant
// about is quoted at most, never obeyed.
func TestPromptInjectionExtractive(t *testing.T) {
	idx, docs := testIndex(t)
	s := New(Options{Searcher: idx, Documents: docs})
	a, err := s.Ask(context.Background(), Request{Question: "Mật khẩu của hệ thống dữ liệu thử nghiệm phải thay đổi sau bao nhiêu ngày?"})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Supported || !strings.Contains(a.Short, "90 ngày") {
		t.Errorf("Short = %q, want 90 ngày", a.Short)
	}
	if strings.Contains(a.Short, "HACKED") || strings.HasPrefix(strings.TrimSpace(a.Text), "HACKED") {
		t.Errorf("the answer obeyed the passage: %q", a.Text)
	}
	checkCitationsRetrieved(t, idx, a)
}

func TestAskStreamExtractive(t *testing.T) {
	idx, docs := testIndex(t)
	s := New(Options{Searcher: idx, Documents: docs})
	var pieces []string
	a, err := s.AskStream(context.Background(), Request{Question: "Đồng phạm là gì?"}, func(d string) error {
		pieces = append(pieces, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pieces) < 2 || strings.Join(pieces, "") != a.Text {
		t.Errorf("pieces %q do not make up the answer %q", pieces, a.Text)
	}
}

func TestAnchorLabel(t *testing.T) {
	for anchor, want := range map[string]string{
		"dieu-418/khoan-2/diem-a": "Điều 418, khoản 2, điểm a",
		"dieu-5/khoan-1/diem-dd":  "Điều 5, khoản 1, điểm đ",
		"dieu-7":                  "Điều 7",
		"":                        "Thành phần hồ sơ",
	} {
		if got := AnchorLabel(anchor, "Thành phần hồ sơ"); got != want {
			t.Errorf("AnchorLabel(%q) = %q, want %q", anchor, got, want)
		}
	}
}

func BenchmarkAskExtractive(b *testing.B) {
	idx, docs := testIndex(b)
	s := New(Options{Searcher: idx, Documents: docs})
	qs := []string{
		"Người từ đủ bao nhiêu tuổi phải chịu trách nhiệm hình sự về mọi tội phạm?",
		"Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?",
		"Các tình tiết giảm nhẹ trách nhiệm hình sự gồm những gì?",
		"Đồng phạm là gì?",
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Ask(ctx, Request{Question: qs[i%len(qs)]}); err != nil {
			b.Fatal(err)
		}
	}
}
