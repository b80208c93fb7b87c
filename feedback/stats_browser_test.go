package feedback_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/store/storetest"
)

// The statistics page in a real browser at 360 px: the site's policy lets
// every part of it show (the charts' colours included: a refused style
// would be a console error), the page is no wider than the phone, and the
// commune × topic table scrolls sideways inside its own box.
func TestStatsPageOnPhone(t *testing.T) {
	se := newStatsEnv(t, storetest.SQLite(t))
	token := se.token("can.bo@mttq.vn", auth.Officer, "VN/MTTQ")
	// The browser cannot add a bearer token to its requests: the server
	// in front of the site does.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		se.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	p := browser.NewPhone(t)
	p.Step("open the statistics at 360 px",
		chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/quan-tri/phan-anh/thong-ke?unit=VN/MTTQ&"+statsPeriod),
		chromedp.WaitVisible(chromedp.CSS(`#bieu-do-tuan`)),
	)
	p.Screenshot("thong-ke-360.png")
	if got := p.Eval(`String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("the page is %s px wide on a 360 px phone", got)
	}
	// The charts are drawn with their colours: presentation attributes,
	// which the policy allows.
	if got := p.Eval(`getComputedStyle(document.querySelector('#bieu-do-linh-vuc path[fill]:not([fill="white"]):not([fill="none"])') || document.body).fill`); got == "" || got == "rgb(0, 0, 0)" {
		t.Errorf("the topic chart's bars are filled %q", got)
	}
	if got := p.Eval(`String(document.querySelector('#bieu-do-tuan').getBoundingClientRect().width <= 360)`); got != "true" {
		t.Errorf("the weekly chart is wider than the phone")
	}
	area := `document.querySelector('.tk-area').closest('.tk-scroll')`
	if got := p.Eval(`String(` + area + `.scrollWidth > ` + area + `.clientWidth)`); got != "true" {
		t.Errorf("the commune × topic table does not scroll in its box")
	}
	p.Step("scroll to the commune × topic table", chromedp.ScrollIntoView(`#tk-dia-ban`))
	p.Screenshot("thong-ke-360-dia-ban.png")
	if probs := p.Problems(); len(probs) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(probs, "\n"))
	}
}
