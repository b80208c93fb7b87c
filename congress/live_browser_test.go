package congress_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/congress"
	phone "github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/store/storetest"
)

// The dashboard in a real browser at 360 px: open, it follows the event
// stream; a congress marked held through the API shows — in the counts,
// the province's row and the latest results — without a reload. With the
// stream refused, the page polls the snapshot and shows it all the same.

// waitFor evaluates js (yielding "true" or "false") until it is true,
// for at most limit; the page's state on failure is in the message.
func waitFor(t *testing.T, p *phone.Phone, what, js string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for p.Eval(`String(`+js+`)`) != "true" {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; the page says %q", what, limit,
				p.Eval(`document.getElementById('dh-state').textContent + ' | ' + document.querySelector('[data-scope="summary"]').innerText.slice(0, 400)`))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const (
	heldCount   = `document.querySelector('[data-scope="summary"] .dh-cards [data-count="held"]').textContent`
	latestFirst = `(document.querySelector('#dh-latest li') || {textContent: ''}).textContent`
	rowHeld     = `document.querySelector('tr[data-province="79"] [data-count="held"]').textContent`
)

func TestDashboardLiveInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("a browser: not under -short")
	}
	for _, c := range []struct {
		name    string
		refused bool // the stream is full: the page polls
		state   string
	}{{"stream", false, "đang cập nhật trực tiếp"}, {"polling", true, "cập nhật định kỳ"}} {
		t.Run(c.name, func(t *testing.T) {
			f := newSite(t, storetest.SQLite(t), false)
			if c.refused {
				f.svc.SetLive(congress.LiveOptions{MaxClients: 1})
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); f.svc.RunLive(ctx) }()
			defer func() { cancel(); <-done }()
			p := f.people()
			if c.refused {
				// Another client holds the one place.
				openStream(t, f.srv.URL+"/api/v1/congress/"+term+"/events", nil)
			}

			ph := phone.NewPhone(t)
			ph.Step("open the dashboard at 360 px",
				chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
				chromedp.Navigate(f.srv.URL+"/dai-hoi"),
				chromedp.WaitVisible(`#dh-latest-empty`),
			)
			waitFor(t, ph, "the page follows the changes", `document.getElementById('dh-state').textContent === '`+c.state+`'`, 20*time.Second)
			if got := ph.Eval(heldCount); got != "0" {
				t.Fatalf("held before: %q", got)
			}
			// A mark that a reload would wipe out.
			ph.Eval(`String(window.dhMark = 'same page')`)

			if a := f.call(t, http.MethodPut, congressPath(saiGon), p[hcmcReporter],
				`{"status":"held","planned_date":"2026-05-20","chair":"Nguyễn Văn An"}`); a.status != http.StatusOK {
				t.Fatalf("PUT: %d %s", a.status, a.body)
			}
			limit := 10 * time.Second
			if c.refused {
				limit = 40 * time.Second // the polling's period and room
			}
			waitFor(t, ph, "the count of held congresses", heldCount+` === '1'`, limit)
			waitFor(t, ph, "the latest results", latestFirst+`.indexOf('Phường Sài Gòn') >= 0 && `+latestFirst+`.indexOf('Nguyễn Văn An') >= 0`, limit)
			waitFor(t, ph, "the province's row", rowHeld+` === '1'`, limit)
			if got := ph.Eval(`String(window.dhMark)`); got != "same page" {
				t.Fatalf("the page was reloaded (mark %q)", got)
			}
			if got := ph.Eval(`String(document.getElementById('dh-latest-empty').hidden)`); got != "true" {
				t.Errorf("the empty-list note still shows")
			}
			if got := ph.Eval(`String(document.documentElement.scrollWidth)`); got != "360" {
				t.Errorf("the page is %s px wide on a 360 px phone", got)
			}
			ph.Screenshot("dai-hoi-" + c.name + "-360.png")
			var probs []string
			for _, pr := range ph.Problems() {
				// The refused stream's 503 is the case under test.
				if c.refused && strings.Contains(pr, "503") {
					continue
				}
				probs = append(probs, pr)
			}
			if len(probs) > 0 {
				t.Errorf("the browser reported:\n%s", strings.Join(probs, "\n"))
			}
		})
	}
}
