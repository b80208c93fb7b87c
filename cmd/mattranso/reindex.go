package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
)

// adminReindex drops the keyword index and rebuilds it from the database.
func adminReindex(ctx context.Context, cfg Config, stdout io.Writer) error {
	if err := os.RemoveAll(cfg.KeywordDir()); err != nil {
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
