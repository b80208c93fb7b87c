package org

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// A database made before the village counters (migrations 001 and 002)
// gets them counted when it is migrated.
func TestMigrateCountsExistingVillages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		old := fstest.MapFS{}
		files, _ := fs.Glob(migrations, "migrations/00[12]_*.sql")
		for _, f := range files {
			b, err := fs.ReadFile(migrations, f)
			if err != nil {
				t.Fatal(err)
			}
			old[strings.TrimPrefix(f, "migrations/")] = &fstest.MapFile{Data: b}
		}
		if err := db.Migrate(ctx, "org", old); err != nil {
			t.Fatal(err)
		}
		s := NewStore(db)
		f, err := os.Open(filepath.Join("testdata", "small.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := s.ImportTerritories(ctx, f); err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct{ code, retired string }{{"26740-001", ""}, {"26740-002", "2026-01-01T00:00:00.000000000Z"}, {"26740-003", ""}} {
			if _, err := db.ExecContext(ctx, `INSERT INTO org_territories (code, level, parent_code, path, name, name_key, name_fold, retired_at, created_at, updated_at)
				VALUES ($1, 'village', '26740', $2, $1, $1, $1, $3, 'x', 'x')`, v.code, "VN/79/26740/"+v.code+"/", v.retired); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for code, want := range map[string]int{"26740": 2, "79": 2, "VN": 2, "26743": 0} {
			if c, err := s.CountDescendants(ctx, code); err != nil || c.Villages != want {
				t.Errorf("CountDescendants(%s) = %+v, %v; want %d villages", code, c, err, want)
			}
		}
	})
}
