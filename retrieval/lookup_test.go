package retrieval

import (
	"context"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

// The look-ups (a document number, "Điều N <law>") answer before the
// ranked search; the filters of the query must hold for them as well, in
// the keyword index and through the hybrid.
func TestLookupsObeyFilters(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	// A procedure known by a number of the same shape as a law's, so that
	// the number look-up can find a procedure where laws are asked for.
	seal := &corpus.Document{
		ID: "2.000815", Kind: corpus.KindProcedure, Number: "15/2024/TT-BTP", Title: "Thủ tục chứng thực chữ ký",
		Procedure: &corpus.Procedure{Code: "2.000815", Field: "Chứng thực",
			Steps: "Người yêu cầu chứng thực chữ ký nộp hồ sơ tại Ủy ban nhân dân cấp xã."},
	}
	if err := h.Index(ctx, seal); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		q    Query
		// first is the looked-up passage that must come first; "" when
		// the filter rules the look-up out.
		first string
		// notDoc may not appear among the hits at all.
		notDoc string
	}{
		{"law number, laws", Query{Text: "91/2015/QH13", Kind: corpus.KindLaw}, "91-2015-qh13#dieu-1", ""},
		{"law number, procedures", Query{Text: "91/2015/QH13", Kind: corpus.KindProcedure}, "", "91-2015-qh13"},
		{"law number and words, laws", Query{Text: "91/2015/QH13 khai sinh", Kind: corpus.KindLaw}, "91-2015-qh13#dieu-30", ""},
		{"law number and words, procedures", Query{Text: "91/2015/QH13 khai sinh", Kind: corpus.KindProcedure}, "", "91-2015-qh13"},
		{"article, laws", Query{Text: "dieu 418 bo luat hinh su", Kind: corpus.KindLaw}, "01-vbhn-vpqh#dieu-418", ""},
		{"article, procedures", Query{Text: "dieu 418 bo luat hinh su", Kind: corpus.KindProcedure}, "", "01-vbhn-vpqh"},
		{"article with diacritics, procedures", Query{Text: "Điều 418 Bộ luật Hình sự", Kind: corpus.KindProcedure}, "", "01-vbhn-vpqh"},
		{"procedure number, procedures", Query{Text: "15/2024/TT-BTP", Kind: corpus.KindProcedure}, "2.000815", ""},
		{"procedure number, laws", Query{Text: "15/2024/TT-BTP", Kind: corpus.KindLaw}, "", "2.000815"},
		{"procedure number and words, laws", Query{Text: "15/2024/TT-BTP chứng thực", Kind: corpus.KindLaw}, "", "2.000815"},
		{"number of another document", Query{Text: "91/2015/QH13", DocID: "01-vbhn-vpqh"}, "", "91-2015-qh13"},
		{"article of another document", Query{Text: "Điều 30 Bộ luật Dân sự", DocID: "01-vbhn-vpqh"}, "", "91-2015-qh13"},
		{"number of another issuer", Query{Text: "91/2015/QH13", Issuer: "Văn phòng Quốc hội"}, "", "91-2015-qh13"},
		{"article of another issuer", Query{Text: "Điều 418 Bộ luật Hình sự", Issuer: "Quốc hội"}, "", "01-vbhn-vpqh"},
	}
	searchers := []struct {
		name   string
		search func(Query) (Result, error)
	}{
		{"keyword", func(q Query) (Result, error) { return h.Keyword.Search(ctx, q) }},
		{"hybrid", func(q Query) (Result, error) { h.Mode = ModeHybrid; return h.Search(ctx, q) }},
	}
	for _, s := range searchers {
		for _, c := range cases {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				res, err := s.search(c.q)
				if err != nil {
					t.Fatal(err)
				}
				if c.first != "" {
					if !res.Exact || res.Lookups == 0 || len(res.Hits) == 0 || res.Hits[0].PassageID != c.first {
						t.Fatalf("hits %v (exact %v, %d looked up), want %s looked up first", passageIDs(res), res.Exact, res.Lookups, c.first)
					}
				} else if res.Exact || res.Lookups != 0 {
					t.Errorf("hits %v: %d looked up past the filter", passageIDs(res), res.Lookups)
				}
				for _, hit := range res.Hits {
					if c.q.Kind != "" && hit.Kind != c.q.Kind {
						t.Errorf("%s (%s) passed the kind=%s filter", hit.PassageID, hit.Kind, c.q.Kind)
					}
					if hit.DocID == c.notDoc || c.q.DocID != "" && hit.DocID != c.q.DocID {
						t.Errorf("%s passed the filter %+v", hit.PassageID, c.q)
					}
				}
			})
		}
	}
}
