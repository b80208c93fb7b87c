package web_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/store/storetest"
)

// TestBrowserPhone drives Debian's headless Chromium, as a phone, through
// the library: search without diacritics, open a result, land on the
// article, follow a clause's own link. Screenshots go to
// $MATTRANSO_SCREENSHOTS, or the test's temporary directory.
func TestBrowserPhone(t *testing.T) {
	chromium := storetest.Chromium(t)
	srv := httptest.NewServer(newSite(t, nil))
	defer srv.Close()
	shots := os.Getenv("MATTRANSO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}

	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer cancel()

	// Every console error — a CSP violation, a missing asset, a script
	// error — fails the test.
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	// Each step gets its own deadline; the browser lives as long as ctx.
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	screenshot := func(name string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}

	step("open the home page as a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
	)
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the home page is %spx wide on a 390px phone: it scrolls sideways", w)
	}
	screenshot("home.png")

	step("search for a crime, typed without diacritics, among laws",
		chromedp.SendKeys(chromedp.CSS(`#q`), "chiem doat di vat cua tu si"),
		chromedp.Click(chromedp.CSS(`input[name="loai"][value="luat"] + span`)),
		chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.results`)),
	)
	loc, err := url.Parse(eval(`location.href`))
	if err != nil || loc.Path != "/tim-kiem" || loc.Query().Get("q") != "chiem doat di vat cua tu si" || loc.Query().Get("loai") != "luat" {
		t.Errorf("the search went to %v", loc)
	}
	first := eval(`document.querySelector("ol.results .result__title a").textContent`)
	if !strings.HasPrefix(first, "Điều 418. Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ") {
		t.Errorf("first result %q, want Điều 418", first)
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the results page is %spx wide on a 390px phone", w)
	}
	screenshot("results.png")

	step("open the first result",
		chromedp.Click(chromedp.CSS(`ol.results .result__title a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.doc`)),
	)
	if got := eval(`location.pathname + location.hash`); got != "/van-ban/"+criminalCode+"#dieu-418" {
		t.Errorf("landed on %s, want /van-ban/%s#dieu-418", got, criminalCode)
	}
	if got := eval(`document.querySelector(":target") ? document.querySelector(":target").id : ""`); got != "dieu-418" {
		t.Errorf(":target is %q, want dieu-418", got)
	}
	// The article is scrolled to the top of the screen.
	if top := eval(`String(Math.round(document.getElementById("dieu-418").getBoundingClientRect().top))`); top < "0" || len(top) > 3 {
		t.Errorf("Điều 418 is at %spx from the top of the screen, want it in view", top)
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the law page is %spx wide on a 390px phone", w)
	}
	screenshot("law.png")

	step("follow the link of clause 2, point a",
		chromedp.Click(chromedp.CSS(`a.self[href="#dieu-418/khoan-2/diem-a"]`)),
	)
	if got := eval(`location.hash`); got != "#dieu-418/khoan-2/diem-a" {
		t.Errorf("location.hash = %q, want #dieu-418/khoan-2/diem-a", got)
	}
	target := eval(`(function () {
		var el = document.querySelector(":target");
		if (!el) return "none";
		return el.id + " | " + el.textContent.trim() + " | " + getComputedStyle(el).backgroundColor;
	})()`)
	if !strings.HasPrefix(target, "dieu-418/khoan-2/diem-a | §a) Là chỉ huy hoặc sĩ quan;") || !strings.HasSuffix(target, "rgb(255, 248, 214)") {
		t.Errorf(":target = %q, want point a highlighted", target)
	}
	screenshot("clause.png")

	step("open the table of contents and follow it",
		chromedp.Navigate(srv.URL+"/van-ban/"+civilCode),
		chromedp.WaitVisible(chromedp.CSS(`details.toc > summary`)),
	)
	screenshot("law-top.png")
	step("open the table of contents",
		chromedp.Click(chromedp.CSS(`details.toc > summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.toc__list a[href="#dieu-2"]`)),
	)
	screenshot("toc.png")
	step("follow the table of contents",
		chromedp.Click(chromedp.CSS(`.toc__list a[href="#dieu-2"]`)),
	)
	if got := eval(`location.hash + " " + document.querySelector(":target").id`); got != "#dieu-2 dieu-2" {
		t.Errorf("after the table of contents: %q, want Điều 2 as the target", got)
	}

	step("search a procedure",
		chromedp.Navigate(srv.URL+"/?loai=thu-tuc"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS(`#q`), "dang ky khai sinh\n"),
		chromedp.WaitVisible(chromedp.CSS(`ol.results`)),
	)
	if got := eval(`new URL(location.href).searchParams.get("loai")`); got != "thu-tuc" {
		t.Errorf("the procedures page searched loai=%q, want thu-tuc", got)
	}
	screenshot("procedure-results.png")
	step("open the first procedure",
		chromedp.Click(chromedp.CSS(`ol.results .result__title a`)),
		chromedp.WaitVisible(chromedp.CSS(`#thanh-phan-ho-so`)),
	)
	if h1 := eval(`document.querySelector("h1").textContent`); !strings.Contains(h1, "khai sinh") {
		t.Errorf("procedure page h1 = %q", h1)
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the procedure page is %spx wide on a 390px phone", w)
	}
	screenshot("procedure.png")
	step("jump to the documents to submit",
		chromedp.Click(chromedp.CSS(`nav.jump a[href="#thanh-phan-ho-so"]`)),
	)
	if got := eval(`document.querySelector(":target").id`); got != "thanh-phan-ho-so" {
		t.Errorf("after the jump: target %q, want thanh-phan-ho-so", got)
	}
	screenshot("procedure-documents.png")

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
