package library

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// PageSize is the number of results on one search page.
const PageSize = 10

// MaxPages is the last search page shown; past it, narrow the query.
const MaxPages = MaxOffset / PageSize

// maxDocIDLen bounds the van-ban filter; ids are short slugs and codes.
const maxDocIDLen = 200

// kinds maps the pages' "loai" parameter to document kinds.
var kinds = map[string]corpus.Kind{"luat": corpus.KindLaw, "thu-tuc": corpus.KindProcedure}

// formView is the search box and its filter, on every library page.
type formView struct {
	Query       string
	Kind        string // "", "luat" or "thu-tuc"
	Placeholder string
	DocID       string // search within this document only
	DocTitle    string
	ScopeURL    string       // the same query in the whole library
	Filters     []filterView // nil on the results page, whose tabs filter
	Big         bool
	MaxLen      int
}

type filterView struct {
	Value, Label string
	Checked      bool
}

func newForm(query, kind string) formView {
	f := formView{Query: query, Kind: kind, Placeholder: "Ví dụ: thu tuc dang ky khai sinh", MaxLen: retrieval.MaxQueryLen}
	if kind == "luat" {
		f.Placeholder = "Ví dụ: chiem doat di vat cua tu si"
	}
	for _, o := range []struct{ v, l string }{{"", "Tất cả"}, {"luat", "Luật"}, {"thu-tuc", "Thủ tục hành chính"}} {
		f.Filters = append(f.Filters, filterView{Value: o.v, Label: o.l, Checked: o.v == kind})
	}
	return f
}

type example struct{ Text, URL string }

type homeView struct {
	Form     formView
	Heading  string
	Lead     string
	Examples []example
	Laws     []lawLink // the law home page: every law in the library
	// ManyLaws: the library holds more laws than a page lists
	// (MaxCatalogue); the page says so and asks for a search instead.
	ManyLaws bool
	// Sections are the other modules' parts of the home page.
	Sections []template.HTML
}

// MaxCatalogue is the most laws the law home page lists. A library crawled
// from vbpl.vn can hold thousands, which no phone should have to load;
// past this, the page asks for a search by name or number.
const MaxCatalogue = 500

// MaxCatalogue gives the templates the constant.
func (homeView) MaxCatalogue() int { return MaxCatalogue }

// lawLink is a law in the catalogue: its title, its number and year where
// any source gives them, its validity with where that came from, and its
// page.
type lawLink struct {
	Title, Number, URL string
	// Year is the law's year; InForceFrom, for a law whose year is known
	// only as the year it took effect, the date it did.
	Year, InForceFrom    string
	Status, StatusSource string
}

// Home serves "/": a big search box with its filter.
func (h *Handler) Home(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("loai")
	if _, ok := kinds[kind]; !ok {
		kind = ""
	}
	v := homeView{Form: newForm("", kind)}
	v.Form.Big = true
	var ex []string
	switch kind {
	case "luat":
		v.Heading = "Tra cứu văn bản pháp luật"
		v.Lead = "Tìm theo nội dung, tên tội danh, hoặc số điều. Gõ có dấu hay không dấu đều được."
		ex = []string{"chiem doat di vat cua tu si", "thời hiệu khởi kiện", "nghi phep nam", "Điều 418 Bộ luật Hình sự"}
	case "thu-tuc":
		v.Heading = "Tra cứu thủ tục hành chính"
		v.Lead = "Hồ sơ cần chuẩn bị, nơi nộp, thời gian và lệ phí của từng thủ tục. Gõ có dấu hay không dấu đều được."
		ex = []string{"dang ky khai sinh", "cấp căn cước", "dang ky thuong tru", "đăng ký kết hôn"}
	default:
		v.Heading = "Thư viện pháp luật"
		v.Lead = "Tra cứu luật và thủ tục hành chính — chính xác, đến từng khoản, từng điểm. Gõ có dấu hay không dấu đều được."
		ex = []string{"thu tuc dang ky khai sinh", "chiem doat di vat cua tu si", "thời hiệu khởi kiện", "nghi phep nam"}
	}
	for _, e := range ex {
		v.Examples = append(v.Examples, example{Text: e, URL: searchURL(e, kind, "", 1)})
	}
	if kind == "luat" {
		v.Laws, v.ManyLaws = h.laws(r.Context())
	}
	if kind == "" {
		v.Sections = h.homeSections(r.Context())
	}
	h.pages.Render(w, r, http.StatusOK, "home", v)
}

// homeSections renders the other modules' sections of the home page; one
// that fails is left out, and logged.
func (h *Handler) homeSections(ctx context.Context) []template.HTML {
	var out []template.HTML
	for i, sec := range h.sections {
		part, err := sec.HomeSection(ctx)
		if err != nil {
			h.log.ErrorContext(ctx, "library: home page section left out", "section", i, "err", err)
			continue
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// laws lists every law of the library (up to MaxCatalogue; more says
// tooMany) by title, in Vietnamese alphabetical
// order: by the folded title, but with đ after every d (collateKey); titles
// that fold alike by the title itself. When the list cannot be read the
// page is shown without it and the error is logged.
func (h *Handler) laws(ctx context.Context) (laws []lawLink, tooMany bool) {
	c, ok := h.docs.(Catalogue)
	if !ok {
		return nil, false
	}
	list, err := c.List(ctx, corpus.ListOptions{Kind: corpus.KindLaw, Limit: MaxCatalogue + 1})
	if err != nil {
		h.log.ErrorContext(ctx, "library: list laws", "err", err)
		return nil, false
	}
	if len(list) > MaxCatalogue {
		return nil, true
	}
	facts, err := h.lawFacts(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "library: facts of the laws", "err", err)
	}
	byID := make(map[string]corpus.LawFacts, len(facts))
	for _, f := range facts {
		byID[f.ID] = f
	}
	now := h.now()
	out := make([]lawLink, 0, len(list))
	keys := make(map[string]string, len(list))
	for _, d := range list {
		title := cmp.Or(d.Title, d.Number, d.ID)
		l := lawLink{Title: title, Number: d.Number, URL: URL(corpus.KindLaw, d.ID, "")}
		if f, ok := byID[d.ID]; ok {
			l.Number = f.Number.Value
			if strings.HasPrefix(f.Year.Source, corpus.YearInForce) {
				l.InForceFrom = viDate(f.EffectiveAt.Value)
			} else {
				l.Year = f.Year.Value
			}
			v := f.Validity(facts, now)
			l.Status, l.StatusSource = v.Value, v.Source
		}
		out = append(out, l)
		keys[title] = collateKey(title)
	}
	slices.SortStableFunc(out, func(a, b lawLink) int {
		return cmp.Or(cmp.Compare(keys[a.Title], keys[b.Title]), cmp.Compare(a.Title, b.Title))
	})
	return out, false
}

// collateKey is the sort key of a title: folded, with đ written "dz" so
// that "Luật Đất đai" comes after "Luật Du lịch", as in a Vietnamese
// dictionary.
func collateKey(title string) string {
	return corpus.Fold(strings.NewReplacer("đ", "dz", "Đ", "dz").Replace(title))
}

// searchURL is the address of a search page.
func searchURL(q, kind, docID string, page int) string {
	v := url.Values{}
	v.Set("q", q)
	if kind != "" {
		v.Set("loai", kind)
	}
	if docID != "" {
		v.Set("van-ban", docID)
	}
	if page > 1 {
		v.Set("trang", strconv.Itoa(page))
	}
	return "/tim-kiem?" + v.Encode()
}

type searchView struct {
	Form     formView
	Tabs     []tabView
	Message  string
	IsError  bool
	Results  []resultView
	Total    uint64
	From, To int
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	Links    []pageLink
	AllURL   string // the same query without filters, offered when nothing is found
	Exact    bool
	// Degraded: the search answered from keywords alone (the vector side
	// was unavailable); the page says so rather than hide it.
	Degraded bool
}

type tabView struct {
	Label, URL string
	Active     bool
}

// resultView shows a law's passage by its article ("Điều 418. …") under
// the law's title, and a procedure by its name under its field.
type resultView struct {
	URL       string
	Main      string
	Sub       string
	Snippet   template.HTML
	KindLabel string
	Kind      corpus.Kind
}

type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// SearchPage serves /tim-kiem?q=&loai=luat|thu-tuc&trang=N[&van-ban=ID].
func (h *Handler) SearchPage(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	raw := params.Get("q")
	kind := params.Get("loai")
	docID := strings.TrimSpace(params.Get("van-ban"))
	v := searchView{Page: 1}
	v.Form = newForm(raw, kind)
	v.Form.DocID = docID
	v.Form.ScopeURL = searchURL(raw, "", "", 1)
	status := http.StatusOK
	show := func() { h.pages.Render(w, r, status, "search", v) }

	k, ok := kinds[kind]
	if kind != "" && !ok {
		v.Form = newForm(raw, "")
		status, v.IsError = http.StatusBadRequest, true
		v.Message = "Loại tài liệu không hợp lệ. Hãy chọn Tất cả, Luật hoặc Thủ tục hành chính."
		show()
		return
	}
	if len(docID) > maxDocIDLen {
		status, v.IsError = http.StatusBadRequest, true
		v.Form.DocID = ""
		v.Message = "Mã văn bản để tìm trong đó quá dài."
		show()
		return
	}
	if s := params.Get("trang"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			status, v.IsError = http.StatusBadRequest, true
			v.Message = fmt.Sprintf("Số trang %q không hợp lệ: số trang là một số nguyên từ 1 trở lên.", s)
			show()
			return
		}
		v.Page = n
	}
	if v.Page > MaxPages {
		status, v.IsError = http.StatusBadRequest, true
		v.Message = fmt.Sprintf("Chỉ xem được %d trang kết quả đầu tiên. Hãy thêm từ khóa để thu hẹp kết quả.", MaxPages)
		show()
		return
	}
	text, bad := queryText(raw)
	if bad != nil {
		if bad.code == "empty_query" {
			v.Message = "Hãy nhập nội dung cần tìm, ví dụ: “thu tuc dang ky khai sinh” hoặc “chiem doat di vat cua tu si”."
		} else {
			status, v.IsError = http.StatusBadRequest, true
			v.Message = fmt.Sprintf("Nội dung tìm kiếm quá dài. Hãy rút gọn còn tối đa %d ký tự.", retrieval.MaxQueryLen)
		}
		show()
		return
	}
	v.Form.Filters = nil // the tabs below the box filter the results
	if docID == "" {
		for _, t := range []struct{ v, l string }{{"", "Tất cả"}, {"luat", "Luật"}, {"thu-tuc", "Thủ tục hành chính"}} {
			v.Tabs = append(v.Tabs, tabView{Label: t.l, URL: searchURL(raw, t.v, "", 1), Active: t.v == kind})
		}
	}

	q := retrieval.Query{Text: text, Kind: k, DocID: docID, Limit: PageSize, Offset: (v.Page - 1) * PageSize}
	res, err := h.search.Search(r.Context(), q)
	switch {
	case err == nil:
	case errors.Is(err, retrieval.ErrBadQuery):
		status, v.IsError = http.StatusBadRequest, true
		v.Message = "Không tìm được với nội dung này. Hãy thử diễn đạt khác, ngắn gọn hơn."
		show()
		return
	case clientGone(r, err):
		return
	default:
		h.log.ErrorContext(r.Context(), "library: search failed", "query", text, "kind", k, "err", err)
		status, v.IsError = http.StatusInternalServerError, true
		v.Message = "Tìm kiếm đang gặp sự cố. Vui lòng thử lại sau ít phút."
		show()
		return
	}

	v.Total, v.Exact, v.Degraded = res.Total, res.Exact, res.Degraded != ""
	for _, hit := range res.Hits {
		rv := resultView{
			URL: URL(hit.Kind, hit.DocID, hit.Anchor), Main: hit.Heading, Sub: hit.Title,
			Snippet: safeSnippet(hit.Snippet), KindLabel: kindLabel(hit.Kind), Kind: hit.Kind,
		}
		if hit.Kind == corpus.KindProcedure || rv.Main == "" {
			rv.Main, rv.Sub = hit.Title, hit.Heading
		}
		v.Results = append(v.Results, rv)
		if docID != "" && v.Form.DocTitle == "" && hit.DocID == docID {
			v.Form.DocTitle = hit.Title
		}
	}
	if docID != "" && v.Form.DocTitle == "" {
		v.Form.DocTitle = docID
	}
	v.Pages = int(min((res.Total+PageSize-1)/PageSize, uint64(MaxPages)))
	switch {
	case res.Total == 0:
		v.Message = fmt.Sprintf("Không tìm thấy kết quả nào cho “%s”. Gợi ý: kiểm tra chính tả; dùng ít từ hơn; tìm theo tên thủ tục (“đăng ký khai sinh”), tên luật (“Luật Cư trú”) hoặc số hiệu văn bản; bỏ bớt bộ lọc.", text)
		if kind != "" || docID != "" {
			v.AllURL = searchURL(raw, "", "", 1)
		}
	case len(res.Hits) == 0:
		v.Message = fmt.Sprintf("Trang %d không có kết quả. Kết quả chỉ có %d trang.", v.Page, v.Pages)
		v.PrevURL = searchURL(raw, kind, docID, 1)
	default:
		v.From = (v.Page-1)*PageSize + 1
		v.To = v.From + len(res.Hits) - 1
		if v.Page > 1 {
			v.PrevURL = searchURL(raw, kind, docID, v.Page-1)
		}
		if v.Page < v.Pages {
			v.NextURL = searchURL(raw, kind, docID, v.Page+1)
		}
		v.Links = pageLinks(v.Page, v.Pages, func(n int) string { return searchURL(raw, kind, docID, n) })
	}
	show()
}

// pageLinks lists the first, last and neighbouring pages, with gaps.
func pageLinks(cur, pages int, link func(int) string) []pageLink {
	if pages <= 1 {
		return nil
	}
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < cur-1 || n > cur+1) {
			continue
		}
		if last != 0 && n > last+1 {
			out = append(out, pageLink{Gap: true})
		}
		out = append(out, pageLink{N: n, URL: link(n), Current: n == cur})
		last = n
	}
	return out
}

// safeSnippet trusts a snippet as HTML only when it is what retrieval
// promises — escaped text with <mark> — and escapes it otherwise.
func safeSnippet(s string) template.HTML {
	rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
	if strings.ContainsAny(rest, "<>") {
		return template.HTML(html.EscapeString(rest))
	}
	return template.HTML(s)
}

func kindLabel(k corpus.Kind) string {
	if k == corpus.KindProcedure {
		return "Thủ tục"
	}
	return "Luật"
}

type metaRow struct {
	Label, Value string
}

// factRow is a fact of a law with where it came from: a field of the
// source, or read from which article.
type factRow struct {
	Label, Value, Source string
}

type tocEntry struct {
	Anchor, Title string
	Article       bool
	Children      []tocEntry
}

type lawView struct {
	Doc      *corpus.Document
	Meta     []factRow
	TOC      template.HTML
	Body     template.HTML
	Articles int
	Form     formView
	// A long law is served in parts: Part is the one shown, with its
	// neighbours; Whole links the full text. Missing says that the
	// chapter or article asked for is not in the law.
	Part, Whole string
	Prev, Next  *partLink
	Parts       int
	Missing     string
	WholeShown  bool
	// LongLawJS loads law.js, which takes a link to an article that is in
	// another part of the law to that part.
	LongLawJS bool
}

type partLink struct{ Title, URL string }

// LawPage serves /van-ban/{id}: the law's facts, table of contents and
// text, every element addressable by its anchor; a long law a chapter (or
// a run of articles) at a time, unless ?toan-van=1 asks for the whole.
func (h *Handler) LawPage(w http.ResponseWriter, r *http.Request) {
	doc := h.document(w, r)
	if doc == nil {
		return
	}
	if doc.Kind == corpus.KindProcedure {
		http.Redirect(w, r, URL(doc.Kind, doc.ID, ""), http.StatusMovedPermanently)
		return
	}
	arts := len(doc.Articles())
	v := lawView{Doc: doc, Articles: arts, Form: newForm("", "luat")}
	v.Form.DocID, v.Form.DocTitle = doc.ID, doc.Title
	v.Form.Placeholder = "Tìm trong văn bản này"
	v.Meta = h.lawMeta(r.Context(), doc)

	q := r.URL.Query()
	if arts <= longLaw || q.Get(paramWhole) != "" {
		v.WholeShown = arts > longLaw
		v.TOC = tocBody(toc(doc.Nodes))
		v.Body = lawBody(doc.Nodes)
		h.pages.Render(w, r, http.StatusOK, "law", v)
		return
	}
	parts := lawParts(doc.Nodes)
	cur, ok := partFor(parts, q.Get(paramChapter), q.Get(paramArticle))
	if !ok {
		asked := "Chương " + q.Get(paramChapter)
		if q.Get(paramChapter) == "" {
			asked = "Điều " + q.Get(paramArticle)
		}
		v.Missing = asked
	}
	v.LongLawJS = true
	v.Parts = len(parts)
	v.Part = cur.Title
	v.Whole = "?" + paramWhole + "=1"
	for i, p := range parts {
		if p != cur {
			continue
		}
		if i > 0 {
			v.Prev = &partLink{Title: parts[i-1].Title, URL: parts[i-1].href("")}
		}
		if i+1 < len(parts) {
			v.Next = &partLink{Title: parts[i+1].Title, URL: parts[i+1].href("")}
		}
	}
	v.TOC = partTOC(doc.Nodes, parts, cur)
	v.Body = lawBody(cur.Nodes)
	status := http.StatusOK
	if !ok {
		status = http.StatusNotFound
	}
	h.pages.Render(w, r, status, "law", v)
}

// lawMeta is the law's facts as the page shows them, each with where it
// came from.
func (h *Handler) lawMeta(ctx context.Context, doc *corpus.Document) []factRow {
	f, all := h.factsOf(ctx, doc)
	v := f.Validity(all, h.now())
	rows := []factRow{
		{"Số hiệu", f.Number.Value, f.Number.Source},
		{"Năm", f.Year.Value, f.Year.Source},
		{"Loại văn bản", doc.Type, ""},
		{"Cơ quan ban hành", doc.Issuer, ""},
		{"Ngày ban hành", viDate(doc.IssuedAt), ""},
		{"Ngày có hiệu lực", viDate(f.EffectiveAt.Value), f.EffectiveAt.Source},
		{"Tình trạng", v.Value, v.Source},
	}
	if f.Amends.Known() {
		rows = append(rows, factRow{"Sửa đổi, bổ sung", f.Amends.Value, f.Amends.Source})
	}
	if len(f.Lapses) > 0 {
		var names []string
		for _, l := range f.Lapses {
			names = append(names, strings.TrimSpace(l.Name+" số "+l.Number))
		}
		rows = append(rows, factRow{"Thay thế", strings.Join(names, "; "), "suy ra từ Điều " + f.Lapses[0].Article})
	}
	return rows
}

func toc(ns []corpus.Node) []tocEntry {
	var out []tocEntry
	for i := range ns {
		n := &ns[i]
		switch n.Kind {
		case corpus.NodeDieu:
			out = append(out, tocEntry{Anchor: n.Anchor, Title: corpus.NodeTitle(n), Article: true})
		case corpus.NodePhan, corpus.NodeChuong, corpus.NodeMuc:
			out = append(out, tocEntry{Anchor: n.Anchor, Title: corpus.NodeTitle(n), Children: toc(n.Children)})
		}
	}
	return out
}

type sectionView struct {
	Anchor, Name, Text string
	Missing            bool
	// Long text is folded under its first words, so that the page stays
	// short on a phone.
	Long bool
	Lead string
}

type procedureView struct {
	Doc         *corpus.Document
	P           *corpus.Procedure
	Meta        []metaRow
	MoreMeta    []metaRow
	Sections    []sectionView
	Form        formView
	SourceLabel string
	Tables      procedureTables
	Style       string
}

// ProcedurePage serves /thu-tuc/{id}: what to prepare, where and how to
// submit, the fees and the legal basis of one administrative procedure.
func (h *Handler) ProcedurePage(w http.ResponseWriter, r *http.Request) {
	doc := h.document(w, r)
	if doc == nil {
		return
	}
	if doc.Kind != corpus.KindProcedure || doc.Procedure == nil {
		http.Redirect(w, r, URL(corpus.KindLaw, doc.ID, ""), http.StatusMovedPermanently)
		return
	}
	p := doc.Procedure
	v := procedureView{Doc: doc, P: p, Form: newForm("", "thu-tuc"), SourceLabel: "Xem nguồn chính thức"}
	if u, err := url.Parse(doc.SourceURL); err == nil && strings.HasSuffix(u.Hostname(), "dichvucong.gov.vn") {
		v.SourceLabel = "Xem trên Cổng Dịch vụ công quốc gia"
	}
	v.Meta = []metaRow{
		{"Cấp thực hiện", p.Level},
		{"Cơ quan thực hiện", p.Agency},
		{"Cơ quan có thẩm quyền", p.Authority},
		{"Nơi tiếp nhận hồ sơ", p.Address},
	}
	// What a citizen rarely needs is folded.
	v.MoreMeta = []metaRow{
		{"Mã thủ tục", p.Code},
		{"Lĩnh vực", p.Field},
		{"Đối tượng thực hiện", p.Subjects},
		{"Loại thủ tục", p.Category},
		{"Quyết định công bố", p.Decision},
	}
	for _, s := range corpus.ProcedureSections(p) {
		if s.Anchor == "co-quan" {
			continue // shown with the facts above
		}
		text := strings.TrimSpace(s.Text)
		if text == "" && s.Anchor == "phi-le-phi" {
			continue // fees are usually stated with the ways to submit
		}
		if s.Anchor == "phi-le-phi" && len(p.Channels) > 0 {
			continue // the fees are in the table of ways to submit
		}
		sv := sectionView{
			Anchor: s.Anchor, Name: s.Name, Text: text,
			Missing: text == "" || corpus.Fold(text) == "khong co thong tin",
		}
		sv.Long, sv.Lead = foldText(text)
		v.Sections = append(v.Sections, sv)
	}
	v.Tables, v.Style = h.procedureTables(r.Context(), p), ProcedureStylePath
	orderSections(v.Sections)
	h.pages.Render(w, r, http.StatusOK, "procedure", v)
}

type errorView struct {
	Status         int
	Title, Message string
	Form           formView
}

// document loads the document named by the path, answering the error page
// itself and returning nil when it cannot.
func (h *Handler) document(w http.ResponseWriter, r *http.Request) *corpus.Document {
	id := r.PathValue("id")
	doc, err := h.docs.Get(r.Context(), id)
	switch {
	case err == nil:
		return doc
	case errors.Is(err, corpus.ErrNotFound):
		h.pages.Render(w, r, http.StatusNotFound, "error", errorView{
			Status: http.StatusNotFound, Title: "Không tìm thấy văn bản",
			Message: "Thư viện chưa có văn bản này, hoặc địa chỉ đã thay đổi. Hãy tìm theo tên hoặc nội dung.",
			Form:    newForm("", ""),
		})
	case clientGone(r, err):
	default:
		h.log.ErrorContext(r.Context(), "library: get document failed", "id", id, "err", err)
		h.pages.Render(w, r, http.StatusInternalServerError, "error", errorView{
			Status: http.StatusInternalServerError, Title: "Chưa mở được văn bản",
			Message: "Hệ thống đang gặp sự cố khi đọc văn bản. Vui lòng thử lại sau ít phút.",
			Form:    newForm("", ""),
		})
	}
	return nil
}

// viDate writes an ISO date the Vietnamese way: 2015-11-24 → 24/11/2015.
func viDate(iso string) string {
	if len(iso) >= 10 && iso[4] == '-' && iso[7] == '-' {
		return iso[8:10] + "/" + iso[5:7] + "/" + iso[0:4]
	}
	return iso
}

// nodeName names a node in a sentence: "Điều 418", "khoản 1", "điểm a".
// It takes a value so that templates may call it on a range element.
func nodeName(n corpus.Node) string {
	switch n.Kind {
	case corpus.NodePhan:
		return "Phần " + n.Label
	case corpus.NodeChuong:
		return "Chương " + n.Label
	case corpus.NodeMuc:
		return "Mục " + n.Label
	case corpus.NodeDieu:
		return "Điều " + n.Label
	case corpus.NodeKhoan:
		return "khoản " + n.Label
	case corpus.NodeDiem:
		return "điểm " + n.Label
	}
	return "phần mở đầu"
}
