// Package web is the HTTP shell of Mặt trận số: the gin engine with its
// middleware (request ids, logs, recovery, metrics, security headers, body
// limit, compression), the site layout and static assets, the health
// endpoints, and the mounting of each module's routes and pages.
//
// Domain packages never import web. A module declares, in its own package,
// the two small interfaces it needs —
//
//	type Router interface{ Handle(method, pattern string, h http.Handler) }
//	type Pages interface {
//		Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
//	}
//
// — and web satisfies both: a [Module] hands the module's templates to a
// [Renderer] (parsed together with the layout) and registers its routes.
package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxBodyBytes is the largest request body any route accepts.
const MaxBodyBytes = 1 << 20

// Options configures the site. The zero value serves the shell alone:
// health endpoints, metrics, static assets and error pages.
type Options struct {
	// Logger receives request logs and errors; nil means slog.Default().
	Logger *slog.Logger
	// Ready reports why the server cannot serve yet (for example while the
	// library is being ingested); /readyz answers 503 with the reason while
	// it returns an error. Nil means always ready.
	Ready func() error
	// ReadyDetail, when set, adds a line to /readyz's answer when ready:
	// how the instance stands (e.g. how far its index is behind).
	ReadyDetail func() string
	// Registry receives the HTTP metrics and is served at /metrics. Nil
	// means a fresh registry with the Go and process collectors; pass one to
	// expose other packages' metrics too.
	Registry *prometheus.Registry
	// Collectors are registered on the registry besides the HTTP metrics:
	// a module's own gauges.
	Collectors []prometheus.Collector
	// Modules are the parts of the site, mounted in order.
	Modules []Module
	// Middleware wraps every request, after the shell's own middleware and
	// in order (the first is outermost): a part that must see each request —
	// auth, finding who is signed in and refusing forged forms — gives one
	// here. A middleware passes on the ResponseWriter it was given; one that
	// answers itself does not call next.
	Middleware []func(http.Handler) http.Handler
	// CSRFField returns the hidden form field that proves a form was served
	// by this site to the one who posts it; pages print it inside every form
	// that changes something, as {{$.CSRFField}}. Nil prints nothing.
	CSRFField func(r *http.Request) template.HTML
	// SignedIn reports whether r comes from someone signed in: the menu
	// then shows the staff pages, and otherwise one link to sign in. Nil
	// means nobody ever is.
	SignedIn func(r *http.Request) bool
}

// Module is a part of the site that brings its own routes and, optionally,
// page templates.
type Module struct {
	// Name identifies the module in errors.
	Name string
	// Templates holds the module's templates at its root: every "name.html"
	// is a page rendered as "name" inside the layout, and must define
	// "title" and "content"; files starting with "_" are partials shared by
	// the module's pages. Nil for a module without pages.
	Templates fs.FS
	// Funcs are extra template functions for the module's templates.
	Funcs template.FuncMap
	// Mount registers the module's routes on r. Its pages are rendered by
	// pages, which satisfies the module's own Pages interface.
	Mount func(r Router, pages *Renderer) error
	// BodyLimits raise the body limit (MaxBodyBytes) for the module's
	// routes that take uploads, by exact path; the handler then bounds
	// what it reads itself.
	BodyLimits map[string]int64
}

// Router is where modules register routes. Patterns use the net/http
// syntax ("/van-ban/{id}", "/files/{path...}"); handlers are plain
// http.Handlers and read parameters with r.PathValue. A GET route also
// answers HEAD. Routes under /api/ answer errors as JSON.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// New returns the site's handler: a gin engine in release mode. It panics
// on a programming error — a template that does not parse, a bad route
// pattern, metrics registered twice in opts.Registry — as regexp.MustCompile
// does: none of them depends on input.
func New(opts Options) http.Handler {
	h, err := build(opts)
	if err != nil {
		panic(err)
	}
	return h
}

func build(opts Options) (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = RequestLogger(log)
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		// The live heap after the last collection (go_gc_heap_live_bytes)
		// besides the defaults: what is held, garbage not counted, as the
		// load tests measure memory per connection.
		reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	for _, c := range opts.Collectors {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	shell, err := NewRenderer(nil, nil)
	if err != nil {
		return nil, err
	}
	shell.log = log
	shell.csrf = opts.CSRFField
	nav := &siteNav{signedIn: opts.SignedIn}
	shell.nav = nav
	s := &site{log: log, shell: shell}

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	limits := map[string]int64{}
	for _, mod := range opts.Modules {
		for path, n := range mod.BodyLimits {
			limits[path] = n
		}
	}
	e.Use(requestID(), s.logRequests(), securityHeaders(), m.observe(), s.recovery(), s.limitBody(MaxBodyBytes, limits), s.checkText(), compress())
	for _, mw := range opts.Middleware {
		e.Use(wrapMiddleware(mw))
	}
	e.NoRoute(func(c *gin.Context) { s.fail(c, http.StatusNotFound) })
	e.NoMethod(func(c *gin.Context) { s.fail(c, http.StatusMethodNotAllowed) })

	e.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	e.HEAD("/healthz", func(c *gin.Context) { c.Status(http.StatusOK) })
	e.GET("/readyz", func(c *gin.Context) {
		if opts.Ready != nil {
			if err := opts.Ready(); err != nil {
				c.String(http.StatusServiceUnavailable, "not ready: %v", err)
				return
			}
		}
		if opts.ReadyDetail != nil {
			c.String(http.StatusOK, "ok\n%s\n", opts.ReadyDetail())
			return
		}
		c.String(http.StatusOK, "ok")
	})
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	e.GET("/static/*file", s.static)
	e.HEAD("/static/*file", s.static)

	rt := &router{e: e}
	for _, mod := range opts.Modules {
		if mod.Mount == nil {
			return nil, fmt.Errorf("web: module %s has no Mount", mod.Name)
		}
		var pages *Renderer
		if mod.Templates != nil {
			if pages, err = NewRenderer(mod.Templates, mod.Funcs); err != nil {
				return nil, fmt.Errorf("web: module %s: %w", mod.Name, err)
			}
			pages.log = log
			pages.csrf = opts.CSRFField
			pages.nav = nav
		}
		if err := mod.Mount(rt, pages); err != nil {
			return nil, fmt.Errorf("web: mount module %s: %w", mod.Name, err)
		}
		if rt.err != nil {
			return nil, fmt.Errorf("web: module %s: %w", mod.Name, rt.err)
		}
	}
	nav.routes = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet {
			nav.routes[netPattern(r.Path)] = true
		}
	}
	return e, nil
}

// RequestLogger returns log with the id of the request being served added
// to every record logged with that request's context, so that a module's
// log lines can be told apart and matched with the request log. A logger
// it already wrapped is returned as it is.
func RequestLogger(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(requestIDHandler); ok {
		return log
	}
	return slog.New(requestIDHandler{log.Handler()})
}

type router struct {
	e   *gin.Engine
	err error
}

func (rt *router) Handle(method, pattern string, h http.Handler) {
	path, err := ginPattern(pattern)
	if err != nil {
		rt.err = err
		return
	}
	hf := func(c *gin.Context) {
		for _, p := range c.Params {
			// Only a catch-all's value starts with "/"; net/http leaves it out.
			c.Request.SetPathValue(p.Key, strings.TrimPrefix(p.Value, "/"))
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
	rt.e.Handle(method, path, hf)
	if method == http.MethodGet {
		rt.e.Handle(http.MethodHead, path, hf)
	}
}

// ginPattern turns "/van-ban/{id}" into "/van-ban/:id" and
// "/f/{path...}" into "/f/*path".
func ginPattern(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("route pattern %q must start with /", p)
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			if strings.ContainsAny(s, "{}:*") {
				return "", fmt.Errorf("route pattern %q: bad segment %q", p, s)
			}
			continue
		}
		if !strings.HasSuffix(s, "}") || len(s) < 3 {
			return "", fmt.Errorf("route pattern %q: bad segment %q", p, s)
		}
		name := s[1 : len(s)-1]
		if rest, ok := strings.CutSuffix(name, "..."); ok {
			if i != len(segs)-1 {
				return "", fmt.Errorf("route pattern %q: {%s} must be last", p, name)
			}
			segs[i] = "*" + rest
			continue
		}
		segs[i] = ":" + name
	}
	return strings.Join(segs, "/"), nil
}
