package org_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// testUser is the header by which the test Authorizer knows who asks: the
// unit the user acts for. auth will use sessions and tokens instead.
const testUser = "X-Test-Unit"

const testCSRF = "tok-123"

// testAuthorizer stands in for auth: it allows a user acting for unit U
// what U contains (org's own rule), and checks the forms' CSRF token.
func testAuthorizer(s *org.Store) org.Authorizer {
	return org.AuthorizerFunc(func(r *http.Request, action, unit string) error {
		who := r.Header.Get(testUser)
		if who == "" {
			return org.ErrUnauthenticated
		}
		a, err := org.ParseUnit(who)
		if err != nil {
			return fmt.Errorf("%w: %v", org.ErrForbidden, err)
		}
		b, err := org.ParseUnit(unit)
		if err != nil {
			return fmt.Errorf("%w: %v", org.ErrForbidden, err)
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") &&
			r.PostFormValue("csrf_token") != testCSRF {
			return fmt.Errorf("%w: bad CSRF token", org.ErrForbidden)
		}
		in, err := s.Contains(r.Context(), a, b)
		if err != nil || !in {
			return fmt.Errorf("%w: %s does not contain %s", org.ErrForbidden, a, b)
		}
		return nil
	})
}

func newServer(t *testing.T, db *store.DB) (*httptest.Server, *org.Store) {
	t.Helper()
	s := smallTree(t, db)
	h := web.New(web.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{{
			Name: "org", Templates: org.Templates, Funcs: org.TemplateFuncs,
			Mount: func(r web.Router, pages *web.Renderer) error {
				org.New(org.Options{Store: s, Pages: pages, Authorizer: testAuthorizer(s),
					CSRF:   func(*http.Request) string { return testCSRF },
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Register(r)
				return nil
			},
		}},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, s
}

type call struct {
	method, path, user, body string
	contentType              string
	status                   int
	code                     string // the error code, for an error
	field                    string
}

func do(t *testing.T, srv *httptest.Server, c call) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "" {
		req.Header.Set(testUser, c.user)
	}
	ct := c.contentType
	if ct == "" && c.body != "" {
		ct = "application/json"
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func check(t *testing.T, srv *httptest.Server, c call) []byte {
	t.Helper()
	resp, body := do(t, srv, c)
	name := c.method + " " + c.path
	if c.user != "" {
		name += " as " + c.user
	}
	if resp.StatusCode != c.status {
		t.Errorf("%s: status %d, want %d; body %s", name, resp.StatusCode, c.status, body)
		return body
	}
	if !strings.HasPrefix(c.path, "/api/") {
		return body
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
	if c.status < 400 {
		return body
	}
	var e api.Envelope
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("%s: error body %s is not {\"error\":{\"code\",\"message\"}}: %v", name, body, err)
	}
	if c.code != "" && e.Error.Code != c.code {
		t.Errorf("%s: error code %q, want %q (%s)", name, e.Error.Code, c.code, e.Error.Message)
	}
	if e.Error.Field != c.field {
		t.Errorf("%s: error field %q, want %q", name, e.Error.Field, c.field)
	}
	return body
}

func TestAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := newServer(t, db)
		const villages = "/api/v1/org/territories/26740/villages"
		json := func(name, kind string) string { return fmt.Sprintf(`{"name":%q,"kind":%q}`, name, kind) }

		for _, c := range []call{
			// Public reads.
			{method: "GET", path: "/api/v1/org/territories/VN", status: 200},
			{method: "GET", path: "/api/v1/org/territories/79", status: 200},
			{method: "GET", path: "/api/v1/org/territories/7", status: 400, code: "invalid_code", field: "code"},
			{method: "GET", path: "/api/v1/org/territories/98", status: 404, code: "not_found"},
			{method: "GET", path: villages, status: 200},
			{method: "GET", path: "/api/v1/org/territories/79/villages", status: 400, code: "not_a_commune", field: "code"},
			{method: "GET", path: "/api/v1/org/territories/99999/villages", status: 404, code: "not_found"},
			{method: "GET", path: villages + "?include_retired=maybe", status: 400, code: "invalid_parameter", field: "include_retired"},
			// Retired villages are for staff.
			{method: "GET", path: villages + "?include_retired=1", status: 401, code: "unauthenticated"},
			{method: "GET", path: villages + "?include_retired=1", user: "01/MTTQ", status: 403, code: "forbidden"},
			{method: "GET", path: villages + "?include_retired=1", user: "79/MTTQ", status: 200},

			// Writes: who may create.
			{method: "POST", path: villages, body: json("Hòa Bình", "thôn"), status: 401, code: "unauthenticated"},
			{method: "POST", path: villages, body: json("Hòa Bình", "thôn"), user: "01/MTTQ", status: 403, code: "forbidden"},
			{method: "POST", path: villages, body: json("Hòa Bình", "thôn"), user: "26743/MTTQ", status: 403, code: "forbidden"},
			{method: "POST", path: villages, body: json("Hòa Bình", "thôn"), user: "26740/HND", status: 403, code: "forbidden"},
			{method: "POST", path: villages, body: json("Hòa Bình", "thôn"), user: "79/HND", status: 403, code: "forbidden"},
			{method: "POST", path: villages, body: json("Hòa Bình", "thôn"), user: "26740/MTTQ", status: 201},
			{method: "POST", path: villages, body: json("Tổ dân phố 1", "tổ dân phố"), user: "79/MTTQ", status: 201},
			{method: "POST", path: villages, body: json("An Phú", "ap"), user: "VN/MTTQ", status: 201},
			// Bad requests.
			{method: "POST", path: villages, body: json("Hoà Bình", "Thôn"), user: "26740/MTTQ", status: 409, code: "duplicate_name"},
			{method: "POST", path: villages, body: json("", "thôn"), user: "26740/MTTQ", status: 400, code: "invalid_name", field: "name"},
			{method: "POST", path: villages, body: json(strings.Repeat("x", 101), "thôn"), user: "26740/MTTQ", status: 400, code: "invalid_name", field: "name"},
			{method: "POST", path: villages, body: `{"name":"Đông"}`, user: "26740/MTTQ", status: 400, code: "invalid_kind", field: "kind"},
			{method: "POST", path: villages, body: json("Đông", "huyện"), user: "26740/MTTQ", status: 400, code: "invalid_kind", field: "kind"},
			{method: "POST", path: villages, body: `{"name":"Đông","kind":"thôn","ten":"x"}`, user: "26740/MTTQ", status: 400, code: "unknown_field", field: "ten"},
			{method: "POST", path: villages, body: `{"name":`, user: "26740/MTTQ", status: 400, code: "invalid_json"},
			{method: "POST", path: villages, body: `{"name":"A","kind":"thôn"}{}`, user: "26740/MTTQ", status: 400, code: "invalid_json"},
			{method: "POST", path: villages, body: "name=A", contentType: "text/plain", user: "26740/MTTQ", status: 415, code: "unsupported_media_type", field: "Content-Type"},
			{method: "POST", path: villages, body: `{"name":"` + strings.Repeat("a", org.MaxBodyBytes) + `"}`, user: "26740/MTTQ", status: 413, code: "body_too_large"},
			{method: "POST", path: "/api/v1/org/territories/79/villages", body: json("A", "thôn"), user: "VN/MTTQ", status: 400, code: "not_a_commune", field: "code"},
			{method: "POST", path: "/api/v1/org/territories/99999/villages", body: json("A", "thôn"), user: "VN/MTTQ", status: 404, code: "not_found"},

			// Rename and retire.
			{method: "GET", path: "/api/v1/org/villages/26740-001", status: 200},
			{method: "GET", path: "/api/v1/org/villages/26740-099", status: 404, code: "not_found"},
			{method: "GET", path: "/api/v1/org/villages/26740", status: 400, code: "invalid_code", field: "id"},
			{method: "PATCH", path: "/api/v1/org/villages/26740-002", body: `{"name":"2"}`, status: 401, code: "unauthenticated"},
			{method: "PATCH", path: "/api/v1/org/villages/26740-002", body: `{"name":"2"}`, user: "26743/MTTQ", status: 403, code: "forbidden"},
			{method: "PATCH", path: "/api/v1/org/villages/26740-002", body: `{"name":"2"}`, user: "26740/MTTQ", status: 200},
			{method: "PATCH", path: "/api/v1/org/villages/26740-002", body: `{"name":"Hòa Bình","kind":"thon"}`, user: "26740/MTTQ", status: 409, code: "duplicate_name"},
			{method: "PATCH", path: "/api/v1/org/villages/26740-099", body: `{"name":"2"}`, user: "26740/MTTQ", status: 404, code: "not_found"},
			{method: "PATCH", path: "/api/v1/org/villages/abc", body: `{"name":"2"}`, user: "26740/MTTQ", status: 400, code: "invalid_code", field: "id"},
			{method: "DELETE", path: "/api/v1/org/villages/26740-001", status: 401, code: "unauthenticated"},
			{method: "DELETE", path: "/api/v1/org/villages/26740-001", user: "01/MTTQ", status: 403, code: "forbidden"},
			{method: "DELETE", path: "/api/v1/org/villages/26740-001", user: "26740/MTTQ", status: 200},
			{method: "DELETE", path: "/api/v1/org/villages/26740-001", user: "26740/MTTQ", status: 200},
			{method: "DELETE", path: "/api/v1/org/villages/26740-099", user: "26740/MTTQ", status: 404, code: "not_found"},
			{method: "PATCH", path: "/api/v1/org/villages/26740-001", body: `{"name":"X"}`, user: "26740/MTTQ", status: 409, code: "retired"},
			{method: "PUT", path: "/api/v1/org/villages/26740-001", body: `{"name":"X"}`, user: "26740/MTTQ", status: 405, code: "method_not_allowed"},
		} {
			check(t, srv, c)
		}

		// What the answers hold.
		var tr org.TerritoryResponse
		if err := jsonDecode(check(t, srv, call{method: "GET", path: "/api/v1/org/territories/26740", status: 200}), &tr); err != nil {
			t.Fatal(err)
		}
		if tr.Territory.Name != "Phường Sài Gòn" || codes(tr.Ancestors) != "VN 79" || codes(tr.Children) != "26740-002 26740-003" ||
			len(tr.Units) != 6 || tr.Units[0].ID != "26740/MTTQ" || tr.Units[0].Name != "Mặt trận Tổ quốc Phường Sài Gòn" ||
			tr.Counts.Villages != 2 {
			t.Errorf("territory 26740 = %+v", tr)
		}
		var vr org.VillagesResponse
		jsonDecode(check(t, srv, call{method: "GET", path: villages + "?include_retired=1", user: "26740/MTTQ", status: 200}), &vr)
		if codes(vr.Villages) != "26740-001 26740-002 26740-003" || vr.Villages[0].RetiredAt == nil || vr.Villages[1].Name != "Tổ dân phố 2" {
			t.Errorf("villages = %+v", vr.Villages)
		}
		resp, body := do(t, srv, call{method: "POST", path: villages, body: json("Thôn Đông", "thôn"), user: "26740/MTTQ"})
		var created org.VillageResponse
		jsonDecode(body, &created)
		if resp.StatusCode != 201 || created.Village.Code != "26740-004" || created.Village.Name != "Thôn Đông" ||
			resp.Header.Get("Location") != "/api/v1/org/villages/26740-004" {
			t.Errorf("create: %d %s, Location %q", resp.StatusCode, body, resp.Header.Get("Location"))
		}
	})
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func TestPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, s := newServer(t, db)
		const formType = "application/x-www-form-urlencoded"
		page := func(c call, wants ...string) {
			t.Helper()
			body := string(check(t, srv, c))
			for _, w := range wants {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: page lacks %q", c.method, c.path, w)
				}
			}
		}
		page(call{method: "GET", path: "/quan-tri/dia-ban", status: 200}, "Tỉnh Khánh Hoà", `href="/quan-tri/dia-ban/79"`)
		page(call{method: "GET", path: "/quan-tri/dia-ban?q=sai+gon", status: 200}, "Phường Sài Gòn", `href="/quan-tri/dia-ban/26740"`)
		page(call{method: "GET", path: "/quan-tri/dia-ban/79", status: 200}, "Phường Bến Thành", "Hội Nông dân Thành phố Hồ Chí Minh")
		page(call{method: "GET", path: "/quan-tri/dia-ban/26740", status: 401}, "Cần đăng nhập", `/auth/login?next=%2Fquan-tri%2Fdia-ban%2F26740`)
		page(call{method: "GET", path: "/quan-tri/dia-ban/26740", user: "26743/MTTQ", status: 403}, "không có quyền")
		page(call{method: "GET", path: "/quan-tri/dia-ban/26740", user: "26740/MTTQ", status: 200},
			"Xã chưa có thôn", `name="csrf_token" value="tok-123"`, `action="/quan-tri/dia-ban/26740/thon"`)
		page(call{method: "GET", path: "/quan-tri/dia-ban/98", status: 404}, "Không tìm thấy")
		page(call{method: "GET", path: "/quan-tri/dia-ban/x%3Cb%3E", status: 404}, "x&lt;b&gt;")

		add := "/quan-tri/dia-ban/26740/thon"
		// Without the CSRF token, or signed out, or elsewhere: refused.
		page(call{method: "POST", path: add, contentType: formType, body: form("name", "Hòa Bình", "kind", "Thôn"), user: "26740/MTTQ", status: 403})
		page(call{method: "POST", path: add, contentType: formType, body: form("name", "Hòa Bình", "kind", "Thôn", "csrf_token", testCSRF), status: 401}, "Đăng nhập")
		page(call{method: "POST", path: add, contentType: formType, body: form("name", "Hòa Bình", "kind", "Thôn", "csrf_token", testCSRF), user: "26740/CD", status: 403})
		resp, _ := do(t, srv, call{method: "POST", path: add, contentType: formType, user: "26740/MTTQ",
			body: form("name", "Hòa Bình", "kind", "Thôn", "csrf_token", testCSRF)})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/quan-tri/dia-ban/26740?ok=them&thon=26740-001#thon-26740-001" {
			t.Fatalf("add: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		page(call{method: "GET", path: "/quan-tri/dia-ban/26740?ok=them&thon=26740-001", user: "26740/MTTQ", status: 200},
			"Đã thêm Thôn Hòa Bình.", `id="thon-26740-001"`, `action="/quan-tri/thon/26740-001/doi-ten"`)
		// A duplicate is shown again with the form refilled.
		page(call{method: "POST", path: add, contentType: formType, user: "26740/MTTQ", status: 409,
			body: form("name", "Hoà  Bình", "kind", "Thôn", "csrf_token", testCSRF)}, "đã có một thôn", `value="Hoà  Bình"`)
		page(call{method: "POST", path: add, contentType: formType, user: "26740/MTTQ", status: 422,
			body: form("name", " ", "kind", "Thôn", "csrf_token", testCSRF)}, "Hãy nhập tên")

		resp, _ = do(t, srv, call{method: "POST", path: "/quan-tri/thon/26740-001/doi-ten", contentType: formType, user: "26740/MTTQ",
			body: form("name", "Hòa Bình Đông", "kind", "Xóm", "csrf_token", testCSRF)})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("rename: %d", resp.StatusCode)
		}
		if v, _ := s.Territory(t.Context(), "26740-001"); v.Name != "Xóm Hòa Bình Đông" {
			t.Errorf("renamed to %q", v.Name)
		}
		resp, _ = do(t, srv, call{method: "POST", path: "/quan-tri/thon/26740-001/ngung", contentType: formType, user: "26740/MTTQ",
			body: form("csrf_token", testCSRF)})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("retire: %d", resp.StatusCode)
		}
		page(call{method: "GET", path: "/quan-tri/dia-ban/26740?ok=ngung&thon=26740-001", user: "26740/MTTQ", status: 200},
			"Đã ngừng hoạt động (1)", "Xóm Hòa Bình Đông đã ngừng hoạt động")
		page(call{method: "POST", path: "/quan-tri/thon/26740-001/doi-ten", contentType: formType, user: "26740/MTTQ", status: 409,
			body: form("name", "X", "csrf_token", testCSRF)}, "đã ngừng hoạt động nên không sửa được")
		page(call{method: "POST", path: "/quan-tri/thon/26740-077/ngung", contentType: formType, user: "26740/MTTQ", status: 404,
			body: form("csrf_token", testCSRF)})
		resp, _ = do(t, srv, call{method: "GET", path: "/quan-tri/dia-ban/26740-001"})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/quan-tri/dia-ban/26740#thon-26740-001" {
			t.Errorf("village page: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// Without an Authorizer every protected request is refused: there is no
// back door before auth is configured.
func TestNoAuthorizer(t *testing.T) {
	db := storetest.SQLite(t)
	s := smallTree(t, db)
	rd, err := web.NewRenderer(org.Templates, org.TemplateFuncs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateVillage(t.Context(), "26740", "A", "thôn"); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	org.New(org.Options{Store: s, Pages: rd}).Register(muxRouter{mux})
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/org/territories/26740/villages", `{"name":"A","kind":"thôn"}`},
		{"DELETE", "/api/v1/org/villages/26740-001", ""},
		{"GET", "/quan-tri/dia-ban/26740", ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set(testUser, "VN/MTTQ")
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "OIDC_ISSUER") {
			t.Errorf("%s %s without an Authorizer: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}
	if n := countTerritories(t, db); n != 11 {
		t.Errorf("%d territories, want VN, the 9 imported and one village", n)
	}
}

type muxRouter struct{ *http.ServeMux }

func (m muxRouter) Handle(method, pattern string, h http.Handler) {
	m.ServeMux.Handle(method+" "+pattern, h)
}
