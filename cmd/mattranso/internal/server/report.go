package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// ReportParts is the units' periodic reports' part of the site: its
// module and its service.
type ReportParts struct {
	Module  web.Module
	Service *report.Service
}

// ReportSite builds the reports over db with the data sets of cfg
// (MATTRANSO_REPORT_DATASETS, else the built-in ones), migrating their
// tables after the unit tree's.
func ReportSite(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (ReportParts, error) {
	var ds []report.Dataset
	if cfg.ReportDatasets != "" {
		var err error
		if ds, err = report.LoadDatasets(cfg.ReportDatasets); err != nil {
			return ReportParts{}, err
		}
	}
	svc, err := report.NewService(report.Options{DB: db, Tree: org.NewStore(db), Datasets: ds, Logger: log})
	if err != nil {
		return ReportParts{}, err
	}
	if err := svc.Migrate(ctx); err != nil {
		return ReportParts{}, err
	}
	h := report.NewHTTP(report.HTTPOptions{Service: svc, Authorizer: auth.Check, Over: overCheck{}, Auditor: auth.AuditLog,
		Actor: auth.Actor, Logger: web.RequestLogger(log)})
	return ReportParts{
		Service: svc,
		Module: web.Module{
			Name: "report", Templates: report.Templates, Funcs: report.TemplateFuncs,
			Mount: func(r web.Router, pages *web.Renderer) error {
				h.Register(r)
				h.RegisterPages(r, pages, report.PageOptions{})
				return nil
			},
		},
	}, nil
}

// overCheck asks auth.CanOver: the upper level's actions count only
// roles held at a higher territory than the unit's.
type overCheck struct{}

func (overCheck) AuthorizeOver(r *http.Request, action, unit string) error {
	id := auth.UserFrom(r)
	if id == nil {
		return auth.ErrUnauthenticated
	}
	ok, err := auth.CanOver(r.Context(), id, auth.Action(action), unit)
	if err != nil {
		return err
	}
	if !ok {
		return auth.ErrForbidden
	}
	return nil
}
