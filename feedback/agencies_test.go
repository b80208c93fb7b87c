package feedback_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/org"
)

func unit(t *testing.T, s string) org.Unit {
	t.Helper()
	u, err := org.ParseUnit(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The default directory names each level's agencies with the receiving
// unit's territory; a file replaces the levels it gives and adds a
// territory's own agencies to items received there.
func TestAgencies(t *testing.T) {
	def := feedback.DefaultAgencies()
	commune := def.For(unit(t, "26734/MTTQ"), "Phường Sài Gòn")
	for _, want := range []string{"Ủy ban nhân dân Phường Sài Gòn", "Công an Phường Sài Gòn", "Trạm Y tế Phường Sài Gòn"} {
		if !slices.Contains(commune, want) {
			t.Errorf("the commune's agencies lack %q: %v", want, commune)
		}
	}
	province := def.For(unit(t, "79/MTTQ"), "Thành phố Hồ Chí Minh")
	for _, want := range []string{"Ủy ban nhân dân Thành phố Hồ Chí Minh", "Công an Thành phố Hồ Chí Minh", "Thanh tra Thành phố Hồ Chí Minh", "Sở Xây dựng (xây dựng, giao thông)"} {
		if !slices.Contains(province, want) {
			t.Errorf("the province's agencies lack %q: %v", want, province)
		}
	}
	if central := def.For(unit(t, "VN/MTTQ"), "Trung ương"); !slices.Contains(central, "Thanh tra Chính phủ") || slices.Contains(central, "Sở Y tế") {
		t.Errorf("the centre's agencies %v", central)
	}
	// A village's units count with the commune's level.
	if v := def.For(unit(t, "26734-001/MTTQ"), "Khu phố Hòa Bình"); !slices.Contains(v, "Công an Khu phố Hòa Bình") {
		t.Errorf("a village's agencies %v", v)
	}
	for _, list := range [][]string{commune, province} {
		for _, n := range list {
			if strings.ContainsAny(n, "{}") {
				t.Errorf("placeholder left in %q", n)
			}
		}
	}

	a, err := feedback.LoadAgencies("testdata/agencies.json")
	if err != nil {
		t.Fatal(err)
	}
	got := a.For(unit(t, "26734/MTTQ"), "Phường Sài Gòn")
	want := []string{"Ủy ban nhân dân Phường Sài Gòn", "Công an Phường Sài Gòn", "Ban Quản lý các chợ", "Ban Quản lý chợ Bến Thành", "Công ty Điện lực Sài Gòn"}
	if !slices.Equal(got, want) {
		t.Errorf("configured commune agencies %v, want %v", got, want)
	}
	if got := a.For(unit(t, "26743/MTTQ"), "Phường Bến Thành"); slices.Contains(got, "Ban Quản lý chợ Bến Thành") || len(got) != 3 {
		t.Errorf("another commune gets 26734's own: %v", got)
	}
	if got := a.For(unit(t, "79/MTTQ"), "TP"); !slices.Contains(got, "Sở Giao thông công chính") || !slices.Contains(got, "Sở Y tế") {
		t.Errorf("the province keeps its defaults and adds its own: %v", got)
	}
}

// Resolve takes a directory name as typed on a phone, or another agency
// named as such.
func TestResolveAgency(t *testing.T) {
	list := []string{"Ủy ban nhân dân Phường Sài Gòn", "Công an Phường Sài Gòn"}
	for _, c := range []struct {
		typed, want string
		ok          bool
	}{
		{"Ủy ban nhân dân Phường Sài Gòn", "Ủy ban nhân dân Phường Sài Gòn", true},
		{"uy ban nhan dan phuong  sai gon", "Ủy ban nhân dân Phường Sài Gòn", true},
		{"CÔNG AN PHƯỜNG SÀI GÒN", "Công an Phường Sài Gòn", true},
		{"Công an Phường Bến Thành", "", false},
		{"Khác: Công ty Điện lực Sài Gòn", "Khác: Công ty Điện lực Sài Gòn", true},
		{"khac:   Ban quản lý   dự án", "Khác: Ban quản lý dự án", true},
		{"Khác:", "", false},
		{"Khác: x", "", false},
		{"Khác: Công\u202eTy", "", false},
		{"Khác: " + strings.Repeat("a", feedback.MaxAgency+1), "", false},
		{"", "", false},
	} {
		got, ok := feedback.Resolve(list, c.typed)
		if got != c.want || ok != c.ok {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", c.typed, got, ok, c.want, c.ok)
		}
	}
}

// A directory file is read strictly, its errors named.
func TestParseAgenciesRefuses(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{`{"levels":{"ward":["A"]}}`, `"ward"`},
		{`{"levels":{"commune":[""]}}`, "levels.commune[0]: empty"},
		{`{"levels":{"commune":["UBND {xa}"]}}`, "{dia_ban}"},
		{`{"levels":{"commune":["Công an","cong an"]}}`, "listed twice"},
		{`{"levels":{"commune":["Khác: X"]}}`, "prefix"},
		{`{"territories":{"7":["A"]}}`, `"7" is not a territory code`},
		{`{"agencies":[]}`, "unknown field"},
		{`{"levels":{}} {}`, "more than one"},
		{`{"levels":{"commune":["` + strings.Repeat("a", feedback.MaxAgency+1) + `"]}}`, "at most"},
	} {
		_, err := feedback.ParseAgencies(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.file, err, c.want)
		}
	}
}
