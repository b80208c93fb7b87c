package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/web"
)

// newSite returns the real site over the test library, logging into logs.
func newSite(t *testing.T, logs io.Writer, extra ...web.Module) http.Handler {
	t.Helper()
	docs, idx := needLibrary(t)
	if logs == nil {
		logs = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	return web.New(web.Options{
		Logger:  log,
		Modules: append([]web.Module{libraryModule(library.Options{Searcher: idx, Documents: docs, Logger: web.RequestLogger(log)})}, extra...),
	})
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, target string) response {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

func do(t *testing.T, h http.Handler, r *http.Request) response {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.Bytes()
	if w.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s %s: bad gzip: %v", r.Method, r.URL, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s %s: bad gzip: %v", r.Method, r.URL, err)
		}
	}
	return response{w.Code, w.Header(), string(body)}
}

func decodeJSON(t *testing.T, r response, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON; body %.300s", ct, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %.300s: %v", r.body, err)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var notReady atomic.Value
	notReady.Store("đang nạp thư viện: 120/1377 văn bản")
	h := web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Ready: func() error {
		if s := notReady.Load().(string); s != "" {
			return errors.New(s)
		}
		return nil
	}})
	if r := get(t, h, "/healthz"); r.status != 200 || r.body != "ok" {
		t.Errorf("/healthz = %d %q, want 200 ok", r.status, r.body)
	}
	r := get(t, h, "/readyz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "đang nạp thư viện") {
		t.Errorf("/readyz while loading = %d %q, want 503 with the reason", r.status, r.body)
	}
	notReady.Store("")
	if r := get(t, h, "/readyz"); r.status != 200 {
		t.Errorf("/readyz when ready = %d %q, want 200", r.status, r.body)
	}
	if r := get(t, h, "/"); r.status != http.StatusNotFound {
		t.Errorf("/ without a library = %d, want 404", r.status)
	}
}

func TestSecurityHeadersAndRequestID(t *testing.T) {
	h := newSite(t, nil)
	for _, target := range []string{"/", "/tim-kiem?q=khai+sinh", "/api/v1/library/search?q=x", "/khong-co", "/api/khong-co", "/healthz", "/static/site.css"} {
		r := get(t, h, target)
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
		} {
			if got := r.header.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", target, name, got, want)
			}
		}
		if id := r.header.Get("X-Request-ID"); len(id) < 16 {
			t.Errorf("%s: X-Request-ID = %q, want a generated id", target, id)
		}
	}
	for in, keep := range map[string]bool{"abc-123.DEF_4": true, "bad id\nX-Evil: 1": false, strings.Repeat("a", 65): false} {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-ID", in)
		got := do(t, h, req).header.Get("X-Request-ID")
		if (got == in) != keep {
			t.Errorf("incoming id %q answered as %q; kept=%v, want %v", in, got, got == in, keep)
		}
	}
}

func TestRequestLogs(t *testing.T) {
	var logs bytes.Buffer
	h := newSite(t, &logs)
	req := httptest.NewRequest(http.MethodGet, "/van-ban/"+civilCode, nil)
	req.Header.Set("X-Request-ID", "log-test-1")
	if r := do(t, h, req); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	var rec map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, `"msg":"request"`) {
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"method": "GET", "path": "/van-ban/" + civilCode, "route": "/van-ban/:id", "status": float64(200), "request_id": "log-test-1"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("request log %s = %v, want %v (log %s)", k, rec[k], v, logs.String())
		}
	}
	if _, ok := rec["duration"]; !ok {
		t.Errorf("request log has no duration: %v", rec)
	}
}

// A module that logs through web.RequestLogger names the request in each
// line, once however often its logger was wrapped.
func TestRequestLogger(t *testing.T) {
	var logs bytes.Buffer
	log := web.RequestLogger(web.RequestLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	mod := web.Module{Name: "logs", Mount: func(r web.Router, _ *web.Renderer) error {
		r.Handle(http.MethodGet, "/test/log", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.InfoContext(r.Context(), "module line")
		}))
		return nil
	}}
	h := web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Modules: []web.Module{mod}})
	req := httptest.NewRequest(http.MethodGet, "/test/log", nil)
	req.Header.Set("X-Request-ID", "module-log-1")
	do(t, h, req)
	line := strings.TrimSpace(logs.String())
	if strings.Count(line, `"request_id"`) != 1 || !strings.Contains(line, `"request_id":"module-log-1"`) {
		t.Errorf("module log %s; want the request id once", line)
	}
	logs.Reset()
	log.Info("outside a request")
	if strings.Contains(logs.String(), "request_id") {
		t.Errorf("a line outside a request names one: %s", logs.String())
	}
}

func TestErrorsAndNotFound(t *testing.T) {
	var logs bytes.Buffer
	panics := web.Module{Name: "panics", Mount: func(r web.Router, _ *web.Renderer) error {
		boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
		r.Handle(http.MethodGet, "/api/v1/test/panic", boom)
		r.Handle(http.MethodGet, "/test/panic", boom)
		r.Handle(http.MethodPost, "/api/v1/test/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		return nil
	}}
	h := newSite(t, &logs, panics)
	type apiErr struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	for _, c := range []struct {
		method, target string
		status         int
		code           string
	}{
		{"GET", "/api/v1/khong-co", 404, "not_found"},
		{"GET", "/api/", 404, "not_found"},
		{"POST", "/api/v1/library/search?q=x", 405, "method_not_allowed"},
		{"DELETE", "/api/v1/library/documents/" + civilCode, 405, "method_not_allowed"},
		{"GET", "/api/v1/test/panic", 500, "internal"},
		{"POST", "/api/v1/test/echo", 413, "body_too_large"},
	} {
		var body io.Reader
		if c.code == "body_too_large" {
			body = bytes.NewReader(make([]byte, web.MaxBodyBytes+1))
		}
		r := do(t, h, httptest.NewRequest(c.method, c.target, body))
		var e apiErr
		decodeJSON(t, r, &e)
		if r.status != c.status || e.Error.Code != c.code || e.Error.Message == "" {
			t.Errorf("%s %s = %d %+v, want %d %q", c.method, c.target, r.status, e, c.status, c.code)
		}
		if c.status == 405 && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.target)
		}
	}
	if !strings.Contains(logs.String(), "panic serving request") || !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic was not logged: %s", logs.String())
	}
	for _, c := range []struct {
		target string
		status int
		want   string
	}{
		{"/khong-co-trang-nay", 404, "Không tìm thấy trang"},
		{"/test/panic", 500, "Đã có lỗi xảy ra"},
		{"/van-ban/khong-co-van-ban", 404, "Không tìm thấy văn bản"},
		{"/thu-tuc/9.999999", 404, "Không tìm thấy văn bản"},
	} {
		r := get(t, h, c.target)
		if r.status != c.status || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, c.want) {
			t.Errorf("GET %s = %d %s, want %d HTML page with %q", c.target, r.status, r.header.Get("Content-Type"), c.status, c.want)
		}
		if !strings.Contains(r.body, `<html lang="vi">`) || !strings.Contains(r.body, "Mặt trận số") {
			t.Errorf("GET %s: the error page is not in the layout", c.target)
		}
	}
	r := do(t, h, httptest.NewRequest(http.MethodPost, "/tim-kiem", strings.NewReader("q=x")))
	if r.status != 405 || !strings.Contains(r.body, "Yêu cầu không được hỗ trợ") || r.header.Get("Allow") == "" {
		t.Errorf("POST /tim-kiem = %d, Allow %q; want the 405 page", r.status, r.header.Get("Allow"))
	}
	if r := do(t, h, httptest.NewRequest(http.MethodHead, "/van-ban/"+civilCode, nil)); r.status != 200 {
		t.Errorf("HEAD on a law = %d, want 200", r.status)
	}
	// A request within the limit goes through.
	if r := do(t, h, httptest.NewRequest("POST", "/api/v1/test/echo", strings.NewReader("{}"))); r.status != 204 {
		t.Errorf("small POST = %d, want 204", r.status)
	}
}

func TestMetrics(t *testing.T) {
	h := newSite(t, nil)
	get(t, h, "/van-ban/"+civilCode)
	get(t, h, "/van-ban/"+criminalCode)
	get(t, h, "/khong-co")
	r := get(t, h, "/metrics")
	if r.status != 200 {
		t.Fatalf("/metrics = %d", r.status)
	}
	for _, want := range []string{
		`mattranso_http_requests_total{method="GET",route="/van-ban/:id",status="200"} 2`,
		`mattranso_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`mattranso_http_request_duration_seconds_bucket{method="GET",route="/van-ban/:id",le="+Inf"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	h := newSite(t, nil)
	home := get(t, h, "/")
	i := strings.Index(home.body, `href="/static/site.css?v=`)
	if i < 0 {
		t.Fatalf("home page does not link the stylesheet")
	}
	href := home.body[i+len(`href="`):]
	href = href[:strings.IndexByte(href, '"')]
	req := httptest.NewRequest(http.MethodGet, href, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	r := do(t, h, req)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || !strings.Contains(r.body, ":target") {
		t.Fatalf("GET %s = %d %s", href, r.status, r.header.Get("Content-Type"))
	}
	if r.header.Get("Content-Encoding") != "gzip" || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s: Content-Encoding %q, Cache-Control %q; want gzip and immutable", href,
			r.header.Get("Content-Encoding"), r.header.Get("Cache-Control"))
	}
	req = httptest.NewRequest(http.MethodGet, "/static/site.css", nil)
	req.Header.Set("If-None-Match", r.header.Get("ETag"))
	if r := do(t, h, req); r.status != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", r.status)
	}
	if r := get(t, h, "/static/../web.go"); r.status != 404 {
		t.Errorf("GET /static/../web.go = %d, want 404", r.status)
	}
	// No page may carry inline script or style: the CSP forbids them. A
	// script of the site's own, by its address, is allowed.
	scripts := regexp.MustCompile(`<script src="/static/[a-z.]+\?v=[0-9a-f]+" defer></script>`)
	for _, target := range []string{"/", "/tim-kiem?q=khai+sinh", "/van-ban/" + criminalCode, "/thu-tuc/" + birthReg, "/khong-co"} {
		body := scripts.ReplaceAllString(get(t, h, target).body, "")
		for _, bad := range []string{"<script", " style=", "<style", "fonts.googleapis", "cdn"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", target, bad)
			}
		}
	}
}

func TestGzip(t *testing.T) {
	h := newSite(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/van-ban/"+civilCode+"?toan-van=1", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("law page not compressed: %v", w.Header())
	}
	zipped := w.Body.Len()
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Bộ luật Dân sự page: %d bytes, %d gzipped", len(plain), zipped)
	if !strings.Contains(string(plain), `id="dieu-689"`) {
		t.Errorf("the compressed page is incomplete")
	}
	// Without Accept-Encoding the page comes plain.
	if r := get(t, h, "/van-ban/"+civilCode); r.header.Get("Content-Encoding") != "" {
		t.Errorf("compressed for a client that did not ask")
	}
}

// query builds a URL with parameters.
func query(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return path + "?" + v.Encode()
}

// A module brings its own page templates, rendered inside the layout, and
// its routes, with path parameters read the net/http way.
func TestModulePages(t *testing.T) {
	greet := web.Module{
		Name: "greet",
		Templates: fstest.MapFS{
			"_name.html": {Data: []byte(`{{define "name"}}<b>{{.}}</b>{{end}}`)},
			"hello.html": {Data: []byte(`{{define "title"}}Xin chào {{.Data}}{{end}}{{define "content"}}<p>Xin chào {{template "name" .Data}}{{shout "!"}}</p>{{end}}`)},
		},
		Funcs: template.FuncMap{"shout": func(s string) string { return s + s }},
		Mount: func(r web.Router, pages *web.Renderer) error {
			r.Handle(http.MethodGet, "/xin-chao/{name}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				pages.Render(w, r, http.StatusOK, "hello", r.PathValue("name"))
			}))
			r.Handle(http.MethodGet, "/tep/{path...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.PathValue("path"))
			}))
			return nil
		},
	}
	h := web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Modules: []web.Module{greet}})
	r := get(t, h, "/xin-chao/B%E1%BA%A1n%3Cscript%3E")
	for _, want := range []string{"<title>Xin chào Bạn&lt;script&gt; · Mặt trận số</title>", "<p>Xin chào <b>Bạn&lt;script&gt;</b>!!</p>", `<nav class="site-nav"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("module page lacks %q:\n%s", want, r.body)
		}
	}
	if r := get(t, h, "/tep/a/b.txt"); r.body != "a/b.txt" {
		t.Errorf("catch-all parameter = %q, want a/b.txt", r.body)
	}
	// A module page without "content" is a wiring mistake, caught at start.
	bad := web.Module{Name: "bad", Templates: fstest.MapFS{"x.html": {Data: []byte(`{{define "title"}}x{{end}}`)}},
		Mount: func(web.Router, *web.Renderer) error { return nil }}
	func() {
		defer func() {
			if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), `page x does not define "content"`) {
				t.Errorf("New with a broken page: recovered %v", v)
			}
		}()
		web.New(web.Options{Modules: []web.Module{bad}})
	}()
}

func TestRoutesListsModulePatterns(t *testing.T) {
	h := web.New(web.Options{Modules: []web.Module{{Name: "m", Mount: func(r web.Router, _ *web.Renderer) error {
		r.Handle(http.MethodGet, "/van-ban/{id}", http.NotFoundHandler())
		r.Handle(http.MethodPost, "/files/{path...}", http.NotFoundHandler())
		return nil
	}}}})
	have := map[web.Route]bool{}
	for _, r := range web.Routes(h) {
		have[r] = true
	}
	for _, want := range []web.Route{{"GET", "/van-ban/{id}"}, {"HEAD", "/van-ban/{id}"}, {"POST", "/files/{path...}"}, {"GET", "/healthz"}} {
		if !have[want] {
			t.Errorf("Routes lacks %v: %v", want, web.Routes(h))
		}
	}
	if web.Routes(http.NotFoundHandler()) != nil {
		t.Error("Routes of a foreign handler")
	}
}
