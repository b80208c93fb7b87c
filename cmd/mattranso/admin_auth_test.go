package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// TestAdminGrantAndToken drives the commands as an operator would: grant
// the first admin, create a token, and use it on /api/v1/me of the site
// that serve builds; list and revoke it; bad input exits 2 with a message.
func TestAdminGrantAndToken(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"MATTRANSO_DATA": data, "MATTRANSO_INGEST": "none", "DATABASE_URL": ""}
	units, err := filepath.Abs("../../auth/testdata/units.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCmd(t, env, "admin", "import-units", units); code != 0 {
		t.Fatalf("import-units: %d %s", code, stderr)
	}

	out, stderr, code := runCmd(t, env, "admin", "grant", "--email", "Chu.Tich@MTTQ.vn", "--role", "admin", "--unit", "vn/mttq")
	if code != 0 || !strings.Contains(out, "granted: chu.tich@mttq.vn is admin at VN/MTTQ (linked when they first sign in)") {
		t.Fatalf("grant: %d %q %q", code, out, stderr)
	}
	// A token carries a role its holder holds: grant first.
	_, stderr, code = runCmd(t, env, "admin", "token", "create", "--email", "script@hcm.vn", "--role", "reporter", "--unit", "79/HND", "--ttl", "720h")
	if code != 1 || !strings.Contains(stderr, "grant it first (mattranso admin grant --email script@hcm.vn --role reporter --unit 79/HND)") {
		t.Fatalf("token create without a grant: %d %q", code, stderr)
	}
	if _, stderr, code := runCmd(t, env, "admin", "grant", "--email", "script@hcm.vn", "--role", "reporter", "--unit", "79/HND"); code != 0 {
		t.Fatalf("grant the script's holder: %d %s", code, stderr)
	}
	out, stderr, code = runCmd(t, env, "admin", "token", "create", "--email", "script@hcm.vn", "--role", "reporter", "--unit", "79/HND", "--ttl", "720h")
	secret := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(secret, auth.TokenPrefix) || strings.Count(out, "\n") != 1 || !strings.Contains(stderr, "shown once") {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	// The admin's own token, with the default lifetime, a role below theirs.
	out, stderr, code = runCmd(t, env, "admin", "token", "create", "--email", "chu.tich@mttq.vn", "--role", "viewer", "--unit", "79/HND")
	adminToken := strings.TrimSpace(out)
	expires := time.Now().UTC().Add(auth.DefaultTokenTTL)
	if code != 0 || !strings.Contains(stderr, "expires "+expires.Format(time.DateOnly)) && !strings.Contains(stderr, "expires "+expires.Add(time.Minute).Format(time.DateOnly)) {
		t.Fatalf("token create with the default lifetime: %d %q %q; want it to expire on %s", code, out, stderr, expires.Format(time.DateOnly))
	}

	// The site serve builds, over the same database.
	cfg, err := config.Load(config.Data, config.Auth)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), cfg.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	parts, err := server.AuthSite(t.Context(), cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	site := web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Modules: []web.Module{parts.Module},
		Middleware: []func(http.Handler) http.Handler{parts.Middleware}, CSRFField: auth.CSRFField})
	me := func(token string) (int, string) {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		site.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Body)
		return w.Code, string(b)
	}
	if code, body := me(""); code != http.StatusUnauthorized {
		t.Errorf("anonymous /api/v1/me: %d %s", code, body)
	}
	code, body := me(secret)
	var got auth.Me
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK {
		t.Fatalf("/api/v1/me with the token: %d %s", code, body)
	}
	if got.Email != "script@hcm.vn" || len(got.Roles) != 1 || got.Roles[0] != (auth.Grant{Role: auth.Reporter, Unit: "79/HND"}) {
		t.Errorf("/api/v1/me = %+v", got)
	}
	// Without OIDC the sign-in page tells a visitor that staff sign-in is
	// not open, and someone signed in with a token how to configure it.
	r := httptest.NewRequest(http.MethodGet, "/auth/login", nil)
	w := httptest.NewRecorder()
	site.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "OIDC_ISSUER") || !strings.Contains(w.Body.String(), "Chưa mở đăng nhập cho cán bộ") {
		t.Errorf("/auth/login without OIDC, anonymous: %d", w.Code)
	}
	r = httptest.NewRequest(http.MethodGet, "/auth/login", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	w = httptest.NewRecorder()
	site.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "OIDC_ISSUER") {
		t.Errorf("/auth/login without OIDC, with a token: %d", w.Code)
	}

	out, _, code = runCmd(t, env, "admin", "token", "list")
	if code != 0 || !strings.Contains(out, secret[:12]+"…") || strings.Contains(out, secret) || !strings.Contains(out, "79/HND") {
		t.Errorf("token list: %d\n%s", code, out)
	}
	out, _, code = runCmd(t, env, "admin", "grant", "list")
	if code != 0 || !strings.Contains(out, "chu.tich@mttq.vn") || !strings.Contains(out, "admin@VN/MTTQ") {
		t.Errorf("grant list: %d\n%s", code, out)
	}
	out, stderr, code = runCmd(t, env, "admin", "token", "revoke", "1")
	if code != 0 || !strings.Contains(out, "revoked: token 1") {
		t.Errorf("token revoke: %d %q %q", code, out, stderr)
	}
	if code, _ := me(secret); code != http.StatusUnauthorized {
		t.Errorf("/api/v1/me with the revoked token: %d", code)
	}
	if code, body := me(adminToken); code != http.StatusOK {
		t.Errorf("/api/v1/me with the admin's token: %d %s", code, body)
	}
	out, _, _ = runCmd(t, env, "admin", "grant", "--remove", "--email", "chu.tich@mttq.vn", "--role", "admin", "--unit", "VN/MTTQ")
	if !strings.Contains(out, "removed") {
		t.Errorf("grant --remove: %q", out)
	}
	// Without the grant behind it the token opens nothing, and the list says why.
	if code, body := me(adminToken); code != http.StatusUnauthorized {
		t.Errorf("/api/v1/me with the token of a removed admin: %d %s", code, body)
	}
	out, _, code = runCmd(t, env, "admin", "token", "list")
	if code != 0 || !strings.Contains(out, "no grant (chu.tich@mttq.vn no longer holds viewer)") {
		t.Errorf("token list after grant --remove: %d\n%s", code, out)
	}

	// Every change is in the audit log.
	evs, err := auth.NewStore(db, nil).Events(t.Context(), auth.EventQuery{Action: "auth"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{auth.EventGrant, auth.EventTokenCreate, auth.EventTokenRevoke, auth.EventUngrant, auth.EventTokenRefused} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"admin", "grant", "--email", "a@b.vn", "--role", "boss", "--unit", "VN/MTTQ"}, 2, `unknown role "boss"`},
		{[]string{"admin", "grant", "--email", "a@b.vn", "--role", "admin"}, 2, "missing --unit"},
		{[]string{"admin", "grant", "--email", "a@b.vn", "--role", "admin", "--unit", "79/XYZ"}, 2, "unknown organisation"},
		{[]string{"admin", "grant", "--email", "a@b.vn", "--role", "admin", "--unit", "56/MTTQ"}, 1, "no territory 56"},
		{[]string{"admin", "grant", "--email", "not-an-email", "--role", "admin", "--unit", "VN/MTTQ"}, 1, "not an email address"},
		{[]string{"admin", "token", "create", "--email", "a@b.vn", "--role", "admin", "--unit", "VN/MTTQ", "--ttl", "-1h"}, 2, "negative"},
		{[]string{"admin", "token", "create", "--email", "a@b.vn", "--role", "admin", "--unit", "VN/MTTQ", "--ttl", "0"}, 2, "every token expires"},
		{[]string{"admin", "token", "create", "--email", "a@b.vn", "--role", "admin", "--unit", "VN/MTTQ", "--ttl", "9000h"}, 2, "over the maximum"},
		{[]string{"admin", "token", "create", "--email", "a@b.vn", "--role", "admin", "--unit", "VN/MTTQ"}, 1, "grant it first"},
		{[]string{"admin", "token", "revoke", "abc"}, 2, "not a token id"},
		{[]string{"admin", "token", "revoke", "99"}, 1, "no token 99"},
		{[]string{"admin", "token", "frob"}, 2, "unknown command"},
		{[]string{"admin", "token"}, 2, "name a command"},
	} {
		_, stderr, code := runCmd(t, env, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("mattranso %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "mattranso.db")); err != nil {
		t.Errorf("the commands did not use the data directory: %v", err)
	}
}
