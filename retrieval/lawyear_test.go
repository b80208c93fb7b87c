package retrieval

import (
	"context"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

// A question that names a law with its year picks out that version of
// the law: its passages get law_year, those of another version
// law_year_other, and a question naming no year gives neither.
func TestLawYearFeatures(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	law := func(id, title, text string) *corpus.Document {
		return &corpus.Document{ID: id, Kind: corpus.KindLaw, Title: title,
			Nodes: []corpus.Node{corpus.ParseArticle("4", "Thời hạn sử dụng đất\n\n"+text)}}
	}
	if err := h.Index(ctx,
		law("luat-dat-dai-2013", "Luật Đất đai 2013", "Thời hạn sử dụng đất nông nghiệp là 50 năm."),
		law("luat-dat-dai-2024", "Luật Đất đai 2024", "Thời hạn sử dụng đất nông nghiệp là 50 năm, được gia hạn."),
	); err != nil {
		t.Fatal(err)
	}
	if err := h.Keyword.WaitMemory(ctx); err != nil {
		t.Fatal(err)
	}
	same, other := featureIndex(t, "law_year"), featureIndex(t, "law_year_other")
	check := func(q string, want map[string][2]float64) {
		t.Helper()
		c, err := h.Candidates(ctx, Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, cd := range c.Top {
			w, ok := want[cd.Hit.DocID]
			if !ok {
				continue
			}
			seen[cd.Hit.DocID] = true
			if got := [2]float64{cd.Features[same], cd.Features[other]}; got != w {
				t.Errorf("%q: %s has law_year, law_year_other %v, want %v", q, cd.Hit.DocID, got, w)
			}
		}
		if len(seen) != len(want) {
			t.Errorf("%q: re-ranked %v, want both laws", q, seen)
		}
	}
	check("Theo Luật Đất đai 2013, thời hạn sử dụng đất nông nghiệp là bao lâu?",
		map[string][2]float64{"luat-dat-dai-2013": {1, 0}, "luat-dat-dai-2024": {0, 1}})
	check("thoi han su dung dat nong nghiep theo luat dat dai nam 2024",
		map[string][2]float64{"luat-dat-dai-2013": {0, 1}, "luat-dat-dai-2024": {1, 0}})
	check("Thời hạn sử dụng đất nông nghiệp là bao lâu?",
		map[string][2]float64{"luat-dat-dai-2013": {0, 0}, "luat-dat-dai-2024": {0, 0}})
}
