package library_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// TestProcedurePageTables renders a procedure stored with its rows beside
// a law of the library: the ways to submit merged into one line, the
// documents with their form and quantity and the remarks folded apart,
// the legal basis that the library holds linked to it and the other not.
func TestProcedurePageTables(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "library.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(dir, "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })

	law := &corpus.Document{ID: "60-2014-qh13", Kind: corpus.KindLaw, Number: "60/2014/QH13", Title: "Luật Hộ tịch"}
	proc := &corpus.Document{ID: "9.999001", Kind: corpus.KindProcedure, Title: "Thủ tục thử", Procedure: &corpus.Procedure{
		Code: "9.999001", Steps: "Bước 1: nộp hồ sơ.", Documents: "Tờ khai", LegalBasis: "Luật Hộ tịch (60/2014/QH13)",
		Methods: "Trực tiếp: 3 ngày", Agency: "Ủy ban nhân dân cấp xã",
		Requirements: strings.Repeat("Điều kiện rất dài. ", 40),
		Channels: []corpus.ProcedureChannel{
			{Channel: "Trực tiếp", Time: "3 ngày làm việc", Fee: "8.000 đồng"},
			{Channel: "Trực tuyến", Time: "3 ngày làm việc", Fee: "8.000 đồng"},
		},
		Papers: []corpus.ProcedurePaper{
			{Group: "Giấy tờ phải nộp", Name: "- Tờ khai đăng ký", Form: "Mau TK01.docx", Originals: 1},
			{Group: "Giấy tờ phải nộp", Name: "Trường hợp đã có dữ liệu thì không nộp."},
		},
		Bases: []corpus.LegalBase{
			{Title: "Nghị định hướng dẫn", Number: "123/2015/NĐ-CP"},
			{Title: "Luật Hộ tịch", Number: "60/2014/QH13"},
		},
		Results: []corpus.ProcedureResult{{Name: "Giấy xác nhận", Code: "KQ.G15.000001"}},
	}}
	for _, d := range []*corpus.Document{law, proc} {
		if err := docs.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	site := web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Modules: []web.Module{{
		Name: "library", Templates: library.Templates, Funcs: library.TemplateFuncs,
		Mount: func(r web.Router, pages *web.Renderer) error {
			library.New(library.Options{Searcher: idx, Documents: docs, Pages: pages}).Register(r)
			return nil
		},
	}}})

	body := get(t, site, library.URL(corpus.KindProcedure, proc.ID, ""), http.StatusOK)
	for _, want := range []string{
		`<link rel="stylesheet" href="` + library.ProcedureStylePath + `">`,
		`<tr><td>Trực tiếp, trực tuyến</td><td>3 ngày làm việc</td><td>8.000 đồng</td></tr>`,
		`<td>Tờ khai đăng ký<span class="pform">Mẫu: Mau TK01.docx</span></td><td class="pqty">1 bản chính</td>`,
		`<summary>Lưu ý (1)</summary>`, `<li>Trường hợp đã có dữ liệu thì không nộp.</li>`,
		`<summary>2 văn bản, 1 có trong thư viện</summary>`,
		`<td><a href="/van-ban/60-2014-qh13">Luật Hộ tịch</a></td>`,
		`<td>Nghị định hướng dẫn</td><td class="pnum">123/2015/NĐ-CP</td>`,
		`<li>Giấy xác nhận</li>`,
		`<details class="pmore pmore--lead"><summary>Điều kiện rất dài.`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("procedure page lacks %s", want)
		}
	}
	// The basis the library holds is listed first.
	if i, j := strings.Index(body, `Luật Hộ tịch</a>`), strings.Index(body, `Nghị định hướng dẫn`); i < 0 || j < i {
		t.Errorf("the linked basis at %d, the other at %d: want the linked one first", i, j)
	}
	// The ways to submit come first, the legal basis last.
	if i, j := strings.Index(body, `id="cach-thuc"`), strings.Index(body, `id="can-cu-phap-ly"`); i < 0 || j < i {
		t.Errorf("sections out of order: cach-thuc at %d, can-cu-phap-ly at %d", i, j)
	}
	// The fees are in the table, not in a section of their own.
	if strings.Contains(body, `id="phi-le-phi"`) {
		t.Errorf("a separate fee section beside the table")
	}

	css := get(t, site, library.ProcedureStylePath, http.StatusOK)
	if !strings.Contains(css, ".ptable") {
		t.Errorf("style sheet: %.200s", css)
	}
}

func get(t *testing.T, h http.Handler, target string, status int) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	body, _ := io.ReadAll(w.Result().Body)
	if w.Code != status {
		t.Fatalf("GET %s = %d, want %d: %.300s", target, w.Code, status, body)
	}
	return string(body)
}
