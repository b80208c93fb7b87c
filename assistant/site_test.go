package assistant_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv/testlibrary"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

func TestMain(m *testing.M) { testlibrary.Main(m) }

// needLibrary returns the library the site tests ask about: the four codes
// of ALQAC 2022.
func needLibrary(t testing.TB) (*corpus.Store, *retrieval.Keyword) {
	t.Helper()
	return testlibrary.Open(t, testlibrary.Options{})
}

// The unit staff hold their role at in these tests.
const hcmcFront = "79/MTTQ"

// site is the real site — web.New with the library, auth and the
// assistant (the real Service over the test library) — on 127.0.0.1.
type site struct {
	t     *testing.T
	db    *store.DB
	auth  *auth.Service
	convs *assistant.Conversations
	srv   *httptest.Server
	dex   *dextest.Dex
	logs  *bytes.Buffer
}

type siteOptions struct {
	dex   bool            // sign on through a real Dex
	asker assistant.Asker // default: the real Service
	wrap  func(http.Handler) http.Handler
	// askLimiter limits asking; default: assistant.NewAskLimiter()
	askLimiter *auth.Limiter
}

func newSite(t *testing.T, db *store.DB, o siteOptions) *site {
	t.Helper()
	ctx := t.Context()
	docs, index := needLibrary(t)
	s := &site{t: t, db: db, logs: &bytes.Buffer{}}
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s.convs = assistant.NewConversations(db)
	if err := s.convs.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var h atomic.Pointer[http.Handler]
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	var oidc auth.OIDC
	if o.dex {
		s.dex = dextest.Start(t, dextest.Options{RedirectURLs: []string{s.srv.URL + "/auth/callback"}})
		oidc = auth.OIDC{Issuer: s.dex.Issuer, ClientID: s.dex.ClientID, ClientSecret: s.dex.ClientSecret}
	}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: s.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	s.auth, err = auth.New(auth.Options{
		DB: db, OIDC: oidc, PublicURL: s.srv.URL, Logger: log,
		// The assistant is not unit-scoped; a unit contains only itself here.
		Units:        auth.UnitsFunc(func(_ context.Context, a, b string) (bool, error) { return a == b, nil }),
		LoginLimiter: auth.NewLimiter(rate.Inf, 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	asker := o.asker
	if asker == nil {
		asker = assistant.New(assistant.Options{Searcher: index, Documents: docs, Logger: log})
	}
	handler := web.New(web.Options{
		Logger: log,
		Modules: []web.Module{
			// The library, whose pages the citations link to.
			{Name: "library", Templates: library.Templates, Funcs: library.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				library.New(library.Options{Searcher: index, Documents: docs, Pages: p, Logger: web.RequestLogger(log)}).Register(r)
				return nil
			}},
			{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				s.auth.Register(r, p)
				return nil
			}},
			{Name: "assistant", Templates: assistant.Templates, Funcs: assistant.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				assistant.NewHTTP(assistant.HTTPOptions{Asker: asker, Conversations: s.convs, Pages: p, Logger: log, AskLimiter: o.askLimiter}).Register(r)
				return nil
			}},
		},
		Middleware: []func(http.Handler) http.Handler{s.auth.Middleware},
		CSRFField:  auth.CSRFField,
	})
	if o.wrap != nil {
		handler = o.wrap(handler)
	}
	h.Store(&handler)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// token grants role at the test unit to email and makes a bearer token
// for it.
func (s *site) token(email string, role auth.Role) string {
	s.t.Helper()
	if _, err := s.auth.Store().Grant(s.t.Context(), email, role, hcmcFront, "test"); err != nil {
		s.t.Fatal(err)
	}
	secret, _, err := s.auth.Store().CreateToken(s.t.Context(), auth.TokenSpec{Email: email, Role: role, Unit: hcmcFront, CreatedBy: "test"})
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// call sends a request with the bearer token (none when empty) and
// decodes a JSON answer into out when out is not nil.
func (s *site) call(method, path, token string, body any, out any) *http.Response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res
}
