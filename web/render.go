package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
)

//go:embed templates static
var embedded embed.FS

// Renderer renders a module's pages inside the site layout. It satisfies
// the Pages interface that modules declare:
//
//	Render(w http.ResponseWriter, r *http.Request, status int, name string, data any)
type Renderer struct {
	pages map[string]*template.Template
	log   *slog.Logger
	csrf  func(*http.Request) template.HTML
	nav   *siteNav
}

// siteNav is what the menu depends on: which of its pages the site has
// (filled once every module is mounted), and who is signed in.
type siteNav struct {
	routes   map[string]bool // GET patterns
	signedIn func(*http.Request) bool
}

// Page is what the layout and every page template receive: the module's
// data in Data, with the request's path and id and the navigation.
type Page struct {
	Data      any
	Path      string
	RequestID string
	Nav       []NavItem
	// CSRFField is the hidden field that every form changing something
	// carries (see Options.CSRFField); empty when nobody is signed in.
	CSRFField template.HTML
}

// NavItem is one link of the site navigation.
type NavItem struct {
	Label  string
	URL    string
	Active bool
}

// NewRenderer parses the layout and the shell's pages ("error") together
// with module's templates: each "name.html" at module's root becomes page
// "name" (a module may replace a shell page), and each "_*.html" is a
// partial available to all of them. module may be nil.
func NewRenderer(module fs.FS, funcs template.FuncMap) (*Renderer, error) {
	base := template.New("layout").Funcs(template.FuncMap{"asset": assetURL})
	if funcs != nil {
		base = base.Funcs(funcs)
	}
	if _, err := base.ParseFS(embedded, "templates/layout.html"); err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	sources := map[string]struct {
		fsys fs.FS
		file string
	}{}
	var partials []string
	collect := func(fsys fs.FS, dir string, module bool) error {
		files, err := fs.Glob(fsys, path.Join(dir, "*.html"))
		if err != nil {
			return err
		}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			switch {
			case !module && name == "layout":
			case strings.HasPrefix(name, "_"):
				if module {
					partials = append(partials, f)
				}
			default:
				sources[name] = struct {
					fsys fs.FS
					file string
				}{fsys, f}
			}
		}
		return nil
	}
	if err := collect(embedded, "templates", false); err != nil {
		return nil, err
	}
	if module != nil {
		if err := collect(module, ".", true); err != nil {
			return nil, err
		}
	}
	if len(partials) > 0 {
		if _, err := base.ParseFS(module, partials...); err != nil {
			return nil, fmt.Errorf("web: parse partials: %w", err)
		}
	}
	r := &Renderer{pages: map[string]*template.Template{}, log: slog.Default()}
	for name, src := range sources {
		t, err := base.Clone()
		if err == nil {
			_, err = t.ParseFS(src.fsys, src.file)
		}
		if err != nil {
			return nil, fmt.Errorf("web: parse page %s: %w", name, err)
		}
		for _, need := range []string{"title", "content"} {
			if t.Lookup(need) == nil {
				return nil, fmt.Errorf("web: page %s does not define %q", name, need)
			}
		}
		r.pages[name] = t
	}
	return r, nil
}

// Render writes page name with data inside the layout, with status. The
// page is rendered in full before anything is sent, so that a template
// error answers a clean 500 rather than half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t := rd.pages[name]
	if t == nil {
		rd.log.ErrorContext(r.Context(), "render: no such page", "page", name)
		http.Error(w, "Lỗi hiển thị trang.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	p := Page{Data: data, Path: r.URL.Path, RequestID: RequestID(r.Context()), Nav: rd.nav.items(r)}
	if rd.csrf != nil {
		p.CSRFField = rd.csrf(r)
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		rd.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "Lỗi hiển thị trang.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// items is the menu for r, with the section the request belongs to
// marked. Citizens see what they can use — the laws, the procedures,
// sending feedback — and one link for staff to sign in; the staff pages
// (the assistant, the staff home) show only to someone signed in. A page
// the site does not have is left out.
func (n *siteNav) items(r *http.Request) []NavItem {
	loai := r.URL.Query().Get("loai")
	p := r.URL.Path
	procedures := loai == "thu-tuc" || strings.HasPrefix(p, "/thu-tuc/")
	laws := !procedures && (loai == "luat" || strings.HasPrefix(p, "/van-ban/"))
	has := func(pattern string) bool { return n == nil || n.routes == nil || n.routes[pattern] }
	items := []NavItem{
		{Label: "Thư viện pháp luật", URL: "/?loai=luat", Active: laws},
		{Label: "Thủ tục hành chính", URL: "/?loai=thu-tuc", Active: procedures},
	}
	if has("/phan-anh/gui") {
		items = append(items, NavItem{Label: "Gửi phản ánh", URL: "/phan-anh/gui", Active: strings.HasPrefix(p, "/phan-anh")})
	}
	if n != nil && n.signedIn != nil && n.signedIn(r) {
		if has("/tro-ly") {
			items = append(items, NavItem{Label: "Trợ lý", URL: "/tro-ly", Active: strings.HasPrefix(p, "/tro-ly")})
		}
		if has("/can-bo") {
			items = append(items, NavItem{Label: "Cán bộ", URL: "/can-bo", Active: strings.HasPrefix(p, "/can-bo") || strings.HasPrefix(p, "/quan-tri")})
		}
		return items
	}
	if has("/auth/login") {
		items = append(items, NavItem{Label: "Đăng nhập cho cán bộ", URL: "/auth/login", Active: strings.HasPrefix(p, "/auth/")})
	}
	return items
}
