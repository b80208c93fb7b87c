package assistant

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// procedureIndex is a real keyword index of a marriage law article and
// two procedures.
func procedureIndex(t *testing.T) *retrieval.Keyword {
	t.Helper()
	idx, err := retrieval.OpenKeyword(filepath.Join(t.TempDir(), "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	if err := idx.Index(context.Background(), lawDoc, marriageDoc, guardianDoc); err != nil {
		t.Fatal(err)
	}
	return idx
}

// The documents of procedureIndex: the second names the first's words.
var (
	lawDoc = &corpus.Document{ID: "52-2014-qh13", Kind: corpus.KindLaw, Title: "Luật Hôn nhân và gia đình 2014",
		Nodes: []corpus.Node{corpus.ParseArticle("9", "Đăng ký kết hôn\n\n1. Việc kết hôn phải được đăng ký và do cơ quan nhà nước có thẩm quyền thực hiện theo quy định của Luật này và pháp luật về hộ tịch.")}}
	marriageDoc = &corpus.Document{ID: "1.000894", Kind: corpus.KindProcedure, Title: "Thủ tục đăng ký kết hôn",
		Procedure: &corpus.Procedure{Code: "1.000894", Field: "Hộ tịch", Level: "Cấp xã",
			Steps:     "Hai bên nam, nữ nộp hồ sơ đăng ký kết hôn tại Ủy ban nhân dân cấp xã.",
			Documents: "Tờ khai đăng ký kết hôn theo mẫu.\nGiấy tờ tùy thân của hai bên nam, nữ.",
			Methods:   "Trực tiếp: 5 ngày làm việc, miễn lệ phí.",
			Agency:    "Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên."}}
	guardianDoc = &corpus.Document{ID: "1.004837", Kind: corpus.KindProcedure, Title: "Thủ tục đăng ký giám hộ",
		Procedure: &corpus.Procedure{Code: "1.004837", Field: "Hộ tịch", Level: "Cấp xã",
			Steps:     "Người yêu cầu đăng ký giám hộ nộp tờ khai và văn bản cử người giám hộ.",
			Documents: "Tờ khai đăng ký giám hộ; văn bản cử người giám hộ."}}
)

func TestProcedureAnswer(t *testing.T) {
	idx := procedureIndex(t)
	s := New(Options{Searcher: idx})
	ctx := context.Background()
	for _, c := range []struct {
		q, id   string
		anchors []string
	}{
		{"Đăng ký kết hôn cần giấy tờ gì?", "1.000894", []string{"thanh-phan-ho-so"}},
		{"dang ky ket hon o dau", "1.000894", []string{"cach-thuc", "co-quan"}},
		{"ong ba nhan giam ho cho chau thi lam thu tuc gi", "1.004837", []string{"trinh-tu", "thanh-phan-ho-so"}},
	} {
		a, err := s.Ask(ctx, Request{Question: c.q})
		if err != nil {
			t.Fatal(err)
		}
		if !a.Supported || len(a.Citations) != len(c.anchors) {
			t.Errorf("%q: supported %v, %d citations: %s", c.q, a.Supported, len(a.Citations), a.Text)
			continue
		}
		res, _ := idx.Search(ctx, retrieval.Query{Text: c.q, Kind: corpus.KindProcedure, Limit: 1})
		for i, cit := range a.Citations {
			if cit.ID != c.id || cit.Kind != corpus.KindProcedure || cit.Anchor != c.anchors[i] ||
				cit.URL != "/thu-tuc/"+c.id+"#"+c.anchors[i] || !strings.HasPrefix(cit.Quote, cit.Label+": ") {
				t.Errorf("%q: citation %d: %+v", c.q, i+1, cit)
			}
			// Each section quoted verbatim from the passage, once.
			if len(res.Hits) == 0 || !strings.Contains(res.Hits[0].Text, cit.Quote) || strings.Count(a.Text, cit.Quote) != 1 {
				t.Errorf("%q: quote %q is not once, verbatim, in the procedure's passage", c.q, cit.Quote)
			}
		}
		if !strings.Contains(a.Text, "Theo "+a.Citations[0].Title) {
			t.Errorf("%q: text does not name the procedure: %s", c.q, a.Text)
		}
	}
	// The file is quoted whole, both of its lines.
	a, _ := s.Ask(ctx, Request{Question: "Đăng ký kết hôn cần giấy tờ gì?"})
	if q := a.Citations[0].Quote; !strings.Contains(q, "Tờ khai đăng ký kết hôn") || !strings.Contains(q, "Giấy tờ tùy thân") || strings.Contains(q, "Cách thức") {
		t.Errorf("file quoted as %q", q)
	}
	// With the store, the file and the ways are listed as the rows parsed
	// from the portal's tables, each once; a section without rows is quoted.
	withRows := *marriageDoc
	wp := *withRows.Procedure
	wp.Papers = []corpus.ProcedurePaper{
		{Group: "Giấy tờ phải nộp", Name: "Tờ khai đăng ký kết hôn", Form: "To khai ket hon.docx", Originals: 1},
		{Group: "Giấy tờ phải xuất trình", Name: "Giấy tờ tùy thân", Originals: 1, Copies: 1},
		{Group: "Lưu ý", Name: "Hai bên có mặt khi đăng ký"},
	}
	wp.Channels = []corpus.ProcedureChannel{{Channel: "Trực tiếp", Time: "5 ngày làm việc", Fee: "Miễn phí"}}
	withRows.Procedure = &wp
	rs := New(Options{Searcher: idx, Documents: testDocs{marriageDoc.ID: &withRows}})
	a, _ = rs.Ask(ctx, Request{Question: "Đăng ký kết hôn cần giấy tờ gì?"})
	for _, w := range []string{"Theo Thủ tục đăng ký kết hôn — Thành phần hồ sơ [1]:", "\n– Tờ khai đăng ký kết hôn: 1 bản chính (mẫu: To khai ket hon.docx)", "\n– Giấy tờ tùy thân: 1 bản chính, 1 bản sao"} {
		if strings.Count(a.Text, w) != 1 {
			t.Errorf("file answer lacks %q once:\n%s", w, a.Text)
		}
	}
	if strings.Contains(a.Text, "Hai bên có mặt") || a.Citations[0].Anchor != "thanh-phan-ho-so" {
		t.Errorf("file answer: a note listed as a paper, or the citation moved:\n%s", a.Text)
	}
	a, _ = rs.Ask(ctx, Request{Question: "dang ky ket hon o dau"})
	if !strings.Contains(a.Text, "– Trực tiếp: 5 ngày làm việc; Miễn phí") || !strings.Contains(a.Text, "Cơ quan thực hiện: “Ủy ban nhân dân cấp xã nơi cư trú") {
		t.Errorf("where answer:\n%s", a.Text)
	}
	// A question that asks for no procedure, or names none, is read from
	// the law as before.
	for _, q := range []string{"Việc kết hôn có phải đăng ký không?", "Đăng ký xe máy cần giấy tờ gì?"} {
		a, err := s.Ask(ctx, Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		if a.Supported && len(a.Citations) > 0 && a.Citations[0].Kind == corpus.KindProcedure && strings.HasPrefix(a.Citations[0].Quote, "Thành phần") {
			t.Errorf("%q answered from a procedure's file: %s", q, a.Text)
		}
	}
}
