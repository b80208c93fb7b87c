// Package library is the citizen library of Mặt trận số: the pages and the
// JSON API through which citizens search the laws and administrative
// procedures and read them, clause by clause. It calls a Searcher for
// passages and a Documents store for the documents themselves.
package library

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Searcher finds passages; the retrieval indexes satisfy it.
type Searcher interface {
	Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
}

// Documents fetches one document. Get returns an error wrapping
// corpus.ErrNotFound for an unknown id.
type Documents interface {
	Get(ctx context.Context, id string) (*corpus.Document, error)
}

// Catalogue lists the stored documents of a kind; the corpus store
// satisfies it. Documents that also implement it get a list of every law
// on the law home page (/?loai=luat); others get the page without it.
type Catalogue interface {
	List(ctx context.Context, opt corpus.ListOptions) ([]corpus.Summary, error)
}

// Pages renders one of the library's page templates (see Templates) inside
// the site layout; the templates read the data as .Data.
type Pages interface {
	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
}

// Router registers a route: method, a net/http style pattern
// ("/van-ban/{id}") and a handler reading parameters with r.PathValue.
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// HomeSection is a part of the home page that another module provides —
// the latest answers to citizens' feedback, say — so that the library
// shows it without importing that module. It returns HTML made by
// html/template, or "" to show nothing; an error is logged and the page
// shown without the section.
type HomeSection interface {
	HomeSection(ctx context.Context) (template.HTML, error)
}

// Options are what the library needs. Searcher, Documents and Pages are
// required.
type Options struct {
	Searcher  Searcher
	Documents Documents
	Pages     Pages
	// Sections are shown on the home page ("/", not the law or procedure
	// home pages) under the search box, in order.
	Sections []HomeSection
	Logger   *slog.Logger // nil means slog.Default()
	// Now is the date a law's validity is judged at; nil means time.Now.
	Now func() time.Time
}

// Handler serves the library's pages and API.
type Handler struct {
	search   Searcher
	docs     Documents
	pages    Pages
	sections []HomeSection
	log      *slog.Logger
	now      func() time.Time
	facts    lawFactsCache
}

// New returns the library's handlers. It panics when a required option is
// missing, which is a wiring mistake, not a runtime condition.
func New(o Options) *Handler {
	if o.Searcher == nil || o.Documents == nil || o.Pages == nil {
		panic("library: New needs Searcher, Documents and Pages")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{search: o.Searcher, docs: o.Documents, pages: o.Pages, sections: o.Sections, log: o.Logger, now: o.Now}
}

// Register adds the library's routes to r.
func (h *Handler) Register(r Router) {
	r.Handle(http.MethodGet, "/", http.HandlerFunc(h.Home))
	r.Handle(http.MethodGet, "/tim-kiem", http.HandlerFunc(h.SearchPage))
	r.Handle(http.MethodGet, "/van-ban/{id}", http.HandlerFunc(h.LawPage))
	r.Handle(http.MethodGet, "/thu-tuc/{id}", http.HandlerFunc(h.ProcedurePage))
	r.Handle(http.MethodGet, ProcedureStylePath, http.HandlerFunc(h.procedureStyle))
	r.Handle(http.MethodGet, "/api/v1/library/search", http.HandlerFunc(h.APISearch))
	r.Handle(http.MethodGet, "/api/v1/library/documents/{id}", http.HandlerFunc(h.APIDocument))
}

// Templates are the library's page templates, for a Pages implementation
// to parse with the layout: home, search, law, procedure and error.
var Templates fs.FS = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

//go:embed templates/*.html
var templateFiles embed.FS

// TemplateFuncs are the functions the library's templates use.
var TemplateFuncs = template.FuncMap{
	"frag": fragment,
}

// reAnchor matches the anchors corpus makes: "dieu-418/khoan-2/diem-a".
var reAnchor = regexp.MustCompile(`^[a-z0-9][a-z0-9/-]*$`)

// URL is the address of a document's page, at anchor when given: a law at
// /van-ban/{id}?dieu=418#dieu-418/khoan-1, a procedure at
// /thu-tuc/{id}#thanh-phan-ho-so. A long law is served in parts: ?dieu=
// names the article so that the server sends the part holding it, and the
// link lands on the clause without script (a short law ignores it).
func URL(kind corpus.Kind, docID, anchor string) string {
	p := "/van-ban/"
	if kind == corpus.KindProcedure {
		p = "/thu-tuc/"
	}
	u := p + url.PathEscape(docID)
	if kind != corpus.KindProcedure {
		if n := articleParam(anchor); n != "" && strings.HasPrefix(anchor, "dieu-") {
			u += "?" + paramArticle + "=" + url.QueryEscape(n)
		}
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}
