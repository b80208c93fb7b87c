package retrieval

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

func TestAsksAndNamesProcedure(t *testing.T) {
	for q, want := range map[string]bool{
		"Đăng ký kết hôn cần giấy tờ gì?":                  true,
		"lam tam tru can nhung giay to gi":                 true,
		"Xin giấy xác nhận tình trạng hôn nhân ở đâu?":     true,
		"Người thân mất thì làm thủ tục khai tử thế nào?":  true,
		"Tuổi kết hôn của nam là bao nhiêu?":               false,
		"Thời hiệu khởi kiện vụ án hành chính là bao lâu?": false,
	} {
		if got := AsksProcedure(q); got != want {
			t.Errorf("AsksProcedure(%q) = %v, want %v", q, got, want)
		}
	}
	for _, c := range []struct {
		q, title string
		want     bool
	}{
		{"ong ba nhan giam ho cho chau mo coi thi lam thu tuc gi", "Thủ tục đăng ký giám hộ", true},
		{"Làm mất căn cước thì làm lại ở đâu?", "Cấp lại thẻ căn cước (thực hiện tại cấp trung ương)", true},
		{"Đăng ký kết hôn cần giấy tờ gì?", "Thủ tục đăng ký kết hôn có yếu tố nước ngoài tại khu vực biên giới", false},
		{"Thủ tục xin visa du lịch đi Mỹ như thế nào?", "Công nhận điểm du lịch", false},
		// One word in common is no name: "đăng ký" alone.
		{"Đăng ký xe máy cần giấy tờ gì?", "Thủ tục đăng ký khai sinh", false},
	} {
		if got := NamesProcedure(c.q, c.title); got != c.want {
			t.Errorf("NamesProcedure(%q, %q) = %v, want %v", c.q, c.title, got, c.want)
		}
	}
}

// arranged runs arrangeProcedures over a list of hits named by id, and
// returns the ids in their new order; scores must still decrease.
func arranged(t *testing.T, query string, hits []Hit) []string {
	t.Helper()
	for i := range hits {
		hits[i].Score = 1 - 0.1*float64(i)
	}
	arrangeProcedures(words(expandQuery(query)), hits, 0)
	var ids []string
	for i, h := range hits {
		ids = append(ids, h.DocID)
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("%q: score %v at %d above %v before it", query, h.Score, i, hits[i-1].Score)
		}
	}
	return ids
}

func birthList() []Hit {
	law := func(id string) Hit {
		return Hit{DocID: id, Kind: corpus.KindLaw, Title: "Luật Hộ tịch", Heading: "Điều 1. Phạm vi"}
	}
	proc := func(id, title string) Hit {
		return Hit{DocID: id, Kind: corpus.KindProcedure, Title: title, Heading: "Hộ tịch"}
	}
	return []Hit{
		law("luat-a"),
		proc("thuong-tru", "Đăng ký thường trú"),
		proc("luu-dong", "Thủ tục đăng ký khai sinh lưu động"),
		law("luat-b"),
		proc("khai-sinh", "Thủ tục đăng ký khai sinh"),
		proc("lai", "Thủ tục đăng ký lại khai sinh"),
	}
}

func TestArrangeProcedures(t *testing.T) {
	// Asked for, the procedure named comes first; its variants take the
	// next places procedures held, before the unrelated one; the laws keep
	// theirs.
	got := arranged(t, "Đăng ký khai sinh cần giấy tờ gì?", birthList())
	if want := []string{"khai-sinh", "luat-a", "luu-dong", "lai", "luat-b", "thuong-tru"}; !slices.Equal(got, want) {
		t.Errorf("asked: %v, want %v", got, want)
	}
	// Not asked for, nothing moves to the front; the family still keeps
	// together after its best-placed member, best named first.
	got = arranged(t, "dang ky khai sinh", birthList())
	if want := []string{"luat-a", "thuong-tru", "khai-sinh", "luat-b", "lai", "luu-dong"}; !slices.Equal(got, want) {
		t.Errorf("searched: %v, want %v", got, want)
	}
	// A list of laws is left as it is.
	laws := []Hit{{DocID: "a", Kind: corpus.KindLaw}, {DocID: "b", Kind: corpus.KindLaw}}
	if arrangeProcedures(words("thủ tục ly hôn cần giấy tờ gì"), laws, 0) || laws[0].DocID != "a" {
		t.Errorf("laws rearranged: %v", laws)
	}
}

// Through a hybrid search: the procedure asked for ranks first, and the
// birth-registration variants follow the main procedure before
// residence registration.
func TestSearchRanksProcedureFamilies(t *testing.T) {
	h, _ := openHybrid(t)
	h.Mode = ModeHybrid
	ctx := context.Background()
	variant := func(id, title, steps string) *corpus.Document {
		return &corpus.Document{ID: id, Kind: corpus.KindProcedure, Number: id, Title: title,
			Procedure: &corpus.Procedure{Code: id, Field: "Hộ tịch", Level: "Cấp xã", Steps: steps}}
	}
	if err := h.Index(ctx,
		variant("1.003583", "Thủ tục đăng ký khai sinh lưu động", "Công chức tư pháp - hộ tịch đến tận nơi đăng ký khai sinh cho trẻ em."),
		variant("1.004884", "Thủ tục đăng ký lại khai sinh", "Người yêu cầu đăng ký lại khai sinh nộp hồ sơ tại Ủy ban nhân dân cấp xã."),
	); err != nil {
		t.Fatal(err)
	}
	res, err := h.Search(ctx, Query{Text: "thu tuc dang ky khai sinh", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var procs []string
	for _, hit := range res.Hits {
		if hit.Kind == corpus.KindProcedure {
			procs = append(procs, hit.DocID)
		}
	}
	if len(procs) < 3 || procs[0] != "1.001193" || !slices.Contains(procs[1:3], "1.003583") || !slices.Contains(procs[1:3], "1.004884") {
		t.Errorf("procedures in order %v: want 1.001193, then its two variants", procs)
	}
	if res.Hits[0].DocID != "1.001193" {
		t.Errorf("first hit %s, want the procedure asked for", res.Hits[0].PassageID)
	}
	// Pages are cut from one order: page two continues page one.
	p1, _ := h.Search(ctx, Query{Text: "thu tuc dang ky khai sinh", Limit: 2})
	p2, _ := h.Search(ctx, Query{Text: "thu tuc dang ky khai sinh", Limit: 2, Offset: 2})
	if got := append(passageIDs(p1), passageIDs(p2)...); !slices.Equal(got, passageIDs(res)[:len(got)]) {
		t.Errorf("pages %v, whole list %v", got, passageIDs(res))
	}
	res, _ = h.Search(ctx, Query{Text: "Đăng ký thường trú cần giấy tờ gì?", Limit: 5})
	if len(res.Hits) == 0 || res.Hits[0].DocID != "1.004194" {
		t.Errorf("residence papers: %v", passageIDs(res))
	}
}

// Honest counts: a query whose common words ("thủ tục", "đăng ký") are
// in many passages counts those that answer it about as well as the
// best, not every passage holding one of its words; in both modes, and
// never fewer than a page shows.
func TestHonestTotal(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	var filler []*corpus.Document
	for i := range 30 {
		id := fmt.Sprintf("9.%06d", i)
		filler = append(filler, &corpus.Document{ID: id, Kind: corpus.KindProcedure, Number: id,
			Title:     fmt.Sprintf("Thủ tục cấp phép hoạt động số %d", i),
			Procedure: &corpus.Procedure{Code: id, Field: "Hoạt động", Steps: "Tổ chức nộp hồ sơ đăng ký tại Sở."}})
	}
	if err := h.Index(ctx, filler...); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{ModeHybrid, ModeKeyword} {
		h.Mode = mode
		res, err := h.Search(ctx, Query{Text: "thu tuc dang ky khai sinh", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 || res.Hits[0].DocID != "1.001193" {
			t.Fatalf("%s: %v", mode, passageIDs(res))
		}
		if res.Total < uint64(len(res.Hits)) || res.Total > 10 {
			t.Errorf("%s: total %d for %d hits: want the few near the best, not the %d passages holding a word", mode, res.Total, len(res.Hits), len(filler))
		}
	}
}
