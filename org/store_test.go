package org_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func newStore(t testing.TB, db *store.DB) *org.Store {
	t.Helper()
	s := org.NewStore(db)
	for range 2 { // a second run must change nothing
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func importFile(t testing.TB, s *org.Store, path string) org.ImportSummary {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, err := s.ImportTerritories(context.Background(), f)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return sum
}

func importString(t testing.TB, s *org.Store, csv string) (org.ImportSummary, error) {
	t.Helper()
	return s.ImportTerritories(context.Background(), strings.NewReader(csv))
}

// smallTree imports testdata/small.csv: Hà Nội (01: 00004, 00008), Khánh
// Hoà (56: 22366), Hồ Chí Minh (79: 25792, 26740, 26743).
func smallTree(t testing.TB, db *store.DB) *org.Store {
	t.Helper()
	s := newStore(t, db)
	importFile(t, s, filepath.Join("testdata", "small.csv"))
	return s
}

func countTerritories(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM org_territories`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportRealList(t *testing.T) {
	path := testenv.SharedPath(t, "data", "admin-units", "vn_admin_units_flat.csv")
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		first := importFile(t, s, path)
		want := org.ImportSummary{Provinces: 34, Communes: 3321, Added: 3355}
		if first != want {
			t.Fatalf("first import = %+v, want %+v", first, want)
		}
		second := importFile(t, s, path)
		want = org.ImportSummary{Provinces: 34, Communes: 3321, Unchanged: 3355}
		if second != want {
			t.Fatalf("second import = %+v, want %+v", second, want)
		}
		if got := second.String(); got != "34 provinces, 3321 communes (× 6 organisations): 0 added, 0 updated, 3355 unchanged" {
			t.Errorf("summary line = %q", got)
		}

		c, err := s.CountDescendants(ctx, org.CentralCode)
		if err != nil || c != (org.Counts{Provinces: 34, Communes: 3321}) {
			t.Fatalf("CountDescendants(VN) = %+v, %v", c, err)
		}
		kh, err := s.Territory(ctx, "56")
		if err != nil {
			t.Fatal(err)
		}
		if kh.Name != "Tỉnh Khánh Hoà" || kh.Level != org.Province || kh.Path != "VN/56/" || kh.FormerName != "" {
			t.Errorf("Territory(56) = %+v; the file's spelling is kept, and Khánh Hòa is not a former name", kh)
		}
		// The code of letter 1027 is kept where it differs.
		bc, err := s.Territory(ctx, "06978")
		if err != nil || bc.AltCode != "06970" || bc.ParentCode != "22" || bc.Path != "VN/22/06978/" {
			t.Errorf("Territory(06978) = %+v, %v", bc, err)
		}
		// Đồng Nai became a city: its former name is kept.
		dn, err := s.Territory(ctx, "75")
		if err != nil || dn.Name != "Thành phố Đồng Nai" || dn.FormerName != "Tỉnh Đồng Nai" {
			t.Errorf("Territory(75) = %+v, %v", dn, err)
		}
		// Both tone-mark styles find the province and its communes.
		for _, name := range []string{"Khánh Hòa", "Khánh Hoà", "tỉnh khánh hòa"} {
			got, err := s.Match(ctx, "VN", name)
			if err != nil || codes(got) != "56" {
				t.Errorf("Match(VN, %q) = %s, %v; want province 56", name, codes(got), err)
			}
			// Two communes share the name.
			got, err = s.Match(ctx, "", name)
			if err != nil || name != "tỉnh khánh hòa" && codes(got) != "04342 56 31789" {
				t.Errorf("Match(%q) = %s, %v; want 04342 56 31789", name, codes(got), err)
			}
		}
		got, err := s.Match(ctx, "79", "Xã Long Hòa")
		if err != nil || len(got) != 1 || got[0].Name != "Xã Long Hoà" {
			t.Errorf("Match(79, Xã Long Hòa) = %+v, %v", got, err)
		}
		// Search typed without diacritics.
		res, err := s.Search(ctx, "ba che", 10)
		if err != nil || len(res) == 0 || res[0].Code != "06978" {
			t.Errorf("Search(ba che) = %+v, %v", res, err)
		}
		if res, err := s.Search(ctx, "%", 10); err != nil || len(res) != 0 {
			t.Errorf("Search(%%) = %d results, %v; want none: %% is not a wildcard", len(res), err)
		}
		kids, err := s.Children(ctx, "79")
		if err != nil || len(kids) < 100 {
			t.Errorf("Children(79) = %d, %v", len(kids), err)
		}
	})
}

func TestImportRefusesBrokenFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStore(t, db)
		f, err := os.Open(filepath.Join("testdata", "broken.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sum, err := s.ImportTerritories(t.Context(), f)
		var ie *org.ImportError
		if !errors.As(err, &ie) || !errors.Is(err, org.ErrInvalid) {
			t.Fatalf("import broken.csv = %+v, %v; want an *ImportError", sum, err)
		}
		want := []org.RowProblem{
			{Line: 5, Field: "code", Message: `"2674" is not a commune code (5 digits, e.g. 26734)`},
			{Line: 6, Field: "parent_code", Message: "province 80 is not in the file"},
			{Line: 7, Field: "parent_name", Message: `"Thành phố Hải Phòng" is not the name of province 01, "Thành phố Hà Nội" (line 2)`},
		}
		if !reflect.DeepEqual(ie.Problems, want) {
			t.Errorf("problems =\n%+v\nwant\n%+v", ie.Problems, want)
		}
		if !strings.Contains(err.Error(), "line 5: code:") {
			t.Errorf("error %q does not name line 5", err)
		}
		if n := countTerritories(t, db); n != 1 {
			t.Errorf("%d territories after a refused import, want 1 (VN): nothing may be half-written", n)
		}
	})
}

func TestImportProblems(t *testing.T) {
	const header = "level,code,name,short_name,type,type_full,parent_code,parent_name\n"
	tests := []struct {
		name, csv, want string
	}{
		{"empty", "", "line 1: the file is empty"},
		{"no code column", "level,name,parent_code\nprovince,X,\n", `line 1: code: the header has no column "code"`},
		{"header only", header, "line 2: the file has a header but no rows"},
		{"bad level", header + "district,01,Hà Nội,,,,,\n", `line 2: level: "district" is neither province nor commune`},
		{"empty name", header + "province,01,,,,,,\n", "line 2: name: empty"},
		{"province with parent", header + "province,01,Hà Nội,,,,02,\n", `line 2: parent_code: a province has no parent, got "02"`},
		{"duplicate", header + "province,01,Hà Nội,,,,,\nprovince,01,Hà Nội,,,,,\n", "line 3: code: code 01 is also on line 2"},
		{"wrong field count", header + "province,01,Hà Nội\n", "line 2: wrong number of fields"},
		{"bad quote", header + "province,01,\"Hà Nội,,,,,,\n", "extraneous or missing \" in quoted-field"},
		{"bad utf-8", header + "province,01,H\xffNội,,,,,\n", "line 2: name: not valid UTF-8"},
		{"direction override", header + "province,01,Hà\u202eNội,,,,,\n", "line 2: name: Cột name chứa ký tự ẩn hoặc ký tự điều khiển hướng chữ (U+202E, ký tự thứ 3)"},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStore(t, db)
		for _, tt := range tests {
			_, err := importString(t, s, tt.csv)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, org.ErrInvalid) {
				t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
			}
		}
		if n := countTerritories(t, db); n != 1 {
			t.Errorf("%d territories, want 1", n)
		}
	})
}

func TestImportUpdates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		v, err := s.CreateVillage(ctx, "26743", "Một", "khu phố")
		if err != nil {
			t.Fatal(err)
		}
		orig, err := os.ReadFile(filepath.Join("testdata", "small.csv"))
		if err != nil {
			t.Fatal(err)
		}
		// A BOM, CRLF line ends, a name in the other tone-mark style and
		// Bến Thành moved to Khánh Hoà, without Ngọc Hà.
		var b strings.Builder
		b.WriteString("\uFEFF")
		for _, line := range strings.Split(strings.TrimSpace(string(orig)), "\n") {
			switch {
			case strings.HasPrefix(line, "commune,00008,"):
				continue
			case strings.HasPrefix(line, "commune,25792,"):
				line = strings.Replace(line, "Xã Long Hoà,Long Hoà", "Xã Long Hòa,Long Hòa", 1)
			case strings.HasPrefix(line, "commune,26743,"):
				line = strings.Replace(line, ",79,Thành phố Hồ Chí Minh,", ",56,Tỉnh Khánh Hoà,", 1)
			}
			b.WriteString(line + "\r\n")
		}
		sum, err := importString(t, s, b.String())
		if err != nil {
			t.Fatal(err)
		}
		want := org.ImportSummary{Provinces: 3, Communes: 5, Updated: 2, Unchanged: 6, Absent: 1}
		if sum != want {
			t.Errorf("import = %+v, want %+v", sum, want)
		}
		if !strings.Contains(sum.String(), "1 in the database but not in the file") {
			t.Errorf("summary %q does not say that one commune is absent", sum)
		}
		lh, _ := s.Territory(ctx, "25792")
		if lh.Name != "Xã Long Hòa" {
			t.Errorf("name = %q, want the file's spelling", lh.Name)
		}
		moved, err := s.Territory(ctx, v.Code)
		if err != nil || moved.Path != "VN/56/26743/"+v.Code+"/" {
			t.Errorf("village after its commune moved = %+v, %v", moved, err)
		}
		if in, err := s.Contains(ctx, org.UnitOf("56", org.MTTQ), moved.Unit(org.MTTQ)); err != nil || !in {
			t.Errorf("56/MTTQ contains the moved village: %v, %v", in, err)
		}
		if in, err := s.Contains(ctx, org.UnitOf("79", org.MTTQ), moved.Unit(org.MTTQ)); err != nil || in {
			t.Errorf("79/MTTQ still contains the moved village: %v, %v", in, err)
		}
		for _, code := range []string{"VN", "56", "79", "26743"} {
			checkCounts(t, s, code)
		}
		if _, err := s.Territory(ctx, "00008"); err != nil {
			t.Errorf("a commune absent from the file must stay: %v", err)
		}
		// And once more: nothing changes.
		if sum, err = importString(t, s, b.String()); err != nil || sum.Added+sum.Updated != 0 {
			t.Errorf("third import = %+v, %v", sum, err)
		}
	})
}

func TestVillages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)

		a, err := s.CreateVillage(ctx, "26740", "  Hòa   Bình ", "thôn")
		if err != nil {
			t.Fatal(err)
		}
		if a.Code != "26740-001" || a.Name != "Thôn Hòa Bình" || a.ShortName != "Hòa Bình" || a.Kind != "Thôn" ||
			a.Level != org.Village || a.ParentCode != "26740" || a.Path != "VN/79/26740/26740-001/" || a.Retired() {
			t.Errorf("created %+v", a)
		}
		// Typed with its kind, decomposed: the kind is not repeated.
		b, err := s.CreateVillage(ctx, "26740", "To\u0302\u0309 da\u0302n pho\u0302\u0301 5", "to dan pho")
		if err != nil {
			t.Fatal(err)
		}
		if b.Code != "26740-002" || b.Name != "Tổ dân phố 5" || b.ShortName != "5" {
			t.Errorf("created %+v", b)
		}
		// The same name in the other tone-mark style is a duplicate.
		if _, err := s.CreateVillage(ctx, "26740", "Thôn Hoà Bình", "Thôn"); !errors.Is(err, org.ErrDuplicate) {
			t.Errorf("create Thôn Hoà Bình again: %v, want ErrDuplicate", err)
		}
		// …but not in another commune.
		if _, err := s.CreateVillage(ctx, "26743", "Hoà Bình", "Thôn"); err != nil {
			t.Errorf("create Thôn Hoà Bình in 26743: %v", err)
		}
		for _, tt := range []struct{ commune, name, kind string }{
			{"26740", "", "thôn"},
			{"26740", "   ", "thôn"},
			{"26740", "Hòa Bình", "huyện"},
			{"26740", strings.Repeat("a", org.MaxNameLen+1), "thôn"},
			{"26740", "A\x00B", "thôn"},
			{"26740", "Hòa\u202eBình", "thôn"},
			{"26740", "Hòa\u200bBình", "thôn"},
			{"26740", "Hòa\xffBình", "thôn"},
			{"79", "Hòa Bình", "thôn"},
			{"26740-001", "Hòa Bình", "thôn"},
			{"xyz", "Hòa Bình", "thôn"},
		} {
			if _, err := s.CreateVillage(ctx, tt.commune, tt.name, tt.kind); !errors.Is(err, org.ErrInvalid) {
				t.Errorf("CreateVillage(%q, %q, %q) = %v, want ErrInvalid", tt.commune, tt.name, tt.kind, err)
			}
		}
		if _, err := s.CreateVillage(ctx, "99999", "Hòa Bình", "thôn"); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("create in unknown commune: %v, want ErrNotFound", err)
		}

		// Rename: to a name taken is refused, to a new one works, and the
		// kind stays unless given.
		if _, err := s.RenameVillage(ctx, b.Code, "hòa bình", "Thôn"); !errors.Is(err, org.ErrDuplicate) {
			t.Errorf("rename onto Hòa Bình: %v, want ErrDuplicate", err)
		}
		r, err := s.RenameVillage(ctx, b.Code, "6", "")
		if err != nil || r.Name != "Tổ dân phố 6" || r.Code != b.Code || r.Kind != "Tổ dân phố" {
			t.Errorf("rename = %+v, %v", r, err)
		}
		// A village can take its own name in another style.
		if r, err := s.RenameVillage(ctx, a.Code, "Hoà Bình", ""); err != nil || r.Name != "Thôn Hoà Bình" {
			t.Errorf("rename to own name restyled = %+v, %v", r, err)
		}
		if _, err := s.RenameVillage(ctx, "26740-999", "X", ""); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("rename unknown: %v", err)
		}
		if _, err := s.RenameVillage(ctx, "26740", "X", ""); !errors.Is(err, org.ErrInvalid) {
			t.Errorf("rename a commune: %v", err)
		}

		// Retire: out of the active lists, kept for history, its name free.
		ret, err := s.RetireVillage(ctx, a.Code)
		if err != nil || !ret.Retired() {
			t.Fatalf("retire = %+v, %v", ret, err)
		}
		again, err := s.RetireVillage(ctx, a.Code)
		if err != nil || !again.RetiredAt.Equal(*ret.RetiredAt) {
			t.Errorf("retire again = %+v, %v; want unchanged", again, err)
		}
		if _, err := s.RenameVillage(ctx, a.Code, "Khác", ""); !errors.Is(err, org.ErrRetired) {
			t.Errorf("rename retired: %v, want ErrRetired", err)
		}
		active, _ := s.Villages(ctx, "26740", false)
		all, _ := s.Villages(ctx, "26740", true)
		kids, _ := s.Children(ctx, "26740")
		if codes(active) != "26740-002" || codes(all) != "26740-001 26740-002" || codes(kids) != "26740-002" {
			t.Errorf("active %s, all %s, children %s", codes(active), codes(all), codes(kids))
		}
		if got, err := s.Territory(ctx, a.Code); err != nil || !got.Retired() {
			t.Errorf("a retired village is still readable: %+v, %v", got, err)
		}
		c, err := s.CreateVillage(ctx, "26740", "Hòa Bình", "thôn")
		if err != nil || c.Code != "26740-003" {
			t.Errorf("re-create after retire = %+v, %v; want a new number, never the retired one's", c, err)
		}
		if _, err := s.Villages(ctx, "79", false); !errors.Is(err, org.ErrInvalid) {
			t.Errorf("Villages(79): %v", err)
		}

		counts, err := s.CountDescendants(ctx, "79")
		if err != nil || counts != (org.Counts{Communes: 3, Villages: 3}) {
			t.Errorf("CountDescendants(79) = %+v, %v", counts, err)
		}
	})
}

func codes(ts []org.Territory) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Code)
	}
	return strings.Join(out, " ")
}

func TestTreeQueries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		v1, _ := s.CreateVillage(ctx, "26740", "1", "khu phố")
		v2, _ := s.CreateVillage(ctx, "26740", "2", "khu phố")
		s.CreateVillage(ctx, "00004", "1", "tổ dân phố")

		anc, err := s.Ancestors(ctx, v1.Code)
		if err != nil || codes(anc) != "VN 79 26740" {
			t.Errorf("Ancestors(%s) = %s, %v", v1.Code, codes(anc), err)
		}
		if anc, err := s.Ancestors(ctx, "VN"); err != nil || len(anc) != 0 {
			t.Errorf("Ancestors(VN) = %s, %v", codes(anc), err)
		}
		if _, err := s.Ancestors(ctx, "98"); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("Ancestors(98): %v", err)
		}
		kids, err := s.Children(ctx, "VN")
		if err != nil || codes(kids) != "01 56 79" {
			t.Errorf("Children(VN) = %s, %v", codes(kids), err)
		}
		d, err := s.Descendants(ctx, "79", "")
		if err != nil || codes(d) != "25792 26740 26740-001 26740-002 26743" {
			t.Errorf("Descendants(79) = %s, %v", codes(d), err)
		}
		d, err = s.Descendants(ctx, "VN", org.Village)
		if err != nil || codes(d) != "00004-001 26740-001 26740-002" {
			t.Errorf("Descendants(VN, village) = %s, %v", codes(d), err)
		}
		if _, err := s.RetireVillage(ctx, v2.Code); err != nil {
			t.Fatal(err)
		}
		d, err = s.Descendants(ctx, "26740", "")
		if err != nil || codes(d) != "26740-001" {
			t.Errorf("Descendants(26740) = %s, %v", codes(d), err)
		}
		for _, code := range []string{"VN", "79", "01", "26740", "00004", "26743", v1.Code} {
			checkCounts(t, s, code)
		}
	})
}

// checkCounts compares CountDescendants, which reads the communes'
// village counters, with a count of Descendants.
func checkCounts(t *testing.T, s *org.Store, code string) {
	t.Helper()
	d, err := s.Descendants(t.Context(), code, "")
	if err != nil {
		t.Fatal(err)
	}
	var want org.Counts
	for _, x := range d {
		switch x.Level {
		case org.Province:
			want.Provinces++
		case org.Commune:
			want.Communes++
		case org.Village:
			want.Villages++
		}
	}
	if got, err := s.CountDescendants(t.Context(), code); err != nil || got != want {
		t.Errorf("CountDescendants(%s) = %+v, %v; Descendants has %+v", code, got, err, want)
	}
}

func TestContains(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		v, _ := s.CreateVillage(ctx, "26740", "Một", "khu phố")     // 26740-001
		other, _ := s.CreateVillage(ctx, "26743", "Một", "khu phố") // 26743-001
		gone, _ := s.CreateVillage(ctx, "26740", "Hai", "khu phố")  // 26740-002
		if _, err := s.RetireVillage(ctx, gone.Code); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			a, b string
			want bool
		}{
			// same
			{"26740/MTTQ", "26740/MTTQ", true},
			{"26740/HND", "26740/HND", true},
			{"VN/MTTQ", "VN/MTTQ", true},
			// ancestor contains descendant
			{"79/HND", "26740/HND", true},
			{"79/HND", v.Code + "/HND", true},
			{"26740/CD", v.Code + "/CD", true},
			{"VN/DTN", v.Code + "/DTN", true},
			{"26740/MTTQ", gone.Code + "/MTTQ", true}, // retired villages stay in the tree
			// descendant does not contain ancestor
			{"26740/MTTQ", "79/MTTQ", false},
			{v.Code + "/MTTQ", "26740/MTTQ", false},
			{"79/MTTQ", "VN/MTTQ", false},
			// sibling
			{"26740/MTTQ", "26743/MTTQ", false},
			{v.Code + "/MTTQ", other.Code + "/MTTQ", false},
			{"26740/MTTQ", other.Code + "/MTTQ", false},
			// other province
			{"01/MTTQ", "26740/MTTQ", false},
			{"56/HPN", v.Code + "/HPN", false},
			{"00004/MTTQ", "26740/MTTQ", false},
			// other organisation
			{"26740/HND", "26740/CD", false},
			{"79/HND", "26740/CCB", false},
			{"VN/HPN", v.Code + "/DTN", false},
			{"26740/CD", "26740/MTTQ", false}, // members do not contain the Front
			{"79/DTN", "26740/MTTQ", false},
			// the Front oversees its members at and below its level
			{"26740/MTTQ", "26740/HND", true},
			{"79/MTTQ", "26740/CCB", true},
			{"VN/MTTQ", v.Code + "/HPN", true},
			{"26740/MTTQ", v.Code + "/DTN", true},
			// …but not elsewhere
			{"26740/MTTQ", "26743/HND", false},
			{"01/MTTQ", "26740/CD", false},
			{v.Code + "/MTTQ", "26740/HND", false},
		}
		for _, tt := range tests {
			a, err := org.ParseUnit(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := org.ParseUnit(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Contains(ctx, a, b)
			if err != nil || got != tt.want {
				t.Errorf("Contains(%s, %s) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
			}
		}
		// An unknown target is an error; an unknown container contains
		// nothing.
		if _, err := s.Contains(ctx, org.UnitOf("79", org.MTTQ), org.UnitOf("79999", org.MTTQ)); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("Contains(unknown b): %v, want ErrNotFound", err)
		}
		if got, err := s.Contains(ctx, org.UnitOf("98", org.MTTQ), org.UnitOf("26740", org.MTTQ)); err != nil || got {
			t.Errorf("Contains(unknown a) = %v, %v", got, err)
		}
		for _, bad := range [][2]org.Unit{
			{{Territory: "79", Org: "X"}, org.UnitOf("26740", org.MTTQ)},
			{org.UnitOf("79", org.MTTQ), {Territory: "7", Org: org.MTTQ}},
			{{}, org.UnitOf("26740", org.MTTQ)},
		} {
			if _, err := s.Contains(ctx, bad[0], bad[1]); !errors.Is(err, org.ErrInvalid) {
				t.Errorf("Contains(%v, %v): %v, want ErrInvalid", bad[0], bad[1], err)
			}
		}

		// Containers lists exactly the units that Contains says contain
		// a unit, the unit itself first.
		var all []org.Unit
		for _, code := range []string{"VN", "79", "01", "26740", "26743", "00004", v.Code, other.Code, gone.Code} {
			all = append(all, org.Units(code)...)
		}
		for _, b := range all {
			got, err := s.Containers(ctx, b)
			if err != nil {
				t.Fatalf("Containers(%s): %v", b, err)
			}
			var want []string
			for _, a := range all {
				if in, err := s.Contains(ctx, a, b); err != nil {
					t.Fatal(err)
				} else if in {
					want = append(want, a.String())
				}
			}
			var gotIDs []string
			for _, u := range got {
				gotIDs = append(gotIDs, u.String())
			}
			if len(got) == 0 || got[0] != b {
				t.Errorf("Containers(%s) = %v: want %s first", b, gotIDs, b)
			}
			slices.Sort(want)
			slices.Sort(gotIDs)
			if !slices.Equal(gotIDs, want) {
				t.Errorf("Containers(%s) = %v, want %v", b, gotIDs, want)
			}
		}
		if _, err := s.Containers(ctx, org.UnitOf("79999", org.MTTQ)); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("Containers(unknown): %v, want ErrNotFound", err)
		}
		if ids, err := (org.IDs{Store: s}).Containers(ctx, v.Code+"/HND"); err != nil ||
			strings.Join(ids, " ") != v.Code+"/HND "+v.Code+"/MTTQ 26740/HND 26740/MTTQ 79/HND 79/MTTQ VN/HND VN/MTTQ" {
			t.Errorf("IDs.Containers(%s/HND) = %v, %v", v.Code, ids, err)
		}
	})
}

// Villages created at once in one commune get distinct numbers, and of
// several with one name exactly one is created.
func TestVillagesConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		const n = 8
		type result struct {
			v   org.Territory
			err error
		}
		run := func(name func(i int) string) []result {
			out := make([]result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					v, err := s.CreateVillage(ctx, "26740", name(i), "thôn")
					out[i] = result{v, err}
				})
			}
			wg.Wait()
			return out
		}
		seen := map[string]bool{}
		for _, r := range run(func(i int) string { return fmt.Sprintf("Số %d", i) }) {
			if r.err != nil || seen[r.v.Code] {
				t.Errorf("create: %+v, %v", r.v, r.err)
			}
			seen[r.v.Code] = true
		}
		var created, dup int
		for _, r := range run(func(i int) string { return []string{"Hòa Bình", "Hoà Bình"}[i%2] }) {
			switch {
			case r.err == nil:
				created++
			case errors.Is(r.err, org.ErrDuplicate):
				dup++
			default:
				t.Errorf("create Hòa Bình: %v", r.err)
			}
		}
		if created != 1 || dup != n-1 {
			t.Errorf("%d created, %d duplicates; want 1 and %d", created, dup, n-1)
		}
		checkCounts(t, s, "26740")
	})
}
