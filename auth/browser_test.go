package auth_test

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

// TestBrowserSignIn drives Debian's headless Chromium, as a phone,
// through a real sign-on: the staff home sends it to Dex's own login
// form, it types the password there, lands back on the staff home showing
// the user's name and unit, and logs out. Screenshots go to
// $MATTRANSO_SCREENSHOTS, or the test's temporary directory.
func TestBrowserSignIn(t *testing.T) {
	chromium := storetest.Chromium(t)
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{dex: true})
	user := f.dex.Users[0]
	if _, err := f.auth.Store().Grant(t.Context(), user.Email, auth.Reporter, saiGon+"/HPN", "test"); err != nil {
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
	// asset — fail the test; Dex's pages are not ours to judge.
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			// The 401 of /api/v1/me after logout is the point, and a JSON
			// answer has no icon link, so Chromium asks for /favicon.ico.
			expected := e.Entry.URL == f.srv.URL+"/api/v1/me" || e.Entry.URL == f.srv.URL+"/favicon.ico"
			if (e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning) && strings.HasPrefix(e.Entry.URL, f.srv.URL) && !expected {
				problems = append(problems, string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			if strings.HasPrefix(e.ExceptionDetails.URL, f.srv.URL) {
				problems = append(problems, "exception: "+e.ExceptionDetails.Text)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

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

	step("open the staff home as a phone: it sends to Dex's login form",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(f.srv.URL+"/can-bo"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	if loc := eval(`location.href`); !strings.HasPrefix(loc, f.dex.Issuer) {
		t.Fatalf("the login form is at %s, not at Dex", loc)
	}
	screenshot("dex-login.png")

	step("sign in on Dex's form",
		chromedp.SendKeys(chromedp.CSS(`#login`), user.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), user.Password),
		chromedp.Click(chromedp.CSS(`#submit-login`)),
		chromedp.WaitVisible(chromedp.CSS(`#staff-name`)),
	)
	if got := eval(`location.href`); got != f.srv.URL+"/can-bo" {
		t.Errorf("landed on %s, want the staff home", got)
	}
	if got := eval(`document.getElementById("staff-name").textContent`); got != user.Name {
		t.Errorf("the staff home shows %q, want the user's name %q", got, user.Name)
	}
	grant := eval(`document.querySelector(".grant").textContent`)
	for _, want := range []string{"Hội Liên hiệp Phụ nữ Phường Sài Gòn", "26740/HPN", "Cán bộ báo cáo"} {
		if !strings.Contains(grant, want) {
			t.Errorf("the staff home's unit reads %q, want %q in it", grant, want)
		}
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the staff home is %spx wide on a 390px phone", w)
	}
	// The session cookie is out of scripts' reach.
	if c := eval(`document.cookie`); strings.Contains(c, "mts_session") {
		t.Errorf("document.cookie shows the session: %q", c)
	}
	screenshot("staff-home.png")

	step("log out",
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`.logged-out`)),
	)
	screenshot("logged-out.png")
	step("the API no longer knows the browser",
		chromedp.Navigate(f.srv.URL+"/api/v1/me"),
		chromedp.WaitReady(chromedp.CSS(`body`)),
	)
	if body := eval(`document.body.textContent`); !strings.Contains(body, `"unauthenticated"`) {
		t.Errorf("/api/v1/me after logout: %s", body)
	}
	step("the staff home sends to the sign-on again",
		chromedp.Navigate(f.srv.URL+"/can-bo"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	f.wantEvent(auth.EventLogin, auth.OutcomeOK, "")
	f.wantEvent(auth.EventLogout, auth.OutcomeOK, "")

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
