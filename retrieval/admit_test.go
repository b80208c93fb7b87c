package retrieval

import (
	"context"
	"strings"
	"testing"
)

// Search that admits nothing: a query none of whose words the library
// holds finds nothing in every mode, with a count of zero, although the
// vector side has nearest passages for any text; a query of the
// library's words still finds its article.
func TestNonsenseFindsNothing(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	for _, mode := range []Mode{ModeHybrid, ModeKeyword} {
		h.Mode = mode
		res, err := h.Search(ctx, Query{Text: "xyzqwv blorf", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 0 || res.Total != 0 {
			t.Errorf("%s: nonsense found %d hits of %d: %v", mode, len(res.Hits), res.Total, passageIDs(res))
		}
		res, err = h.Search(ctx, Query{Text: "chiem doat di vat cua tu si", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 || res.Total == 0 {
			t.Errorf("%s: a real query found nothing", mode)
		}
	}
}

// The shipped thesaurus parses, and turns everyday words into the law's,
// with diacritics and without, longer phrases first, whole words only.
func TestThesaurusRewrite(t *testing.T) {
	th := DefaultThesaurus()
	for _, c := range []struct{ in, expanded, replaced string }{
		{"Làm sổ đỏ lần đầu ở đâu?", "Làm sổ đỏ lần đầu ở đâu? cấp giấy chứng nhận quyền sử dụng đất", "cấp giấy chứng nhận quyền sử dụng đất lần đầu ở đâu?"},
		{"lam so do o dau", "lam so do o dau cap giay chung nhan quyen su dung dat", "cap giay chung nhan quyen su dung dat o dau"},
		{"Vẽ sơ đồ nhà", "Vẽ sơ đồ nhà", "Vẽ sơ đồ nhà"}, // "sơ đồ" is not "sổ đỏ"
		{"Người chưa thành niên phạm tội", "Người chưa thành niên phạm tội người dưới 18 tuổi", "người dưới 18 tuổi phạm tội"},
		{"người dưới 18 tuổi là người chưa thành niên", "người dưới 18 tuổi là người chưa thành niên", "người dưới 18 tuổi là người chưa thành niên"},
		{"tiếng Việt", "tiếng Việt", "tiếng Việt"},
	} {
		x, r := th.Rewrite(c.in)
		if x != c.expanded || r != c.replaced {
			t.Errorf("Rewrite(%q) = %q, %q; want %q, %q", c.in, x, r, c.expanded, c.replaced)
		}
	}
	// Search expands a query once in the hybrid and again in the keyword
	// search under it: the second adds nothing.
	for _, e := range th.entries {
		for _, q := range []string{strings.Join(e.words, " "), strings.Join(e.folded, " ")} {
			once := th.Expand(q)
			if twice := th.Expand(once); twice != once {
				t.Errorf("%q expands to %q, then to %q", q, once, twice)
			}
		}
	}
	if _, err := ParseThesaurus("bad", "sổ đỏ giấy chứng nhận\n"); err == nil {
		t.Error("a line without a tab was accepted")
	}
}
