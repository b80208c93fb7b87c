package org_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mattranso/mattranso/internal/testenv/browser"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store/storetest"
)

// A commune's Front page and the rollout table in a real browser at
// 360 px: no page is wider than the phone, the profile form is filled and
// saved without JavaScript, the staff list shows its phones to the
// commune's reporter, and the rollout table scrolls inside its own box.
func TestUnitPagesOnPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	us := newUnitsSite(t, storetest.SQLite(t))
	ctx := t.Context()
	u := org.UnitOf("26740", org.MTTQ)
	if _, _, err := us.store.SaveStaff(ctx, u, []org.Person{
		{Name: "Trần Thị Bình", Position: "Chủ tịch Ủy ban Mặt trận Tổ quốc phường", FullTime: true, Committee: true, Phone: "0912 345 678", Email: "tran.thi.binh.chu.tich@mattran-phuong-sai-gon.vn"},
		{Name: "Nguyễn Văn An", Position: "Phó Chủ tịch", FullTime: true, Committee: true, Executive: true, Phone: "0987 654 321"},
	}, -1, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := us.store.CreateVillage(ctx, "26740", "Khu phố 1", "Khu phố"); err != nil {
		t.Fatal(err)
	}
	// The browser cannot send the test's headers: the server in front of
	// the site adds them, as a signed-in reporter of the commune.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set(testUser, "79/MTTQ")
		r.Header.Set(testRole, "reporter")
		us.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	p := browser.NewPhone(t)
	p.Step("open the commune's Front page at 360 px",
		chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/don-vi/26740/MTTQ"),
		chromedp.WaitVisible(chromedp.CSS(`#f-members`)),
	)
	p.Screenshot("don-vi-360.png")
	if got := p.Eval(`String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("the unit's page is %s px wide on a 360 px phone", got)
	}
	if got := p.Eval(`document.querySelector('#can-bo').innerText`); !strings.Contains(got, "0912 345 678") {
		t.Errorf("the staff list shows %q", got)
	}
	if got := p.Eval(`String(document.querySelector('#f-members').getBoundingClientRect().height >= 44)`); got != "true" {
		t.Errorf("the members field is smaller than a thumb")
	}
	p.Step("fill the profile and take the counts from the list",
		chromedp.SetValue(chromedp.CSS(`#f-members`), "2450"),
		chromedp.SetValue(chromedp.CSS(`#f-typical_activities`), "Ngày hội Đại đoàn kết toàn dân tộc ở các khu phố."),
		chromedp.Click(chromedp.CSS(`button[name="from_staff"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)),
	)
	p.Screenshot("don-vi-360-saved.png")
	prof, err := us.store.Profile(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if prof.Members != 2450 || prof.FullTimeStaff != 2 || prof.CommitteeMembers != 2 || prof.ExecutiveMembers != 1 || prof.UpdatedBy != "reporter@79/MTTQ" {
		t.Errorf("saved profile %+v", prof)
	}
	if got := p.Eval(`document.querySelector('.dv-history').innerText`); !strings.Contains(got, "2450") {
		t.Errorf("the history shows %q", got)
	}
	if got := p.Eval(`String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("the page after saving is %s px wide", got)
	}

	p.Step("open the rollout table of the province",
		chromedp.Navigate(srv.URL+"/quan-tri/trien-khai?parent=79"),
		chromedp.WaitVisible(chromedp.CSS(`.dv-table`)),
	)
	p.Screenshot("trien-khai-360.png")
	if got := p.Eval(`String(document.documentElement.scrollWidth)`); got != "360" {
		t.Errorf("the rollout page is %s px wide on a 360 px phone", got)
	}
	box := `document.querySelector('.dv-scroll')`
	if got := p.Eval(`String(` + box + `.scrollWidth > ` + box + `.clientWidth)`); got != "true" {
		t.Errorf("the rollout table does not scroll in its box")
	}
	if probs := p.Problems(); len(probs) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(probs, "\n"))
	}
}
