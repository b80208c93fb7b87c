package congress_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// The tree of testdata/tree.csv: Hà Nội (01: 00004, 00008), Khánh Hoà
// (56: 22366), Hồ Chí Minh (79: 25792, 26740, 26743).
const (
	term     = congress.DefaultTerm
	hanoi    = "01"
	hcmc     = "79"
	baDinh   = "00004"
	saiGon   = "26740"
	benThanh = "26743"
	longHoa  = "25792"
)

// tree imports testdata/tree.csv into db and adds a village to Sài Gòn.
func tree(t testing.TB, db *store.DB) *org.Store {
	t.Helper()
	ctx := context.Background()
	s := org.NewStore(db)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", "tree.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := s.ImportTerritories(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateVillage(ctx, saiGon, "Tổ dân phố 1", "Tổ dân phố"); err != nil {
		t.Fatal(err)
	}
	return s
}

// changes records what OnChange was told.
type changes struct {
	mu   sync.Mutex
	seen []congress.Change
}

func (c *changes) add(ch congress.Change) { c.mu.Lock(); c.seen = append(c.seen, ch); c.mu.Unlock() }
func (c *changes) all() []congress.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen)
}

func newStore(t testing.TB, db *store.DB, on *changes) *congress.Store {
	t.Helper()
	o := congress.Options{Tree: tree(t, db)}
	if on != nil {
		o.OnChange = on.add
	}
	s := congress.NewStore(db, o)
	for range 2 { // a second run must change nothing
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func ptr(n int) *int { return &n }

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		var on changes
		s := newStore(t, db, &on)

		c, err := s.Get(ctx, term, saiGon)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != congress.Planned || c.Version != 0 || c.Province != hcmc || c.Level != org.Commune {
			t.Fatalf("a congress without a record = %+v, want planned, version 0, province 79, commune", c)
		}
		if want := "Đại hội đại biểu Mặt trận Tổ quốc Việt Nam phường Sài Gòn"; c.Name != want {
			t.Errorf("built name = %q, want %q", c.Name, want)
		}
		if last, err := s.LastChange(ctx, term); err != nil || last != 0 {
			t.Fatalf("LastChange before any write = %d, %v; want 0", last, err)
		}

		put, err := s.Put(ctx, term, saiGon, congress.Congress{Ordinal: "ii", PlannedDate: "2026-05-20", Place: "Hội trường  phường",
			Status: congress.Preparing, DelegatesSummoned: ptr(150), ViceChairs: []string{"Lê Văn C"}}, "a@x.vn")
		if err != nil {
			t.Fatal(err)
		}
		if put.Version != 1 || put.Ordinal != "II" || put.Place != "Hội trường phường" || put.UpdatedBy != "a@x.vn" {
			t.Errorf("written = %+v", put)
		}
		if want := "Đại hội đại biểu Mặt trận Tổ quốc Việt Nam phường Sài Gòn lần thứ II"; put.Name != want {
			t.Errorf("built name = %q, want %q", put.Name, want)
		}
		got, err := s.Get(ctx, term, saiGon)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Status != congress.Preparing || *got.DelegatesSummoned != 150 || got.PlannedDate != "2026-05-20" {
			t.Errorf("read back = %+v", got)
		}

		held, err := s.Put(ctx, term, hcmc, congress.Congress{Status: congress.Held, PlannedDate: "2026-06-01"}, "b@x.vn")
		if err != nil {
			t.Fatal(err)
		}
		if held.Level != org.Province || held.Province != hcmc {
			t.Errorf("a province's congress = %+v", held)
		}
		seen := on.all()
		if len(seen) != 2 || seen[0].Territory != saiGon || seen[1].Territory != hcmc || seen[0].ID >= seen[1].ID {
			t.Fatalf("OnChange saw %+v, want Sài Gòn then 79 with increasing ids", seen)
		}
		last, err := s.LastChange(ctx, term)
		if err != nil || last != seen[1].ID {
			t.Fatalf("LastChange = %d, %v; want %d", last, err, seen[1].ID)
		}
		all, err := s.ChangesSince(ctx, term, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ID != seen[0].ID || all[1].ID != seen[1].ID || all[0].Province != hcmc {
			t.Fatalf("ChangesSince(0) = %+v, want %+v", all, seen)
		}
		after, err := s.ChangesSince(ctx, term, seen[0].ID, 10)
		if err != nil || len(after) != 1 || after[0].Territory != hcmc {
			t.Fatalf("ChangesSince(first) = %+v, %v", after, err)
		}
		if other, err := s.ChangesSince(ctx, "2031-2036", 0, 10); err != nil || len(other) != 0 {
			t.Fatalf("another term's changes = %+v, %v", other, err)
		}

		// A writer that read version 1 and another that read version 0.
		if _, err := s.Put(ctx, term, saiGon, congress.Congress{Version: 5, Status: congress.Held}, "c@x.vn"); !errors.Is(err, congress.ErrConflict) {
			t.Errorf("a stale version: %v, want ErrConflict", err)
		}
		if _, err := s.Put(ctx, term, saiGon, congress.Congress{Version: 1, Status: congress.Held}, "c@x.vn"); err != nil {
			t.Errorf("the current version: %v", err)
		}
		h, err := s.History(ctx, term, saiGon)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Version != 2 || h[0].Status != congress.Held || h[1].Actor != "a@x.vn" || h[1].Congress.Ordinal != "II" {
			t.Errorf("history = %+v", h)
		}
	})
}

// TestBadInput is the bad-input table at the store: every refusal
// names its field, and nothing is written.
func TestBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		var on changes
		s := newStore(t, db, &on)
		if _, err := s.Put(ctx, term, benThanh, congress.Congress{Status: congress.Held, DelegatesSummoned: ptr(100)}, "x"); err != nil {
			t.Fatal(err)
		}
		before, _ := s.LastChange(ctx, term)
		cases := []struct {
			name, term, territory string
			c                     congress.Congress
			field                 string // "" for ErrNotFound
		}{
			{"unknown term", "1990-1995", saiGon, congress.Congress{}, ""},
			{"unknown commune", term, "99999", congress.Congress{}, "territory"},
			{"not a code", term, "abc", congress.Congress{}, "territory"},
			{"a village", term, saiGon + "-001", congress.Congress{}, "territory"},
			{"the centre", term, "VN", congress.Congress{}, "territory"},
			{"a date that is not a date", term, saiGon, congress.Congress{PlannedDate: "2026-02-30"}, "planned_date"},
			{"a date in another form", term, saiGon, congress.Congress{PlannedDate: "20/05/2026"}, "planned_date"},
			{"attending > summoned", term, saiGon, congress.Congress{DelegatesSummoned: ptr(100), DelegatesAttending: ptr(101)}, "delegates_attending"},
			{"standing > committee", term, saiGon, congress.Congress{CommitteeSize: ptr(30), StandingSize: ptr(31)}, "standing_size"},
			{"a negative count", term, saiGon, congress.Congress{CommitteeSize: ptr(-1)}, "committee_size"},
			{"an unknown status", term, saiGon, congress.Congress{Status: "done"}, "status"},
			{"postponed without a reason", term, saiGon, congress.Congress{Status: congress.Postponed, NewDate: "2026-07-01"}, "postponed_reason"},
			{"postponed without a new date", term, saiGon, congress.Congress{Status: congress.Postponed, PostponedReason: "Bão"}, "new_date"},
			{"held → planned without a reason", term, benThanh, congress.Congress{Status: congress.Planned}, "status"},
			{"held → preparing without a reason", term, benThanh, congress.Congress{Status: congress.Preparing}, "status"},
			{"an ordinal that is not a numeral", term, saiGon, congress.Congress{Ordinal: "hai"}, "ordinal"},
			{"a hidden character in a name", term, saiGon, congress.Congress{Chair: "Nguyễn\u202eVăn A"}, "chair"},
			{"a news link that is not http", term, saiGon, congress.Congress{News: []congress.NewsItem{{Title: "Tin", URL: "javascript:alert(1)"}}}, "news[0].url"},
			{"a news item without a title", term, saiGon, congress.Congress{News: []congress.NewsItem{{URL: "https://x.vn"}}}, "news[0].title"},
			{"a vice-chair with a control character", term, saiGon, congress.Congress{ViceChairs: []string{"A", "B\x07"}}, "vice_chairs[1]"},
		}
		for _, tc := range cases {
			_, err := s.Put(ctx, tc.term, tc.territory, tc.c, "x")
			if tc.field == "" {
				if !errors.Is(err, congress.ErrNotFound) {
					t.Errorf("%s: %v, want ErrNotFound", tc.name, err)
				}
				continue
			}
			var fe *congress.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, congress.ErrInvalid) {
				t.Errorf("%s: %v, want a FieldError on %s", tc.name, err, tc.field)
			}
		}
		if last, _ := s.LastChange(ctx, term); last != before {
			t.Errorf("refusals wrote history: last change %d, want %d", last, before)
		}
		if n := len(on.all()); n != 1 {
			t.Errorf("OnChange called %d times, want once", n)
		}
		// A whole batch refused for one bad row: nothing of it written.
		_, err := s.PutAll(ctx, term, []congress.Congress{{Territory: saiGon, Status: congress.Held},
			{Territory: longHoa, PlannedDate: "2026-13-01"}, {Territory: baDinh}}, "x")
		var re *congress.RowErrors
		if !errors.As(err, &re) || len(re.Rows) != 1 || re.Rows[0].Index != 1 {
			t.Fatalf("a batch with a bad row: %v", err)
		}
		if c, _ := s.Get(ctx, term, saiGon); c.Version != 0 {
			t.Errorf("a refused batch wrote %s: %+v", saiGon, c)
		}
	})
}

func TestTransitions(t *testing.T) {
	const (
		P  = congress.Planned
		Pr = congress.Preparing
		H  = congress.Held
		Po = congress.Postponed
	)
	cases := []struct {
		from, to   congress.Status
		correction string
		ok         bool
	}{
		{P, Pr, "", true}, {Pr, H, "", true}, {P, H, "", true}, {P, P, "", true}, {H, H, "", true},
		{P, Po, "", true}, {Pr, Po, "", true}, {H, Po, "", true},
		{Po, P, "", true}, {Po, Pr, "", true}, {Po, H, "", true},
		{Pr, P, "", false}, {H, P, "", false}, {H, Pr, "", false},
		{Pr, P, "Nhập nhầm", true}, {H, P, "Nhập nhầm đơn vị", true}, {H, Pr, "Nhầm ngày", true},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStore(t, db, nil)
		ctx := t.Context()
		for i, tc := range cases {
			// Each case on its own territory of the tree, reset first.
			code := []string{saiGon, benThanh, longHoa, baDinh, "00008", "22366", hanoi, hcmc, "56"}[i%9]
			cur, err := s.Get(ctx, term, code)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != tc.from {
				in := congress.Congress{Version: cur.Version, Status: tc.from, Correction: "Đặt lại", PostponedReason: "Bão", NewDate: "2026-08-01"}
				if _, err := s.Put(ctx, term, code, in, "x"); err != nil {
					t.Fatalf("setting %s to %s: %v", code, tc.from, err)
				}
			}
			in := congress.Congress{Status: tc.to, Correction: tc.correction}
			if tc.to == Po {
				in.PostponedReason, in.NewDate = "Bão số 3", "2026-09-01"
			}
			_, err = s.Put(ctx, term, code, in, "x")
			if (err == nil) != tc.ok {
				t.Errorf("%s → %s (correction %q): %v, want ok=%v", tc.from, tc.to, tc.correction, err, tc.ok)
			}
			if err == nil && tc.correction != "" {
				h, _ := s.History(ctx, term, code)
				if len(h) == 0 || h[0].Reason != tc.correction {
					t.Errorf("%s → %s: the history's reason is not the correction: %+v", tc.from, tc.to, h)
				}
			}
		}
	})
}

// TestSummaryProperty: for random sets of congresses, the summary
// nationally and of each province equals a direct count over the list.
func TestSummaryProperty(t *testing.T) {
	rounds := 30
	if testing.Short() {
		rounds = 8
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db, nil)
		loc := time.FixedZone("ICT", 7*3600)
		now := time.Date(2026, 5, 10, 9, 0, 0, 0, loc)
		codes := []string{hanoi, baDinh, "00008", "56", "22366", hcmc, longHoa, saiGon, benThanh}
		rng := rand.New(rand.NewPCG(16, 2026))
		for round := range rounds {
			// Rewrite a random subset with random statuses and dates.
			var batch []congress.Congress
			for _, code := range codes {
				if rng.IntN(3) == 0 {
					continue
				}
				cur, err := s.Get(ctx, term, code)
				if err != nil {
					t.Fatal(err)
				}
				c := congress.Congress{Territory: code, Version: cur.Version, Status: congress.Statuses[rng.IntN(4)], Correction: "Sửa"}
				if rng.IntN(4) > 0 {
					c.PlannedDate = now.AddDate(0, 0, rng.IntN(21)-7).Format("2006-01-02")
				}
				if c.Status == congress.Postponed {
					c.PostponedReason, c.NewDate = "Bão", now.AddDate(0, 0, rng.IntN(21)-7).Format("2006-01-02")
				}
				batch = append(batch, c)
			}
			if _, err := s.PutAll(ctx, term, batch, "x"); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for _, province := range []string{"", hanoi, "56", hcmc} {
				got, err := s.Summary(ctx, term, province, now)
				if err != nil {
					t.Fatal(err)
				}
				list, err := s.List(ctx, term, congress.Filter{Province: province})
				if err != nil {
					t.Fatal(err)
				}
				want := directCount(list, now)
				if got != want {
					t.Fatalf("round %d, province %q: Summary = %+v, direct count = %+v", round, province, got, want)
				}
			}
		}
		// The national expectation is every province and commune.
		if sum, _ := s.Summary(ctx, term, "", now); sum.Expected != len(codes) {
			t.Errorf("expected nationally = %d, want %d", sum.Expected, len(codes))
		}
	})
}

func directCount(list []congress.Congress, now time.Time) congress.Summary {
	var s congress.Summary
	today := now.Format("2006-01-02")
	week := now.AddDate(0, 0, 7).Format("2006-01-02")
	for _, c := range list {
		s.Expected++
		switch c.Status {
		case congress.Held:
			s.Held++
		case congress.Preparing:
			s.Preparing++
		case congress.Planned:
			s.Planned++
		case congress.Postponed:
			s.Postponed++
		}
		if d := c.Date(); c.Status != congress.Held && d != "" && d >= today && d <= week {
			s.Upcoming7d++
		}
	}
	if s.Expected > 0 {
		s.PercentHeld = float64(int(float64(s.Held)*1000/float64(s.Expected)+0.5)) / 10
	}
	return s
}

func TestList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newStore(t, db, nil)
		if _, err := s.Put(ctx, term, saiGon, congress.Congress{Status: congress.Held}, "x"); err != nil {
			t.Fatal(err)
		}
		codes := func(f congress.Filter) []string {
			t.Helper()
			list, err := s.List(ctx, term, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range list {
				out = append(out, c.Territory)
			}
			return out
		}
		for _, tc := range []struct {
			f    congress.Filter
			want []string
		}{
			{congress.Filter{}, []string{hanoi, baDinh, "00008", "56", "22366", hcmc, longHoa, saiGon, benThanh}},
			{congress.Filter{Province: hcmc}, []string{hcmc, longHoa, saiGon, benThanh}},
			{congress.Filter{Province: hcmc, Level: org.Commune}, []string{longHoa, saiGon, benThanh}},
			{congress.Filter{Level: org.Province}, []string{hanoi, "56", hcmc}},
			{congress.Filter{Status: congress.Held}, []string{saiGon}},
			{congress.Filter{Province: hanoi, Status: congress.Held}, nil},
		} {
			if got := codes(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("List(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		}
		for _, f := range []congress.Filter{{Province: "99"}, {Province: saiGon}, {Level: org.Village}, {Status: "x"}} {
			if _, err := s.List(ctx, term, f); !errors.Is(err, congress.ErrInvalid) {
				t.Errorf("List(%+v): %v, want ErrInvalid", f, err)
			}
		}
	})
}

// TestConcurrentWrites: writers at once each get a change, and the
// change ids are given in the order the writes commit, which OnChange
// follows: a reader that saw id n never later finds a smaller id.
func TestConcurrentWrites(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		var on changes
		s := newStore(t, db, &on)
		codes := []string{hanoi, baDinh, "00008", "56", "22366", hcmc, longHoa, saiGon, benThanh}
		const rounds = 4
		var wg sync.WaitGroup
		errs := make(chan error, len(codes)*rounds)
		for _, code := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					st := []congress.Status{congress.Planned, congress.Preparing, congress.Held, congress.Held}[i]
					if _, err := s.Put(ctx, term, code, congress.Congress{Status: st}, "x"); err != nil {
						errs <- fmt.Errorf("%s round %d: %w", code, i, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		seen := on.all()
		all, err := s.ChangesSince(ctx, term, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != len(codes)*rounds || len(all) != len(seen) {
			t.Fatalf("%d changes announced, %d stored, want %d", len(seen), len(all), len(codes)*rounds)
		}
		for i := range seen {
			if seen[i].ID != all[i].ID || (i > 0 && seen[i].ID <= seen[i-1].ID) {
				t.Fatalf("change %d: announced %d, stored %d, previous %d", i, seen[i].ID, all[i].ID, seen[max(i-1, 0)].ID)
			}
		}
		sum, err := s.Summary(ctx, term, "", time.Now())
		if err != nil || sum.Held != len(codes) || sum.Planned != 0 {
			t.Errorf("after the writes: %+v, %v", sum, err)
		}
	})
}
