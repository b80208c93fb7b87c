package auth_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestBrowserSignIn drives Debian's headless Chromium, as a phone,
// through a real sign-on: the staff home sends it to Dex's own login
// form, it types the password there, lands back on the staff home showing
// the user's name and unit, and logs out. Screenshots go to
// $MATTRANSO_SCREENSHOTS, or the test's temporary directory.
func TestBrowserSignIn(t *testing.T) {
	testenv.Chromium(t) // skip before starting Dex when there is no browser
	f := newFixture(t, storetest.SQLite(t), fixtureOptions{dex: true})
	user := f.dex.Users[0]
	if _, err := f.auth.Store().Grant(t.Context(), user.Email, auth.Reporter, saiGon+"/HPN", "test"); err != nil {
		t.Fatal(err)
	}
	phone := browser.NewPhone(t,
		// Console errors on the site's own pages — a CSP violation, a
		// missing asset — fail the test; Dex's pages are not ours to judge.
		browser.ProblemIf(func(ev browser.ConsoleEvent) bool {
			if !strings.HasPrefix(ev.URL, f.srv.URL) {
				return false
			}
			// The 401 of /api/v1/me after logout is the point, and a JSON
			// answer has no icon link, so Chromium asks for /favicon.ico.
			expected := ev.URL == f.srv.URL+"/api/v1/me" || ev.URL == f.srv.URL+"/favicon.ico"
			return ev.Exception || !expected
		}),
	)

	phone.Step("open the staff home as a phone: it sends to Dex's login form",
		chromedp.Navigate(f.srv.URL+"/can-bo"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	if loc := phone.Eval(`location.href`); !strings.HasPrefix(loc, f.dex.Issuer) {
		t.Fatalf("the login form is at %s, not at Dex", loc)
	}
	phone.Screenshot("dex-login.png")

	phone.Step("sign in on Dex's form",
		chromedp.SendKeys(chromedp.CSS(`#login`), user.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), user.Password),
		chromedp.Click(chromedp.CSS(`#submit-login`)),
		chromedp.WaitVisible(chromedp.CSS(`#staff-name`)),
	)
	if got := phone.Eval(`location.href`); got != f.srv.URL+"/can-bo" {
		t.Errorf("landed on %s, want the staff home", got)
	}
	if got := phone.Eval(`document.getElementById("staff-name").textContent`); got != user.Name {
		t.Errorf("the staff home shows %q, want the user's name %q", got, user.Name)
	}
	grant := phone.Eval(`document.querySelector(".grant").textContent`)
	for _, want := range []string{"Hội Liên hiệp Phụ nữ Phường Sài Gòn", "26740/HPN", "Cán bộ báo cáo"} {
		if !strings.Contains(grant, want) {
			t.Errorf("the staff home's unit reads %q, want %q in it", grant, want)
		}
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the staff home is %spx wide on a 390px phone", w)
	}
	// The session cookie is out of scripts' reach.
	if c := phone.Eval(`document.cookie`); strings.Contains(c, "mts_session") {
		t.Errorf("document.cookie shows the session: %q", c)
	}
	phone.Screenshot("staff-home.png")

	phone.Step("log out",
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`.logged-out`)),
	)
	phone.Screenshot("logged-out.png")
	phone.Step("the API no longer knows the browser",
		chromedp.Navigate(f.srv.URL+"/api/v1/me"),
		chromedp.WaitReady(chromedp.CSS(`body`)),
	)
	if body := phone.Eval(`document.body.textContent`); !strings.Contains(body, `"unauthenticated"`) {
		t.Errorf("/api/v1/me after logout: %s", body)
	}
	phone.Step("the staff home sends to the sign-on again",
		chromedp.Navigate(f.srv.URL+"/can-bo"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	f.wantEvent(auth.EventLogin, auth.OutcomeOK, "")
	f.wantEvent(auth.EventLogout, auth.OutcomeOK, "")

	for _, p := range phone.Problems() {
		t.Errorf("browser console: %s", p)
	}
}
