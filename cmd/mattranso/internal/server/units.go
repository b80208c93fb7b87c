package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

// ImportUnits brings the administrative units of file (cfg.Units) into the
// unit tree, as "admin import-units" does, so that a first serve shows the
// provinces and communes without a separate step. The import is
// idempotent: a file already imported changes nothing. No file, nothing
// to do.
func ImportUnits(ctx context.Context, db *store.DB, file string, log *slog.Logger) (org.ImportSummary, error) {
	if file == "" {
		return org.ImportSummary{}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return org.ImportSummary{}, fmt.Errorf("administrative units: %w", err)
	}
	defer f.Close()
	s := org.NewStore(db)
	if err := s.Migrate(ctx); err != nil {
		return org.ImportSummary{}, err
	}
	sum, err := s.ImportTerritories(ctx, f)
	if err != nil {
		return sum, fmt.Errorf("administrative units from %s: %w", file, err)
	}
	log.Info("administrative units imported", "file", file, "provinces", sum.Provinces, "communes", sum.Communes,
		"added", sum.Added, "updated", sum.Updated, "unchanged", sum.Unchanged)
	return sum, nil
}
