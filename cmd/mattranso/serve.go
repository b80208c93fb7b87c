package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
)

// cmdServe reads serve's settings and flags; the serving itself is
// server.Serve, which imports no evaluation code.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Load(config.Log, config.Data, config.Search, config.Serve, config.Auth, config.Feedback, config.Mail, config.Congress, config.Report)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database, indexes)")
	ingestFlag := fs.String("ingest", "", `sources to ingest at start, comma separated, or "none" (default: MATTRANSO_INGEST, else `+config.DefaultCorpus+` when present)`)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *ingestFlag != "" {
		cfg.Ingest = config.ParseIngest(*ingestFlag)
	}
	log := newLogger(stderr, cfg.LogLevel)
	slog.SetDefault(log)
	return server.Serve(ctx, cfg, log)
}
