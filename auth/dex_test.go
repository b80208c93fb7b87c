package auth_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// client is a browser without a screen: a cookie jar, and redirects
// followed one by one so that a test can stop or change any of them.
type client struct {
	t   *testing.T
	c   *http.Client
	jar *cookiejar.Jar
}

func newClient(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, jar: jar, c: &http.Client{
		Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	url    *url.URL
	status int
	body   string
	header http.Header
}

// do sends one request.
func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{req.URL, resp.StatusCode, string(b), resp.Header}
}

// follow gets u and follows redirects until a page that is not one, or
// until stop says to stop before following a redirect to the URL it gets.
func (c *client) follow(u string, stop func(*url.URL) bool) page {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.chase(c.do(req), stop)
}

func (c *client) chase(p page, stop func(*url.URL) bool) page {
	c.t.Helper()
	for range 20 {
		if p.status < 300 || p.status > 399 {
			return p
		}
		next, err := p.url.Parse(p.header.Get("Location"))
		if err != nil {
			c.t.Fatalf("redirect from %s: %v", p.url, err)
		}
		if stop != nil && stop(next) {
			return page{url: next, status: 0}
		}
		req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodGet, next.String(), nil)
		p = c.do(req)
	}
	c.t.Fatalf("too many redirects, last at %s", p.url)
	return p
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// submitDexLogin fills Dex's own login form on p and follows where it
// leads, stopping as stop says.
func (c *client) submitDexLogin(p page, email, password string, stop func(*url.URL) bool) page {
	c.t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, `name="password"`) {
		c.t.Fatalf("expected Dex's login form at %s, got %d: %.500s", p.url, p.status, p.body)
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		c.t.Fatal(err)
	}
	form := url.Values{"login": {email}, "password": {password}}
	req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.chase(c.do(req), stop)
}

func isCallback(u *url.URL) bool { return u.Path == "/auth/callback" }

// toCallback signs in through Dex as user and stops before the provider's
// redirect back to the site, returning that URL.
func (c *client) toCallback(f *fixture, user dextest.User) *url.URL {
	c.t.Helper()
	login := c.follow(f.srv.URL+"/auth/login?next=/can-bo", isCallback)
	p := c.submitDexLogin(login, user.Email, user.Password, isCallback)
	if p.status != 0 || !isCallback(p.url) {
		c.t.Fatalf("sign-on did not come back to the site: %d %s %.300s", p.status, p.url, p.body)
	}
	return p.url
}

// TestDexCodeFlow runs the whole authorization code flow against a real
// Dex: the site's /auth/login, Dex's own login form, the callback, the
// staff home; then /api/v1/me through the session, and logout.
func TestDexCodeFlow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{dex: true})
		user := f.dex.Users[0]
		// The first admin was granted before the first login, by email.
		if _, err := f.auth.Store().Grant(t.Context(), user.Email, auth.Officer, saiGon+"/MTTQ", "admin grant"); err != nil {
			t.Fatal(err)
		}
		c := newClient(t)
		login := c.follow(f.srv.URL+"/auth/login?next=/can-bo", nil)
		if !strings.HasPrefix(login.url.String(), f.dex.Issuer) {
			t.Fatalf("/auth/login led to %s, not to Dex", login.url)
		}
		back := c.submitDexLogin(login, user.Email, user.Password, isCallback)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, back.url.String(), nil)
		cb := c.do(req)
		if cb.status != http.StatusSeeOther || cb.header.Get("Location") != "/can-bo" {
			t.Fatalf("callback: %d to %q: %.300s", cb.status, cb.header.Get("Location"), cb.body)
		}
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: cb.header}).Cookies() {
			if ck.Name == f.auth.SessionCookie() && ck.Value != "" {
				session = ck
			}
		}
		if session == nil || len(session.Value) != 43 || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode ||
			session.Path != "/" || session.Secure {
			t.Fatalf("session cookie %+v", session)
		}
		sid := session.Value
		home := c.chase(cb, nil)
		if home.status != http.StatusOK || home.url.String() != f.srv.URL+"/can-bo" {
			t.Fatalf("after signing in: %d at %s: %.500s", home.status, home.url, home.body)
		}
		for _, want := range []string{user.Name, "Mặt trận Tổ quốc Phường Sài Gòn", "26740/MTTQ", "Cán bộ xử lý phản ánh", "Đăng xuất"} {
			if !strings.Contains(home.body, want) {
				t.Errorf("the staff home does not show %q", want)
			}
		}

		req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/api/v1/me", nil)
		me := c.do(req)
		var got auth.Me
		decode(t, response{me.status, me.header, me.body}, &got)
		if got.Email != user.Email || got.Name != user.Name || len(got.Roles) != 1 || got.Roles[0].Role != auth.Officer {
			t.Errorf("/api/v1/me = %+v", got)
		}
		// The user was linked to the grant made before, not duplicated.
		users, err := f.auth.Store().Users(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 1 || users[0].User.Subject == "" || users[0].User.Issuer != f.dex.Issuer {
			t.Errorf("users after the first login: %+v", users)
		}
		f.wantEvent(auth.EventLogin, auth.OutcomeOK, "")

		// Logout is a POST with the session's CSRF token.
		csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(home.body)
		if csrf == nil {
			t.Fatal("no CSRF field in the logout form")
		}
		req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+"/auth/logout", strings.NewReader(url.Values{"csrf_token": {csrf[1]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		out := c.do(req)
		if out.status != http.StatusOK || !strings.Contains(out.body, "Bạn đã đăng xuất") {
			t.Errorf("logout: %d %.300s", out.status, out.body)
		}
		f.wantEvent(auth.EventLogout, auth.OutcomeOK, "")
		req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/api/v1/me", nil)
		if r := c.do(req); r.status != http.StatusUnauthorized {
			t.Errorf("/api/v1/me after logout: %d", r.status)
		}
		// The old cookie, replayed, opens nothing: the session is gone.
		if r := f.do(http.MethodGet, "/api/v1/me", "", nil, "Cookie", f.auth.SessionCookie()+"="+sid); r.status != http.StatusUnauthorized {
			t.Errorf("the logged-out session's cookie still works: %d", r.status)
		}
		// The staff home now sends to the sign-on.
		if r := f.get("/can-bo", ""); r.status != http.StatusSeeOther || r.header.Get("Location") != "/auth/login?next=%2Fcan-bo" {
			t.Errorf("/can-bo after logout: %d %s", r.status, r.header.Get("Location"))
		}
	})
}

// TestLoginRedirect is the acceptance check: /auth/login sends the
// browser to the issuer's authorization endpoint with a PKCE S256
// challenge, state and nonce, and binds the state to the browser.
func TestLoginRedirect(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{dex: true})
	doc, err := f.dex.Discovery(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 2 {
		r := f.get("/auth/login?next=/can-bo/nhat-ky", "")
		if r.status != http.StatusFound {
			t.Fatalf("/auth/login: %d %.300s", r.status, r.body)
		}
		loc, err := url.Parse(r.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if got := loc.Scheme + "://" + loc.Host + loc.Path; got != doc["authorization_endpoint"] {
			t.Errorf("redirect to %s, want the authorization endpoint %v", got, doc["authorization_endpoint"])
		}
		q := loc.Query()
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
			t.Errorf("PKCE: method %q challenge %q", q.Get("code_challenge_method"), q.Get("code_challenge"))
		}
		for _, p := range []string{"state", "nonce", "code_challenge"} {
			if len(q.Get(p)) < 43 || seen[q.Get(p)] {
				t.Errorf("%s %q is short or repeated", p, q.Get(p))
			}
			seen[q.Get(p)] = true
		}
		if q.Get("response_type") != "code" || q.Get("client_id") != f.dex.ClientID ||
			q.Get("redirect_uri") != f.srv.URL+"/auth/callback" || !strings.Contains(q.Get("scope"), "openid") {
			t.Errorf("authorization request %v", q)
		}
		var state *http.Cookie
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "mts_login" {
				state = c
			}
		}
		if state == nil || state.Value != q.Get("state") || !state.HttpOnly || state.SameSite != http.SameSiteLaxMode {
			t.Errorf("state cookie %+v", state)
		}
	}
	// next must be a local path.
	for next, want := range map[string]string{
		"/can-bo/nhat-ky":         "/can-bo/nhat-ky",
		"https://evil.example/x":  "/can-bo",
		"//evil.example/x":        "/can-bo",
		"/\\evil.example":         "/can-bo",
		"javascript:alert(1)":     "/can-bo",
		"/auth/logout":            "/can-bo",
		"/quan-tri/dia-ban/26740": "/quan-tri/dia-ban/26740",
	} {
		if got := auth.LocalPath(next); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestRefusedSignOns: a tampered state, a replayed code and a wrong nonce
// are each refused, and logged.
func TestRefusedSignOns(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{dex: true})
	user := f.dex.Users[0]
	refused := func(t *testing.T, c *client, u string, reason string) {
		t.Helper()
		p := c.follow(u, nil)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Đăng nhập không thành công") {
			t.Errorf("callback %s: %d %.300s", u, p.status, p.body)
		}
		f.wantEvent(auth.EventLoginRefused, auth.OutcomeRefused, reason)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/api/v1/me", nil)
		if r := c.do(req); r.status != http.StatusUnauthorized {
			t.Errorf("signed in after a refused sign-on: %d", r.status)
		}
	}

	t.Run("tampered state", func(t *testing.T) {
		c := newClient(t)
		cb := c.toCallback(f, user)
		q := cb.Query()
		q.Set("state", q.Get("state")[:42]+flip(q.Get("state")[42]))
		cb.RawQuery = q.Encode()
		refused(t, c, cb.String(), "state does not match")
	})

	t.Run("state of another browser", func(t *testing.T) {
		victim, attacker := newClient(t), newClient(t)
		cb := attacker.toCallback(f, user)
		refused(t, victim, cb.String(), "state does not match")
	})

	t.Run("replayed code", func(t *testing.T) {
		victim, attacker := newClient(t), newClient(t)
		cb := victim.toCallback(f, user)
		if p := victim.follow(cb.String(), nil); p.status != http.StatusOK || p.url.Path != "/can-bo" {
			t.Fatalf("first use of the code: %d %s", p.status, p.url)
		}
		// The victim's callback again, from the victim: its state is spent.
		p := victim.follow(cb.String(), nil)
		if p.status != http.StatusBadRequest {
			t.Errorf("the victim's callback again: %d", p.status)
		}
		f.wantEvent(auth.EventLoginRefused, auth.OutcomeRefused, "state")
		// The same URL from another browser: not its state.
		refused(t, attacker, cb.String(), "state does not match")
		// The code with the attacker's own fresh sign-on: Dex refuses the
		// spent code (and the new verifier would not match it either).
		fresh := attacker.follow(f.srv.URL+"/auth/login", func(u *url.URL) bool { return strings.HasPrefix(u.String(), f.dex.Issuer) })
		state := fresh.url.Query().Get("state")
		replay := f.srv.URL + "/auth/callback?" + url.Values{"code": {cb.Query().Get("code")}, "state": {state}}.Encode()
		refused(t, attacker, replay, "code exchange")
	})

	t.Run("wrong nonce", func(t *testing.T) {
		c := newClient(t)
		// Stop on the way to Dex and change the nonce the site asked for.
		toDex := c.follow(f.srv.URL+"/auth/login", func(u *url.URL) bool { return strings.HasPrefix(u.String(), f.dex.Issuer) })
		q := toDex.url.Query()
		q.Set("nonce", "a-nonce-the-site-never-made-"+q.Get("nonce")[:10])
		toDex.url.RawQuery = q.Encode()
		login := c.follow(toDex.url.String(), nil)
		p := c.submitDexLogin(login, user.Email, user.Password, isCallback)
		refused(t, c, p.url.String(), "nonce")
	})

	t.Run("wrong password stays at Dex", func(t *testing.T) {
		c := newClient(t)
		login := c.follow(f.srv.URL+"/auth/login", nil)
		p := c.submitDexLogin(login, user.Email, "sai-mat-khau", isCallback)
		if p.status == 0 || p.status >= 500 || !strings.HasPrefix(p.url.String(), f.dex.Issuer) || !strings.Contains(p.body, `name="password"`) {
			t.Errorf("wrong password: %d at %s", p.status, p.url)
		}
	})

	t.Run("provider error", func(t *testing.T) {
		c := newClient(t)
		toDex := c.follow(f.srv.URL+"/auth/login", func(u *url.URL) bool { return strings.HasPrefix(u.String(), f.dex.Issuer) })
		cb := f.srv.URL + "/auth/callback?" + url.Values{"error": {"access_denied"}, "state": {toDex.url.Query().Get("state")}}.Encode()
		refused(t, c, cb, "provider: access_denied")
	})
}

// TestExpiredSession: a session idle too long, or past its maximum age,
// is refused and logged, and its cookie cleared.
func TestExpiredSession(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{dex: true})
	user := f.dex.Users[0]
	signIn := func() *client {
		c := newClient(t)
		cb := c.toCallback(f, user)
		if p := c.follow(cb.String(), nil); p.status != http.StatusOK {
			t.Fatalf("sign in: %d", p.status)
		}
		return c
	}
	me := func(c *client) page {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/api/v1/me", nil)
		return c.do(req)
	}

	c := signIn()
	// Used within the idle time, the session lives on.
	for range 3 {
		f.advance(auth.DefaultSessionIdle - 5*time.Minute)
		if r := me(c); r.status != http.StatusOK {
			t.Fatalf("a session in use expired: %d", r.status)
		}
	}
	// …until its maximum age.
	f.advance(auth.DefaultSessionMax)
	r := me(c)
	if r.status != http.StatusUnauthorized || !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "Max-Age=0") {
		t.Errorf("a session past its maximum age: %d, Set-Cookie %q", r.status, r.header.Values("Set-Cookie"))
	}
	f.wantEvent(auth.EventSessionExpired, auth.OutcomeRefused, "maximum age")

	c = signIn()
	f.advance(auth.DefaultSessionIdle + time.Minute)
	if r := me(c); r.status != http.StatusUnauthorized {
		t.Errorf("an idle session: %d", r.status)
	}
	e := f.wantEvent(auth.EventSessionExpired, auth.OutcomeRefused, "idle")
	if e.Actor != user.Email {
		t.Errorf("expired-session event names %q, want %s", e.Actor, user.Email)
	}
}
