package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/store"
)

// cmdMigrate applies every domain's migrations to the database and exits:
// for deployments that migrate before rolling instances out. serve does
// the same at start, under the same lock.
func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(config.Data)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (its SQLite database, when DATABASE_URL is not set)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := server.Migrate(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrate: %s is up to date\n", cfg.DatabaseShown())
	return nil
}
