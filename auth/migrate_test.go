package auth

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// A database made by migration 001 — tokens that never expire, an audit
// log without its index — is brought up to date: the tokens get an end
// 90 days from the upgrade, and the old events are indexed under every
// unit that contains theirs once the server first reads the log.
func TestMigrateOldTokensAndAudit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		old := fstest.MapFS{}
		files, _ := fs.Glob(migrationFiles, "migrations/001_*.sql")
		for _, f := range files {
			b, err := fs.ReadFile(migrationFiles, f)
			if err != nil {
				t.Fatal(err)
			}
			old[strings.TrimPrefix(f, "migrations/")] = &fstest.MapFile{Data: b}
		}
		if err := db.Migrate(ctx, "auth", old); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		exec(`INSERT INTO auth_users (email, created_at) VALUES ('bot@x.vn', 1)`)
		exec(`INSERT INTO auth_tokens (prefix, hash, user_id, role, unit, created_at, expires_at, revoked_at) VALUES
			('mts_a', 'h1', 1, 'admin', 'VN/MTTQ', 1, 0, 0),
			('mts_b', 'h2', 1, 'admin', 'VN/MTTQ', 1, 5000, 0),
			('mts_c', 'h3', 1, 'admin', 'VN/MTTQ', 1, 0, 7)`)
		// 1,200 old events: more than one batch of the backlog.
		const n = 1200
		units := []string{"26740-001/HND", "01/MTTQ", ""}
		for i := range n {
			exec(`INSERT INTO auth_audit (at, action, unit, outcome) VALUES ($1, 'test.old', $2, 'ok')`, i+1, units[i%3])
		}

		before := time.Now().Unix()
		if err := Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		tree := UnitsFunc(func(context.Context, string, string) (bool, error) { return false, nil })
		s := NewStore(db, containersOf{tree, map[string][]string{
			"26740-001/HND": {"26740-001/HND", "26740-001/MTTQ", "26740/HND", "26740/MTTQ", "79/HND", "79/MTTQ", "VN/HND", "VN/MTTQ"},
			"01/MTTQ":       {"01/MTTQ", "VN/MTTQ"},
		}})
		toks, err := s.Tokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			switch tk.Prefix {
			case "mts_a":
				// The migration reads the database server's clock, not
				// this process's: a few seconds of leeway either side.
				if end := tk.ExpiresAt.Unix(); end < before+90*86400-5 || end > time.Now().Unix()+90*86400+5 {
					t.Errorf("a token that never expired now ends %s, want 90 days from now", tk.ExpiresAt)
				}
			case "mts_b":
				if tk.ExpiresAt.Unix() != 5000 {
					t.Errorf("a token's end moved: %s", tk.ExpiresAt)
				}
			case "mts_c":
				if !tk.ExpiresAt.IsZero() {
					t.Errorf("a revoked token was given an end: %s", tk.ExpiresAt)
				}
			}
		}

		count := func(unit string) int {
			t.Helper()
			evs, err := s.EventsIn(ctx, []string{unit}, EventQuery{Action: "test.old", Limit: MaxEvents})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		if c := count("79/MTTQ"); c != 0 {
			t.Errorf("before the backlog is indexed, 79/MTTQ sees %d events", c)
		}
		// Events written meanwhile are indexed as they come.
		if err := s.Record(ctx, Event{Action: "test.new", Outcome: OutcomeOK, Unit: "26740-001/HND"}); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexBacklog(ctx); err != nil {
			t.Fatal(err)
		}
		for unit, want := range map[string]int{"79/MTTQ": n / 3, "26740/HND": n / 3, "01/MTTQ": n / 3, "VN/MTTQ": n, "79/CD": 0} {
			if c := count(unit); c != want {
				t.Errorf("%s sees %d old events, want %d", unit, c, want)
			}
		}
		var upto int64
		if err := db.QueryRowContext(ctx, `SELECT upto FROM auth_audit_backlog`).Scan(&upto); err != nil || upto != 0 {
			t.Errorf("backlog left at %d, %v", upto, err)
		}
		// Running it again finds nothing to do.
		if err := s.IndexBacklog(ctx); err != nil {
			t.Fatal(err)
		}
		if c := count("VN/MTTQ"); c != n {
			t.Errorf("after a second run VN/MTTQ sees %d", c)
		}
	})
}

// containersOf is a fixed unit tree for the store's tests.
type containersOf struct {
	Units
	up map[string][]string
}

func (c containersOf) Containers(_ context.Context, unit string) ([]string, error) {
	if up, ok := c.up[unit]; ok {
		return up, nil
	}
	return []string{unit}, nil
}
