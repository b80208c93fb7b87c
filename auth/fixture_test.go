package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// The units of testdata/units.csv (two provinces, three communes) and
// the village the fixture creates in Phường Sài Gòn.
const (
	hanoi     = "01"
	hcmc      = "79"
	baDinh    = "00004" // a commune of Hà Nội
	saiGon    = "26740" // a commune of Hồ Chí Minh City
	benThanh  = "26743" // its sibling
	saiGonTDP = "26740-001"
)

// fixture is the real site — web.New with the auth and org modules —
// over a test database with the unit tree of testdata/units.csv, served
// on 127.0.0.1.
type fixture struct {
	t    *testing.T
	db   *store.DB
	org  *org.Store
	auth *auth.Service
	// feedback receives citizens' items, which the officers' routes act on.
	feedback *feedback.Service
	// congress holds the congresses the congress routes act on.
	congress *congress.Store
	srv      *httptest.Server
	dex      *dextest.Dex
	logs     *syncBuffer
	// skew moves the clock of sessions, tokens and the audit log.
	skew atomic.Int64
}

// fixtureModules are further modules the site mounts, made for the
// fixture by the test files of the modules whose rows the matrix holds.
var fixtureModules []func(f *fixture, log *slog.Logger) web.Module

type fixtureOptions struct {
	dex          bool // sign on through a real Dex
	dexUsers     []dextest.User
	loginLimiter *auth.Limiter
}

func newFixture(t *testing.T, db *store.DB, fo fixtureOptions) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{t: t, db: db, logs: &syncBuffer{}}
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	f.org = org.NewStore(db)
	if err := f.org.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	units, err := os.Open("testdata/units.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer units.Close()
	if _, err := f.org.ImportTerritories(ctx, units); err != nil {
		t.Fatal(err)
	}
	v, err := f.org.CreateVillage(ctx, saiGon, "Tổ dân phố 1", "Tổ dân phố")
	if err != nil {
		t.Fatal(err)
	}
	if v.Code != saiGonTDP {
		t.Fatalf("the first village of %s is %s, want %s", saiGon, v.Code, saiGonTDP)
	}

	// The server starts before the site exists: Dex must know the
	// callback URL, and the site Dex's issuer.
	var h atomic.Pointer[http.Handler]
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)

	var oidc auth.OIDC
	if fo.dex {
		f.dex = dextest.Start(t, dextest.Options{RedirectURLs: []string{f.srv.URL + "/auth/callback"}, Users: fo.dexUsers})
		oidc = auth.OIDC{Issuer: f.dex.Issuer, ClientID: f.dex.ClientID, ClientSecret: f.dex.ClientSecret}
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if fo.loginLimiter == nil {
		// Tests sign in many times from one address.
		fo.loginLimiter = auth.NewLimiter(rate.Inf, 1)
	}
	f.auth, err = auth.New(auth.Options{
		DB: db, Units: org.IDs{Store: f.org}, OIDC: oidc, PublicURL: f.srv.URL,
		LoginLimiter: fo.loginLimiter, Logger: log, Tools: fixtureTools,
		Now: func() time.Time { return time.Now().Add(time.Duration(f.skew.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	fst := feedback.NewStore(db, feedback.StoreOptions{Logger: log})
	t.Cleanup(func() { fst.Close() })
	if err := fst.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if f.feedback, err = feedback.NewService(feedback.Options{Store: fst, Calendar: workday.Default(), Logger: log}); err != nil {
		t.Fatal(err)
	}
	officers, err := feedback.NewHandling(f.feedback, feedback.HandlingOptions{Authorizer: auth.Check, Auditor: auth.AuditLog,
		CSRF: auth.CSRFToken, CSRFField: auth.CSRFFieldName, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	f.congress = congress.NewStore(db, congress.Options{Tree: f.org})
	if err := f.congress.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	congresses := congress.NewService(congress.ServiceOptions{Store: f.congress, Authorizer: auth.Check, Auditor: auth.AuditLog,
		CSRF: auth.CSRFToken, CSRFField: auth.CSRFFieldName, Logger: log})
	var more []web.Module
	for _, m := range fixtureModules {
		more = append(more, m(f, log))
	}
	handler := web.New(web.Options{
		Logger: log,
		Modules: append([]web.Module{
			{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				f.auth.Register(r, p)
				return nil
			}},
			{Name: "org", Templates: org.Templates, Funcs: org.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				org.New(org.Options{Store: f.org, Pages: p, Authorizer: auth.Check, Auditor: auth.AuditLog, CSRF: auth.CSRFToken, Logger: log}).Register(r)
				return nil
			}},
			{Name: "feedback", Templates: feedback.Templates, Funcs: feedback.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				f.feedback.Register(r, p)
				officers.Register(r, p)
				return nil
			}},
			{Name: "congress", Templates: congress.Templates, Funcs: congress.TemplateFuncs, BodyLimits: congress.BodyLimits(f.congress.Terms()),
				Mount: func(r web.Router, p *web.Renderer) error {
					congresses.Register(r, p)
					return nil
				}},
		}, more...),
		Middleware: []func(http.Handler) http.Handler{f.auth.Middleware},
		CSRFField:  auth.CSRFField,
	})
	h.Store(&handler)
	t.Cleanup(func() {
		if t.Failed() {
			lines := strings.Split(f.logs.String(), "\n")
			t.Logf("site log (the last 60 lines):\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	return f
}

// advance moves the fixture's clock on by d.
func (f *fixture) advance(d time.Duration) { f.skew.Add(int64(d)) }

// token grants role at unit to email and creates a bearer token for it,
// as `admin grant` and `admin token create` do.
func (f *fixture) token(email string, role auth.Role, unit string) (string, auth.Token) {
	f.t.Helper()
	if _, err := f.auth.Store().Grant(f.t.Context(), email, role, unit, "test"); err != nil {
		f.t.Fatal(err)
	}
	secret, tok, err := f.auth.Store().CreateToken(f.t.Context(), auth.TokenSpec{Email: email, Role: role, Unit: unit, CreatedBy: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return secret, tok
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request to the site; token, when set, goes in the
// Authorization header.
func (f *fixture) do(method, path, token string, body io.Reader, header ...string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func (f *fixture) get(path, token string) response {
	f.t.Helper()
	return f.do(http.MethodGet, path, token, nil)
}

func decode(t *testing.T, r response, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; body %.300s", ct, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %.300s: %v", r.body, err)
	}
}

// events reads the audit log straight from the store, newest first, with
// the refusals counted so far written.
func (f *fixture) events(action string) []auth.Event {
	f.t.Helper()
	if err := f.auth.FlushRefusals(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	evs, err := f.auth.Store().Events(context.Background(), auth.EventQuery{Action: action, Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// wantEvent fails unless the audit log has an event of action with
// outcome whose reason contains reason.
func (f *fixture) wantEvent(action, outcome, reason string) auth.Event {
	f.t.Helper()
	evs := f.events(action)
	for _, e := range evs {
		if e.Outcome == outcome && strings.Contains(e.Reason, reason) {
			return e
		}
	}
	f.t.Errorf("no %s event with outcome %s and reason ~ %q in the audit log; have %+v", action, outcome, reason, evs)
	return auth.Event{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixtureTools are the staff pages the fixture's staff home links to.
var fixtureTools = []auth.Tool{
	{Label: "Phản ánh, kiến nghị", Href: "/quan-tri/phan-anh", Action: auth.FeedbackRead},
	{Label: "Báo cáo tuần", Href: "/bao-cao", Action: auth.ReportFile},
}
