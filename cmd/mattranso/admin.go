package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
)

const adminUsage = `mattranso admin — administration

Commands:
  admin import-units FILE   load or update provinces and communes (vn_admin_units_flat.csv)
  admin units show CODE     a territory with its ancestors, children and units
  admin grant --email E --role R --unit U   give a role at a unit (see "admin grant help")
  admin grant --remove --email E --role R --unit U   take it back
  admin grant list          every user with their roles
  admin token create|list|revoke            bearer tokens for scripts
  admin reindex             rebuild the keyword index from the database
  admin delete-doc ID…      remove documents from the library (every instance follows)
  admin backup [--data DIR] OUT   online copy of a running server's SQLite data into a new directory
  admin gen-reports [--villages N] [--weeks W]   fill the database with reports, to measure
  admin gen-corpus --passages N OUT_DIR           write a synthetic library, to measure
`

func cmdAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return exitError{2, errors.New("admin: name a command")}
		}
		return nil
	}
	switch args[0] {
	case "reindex":
		return adminReindex(ctx, stdout)
	case "delete-doc":
		return adminDeleteDoc(ctx, args[1:], stdout, stderr)
	case "gen-corpus":
		return adminGenCorpus(args[1:], stdout, stderr)
	case "import-units", "units", "grant", "token", "gen-reports", "backup":
	default:
		fmt.Fprint(stderr, adminUsage)
		return exitError{2, fmt.Errorf("admin: unknown command %q", args[0])}
	}
	// These read and write records only: the database is all they load.
	cfg, err := config.Load(config.Data)
	if err != nil {
		return err
	}
	switch args[0] {
	case "import-units":
		return adminImportUnits(ctx, cfg, args[1:], stdout, stderr)
	case "units":
		return adminUnits(ctx, cfg, args[1:], stdout, stderr)
	case "grant":
		return adminGrant(ctx, cfg, args[1:], stdout, stderr)
	case "gen-reports":
		return adminGenReports(ctx, cfg, args[1:], stdout, stderr)
	case "backup":
		return adminBackup(ctx, cfg, args[1:], stdout, stderr)
	}
	return adminToken(ctx, cfg, args[1:], stdout, stderr)
}
