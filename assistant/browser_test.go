package assistant_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestBrowserChat drives Debian's headless Chromium, as a phone, through
// the chat page: it signs in through a real Dex, asks a question, watches
// the answer stream in with a citation, rates it, and follows the citation
// to the article in the library. Screenshots go to $MATTRANSO_SCREENSHOTS,
// or the test's temporary directory.
func TestBrowserChat(t *testing.T) {
	chromium := storetest.Chromium(t)
	s := newSite(t, storetest.SQLite(t), siteOptions{dex: true})
	user := s.dex.Users[0]
	if _, err := s.auth.Store().Grant(t.Context(), user.Email, auth.Staff, hcmcFront, "test"); err != nil {
		t.Fatal(err)
	}
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

	// Console errors on the site's own pages — a CSP violation, a missing
	// asset, a script error — fail the test.
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if (e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning) &&
				strings.HasPrefix(e.Entry.URL, s.srv.URL) && e.Entry.URL != s.srv.URL+"/favicon.ico" {
				problems = append(problems, string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
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

	step("open the chat page as a phone: it sends to Dex's login form",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(s.srv.URL+"/tro-ly"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	step("sign in on Dex's form and land on the chat page",
		chromedp.SendKeys(chromedp.CSS(`#login`), user.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), user.Password),
		chromedp.Click(chromedp.CSS(`#submit-login`)),
		chromedp.WaitVisible(chromedp.CSS(`#question`)),
	)
	if got := eval(`location.pathname`); got != "/tro-ly" {
		t.Fatalf("landed on %s, want /tro-ly", got)
	}
	screenshot("chat-empty.png")

	step("ask a question: the answer streams in with its citations",
		chromedp.SendKeys(chromedp.CSS(`#question`), adultQuestion),
		chromedp.Click(chromedp.CSS(`#ask`)),
		chromedp.WaitVisible(chromedp.CSS(`.qa[data-answer-id] .qa-cite`)),
	)
	if got := eval(`document.querySelector(".qa .qa-q__text").textContent`); got != adultQuestion {
		t.Errorf("the question shows as %q", got)
	}
	answer := eval(`document.querySelector(".qa .qa-text").textContent`)
	if answer == "" || strings.Contains(answer, "Đang tìm") {
		t.Errorf("the answer reads %q", answer)
	}
	if got := eval(`location.pathname + location.search`); !strings.HasPrefix(got, "/tro-ly?c=") {
		t.Errorf("after the answer the address is %s, want the conversation's", got)
	}
	if got := eval(`document.querySelector("#chat-list a").textContent`); got != adultQuestion {
		t.Errorf("the conversation list shows %q", got)
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the chat page is %spx wide on a 390px phone", w)
	}
	if eval(`String(document.querySelector(".qa .qa-copy").hidden)`) != "false" {
		t.Error("the copy button is hidden")
	}
	screenshot("chat-answer.png")

	step("rate the answer 👍",
		chromedp.Click(chromedp.CSS(`.qa .qa-rate__btn[value="up"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.qa .qa-rate__btn[value="up"][aria-pressed="true"]`)),
	)
	if rated, err := s.convs.Rated(t.Context(), 10); err != nil || len(rated) != 1 || rated[0].Rating != "up" {
		t.Errorf("the rating was stored as %+v (%v)", rated, err)
	}

	step("reload: the conversation is rendered by the server",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`.qa[data-answer-id] .qa-cite`)),
	)
	if got := eval(`document.querySelector(".qa .qa-text").textContent`); got != answer {
		t.Errorf("after reload the answer reads %q, want %q", got, answer)
	}

	href := eval(`document.querySelector(".qa .qa-cite").getAttribute("href")`)
	step("follow the citation to the library",
		chromedp.Click(chromedp.CSS(`.qa .qa-cite`)),
		chromedp.WaitVisible(chromedp.CSS(`.law`)),
	)
	if got := eval(`location.pathname + location.hash`); got != href || !strings.Contains(href, "#dieu-") {
		t.Errorf("the citation %s led to %s", href, got)
	}
	if eval(`String(!!document.getElementById(decodeURIComponent(location.hash.slice(1))))`) != "true" {
		t.Errorf("the library page has no element for the anchor of %s", href)
	}
	screenshot("library-article.png")

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
