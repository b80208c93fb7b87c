package congress_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// site is the site as serve builds it for congresses — web's shell with
// the real auth (bearer tokens as `admin token create` makes them;
// sessions through a real Dex for the form's CSRF) and the congress
// module — over a test database with the test tree, served on 127.0.0.1.
type site struct {
	t     *testing.T
	db    *store.DB
	tree  *org.Store
	store *congress.Store
	svc   *congress.Service
	auth  *auth.Service
	h     http.Handler
	srv   *httptest.Server
	dex   *dextest.Dex
	seen  changes
}

// The people of the tests.
const (
	saiGonReporter   = "bao-cao.saigon@mattranso.test"   // reporter of 26740/MTTQ
	benThanhReporter = "bao-cao.benthanh@mattranso.test" // reporter of 26743/MTTQ
	hcmcReporter     = "bao-cao.tphcm@mattranso.test"    // reporter of 79/MTTQ
	hanoiReporter    = "bao-cao.hanoi@mattranso.test"    // reporter of 01/MTTQ
	saiGonHND        = "bao-cao.hnd@mattranso.test"      // reporter of 26740/HND
	hcmcViewer       = "theo-doi.tphcm@mattranso.test"   // viewer of 79/MTTQ
	dexPassword      = "mat-khau-1"
)

func newSite(t *testing.T, db *store.DB, withDex bool) *site {
	t.Helper()
	ctx := t.Context()
	f := &site{t: t, db: db}
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	f.tree = tree(t, db)
	f.store = congress.NewStore(db, congress.Options{Tree: f.tree, OnChange: f.seen.add})
	if err := f.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var h atomic.Pointer[http.Handler]
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	var oidc auth.OIDC
	if withDex {
		f.dex = dextest.Start(t, dextest.Options{RedirectURLs: []string{f.srv.URL + "/auth/callback"}, Users: []dextest.User{
			{Email: saiGonReporter, Password: dexPassword, Name: "Lê Thị Hoa", Subject: "7a1e2b3c-0000-4000-8000-000000000016"},
		}})
		oidc = auth.OIDC{Issuer: f.dex.Issuer, ClientID: f.dex.ClientID, ClientSecret: f.dex.ClientSecret}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	f.auth, err = auth.New(auth.Options{DB: db, Units: org.IDs{Store: f.tree}, OIDC: oidc, PublicURL: f.srv.URL,
		LoginLimiter: auth.NewLimiter(rate.Inf, 1), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = congress.NewService(congress.ServiceOptions{Store: f.store, Authorizer: auth.Check, Auditor: auth.AuditLog,
		CSRF: auth.CSRFToken, CSRFField: auth.CSRFFieldName, Logger: log})
	f.h = web.New(web.Options{
		Logger: log,
		Modules: []web.Module{
			{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				f.auth.Register(r, p)
				return nil
			}},
			{Name: "congress", Templates: congress.Templates, Funcs: congress.TemplateFuncs, BodyLimits: congress.BodyLimits(f.store.Terms()),
				Mount: func(r web.Router, p *web.Renderer) error {
					f.svc.Register(r, p)
					return nil
				}},
		},
		Middleware: []func(http.Handler) http.Handler{f.auth.Middleware},
		CSRFField:  auth.CSRFField,
	})
	h.Store(&f.h)
	return f
}

// token grants role at unit to email and makes a bearer token of it.
func (f *site) token(email string, role auth.Role, unit string) string {
	f.t.Helper()
	ctx := f.t.Context()
	if _, err := f.auth.Store().Grant(ctx, email, role, unit, "test"); err != nil {
		f.t.Fatal(err)
	}
	secret, _, err := f.auth.Store().CreateToken(ctx, auth.TokenSpec{Email: email, Role: role, Unit: unit, CreatedBy: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return secret
}

// people makes the tokens of the tests' people.
func (f *site) people() map[string]string {
	return map[string]string{
		saiGonReporter:   f.token(saiGonReporter, auth.Reporter, saiGon+"/MTTQ"),
		benThanhReporter: f.token(benThanhReporter, auth.Reporter, benThanh+"/MTTQ"),
		hcmcReporter:     f.token(hcmcReporter, auth.Reporter, hcmc+"/MTTQ"),
		hanoiReporter:    f.token(hanoiReporter, auth.Reporter, hanoi+"/MTTQ"),
		saiGonHND:        f.token(saiGonHND, auth.Reporter, saiGon+"/HND"),
		hcmcViewer:       f.token(hcmcViewer, auth.Viewer, hcmc+"/MTTQ"),
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    api.Error
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %.300s: %v", a.body, err)
	}
}

// call sends a request with a bearer token ("" for none); a body that is
// not a string or bytes is sent as JSON; ct overrides the content type.
func (f *site) call(t *testing.T, method, target, token string, body any, ct ...string) answer {
	t.Helper()
	var rd io.Reader
	typ := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, typ = strings.NewReader(b), "application/json"
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, typ = bytes.NewReader(data), "application/json"
	}
	if len(ct) > 0 {
		typ = ct[0]
	}
	r := httptest.NewRequest(method, target, rd)
	if typ != "" {
		r.Header.Set("Content-Type", typ)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if w.Code >= 400 && api.IsAPIPath(target) {
		var env api.Envelope
		if json.Unmarshal(a.body, &env) == nil && env.Error != nil {
			a.err = *env.Error
		}
	}
	return a
}

// upload sends a multipart form with fields and one file.
func (f *site) upload(t *testing.T, target, token string, fields map[string]string, fileField, fileName string, data []byte) answer {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return f.call(t, http.MethodPost, target, token, b.Bytes(), mw.FormDataContentType())
}

func congressPath(territory string, rest ...string) string {
	return "/api/v1/congress/" + term + "/congresses/" + territory + strings.Join(rest, "")
}

// webClient is a client with cookies that follows redirects itself.
type webClient struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *webClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &webClient{t: t, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *webClient) do(req *http.Request) (page, *url.URL) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(body)}, req.URL
}

func (b *webClient) follow(req *http.Request) (page, *url.URL) {
	b.t.Helper()
	p, u := b.do(req)
	for range 20 {
		if p.status < 300 || p.status > 399 {
			return p, u
		}
		next, err := u.Parse(p.header.Get("Location"))
		if err != nil {
			b.t.Fatal(err)
		}
		r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, next.String(), nil)
		p, u = b.do(r)
	}
	b.t.Fatal("too many redirects")
	return p, u
}

func (b *webClient) get(target string) page {
	b.t.Helper()
	r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, target, nil)
	p, _ := b.do(r)
	return p
}

func (b *webClient) post(target string, v url.Values) page {
	b.t.Helper()
	r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodPost, target, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p, _ := b.do(r)
	return p
}

var dexForm = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// signIn signs on through Dex's own login form and lands on next.
func (b *webClient) signIn(f *site, email, password, next string) page {
	b.t.Helper()
	r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, f.srv.URL+"/auth/login?"+url.Values{"next": {next}}.Encode(), nil)
	login, at := b.follow(r)
	m := dexForm.FindStringSubmatch(login.body)
	if login.status != http.StatusOK || m == nil {
		b.t.Fatalf("no Dex login form at %s: %d %.300s", at, login.status, login.body)
	}
	action, err := at.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	form := url.Values{"login": {email}, "password": {password}}
	r, _ = http.NewRequestWithContext(b.t.Context(), http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p, u := b.follow(r)
	if p.status != http.StatusOK || u.Path != next {
		b.t.Fatalf("sign-on ended at %s with %d: %.300s", u, p.status, p.body)
	}
	return p
}
