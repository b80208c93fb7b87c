package server

import (
	"io"
	"log/slog"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// serve imports the shared administrative units at start; a second start
// changes nothing, and without a file nothing is done.
func TestImportUnitsAtStart(t *testing.T) {
	file := testenv.SharedPath(t, "data", "admin-units", "vn_admin_units_flat.csv")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if sum, err := ImportUnits(t.Context(), db, "", quiet); err != nil || sum != (org.ImportSummary{}) {
			t.Errorf("no file: %+v, %v; want nothing done", sum, err)
		}
		first, err := ImportUnits(t.Context(), db, file, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if first.Provinces != 34 || first.Communes < 3000 || first.Added != first.Provinces+first.Communes {
			t.Errorf("first start: %+v; want the 34 provinces and every commune added", first)
		}
		again, err := ImportUnits(t.Context(), db, file, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if again.Added != 0 || again.Updated != 0 || again.Unchanged != first.Added {
			t.Errorf("second start: %+v; want every unit unchanged", again)
		}
		// The unit pages have what they show: Hồ Chí Minh City and its
		// communes.
		tree := org.NewStore(db)
		hcm, err := tree.Territory(t.Context(), "79")
		if err != nil {
			t.Fatal(err)
		}
		kids, err := tree.Children(t.Context(), "79")
		if err != nil || len(kids) < 100 {
			t.Errorf("%s has %d communes (%v)", hcm.Name, len(kids), err)
		}
		if _, err := ImportUnits(t.Context(), db, file+".missing", quiet); err == nil {
			t.Errorf("a missing file imported without error")
		}
	})
}
