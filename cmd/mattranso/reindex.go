package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// adminReindex drops the keyword index and rebuilds it from the database.
func adminReindex(ctx context.Context, stdout io.Writer) error {
	cfg, err := config.Load(config.Data, config.Search)
	if err != nil {
		return err
	}
	// The index a running server holds is not to be removed under it.
	lock, err := store.LockDir(cfg.DataDir)
	if err != nil {
		return err
	}
	err = os.RemoveAll(cfg.KeywordDir())
	lock.Close()
	if err != nil {
		return err
	}
	lib, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	// Rebuilt from the database, with the change it was rebuilt at
	// recorded, so that it goes on following the database from there.
	n, err := lib.Follow(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindex: %d documents indexed (keyword index %s)\n", n, retrieval.KeywordVersion)
	return nil
}
