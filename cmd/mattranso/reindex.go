package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// adminReindex drops the keyword index and rebuilds it from the database.
func adminReindex(ctx context.Context, cfg Config, stdout io.Writer) error {
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
	lib, err := openLibrary(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	n, err := ingest.Rebuild(ctx, lib.docs, lib.index, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindex: %d documents indexed (keyword index %s)\n", n, retrieval.KeywordVersion)
	return nil
}
