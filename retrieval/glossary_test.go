package retrieval

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

func TestDefinedTerms(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"Trong Bộ luật này, các từ ngữ dưới đây được hiểu như sau:\n\n1. Người lao động là người làm việc cho người sử dụng lao động.\n\n2. Người sử dụng lao động là doanh nghiệp, cơ quan, tổ chức.",
			[]string{"nguoi_lao_dong", "nguoi_su_dung_lao_dong"}},
		{"1. Hoa lợi là sản vật tự nhiên mà tài sản mang lại.\n\n2. Lợi tức là khoản lợi thu được từ việc khai thác tài sản.",
			[]string{"hoa_loi", "loi_tuc"}},
		// At the start of the text, after a point label, "được hiểu là".
		{"Chỗ ở hợp pháp là nơi được sử dụng để sinh sống.", []string{"cho_o_hop_phap"}},
		{"đ) Giống cây trồng được hiểu là quần thể cây trồng.", []string{"giong_cay_trong"}},
		// Not definitions: "là" inside a line, after a comma, a single
		// word, no "là" at all, "là" too far.
		{"Trường hợp người sử dụng lao động là cá nhân thì phải có năng lực.", nil},
		{"2. Tài sản bao gồm bất động sản và động sản.", nil},
		{"1. Con là người được sinh ra.", nil},
		{"Người nào, vì lý do gì, là người phạm tội.", nil},
		{"Một hai ba bốn năm sáu bảy tám chín mười mười một mười hai mười ba là số.", nil},
	}
	for _, c := range cases {
		if got := definedTerms(c.text, corpus.Tokenize(c.text), 0); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.text, got, c.want)
		}
	}
	// Only clauses from the given offset on: a title before the text
	// defines nothing.
	s := "Hoa lợi là gì\nLợi tức là khoản lợi."
	if got := definedTerms(s, corpus.Tokenize(s), strings.Index(s, "\n")+1); !reflect.DeepEqual(got, []string{"loi_tuc"}) {
		t.Errorf("from an offset: %q", got)
	}
}

func TestAsksMeaning(t *testing.T) {
	for q, want := range map[string]bool{
		"Người lao động là gì?":                         true,
		"lợi tức được hiểu như thế nào":                 true,
		"Định nghĩa của \"Người sử dụng lao động\"?":    true,
		"dinh nghia nguoi lao dong":                     true,
		"Thế nào là chỗ ở hợp pháp?":                    true,
		"Người lao động có quyền đơn phương chấm dứt?":  false,
		"Nghĩa vụ của người sử dụng lao động gồm những": false,
	} {
		if got := asksMeaning(words(q)); got != want {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}

// labourCode defines two terms in its article 3 and uses them everywhere
// else, as the Labour Code does.
func labourCode() *corpus.Document {
	return &corpus.Document{ID: "45-2019-qh14", Kind: corpus.KindLaw, Number: "45/2019/QH14", Title: "Bộ luật Lao động",
		Nodes: []corpus.Node{
			corpus.ParseArticle("3", "Giải thích từ ngữ\n\nTrong Bộ luật này, các từ ngữ dưới đây được hiểu như sau:\n\n1. Người lao động là người làm việc theo thỏa thuận, được trả lương và chịu sự quản lý, điều hành.\n\n2. Người sử dụng lao động là doanh nghiệp, cơ quan, tổ chức, hộ gia đình có thuê mướn theo thỏa thuận."),
			corpus.ParseArticle("5", "Quyền và nghĩa vụ của người lao động\n\n1. Người lao động có quyền làm việc; tự do lựa chọn việc làm. Người lao động có nghĩa vụ thực hiện hợp đồng lao động với người sử dụng lao động."),
			corpus.ParseArticle("6", "Quyền và nghĩa vụ của người sử dụng lao động\n\n1. Người sử dụng lao động có quyền tuyển dụng, bố trí người lao động. Người sử dụng lao động có nghĩa vụ trả lương cho người lao động."),
		}}
}

func TestDefinitionsAreReranked(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	if err := h.Index(ctx, labourCode()); err != nil {
		t.Fatal(err)
	}
	if err := h.Keyword.WaitMemory(ctx); err != nil {
		t.Fatal(err)
	}
	def, asked := featureIndex(t, "defines"), featureIndex(t, "defines_asked")
	// features of the passages of the question's candidates: defining
	// article 3 or not.
	check := func(q string, wantDef, wantAsked bool) {
		t.Helper()
		c, err := h.Candidates(ctx, Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, cd := range c.Top {
			isDef := cd.Hit.DocID == "45-2019-qh14" && articleOf(cd.Hit.Anchor) == "dieu-3"
			d, a := cd.Features[def], cd.Features[asked]
			if !isDef && (d != 0 || a != 0) {
				t.Errorf("%q: %s %s defines nothing, features %.3f %.3f", q, cd.Hit.DocID, cd.Hit.Anchor, d, a)
			}
			if isDef {
				found = true
				if (d > 0) != wantDef || (a > 0) != wantAsked {
					t.Errorf("%q: the definition has defines %.3f, defines_asked %.3f; want %v, %v", q, d, a, wantDef, wantAsked)
				}
			}
		}
		if wantDef && !found {
			t.Errorf("%q: the defining passage is not among the re-ranked ones", q)
		}
	}
	check("Định nghĩa của người sử dụng lao động?", true, true)
	check("người sử dụng lao động có quyền tuyển dụng không", true, false)
	check("Tội trộm cắp tài sản bị phạt thế nào?", false, false)
}

func TestWithDefinitions(t *testing.T) {
	fused := func(ids ...string) []fusedHit {
		var out []fusedHit
		for i, id := range ids {
			out = append(out, fusedHit{Hit: Hit{PassageID: id}, rank: i})
		}
		return out
	}
	ids := func(fs []fusedHit) (out []string) {
		for _, f := range fs {
			out = append(out, f.PassageID)
		}
		return out
	}
	f := fused("a", "b", "c", "d", "e")
	// "a" is in the pool already, "d" moves up into it, "x" is added,
	// "l" is looked up and stays apart.
	got, n := withDefinitions(f, 2, []Hit{{PassageID: "a"}, {PassageID: "d"}, {PassageID: "x"}, {PassageID: "l"}}, []Hit{{PassageID: "l"}})
	if want := []string{"a", "b", "d", "x", "c", "e"}; !reflect.DeepEqual(ids(got), want) || n != 4 {
		t.Fatalf("got %v, n %d; want %v, n 4", ids(got), n, want)
	}
	// The moved passage keeps its fused rank; the added one ranks below
	// every fused passage.
	if got[2].rank != 3 || got[3].rank != 5 {
		t.Errorf("ranks: d %d, x %d", got[2].rank, got[3].rank)
	}
}

func TestCanonicalDefinitionsFirst(t *testing.T) {
	m := &memIndex{docs: []memDoc{
		{heading: "Điều 173. Tội trộm cắp tài sản — Khoản 2"},
		{heading: "Điều 3. Giải thích từ ngữ — Khoản 1"},
		{heading: "Điều 105. Tài sản"},
		{heading: "Điều 109. Hoa lợi, lợi tức"},
	}}
	if got, want := m.canonicalFirst([]uint32{0, 1, 2}, []string{"tai", "san"}), []uint32{2, 1, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("tài sản: %v, want %v", got, want)
	}
	if got, want := m.canonicalFirst([]uint32{0, 3}, []string{"loi", "tuc"}), []uint32{3, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("lợi tức: %v, want %v", got, want)
	}
}

func TestDefinitionsForLongestPhrases(t *testing.T) {
	m := &memIndex{
		docs: []memDoc{{id: "a"}, {id: "b"}, {id: "c"}},
		defines: map[string][]uint32{
			"nguoi_lao_dong": {0}, "lao_dong": {1}, "nguoi_su_dung_lao_dong": {2},
		},
	}
	docs := func(q string) (out []uint32) {
		for _, d := range m.definitionsFor(q, Query{}) {
			out = append(out, d.doc)
		}
		return out
	}
	// The longest phrases, longest first; "lao động" inside them does not
	// count on its own.
	if got, want := docs("Định nghĩa người sử dụng lao động và người lao động?"), []uint32{2, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A phrase does not run across punctuation.
	if got, want := docs("người, lao động"), []uint32{1}; !reflect.DeepEqual(got, want) {
		t.Errorf("across a comma: got %v, want %v", got, want)
	}
	if got := docs("quyền sử dụng đất"); got != nil {
		t.Errorf("nothing defined: %v", got)
	}
}
