package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/store"
)

// Defaults of Options.
const (
	DefaultSessionIdle = time.Hour
	DefaultSessionMax  = 12 * time.Hour
	// loginTTL bounds the time between /auth/login and the return to
	// /auth/callback: typing a password, not going for lunch.
	loginTTL = 10 * time.Minute
	// touchEvery is how stale a session's last-seen time may get before a
	// request writes it again: one write a minute, not one per request.
	touchEvery = time.Minute
)

// OIDC names the OpenID Connect provider and this site's client there.
// An empty Issuer means sign-on is not configured.
type OIDC struct {
	Issuer       string // e.g. https://id.example.vn/realms/mattranso
	ClientID     string
	ClientSecret string // empty for a public client (PKCE alone)
	// RedirectURL is this site's /auth/callback as registered with the
	// provider; default PublicURL + "/auth/callback".
	RedirectURL string
}

// Options configure the Service. DB and Units are required.
type Options struct {
	DB    *store.DB
	Units Units
	OIDC  OIDC
	// PublicURL is the site's address as users reach it
	// (https://mattranso.example.vn). Cookies are Secure when it is https,
	// and the provider sends users back to it after logout.
	PublicURL string
	// SessionIdle ends a session unused this long; SessionMax ends any
	// session this long after the login. Defaults DefaultSessionIdle and
	// DefaultSessionMax.
	SessionIdle, SessionMax time.Duration
	// LoginLimiter limits /auth/login and /auth/callback per address;
	// default 20 a minute, 10 at once.
	LoginLimiter *Limiter
	// HTTPClient talks to the provider; default one with a 15 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock of sessions, tokens and the audit log; default
	// time.Now. (ID tokens are checked against the real clock.)
	Now func() time.Time
	// Tools are the modules' staff pages that the staff home links to,
	// each shown to those who hold a role allowing its action somewhere.
	Tools []Tool
}

// Tool is a staff page of a module, as the staff home lists it: auth
// knows no module, so cmd hands it the list.
type Tool struct {
	Label  string // Vietnamese, "Phản ánh của người dân"
	Href   string // a local path, "/quan-tri/phan-anh"
	Action Action // shown when one of the user's roles allows it
}

// Service is auth at work: it resolves who sends each request, serves
// the sign-on routes, the staff home and the admin API, and checks
// permissions.
type Service struct {
	store   *Store
	units   Units
	oidc    OIDC
	public  *url.URL
	secure  bool
	idle    time.Duration
	max     time.Duration
	limiter *Limiter
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	pages   Pages
	cop     *http.CrossOriginProtection
	refused *refusalLog
	tools   []Tool

	backlogMu   sync.Mutex
	backlogDone bool

	mu       sync.Mutex
	provider *provider // discovered on first use
}

// New returns the Service. It does not reach the provider: discovery
// happens at the first sign-on, so that the site starts while the
// provider is down.
func New(o Options) (*Service, error) {
	if o.DB == nil || o.Units == nil {
		return nil, errors.New("auth: New needs DB and Units")
	}
	s := &Service{
		store: NewStore(o.DB, o.Units), units: o.Units, oidc: o.OIDC,
		idle: o.SessionIdle, max: o.SessionMax, limiter: o.LoginLimiter,
		client: o.HTTPClient, log: o.Logger, now: o.Now,
		cop: http.NewCrossOriginProtection(), refused: newRefusalLog(), tools: o.Tools,
	}
	if s.idle <= 0 {
		s.idle = DefaultSessionIdle
	}
	if s.max <= 0 {
		s.max = DefaultSessionMax
	}
	if s.limiter == nil {
		s.limiter = NewLimiter(rate.Every(time.Minute/20), 10)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 15 * time.Second}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.store.now = s.now
	if o.PublicURL != "" {
		u, err := url.Parse(strings.TrimRight(o.PublicURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("auth: public URL %q: want http(s)://host[:port]", o.PublicURL)
		}
		s.public = u
		s.secure = u.Scheme == "https"
		if err := s.cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("auth: public URL %q: %w", o.PublicURL, err)
		}
	}
	if s.oidc.Issuer != "" {
		if s.oidc.ClientID == "" {
			return nil, errors.New("auth: OIDC issuer given without a client id")
		}
		if s.oidc.RedirectURL == "" {
			if s.public == nil {
				return nil, errors.New("auth: OIDC needs a redirect URL or the public URL")
			}
			s.oidc.RedirectURL = s.public.String() + "/auth/callback"
		}
		if u, err := url.Parse(s.oidc.RedirectURL); err != nil || u.Host == "" {
			return nil, fmt.Errorf("auth: OIDC redirect URL %q is not an absolute URL", s.oidc.RedirectURL)
		}
	}
	return s, nil
}

// Store is the service's store, for the command line and tests.
func (s *Service) Store() *Store { return s.store }

// Configured reports whether sign-on through a provider is set up.
func (s *Service) Configured() bool { return s.oidc.Issuer != "" }

// Cookie names. Over https the session cookie takes the __Host- prefix,
// which browsers accept only with Secure, Path=/ and no Domain.
const (
	sessionCookie       = "mts_session"
	secureSessionCookie = "__Host-mts_session"
	loginCookie         = "mts_login"
	// CSRFFieldName is the form field (and CSRFHeader the header, for
	// scripts of the site's own pages) that carries the CSRF token.
	CSRFFieldName = "csrf_token"
	CSRFHeader    = "X-CSRF-Token"
)

func (s *Service) sessionCookieName() string {
	if s.secure {
		return secureSessionCookie
	}
	return sessionCookie
}

// state is what auth keeps about one request: who sent it, resolved on
// first use so that requests that never ask cost nothing.
type state struct {
	s    *Service
	w    http.ResponseWriter
	r    *http.Request
	once sync.Once
	id   *Identity
	err  error
}

type stateKey struct{}

func stateFrom(r *http.Request) *state {
	st, _ := r.Context().Value(stateKey{}).(*state)
	return st
}

// Middleware must see every request: it makes the sender's identity
// available to the handlers (resolved when first asked for), and refuses
// a request that changes something on the strength of a session cookie
// without the session's CSRF token or from another site. Requests with a
// bearer token (or an Open311 api_key, see credential) carry no ambient
// authority and need no CSRF token.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{s: s, w: w}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		st.r = r
		if !safeMethod(r.Method) && credential(r) == "" {
			if id, _ := st.identity(); id != nil && id.Method == BySession {
				if reason := s.checkCSRF(r, id); reason != "" {
					s.audit(r, id, Event{Action: EventCSRFRefused, Outcome: OutcomeRefused, Reason: reason,
						Target: r.Method + " " + clip(r.URL.Path, 100)})
					writeProblem(w, r, http.StatusForbidden, "csrf",
						"Biểu mẫu đã hết hạn hoặc không phải do trang này gửi. Hãy tải lại trang rồi gửi lại.")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// bearer returns the request's bearer token, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// open311Prefix starts the paths of the Open311 GeoReport v2 API, whose
// clients send their key as the api_key parameter, as that specification
// says.
const open311Prefix = "/open311/"

// credential returns the token a request carries: its bearer token, or on
// the Open311 API only the api_key parameter of the query or the form. The
// parameter is read for nothing else and is treated as the header is:
// never logged whole (a refused token is named by its first characters,
// shownPrefix); the request log has the path without the query.
// Elsewhere it is ignored, so that a token put in a link opens nothing
// else.
func credential(r *http.Request) string {
	if tok := bearer(r); tok != "" {
		return tok
	}
	if !strings.HasPrefix(r.URL.Path, open311Prefix) {
		return ""
	}
	if k := r.URL.Query().Get("api_key"); k != "" {
		return strings.TrimSpace(k)
	}
	if r.Method == http.MethodPost {
		return strings.TrimSpace(r.PostFormValue("api_key"))
	}
	return ""
}

// checkCSRF returns why a state-changing request with a session fails the
// CSRF check, or "".
func (s *Service) checkCSRF(r *http.Request, id *Identity) string {
	if err := s.cop.Check(r); err != nil {
		return "cross-origin request"
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFFieldName)
	}
	if got == "" {
		return "missing CSRF token"
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(id.session))) != 1 {
		return "wrong CSRF token"
	}
	return ""
}

// csrfToken derives the session's CSRF token: a MAC of a fixed message
// keyed with the session id. It is tied to the session, needs no storage,
// and does not reveal the session id.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("mattranso csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRFToken returns the CSRF token that requests changing something must
// carry (in the csrf_token form field or the X-CSRF-Token header), or ""
// when no session sent r.
func CSRFToken(r *http.Request) string {
	st := stateFrom(r)
	if st == nil {
		return ""
	}
	id, _ := st.identity()
	if id == nil || id.Method != BySession {
		return ""
	}
	return csrfToken(id.session)
}

// CSRFField is the hidden form field with r's CSRF token, for the site's
// templates (web.Options.CSRFField); empty without a session.
func CSRFField(r *http.Request) template.HTML {
	tok := CSRFToken(r)
	if tok == "" {
		return ""
	}
	// The token is base64url: nothing in it needs escaping.
	return template.HTML(`<input type="hidden" name="` + CSRFFieldName + `" value="` + tok + `">`)
}

// identity resolves who sent the request, once.
func (st *state) identity() (*Identity, error) {
	st.once.Do(func() {
		if tok := credential(st.r); tok != "" {
			st.id, st.err = st.s.tokenIdentity(st.r, tok)
		} else if c, err := st.r.Cookie(st.s.sessionCookieName()); err == nil && c.Value != "" {
			st.id, st.err = st.s.sessionIdentity(st.w, st.r, c.Value)
		}
		if st.err != nil {
			st.s.log.ErrorContext(st.r.Context(), "auth: resolve identity", "err", st.err)
		}
	})
	return st.id, st.err
}

func (s *Service) tokenIdentity(r *http.Request, secret string) (*Identity, error) {
	ctx := r.Context()
	// A refusal of a known token is shown to the admins of its unit too.
	refuse := func(reason, target, unit string) (*Identity, error) {
		s.auditRefusal(r, nil, Event{Action: EventTokenRefused, Outcome: OutcomeRefused, Reason: reason, Target: target, Unit: unit})
		return nil, nil
	}
	if !wellFormedToken(secret) {
		return refuse("malformed token", "", "")
	}
	t, err := s.store.tokenBySecret(ctx, secret)
	if errors.Is(err, ErrNotFound) {
		return refuse("unknown token", clip(secret, shownPrefix), "")
	}
	if err != nil {
		return nil, err
	}
	target := "token " + itoa(t.ID)
	now := s.now()
	switch {
	case !t.RevokedAt.IsZero():
		return refuse("revoked token", target, t.Unit)
	case !t.Active(now):
		return refuse("expired token", target, t.Unit)
	}
	// The token lends one of its holder's grants: it opens nothing once
	// the holder no longer holds a grant covering it.
	held, err := s.store.TokenHeld(ctx, t)
	if err != nil {
		return nil, err
	}
	if !held {
		return refuse("the holder no longer holds "+string(t.Role)+" at "+t.Unit, target+" ("+t.Email+")", t.Unit)
	}
	if err := s.store.markTokenUsed(ctx, t); err != nil {
		s.log.WarnContext(ctx, "auth: note token use", "token", t.ID, "err", err)
	}
	u, err := s.store.userByID(ctx, t.userID)
	if err != nil {
		return nil, err
	}
	return &Identity{User: u, Grants: []Grant{{Role: t.Role, Unit: t.Unit}}, Method: ByToken, TokenID: t.ID, units: s.units}, nil
}

func (s *Service) sessionIdentity(w http.ResponseWriter, r *http.Request, sid string) (*Identity, error) {
	ctx := r.Context()
	if len(sid) != 43 { // 32 bytes, base64url
		s.clearSessionCookie(w)
		return nil, nil
	}
	row, err := s.store.session(ctx, sid)
	if errors.Is(err, ErrNotFound) {
		s.clearSessionCookie(w)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	reason := ""
	switch {
	case !now.Before(row.ExpiresAt):
		reason = "session past its maximum age"
	case now.Sub(row.LastSeenAt) >= s.idle:
		reason = "session idle too long"
	}
	if reason != "" {
		if err := s.store.deleteSession(ctx, sid); err != nil {
			return nil, err
		}
		s.clearSessionCookie(w)
		id := &Identity{User: row.User, Method: BySession}
		s.audit(r, id, Event{Action: EventSessionExpired, Outcome: OutcomeRefused, Reason: reason})
		return nil, nil
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if err := s.store.touchSession(ctx, sid); err != nil {
			s.log.WarnContext(ctx, "auth: touch session", "err", err)
		}
	}
	grants, err := s.store.Grants(ctx, row.User.ID)
	if err != nil {
		return nil, err
	}
	return &Identity{User: row.User, Grants: grants, Method: BySession, units: s.units, session: sid}, nil
}

func (s *Service) setSessionCookie(w http.ResponseWriter, sid string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: sid, Path: "/",
		MaxAge: int(s.max / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Service) clearSessionCookie(w http.ResponseWriter) {
	if w == nil {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: "", Path: "/",
		MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// UserFrom returns who sent r, or nil for an anonymous request (or one
// whose session or token was refused).
func UserFrom(r *http.Request) *Identity {
	st := stateFrom(r)
	if st == nil {
		return nil
	}
	id, _ := st.identity()
	return id
}

// RequireUser passes to h only requests from someone signed in (or with
// a valid token); others get 401 under /api and the sign-on elsewhere.
func RequireUser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r)
		if st == nil {
			Fail(w, r, ErrUnauthenticated)
			return
		}
		id, err := st.identity()
		if err != nil {
			Fail(w, r, err)
			return
		}
		if id == nil {
			Fail(w, r, ErrUnauthenticated)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Authorize is the check handlers call: nil when the sender of r may do
// action on unit; an error wrapping ErrUnauthenticated when nobody is
// signed in, ErrForbidden when the roles do not allow it (written to the
// audit log), or another error when the check itself failed. Pass the
// error to Fail.
func Authorize(r *http.Request, action Action, unit string) error {
	st := stateFrom(r)
	if st == nil {
		// Without the middleware nobody can be identified: deny.
		return fmt.Errorf("auth: %s on %s: %w", action, unit, ErrUnauthenticated)
	}
	id, err := st.identity()
	if err != nil {
		return err
	}
	if id == nil {
		return fmt.Errorf("auth: %s on %s: %w", action, unit, ErrUnauthenticated)
	}
	ok, err := Can(r.Context(), id, action, unit)
	if err != nil {
		return err
	}
	if !ok {
		st.s.audit(r, id, Event{Action: EventDenied, Outcome: OutcomeDenied, Unit: unit, Target: string(action),
			Reason: r.Method + " " + clip(r.URL.Path, 100)})
		return fmt.Errorf("auth: %s may not %s on %s: %w", id.actor(), action, unit, ErrForbidden)
	}
	return nil
}

// ScopesFor is Scopes for the sender of r: the units at which they hold
// a role allowing action, for a module listing the records they may see
// ("feedback of these units and below"). Nobody signed in is an error
// wrapping ErrUnauthenticated; a signed-in user allowed nowhere gets an
// empty list.
func ScopesFor(r *http.Request, action Action) ([]string, error) {
	st := stateFrom(r)
	if st == nil {
		return nil, fmt.Errorf("auth: scopes of %s: %w", action, ErrUnauthenticated)
	}
	id, err := st.identity()
	if err != nil {
		return nil, err
	}
	if id == nil {
		return nil, fmt.Errorf("auth: scopes of %s: %w", action, ErrUnauthenticated)
	}
	return Scopes(id, action), nil
}

// Actor is how the audit log names the sender of r — the account's
// e-mail, with the token's id for a bearer token — or "" when nobody is
// signed in. A module writing its own history of a record names the
// actor the same way.
func Actor(r *http.Request) string {
	return UserFrom(r).actor()
}

// Audit writes e to the audit log on behalf of r's sender: the actor,
// address, user agent and request id are filled in when e leaves them
// empty. A failure to write is logged, not returned: the action was done.
func Audit(r *http.Request, e Event) {
	st := stateFrom(r)
	if st == nil {
		slog.Default().ErrorContext(r.Context(), "auth: audit without the auth middleware", "action", e.Action)
		return
	}
	id, _ := st.identity()
	st.s.audit(r, id, e)
}

// AuditLog is Audit as a value, for a module that declares
//
//	type Auditor interface {
//		Audit(r *http.Request, action, unit, target string)
//	}
//
// (org does): AuditLog.Audit records a change done, with the sender of r
// as its actor and r's address, user agent and request id.
var AuditLog auditLog

type auditLog struct{}

// Audit records action done on unit to target.
func (auditLog) Audit(r *http.Request, action, unit, target string) {
	Audit(r, Event{Action: action, Outcome: OutcomeOK, Unit: unit, Target: target})
}

// auditRefusal writes a refused credential to the audit log, rationed
// per client (see refusals.go): a client sending refused credentials
// cannot grow the log faster than two rows a minute.
func (s *Service) auditRefusal(r *http.Request, id *Identity, e Event) {
	s.fillEvent(r, id, &e)
	ctx := context.WithoutCancel(r.Context())
	for _, ev := range s.refused.note(e, s.now()) {
		if err := s.store.Record(ctx, ev); err != nil {
			s.log.ErrorContext(ctx, "auth: audit log", "err", err, "action", ev.Action, "actor", ev.Actor)
		}
	}
}

// flushRefusals writes the refusals counted so far, for a reader of the
// log; it returns the first failure, having tried them all.
func (s *Service) flushRefusals(ctx context.Context) error {
	var first error
	for _, ev := range s.refused.flush(s.now()) {
		if err := s.store.Record(ctx, ev); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// indexBacklog indexes the events written before the audit log's index
// existed, once per process.
func (s *Service) indexBacklog(ctx context.Context) error {
	s.backlogMu.Lock()
	defer s.backlogMu.Unlock()
	if s.backlogDone {
		return nil
	}
	if err := s.store.IndexBacklog(ctx); err != nil {
		return err
	}
	s.backlogDone = true
	return nil
}

func (s *Service) fillEvent(r *http.Request, id *Identity, e *Event) {
	if id != nil {
		if e.ActorID == 0 {
			e.ActorID = id.User.ID
		}
		if e.Actor == "" {
			e.Actor = id.actor()
		}
	}
	if e.IP == "" {
		e.IP = ClientIP(r)
	}
	if e.UserAgent == "" {
		e.UserAgent = r.UserAgent()
	}
	if e.RequestID == "" {
		e.RequestID = r.Header.Get("X-Request-ID")
	}
}

func (s *Service) audit(r *http.Request, id *Identity, e Event) {
	s.fillEvent(r, id, &e)
	// The request may be cancelled (a client gone) after the action was
	// done: the record is written anyway.
	ctx := context.WithoutCancel(r.Context())
	if err := s.store.Record(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "auth: audit log", "err", err, "action", e.Action, "actor", e.Actor)
	}
}
