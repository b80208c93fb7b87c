package ingest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
)

// htmlFixtureDir is where the saved pages are: fixtures/html in the shared
// data.
func htmlFixtureDir(t testing.TB) string {
	t.Helper()
	return testenv.SharedPath(t, "fixtures", "html")
}

// htmlFixture reads a fixture such as "vbpl_vn/thuoctinh_ItemID96172.html".
func htmlFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(htmlFixtureDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func htmlCount(d *corpus.Document, kind corpus.NodeKind) int {
	n := 0
	var walk func([]corpus.Node)
	walk = func(ns []corpus.Node) {
		for i := range ns {
			if ns[i].Kind == kind {
				n++
			}
			walk(ns[i].Children)
		}
	}
	walk(d.Nodes)
	return n
}

// htmlCheckTree checks what every parsed law must satisfy: unique
// anchors, children's anchors under their parent's, a hash that matches.
func htmlCheckTree(t *testing.T, d *corpus.Document) {
	t.Helper()
	seen := map[string]bool{}
	var walk func(parent string, ns []corpus.Node)
	walk = func(parent string, ns []corpus.Node) {
		for _, n := range ns {
			if n.Anchor == "" || seen[n.Anchor] {
				t.Errorf("anchor %q of %s %s is empty or repeated", n.Anchor, n.Kind, n.Label)
			}
			seen[n.Anchor] = true
			if (n.Kind == corpus.NodeKhoan || n.Kind == corpus.NodeDiem) && !strings.HasPrefix(n.Anchor, parent+"/") {
				t.Errorf("anchor %q is not under its parent's %q", n.Anchor, parent)
			}
			walk(n.Anchor, n.Children)
		}
	}
	walk("", d.Nodes)
	if d.Hash == "" || d.Hash != d.ComputeHash() {
		t.Errorf("hash %q does not match the content", d.Hash)
	}
	if d.Kind != corpus.KindLaw {
		t.Errorf("kind = %q, want law", d.Kind)
	}
}

func TestHTMLParseVBPLBoLuatHinhSu(t *testing.T) {
	d, err := ParseVBPL(htmlFixture(t, "vbpl_vn/toanvan_ItemID96122_BoLuatHinhSu2015.html"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	htmlCheckTree(t, d)

	arts := d.Articles()
	if len(arts) != 426 {
		t.Fatalf("%d articles, want 426", len(arts))
	}
	for i, a := range arts {
		if want := strconv.Itoa(i + 1); a.Label != want {
			t.Fatalf("article %d has label %q, want %q (an article was lost or split)", i, a.Label, want)
		}
	}
	a418 := d.Find("dieu-418")
	if a418 == nil || !strings.Contains(a418.Heading, "di vật") {
		t.Fatalf("Điều 418 = %+v, want heading about di vật của tử sỹ", a418)
	}
	if len(a418.Children) != 2 || a418.Children[0].Label != "1" || a418.Children[1].Label != "2" {
		t.Fatalf("Điều 418 clauses = %+v, want khoản 1 and 2", a418.Children)
	}
	k2 := a418.Children[1]
	if len(k2.Children) != 2 || k2.Children[0].Label != "a" || k2.Children[1].Label != "b" {
		t.Fatalf("Điều 418 khoản 2 points = %+v, want a and b", k2.Children)
	}
	if p := d.Find("dieu-418/khoan-2/diem-a"); p == nil || p.Text != "Là chỉ huy hoặc sĩ quan;" {
		t.Errorf("dieu-418/khoan-2/diem-a = %+v", p)
	}
	// Điều 317 is written with a look-alike letter (Ð U+00D0) in the page.
	if a := d.Find("dieu-317"); a == nil || !strings.Contains(a.Heading, "an toàn thực phẩm") {
		t.Errorf("Điều 317 = %+v", a)
	}
	// Điểm đ) and d) must not share an anchor.
	if p := d.Find("dieu-3/khoan-1/diem-dd"); p == nil || p.Label != "đ" {
		t.Errorf("dieu-3/khoan-1/diem-dd = %+v", p)
	}
	if n := htmlCount(d, corpus.NodePhan); n != 3 {
		t.Errorf("%d parts, want 3", n)
	}
	if n := htmlCount(d, corpus.NodeChuong); n != 26 {
		t.Errorf("%d chapters, want 26", n)
	}
	if ch := d.Find("chuong-xxv"); ch == nil || !htmlContains(ch, "dieu-418") {
		t.Errorf("Điều 418 is not in chapter XXV")
	}
	last := arts[len(arts)-1]
	if strings.Contains(corpus.NodeText(last), "thông qua") {
		t.Errorf("the adoption formula stuck to Điều 426: %q", corpus.NodeText(last))
	}

	want := corpus.Document{
		ID: "100-2015-qh13", Number: "100/2015/QH13", Title: "Bộ luật Hình sự", Type: "Bộ luật",
		Issuer: "Quốc hội", IssuedAt: "2015-11-27", EffectiveAt: "2018-01-01", Status: "Hết hiệu lực một phần",
		SourceURL: "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=96122",
	}
	htmlCheckMeta(t, d, want)
}

func htmlContains(n *corpus.Node, anchor string) bool {
	sub := corpus.Document{Nodes: n.Children}
	return sub.Find(anchor) != nil
}

func htmlCheckMeta(t *testing.T, d *corpus.Document, want corpus.Document) {
	t.Helper()
	got := []string{d.ID, d.Number, d.Title, d.Type, d.Issuer, d.IssuedAt, d.EffectiveAt, d.Status, d.SourceURL}
	exp := []string{want.ID, want.Number, want.Title, want.Type, want.Issuer, want.IssuedAt, want.EffectiveAt, want.Status, want.SourceURL}
	names := []string{"ID", "Number", "Title", "Type", "Issuer", "IssuedAt", "EffectiveAt", "Status", "SourceURL"}
	for i := range names {
		if got[i] != exp[i] {
			t.Errorf("%s = %q, want %q", names[i], got[i], exp[i])
		}
	}
}

func TestHTMLParseFixtures(t *testing.T) {
	tests := []struct {
		name      string
		page      string // full text (vbpl) or document page (tvpl)
		thuoctinh string
		pageURL   string
		want      corpus.Document
		articles  int
		chapters  int
		parts     int
		appendix  bool
	}{
		{
			name: "vbpl Bộ luật Tố tụng hình sự with its properties",
			page: "vbpl_vn/toanvan_ItemID96172_BoLuatToTungHinhSu2015.html", thuoctinh: "vbpl_vn/thuoctinh_ItemID96172.html",
			want: corpus.Document{ID: "101-2015-qh13", Number: "101/2015/QH13", Title: "Bộ luật Tố tụng hình sự", Type: "Bộ luật",
				Issuer: "Quốc hội", IssuedAt: "2015-11-27", EffectiveAt: "2018-01-01", Status: "Còn hiệu lực",
				SourceURL: "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=96172"},
			articles: 510, chapters: 36, parts: 9,
		},
		{
			name: "vbpl Hiến pháp 2013 with its properties",
			page: "vbpl_vn/toanvan_ItemID32801_HienPhap2013.html", thuoctinh: "vbpl_vn/thuoctinh_ItemID32801.html",
			want: corpus.Document{ID: "hien-phap-nam-2013", Title: "Hiến pháp năm 2013", Type: "Hiến pháp",
				Issuer: "Quốc hội", IssuedAt: "2013-11-28", EffectiveAt: "2014-01-01", Status: "Còn hiệu lực",
				SourceURL: "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=32801"},
			articles: 120, chapters: 11,
		},
		{
			// Without the properties page the same identity comes from the text.
			name: "vbpl Hiến pháp 2013 alone",
			page: "vbpl_vn/toanvan_ItemID32801_HienPhap2013.html",
			want: corpus.Document{ID: "hien-phap-nam-2013", Title: "Hiến pháp năm 2013", Type: "Hiến pháp",
				Issuer: "Quốc hội", IssuedAt: "2013-11-28", EffectiveAt: "2014-01-01", Status: "Còn hiệu lực",
				SourceURL: "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=32801"},
			articles: 120, chapters: 11,
		},
		{
			name: "vbpl Hiến pháp 1992 as amended in 2001",
			page: "vbpl_vn/toanvan_ItemID22313_HienPhap1992.html", pageURL: "http://127.0.0.1:8080/TW/Pages/vbpq-toanvan.aspx?ItemID=22313&Keyword=",
			want: corpus.Document{ID: "hien-phap-nam-1992", Title: "Hiến pháp năm 1992", Type: "Hiến pháp",
				Issuer: "Quốc hội", IssuedAt: "2001-12-25", EffectiveAt: "2002-01-07", Status: "Hết hiệu lực toàn bộ",
				SourceURL: "http://127.0.0.1:8080/TW/Pages/vbpq-toanvan.aspx?ItemID=22313"},
			articles: 147, chapters: 12,
		},
		{
			name: "tvpl Luật An ninh mạng 2018",
			page: "thuvienphapluat_vn/LuatAnNinhMang2018_351416.html",
			want: corpus.Document{ID: "24-2018-qh14", Number: "24/2018/QH14", Title: "Luật An ninh mạng", Type: "Luật",
				Issuer: "Quốc hội", IssuedAt: "2018-06-12",
				SourceURL: "https://thuvienphapluat.vn/van-ban/Cong-nghe-thong-tin/Luat-an-ninh-mang-2018-351416.aspx"},
			articles: 43, chapters: 7,
		},
		{
			name: "tvpl Luật Công nghệ thông tin 2006",
			page: "thuvienphapluat_vn/LuatCongNgheThongTin2006_12987.html",
			want: corpus.Document{ID: "67-2006-qh11", Number: "67/2006/QH11", Title: "Luật Công nghệ thông tin", Type: "Luật",
				Issuer: "Quốc hội", IssuedAt: "2006-06-29",
				SourceURL: "https://thuvienphapluat.vn/van-ban/Cong-nghe-thong-tin/Luat-cong-nghe-thong-tin-2006-67-2006-QH11-12987.aspx"},
			articles: 79, chapters: 6,
		},
		{
			name: "tvpl Hiến pháp 2013",
			page: "thuvienphapluat_vn/HienPhap2013_215627.html",
			want: corpus.Document{ID: "hien-phap-nam-2013", Title: "Hiến pháp năm 2013", Type: "Hiến pháp",
				Issuer: "Quốc hội", IssuedAt: "2013-11-28",
				SourceURL: "https://thuvienphapluat.vn/van-ban/Bo-may-hanh-chinh/Hien-phap-nam-2013-215627.aspx"},
			articles: 120, chapters: 11,
		},
		{
			name: "tvpl provincial decision publishing procedures",
			page: "thuvienphapluat_vn/QD2083-QD-UBND-2016_TTHC_BacLieu_353991.html",
			want: corpus.Document{ID: "2083-qd-ubnd", Number: "2083/QĐ-UBND",
				Title: "Quyết định 2083/QĐ-UBND 2016 thủ tục hành chính Ban Quản lý khu công nghiệp Bạc Liêu", Type: "Quyết định",
				Issuer: "Tỉnh Bạc Liêu", IssuedAt: "2016-12-08",
				SourceURL: "https://thuvienphapluat.vn/van-ban/Dau-tu/Quyet-dinh-2083-QD-UBND-2016-thu-tuc-hanh-chinh-Ban-Quan-ly-khu-cong-nghiep-Bac-Lieu-353991.aspx"},
			articles: 3, appendix: true,
		},
		{
			name: "tvpl decision with price tables",
			page: "thuvienphapluat_vn/QD20574-QD-CT-THNVDT_LePhiTruocBa_98328.html",
			want: corpus.Document{ID: "20574-qd-ct-thnvdt", Number: "20574/QĐ-CT-THNVDT",
				Title: "Quyết định 20574/QĐ-CT-THNVDT bảng giá tối thiểu tính lệ phí trước bạ", Type: "Quyết định",
				Issuer: "Thành phố Hà Nội", IssuedAt: "2009-11-26",
				SourceURL: "https://thuvienphapluat.vn/van-ban/Thue-Phi-Le-Phi/Quyet-dinh-20574-QD-CT-THNVDT-bang-gia-toi-thieu-tinh-le-phi-truoc-ba-98328.aspx"},
			articles: 5, // the tables' "CHƯƠNG I: XE Ô TÔ…" rows are not chapters
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := htmlFixture(t, tt.page)
			var d *corpus.Document
			var err error
			if strings.HasPrefix(tt.page, "vbpl_vn/") {
				var props []byte
				if tt.thuoctinh != "" {
					props = htmlFixture(t, tt.thuoctinh)
				}
				d, err = ParseVBPL(page, props, tt.pageURL)
			} else {
				d, err = ParseTVPL(page, tt.pageURL)
			}
			if err != nil {
				t.Fatal(err)
			}
			htmlCheckTree(t, d)
			htmlCheckMeta(t, d, tt.want)
			if n := len(d.Articles()); n != tt.articles {
				t.Errorf("%d articles, want %d", n, tt.articles)
			}
			if n := htmlCount(d, corpus.NodeChuong); n != tt.chapters {
				t.Errorf("%d chapters, want %d", n, tt.chapters)
			}
			if n := htmlCount(d, corpus.NodePhan); n != tt.parts {
				t.Errorf("%d parts, want %d", n, tt.parts)
			}
			if got := d.Find("phu-luc") != nil; got != tt.appendix {
				t.Errorf("appendix present = %v, want %v", got, tt.appendix)
			}
			if d.Nodes[0].Kind != corpus.NodePreamble || strings.Contains(d.Nodes[0].Text, "Độc lập - Tự do") {
				t.Errorf("preamble = %.200q, want the text's opening without the letterhead", d.Nodes[0].Text)
			}
			for _, a := range d.Articles() {
				if txt := corpus.NodeText(a); strings.Contains(txt, "Nơi nhận") || strings.Contains(txt, "CHỦ TỊCH QUỐC HỘI") {
					t.Errorf("Điều %s carries the closing block: %.300q", a.Label, txt)
				}
			}
		})
	}
}

func TestHTMLParseTVPLAnNinhMang(t *testing.T) {
	page := htmlFixture(t, "thuvienphapluat_vn/LuatAnNinhMang2018_351416.html")
	const canonical = "https://thuvienphapluat.vn/van-ban/Cong-nghe-thong-tin/Luat-an-ninh-mang-2018-351416.aspx"
	for _, tc := range []struct{ pageURL, want string }{
		{"", canonical},
		// Read from the site itself with a tab parameter: the canonical link.
		{canonical + "?tab=1", canonical},
		// Read from a mirror: where it was read.
		{"http://127.0.0.1:9/van-ban/x-351416.aspx", "http://127.0.0.1:9/van-ban/x-351416.aspx"},
	} {
		d, err := ParseTVPL(page, tc.pageURL)
		if err != nil {
			t.Fatal(err)
		}
		if d.SourceURL != tc.want {
			t.Errorf("ParseTVPL(page, %q).SourceURL = %q, want %q", tc.pageURL, d.SourceURL, tc.want)
		}
		if n := len(d.Articles()); n != 43 {
			t.Errorf("%d articles, want 43", n)
		}
		a8 := d.Find("dieu-8")
		if a8 == nil || a8.Heading != "Các hành vi bị nghiêm cấm về an ninh mạng" {
			t.Errorf("Điều 8 = %+v", a8)
		}
		// The page also carries an English translation: it must not leak in.
		for _, a := range d.Articles() {
			if strings.Contains(corpus.NodeText(a), "cyberspace") {
				t.Fatalf("English text in Điều %s", a.Label)
			}
		}
	}
}

func TestHTMLParseErrors(t *testing.T) {
	toanvan := htmlFixture(t, "vbpl_vn/toanvan_ItemID32801_HienPhap2013.html")
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"properties of another document", func() error {
			_, err := ParseVBPL(toanvan, htmlFixture(t, "vbpl_vn/thuoctinh_ItemID96172.html"), "")
			return err
		}, "ItemID 96172"},
		{"properties of a consolidated text", func() error {
			_, err := ParseVBPL(toanvan, htmlFixture(t, "vbpl_vn/thuoctinh_hopnhat_ItemID147301.html"), "")
			return err
		}, "hopnhat-147301"},
		{"a search page is no full text", func() error {
			_, err := ParseVBPL(htmlFixture(t, "vbpl_vn/search_results_fragment.html"), nil, "http://x/s")
			return err
		}, "no full text"},
		{"a vbpl page is no tvpl page", func() error {
			_, err := ParseTVPL(htmlFixture(t, "vbpl_vn/thuoctinh_ItemID96172.html"), "")
			return err
		}, "no document text"},
		{"empty input", func() error {
			_, err := ParseVBPL(nil, nil, "")
			return err
		}, "no full text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestHTMLDetect(t *testing.T) {
	dir := htmlFixtureDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		want := ""
		switch {
		case strings.HasPrefix(name, "toanvan_"):
			want = HTMLSiteVBPLToanVan
		case strings.HasPrefix(name, "thuoctinh_"):
			want = HTMLSiteVBPLThuocTinh
		case strings.Contains(f, "thuvienphapluat_vn"):
			want = HTMLSiteTVPL
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := DetectHTML(b); got != want {
			t.Errorf("DetectHTML(%s) = %q, want %q", name, got, want)
		}
	}
	if got := DetectHTML([]byte("<p>Điều 1. Không phải trang văn bản</p>")); got != "" {
		t.Errorf("DetectHTML(plain) = %q", got)
	}
}

func TestHTMLLines(t *testing.T) {
	tests := []struct {
		name, html string
		want       []string
	}{
		{"paragraphs and breaks", "<p>Điều 1.  Phạm vi\n  điều chỉnh</p><p>a) một<br>b) hai</p>",
			[]string{"Điều 1. Phạm vi điều chỉnh", "a) một", "b) hai"}},
		{"inline elements stay on the line", "<p><strong>Điều <a name=x></a>418.</strong> <strong>Tội chiếm đoạt</strong></p>",
			[]string{"Điều 418. Tội chiếm đoạt"}},
		{"scripts, styles and hidden elements", "<div>văn bản<script>var x=1</script><style>p{}</style><span style='display: none'>ẩn</span></div>",
			[]string{"văn bản"}},
		{"non-breaking spaces and invisible characters", "<p>&#160;</p><p>Căn\u00a0cứ\u200b Hiến pháp</p>",
			[]string{"Căn cứ Hiến pháp"}},
		{"decomposed text is composed (NFC)", "<p>Ho\u0300a</p>", []string{"Hòa"}},
		{"a data row is one line", "<table><tr><td><p>1</p></td><td><p>Cấp</p><p>mới</p></td><td>07 ngày</td></tr></table>",
			[]string{"1 | Cấp mới | 07 ngày"}},
		{"a layout row keeps its paragraphs", "<table><tr><td><p>QUỐC HỘI</p><p>Số: 1/2020/QH14</p></td><td><p>CỘNG HÒA</p></td></tr></table>",
			[]string{"QUỐC HỘI", "Số: 1/2020/QH14", "CỘNG HÒA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(tt.html))
			if err != nil {
				t.Fatal(err)
			}
			got := htmlLines(doc.Find("body"))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("htmlLines = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTMLMetadataHelpers(t *testing.T) {
	dates := map[string]string{
		"27/11/2015": "2015-11-27", " 01/01/2018 ": "2018-01-01", "1/7/2016": "2016-07-01",
		"Hà Nội, ngày 27 tháng 11 năm 2015": "2015-11-27", "ngày 12 tháng 6 năm 2018": "2018-06-12",
		"Đã biết": "", "32/01/2015": "", "": "",
	}
	for in, want := range dates {
		if got := htmlDateISO(in); got != want {
			t.Errorf("htmlDateISO(%q) = %q, want %q", in, got, want)
		}
	}
	titles := []struct{ typ, summary, want string }{
		{"Bộ luật", "Tố tụng hình sự", "Bộ luật Tố tụng hình sự"},
		{"Hiến pháp", "Hiến pháp năm 2013", "Hiến pháp năm 2013"},
		{"Văn bản hợp nhất", "hợp nhất Luật Xử lý vi phạm hành chính", "Văn bản hợp nhất Luật Xử lý vi phạm hành chính"},
		{"Nghị định", "Quy định chi tiết một số điều của Luật Cư trú", "Nghị định quy định chi tiết một số điều của Luật Cư trú"},
		{"", "an ninh mạng", "An ninh mạng"},
	}
	for _, tt := range titles {
		if got := htmlTitleWithType(tt.typ, tt.summary); got != tt.want {
			t.Errorf("htmlTitleWithType(%q, %q) = %q, want %q", tt.typ, tt.summary, got, tt.want)
		}
	}
	urls := map[string]string{
		"https://vbpl.vn:443/TW/Pages/vbpq-toanvan.aspx?ItemID=32801&Keyword=": "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=32801",
		"http://x.vn:80/a?b=1#c": "http://x.vn/a?b=1",
		"":                       "",
	}
	for in, want := range urls {
		if got := htmlCleanURL(in); got != want {
			t.Errorf("htmlCleanURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTMLParseVBPLWithoutArticles(t *testing.T) {
	page := `<html><head><link rel="canonical" href="https://vbpl.vn:443/TW/Pages/vbpq-toanvan.aspx?ItemID=1" /></head><body>
<div class="fulltext"><div class="vbInfo"><ul><li class="red"><span>Hiệu lực: </span>Còn hiệu lực</li></ul></div>
<table><tr><td><div><b>CHÍNH PHỦ</b></div><div>Số: 12/CT-TTg</div></td><td><div>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div><div><i>Hà Nội, ngày 5 tháng 3 năm 2020</i></div></td></tr></table>
<div id="toanvancontent"><p>CHỈ THỊ</p><p>VỀ VIỆC TĂNG CƯỜNG PHÒNG CHỐNG DỊCH</p><p>Các bộ, ngành thực hiện ngay.</p></div></div></body></html>`
	d, err := ParseVBPL([]byte(page), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Nodes) != 1 || d.Nodes[0].Kind != corpus.NodePreamble || !strings.Contains(d.Nodes[0].Text, "thực hiện ngay") {
		t.Errorf("nodes = %+v, want the whole text as one opening node", d.Nodes)
	}
	want := corpus.Document{ID: "12-ct-ttg", Number: "12/CT-TTg", Title: "Chỉ thị về việc tăng cường phòng chống dịch", Type: "Chỉ thị",
		Issuer: "Chính phủ", IssuedAt: "2020-03-05", Status: "Còn hiệu lực", SourceURL: "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=1"}
	htmlCheckMeta(t, d, want)
}
