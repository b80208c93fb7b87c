package web_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/web"
)

// citizenSite is the library with stand-ins for the pages the menu links
// — sending feedback, signing in, the assistant and the staff home — and
// someone signed in when the request carries X-Signed-In.
func citizenSite(t *testing.T) http.Handler {
	t.Helper()
	docs, idx := needLibrary(t)
	stub := web.Module{Name: "stub", Mount: func(r web.Router, _ *web.Renderer) error {
		for _, p := range []string{"/phan-anh/gui", "/auth/login", "/tro-ly", "/can-bo"} {
			r.Handle(http.MethodGet, p, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, p) }))
		}
		return nil
	}}
	return web.New(web.Options{
		Logger:   slog.New(slog.DiscardHandler),
		Modules:  []web.Module{libraryModule(library.Options{Searcher: idx, Documents: docs}), stub},
		SignedIn: func(r *http.Request) bool { return r.Header.Get("X-Signed-In") != "" },
	})
}

// navOf is the menu of a page: label → address.
func navOf(page string) string {
	i := strings.Index(page, `<nav class="site-nav"`)
	if i < 0 {
		return ""
	}
	nav := page[i:]
	return nav[:strings.Index(nav, "</nav>")]
}

// A visitor's menu holds what a citizen uses and one sign-in link for
// staff; someone signed in sees the staff pages instead.
func TestMenuForVisitorsAndStaff(t *testing.T) {
	h := citizenSite(t)
	anon := navOf(get(t, h, "/").body)
	for _, w := range []string{`href="/?loai=luat">Thư viện pháp luật`, `href="/?loai=thu-tuc">Thủ tục hành chính`, `href="/phan-anh/gui">Gửi phản ánh`, `href="/auth/login">Đăng nhập cho cán bộ`} {
		if !strings.Contains(anon, w) {
			t.Errorf("visitor's menu lacks %s:\n%s", w, anon)
		}
	}
	for _, bad := range []string{"/tro-ly", "/can-bo", "Trợ lý", "Cán bộ<"} {
		if strings.Contains(anon, bad) {
			t.Errorf("visitor's menu shows %s:\n%s", bad, anon)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Signed-In", "1")
	staff := navOf(do(t, h, req).body)
	for _, w := range []string{`href="/tro-ly">Trợ lý`, `href="/can-bo">Cán bộ`, `href="/?loai=luat"`} {
		if !strings.Contains(staff, w) {
			t.Errorf("staff menu lacks %s:\n%s", w, staff)
		}
	}
	if strings.Contains(staff, "/auth/login") {
		t.Errorf("staff menu asks to sign in:\n%s", staff)
	}
}

// On a 360 px phone every item of the menu is in sight, none cut off or
// scrolled away; a link to a clause of a long law lands on the clause, in
// its part, with the article's heading in sight.
func TestBrowserMenuAndLongLaw(t *testing.T) {
	testenv.Chromium(t)
	docs, _ := needLibrary(t)
	srv := httptest.NewServer(citizenSite(t))
	t.Cleanup(srv.Close)
	phone := browser.NewPhone(t)

	phone.Step("open the home page on a 360 px phone",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.site-nav`)),
	)
	items := phone.Eval(`(function () {
		var out = [];
		document.querySelectorAll(".site-nav a").forEach(function (a) {
			var r = a.getBoundingClientRect();
			out.push(a.textContent.trim() + "@" + Math.floor(r.left) + "-" + Math.ceil(r.right) + (a.scrollWidth > a.clientWidth ? "!" : ""));
		});
		return out.join("|");
	})()`)
	t.Logf("menu at 360 px: %s", items)
	n := 0
	for _, it := range strings.Split(items, "|") {
		var label string
		var left, right int
		at := strings.LastIndex(it, "@")
		label = it[:at]
		if _, err := fmt.Sscanf(strings.TrimSuffix(it[at+1:], "!"), "%d-%d", &left, &right); err != nil {
			t.Fatalf("menu item %q: %v", it, err)
		}
		n++
		if left < 0 || right > 360 || strings.HasSuffix(it, "!") {
			t.Errorf("menu item %q runs off the 360 px screen (%d–%d px)", label, left, right)
		}
	}
	if n != 4 {
		t.Errorf("%d menu items, want the laws, the procedures, feedback and the staff sign-in: %s", n, items)
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the home page is %s px wide on a 360 px phone", w)
	}
	phone.Screenshot("menu-360.png")

	// The article of the civil code past the first part with the most
	// clauses; land on its last clause.
	d, err := docs.Get(t.Context(), civilCode)
	if err != nil {
		t.Fatal(err)
	}
	var art *corpus.Node
	for i, a := range d.Articles() {
		if i >= 40 && (art == nil || len(a.Children) > len(art.Children)) {
			art = a
		}
	}
	clause := art.Children[len(art.Children)-1].Anchor
	phone.Step("follow a link to a clause of a long law",
		chromedp.Navigate(srv.URL+"/van-ban/"+civilCode+"#"+clause),
		chromedp.WaitVisible(chromedp.CSS(`[id="`+art.Anchor+`"]`)),
	)
	if got := phone.Eval(`location.search + location.hash`); got != "?dieu="+strings.TrimPrefix(art.Anchor, "dieu-")+"#"+clause {
		t.Errorf("landed on %s, want the part of %s at %s", got, art.Anchor, clause)
	}
	where := phone.Eval(fmt.Sprintf(`(function () {
		var h = document.getElementById(%q).querySelector(".dieu__title").getBoundingClientRect();
		var c = document.getElementById(%q).getBoundingClientRect();
		return [Math.round(h.top), Math.round(h.bottom), Math.round(c.top), Math.round(c.bottom), window.innerHeight].join(" ");
	})()`, art.Anchor, clause))
	var hTop, hBottom, cTop, cBottom, height int
	if _, err := fmt.Sscanf(where, "%d %d %d %d %d", &hTop, &hBottom, &cTop, &cBottom, &height); err != nil {
		t.Fatalf("positions %q: %v", where, err)
	}
	t.Logf("%s (%d clauses): heading at %d–%d px, clause %s at %d–%d px, screen %d px", art.Anchor, len(art.Children), hTop, hBottom, clause, cTop, cBottom, height)
	if hTop < 0 || hBottom > height {
		t.Errorf("the heading of %s is out of sight (%d–%d px) when landing on %s", art.Anchor, hTop, hBottom, clause)
	}
	if cTop < hBottom-2 || cTop > height {
		t.Errorf("the clause (%d px) is hidden under the heading (to %d px) or out of sight", cTop, hBottom)
	}
	phone.Screenshot("law-clause-sticky.png")

	phone.Step("open the list of laws",
		chromedp.Navigate(srv.URL+"/?loai=luat"),
		chromedp.WaitVisible(chromedp.CSS(`.catalogue`)),
		chromedp.ScrollIntoView(chromedp.CSS(`.catalogue`)),
	)
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the list of laws is %s px wide on a 360 px phone", w)
	}
	phone.Screenshot("law-list.png")
	phone.Step("open a long law",
		chromedp.Navigate(srv.URL+"/van-ban/"+civilCode),
		chromedp.WaitVisible(chromedp.CSS(`.law-part`)),
	)
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the law page is %s px wide on a 360 px phone", w)
	}
	phone.Screenshot("law-facts.png")
}
