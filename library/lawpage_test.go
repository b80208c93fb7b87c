package library

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

// structuredLaw is a law of two parts (phần) and three chapters, 100
// articles, with a preamble and a closing.
func structuredLaw() []corpus.Node {
	chapter := func(label string, from, to int) corpus.Node {
		c := corpus.Node{Kind: corpus.NodeChuong, Label: label, Heading: "Chương thử " + label, Anchor: "chuong-" + strings.ToLower(label)}
		for i := from; i <= to; i++ {
			c.Children = append(c.Children, corpus.ParseArticle(fmt.Sprint(i), fmt.Sprintf("Điều thử %d\n\n1. Khoản một.\n\n2. Khoản hai.", i)))
		}
		return c
	}
	return []corpus.Node{
		{Kind: corpus.NodePreamble, Anchor: "mo-dau", Text: "Căn cứ Hiến pháp"},
		{Kind: corpus.NodePhan, Label: "thứ nhất", Heading: "QUY ĐỊNH CHUNG", Anchor: "phan-thu-nhat", Children: []corpus.Node{chapter("I", 1, 30), chapter("II", 31, 60)}},
		{Kind: corpus.NodePhan, Label: "thứ hai", Heading: "QUY ĐỊNH CỤ THỂ", Anchor: "phan-thu-hai", Children: []corpus.Node{chapter("III", 61, 100)}},
		{Kind: corpus.NodeClosing, Anchor: "ket-thuc", Text: "Luật này đã được Quốc hội thông qua."},
	}
}

var reIDAttr = regexp.MustCompile(`id="([^"]+)"`)

func TestLawPartsByChapter(t *testing.T) {
	ns := structuredLaw()
	parts := lawParts(ns)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want one a chapter", len(parts))
	}
	for i, want := range []string{"Chương I. Chương thử I", "Chương II. Chương thử II", "Chương III. Chương thử III"} {
		if parts[i].Title != want || parts[i].Param != paramChapter {
			t.Errorf("part %d = %q (%s), want %q by chapter", i, parts[i].Title, parts[i].Param, want)
		}
	}
	seen := map[string]int{}
	for i, p := range parts {
		body := string(lawBody(p.Nodes))
		for _, m := range reIDAttr.FindAllStringSubmatch(body, -1) {
			if _, dup := seen[m[1]]; dup {
				t.Errorf("id %q on parts %d and %d", m[1], seen[m[1]], i)
			}
			seen[m[1]] = i
		}
		// Each chapter keeps the heading of its part (phần).
		if !strings.Contains(body, "Phần thứ") {
			t.Errorf("part %d lost its phần heading", i)
		}
	}
	for _, a := range []string{"mo-dau", "phan-thu-nhat", "chuong-i", "dieu-1", "dieu-30/khoan-2", "chuong-ii", "dieu-31", "phan-thu-hai", "dieu-100/khoan-1", "ket-thuc"} {
		if _, ok := seen[a]; !ok {
			t.Errorf("%s is on no part", a)
		}
	}
	if seen["mo-dau"] != 0 || seen["ket-thuc"] != 2 || seen["dieu-31"] != 1 {
		t.Errorf("preamble on part %d, closing on %d, Điều 31 on %d; want 0, 2, 1", seen["mo-dau"], seen["ket-thuc"], seen["dieu-31"])
	}

	for _, c := range []struct {
		chapter, article string
		want             int
		ok               bool
	}{
		{"", "", 0, true}, {"II", "", 1, true}, {"iii", "", 2, true}, {"", "45", 1, true}, {"", "100", 2, true},
		{"IX", "", 0, false}, {"", "101", 0, false},
	} {
		p, ok := partFor(parts, c.chapter, c.article)
		if p != parts[c.want] || ok != c.ok {
			t.Errorf("partFor(%q, %q) = %q, %v; want %q, %v", c.chapter, c.article, p.Title, ok, parts[c.want].Title, c.ok)
		}
	}

	// The table of contents: parts and chapters nested and collapsible,
	// the one on the page open; the other chapters and their articles
	// linked to their part.
	toc := string(partTOC(ns, parts, parts[1]))
	for _, w := range []string{
		`<li class="toc__group"><details open><summary>Phần thứ nhất. QUY ĐỊNH CHUNG</summary>`,
		`<li class="toc__group"><details open><summary>Chương II. Chương thử II</summary>`,
		`<li class="toc__group"><details><summary>Chương III. Chương thử III</summary><p class="toc__open"><a href="?chuong=III#chuong-iii">Đọc Chương III</a></p>`,
		`<li><a href="#dieu-45">Điều 45. Điều thử 45</a></li>`,
		`<li><a href="?dieu=70#dieu-70">Điều 70. Điều thử 70</a></li>`,
	} {
		if !strings.Contains(toc, w) {
			t.Errorf("table of contents lacks %q", w)
		}
	}
	if strings.Contains(toc, `<details open><summary>Phần thứ hai`) {
		t.Errorf("the part not on the page is open")
	}
}

// A law without chapters is served in runs of articles.
func TestLawPartsByRun(t *testing.T) {
	var ns []corpus.Node
	for i := 1; i <= 95; i++ {
		ns = append(ns, corpus.ParseArticle(fmt.Sprint(i), fmt.Sprintf("Điều thử %d\n\nNội dung.", i)))
	}
	ns = append(ns, corpus.Node{Kind: corpus.NodeClosing, Anchor: "ket-thuc", Text: "Nơi nhận"})
	parts := lawParts(ns)
	var titles []string
	for _, p := range parts {
		titles = append(titles, p.Title+" "+p.href(""))
	}
	if got := strings.Join(titles, "; "); got != "Điều 1–40 ?dieu=1; Điều 41–80 ?dieu=41; Điều 81–95 ?dieu=81" {
		t.Errorf("parts: %s", got)
	}
	if p, ok := partFor(parts, "", "95"); !ok || p != parts[2] || !strings.Contains(string(lawBody(p.Nodes)), `id="ket-thuc"`) {
		t.Errorf("the last run lacks Điều 95 or the closing")
	}
	toc := string(partTOC(ns, parts, parts[0]))
	for _, w := range []string{`<details open><summary>Điều 1–40</summary>`, `<details><summary>Điều 41–80</summary>`, `<a href="#dieu-3">`, `<a href="?dieu=90#dieu-90">`} {
		if !strings.Contains(toc, w) {
			t.Errorf("table of contents lacks %q", w)
		}
	}
}
