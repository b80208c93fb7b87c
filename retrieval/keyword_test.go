package retrieval

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

func testDocs() []*corpus.Document {
	law := &corpus.Document{
		ID: "01-vbhn-vpqh", Kind: corpus.KindLaw, Number: "01/VBHN-VPQH",
		Title: "Bộ luật Hình sự (văn bản hợp nhất năm 2017)", Aliases: []string{"Bộ luật Hình sự"},
		Issuer: "Văn phòng Quốc hội", Status: "Còn hiệu lực",
		Nodes: []corpus.Node{
			corpus.ParseArticle("173", "Tội trộm cắp tài sản\n\n1. Người nào trộm cắp tài sản của người khác trị giá từ 2.000.000 đồng thì bị phạt cải tạo không giam giữ đến 03 năm."),
			corpus.ParseArticle("418", "Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ\n\n1. Người nào chiếm đoạt hoặc hủy hoại di vật của tử sỹ, thì bị phạt cải tạo không giam giữ đến 03 năm hoặc phạt tù từ 06 tháng đến 03 năm.\n\n2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 02 năm đến 07 năm:\n\na) Là chỉ huy hoặc sĩ quan;\n\nb) Chiếm đoạt hoặc hủy hoại di vật của 02 tử sỹ trở lên."),
		},
	}
	civil := &corpus.Document{
		ID: "91-2015-qh13", Kind: corpus.KindLaw, Number: "91/2015/QH13", Title: "Bộ luật Dân sự 2015",
		Issuer: "Quốc hội", Status: "Còn hiệu lực",
		Nodes: []corpus.Node{
			corpus.ParseArticle("1", "Phạm vi điều chỉnh\n\nBộ luật này quy định địa vị pháp lý, chuẩn mực pháp lý về cách ứng xử của cá nhân, pháp nhân."),
			corpus.ParseArticle("30", "Quyền được khai sinh, khai tử\n\n1. Cá nhân từ khi sinh ra có quyền được khai sinh."),
		},
	}
	birth := &corpus.Document{
		ID: "1.001193", Kind: corpus.KindProcedure, Number: "1.001193", Title: "Thủ tục đăng ký khai sinh",
		Procedure: &corpus.Procedure{Code: "1.001193", Field: "Hộ tịch", Level: "Cấp xã",
			Steps: "Người yêu cầu đăng ký khai sinh nộp hồ sơ tại Ủy ban nhân dân cấp xã.", Documents: "Tờ khai đăng ký khai sinh; Giấy chứng sinh."},
	}
	residence := &corpus.Document{
		ID: "1.004194", Kind: corpus.KindProcedure, Number: "1.004194", Title: "Đăng ký thường trú",
		Procedure: &corpus.Procedure{Code: "1.004194", Field: "Đăng ký, quản lý cư trú",
			Steps: "Công dân nộp hồ sơ đăng ký thường trú đến cơ quan đăng ký cư trú."},
	}
	return []*corpus.Document{law, civil, birth, residence}
}

func openTest(t *testing.T) *Keyword {
	t.Helper()
	k, err := OpenKeyword(filepath.Join(t.TempDir(), "kw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	if !k.Fresh {
		t.Fatal("a new index must be Fresh")
	}
	if err := k.Index(context.Background(), testDocs()...); err != nil {
		t.Fatal(err)
	}
	return k
}

func passageIDs(r Result) []string {
	var s []string
	for _, h := range r.Hits {
		s = append(s, h.PassageID)
	}
	return s
}

func TestKeywordSearch(t *testing.T) {
	k := openTest(t)
	cases := []struct {
		name  string
		q     Query
		first string
		exact bool
	}{
		{"no diacritics", Query{Text: "chiem doat di vat cua tu si"}, "01-vbhn-vpqh#dieu-418", false},
		{"diacritics, sĩ spelled sỹ in the law", Query{Text: "chiếm đoạt di vật của tử sĩ"}, "01-vbhn-vpqh#dieu-418", false},
		{"procedure", Query{Text: "thu tuc dang ky khai sinh"}, "1.001193", false},
		{"kind filter", Query{Text: "khai sinh", Kind: corpus.KindLaw}, "91-2015-qh13#dieu-30", false},
		{"document filter", Query{Text: "phạt tù", DocID: "01-vbhn-vpqh"}, "01-vbhn-vpqh#dieu-418", false},
		{"issuer filter", Query{Text: "khai sinh", Issuer: "quoc hoi"}, "91-2015-qh13#dieu-30", false},
		{"number", Query{Text: "91/2015/QH13"}, "91-2015-qh13#dieu-1", true},
		{"number and words", Query{Text: "91/2015/qh13 khai sinh"}, "91-2015-qh13#dieu-30", true},
		{"article reference", Query{Text: "Điều 418 Bộ luật Hình sự"}, "01-vbhn-vpqh#dieu-418", true},
		{"article reference folded", Query{Text: "dieu 173 bo luat hinh su"}, "01-vbhn-vpqh#dieu-173", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := k.Search(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 || res.Hits[0].PassageID != c.first {
				t.Fatalf("hits = %v, want %s first", passageIDs(res), c.first)
			}
			if res.Exact != c.exact {
				t.Errorf("Exact = %v, want %v", res.Exact, c.exact)
			}
			for i := 1; i < len(res.Hits); i++ {
				if res.Hits[i].Score > res.Hits[i-1].Score {
					t.Errorf("scores not descending: %v", passageIDs(res))
				}
			}
			if c.q.Kind != "" {
				for _, h := range res.Hits {
					if h.Kind != c.q.Kind {
						t.Errorf("hit %s of kind %s passed the %s filter", h.PassageID, h.Kind, c.q.Kind)
					}
				}
			}
		})
	}
}

func TestKeywordSnippetAndFields(t *testing.T) {
	k := openTest(t)
	res, err := k.Search(context.Background(), Query{Text: "tu si", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := res.Hits[0]
	if h.Title != "Bộ luật Hình sự (văn bản hợp nhất năm 2017)" || h.Anchor != "dieu-418" || !strings.HasPrefix(h.Heading, "Điều 418.") {
		t.Errorf("hit fields = %+v", h)
	}
	if !strings.Contains(h.Snippet, "<mark>tử</mark> <mark>sỹ</mark>") {
		t.Errorf("snippet does not mark the words as written: %s", h.Snippet)
	}
}

func TestSnippetEscapes(t *testing.T) {
	got := Snippet(`Điều <b>1</b> & "khai sinh"`, map[string]bool{"khai": true}, 240)
	want := `Điều &lt;b&gt;1&lt;/b&gt; &amp; &#34;<mark>khai</mark> sinh&#34;`
	if got != want {
		t.Errorf("Snippet = %s, want %s", got, want)
	}
	pair := Snippet("phạt tù từ 06 tháng; di vật của tử sỹ", map[string]bool{"tu": true, "si": true, "tu_si": true}, 240)
	if pair != "phạt tù từ 06 tháng; di vật của <mark>tử</mark> <mark>sỹ</mark>" {
		t.Errorf("pair matches must be preferred: %s", pair)
	}
	long := strings.Repeat("không liên quan ", 100) + "đăng ký khai sinh" + strings.Repeat(" cũng không liên quan", 100)
	s := Snippet(long, map[string]bool{"khai": true, "sinh": true}, 120)
	if !strings.Contains(s, "<mark>khai</mark> <mark>sinh</mark>") || !strings.HasPrefix(s, "… ") || len([]rune(s)) > 200 {
		t.Errorf("long snippet = %q", s)
	}
}

func TestKeywordBadQueries(t *testing.T) {
	k := openTest(t)
	for _, q := range []Query{
		{Text: "   "},
		{Text: strings.Repeat("a ", MaxQueryLen)},
		{Text: "khai sinh", Kind: "video"},
		{Text: "!!! ???"},
	} {
		if _, err := k.Search(context.Background(), q); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Search(%.30q, kind %q) error = %v, want ErrBadQuery", q.Text, q.Kind, err)
		}
	}
}

// Replacing a document replaces its passages and keeps the statistics in
// step; deleting removes them; reopening keeps both.
func TestKeywordUpdateDeleteReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kw")
	k, err := OpenKeyword(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	docs := testDocs()
	if err := k.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	before := k.stats
	n0, _ := k.Count()
	// The criminal code loses an article.
	law := *docs[0]
	law.Nodes = law.Nodes[1:]
	if err := k.Index(ctx, &law); err != nil {
		t.Fatal(err)
	}
	n1, _ := k.Count()
	if n1 != n0-1 {
		t.Errorf("after update %d passages, want %d", n1, n0-1)
	}
	if res, _ := k.Search(ctx, Query{Text: "trộm cắp tài sản"}); len(res.Hits) > 0 && res.Hits[0].PassageID == "01-vbhn-vpqh#dieu-173" {
		t.Error("removed article still found")
	}
	if err := k.Delete(ctx, "1.001193"); err != nil {
		t.Fatal(err)
	}
	if res, _ := k.Search(ctx, Query{Text: "thu tuc dang ky khai sinh", Kind: corpus.KindProcedure}); len(res.Hits) > 0 && res.Hits[0].DocID == "1.001193" {
		t.Error("deleted procedure still found")
	}
	// Putting everything back restores the statistics exactly.
	if err := k.Index(ctx, docs[0], docs[2]); err != nil {
		t.Fatal(err)
	}
	if k.stats.Passages != before.Passages || k.stats.Len[2] != before.Len[2] {
		t.Errorf("stats %+v, want %+v", k.stats, before)
	}
	k.Close()

	k, err = OpenKeyword(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if k.Fresh {
		t.Error("reopened index of the same version must not be Fresh")
	}
	if k.stats.Passages != before.Passages {
		t.Errorf("stats not persisted: %+v", k.stats)
	}
	if res, _ := k.Search(ctx, Query{Text: "Điều 418 Bộ luật Hình sự"}); !res.Exact {
		t.Error("law names not reloaded: article reference not recognised after reopening")
	}
}

// An index written by another version of the mapping is rebuilt.
func TestKeywordVersionRebuild(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kw")
	k, err := OpenKeyword(dir)
	if err != nil {
		t.Fatal(err)
	}
	k.Index(context.Background(), testDocs()...)
	k.idx.SetInternal(versionKey, []byte("kw-0"))
	k.Close()
	k, err = OpenKeyword(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if n, _ := k.Count(); !k.Fresh || n != 0 {
		t.Errorf("outdated index: Fresh=%v with %d passages, want a fresh empty index", k.Fresh, n)
	}
}

func TestAnalyzerBigramsStopAtPunctuation(t *testing.T) {
	uni, bi := queryTerms("Đăng ký khai sinh. Căn cước")
	if strings.Join(uni, " ") != "dang ki khai sinh can cuoc" {
		t.Errorf("unigrams = %q", uni)
	}
	if strings.Join(bi, " ") != "dang_ki ki_khai khai_sinh can_cuoc" {
		t.Errorf("bigrams = %q (no bigram across the full stop)", bi)
	}
}
