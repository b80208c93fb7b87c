package report_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestBrowserWeeklyReport is the acceptance of the weekly report in a
// real browser at 360 px: a commune's reporter signs in through Dex,
// fills the week's form — what is typed is kept in the browser and comes
// back after a reload — gets a rule's refusal in Vietnamese beside the
// field, corrects it and submits; the province's reporter signs in, sees
// the report in the roll-up and its completion table, and approves it;
// the commune's reporter finds the form closed, and a change sent anyway
// is refused. No page is wider than the phone, and no page of the site
// logs an error or a policy violation.
func TestBrowserWeeklyReport(t *testing.T) {
	if testing.Short() {
		t.Skip("a browser and Dex: the full pass only")
	}
	testenv.Chromium(t) // skip before starting Dex when there is no browser
	communeUser := dextest.User{Email: "hpn.saigon@mattranso.test", Password: "mat-khau-xa-1", Name: "Trần Thị Mai",
		Subject: "0b7f3c52-1d2e-4a8b-9c0d-111111111111"}
	provinceUser := dextest.User{Email: "hpn.hcm@mattranso.test", Password: "mat-khau-tinh-2", Name: "Phạm Thu Hà",
		Subject: "0b7f3c52-1d2e-4a8b-9c0d-222222222222"}
	s, dex := newUISiteWith(t, storetest.SQLite(t), uiSiteOptions{dex: []dextest.User{communeUser, provinceUser}})
	for _, g := range []struct {
		email, unit string
	}{{communeUser.Email, "26734/HPN"}, {provinceUser.Email, "79/HPN"}} {
		if _, err := s.auth.Store().Grant(t.Context(), g.email, auth.Reporter, g.unit, "test"); err != nil {
			t.Fatal(err)
		}
	}
	site := s.srv.URL
	p := browser.NewPhone(t, browser.ProblemIf(func(ev browser.ConsoleEvent) bool {
		// Dex's pages are not ours to judge; a page without an icon link
		// makes Chromium ask for /favicon.ico; the form refused with 422
		// is the point of a step, and Chromium logs its status.
		return strings.HasPrefix(ev.URL, site) &&
			(ev.Exception || (ev.URL != site+"/favicon.ico" && ev.URL != site+formPath))
	}))
	p.Step("a phone 360 px wide", chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	narrow := func(page string) {
		t.Helper()
		if w := p.Eval(`String(document.documentElement.scrollWidth)`); w != "360" {
			t.Errorf("%s is %s px wide on a 360 px phone", page, w)
		}
	}
	signIn := func(u dextest.User, wait string) {
		t.Helper()
		p.Step("Dex's login form", chromedp.WaitVisible(chromedp.CSS(`#login`)))
		if loc := p.Eval(`location.href`); !strings.HasPrefix(loc, dex.Issuer) {
			t.Fatalf("the login form is at %s, not at Dex", loc)
		}
		p.Step("sign in as "+u.Email,
			chromedp.SendKeys(chromedp.CSS(`#login`), u.Email),
			chromedp.SendKeys(chromedp.CSS(`#password`), u.Password),
			chromedp.Click(chromedp.CSS(`#submit-login`)),
			chromedp.WaitVisible(chromedp.CSS(wait)),
		)
	}
	signOut := func() {
		t.Helper()
		p.Step("sign out",
			chromedp.Navigate(site+"/can-bo"),
			chromedp.WaitVisible(chromedp.CSS(`#logout`)),
			chromedp.Click(chromedp.CSS(`#logout`)),
			chromedp.WaitVisible(chromedp.CSS(`.logged-out`)),
		)
	}
	const draftKey = `"mattranso:bao-cao:26734/HPN/weekly/2026-W47"`

	// The commune's reporter.
	p.Step("open the reports: the site sends to Dex", chromedp.Navigate(site+"/bao-cao"))
	signIn(communeUser, `#don-vi-cua-toi`)
	if got := p.Eval(`location.pathname`); got != "/bao-cao" {
		t.Errorf("after signing in: %s, want /bao-cao", got)
	}
	if got := p.Eval(`document.querySelector('li[data-unit="26734/HPN"]').textContent`); !strings.Contains(got, "Chưa báo cáo") {
		t.Errorf("the unit's status reads %q", got)
	}
	narrow("the home page")
	p.Screenshot("bao-cao-360.png")
	p.Step("open the week's form",
		chromedp.Click(chromedp.CSS(`li[data-unit="26734/HPN"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#f_members`)),
	)
	p.Step("fill the form, full-time staff above the staff",
		chromedp.SendKeys(chromedp.CSS(`#f_members`), "1250"),
		chromedp.SendKeys(chromedp.CSS(`#f_staff`), "5"),
		chromedp.SendKeys(chromedp.CSS(`#f_full_time`), "8"),
		chromedp.SendKeys(chromedp.CSS(`#f_activities`), "3"),
		chromedp.SendKeys(chromedp.CSS(`#f_typical_activities`), "Ra quân vệ sinh môi trường, trồng 200 cây xanh."),
	)
	if got := p.Eval(`JSON.parse(localStorage.getItem(` + draftKey + `) || '{"values":{}}').values.f_full_time || ""`); got != "8" {
		t.Errorf("the draft in the browser holds full_time %q, want 8", got)
	}
	// A lost connection, a closed tab: the page opened again brings back
	// what was typed.
	p.Step("reload: the draft comes back",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`.bc-draft`)),
	)
	if got := p.Eval(`document.getElementById("f_typical_activities").value + "|" + document.getElementById("f_full_time").value`); got !=
		"Ra quân vệ sinh môi trường, trồng 200 cây xanh.|8" {
		t.Errorf("after a reload the form holds %q", got)
	}
	narrow("the form")
	p.Screenshot("bao-cao-form-360.png")
	p.Step("submit: refused beside the field",
		chromedp.Click(chromedp.CSS(`#gui-bao-cao`)),
		chromedp.WaitVisible(chromedp.CSS(`#f_full_time-loi`)),
	)
	msg := p.Eval(`document.getElementById("f_full_time-loi").textContent`)
	if !strings.Contains(msg, "Trong đó: cán bộ chuyên trách") || !strings.Contains(msg, "không được lớn hơn Số cán bộ") {
		t.Errorf("the refusal reads %q", msg)
	}
	if got := p.Eval(`document.getElementById("f_members").value`); got != "1250" {
		t.Errorf("after the refusal the form holds members %q, want what was typed", got)
	}
	narrow("the refused form")
	p.Screenshot("bao-cao-loi-360.png")
	p.Step("correct and submit",
		chromedp.SetValue(chromedp.CSS(`#f_full_time`), ""),
		chromedp.SendKeys(chromedp.CSS(`#f_full_time`), "2"),
		chromedp.Click(chromedp.CSS(`#gui-bao-cao`)),
		chromedp.WaitVisible(chromedp.CSS(`#thong-bao`)),
	)
	if got := p.Eval(`document.getElementById("trang-thai").dataset.status`); got != "submitted" {
		t.Errorf("after submitting the status is %q", got)
	}
	if got := p.Eval(`String(localStorage.getItem(` + draftKey + `))`); got != "null" {
		t.Errorf("the draft outlives the saved report: %s", got)
	}
	signOut()

	// The province's reporter.
	p.Step("open the province's roll-up", chromedp.Navigate(site+"/bao-cao/79/HPN/2026-W47/tong-hop"))
	signIn(provinceUser, `#bang-don-vi`)
	if got := p.Eval(`document.getElementById("da-bao-cao").textContent`); got != "1/2" {
		t.Errorf("the roll-up's reported reads %q, want 1/2", got)
	}
	row := p.Eval(`document.querySelector('#bang-don-vi tr[data-unit="26734"]').textContent`)
	if !strings.Contains(row, "Phường Sài Gòn") || !strings.Contains(row, "100\u00a0%") {
		t.Errorf("the completion table's row reads %q", row)
	}
	if got := p.Eval(`document.querySelector('#bang-tong tr[data-field="members"] td').textContent`); got != "1.250" {
		t.Errorf("the roll-up's members read %q", got)
	}
	if got := p.Eval(`String(document.querySelector('#bieu-do-ty-le').getBoundingClientRect().width <= 360)`); got != "true" {
		t.Error("the completion chart is wider than the phone")
	}
	narrow("the roll-up")
	p.Screenshot("tong-hop-360.png")
	p.Step("scroll to the completion chart", chromedp.ScrollIntoView(chromedp.CSS(`#theo-don-vi`)))
	p.Screenshot("tong-hop-don-vi-360.png")
	p.Step("open the commune's report and approve it",
		chromedp.Click(chromedp.CSS(`#bang-don-vi tr[data-unit="26734"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#duyet`)),
	)
	p.Screenshot("duyet-360.png")
	p.Step("approve",
		chromedp.Click(chromedp.CSS(`#duyet`)),
		chromedp.WaitVisible(chromedp.CSS(`#thong-bao`)),
	)
	if got := p.Eval(`document.getElementById("trang-thai").dataset.status`); got != "approved" {
		t.Errorf("after approving the status is %q", got)
	}
	p.Step("the print page", chromedp.Navigate(site+"/bao-cao/79/HPN/2026-W47/in"), chromedp.WaitVisible(chromedp.CSS(`#ban-in`)))
	narrow("the print page")
	p.Screenshot("in-360.png")
	// Printed, the sheet stands alone: no site header, footer or buttons.
	p.Step("print media", media("print"))
	if got := p.Eval(`[".site-header", ".site-footer", ".bc-print-tools"].map(s => getComputedStyle(document.querySelector(s)).display).join("|")`); got != "none|none|none" {
		t.Errorf("printed, the header, footer and buttons show: %s", got)
	}
	if got := p.Eval(`getComputedStyle(document.querySelector(".bc-print")).fontFamily`); !strings.Contains(got, "Times New Roman") {
		t.Errorf("the document prints in %s", got)
	}
	p.Step("screen media", media(""))
	signOut()

	// The commune's reporter again: the report is closed.
	p.Step("the commune opens its report again", chromedp.Navigate(site+"/bao-cao/26734/HPN/2026-W47"))
	signIn(communeUser, `#khoa`)
	if got := p.Eval(`String(document.getElementById("f_members").disabled) + "|" + String(document.getElementById("gui-bao-cao"))`); got != "true|null" {
		t.Errorf("the approved form: disabled|button = %s", got)
	}
	for _, pr := range p.Problems() {
		t.Errorf("browser console: %s", pr)
	}
	// A change sent anyway, with the session and its CSRF token (its
	// refusal is logged in the console, as it should be).
	status, err := chromedp.Run(p.Ctx(), chromedp.Evaluate[string](`(async () => {
		const f = new FormData(document.querySelector("form.bc-form"));
		f.set("f_members", "1300"); f.set("f_staff", "6"); f.set("f_full_time", "2"); f.set("f_activities", "3");
		f.set("hanh-dong", "gui");
		const r = await fetch(location.pathname, {method: "POST", body: new URLSearchParams(f)});
		return String(r.status);
	})()`, func(ep *runtime.EvaluateParams) { ep.AwaitPromise = new(true) }))
	if err != nil || status != "409" {
		t.Errorf("a change to the approved report: %s (%v)", status, err)
	}
	rep, err := s.svc.Report(t.Context(), "weekly", org.Unit{Territory: "26734", Org: org.HPN}, period(t, "2026-W47"))
	if err != nil || rep.Values["members"] != 1250.0 || rep.Values["full_time"] != 2.0 {
		t.Errorf("the approved report holds %v (%v)", rep.Values, err)
	}
	p.Screenshot("da-duyet-360.png")
}

// media emulates a CSS media type ("" for the screen).
func media(m string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	})
}
