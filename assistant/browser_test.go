package assistant_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestBrowserChat drives Debian's headless Chromium, as a phone, through
// the chat page: it signs in through a real Dex, asks a question, watches
// the answer stream in with a citation, rates it, and follows the citation
// to the article in the library. Screenshots go to $MATTRANSO_SCREENSHOTS,
// or the test's temporary directory.
func TestBrowserChat(t *testing.T) {
	testenv.Chromium(t) // skip before starting Dex when there is no browser
	s := newSite(t, storetest.SQLite(t), siteOptions{dex: true})
	user := s.dex.Users[0]
	if _, err := s.auth.Store().Grant(t.Context(), user.Email, auth.Staff, hcmcFront, "test"); err != nil {
		t.Fatal(err)
	}
	phone := browser.NewPhone(t,
		browser.StepTimeout(30*time.Second),
		// Console errors on the site's own pages — a CSP violation, a
		// missing asset — and any script error fail the test.
		browser.ProblemIf(func(ev browser.ConsoleEvent) bool {
			return ev.Exception || strings.HasPrefix(ev.URL, s.srv.URL) && ev.URL != s.srv.URL+"/favicon.ico"
		}),
	)

	phone.Step("open the chat page as a phone: it sends to Dex's login form",
		chromedp.Navigate(s.srv.URL+"/tro-ly"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	phone.Step("sign in on Dex's form and land on the chat page",
		chromedp.SendKeys(chromedp.CSS(`#login`), user.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), user.Password),
		chromedp.Click(chromedp.CSS(`#submit-login`)),
		chromedp.WaitVisible(chromedp.CSS(`#question`)),
	)
	if got := phone.Eval(`location.pathname`); got != "/tro-ly" {
		t.Fatalf("landed on %s, want /tro-ly", got)
	}
	phone.Screenshot("chat-empty.png")

	phone.Step("ask a question: the answer streams in with its citations",
		chromedp.SendKeys(chromedp.CSS(`#question`), adultQuestion),
		chromedp.Click(chromedp.CSS(`#ask`)),
		chromedp.WaitVisible(chromedp.CSS(`.qa[data-answer-id] .qa-cite`)),
	)
	if got := phone.Eval(`document.querySelector(".qa .qa-q__text").textContent`); got != adultQuestion {
		t.Errorf("the question shows as %q", got)
	}
	answer := phone.Eval(`document.querySelector(".qa .qa-text").textContent`)
	if answer == "" || strings.Contains(answer, "Đang tìm") {
		t.Errorf("the answer reads %q", answer)
	}
	if got := phone.Eval(`location.pathname + location.search`); !strings.HasPrefix(got, "/tro-ly?c=") {
		t.Errorf("after the answer the address is %s, want the conversation's", got)
	}
	if got := phone.Eval(`document.querySelector("#chat-list a").textContent`); got != adultQuestion {
		t.Errorf("the conversation list shows %q", got)
	}
	if w := phone.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the chat page is %spx wide on a 390px phone", w)
	}
	if phone.Eval(`String(document.querySelector(".qa .qa-copy").hidden)`) != "false" {
		t.Error("the copy button is hidden")
	}
	phone.Screenshot("chat-answer.png")

	phone.Step("rate the answer 👍",
		chromedp.Click(chromedp.CSS(`.qa .qa-rate__btn[value="up"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.qa .qa-rate__btn[value="up"][aria-pressed="true"]`)),
	)
	if rated, err := s.convs.Rated(t.Context(), 10); err != nil || len(rated) != 1 || rated[0].Rating != "up" {
		t.Errorf("the rating was stored as %+v (%v)", rated, err)
	}

	phone.Step("reload: the conversation is rendered by the server",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`.qa[data-answer-id] .qa-cite`)),
	)
	if got := phone.Eval(`document.querySelector(".qa .qa-text").textContent`); got != answer {
		t.Errorf("after reload the answer reads %q, want %q", got, answer)
	}

	href := phone.Eval(`document.querySelector(".qa .qa-cite").getAttribute("href")`)
	phone.Step("follow the citation to the library",
		chromedp.Click(chromedp.CSS(`.qa .qa-cite`)),
		chromedp.WaitVisible(chromedp.CSS(`.law`)),
	)
	if got := phone.Eval(`location.pathname + location.search + location.hash`); got != href || !strings.Contains(href, "#dieu-") {
		t.Errorf("the citation %s led to %s", href, got)
	}
	if phone.Eval(`String(!!document.getElementById(decodeURIComponent(location.hash.slice(1))))`) != "true" {
		t.Errorf("the library page has no element for the anchor of %s", href)
	}
	phone.Screenshot("library-article.png")

	for _, p := range phone.Problems() {
		t.Errorf("browser console: %s", p)
	}
}
