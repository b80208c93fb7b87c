package library_test

import (
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/internal/testenv/testlibrary"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/web"
)

func TestMain(m *testing.M) { testlibrary.Main(m) }

// birthRegistration is the procedure đăng ký khai sinh.
const birthRegistration = "1.001193"

// flatPageHeight is how tall the birth-registration page was on a phone
// when it showed the portal's fields as text.
const flatPageHeight = 16400

// TestProcedurePagePhone opens the birth-registration procedure in
// Chromium at 360 px and checks that its ways to submit and its documents
// are tables a phone shows whole, and that the page is a fraction of the
// height the flattened text had. The screenshots (procedure-360*.png, the
// last the whole page) go to $MATTRANSO_SCREENSHOTS, or the test's
// temporary directory.
func TestProcedurePagePhone(t *testing.T) {
	if testing.Short() {
		t.Skip("a browser and an ingested library: not under -short")
	}
	testenv.Chromium(t)
	docs, idx := testlibrary.Open(t, testlibrary.Options{Procedures: 1})
	site := web.New(web.Options{Logger: slog.New(slog.DiscardHandler), Modules: []web.Module{{
		Name: "library", Templates: library.Templates, Funcs: library.TemplateFuncs,
		Mount: func(r web.Router, pages *web.Renderer) error {
			library.New(library.Options{Searcher: idx, Documents: docs, Pages: pages}).Register(r)
			return nil
		},
	}}})
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)

	phone := browser.NewPhone(t)
	phone.Step("narrow the phone to 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
	)
	phone.Step("open the birth registration",
		chromedp.Navigate(srv.URL+library.URL(corpus.KindProcedure, birthRegistration, "")),
		chromedp.WaitVisible(chromedp.CSS(`#bang-phi`)),
	)
	phone.Screenshot("procedure-360.png")
	phone.Step("scroll to the table of ways to submit",
		chromedp.ScrollIntoView(chromedp.CSS(`#cach-thuc`)),
	)
	phone.Screenshot("procedure-360-fees.png")
	phone.Step("scroll to the documents",
		chromedp.ScrollIntoView(chromedp.CSS(`#thanh-phan-ho-so`)),
	)
	phone.Screenshot("procedure-360-documents.png")

	// A table is visible when it has a box, fits the screen's width and is
	// not inside a closed <details>.
	visible := func(sel string) string {
		return phone.Eval(`(function () {
			var el = document.querySelector(` + strconv.Quote(sel) + `);
			if (!el) return "missing";
			var r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0) return "no box";
			if (r.left < 0 || r.right > document.documentElement.clientWidth + 1) return "wider than the screen: " + r.left + ".." + r.right;
			if (el.closest("details:not([open])")) return "folded";
			return "ok";
		})()`)
	}
	for _, sel := range []string{"#bang-phi", "#bang-ho-so"} {
		if got := visible(sel); got != "ok" {
			t.Errorf("%s: %s", sel, got)
		}
	}
	fees := phone.Eval(`Array.from(document.querySelectorAll("#bang-phi tbody tr")).map(function (tr) {
		return Array.from(tr.cells).map(function (c) { return c.textContent.trim(); }).join(" | ");
	}).join("\n")`)
	if !strings.Contains(fees, "Trực tuyến") || !strings.Contains(fees, "Miễn phí") {
		t.Errorf("fee table:\n%s\nwant the online channel, free of charge", fees)
	}
	papers := phone.Eval(`Array.from(document.querySelectorAll("#bang-ho-so tbody tr")).map(function (tr) {
		return tr.cells[0].textContent.trim().slice(0, 40) + " | " + tr.cells[1].textContent.trim();
	}).join("\n")`)
	rows := strings.Split(papers, "\n")
	if len(rows) < 3 || !strings.Contains(papers, "Giấy chứng sinh") || !strings.Contains(papers, "| 1 bản chính") {
		t.Errorf("document table:\n%s\nwant the birth certificate and the other documents, each with its quantity", papers)
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the page is %spx wide on a 360px phone: it scrolls sideways", w)
	}
	h, err := strconv.Atoi(phone.Eval(`String(document.documentElement.scrollHeight)`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page height at 360 px: %d px", h)
	if h > flatPageHeight/3 {
		t.Errorf("the page is %d px tall on a phone; want well below the %d px of the flattened text", h, flatPageHeight)
	}
	phone.Step("show the whole page at once",
		chromedp.EmulateViewport(360, int64(h), chromedp.EmulateScale(1), chromedp.EmulateMobile),
	)
	phone.Screenshot("procedure-360-full.png")

	for _, p := range phone.Problems() {
		t.Errorf("browser console: %s", p)
	}
}
