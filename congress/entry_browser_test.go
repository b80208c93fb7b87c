package congress_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/store/storetest"
)

// The entry form in a real browser at 360 px: the site's policy lets its
// style sheet load (a refused one would be a console error), the page is
// no wider than the phone, the buttons take a thumb, and the form saves
// without JavaScript.
func TestEntryFormOnPhone(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), false)
	token := f.people()[saiGonReporter]
	// The browser cannot add a bearer token to its requests: the server
	// in front of the site does.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		f.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	p := browser.NewPhone(t)
	p.Step("open the form at 360 px",
		chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+congress.EntryURL(term, saiGon)),
		chromedp.WaitVisible(chromedp.CSS(`#chair`)),
	)
	p.Screenshot("dai-hoi-cap-nhat-360.png")
	if got := p.Eval(`String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("the page is %s px wide on a 360 px phone", got)
	}
	if got := px(p.Eval(`String(Math.min(...[...document.querySelectorAll('form button')].map(b => b.getBoundingClientRect().height)))`)); got < 44 {
		t.Errorf("a button is %v px high", got)
	}
	if got := px(p.Eval(`String(document.querySelector('#chair').getBoundingClientRect().width)`)); got < 280 {
		t.Errorf("the chair field is %v px wide on a 360 px phone", got)
	}
	p.Step("fill in and save",
		chromedp.Click(chromedp.CSS(`input[name="status"][value="held"]`)),
		chromedp.SendKeys(chromedp.CSS(`#chair`), "Nguyễn Văn An"),
		chromedp.SendKeys(chromedp.CSS(`#delegates_summoned`), "150"),
		chromedp.Click(chromedp.CSS(`form.dh-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)),
	)
	c, err := f.store.Get(t.Context(), term, saiGon)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != congress.Held || c.Chair != "Nguyễn Văn An" || c.DelegatesSummoned == nil || *c.DelegatesSummoned != 150 {
		t.Errorf("saved from the phone: %+v", c)
	}
	if probs := p.Problems(); len(probs) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(probs, "\n"))
	}
}

func px(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v
}
