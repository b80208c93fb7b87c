package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

const adminUsage = `mattranso admin — administration

Commands:
  admin reindex     rebuild the keyword index from the database
  admin import-units FILE   load or update provinces and communes (vn_admin_units_flat.csv)
  admin units show CODE     a territory with its ancestors, children and units
  admin grant --email E --role R --unit U   give a role at a unit (see "admin grant help")
  admin token create|list|revoke            bearer tokens for scripts
`

func cmdAdmin(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return exitError{2, errors.New("admin: name a command")}
		}
		return nil
	}
	switch args[0] {
	case "reindex":
		return adminReindex(ctx, cfg, stdout)
	case "import-units":
		return adminImportUnits(ctx, cfg, args[1:], stdout, stderr)
	case "units":
		return adminUnits(ctx, cfg, args[1:], stdout, stderr)
	case "grant":
		return adminGrant(ctx, cfg, args[1:], stdout, stderr)
	case "token":
		return adminToken(ctx, cfg, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, adminUsage)
	return exitError{2, fmt.Errorf("admin: unknown command %q", args[0])}
}
