package library

import (
	"html/template"
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

func TestSafeSnippet(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"người <mark>chiếm</mark> đoạt &amp; hủy", "người <mark>chiếm</mark> đoạt &amp; hủy"},
		{"&lt;script&gt; <mark>x</mark>", "&lt;script&gt; <mark>x</mark>"},
		// Not what retrieval promises: shown as text, never as markup.
		{`<script>alert(1)</script> <mark>x</mark>`, "&lt;script&gt;alert(1)&lt;/script&gt; x"},
		{`<mark onclick="x">y</mark>`, "&lt;mark onclick=&#34;x&#34;&gt;y"},
	} {
		if got := safeSnippet(c.in); got != template.HTML(c.want) {
			t.Errorf("safeSnippet(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPageLinks(t *testing.T) {
	show := func(ls []pageLink) string {
		var b strings.Builder
		for _, l := range ls {
			switch {
			case l.Gap:
				b.WriteString("… ")
			case l.Current:
				b.WriteString("[" + string(rune('0'+l.N%10)) + "] ")
			default:
				b.WriteString(string(rune('0'+l.N%10)) + " ")
			}
		}
		return strings.TrimSpace(b.String())
	}
	for _, c := range []struct {
		cur, pages int
		want       string
	}{
		{1, 1, ""},
		{1, 2, "[1] 2"},
		{1, 9, "[1] 2 … 9"},
		{5, 9, "1 … 4 [5] 6 … 9"},
		{9, 9, "1 … 8 [9]"},
		{3, 5, "1 2 [3] 4 5"},
	} {
		if got := show(pageLinks(c.cur, c.pages, func(int) string { return "" })); got != c.want {
			t.Errorf("pageLinks(%d, %d) = %q, want %q", c.cur, c.pages, got, c.want)
		}
	}
}

func TestURLAndFragment(t *testing.T) {
	for _, c := range []struct {
		kind       corpus.Kind
		id, anchor string
		want       string
	}{
		{corpus.KindLaw, "91-2015-qh13", "dieu-418/khoan-1/diem-a", "/van-ban/91-2015-qh13?dieu=418#dieu-418/khoan-1/diem-a"},
		{corpus.KindLaw, "91-2015-qh13", "dieu-12a", "/van-ban/91-2015-qh13?dieu=12a#dieu-12a"},
		{corpus.KindLaw, "91-2015-qh13", "chuong-ii", "/van-ban/91-2015-qh13#chuong-ii"},
		{corpus.KindProcedure, "1.001193", "thanh-phan-ho-so", "/thu-tuc/1.001193#thanh-phan-ho-so"},
		{corpus.KindLaw, "91-2015-qh13", "", "/van-ban/91-2015-qh13"},
		{corpus.KindProcedure, "1.001193", "", "/thu-tuc/1.001193"},
		{corpus.KindProcedure, "a b/c", "", "/thu-tuc/a%20b%2Fc"},
	} {
		if got := URL(c.kind, c.id, c.anchor); got != c.want {
			t.Errorf("URL(%s, %q, %q) = %q, want %q", c.kind, c.id, c.anchor, got, c.want)
		}
	}
	for in, want := range map[string]template.URL{
		"dieu-418/khoan-1":  "#dieu-418/khoan-1",
		`x" onmouseover="y`: "#x%22%20onmouseover=%22y",
	} {
		if got := fragment(in); got != want {
			t.Errorf("fragment(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLawBodyEscapes(t *testing.T) {
	art := corpus.ParseArticle("5", "Tiêu đề <b>đậm</b>\n\n1. Khoản có <script>alert(1)</script> & \"ngoặc\".\n\na) Điểm a;\n\nb) Điểm b.")
	got := string(lawBody([]corpus.Node{{Kind: corpus.NodeChuong, Label: "I", Heading: "Chương <i>", Anchor: "chuong-i", Children: []corpus.Node{art}}}))
	for _, want := range []string{
		`<section class="part part--chuong" id="chuong-i"><h2 class="part__title"><a class="self" href="#chuong-i" title="Đường dẫn tới Chương I"`,
		`Chương I. Chương &lt;i&gt;</h2>`,
		`<article class="dieu" id="dieu-5"><h3 class="dieu__title">`,
		`Điều 5. Tiêu đề &lt;b&gt;đậm&lt;/b&gt;</h3>`,
		`<div class="khoan" id="dieu-5/khoan-1"><a class="self" href="#dieu-5/khoan-1"`,
		`<span class="num">1.</span> Khoản có &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;ngoặc&#34;.`,
		`<div class="diem" id="dieu-5/khoan-1/diem-b"><a class="self" href="#dieu-5/khoan-1/diem-b" title="Đường dẫn tới điểm b"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("body lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<script") || strings.Contains(got, "<b>") || strings.Contains(got, "<i>") {
		t.Errorf("body carries markup from the text:\n%s", got)
	}
}

func TestQueryText(t *testing.T) {
	for _, c := range []struct {
		in, want, code string
	}{
		{"  dang ky khai sinh ", "dang ky khai sinh", ""},
		{"", "", "empty_query"},
		{" \t ", "", "empty_query"},
		{strings.Repeat("ệ", retrieval.MaxQueryLen), strings.Repeat("ệ", retrieval.MaxQueryLen), ""},
		{strings.Repeat("ệ", retrieval.MaxQueryLen+1), "", "query_too_long"},
		// Decomposed input (e + combining marks) is composed, and counted so.
		{"e\u0323\u0302", "ệ", ""},
		{strings.Repeat("e\u0323\u0302", retrieval.MaxQueryLen), strings.Repeat("ệ", retrieval.MaxQueryLen), ""},
	} {
		got, bad := queryText(c.in)
		code := ""
		if bad != nil {
			code = bad.code
		}
		if got != c.want || code != c.code {
			t.Errorf("queryText(%.20q) = %.20q, %q; want %.20q, %q", c.in, got, code, c.want, c.code)
		}
	}
}

func TestViDate(t *testing.T) {
	for in, want := range map[string]string{"2015-11-24": "24/11/2015", "": "", "2015": "2015"} {
		if got := viDate(in); got != want {
			t.Errorf("viDate(%q) = %q, want %q", in, got, want)
		}
	}
}

// Titles sort as in a Vietnamese dictionary: marks do not count, but đ
// comes after every d.
func TestCollateKey(t *testing.T) {
	titles := []string{"Luật Đường bộ", "Luật Du lịch", "luật đất đai", "Luật Dầu khí", "Bộ luật Dân sự 2015", "Luật Điện ảnh 2022", "Luật Dân quân tự vệ"}
	want := []string{"Bộ luật Dân sự 2015", "Luật Dân quân tự vệ", "Luật Dầu khí", "Luật Du lịch", "luật đất đai", "Luật Điện ảnh 2022", "Luật Đường bộ"}
	slices.SortFunc(titles, func(a, b string) int { return strings.Compare(collateKey(a), collateKey(b)) })
	if !slices.Equal(titles, want) {
		t.Errorf("sorted: %q\nwant    %q", titles, want)
	}
}
