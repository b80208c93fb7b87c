package congress

import (
	"log/slog"
	"net/http"
	"sync"
)

// Router is where the routes go; web.Router is one.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// Pages renders a module page inside the site's layout; web.Renderer is
// one.
type Pages interface {
	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
}

// Authorizer decides whether the request may do action on unit, lists
// the units it may do an action under, and names who sent it; auth.Check
// is one. Authorize returns nil to allow, or an error with a method
// HTTPStatus() int returning 401 (nobody signed in) or 403 (not allowed);
// Scopes returns the 401 error for nobody signed in.
type Authorizer interface {
	Authorize(r *http.Request, action, unit string) error
	Scopes(r *http.Request, action string) ([]string, error)
	Actor(r *http.Request) string
}

// Auditor writes a change to the audit log on behalf of the request's
// sender; auth.AuditLog is one.
type Auditor interface {
	Audit(r *http.Request, action, unit, target string)
}

// The actions the Authorizer is asked about, on TERRITORY/MTTQ.
const (
	ActionWrite = "congress.write" // write a congress, import, attach
	ActionRead  = "report.read"    // a congress's history and staff details
)

// The audited actions.
const (
	AuditWrite      = "congress.write"
	AuditImport     = "congress.import"
	AuditAttach     = "congress.attach"
	AuditDetach     = "congress.detach"
	AuditCorrection = "congress.correct"
)

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Store      *Store
	Authorizer Authorizer // nil: every protected request is refused
	Auditor    Auditor
	// CSRF returns the request's CSRF token for forms; CSRFField is the
	// form field it goes in.
	CSRF      func(r *http.Request) string
	CSRFField string
	Logger    *slog.Logger
}

// Service serves the congresses of the Store's terms: the API, the entry
// form, import and export. The live part (events, dashboard) registers
// through registerLive and may use every field.
type Service struct {
	store     *Store
	authz     Authorizer
	audit     Auditor
	csrf      func(r *http.Request) string
	csrfField string
	log       *slog.Logger
	pages     Pages

	// The live part (live.go), made once.
	live     *live
	liveOnce sync.Once
}

// NewService returns the Service of o.
func NewService(o ServiceOptions) *Service {
	s := &Service{store: o.Store, authz: o.Authorizer, audit: o.Auditor, csrf: o.CSRF, csrfField: o.CSRFField, log: o.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.csrf == nil {
		s.csrf = func(*http.Request) string { return "" }
	}
	return s
}

// Store is the Service's store.
func (s *Service) Store() *Store { return s.store }

// Register adds the congress routes to r; pages render through pages
// (without pages only the API is served).
func (s *Service) Register(r Router, pages Pages) {
	s.pages = pages
	s.registerAPI(r)
	if pages != nil {
		s.registerPages(r)
	}
	s.registerLive(r)
}
