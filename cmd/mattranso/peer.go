package main

// Measurement peers and helpers for BENCHMARKS.md (scripts/bench.sh).
// Nothing here is a product feature: the library never searches through
// the FTS5 peer.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// evalFTS5Serve is "mattranso eval fts5-serve": a measurement peer, not a
// product feature. It reads every document of the data directory's
// database, indexes their passages in a temporary SQLite FTS5 table
// (unicode61, diacritics removed, bm25()) and answers
// GET /api/v1/library/search?q=&kind=&limit= with the real API's JSON
// shape — through the same web shell and library handlers as "serve", so
// that wrk, given the same query mix, measures the two search engines and
// not two HTTP stacks. It opens the database only (not the keyword index),
// so it can run next to "serve" on the same data directory.
func evalFTS5Serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Load(config.Log, config.Data)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("eval fts5-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory whose database to read")
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)

	dsn := cfg.Database()
	if !strings.Contains(dsn, "://") {
		if _, err := os.Stat(dsn); err != nil {
			return exitError{2, fmt.Errorf("eval fts5-serve: no database at %s: run mattranso ingest --data %s first", dsn, cfg.DataDir)}
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	docs := corpus.NewStore(db)

	start := time.Now()
	idx, err := eval.OpenFTS5(ctx, "")
	if err != nil {
		return err
	}
	defer idx.Close()
	var batch []corpus.Passage
	ndocs := 0
	err = docs.All(ctx, "", func(d *corpus.Document) error {
		ndocs++
		batch = append(batch, corpus.Passages(d)...)
		if len(batch) >= 4096 {
			err := idx.Add(ctx, batch...)
			batch = batch[:0]
			return err
		}
		return nil
	})
	if err == nil {
		err = idx.Add(ctx, batch...)
	}
	if err == nil {
		err = idx.Optimize(ctx)
	}
	if err != nil {
		return err
	}
	if ndocs == 0 {
		return exitError{1, fmt.Errorf("eval fts5-serve: the database %s holds no documents: run mattranso ingest --data %s first", cfg.DatabaseShown(), cfg.DataDir)}
	}
	n, err := idx.Count(ctx)
	if err != nil {
		return err
	}
	var size int64
	if st, err := os.Stat(idx.Path()); err == nil {
		size = st.Size()
	}
	// One status line whatever the log level; scripts/bench.sh reads it.
	fmt.Fprintf(stderr, "fts5 peer: indexed %d passages of %d documents in %s, %d bytes at %s\n",
		n, ndocs, time.Since(start).Round(time.Millisecond), size, idx.Path())

	srv := &http.Server{
		Addr: *addr,
		Handler: web.New(web.Options{
			Logger:  log,
			Modules: []web.Module{server.LibraryModule(library.Options{Searcher: idx, Documents: docs}, log)},
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("fts5 peer serving (a measurement peer, not the product)", "addr", *addr, "data", cfg.DataDir)
	select {
	case err := <-errc:
		return fmt.Errorf("eval fts5-serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// evalQueryMix is "mattranso eval query-mix --dataset DIR": prints the
// load-test query mix (eval.QueryMix) built from the set's questions, one
// a line, for scripts/wrk-search.lua. A measurement helper.
func evalQueryMix(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval query-mix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataset := fs.String("dataset", "", "BEIR dataset directory whose queries.jsonl to use")
	split := fs.String("split", "", "qrels split (default: test, else the only one)")
	limit := fs.Int("limit", 0, "use at most this many questions (0: all)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *dataset == "" {
		return exitError{2, errors.New("eval query-mix: --dataset DIR is required")}
	}
	if *limit < 0 {
		return exitError{2, fmt.Errorf("eval query-mix: --limit %d must not be negative", *limit)}
	}
	ds, err := eval.LoadDataset(*dataset, *split)
	if err != nil {
		return err
	}
	var qs []string
	for _, q := range ds.Queries {
		if *limit > 0 && len(qs) == *limit {
			break
		}
		qs = append(qs, q.Text)
	}
	for _, q := range eval.QueryMix(qs) {
		if _, err := fmt.Fprintln(stdout, q); err != nil {
			return err
		}
	}
	return nil
}
