package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/retrieval"
)

// Search that admits nothing: a query of words the library does not hold
// says "Không tìm thấy" with suggestions on the page and is an empty
// result with a count of zero in the API — by keywords, and in hybrid
// search, whose vectors have nearest passages for any text.
func TestNonsenseQueryFindsNothing(t *testing.T) {
	docs, idx := needLibrary(t)
	searchers := map[string]retrieval.Searcher{"keyword": idx}
	if !testing.Short() {
		v, emb, err := retrieval.BuildVectors(t.Context(), idx, t.TempDir(), retrieval.TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		searchers["hybrid"] = &retrieval.Hybrid{Keyword: idx, Vectors: v, Embedder: emb, Mode: retrieval.ModeHybrid}
	}
	for name, s := range searchers {
		h := librarySite(library.Options{Searcher: s, Documents: docs})
		page := get(t, h, query("/tim-kiem", "q", "xyzqwv blorf"))
		if page.status != 200 || !strings.Contains(page.body, "Không tìm thấy kết quả nào cho “xyzqwv blorf”") ||
			!strings.Contains(page.body, "Gợi ý:") || strings.Contains(page.body, `class="result"`) {
			t.Errorf("%s: the page of a nonsense query: status %d\n%s", name, page.status, mainOf(page.body))
		}
		r := get(t, h, query("/api/v1/library/search", "q", "xyzqwv blorf"))
		var res library.SearchResponse
		if err := json.Unmarshal([]byte(r.body), &res); err != nil || r.status != 200 {
			t.Fatalf("%s: API %d %s", name, r.status, r.body)
		}
		if len(res.Results) != 0 || res.Total != 0 {
			t.Errorf("%s: API answers nonsense with %d results of %d", name, len(res.Results), res.Total)
		}
		// The same search with the library's words finds them.
		r = get(t, h, query("/api/v1/library/search", "q", "chiem doat di vat cua tu si"))
		if err := json.Unmarshal([]byte(r.body), &res); err != nil || len(res.Results) == 0 || res.Total == 0 {
			t.Errorf("%s: a real query found nothing: %s", name, r.body)
		}
	}
}
