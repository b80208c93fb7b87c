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
	}
	fmt.Fprint(stderr, adminUsage)
	return exitError{2, fmt.Errorf("admin: unknown command %q", args[0])}
}
