package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// Migrate applies every domain's migrations to db: what serve does before
// anything else and `mattranso migrate` does alone. Each runs under the
// database's migration lock (store.DB.Migrate), so instances starting at
// once on one database migrate it once. A new domain adds its line here.
func Migrate(ctx context.Context, db *store.DB) error {
	steps := []struct {
		domain string
		run    func(context.Context) error
	}{
		{"corpus", corpus.NewStore(db).Migrate},
		{"ingest", func(ctx context.Context) error { return ingest.Migrate(ctx, db) }},
		{"retrieval", func(ctx context.Context) error { return retrieval.MigrateModels(ctx, db) }},
		{"auth", func(ctx context.Context) error { return auth.Migrate(ctx, db) }},
		{"org", org.NewStore(db).Migrate},
		{"assistant", assistant.NewConversations(db).Migrate},
		{"feedback", feedback.NewStore(db, feedback.StoreOptions{}).Migrate},
		{"mail", func(ctx context.Context) error { return mail.Migrate(ctx, db) }},
		{"congress", congress.NewStore(db, congress.Options{Tree: org.NewStore(db)}).Migrate},
		{"report", func(ctx context.Context) error {
			svc, err := report.NewService(report.Options{DB: db, Tree: org.NewStore(db)})
			if err != nil {
				return err
			}
			return svc.Migrate(ctx)
		}},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("migrate %s: %w", s.domain, err)
		}
	}
	return nil
}

// startIngestWait is how long serve's ingest at start (MATTRANSO_INGEST)
// waits for another instance's: instances started together take turns.
const startIngestWait = time.Hour

// LagLine is /readyz's line on the library: how far the instance's index
// is behind the database.
func LagLine(l ingest.Lag) string {
	listen := "hỏi định kỳ (polling)"
	if l.Listens {
		listen = "nhận thông báo (notified)"
	}
	return fmt.Sprintf("thư viện: chậm %d thay đổi, %.0f giây; đã áp dụng đến #%d, %s (library: %d changes, %.0f s behind; applied up to #%d)",
		l.Changes, l.Behind.Seconds(), l.Applied, listen, l.Changes, l.Behind.Seconds(), l.Applied)
}

// LibraryReady is an instance's readiness as far as the library goes: not
// ready while it cannot read the database, so that a load balancer sends
// searches elsewhere until it is back; behind is still ready (LagLine).
func LibraryReady(l ingest.Lag) error {
	if l.Unreachable != nil {
		return fmt.Errorf("không đọc được cơ sở dữ liệu để theo dõi thư viện (cannot read the database to follow the library): %w", l.Unreachable)
	}
	return nil
}

// LagCollectors are the follower's gauges for /metrics.
func LagCollectors(f *ingest.Follower) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mattranso_library_changes_behind",
			Help: "Changes of the library in the database not yet applied to this instance's index.",
		}, func() float64 { return float64(f.Lag().Changes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mattranso_library_seconds_behind",
			Help: "Age of the oldest change of the library not yet applied to this instance's index (0 when none).",
		}, func() float64 { return f.Lag().Behind.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mattranso_library_applied_seq",
			Help: "The last change of the library applied to this instance's index.",
		}, func() float64 { return float64(f.Lag().Applied) }),
	}
}

// LibraryWriteModule is the staff API that changes the library through
// this instance (ingest.HTTP), for those allowed library.write on the
// central committee; what it writes reaches the other instances through
// the change log.
func LibraryWriteModule(lib *Data, log *slog.Logger) web.Module {
	h := ingest.NewHTTP(ingest.HTTPOptions{DB: lib.DB, Store: lib.Docs, Index: lib.Follower.Indexer(),
		Authorizer: auth.Check, Auditor: auth.AuditLog, Unit: auth.RootUnit, Logger: web.RequestLogger(log)})
	return web.Module{
		Name:       "library-write",
		BodyLimits: ingest.BodyLimits,
		Mount: func(r web.Router, _ *web.Renderer) error {
			h.Register(r)
			return nil
		},
	}
}
