package web_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

// civilCodeFullPage is the size of Bộ luật Dân sự's page when it was
// served whole: 689 articles in one page.
const civilCodeFullPage = 1_099_469

// A long law is served a part at a time: every part reachable from the
// table of contents and the pager, every element of the law on exactly
// one part, each part a small share of the whole.
func TestLongLawServedByPart(t *testing.T) {
	docs, _ := needLibrary(t)
	h := newSite(t, nil)
	d, err := docs.Get(t.Context(), civilCode)
	if err != nil {
		t.Fatal(err)
	}
	first := get(t, h, "/van-ban/"+civilCode)
	if first.status != 200 {
		t.Fatalf("status %d", first.status)
	}
	t.Logf("Bộ luật Dân sự: %d bytes served whole, %d bytes the first part (%.0f%%)",
		civilCodeFullPage, len(first.body), 100*float64(len(first.body))/civilCodeFullPage)
	if len(first.body) > 250_000 {
		t.Errorf("the first part of the civil code is %d bytes; want it light (under 250 kB)", len(first.body))
	}
	for _, w := range []string{`Đang xem: <strong>Điều 1–40</strong>`, `<a href="?toan-van=1">Xem toàn văn</a>`, `<a rel="next" href="?dieu=41">Điều 41–80 →</a>`, `src="/static/law.js?v=`} {
		if !strings.Contains(first.body, w) {
			t.Errorf("first part lacks %q", w)
		}
	}

	// Walk the parts by the pager; collect every element's id.
	reNext := regexp.MustCompile(`<a rel="next" href="([^"]+)">`)
	seen := map[string]string{}
	target, parts := "/van-ban/"+civilCode, 0
	for target != "" {
		r := get(t, h, target)
		if r.status != 200 {
			t.Fatalf("%s: status %d", target, r.status)
		}
		parts++
		if parts > 40 {
			t.Fatalf("more than 40 parts: the pager loops")
		}
		for _, m := range reID.FindAllStringSubmatch(r.body, -1) {
			if where, ok := seen[m[1]]; ok && strings.HasPrefix(m[1], "dieu-") {
				t.Errorf("%s on %s and %s", m[1], where, target)
			}
			seen[m[1]] = target
		}
		target = ""
		if m := reNext.FindStringSubmatch(r.body); m != nil {
			target = "/van-ban/" + civilCode + html.UnescapeString(m[1])
		}
	}
	missing := 0
	var walk func(ns []corpus.Node)
	walk = func(ns []corpus.Node) {
		for _, n := range ns {
			if seen[n.Anchor] == "" {
				missing++
				if missing < 10 {
					t.Errorf("%s is on no part", n.Anchor)
				}
			}
			walk(n.Children)
		}
	}
	walk(d.Nodes)
	if parts != 18 { // 689 articles, 40 a part
		t.Errorf("%d parts, want 18", parts)
	}

	// An article asks for its part; the table of contents links the other
	// parts' articles there.
	r := get(t, h, "/van-ban/"+civilCode+"?dieu=650")
	for _, w := range []string{`<article class="dieu" id="dieu-650">`, `<div class="khoan" id="dieu-650/khoan-1">`, `Đang xem: <strong>Điều 641–680</strong>`,
		`<a href="?dieu=2#dieu-2">Điều 2.`, `<a href="#dieu-650">Điều 650.`} {
		if !strings.Contains(r.body, w) {
			t.Errorf("?dieu=650 lacks %q", w)
		}
	}
	// An article the law does not have: the first part, and a notice.
	r = get(t, h, "/van-ban/"+civilCode+"?dieu=9999")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "Văn bản không có Điều 9999") || !strings.Contains(r.body, `id="dieu-1"`) {
		t.Errorf("?dieu=9999: %d %.300s", r.status, mainOf(r.body))
	}
	// A short law is served whole, without the script.
	short := get(t, h, "/van-ban/24-2018-qh14")
	if short.status != 200 || !strings.Contains(short.body, `id="dieu-43"`) || strings.Contains(short.body, "law.js") || strings.Contains(short.body, "Đang xem:") {
		t.Errorf("Luật An ninh mạng (43 articles): %d, want it whole", short.status)
	}
}

// Every law of the list shows its number or its year, and its validity
// with where that came from.
func TestLawListShowsIdentityAndValidity(t *testing.T) {
	docs, _ := needLibrary(t)
	h := newSite(t, nil)
	laws, err := docs.List(context.Background(), corpus.ListOptions{Kind: corpus.KindLaw})
	if err != nil {
		t.Fatal(err)
	}
	body := mainOf(get(t, h, "/?loai=luat").body)
	items := regexp.MustCompile(`(?s)<li><a href="/van-ban/([^"]+)">.*?</li>`).FindAllStringSubmatch(body, -1)
	if len(items) != len(laws) {
		t.Fatalf("%d laws listed, %d stored", len(items), len(laws))
	}
	reIdentity := regexp.MustCompile(`<span class="law-meta">(Số hiệu [^<·]+|Năm \d{4}|Có hiệu lực từ \d\d/\d\d/\d{4})`)
	reStatus := regexp.MustCompile(`Tình trạng: <strong>(Còn hiệu lực|Chưa có hiệu lực|Hết hiệu lực|Chưa rõ)</strong></span><span class="fact-src">[^<]+</span>`)
	for _, it := range items {
		if !reIdentity.MatchString(it[0]) {
			t.Errorf("%s: neither number nor year in %q", it[1], it[0])
		}
		if !reStatus.MatchString(it[0]) {
			t.Errorf("%s: no validity with its source in %q", it[1], it[0])
		}
	}
	// The consolidated criminal code: its number from the source, its
	// entry into force read from its last article.
	if !strings.Contains(body, `Số hiệu 01/VBHN-VPQH`) || !strings.Contains(body, `có hiệu lực từ 01/07/2016, suy ra từ Điều 426`) {
		t.Errorf("the criminal code's facts are not listed:\n%s", body)
	}
}

// The menu a visitor sees: what a citizen can use, and one link for staff
// to sign in; the staff pages once signed in.
func TestMenu(t *testing.T) {
	h := newSite(t, nil)
	body := get(t, h, "/").body
	nav := body[strings.Index(body, `<nav class="site-nav"`):]
	nav = nav[:strings.Index(nav, "</nav>")]
	for _, w := range []string{`href="/?loai=luat"`, `href="/?loai=thu-tuc"`} {
		if !strings.Contains(nav, w) {
			t.Errorf("menu lacks %s:\n%s", w, nav)
		}
	}
	// This site has neither feedback nor sign-in nor assistant: no link
	// leads nowhere.
	for _, bad := range []string{`/tro-ly`, `/can-bo`, `/phan-anh`, `/auth/login`} {
		if strings.Contains(nav, bad) {
			t.Errorf("menu links %s, which this site does not have:\n%s", bad, nav)
		}
	}
}
