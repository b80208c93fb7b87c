// Package server is the serve path of mattranso: it opens the data of a
// configuration (database, keyword index, vectors, re-ranker), builds the
// site's modules — library, sign-on, unit tree, assistant — on the web
// shell, and serves them. ingest and admin reindex open the data through
// it as serve does.
//
// It lives apart from the command's package, which also holds the
// evaluation commands, so that what serves can be shown not to depend on
// eval: its judged question sets are test tooling, and what teaches the
// shipped embedder is data read by retrieval (MATTRANSO_TRAIN_PAIRS). A
// test holds it to that.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	openaillm "github.com/tmc/langchaingo/llms/openai"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// Serve serves the site on cfg.Addr until ctx ends: it answers at once
// from what the data holds, and says ready (/readyz) once the index is
// rebuilt if needed, cfg.Ingest ingested and the vectors set up.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	lib, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	// Whatever ends Serve ends what runs in the background first (the
	// deferred calls run in reverse), the follower that Close waits for
	// among them.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Every domain's tables first, under the migration lock, so that
	// instances starting at once migrate once.
	if err := Migrate(ctx, lib.DB); err != nil {
		return err
	}
	state := &readiness{reason: "đang nạp thư viện (loading the library)", db: lib.DB}
	ready := func() error {
		if err := state.ready(); err != nil {
			return err
		}
		return LibraryReady(lib.Follower.Lag())
	}
	site, err := Site(ctx, cfg, lib, log, ready)
	if err != nil {
		return err
	}
	go prepare(ctx, cfg, lib, log, state)

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           RealIP(site, cfg.TrustedProxies),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", cfg.Addr, "data", cfg.DataDir, "database", cfg.DatabaseShown())
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

// Site builds the whole site over lib — the library, sign-on, the unit
// tree, the assistant and citizen feedback on the web shell — migrating
// each module's tables. ready is /readyz's answer. What runs in the
// background (the feedback classifier) ends with ctx.
func Site(ctx context.Context, cfg config.Config, lib *Data, log *slog.Logger, ready func() error) (http.Handler, error) {
	// Sign-on, sessions and the permission check, which the modules ask.
	authMod, err := AuthSite(ctx, cfg, lib.DB, log)
	if err != nil {
		return nil, err
	}
	// The unit tree; auth fills in Authorizer, Auditor and CSRF.
	orgMod, err := orgModule(ctx, lib.DB, org.Options{Logger: log, Authorizer: auth.Check, Auditor: auth.AuditLog, CSRF: auth.CSRFToken})
	if err != nil {
		return nil, err
	}
	// The staff assistant over the same library; its conversations live in
	// the same database.
	asstMod, err := assistantModule(ctx, cfg, lib, log)
	if err != nil {
		return nil, err
	}
	// Citizen feedback: public intake and status, publication of answers;
	// its classifier gets ready in the background.
	fb, err := FeedbackSite(ctx, cfg, lib.DB, log)
	if err != nil {
		return nil, err
	}
	// Congress monitoring of the configured term.
	congressMod, _, err := congressModule(ctx, cfg, lib.DB, log)
	if err != nil {
		return nil, err
	}
	// The units' periodic reports and their roll-ups.
	rep, err := ReportSite(ctx, cfg, lib.DB, log)
	if err != nil {
		return nil, err
	}
	libWrite := LibraryWriteModule(lib, log)
	return web.New(web.Options{
		Logger:      log,
		Ready:       ready,
		ReadyDetail: lib.ReadyDetail,
		Collectors:  LagCollectors(lib.Follower),
		Modules: []web.Module{
			// The home page shows the latest published answers to citizens'
			// feedback.
			LibraryModule(library.Options{Searcher: lib.Search, Documents: lib.Docs, Sections: []library.HomeSection{fb.Public}}, log),
			authMod.Module, orgMod, asstMod, fb.Module, congressMod, rep.Module, libWrite,
		},
		// auth sees every request: who sent it, and CSRF tokens.
		Middleware: []func(http.Handler) http.Handler{authMod.Middleware},
		CSRFField:  auth.CSRFField,
		SignedIn:   func(r *http.Request) bool { return auth.UserFrom(r) != nil },
	}), nil
}

// prepare imports the administrative units (cfg.Units), rebuilds a fresh
// index from the store and ingests the configured sources, then marks the
// server ready and gives search its vector side, which may first have to
// learn. Search answers meanwhile from what is already there.
func prepare(ctx context.Context, cfg config.Config, lib *Data, log *slog.Logger, state *readiness) {
	// The unit tree first: a few seconds, and the unit pages are filled
	// while the library is still being ingested. A bad file is logged and
	// the rest goes on: the site serves without units.
	if _, err := ImportUnits(ctx, lib.DB, cfg.Units, log); err != nil {
		log.Error("importing the administrative units failed; import them with mattranso admin import-units FILE", "err", err)
	}
	// The index follows the database: rebuilt from it when fresh, else
	// brought up to the last change, then kept there while serving.
	// A server answers searches from the index's memory snapshot: the
	// changes count as applied once it is rebuilt, so that instances at
	// the same change rank alike. (A command that only writes skips it.)
	lib.Follower.SetSettle(func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		return lib.Index.WaitMemory(ctx)
	})
	n, err := lib.Follow(ctx)
	if err != nil {
		log.Error("bringing the keyword index up to date with the database failed", "err", err)
		state.set(fmt.Sprintf("index rebuild failed: %v", err))
		return
	}
	if n > 0 {
		log.Info("keyword index brought up to date with the database", "documents", n, "rebuilt", lib.Index.Fresh)
	}
	lib.RunFollower(ctx)
	lib.RunPruner(ctx, log)
	if len(cfg.Ingest) > 0 {
		log.Info("ingesting", "sources", cfg.Ingest)
		// Instances started together with the same sources take turns;
		// the later ones find them unchanged.
		sum, err := ingest.Run(ctx, ingest.Options{DB: lib.DB, Store: lib.Docs, Index: lib.Follower.Indexer(), Sources: cfg.Ingest, Logger: log,
			LockWait: startIngestWait})
		log.Info(sum.Line())
		if err != nil && !errors.Is(err, ingest.ErrRejected) {
			log.Error("ingest failed", "err", err)
			state.set(fmt.Sprintf("ingest failed: %v", err))
			return
		}
	}
	// Searches rank from the index's memory snapshot, which also holds the
	// glossary of defined terms; build it before saying ready rather than
	// at the first search.
	warm, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := lib.Index.WaitMemory(warm); err != nil {
		log.Warn("the keyword index's memory snapshot is not ready; searching from disk meanwhile", "err", err)
	}
	// Ready on keywords: the vector side (and the re-ranker) may have to
	// learn from the library first, a minute or more; searches say so
	// meanwhile and it joins them when it has learned.
	lib.Search.SetLearning("vector search still learning from the library")
	state.set("")
	if err := lib.SetupVectors(ctx, cfg, log); err != nil {
		log.Warn("vector search unavailable, searching by keywords only", "err", err)
	}
	lib.Search.SetLearning("")
	// A new version of the library's models, trained here or by another
	// instance, replaces the one in use without a restart.
	lib.RunModels(ctx, cfg, log)
}

type readiness struct {
	mu     sync.Mutex
	reason string
	db     *store.DB // asked at each /readyz: nil asks nothing
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

// pingTimeout bounds how long /readyz waits for the database: a load
// balancer or a monitor asking must get an answer before its own timeout.
const pingTimeout = 2 * time.Second

// ready is /readyz's answer: not ready while the library is loading, and
// whenever the database does not answer — while PostgreSQL restarts, the
// instance says so, and says ready again once the pool reconnects (the
// pool drops connections that broke and opens new ones by itself).
func (r *readiness) ready() error {
	if err := r.err(); err != nil {
		return err
	}
	if r.db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if err := r.db.PingContext(ctx); err != nil {
		return fmt.Errorf("cơ sở dữ liệu không trả lời (the database does not answer): %w", err)
	}
	return nil
}

// LibraryModule is the citizen library's part of the site: its pages and
// its search API. Its log lines carry the request id.
func LibraryModule(o library.Options, log *slog.Logger) web.Module {
	o.Logger = web.RequestLogger(log)
	return web.Module{
		Name: "library", Templates: library.Templates, Funcs: library.TemplateFuncs,
		Mount: func(r web.Router, pages *web.Renderer) error {
			o.Pages = pages
			library.New(o).Register(r)
			return nil
		},
	}
}

// assistantModule mounts the staff assistant: the chat page /tro-ly, its
// API under /api/v1/assistant and the OpenAI-compatible /v1 façade.
func assistantModule(ctx context.Context, cfg config.Config, lib *Data, log *slog.Logger) (web.Module, error) {
	convs := assistant.NewConversations(lib.DB)
	if err := convs.Migrate(ctx); err != nil {
		return web.Module{}, err
	}
	opts := assistant.Options{Searcher: lib.Search, Documents: lib.Docs, Logger: log}
	if vc := cfg.Search; vc.OpenAIBaseURL != "" && vc.LLMModel != "" {
		// Generative answers through any OpenAI-compatible server; the
		// assistant falls back to extractive answers when it fails.
		llm, err := openaillm.New(openaillm.WithBaseURL(vc.OpenAIBaseURL), openaillm.WithToken(cmp.Or(vc.OpenAIKey, "none")), openaillm.WithModel(vc.LLMModel))
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

// StaffTools are the staff pages the staff home (/can-bo) links to, each
// for those whose roles allow its action somewhere.
var StaffTools = []auth.Tool{
	{Label: "Phản ánh, kiến nghị", Href: "/quan-tri/phan-anh", Action: auth.FeedbackRead},
	{Label: "Thống kê phản ánh", Href: "/quan-tri/phan-anh/thong-ke", Action: auth.FeedbackRead},
	{Label: "Trợ lý tra cứu", Href: "/tro-ly", Action: auth.AssistantUse},
	{Label: "Địa bàn và thôn, tổ dân phố", Href: "/quan-tri/dia-ban", Action: auth.OrgVillageRead},
	{Label: "Báo cáo tuần", Href: "/bao-cao", Action: auth.ReportRead},
	{Label: "Hồ sơ đơn vị, danh sách cán bộ", Href: "/don-vi", Action: auth.ReportRead},
	{Label: "Tiến độ triển khai", Href: "/quan-tri/trien-khai", Action: auth.ReportRead},
	{Label: "Cập nhật đại hội", Href: congress.ChooseURL, Action: auth.CongressWrite},
	{Label: "Theo dõi đại hội", Href: "/dai-hoi", Action: auth.ReportRead},
}

// AuthParts is auth's part of the site: its module, and the middleware
// that resolves who sends each request and checks CSRF tokens.
type AuthParts struct {
	Module     web.Module
	Middleware func(http.Handler) http.Handler
}

// authSite opens auth over db (migrating its tables) with the settings of
// cfg. Without OIDC_ISSUER the sign-on pages explain how to configure it.
func AuthSite(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (AuthParts, error) {
	if err := auth.Migrate(ctx, db); err != nil {
		return AuthParts{}, err
	}
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		return AuthParts{}, err
	}
	svc, err := auth.New(auth.Options{
		DB:    db,
		Units: org.IDs{Store: tree},
		OIDC: auth.OIDC{
			Issuer: cfg.Auth.OIDCIssuer, ClientID: cfg.Auth.OIDCClientID, ClientSecret: cfg.Auth.OIDCClientSecret,
			RedirectURL: cfg.Auth.OIDCRedirectURL,
		},
		PublicURL:   cfg.PublicURL(),
		SessionIdle: cfg.Auth.SessionIdle,
		SessionMax:  cfg.Auth.SessionMax,
		Logger:      log,
		Tools:       StaffTools,
	})
	if err != nil {
		return AuthParts{}, err
	}
	if !svc.Configured() {
		log.Warn("sign-on is not configured: set OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, MATTRANSO_PUBLIC_URL (visitors are told that staff sign-in is not open)")
	}
	return AuthParts{
		Module: web.Module{
			Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs,
			Mount: func(r web.Router, pages *web.Renderer) error {
				svc.Register(r, pages)
				return nil
			},
		},
		Middleware: svc.Middleware,
	}, nil
}

// orgModule is the unit tree's part of the site: its API and admin pages.
// o.Authorizer and o.CSRF come from auth; without an Authorizer every
// protected request is refused.
func orgModule(ctx context.Context, db *store.DB, o org.Options) (web.Module, error) {
	s := org.NewStore(db)
	if err := s.Migrate(ctx); err != nil {
		return web.Module{}, err
	}
	o.Store = s
	return web.Module{
		Name:      "org",
		Templates: org.Templates,
		Funcs:     org.TemplateFuncs,
		Mount: func(r web.Router, pages *web.Renderer) error {
			o.Pages = pages
			org.New(o).Register(r)
			return nil
		},
	}, nil
}
