package corpus_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
)

func article(label, text string) corpus.Node { return corpus.ParseArticle(label, text) }

// landLaw2024 is the shape in which the dumps carry the 2024 land law:
// a name without year or number, the year in no field.
func landLaw2024() *corpus.Document {
	return &corpus.Document{
		ID: "luat-dat-dai", Kind: corpus.KindLaw, Title: "Luật Đất đai",
		Nodes: []corpus.Node{
			article("1", "Phạm vi điều chỉnh\n\nLuật này quy định về chế độ sở hữu đất đai."),
			article("243", "Sửa đổi, bổ sung một số điều của Luật Quy hoạch\n\nPhụ lục ban hành kèm theo Luật Đất đai số 31/2024/QH15 như sau."),
			article("252", "Hiệu lực thi hành\n\n1. Luật này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2025, trừ trường hợp quy định tại khoản 2 Điều này.\n\n"+
				"2. Luật Đất đai số 45/2013/QH13 đã được sửa đổi, bổ sung một số điều theo Luật số 35/2018/QH14 hết hiệu lực kể từ ngày Luật này có hiệu lực thi hành."),
			article("253", "Quy định chuyển tiếp\n\n1. Giấy chứng nhận đã cấp theo Luật Đất đai số 13/2003/QH11 tiếp tục có giá trị."),
		},
	}
}

func landLaw2013() *corpus.Document {
	return &corpus.Document{
		ID: "45-2013-qh13", Kind: corpus.KindLaw, Title: "Luật Đất đai 2013", Number: "45/2013/QH13",
		Nodes: []corpus.Node{
			article("212", "Hiệu lực thi hành\n\n1. Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2014.\n\n2. Luật đất đai số 13/2003/QH11 hết hiệu lực kể từ ngày Luật này có hiệu lực thi hành."),
		},
	}
}

func factsOf(docs ...*corpus.Document) []corpus.LawFacts {
	var out []corpus.LawFacts
	for _, d := range docs {
		out = append(out, corpus.ReadLawFacts(d))
	}
	corpus.SortLawFacts(out)
	corpus.CompleteLawFacts(out)
	return out
}

func find(fs []corpus.LawFacts, id string) corpus.LawFacts {
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	panic("no facts for " + id)
}

func TestLawFactsFromText(t *testing.T) {
	fs := factsOf(landLaw2024())
	f := find(fs, "luat-dat-dai")
	if f.EffectiveAt.Value != "2025-01-01" || f.EffectiveAt.Source != "suy ra từ Điều 252" || !f.EffectiveAt.Derived {
		t.Errorf("effective = %+v, want 2025-01-01 from Điều 252", f.EffectiveAt)
	}
	// 45/2013 is what it replaces and 13/2003 is older than that: only
	// 31/2024 fits.
	if f.Number.Value != "31/2024/QH15" || f.Number.Source != "suy ra từ Điều 243" {
		t.Errorf("number = %+v, want 31/2024/QH15 from Điều 243", f.Number)
	}
	if f.Year.Value != "2024" || !f.Year.Derived {
		t.Errorf("year = %+v, want 2024 derived", f.Year)
	}
	// The law that amended the 2013 one keeps its own standing.
	if len(f.Lapses) != 1 || f.Lapses[0].Number != "45/2013/QH13" || f.Lapses[0].Name != "Luật Đất đai" || f.Lapses[0].Article != "252" {
		t.Errorf("lapses = %+v, want Luật Đất đai 45/2013/QH13 alone, from Điều 252", f.Lapses)
	}

	on := func(day string) time.Time { t, _ := time.Parse("2006-01-02", day); return t }
	if v := f.Validity(fs, on("2024-06-01")); v.Value != corpus.StatusNotYet || !strings.Contains(v.Source, "01/01/2025") {
		t.Errorf("validity before entry into force = %+v", v)
	}
	if v := f.Validity(fs, on("2026-01-01")); v.Value != corpus.StatusInForce || !strings.Contains(v.Source, "Điều 252") {
		t.Errorf("validity after entry into force = %+v", v)
	}
}

func TestLawFactsReplacedByLaterLaw(t *testing.T) {
	fs := factsOf(landLaw2013(), landLaw2024())
	old := find(fs, "45-2013-qh13")
	on := func(day string) time.Time { t, _ := time.Parse("2006-01-02", day); return t }
	if v := old.Validity(fs, on("2024-12-31")); v.Value != corpus.StatusInForce {
		t.Errorf("the 2013 law before the 2024 one takes effect: %+v, want %s", v, corpus.StatusInForce)
	}
	v := old.Validity(fs, on("2025-01-01"))
	if v.Value != corpus.StatusRepealed || !strings.Contains(v.Source, "Luật Đất đai (31/2024/QH15)") || !strings.Contains(v.Source, "Điều 252") {
		t.Errorf("the 2013 law once the 2024 one is in force: %+v", v)
	}
	// Known by name and year only, the old law is still recognised.
	noNumber := landLaw2013()
	noNumber.Number = ""
	fs = factsOf(noNumber, landLaw2024())
	if v := find(fs, "45-2013-qh13").Validity(fs, on("2025-06-01")); v.Value != corpus.StatusRepealed {
		t.Errorf("the 2013 law by name and year: %+v", v)
	}
	// The source's own status stands when no law of the library replaces it.
	withStatus := landLaw2024()
	withStatus.Status = "Còn hiệu lực"
	fs = factsOf(withStatus)
	if v := find(fs, "luat-dat-dai").Validity(fs, on("2020-01-01")); v.Value != "Còn hiệu lực" || v.Source != corpus.SourceField || v.Derived {
		t.Errorf("source status: %+v", v)
	}
}

func TestLawFactsAmbiguousNumberNotTaken(t *testing.T) {
	d := landLaw2024()
	d.Nodes = append(d.Nodes, article("254", "Điều khoản khác\n\nTheo Luật Đất đai số 99/2024/QH15 đã dẫn."))
	f := find(factsOf(d), "luat-dat-dai")
	if f.Number.Known() {
		t.Errorf("two numbers fit, yet %+v was taken", f.Number)
	}
	if f.Year.Value != "2025" || !strings.HasPrefix(f.Year.Source, "năm có hiệu lực") {
		t.Errorf("year without number = %+v, want the year of entry into force, said so", f.Year)
	}
}

func TestLawFactsFromHeadingAndFields(t *testing.T) {
	d := &corpus.Document{ID: "x", Kind: corpus.KindLaw, Title: "Luật Thử nghiệm", Nodes: []corpus.Node{
		{Kind: corpus.NodePreamble, Anchor: "mo-dau", Text: "QUỐC HỘI\nLuật số: 12/2023/QH15\nLUẬT THỬ NGHIỆM"},
		article("1", "Phạm vi\n\nLuật này quy định thử nghiệm."),
	}}
	f := find(factsOf(d), "x")
	if f.Number.Value != "12/2023/QH15" || !f.Number.Derived || f.Year.Value != "2023" {
		t.Errorf("from the heading: number %+v, year %+v", f.Number, f.Year)
	}
	d = &corpus.Document{ID: "y", Kind: corpus.KindLaw, Title: "Luật Cư trú", Number: "68/2020/QH14", EffectiveAt: "2021-07-01"}
	f = find(factsOf(d), "y")
	if f.Number.Source != corpus.SourceField || f.Number.Derived || f.Year.Value != "2020" || f.EffectiveAt.Source != corpus.SourceField {
		t.Errorf("from fields: %+v", f)
	}
	d = &corpus.Document{ID: "z", Kind: corpus.KindLaw, Title: "Luật sửa đổi, bổ sung một số điều của Luật Cư trú"}
	if f := find(factsOf(d), "z"); f.Amends.Value != "Luật Cư trú" {
		t.Errorf("amends = %+v", f.Amends)
	}
}

// nopIndex stands where the search index would be: these tests read the
// stored documents only.
type nopIndex struct{}

func (nopIndex) Index(context.Context, ...*corpus.Document) error { return nil }
func (nopIndex) Delete(context.Context, ...string) error          { return nil }

// TestLawFactsOverSharedCorpus reads every law of ../shared/corpus as the
// library stores it and requires a number or a year for each, listing the
// laws that have neither.
func TestLawFactsOverSharedCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the shared laws: the full pass runs it")
	}
	laws := testenv.SharedPath(t, "corpus", "laws")
	ctx := t.Context()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "laws.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := newStore(t, db)
	if _, err := ingest.Run(ctx, ingest.Options{Store: st, Index: nopIndex{}, Sources: []string{laws}}); err != nil {
		t.Fatal(err)
	}
	var fs []corpus.LawFacts
	if err := st.All(ctx, corpus.KindLaw, func(d *corpus.Document) error {
		fs = append(fs, corpus.ReadLawFacts(d))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	corpus.SortLawFacts(fs)
	corpus.CompleteLawFacts(fs)
	if len(fs) < 30 {
		t.Fatalf("%d laws read from %s, want the 30 and more of the dumps", len(fs), laws)
	}
	var failures []string
	numbers, derived, effective := 0, 0, 0
	today := time.Now()
	for _, f := range fs {
		if f.Number.Known() {
			numbers++
		}
		if f.Number.Derived || f.Year.Derived {
			derived++
		}
		if f.EffectiveAt.Known() {
			effective++
		}
		if !f.Number.Known() && !f.Year.Known() {
			failures = append(failures, fmt.Sprintf("%s (%s)", f.Title, f.ID))
		}
		v := f.Validity(fs, today)
		if v.Value == "" || v.Source == "" {
			failures = append(failures, fmt.Sprintf("%s: validity %+v has no value or no source", f.Title, v))
		}
		t.Logf("%-45s | %-14s %-42s | %s %-28s | %s | %s — %s", f.Title, f.Number.Value, f.Number.Source, f.Year.Value, f.Year.Source, f.EffectiveAt.Value, v.Value, v.Source)
	}
	t.Logf("%d laws: %d with a number, %d with a derived number or year, %d with a date of entry into force", len(fs), numbers, derived, effective)
	if len(failures) > 0 {
		t.Errorf("%d laws without number or year, or without validity:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	// Luật Căn cước ends the citizen-ID law "đã được sửa đổi … theo Luật
	// số 68/2020/QH14" — the residence law, which stays in force.
	for _, f := range fs {
		if f.Number.Value == "68/2020/QH14" {
			if v := f.Validity(fs, today); v.Value != corpus.StatusInForce {
				t.Errorf("%s: %+v, want %s", f.Title, v, corpus.StatusInForce)
			}
		}
	}
	// Known from the text alone: the 2024 land law and the 2023 price law.
	for title, want := range map[string]string{"Luật Đất đai": "31/2024/QH15", "Luật Giá": "16/2023/QH15"} {
		for _, f := range fs {
			if f.Title == title && f.Number.Value != want {
				t.Errorf("%s: number %+v, want %s", title, f.Number, want)
			}
		}
	}
}
