package web_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/internal/testenv/browser"
)

// TestBrowserPhone drives Debian's headless Chromium, as a phone, through
// the library: search without diacritics, open a result, land on the
// article, follow a clause's own link. Screenshots go to
// $MATTRANSO_SCREENSHOTS, or the test's temporary directory.
func TestBrowserPhone(t *testing.T) {
	testenv.Chromium(t) // skip before loading the library when there is no browser
	srv := httptest.NewServer(newSite(t, nil))
	t.Cleanup(srv.Close) // after the browser, which closes first
	// Every console error — a CSP violation, a missing asset, a script
	// error — fails the test.
	phone := browser.NewPhone(t)

	phone.Step("open the home page as a phone",
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
	)
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the home page is %spx wide on a 390px phone: it scrolls sideways", w)
	}
	phone.Screenshot("home.png")

	phone.Step("search for a crime, typed without diacritics, among laws",
		chromedp.SendKeys(chromedp.CSS(`#q`), "chiem doat di vat cua tu si"),
		chromedp.Click(chromedp.CSS(`input[name="loai"][value="luat"] + span`)),
		chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.results`)),
	)
	loc, err := url.Parse(phone.Eval(`location.href`))
	if err != nil || loc.Path != "/tim-kiem" || loc.Query().Get("q") != "chiem doat di vat cua tu si" || loc.Query().Get("loai") != "luat" {
		t.Errorf("the search went to %v", loc)
	}
	first := phone.Eval(`document.querySelector("ol.results .result__title a").textContent`)
	if !strings.HasPrefix(first, "Điều 418. Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ") {
		t.Errorf("first result %q, want Điều 418", first)
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the results page is %spx wide on a 390px phone", w)
	}
	phone.Screenshot("results.png")

	phone.Step("open the first result",
		chromedp.Click(chromedp.CSS(`ol.results .result__title a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.doc`)),
		// A long law arrives in pieces: wait for the article itself.
		chromedp.WaitVisible(chromedp.CSS(`#dieu-418`)),
	)
	if got := phone.Eval(`location.pathname + location.hash`); got != "/van-ban/"+criminalCode+"#dieu-418" {
		t.Errorf("landed on %s, want /van-ban/%s#dieu-418", got, criminalCode)
	}
	if got := phone.Eval(`document.querySelector(":target") ? document.querySelector(":target").id : ""`); got != "dieu-418" {
		t.Errorf(":target is %q, want dieu-418", got)
	}
	// The article is scrolled to the top of the screen.
	if top := phone.Eval(`String(Math.round(document.getElementById("dieu-418").getBoundingClientRect().top))`); top < "0" || len(top) > 3 {
		t.Errorf("Điều 418 is at %spx from the top of the screen, want it in view", top)
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the law page is %spx wide on a 390px phone", w)
	}
	phone.Screenshot("law.png")

	phone.Step("follow the link of clause 2, point a",
		chromedp.Click(chromedp.CSS(`a.self[href="#dieu-418/khoan-2/diem-a"]`)),
	)
	if got := phone.Eval(`location.hash`); got != "#dieu-418/khoan-2/diem-a" {
		t.Errorf("location.hash = %q, want #dieu-418/khoan-2/diem-a", got)
	}
	target := phone.Eval(`(function () {
		var el = document.querySelector(":target");
		if (!el) return "none";
		return el.id + " | " + el.textContent.trim() + " | " + getComputedStyle(el).backgroundColor;
	})()`)
	if !strings.HasPrefix(target, "dieu-418/khoan-2/diem-a | §a) Là chỉ huy hoặc sĩ quan;") || !strings.HasSuffix(target, "rgb(255, 248, 214)") {
		t.Errorf(":target = %q, want point a highlighted", target)
	}
	phone.Screenshot("clause.png")

	phone.Step("open the table of contents and follow it",
		chromedp.Navigate(srv.URL+"/van-ban/"+civilCode),
		chromedp.WaitVisible(chromedp.CSS(`details.toc > summary`)),
	)
	phone.Screenshot("law-top.png")
	phone.Step("open the table of contents",
		chromedp.Click(chromedp.CSS(`details.toc > summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.toc__list a[href="#dieu-2"]`)),
	)
	phone.Screenshot("toc.png")
	phone.Step("follow the table of contents",
		chromedp.Click(chromedp.CSS(`.toc__list a[href="#dieu-2"]`)),
	)
	if got := phone.Eval(`location.hash + " " + document.querySelector(":target").id`); got != "#dieu-2 dieu-2" {
		t.Errorf("after the table of contents: %q, want Điều 2 as the target", got)
	}

	phone.Step("search a procedure",
		chromedp.Navigate(srv.URL+"/?loai=thu-tuc"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), "dang ky khai sinh\n"),
		chromedp.WaitVisible(chromedp.CSS(`ol.results`)),
	)
	if got := phone.Eval(`new URL(location.href).searchParams.get("loai")`); got != "thu-tuc" {
		t.Errorf("the procedures page searched loai=%q, want thu-tuc", got)
	}
	phone.Screenshot("procedure-results.png")
	phone.Step("open the first procedure",
		chromedp.Click(chromedp.CSS(`ol.results .result__title a`)),
		chromedp.WaitVisible(chromedp.CSS(`#thanh-phan-ho-so`)),
	)
	if h1 := phone.Eval(`document.querySelector("h1").textContent`); !strings.Contains(h1, "khai sinh") {
		t.Errorf("procedure page h1 = %q", h1)
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the procedure page is %spx wide on a 390px phone", w)
	}
	phone.Screenshot("procedure.png")
	phone.Step("jump to the documents to submit",
		chromedp.Click(chromedp.CSS(`nav.jump a[href="#thanh-phan-ho-so"]`)),
	)
	if got := phone.Eval(`document.querySelector(":target").id`); got != "thanh-phan-ho-so" {
		t.Errorf("after the jump: target %q, want thanh-phan-ho-so", got)
	}
	phone.Screenshot("procedure-documents.png")

	for _, p := range phone.Problems() {
		t.Errorf("browser console: %s", p)
	}
}
