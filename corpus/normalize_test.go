package corpus

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Đăng ký khai sinh":   "dang ky khai sinh",
		"ĐẤT ĐAI":             "dat dai",
		"Căn cước công dân":   "can cuoc cong dan",
		"hoà giải / hòa giải": "hoa giai / hoa giai",
		"Thủy lợi, thuỷ lợi":  "thuy loi, thuy loi",
		"91/2015/QH13":        "91/2015/qh13",
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenize(t *testing.T) {
	// Decomposed input (NFD) folds the same as composed.
	nfd := "Tu\u031b\u0309 sy\u0303"
	cases := []struct {
		in   string
		want []string
	}{
		{"Tội chiếm đoạt di vật của tử sỹ", []string{"toi", "chiem", "doat", "di", "vat", "cua", "tu", "si"}},
		{"chiem doat di vat cua tu si", []string{"chiem", "doat", "di", "vat", "cua", "tu", "si"}},
		{nfd, []string{"tu", "si"}},
		{"kỹ thuật, kĩ năng; lý do, lí lẽ", []string{"ki", "thuat", "ki", "nang", "li", "do", "li", "le"}},
		{"quý, quí, quyết, tuy, hay, ấy", []string{"quy", "quy", "quyet", "tuy", "hay", "ay"}},
		{"Điều 418. 91/2015/QH13", []string{"dieu", "418", "91", "2015", "qh13"}},
		{"  ", []string{}},
	}
	for _, c := range cases {
		if got := Terms(c.in); !reflect.DeepEqual(got, c.want) && len(got)+len(c.want) > 0 {
			t.Errorf("Terms(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Spans point into the original text, diacritics and all.
	s := "Đất đai, nhà ở"
	toks := Tokenize(s)
	if len(toks) != 4 || s[toks[0].Start:toks[0].End] != "Đất" || s[toks[3].Start:toks[3].End] != "ở" {
		t.Errorf("Tokenize(%q) spans = %+v", s, toks)
	}
}

func TestBigrams(t *testing.T) {
	got := Bigrams([]string{"dang", "ky", "khai", "sinh"})
	want := []string{"dang_ky", "ky_khai", "khai_sinh"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Bigrams = %q, want %q", got, want)
	}
	if Bigrams([]string{"x"}) != nil {
		t.Error("one term has no bigram")
	}
}

func TestNormalizeNumber(t *testing.T) {
	for _, in := range []string{"91/2015/QH13", "91/2015/qh13", " 91 / 2015 / QH13 "} {
		if got := NormalizeNumber(in); got != "91/2015/QH13" {
			t.Errorf("NormalizeNumber(%q) = %q", in, got)
		}
	}
	if got := NormalizeNumber("01/VBHN–VPQH"); got != "01/VBHN-VPQH" {
		t.Errorf("dash variants: %q", got)
	}
}

func TestIdentity(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"91/2015/QH13", true}, {"01/VBHN-VPQH", true}, {"163/QĐ-BTP", true},
		{"Luật Cư trú 2020", false}, {"Bộ luật dân sự", false}, {"2015", false},
	}
	for _, c := range cases {
		if got := LooksLikeNumber(c.in); got != c.want {
			t.Errorf("LooksLikeNumber(%q) = %v", c.in, got)
		}
	}
	if a, b := TitleKey("Bộ Luật Dân sự 2015"), TitleKey("Bộ luật dân sự"); a != b {
		t.Errorf("TitleKey: %q != %q", a, b)
	}
	if got := LawID("91/2015/QH13", "Bộ luật Dân sự 2015"); got != "91-2015-qh13" {
		t.Errorf("LawID = %q", got)
	}
	if got := LawID("", "Luật Cư trú 2020"); got != "luat-cu-tru-2020" {
		t.Errorf("LawID = %q", got)
	}
}

func TestPassages(t *testing.T) {
	long := "Các trường hợp\n\nCác trường hợp sau đây được miễn:\n\n"
	for i := 1; i <= 12; i++ {
		long += itoa(i) + ". " + repeat("Người có quyền yêu cầu theo quy định của pháp luật. ", 6) + "\n\n"
	}
	d := &Document{ID: "luat-a", Kind: KindLaw, Title: "Luật A 2020", Number: "1/2020/QH14", Aliases: []string{"Luật A"},
		Nodes: []Node{
			{Kind: NodeChuong, Label: "I", Heading: "NHỮNG QUY ĐỊNH CHUNG", Anchor: "chuong-i", Children: []Node{
				ParseArticle("1", "Phạm vi\n\nLuật này quy định.\n\n1. Khoản một.\n\n2. Khoản hai:\n\na) Điểm a;\n\nb) Điểm b."),
				ParseArticle("2", long),
			}},
		}}
	ps := Passages(d)
	if ps[0].ID != "luat-a#dieu-1" || ps[0].Heading != "Điều 1. Phạm vi" {
		t.Errorf("first passage = %+v", ps[0])
	}
	if want := "Luật này quy định.\n1. Khoản một.\n2. Khoản hai:\na) Điểm a;\nb) Điểm b."; ps[0].Text != want {
		t.Errorf("article text = %q, want %q", ps[0].Text, want)
	}
	if !contains(ps[0].Context, "Chương I. NHỮNG QUY ĐỊNH CHUNG") || !contains(ps[0].Context, "1/2020/QH14") {
		t.Errorf("context lacks the chapter or number: %q", ps[0].Context)
	}
	// The long article is cut into its lead-in and its twelve clauses.
	if len(ps) != 1+1+12 || ps[2].Anchor != "dieu-2/khoan-1" {
		t.Errorf("long article passages: %d, second %q", len(ps), ps[2].Anchor)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// Fold and Tone look runes up in a table; they must give what their
// definitions (decompose the whole string, then drop or find marks) give,
// for every code point and for text that mixes composed and decomposed
// letters.
func TestFoldAndToneMatchTheirDefinitions(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		s := string(r)
		if got, want := Fold(s), foldNFD(s); got != want {
			t.Fatalf("Fold(%U) = %q, by definition %q", r, got, want)
		}
		if got, want := Tone(s), toneNFD(s); got != want {
			t.Fatalf("Tone(%U) = %U, by definition %U", r, got, want)
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"Đăng ký khai sinh", "HOÀ GIẢI", "Tu\u031b\u0309 sy\u0303", "ự", "u\u0323\u031b", "o\u0301\u0323",
		"Ǆ ǅ İ ẞ Ω", "\xff\xfeabc", "91/2015/QH13", "", "ĐIỀU 418. Tội", "khuyến khích; hủy/huỷ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Fold(s), foldNFD(s); got != want {
			t.Errorf("Fold(%q) = %q, by definition %q", s, got, want)
		}
		if got, want := Tone(s), toneNFD(s); got != want {
			t.Errorf("Tone(%q) = %U, by definition %U", s, got, want)
		}
	})
}

// tokenizeRef is Tokenize by its definition: runs of letters, digits and
// combining marks, each folded by FoldSyllable.
func tokenizeRef(s string) []Token {
	var toks []Token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			if t := FoldSyllable(s[start:end]); t != "" {
				toks = append(toks, Token{Term: t, Start: start, End: end})
			}
		}
		start = -1
	}
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
		} else {
			flush(i)
		}
	}
	flush(len(s))
	return toks
}

// Tokenize folds ASCII words in place and remembers the others; both
// ways must give what the definition gives, the first time and from the
// memo.
func TestTokenizeMatchesItsDefinition(t *testing.T) {
	texts := []string{
		"", "a", "Điều 418. Tội chiếm đoạt di vật của tử sỹ", "QUÍ KỸ SỸ quy y Lý",
		"e\u0301 combining marks \u0301\u0300 alone", "91/2015/QH13, ½ ① ٣ x²", "ĐĂNG KÝ THƯỜNG TRÚ; đ Đ ð Ð",
		"tab\tnew\nline…“quoted”", "QUI tu sy Ky", "\xff\xfe broken utf-8 \xc3", "Hồ sơ đăng ký thường trú gồm:\na) Tờ khai thay đổi thông tin cư trú;",
	}
	for _, s := range texts {
		for range 2 {
			if got, want := Tokenize(s), tokenizeRef(s); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
				t.Errorf("%q:\n got %v\nwant %v", s, got, want)
			}
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Đăng ký khai sinh", "Tu\u031b\u0309 sy\u0303 QUI", "\xff\xfeabc Ω ٣", "91/2015/QH13"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Tokenize(s), tokenizeRef(s); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
			t.Errorf("%q:\n got %v\nwant %v", s, got, want)
		}
	})
}

func BenchmarkTokenize(b *testing.B) {
	s := strings.Repeat("Điều 21. Hồ sơ đăng ký thường trú. Người đăng ký thường trú nộp tờ khai thay đổi thông tin cư trú (CT01), giấy tờ chứng minh chỗ ở hợp pháp. ", 200)
	b.Run("Tokenize", func(b *testing.B) {
		for b.Loop() {
			Tokenize(s)
		}
	})
	b.Run("definition", func(b *testing.B) {
		for b.Loop() {
			tokenizeRef(s)
		}
	})
}
