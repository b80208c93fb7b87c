// Package auth is who may do what in Mặt trận số: sign-on through any
// OpenID Connect provider, server-side sessions, bearer tokens for
// scripts, roles held at a unit of the organisation tree, the one
// permission check every protected handler calls, anti-forgery tokens for
// forms, rate limits, and the audit log of permission-relevant actions.
//
// # For the other modules
//
// A handler asks, once it knows the unit concerned:
//
//	if err := auth.Authorize(r, auth.FeedbackHandle, item.Unit); err != nil {
//		auth.Fail(w, r, err) // 401 or 403: JSON under /api, a page elsewhere
//		return
//	}
//
// [Authorize] finds who sent the request (a session cookie or an
// "Authorization: Bearer" token, resolved by [Service.Middleware]) and
// calls [Can]; a refusal is written to the audit log. [Scopes] lists the
// units under which a user may do an action, for queries that list
// records. Public pages and citizens' submissions need no account.
//
// A role held at a unit covers that unit and every unit it contains, as
// [Units] says (org.Store: the territory and its descendants, and for the
// Front also the member organisations). Which role allows which action is
// the one table in roles.go.
//
// Forms that change something print the session's CSRF token, which web
// puts in every page as {{$.CSRFField}} (see [CSRFField], [CSRFToken]);
// [Service.Middleware] refuses a POST, PUT, PATCH or DELETE made with the
// session cookie without it. Public write endpoints wrap their handlers
// in a [Limiter] ([PublicWrites]); [Audit] records a module's own
// permission-relevant actions.
//
// # Wiring (cmd/mattranso)
//
//	svc, _ := auth.New(auth.Options{DB: db, Units: tree, OIDC: …, PublicURL: …})
//	web.New(web.Options{
//		Modules:    []web.Module{{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs,
//			Mount: func(r web.Router, p *web.Renderer) error { svc.Register(r, p); return nil }}, …},
//		Middleware: []func(http.Handler) http.Handler{svc.Middleware},
//		CSRFField:  auth.CSRFField,
//	})
//
// and modules that declare an Authorizer interface get [Check], an
// Auditor interface [AuditLog].
//
// # Tokens and the audit log
//
// A bearer token lends one of its holder's grants to a script, possibly
// narrowed: it is made only for a role the holder's grants cover at its
// unit, works only while they still do (checked at every use), and
// expires — after 90 days unless made for less or more (at most a year).
// The audit log is indexed by every unit that contains an event's unit,
// so each admin's page is a range of an index; refused credentials, which
// cost a client nothing to send, are rationed to two rows a minute per
// client, with counts (refusals.go).
package auth

import (
	"context"
	"net/http"
	"time"
)

// Units answers the structural question behind every check: does unit a
// contain unit b (b is a itself, or lies below it)? org.Store satisfies it.
type Units interface {
	Contains(ctx context.Context, a, b string) (bool, error)
}

// Containers lists the units that contain unit, unit itself included.
// The audit log is indexed by them, so that a unit's page is one range of
// an index; org.IDs satisfies it. With Units that are not Containers, an
// event is read under its own unit and the root unit only.
type Containers interface {
	Containers(ctx context.Context, unit string) ([]string, error)
}

// Router registers a route with a net/http style pattern; web satisfies it.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// Pages renders one of auth's templates (see Templates) inside the site
// layout; web.Renderer satisfies it.
type Pages interface {
	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
}

// Errors that Authorize returns (wrapped); Fail maps them to statuses,
// and so can a module that does not import auth: each has a method
// HTTPStatus() int.
var (
	// ErrUnauthenticated: nobody is signed in, or the credential was
	// refused (401).
	ErrUnauthenticated error = &statusError{http.StatusUnauthorized, "auth: not signed in"}
	// ErrForbidden: the user may not do this action on this unit (403).
	ErrForbidden error = &statusError{http.StatusForbidden, "auth: not allowed"}
)

type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string   { return e.msg }
func (e *statusError) HTTPStatus() int { return e.status }

// Check is the permission check as a value, for a module that declares
//
//	type Authorizer interface {
//		Authorize(r *http.Request, action, unit string) error
//	}
//
// (org does): Check.Authorize(r, action, unit) is Authorize(r, Action(action), unit).
// A module that also lists records by unit or names who acted adds
// Scopes(r, action) ([]string, error) and Actor(r) string (feedback does).
var Check checker

type checker struct{}

// Authorize calls the package's Authorize.
func (checker) Authorize(r *http.Request, action, unit string) error {
	return Authorize(r, Action(action), unit)
}

// Scopes calls ScopesFor, for a module that lists records by unit.
func (checker) Scopes(r *http.Request, action string) ([]string, error) {
	return ScopesFor(r, Action(action))
}

// Actor calls the package's Actor.
func (checker) Actor(r *http.Request) string { return Actor(r) }

// UnitsFunc lets a function be Units.
type UnitsFunc func(ctx context.Context, a, b string) (bool, error)

// Contains calls f.
func (f UnitsFunc) Contains(ctx context.Context, a, b string) (bool, error) { return f(ctx, a, b) }

// User is a person (or a script's owner) known to the site. A user made by
// `admin grant` before signing in has no Subject until the first login.
type User struct {
	ID          int64
	Issuer      string
	Subject     string
	Email       string
	Name        string
	CreatedAt   time.Time
	LastLoginAt time.Time // zero until the first login
}

// Grant is a role held at a unit: it covers the unit and everything the
// unit contains.
type Grant struct {
	Role Role   `json:"role"`
	Unit string `json:"unit"`
}

// Method says how a request proved who sent it.
type Method string

// The two ways in.
const (
	BySession Method = "session" // the session cookie of a browser
	ByToken   Method = "token"   // an "Authorization: Bearer" token
)

// Identity is who sent a request and what they hold. A session carries
// all of its user's grants; a token only the one grant it was made with.
type Identity struct {
	User    User
	Grants  []Grant
	Method  Method
	TokenID int64 // the token's id when Method is ByToken

	units   Units
	session string // the raw session id, from which the CSRF token derives
}

// Name is how the identity is shown: the user's name, else the email.
func (id *Identity) Name() string {
	if id.User.Name != "" {
		return id.User.Name
	}
	return id.User.Email
}

// actor is how the audit log names the identity.
func (id *Identity) actor() string {
	if id == nil {
		return ""
	}
	a := id.User.Email
	if a == "" {
		a = id.User.Subject
	}
	if id.Method == ByToken {
		a += " (token " + itoa(id.TokenID) + ")"
	}
	return a
}
