package org_test

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func TestProfileStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		u := org.UnitOf("26740", org.HND)

		p, err := s.Profile(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if p.Version != 0 || p.Members != 0 || p.Unit != u {
			t.Fatalf("a new unit's profile = %+v, want empty at version 0", p)
		}

		p.Members, p.FullTimeStaff, p.TypicalActivities = 1200, 3, "  Ra quân “Ngày Chủ nhật xanh”.\r\nTập huấn kỹ thuật.  "
		saved, err := s.SaveProfile(ctx, u, p, "a@mttq.vn")
		if err != nil {
			t.Fatal(err)
		}
		if saved.Version != 1 || saved.UpdatedBy != "a@mttq.vn" || saved.UpdatedAt == nil {
			t.Errorf("saved = %+v", saved)
		}
		if saved.TypicalActivities != "Ra quân “Ngày Chủ nhật xanh”.\nTập huấn kỹ thuật." {
			t.Errorf("text kept as %q, want trimmed with \\n line breaks", saved.TypicalActivities)
		}
		got, err := s.Profile(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if got.Members != 1200 || got.FullTimeStaff != 3 || got.Version != 1 || got.TypicalActivities != saved.TypicalActivities {
			t.Errorf("read back %+v", got)
		}
		// Another unit of the same territory is apart.
		if other, _ := s.Profile(ctx, org.UnitOf("26740", org.MTTQ)); other.Version != 0 || other.Members != 0 {
			t.Errorf("26740/MTTQ = %+v, want empty", other)
		}

		// A stale version is refused; nothing changes.
		stale := got
		stale.Version = 0
		stale.Members = 5
		if _, err := s.SaveProfile(ctx, u, stale, "b@mttq.vn"); !errors.Is(err, org.ErrConflict) {
			t.Errorf("stale save: %v, want ErrConflict", err)
		}
		// A second change: two fields.
		got.Members, got.Difficulties = 1250, "Thiếu kinh phí."
		if saved, err = s.SaveProfile(ctx, u, got, "b@mttq.vn"); err != nil || saved.Version != 2 {
			t.Fatalf("second save: %+v, %v", saved, err)
		}
		// The same values again: no new version, no history.
		if again, err := s.SaveProfile(ctx, u, saved, "c@mttq.vn"); err != nil || again.Version != 2 || again.UpdatedBy != "b@mttq.vn" {
			t.Errorf("unchanged save: %+v, %v", again, err)
		}

		hist, err := s.ProfileHistory(ctx, u, 0)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			V          int
			F, O, N, A string
		}
		var rows []row
		for _, c := range hist {
			rows = append(rows, row{c.Version, c.Field, c.Old, c.New, c.Actor})
			if c.At.IsZero() || c.Label == "" {
				t.Errorf("change %+v without time or label", c)
			}
		}
		want := []row{
			{2, "members", "1200", "1250", "b@mttq.vn"},
			{2, "difficulties", "", "Thiếu kinh phí.", "b@mttq.vn"},
			{1, "members", "0", "1200", "a@mttq.vn"},
			{1, "full_time_staff", "0", "3", "a@mttq.vn"},
			{1, "typical_activities", "", saved.TypicalActivities, "a@mttq.vn"},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("history\n got %+v\nwant %+v", rows, want)
		}

		// Bad values are refused, naming the field.
		bad := saved
		bad.Members = -1
		if _, err := s.SaveProfile(ctx, u, bad, "x"); !errors.Is(err, org.ErrInvalid) || !strings.Contains(err.Error(), "members") {
			t.Errorf("negative members: %v", err)
		}
		bad = saved
		bad.Recommendations = strings.Repeat("á", org.MaxProfileText+1)
		if _, err := s.SaveProfile(ctx, u, bad, "x"); !errors.Is(err, org.ErrInvalid) || !strings.Contains(err.Error(), "recommendations") {
			t.Errorf("long text: %v", err)
		}
		bad = saved
		bad.Difficulties = "a\x00b"
		if _, err := s.SaveProfile(ctx, u, bad, "x"); !errors.Is(err, org.ErrInvalid) {
			t.Errorf("NUL: %v", err)
		}
		if _, err := s.Profile(ctx, org.UnitOf("99999", org.MTTQ)); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("unknown territory: %v", err)
		}

		// A village's profile; once retired it is read, not changed.
		v, err := s.CreateVillage(ctx, "26740", "Hòa Bình", "Thôn")
		if err != nil {
			t.Fatal(err)
		}
		vu := org.UnitOf(v.Code, org.MTTQ)
		if _, err := s.SaveProfile(ctx, vu, org.Profile{Members: 40}, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RetireVillage(ctx, v.Code); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveProfile(ctx, vu, org.Profile{Members: 41, Version: 1}, "a"); !errors.Is(err, org.ErrRetired) {
			t.Errorf("retired village: %v, want ErrRetired", err)
		}
		if p, err := s.Profile(ctx, vu); err != nil || p.Members != 40 {
			t.Errorf("retired village's profile: %+v, %v", p, err)
		}
	})
}

// TestProfileConcurrentSaves: of many saves made on the same version, one
// wins and the others are told; the history has one row per field of the
// winner.
func TestProfileConcurrentSaves(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := smallTree(t, db)
		u := org.UnitOf("79", org.MTTQ)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.SaveProfile(ctx, u, org.Profile{Members: int64(100 + i)}, "x")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, org.ErrConflict):
					conflicts++
				default:
					t.Errorf("save %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 7 {
			t.Errorf("%d saves won, %d conflicts; want 1 and 7", wins, conflicts)
		}
		hist, err := s.ProfileHistory(ctx, u, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].Version != 1 {
			t.Errorf("history %+v, want one change at version 1", hist)
		}
	})
}
