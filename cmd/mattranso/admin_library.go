package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/ingest"
)

// adminDeleteDoc removes documents from the library: from the database,
// whose change log every running instance follows, and from this data
// directory's index.
func adminDeleteDoc(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(config.Log, config.Data, config.Search)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("admin delete-doc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database, indexes)")
	wait := fs.Duration("wait", 0, "how long to wait for an ingest under way (0: give up at once)")
	ids, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return exitError{2, errors.New("admin delete-doc: name the ids of the documents to remove")}
	}
	log := newLogger(stderr, cfg.LogLevel)
	lib, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	if _, err := lib.Follow(ctx); err != nil {
		return err
	}
	if err := ingest.Delete(ctx, ingest.DeleteOptions{DB: lib.DB, Store: lib.Docs, Index: lib.Follower.Indexer(), LockWait: *wait, Logger: log}, ids...); err != nil {
		if errors.Is(err, ingest.ErrBusy) {
			return exitError{3, err}
		}
		return err
	}
	if _, err := lib.Follower.CatchUp(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "delete-doc: %d documents removed\n", len(ids))
	return nil
}
