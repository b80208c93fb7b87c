package corpus_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func newStore(t *testing.T, db *store.DB) *corpus.Store {
	t.Helper()
	s := corpus.NewStore(db)
	for range 2 { // a second run must change nothing
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func civilCode() *corpus.Document {
	return &corpus.Document{
		ID:          "91-2015-qh13",
		Kind:        corpus.KindLaw,
		Number:      "91/2015/QH13",
		Title:       "Bộ luật Dân sự",
		Type:        "Bộ luật",
		Issuer:      "Quốc hội",
		IssuedAt:    "2015-11-24",
		EffectiveAt: "2017-01-01",
		Status:      "Còn hiệu lực",
		SourceURL:   "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=95942",
		Aliases:     []string{"Bộ Luật Dân sự 2015"},
		Nodes: []corpus.Node{{
			Kind: corpus.NodePhan, Label: "1", Heading: "QUY ĐỊNH CHUNG", Anchor: "phan-1",
			Children: []corpus.Node{{
				Kind: corpus.NodeChuong, Label: "I", Heading: "NHỮNG QUY ĐỊNH CHUNG", Anchor: "chuong-i",
				Children: []corpus.Node{{
					Kind: corpus.NodeDieu, Label: "3", Heading: "Các nguyên tắc cơ bản của pháp luật dân sự",
					Anchor: "dieu-3",
					Children: []corpus.Node{
						{Kind: corpus.NodeKhoan, Label: "1", Anchor: "dieu-3/khoan-1",
							Text: "Mọi cá nhân, pháp nhân đều bình đẳng, không được lấy bất kỳ lý do nào để phân biệt đối xử; được pháp luật bảo hộ như nhau về các quyền nhân thân và tài sản."},
						{Kind: corpus.NodeKhoan, Label: "2", Anchor: "dieu-3/khoan-2",
							Text: "Cá nhân, pháp nhân xác lập, thực hiện, chấm dứt quyền, nghĩa vụ dân sự của mình trên cơ sở tự do, tự nguyện cam kết, thỏa thuận.",
							Children: []corpus.Node{
								{Kind: corpus.NodeDiem, Label: "a", Anchor: "dieu-3/khoan-2/diem-a", Text: "<điểm> có ký tự & và \"ngoặc\""},
							}},
					},
				}},
			}},
		}},
		UpdatedAt: time.Date(2025, 7, 1, 8, 30, 0, 123456789, time.FixedZone("ICT", 7*3600)),
	}
}

func birthRegistration() *corpus.Document {
	return &corpus.Document{
		ID:     "1.001193",
		Kind:   corpus.KindProcedure,
		Title:  "Thủ tục đăng ký khai sinh",
		Type:   "Thủ tục hành chính",
		Issuer: "Bộ Tư pháp",
		Procedure: &corpus.Procedure{
			Code:       "1.001193",
			Field:      "Hộ tịch",
			Level:      "Cấp Xã",
			Agency:     "Ủy ban Nhân dân xã, phường, đặc khu",
			Steps:      "Bước 1: Người có yêu cầu nộp hồ sơ...",
			Documents:  "Tờ khai đăng ký khai sinh; Giấy chứng sinh",
			LegalBasis: "Luật Hộ tịch 60/2014/QH13",
		},
	}
}

func TestStoreRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ctx := newStore(t, db), t.Context()
		for _, d := range []*corpus.Document{civilCode(), birthRegistration()} {
			t.Run(string(d.Kind), func(t *testing.T) {
				if err := s.Put(ctx, d); err != nil {
					t.Fatal(err)
				}
				if d.Hash != d.ComputeHash() {
					t.Errorf("Put left Hash = %q, want ComputeHash() = %q", d.Hash, d.ComputeHash())
				}
				if d.UpdatedAt.IsZero() || d.UpdatedAt.Location() != time.UTC {
					t.Errorf("Put left UpdatedAt = %v, want a time in UTC", d.UpdatedAt)
				}
				got, err := s.Get(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, d) {
					t.Errorf("Get(%q) =\n%+v\nwant\n%+v", d.ID, got, d)
				}
			})
		}
		law, err := s.Get(ctx, "91-2015-qh13")
		if err != nil {
			t.Fatal(err)
		}
		if n := law.Find("dieu-3/khoan-2/diem-a"); n == nil || n.Text != "<điểm> có ký tự & và \"ngoặc\"" {
			t.Errorf("point a of article 3 after the round trip = %+v", n)
		}
		if want := time.Date(2025, 7, 1, 1, 30, 0, 123456789, time.UTC); !law.UpdatedAt.Equal(want) {
			t.Errorf("UpdatedAt = %v, want %v", law.UpdatedAt, want)
		}
	})
}

func TestStoreKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ctx := newStore(t, db), t.Context()
		for _, d := range []*corpus.Document{civilCode(), birthRegistration()} {
			if err := s.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		keysOf := func(d corpus.Document) []string { return corpus.IdentityKeys(&d) }

		lookups := []struct {
			name string
			keys []string
			want string // "" for not found
		}{
			{"number", keysOf(corpus.Document{Kind: corpus.KindLaw, Title: "91/2015/qh13"}), "91-2015-qh13"},
			{"title with year and other case", keysOf(corpus.Document{Kind: corpus.KindLaw, Title: "BỘ LUẬT DÂN SỰ 2015"}), "91-2015-qh13"},
			{"title without diacritics", keysOf(corpus.Document{Kind: corpus.KindLaw, Title: "Bo luat dan su"}), "91-2015-qh13"},
			{"later key matches", []string{"no:1/2099/QH99", "t:bo luat dan su"}, "91-2015-qh13"},
			{"procedure code", keysOf(corpus.Document{Kind: corpus.KindProcedure, Procedure: &corpus.Procedure{Code: "1.001193"}}), "1.001193"},
			{"unknown law", keysOf(corpus.Document{Kind: corpus.KindLaw, Title: "Luật Cư trú", Number: "68/2020/QH14"}), ""},
			{"no keys", nil, ""},
		}
		for _, tc := range lookups {
			t.Run("lookup "+tc.name, func(t *testing.T) {
				got, err := s.Lookup(ctx, tc.keys)
				if tc.want == "" {
					if !errors.Is(err, corpus.ErrNotFound) {
						t.Errorf("Lookup(%q) = %q, %v; want ErrNotFound", tc.keys, got, err)
					}
					return
				}
				if err != nil || got != tc.want {
					t.Errorf("Lookup(%q) = %q, %v; want %q", tc.keys, got, err, tc.want)
				}
			})
		}

		t.Run("keys replaced on update", func(t *testing.T) {
			d := civilCode()
			d.Title = "Bộ luật Dân sự (sửa đổi)"
			d.Aliases = nil
			d.Number = "91/2015/QH13"
			if err := s.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Lookup(ctx, []string{"t:bo luat dan su"}); !errors.Is(err, corpus.ErrNotFound) {
				t.Errorf("the old title key still finds the document: %v", err)
			}
			for _, k := range corpus.IdentityKeys(d) {
				if id, err := s.Lookup(ctx, []string{k}); err != nil || id != d.ID {
					t.Errorf("Lookup(%q) = %q, %v; want %q", k, id, err, d.ID)
				}
			}
		})

		t.Run("a key stays with its first owner", func(t *testing.T) {
			other := &corpus.Document{ID: "bo-luat-dan-su-2005", Kind: corpus.KindLaw,
				Title: "Bộ luật Dân sự (sửa đổi) 2005", Number: "33/2005/QH11"}
			if err := s.Put(ctx, other); err != nil {
				t.Fatal(err)
			}
			if id, err := s.Lookup(ctx, []string{"t:bo luat dan su sua doi"}); err != nil || id != "91-2015-qh13" {
				t.Errorf("shared title key: Lookup = %q, %v; want the first owner", id, err)
			}
			if id, err := s.Lookup(ctx, []string{"no:33/2005/QH11"}); err != nil || id != other.ID {
				t.Errorf("own number: Lookup = %q, %v; want %q", id, err, other.ID)
			}
		})

		t.Run("delete removes the keys", func(t *testing.T) {
			if err := s.Delete(ctx, "91-2015-qh13"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "91-2015-qh13"); !errors.Is(err, corpus.ErrNotFound) {
				t.Errorf("Get after Delete: %v, want ErrNotFound", err)
			}
			if id, err := s.Lookup(ctx, []string{"no:91/2015/QH13"}); !errors.Is(err, corpus.ErrNotFound) {
				t.Errorf("Lookup after Delete = %q, %v; want ErrNotFound", id, err)
			}
			if err := s.Delete(ctx, "91-2015-qh13"); !errors.Is(err, corpus.ErrNotFound) {
				t.Errorf("second Delete: %v, want ErrNotFound", err)
			}
			// The freed key can be claimed again.
			if err := s.Put(ctx, civilCode()); err != nil {
				t.Fatal(err)
			}
			if id, err := s.Lookup(ctx, []string{"no:91/2015/QH13"}); err != nil || id != "91-2015-qh13" {
				t.Errorf("Lookup after a new Put = %q, %v", id, err)
			}
		})
	})
}

func TestStoreNotFound(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ctx := newStore(t, db), t.Context()
		_, err := s.Get(ctx, "luat-khong-co")
		if !errors.Is(err, corpus.ErrNotFound) {
			t.Fatalf("Get: %v, want ErrNotFound", err)
		}
		if want := `corpus: get document "luat-khong-co": document not found`; err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		if err := s.Delete(ctx, "luat-khong-co"); !errors.Is(err, corpus.ErrNotFound) {
			t.Errorf("Delete: %v, want ErrNotFound", err)
		}
	})
}

func TestStoreRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		doc  *corpus.Document
	}{
		{"nil", nil},
		{"no id", &corpus.Document{Kind: corpus.KindLaw, Title: "Luật Cư trú"}},
		{"blank id", &corpus.Document{ID: "  ", Kind: corpus.KindLaw, Title: "Luật Cư trú"}},
		{"unknown kind", &corpus.Document{ID: "x", Kind: "decree", Title: "Nghị định"}},
		{"no kind", &corpus.Document{ID: "x", Title: "Luật Cư trú"}},
		{"no title", &corpus.Document{ID: "x", Kind: corpus.KindLaw}},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ctx := newStore(t, db), t.Context()
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := s.Put(ctx, tc.doc); !errors.Is(err, corpus.ErrInvalid) {
					t.Errorf("Put: %v, want ErrInvalid", err)
				}
			})
		}
		if n, err := s.Count(ctx, ""); err != nil || n != 0 {
			t.Errorf("Count after rejected Puts = %d, %v; want 0", n, err)
		}
	})
}

func TestStoreListing(t *testing.T) {
	const laws, procedures = 5, 405 // more than two batches of All
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ctx := newStore(t, db), t.Context()
		stamp := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		for i := range laws {
			d := &corpus.Document{ID: fmt.Sprintf("law-%03d", i), Kind: corpus.KindLaw,
				Title: fmt.Sprintf("Luật số %d", i), Number: fmt.Sprintf("%d/2020/QH14", i+1),
				Type: "Luật", Issuer: "Quốc hội", Status: "Còn hiệu lực", UpdatedAt: stamp}
			if err := s.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		for i := range procedures {
			code := fmt.Sprintf("proc-%03d", i)
			d := &corpus.Document{ID: code, Kind: corpus.KindProcedure, Title: "Thủ tục " + code,
				Procedure: &corpus.Procedure{Code: code}}
			if err := s.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
		}

		counts := []struct {
			kind corpus.Kind
			want int
		}{{"", laws + procedures}, {corpus.KindLaw, laws}, {corpus.KindProcedure, procedures}}
		for _, c := range counts {
			if n, err := s.Count(ctx, c.kind); err != nil || n != c.want {
				t.Errorf("Count(%q) = %d, %v; want %d", c.kind, n, err, c.want)
			}
			hashes, err := s.Hashes(ctx, c.kind)
			if err != nil || len(hashes) != c.want {
				t.Errorf("Hashes(%q): %d, %v; want %d", c.kind, len(hashes), err, c.want)
			}
			var seen []string
			err = s.All(ctx, c.kind, func(d *corpus.Document) error {
				if d.Hash != hashes[d.ID] {
					t.Errorf("All: %s has hash %q, Hashes says %q", d.ID, d.Hash, hashes[d.ID])
				}
				seen = append(seen, d.ID)
				return nil
			})
			if err != nil || len(seen) != c.want {
				t.Errorf("All(%q) saw %d documents, %v; want %d", c.kind, len(seen), err, c.want)
			}
			for i := 1; i < len(seen); i++ {
				if seen[i] <= seen[i-1] {
					t.Errorf("All(%q): %q after %q, want id order without repeats", c.kind, seen[i], seen[i-1])
					break
				}
			}
		}

		lists := []struct {
			opt   corpus.ListOptions
			first string
			n     int
		}{
			{corpus.ListOptions{}, "law-000", laws + procedures},
			{corpus.ListOptions{Kind: corpus.KindLaw, Limit: 2}, "law-000", 2},
			{corpus.ListOptions{Kind: corpus.KindLaw, Limit: 2, Offset: 4}, "law-004", 1},
			{corpus.ListOptions{Kind: corpus.KindProcedure, Offset: 400}, "proc-400", 5},
			{corpus.ListOptions{Kind: corpus.KindLaw, Offset: 10}, "", 0},
		}
		for _, l := range lists {
			got, err := s.List(ctx, l.opt)
			if err != nil {
				t.Errorf("List(%+v): %v", l.opt, err)
				continue
			}
			if len(got) != l.n || (l.n > 0 && got[0].ID != l.first) {
				t.Errorf("List(%+v) = %d summaries starting %v; want %d starting %q", l.opt, len(got), got[:min(1, len(got))], l.n, l.first)
			}
		}
		got, err := s.List(ctx, corpus.ListOptions{Kind: corpus.KindLaw, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := corpus.Summary{ID: "law-000", Kind: corpus.KindLaw, Number: "1/2020/QH14", Title: "Luật số 0",
			Type: "Luật", Issuer: "Quốc hội", Status: "Còn hiệu lực", UpdatedAt: stamp}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("List summary = %+v, want %+v", got, want)
		}
		if _, err := s.List(ctx, corpus.ListOptions{Limit: -1}); err == nil {
			t.Error("List with a negative limit succeeded")
		}

		stop := errors.New("stop here")
		calls := 0
		err = s.All(ctx, "", func(*corpus.Document) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("All with a failing callback: %d calls, %v; want 1 call and its error", calls, err)
		}
	})
}
