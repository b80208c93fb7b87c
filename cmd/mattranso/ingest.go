package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/ingest"
)

func cmdIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(config.Log, config.Data, config.Search)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database, indexes)")
	rate := fs.Float64("rate", 1, "crawler: requests per second to one host")
	maxPages := fs.Int("max-pages", 0, "crawler: stop after this many pages (0: no limit)")
	wait := fs.Duration("wait", 0, "how long to wait for another ingest on the same database (0: give up at once)")
	sources, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return exitError{2, errors.New("ingest: name at least one SOURCE (a file, folder or URL), e.g. mattranso ingest ../shared/corpus")}
	}
	log := newLogger(stderr, cfg.LogLevel)
	lib, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	// This data directory's index follows the database like a server's.
	if _, err := lib.Follow(ctx); err != nil {
		return err
	}
	sum, err := ingest.Run(ctx, ingest.Options{
		DB: lib.DB, Store: lib.Docs, Index: lib.Follower.Indexer(), Sources: sources, Logger: log, Progress: os.Stderr,
		Crawl: ingest.CrawlOptions{Rate: *rate, MaxPages: *maxPages}, LockWait: *wait,
	})
	if errors.Is(err, ingest.ErrBusy) {
		return exitError{3, err}
	}
	if _, ferr := lib.Follower.CatchUp(ctx); ferr != nil && err == nil {
		err = ferr
	}
	for _, r := range sum.Rejected {
		fmt.Fprintln(stderr, "rejected:", r)
	}
	for _, f := range sum.CrawlFailures {
		fmt.Fprintf(stderr, "failed: %s: %v\n", f.URL, f.Err)
	}
	fmt.Fprintln(stdout, sum.Line())
	if err == nil || errors.Is(err, ingest.ErrRejected) {
		if verr := lib.SetupVectors(ctx, cfg, log); verr != nil {
			fmt.Fprintln(stderr, "warning: vector index not built, search will use keywords only:", verr)
		}
	}
	if err != nil {
		if errors.Is(err, ingest.ErrRejected) {
			return exitError{1, fmt.Errorf("%d records rejected (listed above); the others were ingested", len(sum.Rejected)+len(sum.CrawlFailures))}
		}
		return err
	}
	return nil
}
