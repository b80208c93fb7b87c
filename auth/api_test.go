package auth_test

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestMe is the acceptance check: /api/v1/me is 401 anonymously and 200
// with a token from `admin token create`, showing its role and unit.
func TestMe(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		r := f.get("/api/v1/me", "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("anonymous /api/v1/me: %d %s", r.status, r.body)
		}
		var e api.Envelope
		decode(t, r, &e)
		if e.Error.Code != "unauthenticated" || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("anonymous /api/v1/me: %+v, WWW-Authenticate %q", e, r.header.Get("WWW-Authenticate"))
		}

		secret, _ := f.token("Bao.Cao@Xa.VN", auth.Reporter, saiGon+"/MTTQ")
		if !strings.HasPrefix(secret, auth.TokenPrefix) {
			t.Errorf("token %q does not start with %s", secret, auth.TokenPrefix)
		}
		r = f.get("/api/v1/me", secret)
		if r.status != http.StatusOK {
			t.Fatalf("/api/v1/me with a token: %d %s", r.status, r.body)
		}
		var me auth.Me
		decode(t, r, &me)
		want := auth.Me{Email: "bao.cao@xa.vn", Roles: []auth.Grant{{Role: auth.Reporter, Unit: saiGon + "/MTTQ"}}}
		if me.Email != want.Email || len(me.Roles) != 1 || me.Roles[0] != want.Roles[0] {
			t.Errorf("/api/v1/me = %+v, want %+v", me, want)
		}
		if !strings.Contains(r.body, `"roles":[{"role":"reporter","unit":"26740/MTTQ"}]`) {
			t.Errorf("/api/v1/me body %s", r.body)
		}
		// The token works in either case of the scheme name.
		if r := f.do(http.MethodGet, "/api/v1/me", "", nil, "Authorization", "bearer "+secret); r.status != http.StatusOK {
			t.Errorf("lower-case bearer: %d", r.status)
		}
	})
}

// TestRefusedTokens: a forged, revoked or expired token opens nothing and
// each refusal is in the audit log.
func TestRefusedTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		good, _ := f.token("a@x.vn", auth.Admin, "VN/MTTQ")
		forged := auth.TokenPrefix + strings.Repeat("A", 43)
		revoked, rt := f.token("b@x.vn", auth.Admin, "VN/MTTQ")
		if _, err := f.auth.Store().RevokeToken(t.Context(), rt.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.Store().Grant(t.Context(), "c@x.vn", auth.Admin, "VN/MTTQ", "test"); err != nil {
			t.Fatal(err)
		}
		expiring, _, err := f.auth.Store().CreateToken(t.Context(), auth.TokenSpec{Email: "c@x.vn", Role: auth.Admin, Unit: "VN/MTTQ", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if r := f.get("/api/v1/me", expiring); r.status != http.StatusOK {
			t.Fatalf("fresh expiring token: %d", r.status)
		}
		f.advance(2 * time.Hour)

		for _, c := range []struct{ name, token, reason string }{
			{"forged", forged, "unknown token"},
			{"malformed", "not-a-token", "malformed token"},
			{"good token with a changed letter", good[:len(good)-1] + flip(good[len(good)-1]), "unknown token"},
			{"revoked", revoked, "revoked token"},
			{"expired", expiring, "expired token"},
		} {
			t.Run(c.name, func(t *testing.T) {
				for _, path := range []string{"/api/v1/me", "/api/v1/auth/tokens", "/api/v1/audit", "/api/v1/org/territories/" + saiGon + "/villages?include_retired=1"} {
					if r := f.get(path, c.token); r.status != http.StatusUnauthorized {
						t.Errorf("%s with a %s token: %d %.200s", path, c.name, r.status, r.body)
					}
				}
				f.wantEvent(auth.EventTokenRefused, auth.OutcomeRefused, c.reason)
			})
		}
		if r := f.get("/api/v1/me", good); r.status != http.StatusOK {
			t.Errorf("the good token stopped working: %d", r.status)
		}
	})
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestTokenAdminAPI: an admin lists and revokes tokens of the units they
// administer; the revoked token stops at once; both are logged.
func TestTokenAdminAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		admin, _ := f.token("admin@hcm.vn", auth.Admin, hcmc+"/MTTQ")
		script, st := f.token("script@hcm.vn", auth.Reporter, saiGon+"/MTTQ")
		_, other := f.token("script@hn.vn", auth.Reporter, baDinh+"/MTTQ")

		r := f.get("/api/v1/auth/tokens", admin)
		var list auth.TokenList
		decode(t, r, &list)
		var ids []int64
		for _, tk := range list.Tokens {
			ids = append(ids, tk.ID)
			if strings.Contains(r.body, "hash") || len(tk.Prefix) != len(auth.TokenPrefix)+8 {
				t.Errorf("token list shows %+v", tk)
			}
		}
		if len(ids) != 2 || contains(ids, other.ID) || !contains(ids, st.ID) {
			t.Errorf("the admin of %s/MTTQ sees tokens %v; want its own and %d, not %d", hcmc, ids, st.ID, other.ID)
		}

		if r := f.do(http.MethodDelete, "/api/v1/auth/tokens/"+itoa(other.ID), admin, nil); r.status != http.StatusForbidden {
			t.Errorf("revoking a Hà Nội token from Hồ Chí Minh City: %d %s", r.status, r.body)
		}
		if r := f.do(http.MethodDelete, "/api/v1/auth/tokens/999999", admin, nil); r.status != http.StatusNotFound {
			t.Errorf("revoking a missing token: %d %s", r.status, r.body)
		}
		if r := f.do(http.MethodDelete, "/api/v1/auth/tokens/abc", admin, nil); r.status != http.StatusBadRequest {
			t.Errorf("revoking token abc: %d %s", r.status, r.body)
		}
		r = f.do(http.MethodDelete, "/api/v1/auth/tokens/"+itoa(st.ID), admin, nil)
		if r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		var revoked auth.Token
		decode(t, r, &revoked)
		if revoked.RevokedAt.IsZero() {
			t.Errorf("revoked token: %+v", revoked)
		}
		if r := f.get("/api/v1/me", script); r.status != http.StatusUnauthorized {
			t.Errorf("a revoked token still opens /api/v1/me: %d", r.status)
		}
		f.wantEvent(auth.EventTokenRevoke, auth.OutcomeOK, "")
		f.wantEvent(auth.EventDenied, auth.OutcomeDenied, "DELETE /api/v1/auth/tokens/"+itoa(other.ID))
		f.wantEvent(auth.EventTokenRefused, auth.OutcomeRefused, "revoked token")
	})
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestAuditExport: the audit log as JSON and CSV, with paging and the
// formula guard, for an admin of the root unit.
func TestAuditExport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		root, _ := f.token("root@mttq.vn", auth.Admin, auth.RootUnit)
		for i := range 5 {
			if err := f.auth.Store().Record(t.Context(), auth.Event{Action: "test.event", Outcome: auth.OutcomeOK,
				Unit: saiGon + "/MTTQ", Target: "=cmd|" + itoa(int64(i)), UserAgent: "Mozilla, \"quoted\""}); err != nil {
				t.Fatal(err)
			}
		}
		r := f.get("/api/v1/audit?action=test&limit=3", root)
		if r.status != http.StatusOK {
			t.Fatalf("audit: %d %s", r.status, r.body)
		}
		var page auth.EventList
		decode(t, r, &page)
		if len(page.Events) != 3 || page.Next == 0 || page.Events[0].Target != "=cmd|4" {
			t.Fatalf("first page: %+v", page)
		}
		r = f.get("/api/v1/audit?action=test&limit=3&before="+itoa(page.Next), root)
		page = auth.EventList{}
		decode(t, r, &page)
		if len(page.Events) != 2 || page.Next != 0 || page.Events[1].Target != "=cmd|0" {
			t.Fatalf("second page: %+v", page)
		}

		r = f.get("/api/v1/audit?format=csv&action=test.event", root)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("CSV: %d %v", r.status, r.header)
		}
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("CSV: %v\n%s", err, r.body)
		}
		if len(rows) != 6 || strings.Join(rows[0], ",") != "id,at,actor,action,unit,target,outcome,reason,ip,user_agent,request_id,count" {
			t.Fatalf("CSV rows: %q", rows)
		}
		if rows[1][5] != "'=cmd|4" || rows[1][9] != `Mozilla, "quoted"` || rows[1][4] != "26740/MTTQ" {
			t.Errorf("CSV row: %q", rows[1])
		}
		if _, err := time.Parse(time.RFC3339, rows[1][1]); err != nil {
			t.Errorf("CSV time: %v", err)
		}

		for _, q := range []string{"format=xml", "limit=0", "limit=abc", "before=-1"} {
			if r := f.get("/api/v1/audit?"+q, root); r.status != http.StatusBadRequest {
				t.Errorf("audit?%s: %d", q, r.status)
			}
		}
		// The page shows the same log.
		r = f.get("/can-bo/nhat-ky?action=test.event", root)
		if r.status != http.StatusOK || !strings.Contains(r.body, "=cmd|4") || !strings.Contains(r.body, "Tải về tệp CSV") {
			t.Errorf("audit page: %d %.500s", r.status, r.body)
		}
	})
}

// TestNotConfigured: without OIDC nothing lets anyone in. A visitor who
// is not signed in is sent from a staff page to the sign-in page, which
// says that staff sign-in is not open — never the operator's settings;
// someone signed in with a token is told how to configure it.
func TestNotConfigured(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{})
	for path, next := range map[string]string{"/can-bo": "%2Fcan-bo", "/can-bo/nhat-ky": "%2Fcan-bo%2Fnhat-ky"} {
		if r := f.get(path, ""); r.status != http.StatusSeeOther || r.header.Get("Location") != "/auth/login?next="+next {
			t.Errorf("%s: %d to %q, want the sign-in page", path, r.status, r.header.Get("Location"))
		}
	}
	for _, path := range []string{"/auth/login", "/auth/login?next=/can-bo", "/auth/callback?code=x&state=y"} {
		r := f.get(path, "")
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "Chưa mở đăng nhập cho cán bộ") ||
			strings.Contains(r.body, "OIDC_") || strings.Contains(r.body, "MATTRANSO_") {
			t.Errorf("%s: %d %.300s", path, r.status, r.body)
		}
	}
	token, _ := f.token("operator@mttq.vn", auth.Admin, auth.RootUnit)
	if r := f.get("/auth/login", token); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "Chưa cấu hình đăng nhập") ||
		!strings.Contains(r.body, "OIDC_ISSUER") || !strings.Contains(r.body, "OIDC_CLIENT_SECRET") {
		t.Errorf("/auth/login signed in: %d %.300s", r.status, r.body)
	}
	if r := f.get("/api/v1/me", ""); r.status != http.StatusUnauthorized {
		t.Errorf("/api/v1/me: %d", r.status)
	}
	// Org's admin pages are closed too.
	if r := f.get("/quan-tri/dia-ban/"+saiGon, ""); r.status < 300 || r.status == http.StatusNotFound {
		t.Errorf("org admin page without sign-on: %d", r.status)
	}
}

// sessionFor grants role at unit to email and starts a session for them
// as a sign-on would; it returns the session cookie's value and the CSRF
// token of its forms.
func sessionFor(t *testing.T, f *fixture, email string, role auth.Role, unit string) (string, string) {
	t.Helper()
	if _, err := f.auth.Store().Grant(t.Context(), email, role, unit, "test"); err != nil {
		t.Fatal(err)
	}
	sid, csrf, err := f.auth.NewSession(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return sid, csrf
}

// TestCSRF: a cookie session's form posts need the session's token;
// token requests need none.
func TestCSRF(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		sid, csrf := sessionFor(t, f, "thu.ky@saigon.vn", auth.Admin, saiGon+"/MTTQ")
		cookie := "mts_session=" + sid
		form := "application/x-www-form-urlencoded"
		path := "/quan-tri/dia-ban/" + saiGon + "/thon"
		body := func(extra string) *strings.Reader {
			return strings.NewReader("name=T%E1%BB%95+2&kind=T%E1%BB%95+d%C3%A2n+ph%E1%BB%91" + extra)
		}
		if r := f.do(http.MethodPost, path, "", body(""), "Cookie", cookie, "Content-Type", form); r.status != http.StatusForbidden {
			t.Errorf("form without a CSRF token: %d %.300s", r.status, r.body)
		}
		if r := f.do(http.MethodPost, path, "", body("&csrf_token=AAAA"), "Cookie", cookie, "Content-Type", form); r.status != http.StatusForbidden {
			t.Errorf("form with a wrong CSRF token: %d", r.status)
		}
		if r := f.do(http.MethodPost, path, "", body("&csrf_token="+csrf), "Cookie", cookie, "Content-Type", form,
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
			t.Errorf("cross-site form with the right token: %d", r.status)
		}
		f.wantEvent(auth.EventCSRFRefused, auth.OutcomeRefused, "missing CSRF token")
		f.wantEvent(auth.EventCSRFRefused, auth.OutcomeRefused, "wrong CSRF token")
		f.wantEvent(auth.EventCSRFRefused, auth.OutcomeRefused, "cross-origin")

		r := f.do(http.MethodPost, path, "", body("&csrf_token="+csrf), "Cookie", cookie, "Content-Type", form, "Sec-Fetch-Site", "same-origin")
		if r.status >= 400 {
			t.Errorf("form with the CSRF token: %d %.300s", r.status, r.body)
		}
		// The header does for scripts of the site's own pages.
		r = f.do(http.MethodPost, "/api/v1/org/territories/"+saiGon+"/villages", "", strings.NewReader(`{"name":"Tổ 3","kind":"Tổ"}`),
			"Cookie", cookie, "Content-Type", "application/json", auth.CSRFHeader, csrf)
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Errorf("JSON with the CSRF header: %d %.300s", r.status, r.body)
		}
		// A bearer token needs no CSRF token.
		tok, _ := f.token("script@saigon.vn", auth.Admin, saiGon+"/MTTQ")
		r = f.do(http.MethodPost, "/api/v1/org/territories/"+saiGon+"/villages", tok, strings.NewReader(`{"name":"Tổ 4","kind":"Tổ"}`),
			"Content-Type", "application/json")
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Errorf("JSON with a bearer token: %d %.300s", r.status, r.body)
		}
		// The staff home's logout form carries the token.
		r = f.do(http.MethodGet, "/can-bo", "", nil, "Cookie", cookie)
		if r.status != http.StatusOK || !strings.Contains(r.body, `name="csrf_token" value="`+csrf+`"`) {
			t.Errorf("staff home: %d, CSRF field missing: %.2000s", r.status, r.body)
		}
	})
}

// TestLoginRateLimit: past its burst an address gets 429 with Retry-After.
func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{loginLimiter: auth.NewLimiter(rate.Every(time.Hour), 3)})
	for i := range 3 {
		if r := f.get("/auth/login", ""); r.status == http.StatusTooManyRequests {
			t.Fatalf("request %d limited", i+1)
		}
	}
	r := f.get("/auth/login", "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "quá nhiều yêu cầu") {
		t.Errorf("4th sign-on: %d %v %.300s", r.status, r.header, r.body)
	}
	if r := f.get("/auth/callback", ""); r.status != http.StatusTooManyRequests {
		t.Errorf("callback shares the limit: %d", r.status)
	}
	if r := f.get("/api/v1/me", ""); r.status == http.StatusTooManyRequests {
		t.Errorf("other routes are not limited: %d", r.status)
	}
}

// The staff home links to the modules' pages that the user's roles allow.
func TestStaffHomeTools(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{})
	officer, _ := f.token("officer@saigon.vn", auth.Officer, saiGon+"/MTTQ")
	reporter, _ := f.token("reporter@saigon.vn", auth.Reporter, saiGon+"/MTTQ")
	for _, c := range []struct {
		name, token string
		want, not   string
	}{
		{"officer", officer, `href="/quan-tri/phan-anh"`, `href="/bao-cao"`},
		{"reporter", reporter, `href="/bao-cao"`, `href="/quan-tri/phan-anh"`},
	} {
		r := f.get("/can-bo", c.token)
		if r.status != http.StatusOK || !strings.Contains(r.body, c.want) || strings.Contains(r.body, c.not) {
			t.Errorf("%s: staff home %d, want a link %s and none %s: %.1500s", c.name, r.status, c.want, c.not, r.body)
		}
	}
}
