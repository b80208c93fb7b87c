package org_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func TestStaffStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		u := org.UnitOf("26740", org.MTTQ)

		l, err := s.Staff(ctx, u)
		if err != nil || l.Version != 0 || len(l.People) != 0 || l.People == nil {
			t.Fatalf("new list: %+v, %v", l, err)
		}
		people := []org.Person{
			{Name: "  Nguyễn  Văn An ", Position: "Phó Chủ tịch", FullTime: true, Committee: true, Phone: "0912 000 111"},
			{Name: "Trần Thị Bình", Position: "Chủ tịch", FullTime: true, Committee: true, Executive: true, Phone: "+84 912 345 678", Email: "binh@mttq.vn"},
			{Name: "Lê Văn Cường", Position: "Ủy viên", Committee: true},
		}
		l, ch, err := s.SaveStaff(ctx, u, people, 0, "a@mttq.vn")
		if err != nil {
			t.Fatal(err)
		}
		if l.Version != 1 || ch.Added != 3 || ch.After != 3 || l.People[0].Name != "Nguyễn Văn An" {
			t.Errorf("first save: %+v %+v", l, ch)
		}
		if c := l.Counts(); c != (org.StaffCounts{FullTime: 2, Committee: 3, Executive: 1}) {
			t.Errorf("counts %+v", c)
		}
		got, err := s.Staff(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.People, l.People) || got.Version != 1 || got.UpdatedBy != "a@mttq.vn" {
			t.Errorf("read back %+v, saved %+v", got, l)
		}

		// Stale versions are refused; -1 replaces whatever is there.
		if _, _, err := s.SaveStaff(ctx, u, people[:1], 0, "b"); !errors.Is(err, org.ErrConflict) {
			t.Errorf("stale: %v", err)
		}
		l, ch, err = s.SaveStaff(ctx, u, append(got.People[1:], org.Person{Name: "Phạm Thị Dung"}), -1, "b")
		if err != nil || l.Version != 2 || ch.Added != 1 || ch.Removed != 1 || ch.Before != 3 || ch.After != 3 {
			t.Errorf("replace: %+v %+v %v", l, ch, err)
		}
		// The same list again: nothing written.
		if l2, ch, err := s.SaveStaff(ctx, u, l.People, 2, "c"); err != nil || !ch.NothingToChange || l2.Version != 2 {
			t.Errorf("unchanged: %+v %+v %v", l2, ch, err)
		}

		for _, bad := range []struct {
			p     org.Person
			field string
		}{
			{org.Person{Name: ""}, "name"},
			{org.Person{Name: "A", Phone: "0912"}, "phone"},
			{org.Person{Name: "A", Phone: "09a12345678"}, "phone"},
			{org.Person{Name: "A", Email: "not an address"}, "email"},
			{org.Person{Name: "A", Email: "A <a@b.vn>"}, "email"},
			{org.Person{Name: strings.Repeat("x", org.MaxPersonText+1)}, "name"},
			{org.Person{Name: "A", Note: "x\x1b[31m"}, "note"},
		} {
			_, _, err := s.SaveStaff(ctx, u, []org.Person{{Name: "B"}, bad.p}, -1, "x")
			if !errors.Is(err, org.ErrInvalid) || !strings.Contains(err.Error(), "people[1]."+bad.field) {
				t.Errorf("%+v: %v, want ErrInvalid naming people[1].%s", bad.p, err, bad.field)
			}
		}
		if got, _ := s.Staff(ctx, u); got.Version != 2 {
			t.Errorf("a refused save changed the list: version %d", got.Version)
		}
	})
}

func TestContacts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		save := func(u org.Unit, people ...org.Person) {
			t.Helper()
			if _, _, err := s.SaveStaff(ctx, u, people, -1, "x"); err != nil {
				t.Fatal(err)
			}
		}
		chair := org.UnitOf("26740", org.MTTQ)
		save(chair,
			org.Person{Name: "Phó", Position: "Phó Chủ tịch", FullTime: true, Phone: "0911111111"},
			org.Person{Name: "Chủ tịch", Position: "Chủ tịch Ủy ban MTTQ", FullTime: true, Phone: "0922222222"})
		fullTime := org.UnitOf("26740", org.DTN)
		save(fullTime,
			org.Person{Name: "Bí thư không số", Position: "Bí thư"},
			org.Person{Name: "Không chuyên trách", Position: "Ủy viên", Phone: "0933333333"},
			org.Person{Name: "Chuyên trách", Position: "Cán bộ", FullTime: true, Phone: "0944444444"})
		headOnly := org.UnitOf("26743", org.MTTQ)
		save(headOnly, org.Person{Name: "Trưởng", Position: "Trưởng ban"})
		nobody := org.UnitOf("26743", org.HND)
		save(nobody, org.Person{Name: "Ai đó", Position: "Ủy viên"})
		// A list of a unit not asked about.
		save(org.UnitOf("26740", org.HND), org.Person{Name: "Không hỏi", Position: "Chủ tịch", Phone: "0955555555"})

		got, err := s.Contacts(ctx, []org.Unit{chair, fullTime, headOnly, nobody, org.UnitOf("00004", org.MTTQ), {Territory: "x", Org: "y"}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[org.Unit]string{chair: "Chủ tịch", fullTime: "Chuyên trách", headOnly: "Trưởng"}
		names := map[org.Unit]string{}
		for u, c := range got {
			names[u] = c.Name
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("contacts %v, want %v", names, want)
		}
		if got[chair].Phone != "0922222222" {
			t.Errorf("chair's phone %q", got[chair].Phone)
		}
	})
}

func TestImportVillagesStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		if _, err := s.CreateVillage(ctx, "26740", "Hòa Bình", "Thôn"); err != nil {
			t.Fatal(err)
		}
		// One bad row: nothing is created.
		_, probs, err := s.ImportVillages(ctx, "26740", []org.VillageRow{
			{Line: 2, Name: "An Phú", Kind: "Ấp"},
			{Line: 3, Name: "Hoà Bình", Kind: "thôn"}, // an existing village's name
			{Line: 4, Name: "Tổ 5", Kind: "huyện"},    // no such kind
			{Line: 5, Name: "an phú", Kind: "ấp"},     // the same as line 2
			{Line: 6, Name: "", Kind: "thôn"},         // no name
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range probs {
			got = append(got, p.Column+"@"+string(rune('0'+p.Row)))
		}
		if want := []string{"name@3", "kind@4", "name@5", "name@6"}; !reflect.DeepEqual(got, want) {
			t.Errorf("problems %v, want %v (%+v)", got, want, probs)
		}
		if vs, _ := s.Villages(ctx, "26740", true); len(vs) != 1 {
			t.Errorf("%d villages after a refused import, want 1", len(vs))
		}
		created, probs, err := s.ImportVillages(ctx, "26740", []org.VillageRow{
			{Line: 2, Name: "An Phú", Kind: "Ấp"}, {Line: 3, Name: "Tổ dân phố 5", Kind: "Tổ dân phố"},
		})
		if err != nil || len(probs) > 0 {
			t.Fatal(err, probs)
		}
		if len(created) != 2 || created[0].Code != "26740-002" || created[0].Name != "Ấp An Phú" || created[1].Name != "Tổ dân phố 5" {
			t.Errorf("created %+v", created)
		}
		c, err := s.CountDescendants(ctx, "26740")
		if err != nil || c.Villages != 3 {
			t.Errorf("counter %+v %v, want 3 villages", c, err)
		}
	})
}

func TestRolloutStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		for _, v := range []struct{ commune, name string }{{"26740", "A"}, {"26740", "B"}, {"26743", "A"}, {"00004", "A"}} {
			if _, err := s.CreateVillage(ctx, v.commune, v.name, "Thôn"); err != nil {
				t.Fatal(err)
			}
		}
		// A retired village counts no more; a commune whose only village
		// is retired has no list.
		x, err := s.CreateVillage(ctx, "25792", "X", "Thôn")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RetireVillage(ctx, x.Code); err != nil {
			t.Fatal(err)
		}
		for _, u := range []org.Unit{org.UnitOf("26740", org.MTTQ), org.UnitOf("00008", org.MTTQ)} {
			if _, _, err := s.SaveStaff(ctx, u, []org.Person{{Name: "A"}, {Name: "B"}}, -1, "x"); err != nil {
				t.Fatal(err)
			}
		}
		// Another organisation's list and an emptied list do not count.
		if _, _, err := s.SaveStaff(ctx, org.UnitOf("26743", org.HND), []org.Person{{Name: "A"}}, -1, "x"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SaveStaff(ctx, org.UnitOf("22366", org.MTTQ), []org.Person{{Name: "A"}}, -1, "x"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SaveStaff(ctx, org.UnitOf("22366", org.MTTQ), []org.Person{}, -1, "x"); err != nil {
			t.Fatal(err)
		}

		ro, err := s.Rollout(ctx, "VN")
		if err != nil {
			t.Fatal(err)
		}
		want := []org.RolloutRow{
			{Code: "01", Name: "Thành phố Hà Nội", Communes: 2, CommunesWithVillages: 1, VillagesPercent: 50, Villages: 1, CommunesWithStaff: 1, StaffPercent: 50, StaffPeople: 2},
			{Code: "56", Name: "Tỉnh Khánh Hoà", Communes: 1},
			{Code: "79", Name: "Thành phố Hồ Chí Minh", Communes: 3, CommunesWithVillages: 2, VillagesPercent: 66.67, Villages: 3, CommunesWithStaff: 1, StaffPercent: 33.33, StaffPeople: 2},
		}
		if !reflect.DeepEqual(ro.Rows, want) {
			t.Errorf("by province\n got %+v\nwant %+v", ro.Rows, want)
		}
		total := org.RolloutRow{Code: "VN", Name: "Tổng cộng", Communes: 6, CommunesWithVillages: 3, VillagesPercent: 50, Villages: 4, CommunesWithStaff: 2, StaffPercent: 33.33, StaffPeople: 4}
		if ro.Total != total {
			t.Errorf("total %+v, want %+v", ro.Total, total)
		}

		ro, err = s.Rollout(ctx, "79")
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, r := range ro.Rows {
			codes = append(codes, r.Code)
		}
		if !reflect.DeepEqual(codes, []string{"25792", "26740", "26743"}) || ro.Rows[1].Villages != 2 || ro.Rows[1].StaffPercent != 100 ||
			ro.Rows[0].CommunesWithVillages != 0 || ro.Total.Communes != 3 || ro.Total.Villages != 3 {
			t.Errorf("by commune %+v total %+v", ro.Rows, ro.Total)
		}
		if _, err := s.Rollout(ctx, "26740"); !errors.Is(err, org.ErrInvalid) {
			t.Errorf("under a commune: %v, want ErrInvalid", err)
		}
		if _, err := s.Rollout(ctx, "98"); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("unknown province: %v, want ErrNotFound", err)
		}
	})
}

func TestUnitsStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		ids := func(rows []org.UnitRow) []string {
			var out []string
			for _, r := range rows {
				out = append(out, r.ID)
			}
			return out
		}
		rows, next, err := s.Units(ctx, org.Province, "", "", "", 100, false)
		if err != nil || next != "" || len(rows) != 18 || rows[0].ID != "01/MTTQ" || rows[1].ID != "01/CD" || rows[0].Name != "Mặt trận Tổ quốc Thành phố Hà Nội" {
			t.Fatalf("provinces: %v next %q %v", ids(rows), next, err)
		}
		// Paging through the communes of the country, five at a time, in
		// path order, gives each unit once.
		var all []string
		after := ""
		for range 20 {
			rows, next, err := s.Units(ctx, org.Commune, "VN", "", after, 5, false)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ids(rows)...)
			if next == "" {
				break
			}
			after = next
		}
		if len(all) != 36 || all[0] != "00004/MTTQ" || all[6] != "00008/MTTQ" || all[35] != "26743/CCB" {
			t.Errorf("communes paged: %d %v", len(all), all)
		}
		seen := map[string]bool{}
		for _, id := range all {
			if seen[id] {
				t.Errorf("%s twice", id)
			}
			seen[id] = true
		}
		rows, _, err = s.Units(ctx, "", "79", org.HND, "", 100, false)
		if err != nil || !reflect.DeepEqual(ids(rows), []string{"25792/HND", "26740/HND", "26743/HND"}) {
			t.Errorf("HND units under 79: %v %v", ids(rows), err)
		}
		v, _ := s.CreateVillage(ctx, "26740", "A", "Thôn")
		w, _ := s.CreateVillage(ctx, "26740", "B", "Thôn")
		if _, err := s.RetireVillage(ctx, v.Code); err != nil {
			t.Fatal(err)
		}
		rows, _, _ = s.Units(ctx, org.Village, "26740", org.MTTQ, "", 100, false)
		if !reflect.DeepEqual(ids(rows), []string{w.Code + "/MTTQ"}) {
			t.Errorf("active villages %v", ids(rows))
		}
		rows, _, _ = s.Units(ctx, org.Village, "26740", org.MTTQ, "", 100, true)
		if len(rows) != 2 || !rows[0].Retired || rows[1].Retired {
			t.Errorf("with retired %+v", rows)
		}
	})
}

// TestRolloutRealList computes the rollout figures over the official
// list: every province a row, every commune counted once.
func TestRolloutRealList(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the whole official list")
	}
	path := testenv.SharedPath(t, "data", "admin-units", "vn_admin_units_flat.csv")
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db)
		importFile(t, s, path)
		if _, err := s.CreateVillage(ctx, "26740", "Tổ dân phố 1", "Tổ dân phố"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SaveStaff(ctx, org.UnitOf("26740", org.MTTQ), []org.Person{{Name: "A"}}, -1, "x"); err != nil {
			t.Fatal(err)
		}
		ro, err := s.Rollout(ctx, "VN")
		if err != nil {
			t.Fatal(err)
		}
		if len(ro.Rows) != 34 || ro.Total.Communes != 3321 || ro.Total.CommunesWithVillages != 1 || ro.Total.CommunesWithStaff != 1 || ro.Total.StaffPercent != 0.03 {
			t.Errorf("%d provinces, total %+v", len(ro.Rows), ro.Total)
		}
		sum := 0
		for _, r := range ro.Rows {
			sum += r.Communes
			if r.Communes == 0 {
				t.Errorf("province %s without communes", r.Code)
			}
		}
		if sum != 3321 {
			t.Errorf("communes by province sum to %d", sum)
		}
		hcm, err := s.Rollout(ctx, "79")
		if err != nil {
			t.Fatal(err)
		}
		if hcm.Total.Communes != len(hcm.Rows) || hcm.Total.CommunesWithVillages != 1 {
			t.Errorf("Hồ Chí Minh: %d rows, total %+v", len(hcm.Rows), hcm.Total)
		}
	})
}
