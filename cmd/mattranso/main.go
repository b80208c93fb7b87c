// Command mattranso is the Mặt trận số platform in one binary: serve the
// site and API, ingest documents, evaluate retrieval, administer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

const usage = `mattranso — Mặt trận số

Usage:
  mattranso serve  [--addr :8080] [--data DIR] [--ingest SRC,...|none]
  mattranso ingest [--data DIR] SOURCE...      a file, folder or http(s) URL
  mattranso eval retrieval --dataset DIR [--split NAME] [--strip-diacritics] [--json]
  mattranso admin ...                          (see "mattranso admin help")

Environment: MATTRANSO_ADDR, MATTRANSO_DATA, DATABASE_URL (postgres://… or an
SQLite path; DATABASE_URL_FILE), MATTRANSO_INGEST, LOG_LEVEL. See README.md.
`

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		code := 1
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if ee.err == nil || ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "mattranso:", err)
		}
		os.Exit(code)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{2, errors.New("no command given")}
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, cfg, args[1:], stderr)
	case "ingest":
		return cmdIngest(ctx, cfg, args[1:], stdout, stderr)
	case "eval":
		return cmdEval(ctx, args[1:], stdout, stderr)
	case "admin":
		return cmdAdmin(ctx, cfg, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return exitError{2, fmt.Errorf("unknown command %q", args[0])}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// openLib is the opened data: database, documents and keyword index.
type openLib struct {
	db     *store.DB
	docs   *corpus.Store
	index  *retrieval.Keyword
	search *retrieval.Hybrid // the searcher and indexer: keyword, plus vectors once set

	vectors retrieval.VectorStore
	lock    *store.DirLock
}

// setVectors gives search its vector side, closing the one it replaces.
func (l *openLib) setVectors(emb retrieval.Embedder, v retrieval.VectorStore) {
	old := l.vectors
	l.vectors = v
	l.search.SetVectors(emb, v)
	if old != nil && old != v {
		old.Close()
	}
}

func openLibrary(ctx context.Context, cfg Config) (*openLib, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	lock, err := store.LockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	opened := false
	defer func() {
		if !opened {
			lock.Close()
		}
	}()
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return nil, err
	}
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := ingest.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	idx, err := retrieval.OpenKeyword(cfg.KeywordDir())
	if err != nil {
		db.Close()
		return nil, err
	}
	mode, err := retrieval.ParseMode(cfg.Vectors.SearchMode)
	if err != nil {
		mode = retrieval.ModeHybrid
	}
	rr, err := loadReranker(cfg.Vectors.Reranker)
	if err != nil {
		idx.Close()
		db.Close()
		return nil, fmt.Errorf("MATTRANSO_RERANKER: %w", err)
	}
	hy := &retrieval.Hybrid{Keyword: idx, Mode: mode, Timeout: 3 * time.Second, Logger: slog.Default(), Reranker: rr,
		Concurrency: cfg.Vectors.SearchTurns}
	opened = true
	return &openLib{db: db, docs: docs, index: idx, search: hy, lock: lock}, nil
}

func (l *openLib) Close() {
	if l.vectors != nil {
		l.vectors.Close()
	}
	l.index.Close()
	l.db.Close()
	l.lock.Close()
}

// parseInterleaved parses flags that may stand before, between or after
// the positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, exitError{2, err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
