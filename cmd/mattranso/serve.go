package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	openaillm "github.com/tmc/langchaingo/llms/openai"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/web"
)

func cmdServe(ctx context.Context, cfg Config, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database, indexes)")
	ingestFlag := fs.String("ingest", "", `sources to ingest at start, comma separated, or "none" (default: `+defaultCorpus+` when present)`)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	switch *ingestFlag {
	case "":
	case "none", "off":
		cfg.Ingest = nil
	default:
		cfg.Ingest = splitList(*ingestFlag)
	}
	log := newLogger(stderr, cfg.LogLevel)
	slog.SetDefault(log)

	lib, err := openLibrary(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()

	// Sign-on, sessions and the permission check, which the modules ask.
	authMod, err := authSite(ctx, cfg, lib.db, log)
	if err != nil {
		return err
	}
	// The unit tree; auth fills in Authorizer and CSRF.
	orgMod, err := orgModule(ctx, lib.db, org.Options{Logger: log, Authorizer: auth.Check, Auditor: auth.AuditLog, CSRF: auth.CSRFToken})
	if err != nil {
		return err
	}

	// The staff assistant over the same library; its conversations live in
	// the same database.
	asstMod, err := assistantModule(ctx, cfg, lib, log)
	if err != nil {
		return err
	}

	state := &readiness{reason: "đang nạp thư viện (loading the library)"}
	go prepare(ctx, cfg, lib, log, state)

	srv := &http.Server{
		Addr: cfg.Addr,
		Handler: web.New(web.Options{
			Logger:  log,
			Ready:   state.err,
			Library: library.Options{Searcher: lib.search, Documents: lib.docs},
			Modules: []web.Module{authMod.Module, orgMod, asstMod},
			// auth sees every request: who sent it, and CSRF tokens.
			Middleware: []func(http.Handler) http.Handler{authMod.Middleware},
			CSRFField:  auth.CSRFField,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", cfg.Addr, "data", cfg.DataDir, "database", redact(cfg.Database()))
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// prepare rebuilds a fresh index from the store and ingests the configured
// sources, then marks the server ready. Search answers meanwhile from what
// is already there.
func prepare(ctx context.Context, cfg Config, lib *openLib, log *slog.Logger, state *readiness) {
	if lib.index.Fresh {
		n, err := ingest.Rebuild(ctx, lib.docs, lib.index, nil)
		if err != nil {
			log.Error("rebuilding the keyword index failed", "err", err)
			state.set(fmt.Sprintf("index rebuild failed: %v", err))
			return
		}
		if n > 0 {
			log.Info("keyword index rebuilt from the database", "documents", n)
		}
	}
	if len(cfg.Ingest) > 0 {
		log.Info("ingesting", "sources", cfg.Ingest)
		sum, err := ingest.Run(ctx, ingest.Options{DB: lib.db, Store: lib.docs, Index: lib.search, Sources: cfg.Ingest, Logger: log})
		log.Info(sum.Line())
		if err != nil && !errors.Is(err, ingest.ErrRejected) {
			log.Error("ingest failed", "err", err)
			state.set(fmt.Sprintf("ingest failed: %v", err))
			return
		}
	}
	if err := setupVectors(ctx, cfg, lib, log); err != nil {
		log.Warn("vector search unavailable, searching by keywords only", "err", err)
	}
	// Searches rank from the index's memory snapshot, which also holds the
	// glossary of defined terms; build it before saying ready rather than
	// at the first search.
	warm, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := lib.index.WaitMemory(warm); err != nil {
		log.Warn("the keyword index's memory snapshot is not ready; searching from disk meanwhile", "err", err)
	}
	state.set("")
}

type readiness struct {
	mu     sync.Mutex
	reason string
}

func (r *readiness) set(reason string) {
	r.mu.Lock()
	r.reason = reason
	r.mu.Unlock()
}

func (r *readiness) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reason != "" {
		return errors.New(r.reason)
	}
	return nil
}

// redact hides a password in a database URL for the logs.
func redact(dsn string) string {
	if i, j := indexOf(dsn, "://"), indexOf(dsn, "@"); i >= 0 && j > i {
		if k := indexOf(dsn[i+3:j], ":"); k >= 0 {
			return dsn[:i+3+k] + ":***" + dsn[j:]
		}
	}
	return dsn
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// assistantModule mounts the staff assistant: the chat page /tro-ly, its
// API under /api/v1/assistant and the OpenAI-compatible /v1 façade.
func assistantModule(ctx context.Context, cfg Config, lib *openLib, log *slog.Logger) (web.Module, error) {
	convs := assistant.NewConversations(lib.db)
	if err := convs.Migrate(ctx); err != nil {
		return web.Module{}, err
	}
	opts := assistant.Options{Searcher: lib.search, Documents: lib.docs, Logger: log}
	if vc := cfg.Vectors; vc.OpenAIBaseURL != "" && vc.LLMModel != "" {
		// Generative answers through any OpenAI-compatible server; the
		// assistant falls back to extractive answers when it fails.
		llm, err := openaillm.New(openaillm.WithBaseURL(vc.OpenAIBaseURL), openaillm.WithToken(firstNonEmpty(vc.OpenAIKey, "none")), openaillm.WithModel(vc.LLMModel))
		if err != nil {
			return web.Module{}, fmt.Errorf("language model %s at %s: %w", vc.LLMModel, vc.OpenAIBaseURL, err)
		}
		opts.LLM = llm
		log.Info("assistant: generative answers", "model", vc.LLMModel)
	}
	asker := assistant.New(opts)
	return web.Module{
		Name: "assistant", Templates: assistant.Templates, Funcs: assistant.TemplateFuncs,
		Mount: func(r web.Router, pages *web.Renderer) error {
			assistant.NewHTTP(assistant.HTTPOptions{Asker: asker, Conversations: convs, Pages: pages, Logger: log}).Register(r)
			return nil
		},
	}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
