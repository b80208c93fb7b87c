package topic

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// With Expand, an abbreviation gives the features of the words it stands
// for, joined to its neighbours as they would be; without it (every model
// trained on labelled examples) a text reads as before.
func TestExpandAbbreviations(t *testing.T) {
	// The accented features aside ("ty" is read "ti", and keeps "a:ty").
	unaccented := func(names []string) []string {
		return slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, "a:") })
	}
	spelt := unaccented(taxonomyFeatures.names("công ty không đóng bảo hiểm xã hội, được không"))
	short := unaccented(taxonomyFeatures.names("cty ko đóng BHXH, đc k"))
	if !reflect.DeepEqual(short, spelt) {
		t.Errorf("abbreviated: %q\nspelt out: %q", short, spelt)
	}
	// An accented word next to an abbreviation keeps its accented feature;
	// the abbreviation's words have none.
	got := taxonomyFeatures.names("Đóng BHYT")
	for _, want := range []string{"w:dong", "a:đóng", "w:bao", "w:te", "b:dong_bao"} {
		if !slices.Contains(got, want) {
			t.Errorf("names(%q) lack %q: %q", "Đóng BHYT", want, got)
		}
	}
	if slices.Contains(got, "a:bhyt") || slices.Contains(got, "w:bhyt") || slices.Contains(got, "a:bảo") {
		t.Errorf("names(%q) keep the abbreviation: %q", "Đóng BHYT", got)
	}
	// Punctuation after an abbreviation still breaks the phrase.
	if got := taxonomyFeatures.names("bhyt, lương"); slices.Contains(got, "b:te_luong") || !slices.Contains(got, "w:luong") {
		t.Errorf("names(%q) join across the comma: %q", "bhyt, lương", got)
	}
	if got := defaultFeatures.names("cty ko dong bhxh"); !slices.Contains(got, "w:bhxh") || slices.Contains(got, "w:hiem") {
		t.Errorf("default features expand abbreviations: %q", got)
	}
}

// A classifier trained from a taxonomy reads abbreviations after a save
// and a load as before, and one trained on labelled examples does not.
func TestTaxonomyModelKeepsExpand(t *testing.T) {
	c := defaultClassifier(t)
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	d, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !d.m.spec.Expand {
		t.Error("a taxonomy model loses Expand in its file")
	}
	text := "cty no bhxh cua cn 6 thang"
	if a, b := classify(t, c, text), classify(t, d, text); !reflect.DeepEqual(a, b) {
		t.Errorf("Classify(%q) after load: %+v, before: %+v", text, b, a)
	}
	if got := classify(t, c, text).Topic; got != "lao_dong_viec_lam" {
		t.Errorf("Classify(%q) = %s, want lao_dong_viec_lam", text, got)
	}
	e, err := Train(t.Context(), readExamples(t, "small.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.m.spec.Expand {
		t.Error("a model trained on labelled examples reads abbreviations")
	}
}

func TestDefinitionItems(t *testing.T) {
	for def, want := range map[string][]string{
		"Đường sá: đường hư hỏng, ổ gà , cầu yếu.": {"đường hư hỏng", "ổ gà", "cầu yếu"},
		"Điện: mất điện (cúp điện), giá điện":      {"mất điện (cúp điện)", "giá điện"},
		"Phản ánh chung, không liệt kê":            nil,
		"Rỗng:  , .":                               nil,
	} {
		if got := definitionItems(def); !reflect.DeepEqual(got, want) {
			t.Errorf("definitionItems(%q) = %q, want %q", def, got, want)
		}
	}
	// Each topic of the default taxonomy lists its items, and each is
	// learnt as an example of that topic.
	tax := DefaultTaxonomy()
	ex := tax.Examples()
	for _, tp := range tax.Topics {
		items := definitionItems(tp.Definition)
		if len(items) < 10 {
			t.Errorf("topic %s: %d definition items, want the topic's vocabulary", tp.ID, len(items))
		}
		for _, item := range items {
			if !slices.Contains(ex, Example{Text: item, Label: tp.ID}) {
				t.Errorf("topic %s: item %q is not an example", tp.ID, item)
			}
		}
	}
}

// The classification path reads feature names without making strings of
// them; it must give exactly the vector of the names that training reads.
func TestVectorizeWithoutNames(t *testing.T) {
	c := defaultClassifier(t).m
	texts := []string{
		"", "   ", "ko", "Cty ko đóng BHXH cho công nhân, đc k?",
		"Đường liên thôn bị ngập nước sau mưa lớn, đề nghị UBND xã sửa cống.",
		"wifi truong hay mat mang!!! ntn vay", "Ω漢字 tiếng Việt — ‹ký tự› lạ", strings.Repeat("rác thải ", 2000),
	}
	for _, e := range readExamples(t, "small.jsonl") {
		texts = append(texts, e.Text)
	}
	for _, text := range texts {
		got := c.vectorize(text, false)
		want := c.vectorizeNames(c.spec.names(text), false)
		if !slices.Equal(got, want) {
			t.Fatalf("vectorize(%.40q) differs from the vector of its names:\n got %v\nwant %v", text, got, want)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	c, err := sharedDefault()
	if err != nil {
		b.Fatal(err)
	}
	text := "Đường liên thôn bị ngập nước sau mưa lớn kéo dài nhiều ngày, xe máy không đi được, đề nghị UBND xã sửa cống thoát nước."
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(b.Context(), text)
	}
}
