package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/mattranso/mattranso/corpus"
)

// Sites DetectHTML tells apart.
const (
	HTMLSiteVBPLToanVan   = "vbpl-toanvan"   // vbpl.vn full text (toàn văn)
	HTMLSiteVBPLThuocTinh = "vbpl-thuoctinh" // vbpl.vn properties (thuộc tính)
	HTMLSiteTVPL          = "tvpl"           // thuvienphapluat.vn document page
)

var (
	htmlReVBPLToanVan   = regexp.MustCompile(`(?i)\bid\s*=\s*["']?toanvancontent\b`)
	htmlReVBPLThuocTinh = regexp.MustCompile(`(?i)\bclass\s*=\s*["']?[^"'>]*\bvbProperties\b`)
	htmlReTVPL          = regexp.MustCompile(`(?i)\bid\s*=\s*["']?divContentDoc\b`)
)

// DetectHTML tells which kind of page a saved or fetched HTML file is —
// HTMLSiteVBPLToanVan, HTMLSiteVBPLThuocTinh, HTMLSiteTVPL — or "" when it
// is none of them (a listing, a search page, another site).
func DetectHTML(page []byte) (site string) {
	switch {
	case htmlReVBPLToanVan.Match(page):
		return HTMLSiteVBPLToanVan
	case htmlReVBPLThuocTinh.Match(page):
		return HTMLSiteVBPLThuocTinh
	case htmlReTVPL.Match(page):
		return HTMLSiteTVPL
	}
	return ""
}

// ParseVBPL reads a law from vbpl.vn: toanvan is its full-text page
// (vbpq-toanvan.aspx), thuoctinh its properties page (vbpq-thuoctinh.aspx)
// or nil. The structure comes from the full text; the metadata from the
// properties page, completed from the full-text page's header (issuer,
// number, date and place), its status box and its own title lines.
// pageURL is where the full text was read; when empty, or on the same
// host, the page's canonical link is recorded as SourceURL.
func ParseVBPL(toanvan []byte, thuoctinh []byte, pageURL string) (*corpus.Document, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(toanvan))
	if err != nil {
		return nil, fmt.Errorf("vbpl: reading full-text page %s: %w", pageURL, err)
	}
	content := doc.Find("#toanvancontent").First()
	if content.Length() == 0 {
		content = doc.Find(".toanvancontent").First()
	}
	if content.Length() == 0 {
		// Older pages put the text straight into .fulltext.
		content = doc.Find("div.fulltext").First().Clone()
		content.Find(".vbInfo, .vbProperties").Remove()
	}
	if content.Length() == 0 {
		return nil, fmt.Errorf("vbpl: %s: no full text (#toanvancontent / .fulltext) in page", htmlURLOrUnknown(pageURL))
	}
	lines := htmlLines(content)
	if len(lines) == 0 {
		return nil, fmt.Errorf("vbpl: %s: the full text is empty", htmlURLOrUnknown(pageURL))
	}

	var meta htmlMeta
	// Properties page first: it is the register's own record.
	if len(thuoctinh) > 0 {
		props, err := goquery.NewDocumentFromReader(bytes.NewReader(thuoctinh))
		if err != nil {
			return nil, fmt.Errorf("vbpl: reading properties page for %s: %w", pageURL, err)
		}
		a, b := vbplPageItemID(doc), vbplPageItemID(props)
		if a != "" && b != "" && a != b {
			return nil, fmt.Errorf("vbpl: %s: the properties page is of ItemID %s, the full text of ItemID %s", htmlURLOrUnknown(pageURL), b, a)
		}
		vbplPropertiesMeta(props, &meta)
	}
	vbplInfoMeta(doc, &meta)
	vbplHeaderMeta(doc, &meta)
	meta.fillFromText(lines)
	if meta.Type == "" {
		meta.Type = vbplBreadcrumbType(doc, meta.Number)
	}

	nodes, err := htmlLawNodes(lines)
	if err != nil {
		return nil, fmt.Errorf("vbpl: %s: %w", htmlURLOrUnknown(pageURL), err)
	}
	d := meta.document(nodes, htmlSourceURL(pageURL, htmlCanonical(doc)))
	return d, nil
}

// vbplPageItemID is the ItemID in a vbpl.vn page's canonical link.
func vbplPageItemID(doc *goquery.Document) string {
	u, err := url.Parse(htmlCanonical(doc))
	if err != nil || !strings.Contains(strings.ToLower(u.Path), "vbpq-") {
		return ""
	}
	// A consolidated text's pages number their ItemIDs apart.
	id := vbplItemID(u)
	if id != "" && strings.Contains(strings.ToLower(u.Path), "hopnhat") {
		id = "hopnhat-" + id
	}
	return id
}

// vbplPropertiesMeta reads the properties table: label cells followed by
// their value. Only the table's own rows are read, so the related
// documents nested in a consolidated text's page do not leak in.
func vbplPropertiesMeta(doc *goquery.Document, m *htmlMeta) {
	vbplInfoMeta(doc, m)
	rows := doc.Find(".vbProperties > table > tbody > tr, .vbProperties > table > tr")
	var summary string
	rows.Each(func(_ int, tr *goquery.Selection) {
		cells := tr.ChildrenFiltered("td, th")
		cells.Each(func(i int, td *goquery.Selection) {
			text := htmlText(td)
			if td.HasClass("title") {
				if st, ok := strings.CutPrefix(text, "Tình trạng hiệu lực:"); ok {
					m.setStatus(st)
				} else if summary == "" && !htmlIsSectionTitle(text) {
					summary = text
				}
				return
			}
			if !td.HasClass("label") || i+1 >= cells.Length() {
				return
			}
			value := htmlText(cells.Eq(i + 1))
			switch label := corpus.Fold(text); {
			case strings.HasPrefix(label, "so ky hieu"):
				m.setNumber(value)
			case label == "ngay ban hanh":
				m.setDate(&m.IssuedAt, value)
			case label == "ngay xac thuc": // a consolidated text's date
				m.setDate(&m.IssuedAt, value)
			case label == "ngay co hieu luc":
				m.setDate(&m.EffectiveAt, value)
			case label == "loai van ban":
				m.setType(value)
			case strings.HasPrefix(label, "co quan ban hanh"), strings.HasPrefix(label, "co quan hop nhat"):
				m.setIssuer(value)
			}
		})
	})
	if m.Type == "" && strings.Contains(strings.ToUpper(m.Number), "VBHN") {
		m.Type = "Văn bản hợp nhất"
	}
	if summary != "" && m.Title == "" {
		m.Title = htmlTitleWithType(m.Type, summary)
	}
}

func htmlIsSectionTitle(s string) bool {
	switch corpus.Fold(s) {
	case "thong tin ap dung", "van ban duoc hop nhat", "":
		return true
	}
	return false
}

// vbplInfoMeta reads the status box both vbpl pages carry:
// "Hiệu lực: Còn hiệu lực", "Ngày có hiệu lực: 01/01/2018".
func vbplInfoMeta(doc *goquery.Document, m *htmlMeta) {
	doc.Find(".vbInfo li").Each(func(_ int, li *goquery.Selection) {
		label := corpus.Fold(htmlText(li.Find("span").First()))
		value := htmlText(li)
		if i := strings.Index(value, ":"); i >= 0 {
			value = strings.TrimSpace(value[i+1:])
		}
		switch strings.TrimSuffix(label, ":") {
		case "hieu luc":
			m.setStatus(value)
		case "ngay co hieu luc":
			m.setDate(&m.EffectiveAt, value)
		}
	})
}

// vbplHeaderMeta reads the letterhead vbpl.vn draws above the text: the
// issuing body, "Số: 100/2015/QH13" and "Hà Nội, ngày 27 tháng 11 năm 2015".
func vbplHeaderMeta(doc *goquery.Document, m *htmlMeta) {
	full := doc.Find("div.fulltext").First().Clone()
	if full.Length() == 0 {
		return
	}
	full.Find(".vbInfo, .vbProperties, #toanvancontent, .toanvancontent").Remove()
	m.fillFromLetterhead(htmlLines(full))
}

// vbplBreadcrumbType reads the type from the breadcrumb's last item,
// "Bộ luật 100/2015/QH13".
func vbplBreadcrumbType(doc *goquery.Document, number string) string {
	last := htmlText(doc.Find(".box-map li").Last())
	if last == "" {
		return ""
	}
	if number != "" {
		last = strings.TrimSpace(strings.Replace(last, number, "", 1))
	}
	if _, ok := htmlTypeWords[corpus.Fold(last)]; ok {
		return htmlCanonicalType(last)
	}
	return ""
}

// ---- page text ----

var htmlBlockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Tr: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.Table: true, atom.Tbody: true, atom.Thead: true, atom.Tfoot: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Section: true, atom.Article: true, atom.Center: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Hr: true, atom.Pre: true,
	atom.Header: true, atom.Footer: true, atom.Aside: true, atom.Nav: true, atom.Caption: true,
	atom.Form: true, atom.Fieldset: true, atom.Address: true,
}

var htmlSkipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Head: true, atom.Title: true,
	atom.Iframe: true, atom.Select: true, atom.Button: true, atom.Template: true, atom.Svg: true,
	atom.Object: true, atom.Input: true, atom.Textarea: true,
}

// htmlLines turns an HTML subtree into text lines: every paragraph, block,
// table row and <br> ends a line; table cells of one row are joined by a
// space; whitespace is collapsed; the text is NFC. Scripts, styles and
// elements hidden with display:none are left out.
func htmlLines(sel *goquery.Selection) []string {
	var w htmlLineWriter
	for _, n := range sel.Nodes {
		w.walk(n)
	}
	w.flush()
	return w.lines
}

// htmlText is the text of a selection as one line.
func htmlText(sel *goquery.Selection) string {
	return strings.Join(htmlLines(sel), " ")
}

type htmlLineWriter struct {
	lines []string
	cur   strings.Builder
}

func (w *htmlLineWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.cur.WriteString(n.Data)
		return
	case html.ElementNode:
		if htmlSkipTags[n.DataAtom] || htmlHidden(n) {
			return
		}
		if n.DataAtom == atom.Br {
			w.flush()
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	if n.DataAtom == atom.Tr && htmlCellCount(n) >= 3 {
		w.dataRow(n)
		return
	}
	block := htmlBlockTags[n.DataAtom]
	cell := n.DataAtom == atom.Td || n.DataAtom == atom.Th
	if block {
		w.flush()
	}
	if cell {
		w.cur.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if cell {
		w.cur.WriteByte(' ')
	}
	if block {
		w.flush()
	}
}

// dataRow writes a row of a data table (three or more cells: a price
// list, a list of procedures) as one line, its cells separated by " | ".
// Rows of two cells are the layout of letterheads and signatures, whose
// paragraphs stay lines of their own.
func (w *htmlLineWriter) dataRow(tr *html.Node) {
	w.flush()
	var cells []string
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || (c.DataAtom != atom.Td && c.DataAtom != atom.Th) || htmlHidden(c) {
			continue
		}
		var cw htmlLineWriter
		cw.walk(c)
		cw.flush()
		cells = append(cells, strings.Join(cw.lines, " "))
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	if ln := htmlCleanLine(strings.Join(cells, " | ")); strings.Trim(ln, " |") != "" {
		w.lines = append(w.lines, ln)
	}
}

func htmlCellCount(tr *html.Node) int {
	n := 0
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
			n++
		}
	}
	return n
}

func (w *htmlLineWriter) flush() {
	if ln := htmlCleanLine(w.cur.String()); ln != "" {
		w.lines = append(w.lines, ln)
	}
	w.cur.Reset()
}

var htmlInvisible = strings.NewReplacer("\u200b", "", "\ufeff", "", "\u00ad", "", "\u200e", "", "\u200f", "")

func htmlCleanLine(s string) string {
	s = htmlInvisible.Replace(s)
	return corpus.NFC(strings.Join(strings.Fields(s), " "))
}

func htmlHidden(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "style" {
			s := strings.ToLower(strings.ReplaceAll(a.Val, " ", ""))
			return strings.Contains(s, "display:none")
		}
	}
	return false
}

// htmlCanonical returns the page's <link rel=canonical> href, if any.
func htmlCanonical(doc *goquery.Document) string {
	href, _ := doc.Find(`link[rel="canonical"]`).First().Attr("href")
	return strings.TrimSpace(href)
}

// htmlSourceURL picks the URL recorded for a document: the canonical link
// when the page was read from that same host or from a file, else the URL
// the page was fetched from (a mirror or a test server).
func htmlSourceURL(pageURL, canonical string) string {
	c := htmlCleanURL(canonical)
	pageURL = htmlCleanURL(pageURL)
	if pageURL == "" {
		return c
	}
	if c == "" {
		return pageURL
	}
	pu, err1 := url.Parse(pageURL)
	cu, err2 := url.Parse(c)
	if err1 != nil || err2 != nil || !strings.EqualFold(pu.Hostname(), cu.Hostname()) {
		return pageURL
	}
	return c
}

// htmlCleanURL drops a default port and empty query parameters:
// "https://vbpl.vn:443/TW/Pages/vbpq-toanvan.aspx?ItemID=32801&Keyword=" →
// "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=32801".
func htmlCleanURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	if (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80") {
		u.Host = u.Hostname()
	}
	if u.RawQuery != "" {
		var kept []string
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if k, v, _ := strings.Cut(kv, "="); k != "" && v != "" {
				kept = append(kept, kv)
			}
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	u.Fragment = ""
	return u.String()
}

func htmlURLOrUnknown(u string) string {
	if u == "" {
		return "(no URL)"
	}
	return u
}

// ---- metadata ----

// htmlMeta collects a document's metadata from the several places a page
// shows it; the first value found for a field wins, so callers read the
// most trusted place first.
type htmlMeta struct {
	Number, Title, Type, Issuer, IssuedAt, EffectiveAt, Status string
	noNumber                                                   bool // the register says "Không số"
	textTitle                                                  string
}

// htmlPlaceholders are what pages show instead of a value: behind a
// paywall ("Đã biết"), not yet known, or a document without a number.
var htmlPlaceholders = map[string]bool{
	"da biet": true, "dang cap nhat": true, "khong xac dinh": true, "": true,
	"khong so": true, "khongso": true, "k/s": true, "...": true,
}

func htmlIsPlaceholder(s string) bool {
	return htmlPlaceholders[strings.TrimSpace(corpus.Fold(s))]
}

func (m *htmlMeta) setNumber(v string) {
	v = strings.TrimSpace(v)
	switch f := corpus.Fold(v); {
	case f == "khong so" || f == "khongso":
		m.noNumber = true
	case htmlIsPlaceholder(v) || m.Number != "" || m.noNumber:
	default:
		m.Number = v
	}
}

func (m *htmlMeta) setType(v string) {
	if v = strings.TrimSpace(v); m.Type == "" && !htmlIsPlaceholder(v) {
		m.Type = htmlCanonicalType(v)
	}
}

func (m *htmlMeta) setIssuer(v string) {
	if v = strings.TrimSpace(v); m.Issuer == "" && !htmlIsPlaceholder(v) {
		m.Issuer = v
	}
}

func (m *htmlMeta) setStatus(v string) {
	if v = strings.TrimSpace(v); m.Status == "" && !htmlIsPlaceholder(v) {
		m.Status = v
	}
}

func (m *htmlMeta) setDate(dst *string, v string) {
	if *dst == "" {
		*dst = htmlDateISO(v)
	}
}

var (
	htmlReNumericDate = regexp.MustCompile(`\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b`)
	htmlReWordDate    = regexp.MustCompile(`(?i)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})`)
)

// htmlDateISO converts "27/11/2015" or "ngày 27 tháng 11 năm 2015" to
// "2015-11-27"; anything else gives "".
func htmlDateISO(s string) string {
	m := htmlReNumericDate.FindStringSubmatch(s)
	if m == nil {
		m = htmlReWordDate.FindStringSubmatch(s)
	}
	if m == nil {
		return ""
	}
	d, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	y, _ := strconv.Atoi(m[3])
	if d < 1 || d > 31 || mo < 1 || mo > 12 || y < 1900 || y > 2200 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
}

var (
	htmlReNumberLine = regexp.MustCompile(`(?i)^(?:[\p{L} ]{0,20}\s)?số\s*(?:hiệu|ký hiệu)?\s*:\s*(.+)$`)
	htmlReCountry    = regexp.MustCompile(`(?i)^(cộng hòa|cộng hoà|độc lập)`)
)

// fillFromLetterhead reads the lines of a letterhead: the issuing body
// (the first line that is not the national motto), "Số: …" and the place
// and date line.
func (m *htmlMeta) fillFromLetterhead(lines []string) {
	for _, ln := range lines {
		ln = strings.Trim(ln, " -_")
		switch {
		case ln == "":
		case htmlReCountry.MatchString(ln):
		case htmlReWordDate.MatchString(ln):
			m.setDate(&m.IssuedAt, ln)
		case htmlReNumberLine.MatchString(ln):
			m.setNumber(htmlReNumberLine.FindStringSubmatch(ln)[1])
		case m.Issuer == "" && htmlIsUpper(ln):
			m.Issuer = htmlSentenceCase(strings.Trim(ln, " -_"))
		}
	}
}

// fillFromText derives from the text's own opening lines ("BỘ LUẬT",
// "HÌNH SỰ") the type and title, and from the letterhead the text may
// carry (thuvienphapluat.vn keeps it inside the content) the rest.
func (m *htmlMeta) fillFromText(lines []string) {
	typ, title := htmlTitleFromLines(lines, m.IssuedAt)
	if typ != "" && m.Type == "" {
		m.Type = typ
	}
	m.textTitle = title
}

func (m *htmlMeta) document(nodes []corpus.Node, sourceURL string) *corpus.Document {
	title := m.Title
	if title == "" {
		title = m.textTitle
	}
	if title == "" && m.Number != "" {
		title = strings.TrimSpace(m.Type + " " + m.Number)
	}
	d := &corpus.Document{
		Kind:        corpus.KindLaw,
		Number:      m.Number,
		Title:       title,
		Type:        m.Type,
		Issuer:      m.Issuer,
		IssuedAt:    m.IssuedAt,
		EffectiveAt: m.EffectiveAt,
		Status:      m.Status,
		SourceURL:   sourceURL,
		Nodes:       nodes,
	}
	d.ID = corpus.LawID(d.Number, d.Title)
	d.Hash = d.ComputeHash()
	return d
}

// htmlTypeWords maps the folded form of a document type to how it is written.
var htmlTypeWords = map[string]string{
	"hien phap": "Hiến pháp", "bo luat": "Bộ luật", "luat": "Luật", "phap lenh": "Pháp lệnh",
	"lenh": "Lệnh", "nghi quyet": "Nghị quyết", "nghi quyet lien tich": "Nghị quyết liên tịch",
	"nghi dinh": "Nghị định", "quyet dinh": "Quyết định", "thong tu": "Thông tư",
	"thong tu lien tich": "Thông tư liên tịch", "chi thi": "Chỉ thị", "van ban hop nhat": "Văn bản hợp nhất",
	"sac lenh": "Sắc lệnh", "sac luat": "Sắc luật", "cong van": "Công văn", "ke hoach": "Kế hoạch",
}

// htmlNamedTypes are the types whose title is a proper name written with
// a capital: "Bộ luật Hình sự", "Luật An ninh mạng".
var htmlNamedTypes = map[string]bool{"Bộ luật": true, "Luật": true, "Pháp lệnh": true, "Sắc luật": true}

func htmlCanonicalType(s string) string {
	if t, ok := htmlTypeWords[corpus.Fold(strings.TrimSpace(s))]; ok {
		return t
	}
	return strings.TrimSpace(s)
}

// htmlTitleWithType makes a title from a register's summary (trích yếu),
// which leaves the type out for most documents: "Tố tụng hình sự" under
// "Bộ luật" is "Bộ luật Tố tụng hình sự", while "Hiến pháp năm 2013"
// already names it.
func htmlTitleWithType(typ, summary string) string {
	summary = strings.TrimSpace(summary)
	if typ == "" || strings.HasPrefix(corpus.Fold(summary), corpus.Fold(typ)) {
		return htmlUpperFirst(summary)
	}
	// "Văn bản hợp nhất" + "hợp nhất Luật …": the summary repeats the
	// type's last words.
	tw, sw := strings.Fields(typ), strings.Fields(summary)
	for k := min(len(tw), len(sw)); k > 0; k-- {
		if corpus.Fold(strings.Join(tw[len(tw)-k:], " ")) == corpus.Fold(strings.Join(sw[:k], " ")) {
			return strings.Join(tw[:len(tw)-k], " ") + " " + summary
		}
	}
	if htmlNamedTypes[typ] {
		return typ + " " + htmlUpperFirst(summary)
	}
	return typ + " " + htmlLowerFirst(summary)
}

var (
	htmlReYear        = regexp.MustCompile(`(?i)\bnăm\s+((?:19|20)\d\d)\b`)
	htmlReOnlyPunct   = regexp.MustCompile(`^[\s\p{P}\p{S}]*$`)
	htmlTitleStoppers = []string{
		"CHỦ TỊCH", "BỘ TRƯỞNG", "THỦ TƯỚNG", "ỦY BAN", "UỶ BAN", "HỘI ĐỒNG", "CHÍNH PHỦ", "QUỐC HỘI",
		"TỔNG CỤC", "CỤC TRƯỞNG", "GIÁM ĐỐC", "THỐNG ĐỐC", "CHÁNH ÁN", "VIỆN TRƯỞNG", "BAN CHẤP HÀNH",
		"LỜI NÓI ĐẦU", "CĂN CỨ", "TỔNG KIỂM TOÁN", "CHƯƠNG", "PHẦN", "ĐIỀU", "MỤC",
	}
)

// htmlTitleFromLines finds the title a Vietnamese legal text opens with:
// a type line in capitals ("BỘ LUẬT", "LUẬT", "QUYẾT ĐỊNH") followed by
// the name in capitals ("HÌNH SỰ"). The name's capitalisation is taken
// from where the text writes it in running prose ("Quốc hội ban hành Bộ
// luật hình sự"), and a code's or law's name then gets its capital
// ("Bộ luật Hình sự"). A constitution is titled by its year, as the
// registers do ("Hiến pháp năm 2013").
func htmlTitleFromLines(lines []string, issuedAt string) (typ, title string) {
	limit := min(len(lines), 30)
	for i := 0; i < limit; i++ {
		ln := strings.TrimSpace(lines[i])
		t, ok := htmlTypeWords[corpus.Fold(ln)]
		if !ok || !htmlIsUpper(ln) {
			continue
		}
		var name []string
		for j := i + 1; j < limit; j++ {
			next := strings.TrimSpace(lines[j])
			if htmlReOnlyPunct.MatchString(next) {
				if len(name) > 0 {
					break
				}
				continue
			}
			if !htmlIsUpper(next) || htmlStartsWithAny(next, htmlTitleStoppers) {
				break
			}
			name = append(name, next)
		}
		upperName := strings.Join(name, " ")
		if t == "Hiến pháp" {
			year := ""
			if m := htmlReYear.FindStringSubmatch(upperName); m != nil {
				year = m[1]
			} else if len(issuedAt) >= 4 {
				year = issuedAt[:4]
			}
			if year != "" {
				return t, t + " năm " + year
			}
			return t, t
		}
		if upperName == "" {
			return t, ""
		}
		nameText := htmlRecoverCase(upperName, t, lines[i+1+len(name):])
		if htmlNamedTypes[t] {
			return t, t + " " + htmlUpperFirst(nameText)
		}
		return t, t + " " + htmlLowerFirst(nameText)
	}
	return "", ""
}

// htmlRecoverCase finds name (written in capitals) in the running text and
// returns it as written there; failing that, in lower case.
func htmlRecoverCase(name, typ string, lines []string) string {
	target := []rune(strings.ToLower(name))
	withType := []rune(strings.ToLower(typ + " " + name))
	for _, want := range [][]rune{withType, target} {
		for _, ln := range lines {
			if htmlIsUpper(ln) {
				continue
			}
			if s, ok := htmlFindFold([]rune(ln), want); ok {
				r := []rune(s)
				return string(r[len(r)-len(target):])
			}
		}
	}
	return strings.ToLower(name)
}

// htmlFindFold finds want (lower case) in text ignoring case and returns
// the matching part of text.
func htmlFindFold(text, want []rune) (string, bool) {
	if len(want) == 0 {
		return "", false
	}
outer:
	for i := 0; i+len(want) <= len(text); i++ {
		for j, w := range want {
			if unicode.ToLower(text[i+j]) != w {
				continue outer
			}
		}
		// Whole words only.
		if i > 0 && unicode.IsLetter(text[i-1]) {
			continue
		}
		if e := i + len(want); e < len(text) && unicode.IsLetter(text[e]) {
			continue
		}
		return string(text[i : i+len(want)]), true
	}
	return "", false
}

func htmlStartsWithAny(s string, prefixes []string) bool {
	u := strings.ToUpper(s)
	for _, p := range prefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// htmlIsUpper reports whether s has letters and none of them is lower case.
func htmlIsUpper(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters > 0
}

func htmlSentenceCase(s string) string { return htmlUpperFirst(strings.ToLower(s)) }

func htmlUpperFirst(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func htmlLowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 1 && unicode.IsUpper(r[0]) && !unicode.IsUpper(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}

// htmlLawNodes parses a text's lines into its structure. A text without
// any article (a decision that only publishes an annex) is kept whole as
// its opening part, so that it can still be read and searched.
func htmlLawNodes(lines []string) ([]corpus.Node, error) {
	text := strings.Join(lines, "\n")
	nodes, err := corpus.ParseLawText(text)
	if err == nil {
		return nodes, nil
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("empty text")
	}
	return []corpus.Node{{Kind: corpus.NodePreamble, Anchor: "mo-dau", Text: text}}, nil
}
