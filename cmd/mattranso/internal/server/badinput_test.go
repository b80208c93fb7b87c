package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// territories is the smallest unit tree the routes need: a province and
// one of its communes.
const territories = "level,code,name,short_name,type,type_full,parent_code,parent_name\n" +
	"province,79,Thành phố Hồ Chí Minh,Hồ Chí Minh,Thành phố,Thành phố trực thuộc trung ương,,\n" +
	"commune,26734,Phường Sài Gòn,Sài Gòn,Phường,Phường,79,Thành phố Hồ Chí Minh\n"

// goodBodies are valid bodies of the routes that take one, with X where
// the bad text goes; a route missing here gets {"x": X}, which it must
// refuse for one reason or another without failing.
var goodBodies = map[string]string{
	"POST /api/v1/org/territories/{code}/villages":         `{"name":X,"kind":"thôn"}`,
	"PATCH /api/v1/org/villages/{id}":                      `{"name":X}`,
	"POST /api/v1/assistant/ask":                           `{"question":X}`,
	"POST /api/v1/assistant/answers/{id}/feedback":         `{"rating":"up","comment":X}`,
	"POST /v1/chat/completions":                            `{"model":"mattranso","messages":[{"role":"user","content":X}]}`,
	"POST /api/v1/feedback":                                `{"content":X,"commune_code":"26734"}`,
	"POST /api/v1/feedback/items/{id}/transition":          `{"to":"rejected","reason":X}`,
	"POST /api/v1/feedback/items/{id}/notes":               `{"text":X}`,
	"POST /api/v1/feedback/items/{id}/topic":               `{"topic":X}`,
	"POST /api/v1/feedback/items/{id}/route":               `{"unit":"79/MTTQ","reason":X}`,
	"POST /api/v1/feedback/items/{id}/duplicate":           `{"of":X}`,
	"POST /api/v1/feedback/items/{id}/publication":         `{"public_text":X}`,
	"PUT /api/v1/congress/{term}/congresses/{territory}":   `{"chair":X,"status":"preparing"}`,
	"PATCH /api/v1/congress/{term}/congresses/{territory}": `{"chair":X}`,

	"PUT /api/v1/org/units/{territory}/{org}/reports/{period}":            `{"values":{"difficulties":X},"submit":false}`,
	"POST /api/v1/org/units/{territory}/{org}/reports/{period}/approve":   `{"note":X}`,
	"POST /api/v1/org/units/{territory}/{org}/reports/{period}/return":    `{"reason":X}`,
	"POST /api/v1/org/units/{territory}/{org}/reports/{period}/exception": `{"until":"2100-01-01","reason":X}`,
}

// notJSON are the routes whose bodies are files, not JSON (their own
// tests send them malformed files); they get the path and query checks.
var notJSON = map[string]bool{
	"POST /api/v1/congress/{term}/attachments": true,
	"POST /api/v1/congress/{term}/import":      true,
	"POST /api/v1/library/documents":           true,
}

// The bodies of the units' data routes, and the routes that take a CSV or
// XLSX file rather than JSON: a JSON body is refused there with 415
// naming the Content-Type.
var (
	orgDataBodies = map[string]string{
		"PUT /api/v1/org/units/{territory}/{org}/profile": `{"typical_activities":X}`,
		"PUT /api/v1/org/units/{territory}/{org}/staff":   `{"people":[{"name":X}]}`,
	}
	fileRoutes = map[string]bool{
		"POST /api/v1/org/units/{territory}/{org}/staff/import": true,
		"POST /api/v1/org/territories/{code}/villages/import":   true,
	}
)

func init() {
	for k, v := range orgDataBodies {
		goodBodies[k] = v
	}
}

// pathValues fill a route's parameters with values that exist.
func pathValue(pattern, name string) string {
	switch {
	case name == "code" && !strings.Contains(pattern, "/feedback/"):
		return "26734"
	case strings.Contains(pattern, "/villages/{id}"):
		return "26734-001"
	case strings.Contains(pattern, "/documents/{id}"):
		return "khong-co"
	case strings.Contains(pattern, "/feedback/{code}"):
		return "ABCDE-FGHJK"
	case name == "territory":
		return "26734"
	case name == "org":
		return "MTTQ"
	case name == "term":
		return "2026-2031"
	case name == "period":
		return "2026-W47"
	}
	return "1"
}

func fill(pattern string, bad string) string {
	var b strings.Builder
	for i, seg := range strings.Split(pattern, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}.")
			b.WriteString(pathValue(pattern, name) + bad)
			continue
		}
		b.WriteString(seg)
	}
	if bad != "" && !strings.Contains(pattern, "{") {
		b.WriteString(bad)
	}
	return b.String()
}

// badText are strings no route may store as they are, each as a JSON
// string literal. Invisible and direction characters are refused in names;
// elsewhere they may be kept, but never with a 500.
var badText = []struct {
	name, literal string
	mustRefuse    bool
}{
	{"NUL", `"a\u0000b"`, true},
	{"escape sequence", `"\u001b[31mđỏ"`, true},
	{"invalid UTF-8", "\"H\xc3\x28a\xff\xfe\"", true},
	{"lone surrogate", `"a\ud800b"`, true},
	{"bidi override", `"Hòa\u202eBình"`, false},
	{"zero width space", `"Hòa\u200bBình"`, false},
	{"byte order mark", `"\ufeffHòa Bình"`, false},
}

// TestBadInputOnEveryJSONRoute sends every JSON route of the site as
// serve builds it — on SQLite and on PostgreSQL — bad bytes in its path,
// its query and its body, unknown fields, trailing data, two objects and a
// wrong content type, as an administrator who may do everything. No answer
// may be a 500; every refusal is the API's JSON envelope and names what
// was wrong.
func TestBadInputOnEveryJSONRoute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		h, token := testSite(t, db)
		var routes []web.Route
		for _, r := range web.Routes(h) {
			if r.Method != http.MethodHead && (api.IsAPIPath(r.Pattern) || strings.HasPrefix(r.Pattern, "/v1/")) {
				routes = append(routes, r)
			}
		}
		if len(routes) < 15 {
			t.Fatalf("only %d JSON routes found: %v", len(routes), routes)
		}
		// A village for the routes about one.
		if res := send(t, h, token, "POST", "/api/v1/org/territories/26734/villages", "application/json", `{"name":"Hòa Bình","kind":"thôn"}`); res.status != http.StatusCreated {
			t.Fatalf("creating a village: %d %s", res.status, res.body)
		}
		// Feedback item 1, for the officers' routes about one.
		if res := send(t, h, "", "POST", "/api/v1/feedback", "application/json", `{"content":"Đèn đường hỏng trước nhà văn hóa.","commune_code":"26734"}`); res.status != http.StatusCreated {
			t.Fatalf("submitting feedback: %d %s", res.status, res.body)
		}

		for _, rt := range routes {
			key := rt.Method + " " + rt.Pattern
			for _, c := range []struct{ what, path, query, field string }{
				{"NUL in the path", fill(rt.Pattern, "%00"), "", "path"},
				{"invalid UTF-8 in the path", fill(rt.Pattern, "%ff%fe"), "", "path"},
				{"NUL in the query", fill(rt.Pattern, ""), "q=a%00b", "q"},
				{"invalid UTF-8 in the query", fill(rt.Pattern, ""), "q=%ff%fe", "q"},
				{"NUL in a query name", fill(rt.Pattern, ""), "a%00b=1", "a\x00b"},
			} {
				target := c.path
				if c.query != "" {
					target += "?" + c.query
				}
				res := send(t, h, token, rt.Method, target, "", "")
				expect(t, key+": "+c.what, res, true, c.field)
			}
			if rt.Method != http.MethodPost && rt.Method != http.MethodPatch && rt.Method != http.MethodPut || notJSON[key] {
				continue
			}
			good, ok := goodBodies[key]
			if !ok {
				good = `{"x":X}`
			}
			path := fill(rt.Pattern, "")
			if fileRoutes[key] {
				res := send(t, h, token, rt.Method, path, "application/json", `{"x":"x"}`)
				expect(t, key+": a JSON body", res, true, "Content-Type")
				continue
			}
			for _, bt := range badText {
				body := strings.Replace(good, "X", bt.literal, 1)
				res := send(t, h, token, rt.Method, path, "application/json", body)
				expect(t, key+": "+bt.name+" in the body", res, bt.mustRefuse, "")
			}
			for _, c := range []struct{ what, ct, body, field string }{
				{"an unknown field", "application/json", strings.TrimSuffix(strings.Replace(good, "X", `"x"`, 1), "}") + `,"khong_co_truong_nay":1}`, "khong_co_truong_nay"},
				{"trailing garbage", "application/json", strings.Replace(good, "X", `"x"`, 1) + " rác", "body"},
				{"two objects", "application/json", strings.Replace(good, "X", `"x"`, 1) + "{}", "body"},
				{"an empty body", "application/json", "", "body"},
				{"not JSON", "application/json", "question=x", "body"},
				{"a wrong content type", "application/jsonx", strings.Replace(good, "X", `"x"`, 1), "Content-Type"},
				{"a form", "application/x-www-form-urlencoded", "question=x", "Content-Type"},
			} {
				res := send(t, h, token, rt.Method, path, c.ct, c.body)
				// A route may refuse first for another reason (the record
				// does not exist); it must never accept or fail.
				expect(t, key+": "+c.what, res, true, "")
				if res.status == http.StatusBadRequest || res.status == http.StatusUnsupportedMediaType {
					if res.err.Field != c.field {
						t.Errorf("%s: %s: field %q, want %q (%s)", key, c.what, res.err.Field, c.field, res.err.Message)
					}
				}
			}
		}

		// Names the public sees keep no invisible or direction characters,
		// and such a look-alike cannot block the genuine name.
		for _, bt := range badText {
			res := send(t, h, token, "POST", "/api/v1/org/territories/26734/villages", "application/json", `{"name":`+bt.literal+`,"kind":"tổ dân phố"}`)
			if res.status != http.StatusBadRequest || res.err.Field != "name" {
				t.Errorf("village named with %s: %d %s, want 400 naming the field name", bt.name, res.status, res.body)
			}
		}
	})
}

type response struct {
	status int
	body   string
	err    api.Error
}

func send(t *testing.T, h http.Handler, token, method, target, ct, body string) response {
	t.Helper()
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	// The target goes in raw, as a client would send it.
	r.URL.RawQuery = ""
	path, query, _ := strings.Cut(target, "?")
	var err error
	if r.URL, err = r.URL.Parse(path); err != nil {
		t.Fatalf("target %q: %v", target, err)
	}
	r.URL.RawQuery = query
	r.RequestURI = target
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := response{status: w.Code, body: w.Body.String()}
	if w.Code >= 400 {
		// The OpenAI-compatible façade answers in OpenAI's format, which
		// names the field "param".
		var e struct {
			Error struct {
				api.Error
				Param *string `json:"param"`
			} `json:"error"`
		}
		if json.Unmarshal(w.Body.Bytes(), &e) == nil {
			res.err = e.Error.Error
			if res.err.Field == "" && e.Error.Param != nil {
				res.err.Field = *e.Error.Param
			}
		}
	}
	return res
}

// expect checks an answer: never a 500; a refusal in the envelope, with a
// message and the field (want, when given; any, otherwise); with refuse,
// nothing but a refusal.
func expect(t *testing.T, what string, res response, refuse bool, field string) {
	t.Helper()
	switch {
	case res.status >= 500:
		t.Errorf("%s: %d %.300s", what, res.status, res.body)
	case res.status < 400 && refuse:
		t.Errorf("%s: accepted (%d %.200s)", what, res.status, res.body)
	case res.status >= 400 && (res.err.Code == "" || res.err.Message == ""):
		t.Errorf("%s: %d without the error envelope: %.300s", what, res.status, res.body)
	case res.status == http.StatusBadRequest || res.status == http.StatusUnsupportedMediaType || res.status == http.StatusRequestEntityTooLarge:
		if res.err.Field == "" || field != "" && res.err.Field != field {
			t.Errorf("%s: refusal names field %q, want %q: %s", what, res.err.Field, cmpOr(field, "a field"), res.err.Message)
		}
		if strings.Contains(res.err.Message, "struct") || strings.Contains(res.err.Message, "json:") {
			t.Errorf("%s: message speaks of Go: %s", what, res.err.Message)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// testSite builds the site as serve does over db, with a small unit tree,
// and returns it with the bearer token of an administrator of VN/MTTQ.
func testSite(t *testing.T, db *store.DB) (http.Handler, string) {
	t.Helper()
	// Ends the site's background work (the feedback classifier) with the
	// test.
	ctx := t.Context()
	cfg := config.Config{DataDir: t.TempDir(), Search: config.SearchConfig{Mode: "keyword", Reranker: "none"}}
	lib, err := OpenOn(ctx, cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Index.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := Site(ctx, cfg, lib, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	tree := org.NewStore(db)
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(territories)); err != nil {
		t.Fatal(err)
	}
	as := auth.NewStore(db, org.IDs{Store: tree})
	if _, err := as.Grant(ctx, "quan.tri@mttq.vn", auth.Admin, "VN/MTTQ", "test"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := as.CreateToken(ctx, auth.TokenSpec{Email: "quan.tri@mttq.vn", Role: auth.Admin, Unit: "VN/MTTQ", TTL: time.Hour, CreatedBy: "test"})
	if err != nil {
		t.Fatal(fmt.Errorf("token: %w", err))
	}
	return h, secret
}
