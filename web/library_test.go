package web_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/web"
)

// libraryModule mounts the citizen library as cmd/mattranso does: web
// knows no domain, and a module is all it is given.
func libraryModule(o library.Options) web.Module {
	return web.Module{
		Name: "library", Templates: library.Templates, Funcs: library.TemplateFuncs,
		Mount: func(r web.Router, pages *web.Renderer) error {
			o.Pages = pages
			library.New(o).Register(r)
			return nil
		},
	}
}

// librarySite is the site with the library alone, logging nothing.
func librarySite(o library.Options) http.Handler {
	return web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Modules: []web.Module{libraryModule(o)}})
}

func TestAPISearch(t *testing.T) {
	h := newSite(t, nil)
	criminal := title(t, criminalCode)
	long := strings.Repeat("đ", retrieval.MaxQueryLen+1)
	for _, c := range []struct {
		name   string
		target string
		status int
		code   string // error code, or "" for success
		field  string
		check  func(t *testing.T, r library.SearchResponse)
	}{
		{name: "law without diacritics", status: 200,
			target: query("/api/v1/library/search", "q", "chiem doat di vat cua tu si", "kind", "law"),
			check: func(t *testing.T, r library.SearchResponse) {
				top := r.Results[0]
				if top.ID != criminalCode || top.Anchor != "dieu-418" || top.Kind != corpus.KindLaw ||
					top.URL != "/van-ban/"+criminalCode+"?dieu=418#dieu-418" || top.PassageID != criminalCode+"#dieu-418" ||
					!strings.HasPrefix(top.Heading, "Điều 418. Tội chiếm đoạt") || top.Title != criminal ||
					!strings.Contains(top.Snippet, "<mark>") || top.Score <= 0 {
					t.Errorf("top result = %+v", top)
				}
			}},
		{name: "procedure", status: 200,
			target: query("/api/v1/library/search", "q", "dang ky khai sinh", "kind", "procedure", "limit", "5"),
			check: func(t *testing.T, r library.SearchResponse) {
				if len(r.Results) == 0 || len(r.Results) > 5 {
					t.Fatalf("%d results, want 1..5", len(r.Results))
				}
				for _, res := range r.Results {
					if res.Kind != corpus.KindProcedure || res.URL != "/thu-tuc/"+res.ID {
						t.Errorf("result %+v: want a procedure linking to /thu-tuc/%s", res, res.ID)
					}
				}
				if !strings.Contains(corpus.Fold(r.Results[0].Title), "khai sinh") {
					t.Errorf("top result %q is not about birth registration", r.Results[0].Title)
				}
			}},
		{name: "paging", status: 200,
			target: query("/api/v1/library/search", "q", "hợp đồng", "limit", "3", "offset", "3"),
			check: func(t *testing.T, r library.SearchResponse) {
				if len(r.Results) != 3 || r.Total < 6 {
					t.Errorf("%d results of %d, want 3 of at least 6", len(r.Results), r.Total)
				}
			}},
		{name: "no results", status: 200,
			target: query("/api/v1/library/search", "q", "xyzzyquux"),
			check: func(t *testing.T, r library.SearchResponse) {
				if r.Results == nil || len(r.Results) != 0 || r.Total != 0 {
					t.Errorf("got %+v, want an empty list", r)
				}
			}},
		{name: "script is data", status: 200, target: query("/api/v1/library/search", "q", "<script>alert(1)</script> hợp đồng")},
		{name: "empty", target: "/api/v1/library/search?q=", status: 400, code: "empty_query", field: "q"},
		{name: "blank", target: query("/api/v1/library/search", "q", "   "), status: 400, code: "empty_query", field: "q"},
		{name: "missing", target: "/api/v1/library/search", status: 400, code: "empty_query", field: "q"},
		{name: "too long", target: query("/api/v1/library/search", "q", long), status: 400, code: "query_too_long", field: "q"},
		{name: "bad kind", target: query("/api/v1/library/search", "q", "x", "kind", "luat"), status: 400, code: "invalid_parameter", field: "kind"},
		{name: "limit 0", target: query("/api/v1/library/search", "q", "x", "limit", "0"), status: 400, code: "invalid_parameter", field: "limit"},
		{name: "limit too big", target: query("/api/v1/library/search", "q", "x", "limit", fmt.Sprint(retrieval.MaxLimit+1)), status: 400, code: "invalid_parameter", field: "limit"},
		{name: "limit not a number", target: query("/api/v1/library/search", "q", "x", "limit", "ten"), status: 400, code: "invalid_parameter", field: "limit"},
		{name: "negative offset", target: query("/api/v1/library/search", "q", "x", "offset", "-1"), status: 400, code: "invalid_parameter", field: "offset"},
		{name: "query of punctuation", target: query("/api/v1/library/search", "q", "?!"), status: 400, code: "bad_query", field: "q"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, h, c.target)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.400s", r.status, c.status, r.body)
			}
			if c.code != "" {
				var e api.Envelope
				decodeJSON(t, r, &e)
				if e.Error.Code != c.code || e.Error.Field != c.field || e.Error.Message == "" {
					t.Errorf("error %+v, want code %q field %q and a message", e.Error, c.code, c.field)
				}
				if c.field != "" && !strings.Contains(e.Error.Message, c.field) {
					t.Errorf("message %q does not name the field %q", e.Error.Message, c.field)
				}
				return
			}
			var sr library.SearchResponse
			decodeJSON(t, r, &sr)
			// The contract's field names, as a client reads them.
			if sr.Total > 0 {
				for _, k := range []string{`"id":`, `"kind":`, `"title":`, `"heading":`, `"snippet":`, `"score":`, `"url":`, `"anchor":`, `"passage_id":`, `"total":`} {
					if !strings.Contains(r.body, k) {
						t.Errorf("response lacks %s: %.300s", k, r.body)
					}
				}
			}
			if c.check != nil {
				if len(sr.Results) == 0 && c.name != "no results" {
					t.Fatalf("no results: %s", r.body)
				}
				c.check(t, sr)
			}
		})
	}
}

func TestAPIDocument(t *testing.T) {
	h := newSite(t, nil)
	r := get(t, h, "/api/v1/library/documents/"+criminalCode)
	var d corpus.Document
	decodeJSON(t, r, &d)
	if r.status != 200 || d.ID != criminalCode || d.Kind != corpus.KindLaw || d.Find("dieu-418/khoan-2/diem-a") == nil {
		t.Errorf("document = %d %s %s, want the criminal code with dieu-418/khoan-2/diem-a", r.status, d.ID, d.Title)
	}
	r = get(t, h, "/api/v1/library/documents/"+birthReg)
	d = corpus.Document{}
	decodeJSON(t, r, &d)
	if r.status != 200 || d.Procedure == nil || d.Procedure.Code != birthReg {
		t.Errorf("procedure = %d %+v", r.status, d)
	}
	r = get(t, h, "/api/v1/library/documents/khong-co")
	var e api.Envelope
	decodeJSON(t, r, &e)
	if r.status != 404 || e.Error.Code != "not_found" || !strings.Contains(e.Error.Message, "khong-co") {
		t.Errorf("unknown document = %d %+v, want 404 not_found", r.status, e)
	}
}

func TestSearchPage(t *testing.T) {
	h := newSite(t, nil)
	criminal := title(t, criminalCode)
	for _, c := range []struct {
		name   string
		target string
		status int
		want   []string
		not    []string
	}{
		{"results", query("/tim-kiem", "q", "chiem doat di vat cua tu si"), 200, []string{
			`value="chiem doat di vat cua tu si"`,
			`href="/van-ban/` + criminalCode + `?dieu=418#dieu-418"`,
			`Điều 418. Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ`,
			`<mark>`, `Bộ luật Hình sự`, `aria-current="true">Tất cả</a>`,
		}, nil},
		{"law filter", query("/tim-kiem", "q", "dang ky khai sinh", "loai", "luat"), 200,
			[]string{`aria-current="true">Luật</a>`}, []string{`href="/thu-tuc/`}},
		{"procedure filter", query("/tim-kiem", "q", "dang ky khai sinh", "loai", "thu-tuc"), 200,
			[]string{`href="/thu-tuc/`, `Thủ tục đăng ký khai sinh`, `badge--procedure`}, []string{`href="/van-ban/`}},
		{"within one law", query("/tim-kiem", "q", "di vat", "van-ban", criminalCode), 200,
			[]string{`Chỉ tìm trong: <strong>` + criminal + `</strong>`, `name="van-ban" value="` + criminalCode + `"`}, []string{`href="/van-ban/` + civilCode}},
		{"paging", query("/tim-kiem", "q", "hợp đồng", "trang", "2"), 200,
			[]string{`Kết quả 11–20`, `rel="prev"`, `rel="next"`, `<span aria-current="page">2</span>`}, nil},
		{"escaping", query("/tim-kiem", "q", `<script>alert("x")</script>`), 200,
			[]string{`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`}, []string{`<script>alert`}},
		{"empty", "/tim-kiem?q=", 200, []string{"Hãy nhập nội dung cần tìm"}, []string{`class="result"`}},
		{"too long", query("/tim-kiem", "q", strings.Repeat("a ", retrieval.MaxQueryLen)), 400, []string{"quá dài"}, nil},
		{"no results", query("/tim-kiem", "q", "xyzzyquux", "loai", "luat"), 200,
			[]string{"Không tìm thấy kết quả nào cho “xyzzyquux”", `Tìm trong tất cả tài liệu`}, nil},
		{"bad kind", query("/tim-kiem", "q", "x", "loai", "sach"), 400, []string{"Loại tài liệu không hợp lệ"}, nil},
		{"bad page", query("/tim-kiem", "q", "x", "trang", "hai"), 400, []string{"Số trang"}, nil},
		{"page past the end", query("/tim-kiem", "q", "thừa kế", "van-ban", civilCode, "trang", "60"), 200, []string{"Trang 60 không có kết quả"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, h, c.target)
			if r.status != c.status {
				t.Errorf("status %d, want %d", r.status, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(r.body, n) {
					t.Errorf("page contains %q", n)
				}
			}
			if t.Failed() {
				t.Logf("page: %s", mainOf(r.body))
			}
		})
	}
}

// degradedSearch answers as the hybrid search does when its vector side is
// down: keyword results, flagged.
type degradedSearch struct{ library.Searcher }

func (d degradedSearch) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, err := d.Searcher.Search(ctx, q)
	res.Degraded = "vector search unavailable: connection refused"
	return res, err
}

// A search answered from keywords alone still shows its results, with a
// notice; the reason (an internal error) is not shown to citizens.
func TestSearchPageSaysWhenVectorsAreDown(t *testing.T) {
	docs, idx := needLibrary(t)
	const notice = "Tìm theo ý nghĩa đang tạm gián đoạn"
	target := query("/tim-kiem", "q", "chiem doat di vat cua tu si")
	healthy := get(t, librarySite(library.Options{Searcher: idx, Documents: docs}), target)
	if strings.Contains(healthy.body, notice) {
		t.Error("a healthy search shows the degraded notice")
	}
	h := librarySite(library.Options{Searcher: degradedSearch{idx}, Documents: docs})
	r := get(t, h, target)
	if r.status != 200 || !strings.Contains(r.body, notice) || !strings.Contains(r.body, `#dieu-418"`) {
		t.Errorf("degraded search: status %d; want 200 with the notice and the results\n%s", r.status, mainOf(r.body))
	}
	if strings.Contains(r.body, "connection refused") {
		t.Error("the page shows the internal reason")
	}
}

// mainOf cuts the layout away, for readable failures.
func mainOf(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	if i := strings.Index(page, "</main>"); i >= 0 {
		page = page[:i]
	}
	if len(page) > 4000 {
		page = page[:4000]
	}
	return page
}

func TestHomePage(t *testing.T) {
	h := newSite(t, nil)
	r := get(t, h, "/")
	for _, w := range []string{`<form class="search search--big" action="/tim-kiem" method="get"`, `placeholder="Ví dụ: thu tuc dang ky khai sinh"`,
		`name="loai" value="" checked`, `>Tất cả<`, `>Luật<`, `>Thủ tục hành chính<`, `Thư viện pháp luật`} {
		if !strings.Contains(r.body, w) {
			t.Errorf("home lacks %q", w)
		}
	}
	r = get(t, h, "/?loai=thu-tuc")
	if !strings.Contains(r.body, `name="loai" value="thu-tuc" checked`) || !strings.Contains(r.body, `<a href="/?loai=thu-tuc" aria-current="page">`) {
		t.Errorf("/?loai=thu-tuc does not select procedures: %s", mainOf(r.body))
	}
}

// sectionFunc is a part of the home page given by another module.
type sectionFunc func(ctx context.Context) (template.HTML, error)

func (f sectionFunc) HomeSection(ctx context.Context) (template.HTML, error) { return f(ctx) }

// Other modules' sections show on the home page, in order, and on no
// other page; one that fails is left out and logged, and the page is
// shown with the rest.
func TestHomeSections(t *testing.T) {
	docs, idx := needLibrary(t)
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	calls := 0
	sections := []library.HomeSection{
		sectionFunc(func(context.Context) (template.HTML, error) {
			calls++
			return `<section id="thu-nhat">Phản ánh đã được trả lời</section>`, nil
		}),
		sectionFunc(func(context.Context) (template.HTML, error) { return "", errors.New("the section's store is down") }),
		sectionFunc(func(context.Context) (template.HTML, error) { return "", nil }),
		sectionFunc(func(context.Context) (template.HTML, error) { return `<section id="thu-hai">x</section>`, nil }),
	}
	h := web.New(web.Options{Logger: log, Modules: []web.Module{libraryModule(library.Options{Searcher: idx, Documents: docs,
		Sections: sections, Logger: web.RequestLogger(log)})}})
	r := get(t, h, "/")
	first, second := strings.Index(r.body, `<section id="thu-nhat">Phản ánh đã được trả lời</section>`), strings.Index(r.body, `<section id="thu-hai">`)
	if r.status != http.StatusOK || first < 0 || second < first {
		t.Fatalf("home: %d, sections at %d and %d\n%s", r.status, first, second, mainOf(r.body))
	}
	if search := strings.Index(r.body, `action="/tim-kiem"`); search < 0 || search > first {
		t.Error("the sections are not under the search box")
	}
	if !strings.Contains(logs.String(), "the section's store is down") {
		t.Errorf("the failing section was not logged: %s", logs.String())
	}
	for _, target := range []string{"/?loai=luat", "/?loai=thu-tuc", "/tim-kiem?q=khai+sinh"} {
		if strings.Contains(get(t, h, target).body, "thu-nhat") {
			t.Errorf("%s shows the home page's sections", target)
		}
	}
	if calls != 1 {
		t.Errorf("the section was asked %d times for one home page", calls)
	}
}

// viOrder is a title's place in a Vietnamese dictionary, near enough for
// the test: letters without their marks, except đ, which follows every d.
func viOrder(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "đ", "d\uffff")
	return corpus.Fold(s)
}

// The law home page lists every law of the library, each once, linked to
// its page, in Vietnamese alphabetical order; the other home pages list
// none.
func TestLawHomeListsEveryLaw(t *testing.T) {
	docs, _ := needLibrary(t)
	h := newSite(t, nil)
	laws, err := docs.List(context.Background(), corpus.ListOptions{Kind: corpus.KindLaw})
	if err != nil || len(laws) < 2 {
		t.Fatalf("laws in the test library: %d, %v", len(laws), err)
	}
	r := get(t, h, "/?loai=luat")
	body := mainOf(r.body)
	if r.status != 200 || !strings.Contains(body, fmt.Sprintf("Danh mục văn bản (%d)", len(laws))) {
		t.Fatalf("status %d; want the catalogue of %d laws\n%s", r.status, len(laws), body)
	}
	re := regexp.MustCompile(`<li><a href="/van-ban/([^"]+)">([^<]+)</a>`)
	items := re.FindAllStringSubmatch(r.body, -1)
	if len(items) != len(laws) {
		t.Fatalf("%d laws listed, %d stored", len(items), len(laws))
	}
	seen := map[string]bool{}
	for i, it := range items {
		seen[it[1]] = true
		if i > 0 && viOrder(html.UnescapeString(items[i-1][2])) > viOrder(html.UnescapeString(it[2])) {
			t.Errorf("%q listed before %q", items[i-1][2], it[2])
		}
	}
	for _, l := range laws {
		if !seen[l.ID] {
			t.Errorf("%s (%s) is not listed", l.ID, l.Title)
		}
	}
	if !seen[criminalCode] || !strings.Contains(body, `href="/van-ban/`+criminalCode+`">`+title(t, criminalCode)+`</a>`) {
		t.Errorf("the Criminal Code is not listed under its title")
	}
	for _, target := range []string{"/", "/?loai=thu-tuc"} {
		if strings.Contains(get(t, h, target).body, "Danh mục văn bản") {
			t.Errorf("%s lists the laws", target)
		}
	}
}

// manyLaws is a library of more laws than the law home page lists.
type manyLaws struct {
	library.Documents
	asked int // the limit List was asked with
}

func (m *manyLaws) List(_ context.Context, opt corpus.ListOptions) ([]corpus.Summary, error) {
	m.asked = opt.Limit
	n := 3000
	if opt.Limit > 0 {
		n = min(n, opt.Limit)
	}
	out := make([]corpus.Summary, n)
	for i := range out {
		out[i] = corpus.Summary{ID: fmt.Sprintf("law-%d", i), Kind: corpus.KindLaw, Title: fmt.Sprintf("Luật số %d", i)}
	}
	return out, nil
}

// Past MaxCatalogue laws the page asks for a search rather than list
// them, and never reads more than it could list.
func TestLawHomeWithTooManyLaws(t *testing.T) {
	docs, idx := needLibrary(t)
	many := &manyLaws{Documents: docs}
	h := librarySite(library.Options{Searcher: idx, Documents: many})
	r := get(t, h, "/?loai=luat")
	if r.status != 200 || !strings.Contains(r.body, fmt.Sprintf("Thư viện có hơn %d văn bản luật", library.MaxCatalogue)) || strings.Contains(r.body, "Danh mục văn bản") {
		t.Errorf("status %d; want the notice and no list\n%s", r.status, mainOf(r.body))
	}
	if many.asked != library.MaxCatalogue+1 {
		t.Errorf("listed with limit %d; want %d", many.asked, library.MaxCatalogue+1)
	}
}

// viDate is 2017-07-10 → 10/07/2017.
func viDate(iso string) string {
	if len(iso) != 10 {
		return iso
	}
	return iso[8:10] + "/" + iso[5:7] + "/" + iso[0:4]
}

var (
	reID   = regexp.MustCompile(`id="([^"]+)"`)
	reSelf = regexp.MustCompile(`class="self" href="#([^"]+)"`)
)

func TestLawPage(t *testing.T) {
	docs, _ := needLibrary(t)
	h := newSite(t, nil)
	// A long law is served a part at a time: the part holding Điều 418.
	r := get(t, h, "/van-ban/"+criminalCode+"?dieu=418")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	for _, w := range []string{
		`<h1>` + title(t, criminalCode) + `</h1>`, `<dt>Số hiệu</dt><dd>01/VBHN-VPQH <span class="fact-src">(thuộc tính văn bản)</span></dd>`,
		`<details class="toc" id="muc-luc">`, `<a href="#dieu-418">Điều 418. Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ</a>`,
		`<article class="dieu" id="dieu-418">`, `<div class="khoan" id="dieu-418/khoan-1">`,
		`<div class="diem" id="dieu-418/khoan-2/diem-a">`, `<a class="self" href="#dieu-418/khoan-2/diem-a"`,
		`name="van-ban" value="` + criminalCode + `"`,
	} {
		if !strings.Contains(r.body, w) {
			t.Errorf("law page lacks %q", w)
		}
	}
	// Every element of the structure is on the page under its anchor,
	// with a link to itself.
	d, err := docs.Get(t.Context(), criminalCode)
	if err != nil {
		t.Fatal(err)
	}
	// The facts, dates written the Vietnamese way, a missing one said so;
	// the date of entry into force and the status, which the source does
	// not give, read from the text and said so.
	for _, w := range []string{
		`<dt>Ngày có hiệu lực</dt><dd>01/07/2016 <span class="fact-src">(suy ra từ Điều 426)</span></dd>`,
		`<dt>Tình trạng</dt><dd>Còn hiệu lực <span class="fact-src">(có hiệu lực từ 01/07/2016, suy ra từ Điều 426; thư viện chưa có văn bản thay thế)</span></dd>`,
	} {
		if !strings.Contains(r.body, w) {
			t.Errorf("law page lacks %q", w)
		}
	}
	for _, f := range []struct{ label, value string }{
		{"Loại văn bản", d.Type}, {"Cơ quan ban hành", d.Issuer}, {"Ngày ban hành", viDate(d.IssuedAt)},
	} {
		want := `<dt>` + f.label + `</dt><dd>` + f.value + `</dd>`
		if f.value == "" {
			want = `<dt>` + f.label + `</dt><dd><span class="muted">Chưa cập nhật</span></dd>`
		}
		if !strings.Contains(r.body, want) {
			t.Errorf("law page lacks %q", want)
		}
	}
	// The whole text, asked for, has every element.
	if r = get(t, h, "/van-ban/"+criminalCode+"?toan-van=1"); r.status != 200 {
		t.Fatalf("whole text: status %d", r.status)
	}
	ids, self := map[string]bool{}, map[string]bool{}
	for _, m := range reID.FindAllStringSubmatch(r.body, -1) {
		if ids[m[1]] {
			t.Errorf("id %q twice on the page", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range reSelf.FindAllStringSubmatch(r.body, -1) {
		self[m[1]] = true
	}
	var walk func(ns []corpus.Node)
	count := 0
	walk = func(ns []corpus.Node) {
		for _, n := range ns {
			count++
			if !ids[n.Anchor] {
				t.Errorf("no element with id %q", n.Anchor)
			}
			if n.Kind != corpus.NodePreamble && !self[n.Anchor] {
				t.Errorf("no § link to %q", n.Anchor)
			}
			walk(n.Children)
		}
	}
	walk(d.Nodes)
	t.Logf("%d elements checked", count)

	// Asked as a procedure, a law moves to its place, and so the reverse.
	if r := get(t, h, "/thu-tuc/"+criminalCode); r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/van-ban/"+criminalCode {
		t.Errorf("/thu-tuc/<law> = %d %s", r.status, r.header.Get("Location"))
	}
	if r := get(t, h, "/van-ban/"+birthReg); r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/thu-tuc/"+birthReg {
		t.Errorf("/van-ban/<procedure> = %d %s", r.status, r.header.Get("Location"))
	}
}

func TestProcedurePage(t *testing.T) {
	h := newSite(t, nil)
	r := get(t, h, "/thu-tuc/"+birthReg)
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	for _, w := range []string{
		`<h1>Thủ tục đăng ký khai sinh</h1>`, `<dt>Mã thủ tục</dt><dd>1.001193</dd>`, `<dt>Lĩnh vực</dt><dd>Hộ tịch</dd>`,
		`<dt>Cấp thực hiện</dt><dd>Cấp xã</dd>`,
		`id="trinh-tu"`, `id="thanh-phan-ho-so"`, `id="cach-thuc"`, `id="yeu-cau"`, `id="ket-qua"`, `id="can-cu-phap-ly"`,
		`>Trình tự thực hiện</h2>`, `>Thành phần hồ sơ</h2>`, `>Căn cứ pháp lý</h2>`,
		`href="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/`, `Xem trên Cổng Dịch vụ công quốc gia`,
		`<a href="/?loai=thu-tuc" aria-current="page">`,
	} {
		if !strings.Contains(r.body, w) {
			t.Errorf("procedure page lacks %q", w)
		}
	}
	// Line breaks of the source are kept (the text is shown pre-line).
	if !strings.Contains(r.body, "\n- Nếu lựa chọn hình thức nộp hồ sơ trực tuyến") {
		t.Errorf("the steps lost their line breaks")
	}
}

// BenchmarkLawPage measures the largest page: Bộ luật Dân sự, 689 articles
// and some 4,000 clauses and points, read from SQLite and rendered.
func BenchmarkLawPage(b *testing.B) {
	docs, idx := needLibrary(b)
	h := librarySite(library.Options{Searcher: idx, Documents: docs})
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/van-ban/"+civilCode, nil))
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
