package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/topic"
	"github.com/mattranso/mattranso/web"
)

// FeedbackParts is citizen feedback's part of the site: its module, its
// service (intake, status, tagging), the officers' side (queues,
// handling, escalation), its publication, whose latest answers the home
// page shows, and the outbox of e-mail when SMTP is configured.
type FeedbackParts struct {
	Module   web.Module
	Service  *feedback.Service
	Handling *feedback.Handling
	Public   *feedback.Public
	Outbox   *mail.Outbox
}

// ClassifierFile is where serve keeps the topic classifier it trained,
// inside the data directory.
func ClassifierFile(cfg config.Config) string {
	return filepath.Join(cfg.DataDir, "topic", "classifier.model")
}

// retagEvery is how often the items stored while no classifier was ready
// are looked for: the pass finds nothing in one index probe once they
// are tagged.
const retagEvery = time.Minute

// FeedbackSite builds citizen feedback over db with the settings of cfg,
// migrating its tables (and the mail outbox's when SMTP is configured),
// and starts in the background what makes the topic classifier ready —
// loading it from the data directory, or training it from the taxonomy
// and officers' saved corrections and saving it — after which the items
// stored meanwhile are tagged and the classifier is retrained and saved
// every MATTRANSO_FEEDBACK_RETRAIN when officers corrected topics. Intake
// never waits for it. It also starts the escalation of overdue items and
// the sender of the outbox; on PostgreSQL every instance runs them (the
// escalation under a lock, the sender with leases). The background work
// ends with ctx.
func FeedbackSite(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) (FeedbackParts, error) {
	fc := cfg.Feedback
	rules := feedback.DefaultRules()
	if fc.RulesFile != "" {
		var err error
		if rules, err = feedback.LoadRules(fc.RulesFile); err != nil {
			return FeedbackParts{}, err
		}
	}
	cal := workday.Default()
	if fc.HolidaysFile != "" {
		var err error
		if cal, err = workday.LoadFile(fc.HolidaysFile); err != nil {
			return FeedbackParts{}, err
		}
	}
	st := feedback.NewStore(db, feedback.StoreOptions{RelaxedDurability: fc.Relaxed, Logger: log})
	if err := st.Migrate(ctx); err != nil {
		return FeedbackParts{}, err
	}
	if fc.Relaxed {
		log.Warn("feedback: durability relaxed (MATTRANSO_FEEDBACK_DURABILITY=relaxed): acknowledged submissions may be lost on a power cut")
	}
	o := feedback.Options{Store: st, Calendar: cal, Rules: &rules, Threshold: fc.Threshold, CSRFField: auth.CSRFFieldName,
		Logger: web.RequestLogger(log)}
	if fc.Rate > 0 {
		// A minute's allowance at once, at least five: a person sending a
		// few petitions with photos over a bad network is not refused.
		o.Limiter = auth.NewLimiter(rate.Limit(float64(fc.Rate)/60), max(5, fc.Rate))
	}
	svc, err := feedback.NewService(o)
	if err != nil {
		return FeedbackParts{}, err
	}
	ho := feedback.HandlingOptions{Grace: fc.Grace, PublicURL: cfg.PublicURL(), Authorizer: auth.Check, Auditor: auth.AuditLog,
		CSRF: auth.CSRFToken, CSRFField: auth.CSRFFieldName, Logger: web.RequestLogger(log)}
	if fc.AgenciesFile != "" {
		if ho.Agencies, err = feedback.LoadAgencies(fc.AgenciesFile); err != nil {
			return FeedbackParts{}, err
		}
	}
	if fc.ResponsesFile != "" {
		if ho.Responses, err = feedback.LoadResponses(fc.ResponsesFile); err != nil {
			return FeedbackParts{}, err
		}
	}
	var outbox *mail.Outbox
	if cfg.SMTP != nil {
		if err := mail.Migrate(ctx, db); err != nil {
			return FeedbackParts{}, err
		}
		if outbox, err = mail.New(db, *cfg.SMTP, mail.Options{Logger: log}); err != nil {
			return FeedbackParts{}, fmt.Errorf("MATTRANSO_SMTP_URL: %w", err)
		}
		ho.Mailer = outbox
		go outbox.Run(ctx)
	}
	hd, err := feedback.NewHandling(svc, ho)
	if err != nil {
		return FeedbackParts{}, err
	}
	// Retraining takes a core for a while: the instances take turns
	// through a lease rather than all retraining at the same tick.
	leases, err := store.NewLeases(ctx, db, "")
	if err != nil {
		return FeedbackParts{}, err
	}
	go prepareClassifier(ctx, cfg, svc, hd, leases, log)
	go hd.RunEscalation(ctx, feedback.EscalateEvery)
	stats, err := feedback.NewStats(svc, feedback.StatsOptions{Access: auth.Check, Workdays: cal, Logger: web.RequestLogger(log)})
	if err != nil {
		return FeedbackParts{}, err
	}
	// Publication: officers review and publish answers, which the public
	// list, pages, feed and home page show.
	pub := feedback.NewPublic(feedback.PublicOptions{Service: svc, Authorizer: auth.Check, Auditor: auth.AuditLog,
		Actor: actorEmail, BaseURL: cfg.Auth.PublicURL, Logger: web.RequestLogger(log)})
	return FeedbackParts{
		Service:  svc,
		Handling: hd,
		Public:   pub,
		Outbox:   outbox,
		Module: web.Module{
			Name: "feedback", Templates: feedback.Templates, Funcs: feedback.TemplateFuncs, BodyLimits: feedback.BodyLimits,
			Mount: func(r web.Router, pages *web.Renderer) error {
				svc.Register(r, pages)
				hd.Register(r, pages)
				pub.Register(r, pages)
				svc.RegisterOpen311(r, feedback.Open311Options{PublicURL: cfg.Auth.PublicURL, Client: Open311Client})
				stats.Register(r, pages)
				return nil
			},
		},
	}, nil
}

// actorEmail names the sender of r in an item's history: the email of
// who is signed in (or holds the token).
func actorEmail(r *http.Request) string {
	if id := auth.UserFrom(r); id != nil {
		return id.User.Email
	}
	return ""
}

// Open311Client is who sends an Open311 request: the holder of the API
// key (a bearer token, in the Authorization header or as api_key), as the
// item's history names them; a signed-in browser is no API client.
func Open311Client(r *http.Request) (string, bool) {
	id := auth.UserFrom(r)
	if id == nil || id.Method != auth.ByToken {
		return "", false
	}
	return fmt.Sprintf("%s (token %d)", id.User.Email, id.TokenID), true
}

// RetrainLease is the lease under which one instance at a time retrains
// its topic classifier.
const RetrainLease = "feedback-retrain"

// retrainLeaseTTL is how long the retraining lease lasts unless renewed
// (every third of it while the retraining runs).
const retrainLeaseTTL = 5 * time.Minute

// prepareClassifier puts a classifier in service, then tags what waited
// for it, keeps tagging what slips in between, and retrains and saves it
// every MATTRANSO_FEEDBACK_RETRAIN once officers corrected topics (here
// or on another instance). Each instance keeps its own classifier, so each
// retrains — in turn, under RetrainLease: when another instance holds it,
// this one tries again at the next tagging tick.
func prepareClassifier(ctx context.Context, cfg config.Config, svc *feedback.Service, hd *feedback.Handling, leases *store.Leases, log *slog.Logger) {
	path := ClassifierFile(cfg)
	c, err := LoadClassifier(ctx, path, svc.Store(), log)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("feedback: no topic classifier; items are stored untagged and flagged", "err", err)
		}
		return
	}
	svc.SetClassifier(c)
	tick := time.NewTicker(retagEvery)
	defer tick.Stop()
	var retrain <-chan time.Time
	if every := cfg.Feedback.Retrain; every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		retrain = t.C
	}
	due := false
	for {
		if n, err := svc.TagPending(ctx); err != nil && ctx.Err() == nil {
			log.Error("feedback: tagging stored items failed", "err", err)
		} else if n > 0 {
			log.Info("feedback: tagged items stored before the classifier was ready", "items", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-retrain:
			due = true
		}
		if due {
			ran, err := leases.Run(ctx, RetrainLease, retrainLeaseTTL, func(ctx context.Context) error {
				RetrainClassifier(ctx, hd, c, path, log)
				return nil
			})
			if err != nil && ctx.Err() == nil {
				log.Warn("feedback: the retraining lease", "err", err)
			}
			due = !ran
		}
	}
}

// RetrainClassifier brings the classifier in service up to every stored
// correction, retrains it when it learnt any since the last time, and
// saves it at path, so that a restart starts from it.
func RetrainClassifier(ctx context.Context, hd *feedback.Handling, c *topic.Classifier, path string, log *slog.Logger) {
	start := time.Now()
	did, err := hd.Retrain(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("feedback: retraining the topic classifier failed", "err", err)
		}
		return
	}
	if !did {
		return
	}
	log.Info("feedback: topic classifier retrained with the officers' corrections", "corrections", len(c.Corrections()),
		"took", time.Since(start).Round(time.Millisecond))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Warn("feedback: the topic classifier is not saved", "err", err)
	} else if err := c.SaveFile(path); err != nil {
		log.Warn("feedback: the topic classifier is not saved", "file", path, "err", err)
	}
}

// LoadClassifier returns the topic classifier of the default taxonomy
// kept at path, brought up to date with the officers' corrections saved in
// the store; when there is none, or it no longer fits the taxonomy, it
// trains one from the taxonomy and the corrections, and saves it.
func LoadClassifier(ctx context.Context, path string, st *feedback.Store, log *slog.Logger) (*topic.Classifier, error) {
	tax := topic.DefaultTaxonomy()
	all, err := st.Corrections(ctx)
	if err != nil {
		return nil, err
	}
	// A correction to a topic the taxonomy no longer has teaches nothing.
	var corr []feedback.Correction
	for _, k := range all {
		if _, ok := tax.Topic(k.Topic); ok {
			corr = append(corr, k)
		}
	}
	c, err := topic.LoadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c = nil
	case err != nil:
		log.Warn("feedback: the saved topic classifier cannot be read; training a new one", "file", path, "err", err)
		c = nil
	default:
		if err := c.CheckTaxonomy(tax); err != nil {
			log.Warn("feedback: the saved topic classifier does not fit the taxonomy; training a new one", "file", path, "err", err)
			c = nil
		}
	}
	learnt := 0
	if c != nil {
		learnt = len(c.Corrections())
		if learnt > len(corr) {
			// The store is the truth: a model that knows corrections it
			// does not hold (another database) is trained again.
			c, learnt = nil, 0
		}
	}
	save := c == nil || learnt < len(corr)
	if c == nil {
		start := time.Now()
		log.Info("feedback: training the topic classifier", "corrections", len(corr))
		if c, err = topic.TrainTaxonomy(ctx, tax, nil); err != nil {
			return nil, fmt.Errorf("feedback: train the topic classifier: %w", err)
		}
		log.Info("feedback: topic classifier trained", "took", time.Since(start).Round(time.Millisecond))
	}
	// Corrections are learnt in the order they were made, as they were
	// when officers made them.
	for _, k := range corr[learnt:] {
		if err := c.Learn(ctx, k.Text, k.Topic); err != nil {
			return nil, fmt.Errorf("feedback: learn correction %d: %w", k.ID, err)
		}
	}
	if save && ctx.Err() == nil {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Warn("feedback: the topic classifier is not saved", "err", err)
		} else if err := c.SaveFile(path); err != nil {
			log.Warn("feedback: the topic classifier is not saved", "file", path, "err", err)
		}
	}
	return c, nil
}
