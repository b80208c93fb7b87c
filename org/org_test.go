package org_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/org"
)

func TestParseUnit(t *testing.T) {
	tests := []struct {
		in      string
		want    org.Unit
		wantErr string // a part of the error message
	}{
		{in: "79/MTTQ", want: org.Unit{Territory: "79", Org: org.MTTQ}},
		{in: "VN/MTTQ", want: org.Unit{Territory: "VN", Org: org.MTTQ}},
		{in: "vn/hnd", want: org.Unit{Territory: "VN", Org: org.HND}},
		{in: " 26740/ccb ", want: org.Unit{Territory: "26740", Org: org.CCB}},
		{in: "26740-001/DTN", want: org.Unit{Territory: "26740-001", Org: org.DTN}},
		{in: "26740-1234/HPN", want: org.Unit{Territory: "26740-1234", Org: org.HPN}},
		{in: "", wantErr: "empty"},
		{in: "79", wantErr: "no organisation"},
		{in: "79/", wantErr: "organisation is empty"},
		{in: "79/XYZ", wantErr: `unknown organisation "XYZ": want one of MTTQ, CD, HND, DTN, HPN, CCB`},
		{in: "7/MTTQ", wantErr: `territory "7" is not a code`},
		{in: "797/MTTQ", wantErr: `territory "797" is not a code`},
		{in: "26740-01/MTTQ", wantErr: `territory "26740-01" is not a code`},
		{in: "26740-abc/MTTQ", wantErr: `territory "26740-abc" is not a code`},
		{in: "/MTTQ", wantErr: `territory "" is not a code`},
		{in: "79/MTTQ/CD", wantErr: `more than one "/"`},
	}
	for _, tt := range tests {
		got, err := org.ParseUnit(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, org.ErrInvalid) {
				t.Errorf("ParseUnit(%q) = %v, %v; want an ErrInvalid error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseUnit(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, err := org.ParseUnit(got.String()); err != nil || back != got {
			t.Errorf("ParseUnit(%q.String()) = %v, %v", tt.in, back, err)
		}
	}
}

func TestLevelOf(t *testing.T) {
	for code, want := range map[string]org.Level{
		"VN": org.Central, "79": org.Province, "26740": org.Commune, "26740-001": org.Village,
	} {
		if got, err := org.LevelOf(code); err != nil || got != want {
			t.Errorf("LevelOf(%q) = %q, %v; want %q", code, got, err, want)
		}
	}
	for _, code := range []string{"", "vn", "7", "123", "2674a", "26740-", "26740-1", "26740-0000001", "x26740-001"} {
		if got, err := org.LevelOf(code); err == nil {
			t.Errorf("LevelOf(%q) = %q, want an error", code, got)
		}
	}
	if c, ok := org.VillageCommune("26740-007"); !ok || c != "26740" {
		t.Errorf("VillageCommune = %q, %v", c, ok)
	}
}

func TestOversees(t *testing.T) {
	for _, o := range org.Orgs {
		if !org.MTTQ.Oversees(o) || !o.Oversees(o) {
			t.Errorf("MTTQ and %s must oversee %s", o, o)
		}
		if o != org.MTTQ && (o.Oversees(org.MTTQ) || o.Oversees(org.CCB) && o != org.CCB) {
			t.Errorf("%s must oversee only itself", o)
		}
	}
}

func TestNameKey(t *testing.T) {
	same := [][]string{
		{"Hòa", "Hoà", "HOÀ", "hoà"},
		{"Tỉnh Khánh Hoà", "Tỉnh  Khánh Hòa", "tỉnh khánh hòa"},
		{"Thụy", "Thuỵ"},
		{"Xã Thủy", "Xã Thuỷ"},
		{"Quý", "Quí"},
		{"Kỳ Sơn", "Kì Sơn"},
		{"Hòa Bình", "Ho\u0300a Bi\u0300nh"}, // decomposed input
		{"Tổ dân phố 5", "Tổ-dân-phố 5"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if org.NameKey(s) != org.NameKey(group[0]) {
				t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want equal", s, org.NameKey(s), group[0], org.NameKey(group[0]))
			}
		}
	}
	// Names that corpus.Fold confuses stay apart: both are communes of
	// one province.
	different := [][2]string{
		{"Xã Tân Thành", "Xã Tân Thạnh"},
		{"Hòa", "Hóa"},
		{"Đông", "Dong"},
		{"Văn Lang", "Văn Lăng"},
	}
	for _, d := range different {
		if org.NameKey(d[0]) == org.NameKey(d[1]) {
			t.Errorf("NameKey(%q) = NameKey(%q) = %q; want different", d[0], d[1], org.NameKey(d[0]))
		}
	}
	if got := org.NameKey("Trung ương"); got != "trung ương" {
		t.Errorf("NameKey(Trung ương) = %q; the seed row of the migration says %q", got, "trung ương")
	}
}

func TestParseVillageKind(t *testing.T) {
	for in, want := range map[string]string{
		"thôn": "Thôn", "Thôn": "Thôn", "THON": "Thôn", "tổ dân phố": "Tổ dân phố", "to dan pho": "Tổ dân phố",
		"to-dan-pho": "Tổ dân phố", "  Ấp ": "Ấp", "ap": "Ấp", "khóm": "Khóm", "khoḿ": "Khóm", "bản": "Bản", "Plây": "Plei",
	} {
		if got, err := org.ParseVillageKind(in); err != nil || got != want {
			t.Errorf("ParseVillageKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "huyện", "thành phố"} {
		if got, err := org.ParseVillageKind(in); err == nil || !errors.Is(err, org.ErrInvalid) {
			t.Errorf("ParseVillageKind(%q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}
