package server

import (
	"context"
	"log/slog"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// congressModule is congress monitoring's part of the site: the term of
// MATTRANSO_CONGRESS_TERM (the default term when unset), its API, entry
// form, import and exports, and the live dashboard. Its tables are
// migrated here; the unit tree's must be already.
func congressModule(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (web.Module, *congress.Service, error) {
	term := cfg.CongressTerm
	if term == "" {
		term = congress.DefaultTerm
	}
	st := congress.NewStore(db, congress.Options{Tree: org.NewStore(db), Terms: []string{term}})
	if err := st.Migrate(ctx); err != nil {
		return web.Module{}, nil, err
	}
	svc := congress.NewService(congress.ServiceOptions{Store: st, Authorizer: auth.Check, Auditor: auth.AuditLog,
		CSRF: auth.CSRFToken, CSRFField: auth.CSRFFieldName, Logger: web.RequestLogger(log)})
	// The live dashboard's change stream follows the history until serve
	// ends (with PostgreSQL, writes through other instances too).
	go svc.RunLive(ctx)
	return web.Module{
		Name: "congress", Templates: congress.Templates, Funcs: congress.TemplateFuncs, BodyLimits: congress.BodyLimits(st.Terms()),
		Mount: func(r web.Router, pages *web.Renderer) error {
			svc.Register(r, pages)
			return nil
		},
	}, svc, nil
}
