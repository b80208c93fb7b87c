package corpus

import (
	"reflect"
	"slices"
	"testing"
)

func TestNumbersIn(t *testing.T) {
	for text, want := range map[string][]string{
		"Luật 91/2015/QH13 và Nghị định 01/VBHN-VPQH": {"91/2015/QH13", "01/VBHN-VPQH"},
		"điều 5 nghị định 123/2020/nđ-cp về hóa đơn":  {"123/2020/nđ-cp"},
		"từ ngày 01/7/2021":    {"01/7"},
		"không có số hiệu nào": nil,
	} {
		if got := NumbersIn(text, -1); !slices.Equal(got, want) {
			t.Errorf("NumbersIn(%q) = %q, want %q", text, got, want)
		}
	}
	if got := NumbersIn("1/2015/QH13 2/2016/QH14 3/2017/QH14 4/2018/QH14", 3); len(got) != 3 {
		t.Errorf("NumbersIn with n 3 = %q, want the first three", got)
	}
}

func TestParseReference(t *testing.T) {
	for text, want := range map[string]*Reference{
		"Điều 418 Bộ luật Hình sự":           {Article: "418", Law: "Bộ luật Hình sự"},
		"  dieu 5a, cua Luat Cu tru":         {Article: "5a", Law: "cua Luat Cu tru"},
		"ĐIỀU 12: Luật 91/2015/QH13":         {Article: "12", Law: "Luật 91/2015/QH13"},
		"Điều 12":                            nil, // no law named
		"Theo Điều 12 Luật Cư trú":           nil, // not at the start
		"Điều kiện đăng ký thường trú là gì": nil,
	} {
		got, ok := ParseReference(text)
		switch {
		case want == nil && ok:
			t.Errorf("ParseReference(%q) = %+v, want none", text, got)
		case want != nil && (!ok || got != *want):
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v", text, got, ok, *want)
		}
	}
	r, _ := ParseReference("Điều 5 của Luật Cư trú")
	if got := r.LawWords(); !slices.Equal(got, []string{"luat", "cu", "tru"}) {
		t.Errorf("LawWords of %+v = %q, want the law's words without the connective", r, got)
	}
	r, _ = ParseReference("Điều 5 theo")
	if got := r.LawWords(); len(got) != 0 {
		t.Errorf("LawWords of %+v = %q, want none", r, got)
	}
	r, _ = ParseReference("Điều 5 91/2015/QH13")
	if got := r.LawNumber(); got != NormalizeNumber("91/2015/QH13") {
		t.Errorf("LawNumber of %+v = %q", r, got)
	}
}

func TestParseLawName(t *testing.T) {
	n := ParseLawName([]string{"Luật Đất đai 2013", "", "45/2013/QH13", "Luật Đất"})
	want := LawName{
		Keys:    []string{"luat dat dai", NormalizeNumber("45/2013/QH13"), "luat dat"},
		Words:   map[string]bool{"luat": true, "dat": true, "dai": true},
		Phrases: []string{" luat dat dai ", " luat dat "},
		Years:   []int{2013},
	}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("ParseLawName = %+v, want %+v", n, want)
	}
}

func TestYearsIn(t *testing.T) {
	for s, want := range map[string][]int{
		"Theo Bộ luật Dân sự 2015, lợi tức là gì?": {2015},
		"91/2015/qh13":                           {2015},
		"luat dat dai 2013 va luat dat dai 2024": {2013, 2024},
		"phạt tiền 20000 đồng, 1944 hay 2100":    nil, // not a year a law carries
		"năm 2015 và năm 2015":                   {2015},
		"Điều 12":                                nil,
	} {
		if got := YearsIn(s); !slices.Equal(got, want) {
			t.Errorf("YearsIn(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLawYearsIn(t *testing.T) {
	for q, want := range map[string][]int{
		"Theo Bộ luật Dân sự 2015, lợi tức là gì?":                         {2015},
		"Bộ luật Dân sự năm 2015 quy định như thế nào về tài sản hiện có?": {2015},
		"theo luat dat dai nam 2024 thi sao":                               {2024},
		"Theo Hiến pháp năm 2013, công dân có quyền gì?":                   {2013},
		"Điều 5 Bộ luật 91/2015/QH13":                                      {2015},
		// Years that are not a law's.
		"Người sinh năm 2005 đã đủ tuổi kết hôn chưa?":                         nil,
		"Từ ngày 01/7/2021 Luật Cư trú có hiệu lực, sổ hộ khẩu dùng đến 2022?": nil,
		"Theo Luật Cư trú, năm 2023 tôi chuyển nhà thì đăng ký ở đâu?":         nil,
	} {
		if got := LawYearsIn(q); !slices.Equal(got, want) {
			t.Errorf("LawYearsIn(%q) = %v, want %v", q, got, want)
		}
	}
}
