package feedback_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// page is a page as a browser gets it.
type page struct {
	status int
	header http.Header
	body   string
}

// form posts a form to the site with a bearer token (which needs no CSRF
// token: it carries no ambient authority).
func (f *office) form(t *testing.T, target, token string, values url.Values) page {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(values.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.site.ServeHTTP(w, r)
	return page{w.Code, w.Header(), w.Body.String()}
}

func (f *office) page(t *testing.T, target, token string) page {
	t.Helper()
	a := f.call(t, http.MethodGet, target, token, nil)
	return page{a.status, a.header, string(a.body)}
}

func pageURL(id int64) string { return "/quan-tri/phan-anh/" + strconv.FormatInt(id, 10) }

// The queue and an item's page render for officers, phone first: the
// queue marks overdue and flagged items and counts by state; the item's
// page shows what staff see, the forms of its next moves, the model texts
// and the agencies; nobody signed in is sent to the sign-on, and another
// commune's item is not found.
func TestOfficerPagesRender(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		late := f.submit(t, feedback.Submission{Content: "Mương nước sau chợ bị lấp, nước thải ứ đọng bốc mùi.", Name: "Phạm Văn Cường", Phone: "0911222333", Topic: "moi_truong"})
		f.now = f.now.AddDate(0, 0, 11)
		fresh := f.submit(t, feedback.Submission{Content: "xin hoi thu tuc lam lai can cuoc bi mat"})
		if !fresh.TopicFlagged {
			// Make one flagged whatever the classifier thinks.
			if _, err := f.store.Update(context.Background(), fresh.ID, feedback.Change{Actor: "test"}, func(_ context.Context, _ feedback.Querier, it *feedback.Item) error {
				it.TopicFlagged = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		other := f.submit(t, feedback.Submission{Content: "Vỉa hè phường Bến Thành bị lấn chiếm.", CommuneCode: "26743"})

		q := f.page(t, "/quan-tri/phan-anh", tok[saiGonOfficer])
		if q.status != http.StatusOK {
			t.Fatalf("queue: %d %s", q.status, q.body)
		}
		for _, want := range []string{feedback.FormatCode(late.Code), feedback.FormatCode(fresh.Code), "qt-item--late", "Quá hạn từ", "cần kiểm tra lĩnh vực",
			`name="viewport"`, "Đã tiếp nhận <span class=\"qt-count\">2</span>", "/phan-anh/tep/quan-tri.css"} {
			if !strings.Contains(q.body, want) {
				t.Errorf("the queue lacks %q", want)
			}
		}
		if strings.Contains(q.body, feedback.FormatCode(other.Code)) {
			t.Error("the queue shows another commune's item")
		}
		if strings.Count(q.body, "qt-item--late") != 1 {
			t.Errorf("%d items marked overdue, want 1", strings.Count(q.body, "qt-item--late"))
		}
		if p := f.page(t, "/quan-tri/phan-anh?overdue=1", tok[saiGonOfficer]); !strings.Contains(p.body, feedback.FormatCode(late.Code)) || strings.Contains(p.body, feedback.FormatCode(fresh.Code)) {
			t.Error("the overdue filter")
		}
		if p := f.page(t, "/quan-tri/phan-anh?state=khong-co", tok[saiGonOfficer]); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Trạng thái") {
			t.Errorf("a bad filter: %d", p.status)
		}

		it := f.page(t, pageURL(late.ID), tok[saiGonOfficer])
		if it.status != http.StatusOK {
			t.Fatalf("item page: %d %s", it.status, it.body)
		}
		for _, want := range []string{late.Content, "Phạm Văn Cường", "tel:0911222333", "Quá hạn từ", `value="accepted"`, `value="rejected"`,
			"Thông báo thụ lý", "Lịch sử xử lý", "submit", `action="/quan-tri/phan-anh/` + strconv.FormatInt(late.ID, 10) + `/trang-thai"`} {
			if !strings.Contains(it.body, html.EscapeString(want)) && !strings.Contains(it.body, want) {
				t.Errorf("the item page lacks %q", want)
			}
		}
		// A model text chosen by GET fills its step's text area.
		chosen := f.page(t, pageURL(late.ID)+"?mau=thu_ly", tok[saiGonOfficer])
		if !strings.Contains(chosen.body, "Phản ánh đã được thụ lý") || !strings.Contains(chosen.body, feedback.FormatCode(late.Code)) {
			t.Error("the chosen model text is not in the form")
		}

		for _, c := range []struct {
			target, token string
			status        int
		}{
			{pageURL(other.ID), tok[saiGonOfficer], http.StatusNotFound},
			{pageURL(late.ID), tok[hcmcViewer], http.StatusForbidden},
			{"/quan-tri/phan-anh", tok[hcmcViewer], http.StatusForbidden},
			{pageURL(late.ID), "", http.StatusSeeOther},
			{"/quan-tri/phan-anh", "", http.StatusSeeOther},
		} {
			p := f.page(t, c.target, c.token)
			if p.status != c.status {
				t.Errorf("%s: %d, want %d", c.target, p.status, c.status)
			}
			if strings.Contains(p.body, late.Content) || strings.Contains(p.body, other.Content) {
				t.Errorf("%s refused, yet shows an item's content", c.target)
			}
			if c.status == http.StatusSeeOther && !strings.HasPrefix(p.header.Get("Location"), "/auth/login?next=") {
				t.Errorf("%s: sent to %q", c.target, p.header.Get("Location"))
			}
		}
	})
}

// The item page's forms work: each change is made, the browser is sent
// back to the item (post, redirect, get) with a message; a refused form
// shows the item again with the reason in Vietnamese and what was typed.
func TestOfficerForms(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		it := f.submit(t, feedback.Submission{Content: "Đường Hai Bà Trưng có ổ gà lớn trước trường tiểu học, học sinh đi lại nguy hiểm."})
		twin := f.submit(t, feedback.Submission{Content: "o ga lon tren duong Hai Ba Trung truoc truong tieu hoc, hoc sinh di lai nguy hiem"})
		self := pageURL(it.ID)
		post := func(path string, v url.Values) page { return f.form(t, self+path, tok[saiGonOfficer], v) }
		done := func(p page, ok string) {
			t.Helper()
			if p.status != http.StatusSeeOther || p.header.Get("Location") != self+"?ok="+ok {
				t.Fatalf("%s: %d to %q, %.300s", ok, p.status, p.header.Get("Location"), p.body)
			}
			back := f.page(t, p.header.Get("Location"), tok[saiGonOfficer])
			if !strings.Contains(back.body, `role="status"`) {
				t.Errorf("%s: no message after the redirect", ok)
			}
		}

		// Refused: rejecting without a reason, the reason named; what was
		// typed elsewhere is kept.
		p := post("/trang-thai", url.Values{"to": {"rejected"}, "text": {"  "}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "cần nêu lý do") || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("reject without reason: %d", p.status)
		}
		p = post("/trang-thai", url.Values{"to": {"answered"}, "text": {"Đã xong."}})
		if p.status != http.StatusConflict || !strings.Contains(p.body, "Không chuyển được") {
			t.Errorf("an illegal move: %d", p.status)
		}

		done(post("/trang-thai", url.Values{"to": {"accepted"}, "text": {"Đã giao cán bộ kiểm tra."}}), "trang-thai")
		p = post("/trang-thai", url.Values{"to": {"forwarded"}, "agency": {"khac"}, "agency_other": {""}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "cơ quan") {
			t.Errorf("forward to an unnamed other agency: %d", p.status)
		}
		done(post("/trang-thai", url.Values{"to": {"forwarded"}, "agency": {"khac"}, "agency_other": {"Khu Quản lý giao thông đô thị số 1"}}), "trang-thai")
		got, _ := f.store.Item(context.Background(), it.ID)
		if got.State != feedback.Forwarded || got.Agency != "Khác: Khu Quản lý giao thông đô thị số 1" {
			t.Errorf("forwarded to %q, %s", got.Agency, got.State)
		}
		done(post("/trang-thai", url.Values{"to": {"answered"}, "text": {"Khu Quản lý giao thông đô thị đã vá ổ gà ngày 10/3."}}), "trang-thai")
		if p := f.page(t, self, tok[saiGonOfficer]); !strings.Contains(p.body, `href="`+self+`/cong-bo"`) {
			t.Error("an answered item's page does not lead to its publication")
		}
		done(post("/trang-thai", url.Values{"to": {"closed"}, "outcome": {"resolved"}}), "trang-thai")
		done(post("/trang-thai", url.Values{"to": {"in_progress"}, "text": {"Người dân báo ổ gà xuất hiện lại."}}), "trang-thai")
		done(post("/ghi-chu", url.Values{"text": {"Gọi lại cho người dân sau khi kiểm tra."}}), "ghi-chu")
		done(post("/linh-vuc", url.Values{"topic": {"giao_thong"}}), "linh-vuc")
		done(post("/trung-lap", url.Values{"ma": {strings.ToLower(feedback.FormatCode(twin.Code))}}), "trung-lap")
		got, _ = f.store.Item(context.Background(), it.ID)
		if got.State != feedback.InProgress || got.Topic != "giao_thong" || got.TopicSource != feedback.TopicOfficer || got.DuplicateOf == nil || *got.DuplicateOf != twin.ID {
			t.Errorf("after the forms: %+v", got)
		}
		done(post("/trung-lap", url.Values{"bo": {"1"}}), "trung-lap")
		p = post("/trung-lap", url.Values{"ma": {"ABCDE-FGHJK"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Không có phản ánh nào mã") {
			t.Errorf("a duplicate of an unknown code: %d", p.status)
		}
		p = post("/don-vi", url.Values{"unit": {"79/MTTQ"}, "reason": {"Vượt thẩm quyền của phường"}})
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "ngoài phạm vi") || !strings.Contains(p.body, "Vượt thẩm quyền của phường") {
			t.Errorf("a re-route out of reach: %d", p.status)
		}
		// The province's officer, whose reach covers both communes, sends
		// it to the other one.
		p = f.form(t, self+"/don-vi", tok[hcmcOfficer], url.Values{"unit": {"26743/MTTQ"}, "reason": {"Đoạn đường thuộc phường Bến Thành"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != self+"?ok=don-vi" {
			t.Errorf("re-route: %d to %q", p.status, p.header.Get("Location"))
		}
		// A commune officer correcting a received item up to the
		// province loses it from sight, and is told.
		up := f.submit(t, feedback.Submission{Content: "Cán bộ phường đòi tiền mới giải quyết hồ sơ.", Topic: "thu_tuc_hanh_chinh"})
		f.svc.SetClassifier(nil)
		p = f.form(t, pageURL(up.ID)+"/linh-vuc", tok[saiGonOfficer], url.Values{"topic": {"tham_nhung_tieu_cuc"}})
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/quan-tri/phan-anh?chuyen=") {
			t.Errorf("correction up: %d to %q", p.status, loc)
		}
		evs := f.events(t, it.ID)
		actions := []string{}
		for _, e := range evs {
			actions = append(actions, e.Action)
		}
		if want := "submit move move move move move note topic duplicate duplicate reroute"; strings.Join(actions, " ") != want {
			t.Errorf("history %v, want %s", actions, want)
		}
	})
}

// With a browser session (signed on through a real Dex) a form must carry
// the session's CSRF token: without it the change is refused and nothing
// happens; with the token the page printed, it is made.
func TestOfficerFormsCSRF(t *testing.T) {
	f := newOffice(t, storetest.SQLite(t), officeOptions{dex: true})
	if _, err := f.auth.Store().Grant(t.Context(), saiGonOfficer, auth.Officer, "26734/MTTQ", "test"); err != nil {
		t.Fatal(err)
	}
	it := f.submit(t, feedback.Submission{Content: "Bãi giữ xe tự phát chiếm hết vỉa hè trước bệnh viện."})
	b := newBrowser(t)
	b.signIn(f, saiGonOfficer, "mat-khau-1")
	p := b.get(f.srv.URL + pageURL(it.ID))
	if p.status != http.StatusOK || !strings.Contains(p.body, it.Content) {
		t.Fatalf("item page in the session: %d %.300s", p.status, p.body)
	}
	m := regexp.MustCompile(`name="` + auth.CSRFFieldName + `" value="([^"]+)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("the page's forms carry no CSRF token")
	}
	target := f.srv.URL + pageURL(it.ID) + "/trang-thai"
	if p := b.post(target, url.Values{"to": {"accepted"}}); p.status != http.StatusForbidden {
		t.Errorf("without the token: %d", p.status)
	}
	if p := b.post(target, url.Values{"to": {"accepted"}, auth.CSRFFieldName: {"sai"}}); p.status != http.StatusForbidden {
		t.Errorf("with a wrong token: %d", p.status)
	}
	if got, _ := f.store.Item(context.Background(), it.ID); got.State != feedback.Received {
		t.Fatalf("a refused form changed the item: %s", got.State)
	}
	if p := b.post(target, url.Values{"to": {"accepted"}, auth.CSRFFieldName: {html.UnescapeString(m[1])}}); p.status != http.StatusSeeOther {
		t.Errorf("with the token: %d %.300s", p.status, p.body)
	}
	got, _ := f.store.Item(context.Background(), it.ID)
	if got.State != feedback.Accepted {
		t.Errorf("the form with its token did not accept the item: %s", got.State)
	}
	if ev := f.lastEvent(t, it.ID); ev.Actor != saiGonOfficer {
		t.Errorf("history names %q", ev.Actor)
	}
}

// webClient is a client with cookies that follows redirects itself.
type webClient struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *webClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &webClient{t: t, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *webClient) do(req *http.Request) (page, *url.URL) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(body)}, req.URL
}

// follow sends req and follows redirects to the page they end at.
func (b *webClient) follow(req *http.Request) (page, *url.URL) {
	b.t.Helper()
	p, u := b.do(req)
	for range 20 {
		if p.status < 300 || p.status > 399 {
			return p, u
		}
		next, err := u.Parse(p.header.Get("Location"))
		if err != nil {
			b.t.Fatal(err)
		}
		r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, next.String(), nil)
		p, u = b.do(r)
	}
	b.t.Fatal("too many redirects")
	return p, u
}

func (b *webClient) get(target string) page {
	b.t.Helper()
	r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, target, nil)
	p, _ := b.do(r)
	return p
}

func (b *webClient) post(target string, v url.Values) page {
	b.t.Helper()
	r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodPost, target, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p, _ := b.do(r)
	return p
}

var dexForm = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// signIn signs on through Dex's own login form, back to the site.
func (b *webClient) signIn(f *office, email, password string) {
	b.t.Helper()
	r, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, f.srv.URL+"/auth/login?next=/quan-tri/phan-anh", nil)
	login, at := b.follow(r)
	m := dexForm.FindStringSubmatch(login.body)
	if login.status != http.StatusOK || m == nil {
		b.t.Fatalf("no Dex login form at %s: %d %.300s", at, login.status, login.body)
	}
	action, err := at.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	form := url.Values{"login": {email}, "password": {password}}
	r, _ = http.NewRequestWithContext(b.t.Context(), http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p, u := b.follow(r)
	if p.status != http.StatusOK || u.Path != "/quan-tri/phan-anh" {
		b.t.Fatalf("sign-on ended at %s with %d: %.300s", u, p.status, p.body)
	}
}
