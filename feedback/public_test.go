package feedback_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/redact"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// statusError is a refusal as auth returns it: its HTTPStatus says 401
// or 403.
type statusError int

func (e statusError) Error() string   { return "refused " + strconv.Itoa(int(e)) }
func (e statusError) HTTPStatus() int { return int(e) }

// headerAuthorizer is a stand-in for auth.Check (the site-wide test in
// cmd/mattranso/internal/server uses auth itself): the officer of the unit
// named in the request's X-Test-Unit header may handle that unit's items;
// without the header nobody is signed in.
type headerAuthorizer struct{}

func (headerAuthorizer) Authorize(r *http.Request, action, unit string) error {
	u := r.Header.Get("X-Test-Unit")
	switch {
	case u == "":
		return statusError(http.StatusUnauthorized)
	case u != unit || action != "feedback.handle":
		return statusError(http.StatusForbidden)
	}
	return nil
}

// auditLog records what publication audits.
type auditLog struct {
	mu      sync.Mutex
	entries []string
}

func (a *auditLog) Audit(r *http.Request, action, unit, target string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, action+" "+unit+" "+target)
}

func (a *auditLog) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.entries...)
}

func rendererFor(t *testing.T) *web.Renderer {
	t.Helper()
	pages, err := web.NewRenderer(feedback.Templates, feedback.TemplateFuncs)
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// publicEnv is env with publication's routes and home section.
type publicEnv struct {
	*env
	pub   *feedback.Public
	audit *auditLog
}

func newPublicEnv(t *testing.T, db *store.DB) *publicEnv {
	t.Helper()
	e := newEnv(t, db, envOptions{})
	a := &auditLog{}
	pub := feedback.NewPublic(feedback.PublicOptions{Service: e.svc, Authorizer: headerAuthorizer{}, Auditor: a,
		Actor: func(r *http.Request) string { return "can.bo@" + r.Header.Get("X-Test-Unit") }, BaseURL: "https://pakn.example.vn",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	pages := rendererFor(t)
	pub.Register(muxRouter{e.h.(*http.ServeMux)}, pages)
	return &publicEnv{env: e, pub: pub, audit: a}
}

// answerItem takes an item along the table to answered with text, the
// clock moved on by a minute first so that answers are told apart.
func (e *env) answerItem(t *testing.T, id int64, text string) feedback.Item {
	t.Helper()
	ctx := context.Background()
	e.now = e.now.Add(time.Minute)
	it, err := e.store.Item(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var path []feedback.State
	switch it.State {
	case feedback.Received:
		path = []feedback.State{feedback.Accepted, feedback.InProgress, feedback.Answered}
	case feedback.Answered, feedback.Closed:
		path = []feedback.State{feedback.InProgress, feedback.Answered}
	case feedback.InProgress, feedback.Forwarded:
		path = []feedback.State{feedback.Answered}
	}
	for _, to := range path {
		it, err = e.store.Update(ctx, id, feedback.Change{Actor: "can.bo@mttq.vn", Action: "move"},
			func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
				x.State = to
				if to == feedback.Answered {
					x.Answer = text
				}
				return nil
			})
		if err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
	}
	return it
}

func ptr[T any](v T) *T { return &v }

// publish publishes an item as reviewed, keeping its texts.
func (e *env) publish(t *testing.T, id int64, req feedback.PublishRequest) feedback.Publication {
	t.Helper()
	if req.Published == nil {
		req.Published = ptr(true)
	}
	p, err := e.svc.Publish(context.Background(), id, req, feedback.Change{Actor: "can.bo@mttq.vn", IP: "192.0.2.7"})
	if err != nil {
		t.Fatalf("publish item %d: %v", id, err)
	}
	return p
}

func apiErr(t *testing.T, err error) *api.Error {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *api.Error, got %v", err)
	}
	return e
}

// What the submitter of the tests below wrote and left.
const (
	piiContent = "Tôi là Nguyễn Văn Bình, nhà số 45 ngõ 12 Lê Lợi. Xưởng gỗ bên cạnh gây ô nhiễm không khí và tiếng ồn suốt đêm. " +
		"Gọi tôi 0912 345 678 hoặc email binh.nguyen@example.vn, CCCD 079201001234."
	piiAnswer = "Phường đã nhận phản ánh của bà Trần Thị Cúc (0987.654.321) và ông Bình, kiểm tra xưởng gỗ và yêu cầu ngừng chạy máy sau 22 giờ."
)

var piiSecrets = []string{"Nguyễn Văn Bình", "0912 345 678", "binh.nguyen@example.vn", "079201001234", "số 45",
	"Trần Thị Cúc", "0987654321", "cuc.tran@example.vn"}

func piiJSON(extra string) string {
	b, _ := json.Marshal(piiContent)
	return `{"content":` + string(b) + `,"commune_code":"26734","address":"45 ngõ 12 Lê Lợi","lat":10.7769,"lon":106.7009,` +
		`"name":"Trần Thị Cúc","phone":"0987 654 321","email":"cuc.tran@example.vn"` + extra + `}`
}

// piiLeaks are the secrets found in a text, "số 45" by its number.
func piiLeaks(text string) []string {
	var out []string
	for _, l := range redact.Leaks(text, piiSecrets) {
		if l == "số 45" {
			if strings.Contains(text, "45") {
				out = append(out, l)
			}
			continue
		}
		out = append(out, l)
	}
	return out
}

// An item's public text is redacted at intake and its answer whenever it
// is given; nothing is public until an officer publishes an answered
// item; the officer's text may not keep the submitter's contact; a new
// answer takes the item off the public list until it is reviewed again.
// Every publication is in the item's history.
func TestPublication(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPublicEnv(t, db)
		ctx := context.Background()
		it := e.submit(t, piiJSON(`,"topic":"moi_truong"`))
		if it.PublicText == nil {
			t.Fatal("no public text stored at intake")
		}
		if l := piiLeaks(*it.PublicText); len(l) > 0 || !strings.Contains(*it.PublicText, "ô nhiễm không khí") {
			t.Errorf("public text at intake %q: leaks %v", *it.PublicText, l)
		}
		p, err := e.svc.Publication(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, f := range p.Found {
			kinds[f.Kind] = true
			if f.Field != "content" || piiContent[f.Start:f.End] != f.Text {
				t.Errorf("finding %+v", f)
			}
		}
		for _, k := range []string{"name", "phone", "email", "id_number", "house_number"} {
			if !kinds[k] {
				t.Errorf("the review does not point at the %s in the content: %+v", k, p.Found)
			}
		}
		if p.Reviewed || p.Published || p.CanPublish || p.PublicText != *it.PublicText || p.Content != piiContent || p.PublicAnswer != "" {
			t.Errorf("publication before the answer %+v", p)
		}

		// Not answered: not publishable, and nothing is written.
		events := func() []feedback.Event {
			evs, err := e.store.Events(ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		n := len(events())
		_, err = e.svc.Publish(ctx, it.ID, feedback.PublishRequest{Published: ptr(true)}, feedback.Change{Actor: "x"})
		if ae := apiErr(t, err); ae.Status != http.StatusConflict || ae.Code != "not_answered" || ae.Field != "published" {
			t.Errorf("publishing an item not answered: %+v", ae)
		}
		if len(events()) != n {
			t.Error("a refused publication was written to the history")
		}

		it = e.answerItem(t, it.ID, piiAnswer)
		p, err = e.svc.Publication(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l := piiLeaks(p.PublicAnswer); len(l) > 0 || !p.CanPublish || p.Reviewed || !strings.Contains(p.PublicAnswer, "xưởng gỗ") {
			t.Errorf("public answer %q (leaks %v), can publish %v, reviewed %v", p.PublicAnswer, l, p.CanPublish, p.Reviewed)
		}
		// The status of the tracking code shows the public answer.
		var st feedback.PublicStatus
		a := e.do(t, http.MethodGet, "/api/v1/feedback/"+it.Code, "", nil)
		a.json(t, &st)
		if st.Answer != p.PublicAnswer || len(piiLeaks(string(a.body))) > 0 {
			t.Errorf("status answer %q, want %q; leaks %v", st.Answer, p.PublicAnswer, piiLeaks(string(a.body)))
		}
		// Not on the public list before it is published.
		if page, err := e.svc.PublicList(ctx, feedback.PublicQuery{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("public list before publication: %+v, %v", page, err)
		}

		// The submitter's own contact may not be put back.
		for _, c := range []struct {
			req   feedback.PublishRequest
			field string
		}{
			{feedback.PublishRequest{PublicText: ptr(p.PublicText + " Liên hệ 0987.654.321.")}, "public_text"},
			{feedback.PublishRequest{PublicAnswer: ptr("Đã trả lời bà tran thi cuc.")}, "public_answer"},
			{feedback.PublishRequest{PublicText: ptr("Email CUC.TRAN@example.vn")}, "public_text"},
		} {
			_, err := e.svc.Publish(ctx, it.ID, c.req, feedback.Change{Actor: "x"})
			if ae := apiErr(t, err); ae.Code != "contains_contact" || ae.Field != c.field {
				t.Errorf("%+v: %+v", c.req, ae)
			}
		}
		for _, c := range []struct {
			req         feedback.PublishRequest
			code, field string
		}{
			{feedback.PublishRequest{PublicText: ptr("  "), Published: ptr(true)}, "required", "public_text"},
			{feedback.PublishRequest{PublicAnswer: ptr(""), Published: ptr(true)}, "required", "public_answer"},
			{feedback.PublishRequest{PublicText: ptr("a\x1bb")}, "invalid_text", "public_text"},
			{feedback.PublishRequest{PublicText: ptr(strings.Repeat("ô", feedback.MaxPublicText+1))}, "too_long", "public_text"},
			{feedback.PublishRequest{Photos: []feedback.PhotoChoice{{Seq: 1, Public: true}}}, "unknown_photo", "photos[0].seq"},
		} {
			_, err := e.svc.Publish(ctx, it.ID, c.req, feedback.Change{Actor: "x"})
			if ae := apiErr(t, err); ae.Code != c.code || ae.Field != c.field {
				t.Errorf("%s: %+v", c.code, ae)
			}
		}
		if len(events()) != n+3 {
			t.Errorf("refusals were written: %d events, want %d (the moves only)", len(events()), n+3)
		}

		// The officer gives back a street taken by mistake, and publishes.
		edited := strings.Replace(p.PublicText, "ô nhiễm không khí", "ô nhiễm không khí nặng", 1)
		p = e.publish(t, it.ID, feedback.PublishRequest{PublicText: &edited})
		if !p.Published || !p.Reviewed || p.PublicText != edited || p.PublishedAt == nil {
			t.Errorf("published %+v", p)
		}
		evs := events()
		last := evs[len(evs)-1]
		if last.Action != "publish" || !strings.Contains(last.Detail, "công khai") || !strings.Contains(last.Detail, "sửa nội dung công khai") ||
			last.Actor != "can.bo@mttq.vn" || last.IP != "192.0.2.7" || last.To != "" {
			t.Errorf("the history's publish event %+v", last)
		}
		page, err := e.svc.PublicList(ctx, feedback.PublicQuery{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("public list: %+v, %v", page, err)
		}
		pi := page.Items[0]
		if pi.ID != it.ID || pi.Text != edited || pi.Answer != p.PublicAnswer || pi.CommuneName != "Phường Sài Gòn" ||
			pi.ProvinceName != "Thành phố Hồ Chí Minh" || pi.Topic != "moi_truong" || pi.TopicName == "" || pi.Status != feedback.Answered ||
			pi.UnitName == "" || pi.SubmittedOn != "2026-03-02" || pi.URL != feedback.PublicURL(it.ID) {
			t.Errorf("public item %+v", pi)
		}
		b, _ := json.Marshal(page)
		if l := piiLeaks(string(b)); len(l) > 0 || strings.Contains(string(b), "45 ngõ 12") || strings.Contains(string(b), "10.7769") ||
			strings.Contains(string(b), it.Code) {
			t.Errorf("the public list shows %v, the address, position or tracking code: %s", l, b)
		}

		// Closing keeps it public, with the outcome.
		if _, err := e.store.Update(ctx, it.ID, feedback.Change{Actor: "x", Action: "move"}, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
			x.State, x.Outcome = feedback.Closed, feedback.PartlyResolved
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if pi, err := e.svc.PublishedItem(ctx, it.ID); err != nil || pi.Status != feedback.Closed || pi.OutcomeLabel != "Giải quyết một phần" || pi.ClosedAt == nil {
			t.Errorf("closed item %+v, %v", pi, err)
		}
		// Reopened, it leaves the public list; answered again, it stays
		// off until reviewed, with an event saying why.
		e.answerItem(t, it.ID, "Phường đã xử lý xong; xưởng đã chuyển đi.")
		if _, err := e.svc.PublishedItem(ctx, it.ID); !errors.Is(err, feedback.ErrNotFound) {
			t.Errorf("an item answered anew is still public: %v", err)
		}
		p, _ = e.svc.Publication(ctx, it.ID)
		if p.Published || p.Reviewed || p.PublicAnswer != "Phường đã xử lý xong; xưởng đã chuyển đi." || p.PublicText != edited {
			t.Errorf("after a new answer %+v", p)
		}
		found := false
		for _, ev := range events() {
			found = found || ev.Action == "unpublish" && ev.Actor == "system"
		}
		if !found {
			t.Error("no history event says why the item left the public pages")
		}
		p = e.publish(t, it.ID, feedback.PublishRequest{})
		if pi, err := e.svc.PublishedItem(ctx, it.ID); err != nil || pi.Answer != p.PublicAnswer {
			t.Errorf("published again: %+v, %v", pi, err)
		}
		// Unpublished by the officer: gone.
		e.publish(t, it.ID, feedback.PublishRequest{Published: ptr(false)})
		if _, err := e.svc.PublishedItem(ctx, it.ID); !errors.Is(err, feedback.ErrNotFound) {
			t.Errorf("an unpublished item is still public: %v", err)
		}
	})
}

// The public list: newest answers first, page by page, searched without
// diacritics in the text, the answer and the place, filtered by province,
// commune and topic; bad parameters are refused naming them.
func TestPublicList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPublicEnv(t, db)
		ctx := context.Background()
		type seed struct {
			content, commune, topic, answer string
		}
		seeds := []seed{
			{"Bãi rác tự phát gây ô nhiễm môi trường ở chợ.", "26734", "moi_truong", "Đã dọn bãi rác, đặt biển cấm đổ rác."},
			{"Đèn đường hỏng cả tháng, buổi tối rất tối.", "26743", "dien_nuoc_ha_tang", "Điện lực đã thay bóng đèn."},
			{"Nuoc thai tu nha hang chay ra duong gay o nhiem.", "26734", "moi_truong", "Đã xử phạt nhà hàng và yêu cầu khắc phục."},
			{"Học sinh phải đóng nhiều khoản thu ngoài quy định.", "00004", "giao_duc", "Trường đã hoàn trả các khoản thu sai."},
			{"Ổ gà lớn trên đường gây tai nạn.", "26743", "giao_thong", "Đã vá ổ gà ngay trong tuần."},
		}
		ids := make([]int64, len(seeds))
		for i, s := range seeds {
			b, _ := json.Marshal(s.content)
			it := e.submit(t, `{"content":`+string(b)+`,"commune_code":"`+s.commune+`","topic":"`+s.topic+`"}`)
			e.answerItem(t, it.ID, s.answer)
			ids[i] = it.ID
		}
		for _, id := range ids[:4] {
			e.publish(t, id, feedback.PublishRequest{})
		}
		// The last is answered, not published.
		list := func(v url.Values) ([]int64, string) {
			t.Helper()
			q, err := e.svc.CheckPublicQuery(ctx, v)
			if err != nil {
				t.Fatalf("%v: %v", v, err)
			}
			page, err := e.svc.PublicList(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, it := range page.Items {
				out = append(out, it.ID)
			}
			return out, page.Next
		}
		same := func(what string, got []int64, want ...int64) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		all, _ := list(url.Values{})
		same("all, newest answer first", all, ids[3], ids[2], ids[1], ids[0])
		for _, c := range []struct {
			q    string
			want []int64
		}{
			{"o nhiem", []int64{ids[2], ids[0]}},           // without diacritics finds both spellings
			{"ô nhiễm", []int64{ids[2], ids[0]}},           // with them too
			{"Ô NHIỄM MÔI", []int64{ids[0]}},               // every word must be there
			{"bong den", []int64{ids[1]}},                  // the answer is searched
			{"ben thanh", []int64{ids[1]}},                 // and the commune's name
			{"ha noi hoan tra", []int64{ids[3]}},           // the province's name with the answer
			{"o ga", nil},                                  // not published
			{"nhiem o", []int64{ids[2], ids[0]}},           // words in any order
			{"%", []int64{ids[3], ids[2], ids[1], ids[0]}}, // no word to look for: no wildcard either
			{"o_nhiem", []int64{ids[2], ids[0]}},           // punctuation separates words
			{"khong co gi nhu vay", nil},                   // nothing
			{"ho ten", nil},                                // placeholders are not searched
		} {
			got, _ := list(url.Values{"q": {c.q}})
			same("q="+c.q, got, c.want...)
		}
		got, _ := list(url.Values{"province": {"79"}})
		same("province 79", got, ids[2], ids[1], ids[0])
		got, _ = list(url.Values{"province": {"79"}, "commune": {"26734"}})
		same("commune 26734", got, ids[2], ids[0])
		got, _ = list(url.Values{"topic": {"moi_truong"}, "q": {"rac"}})
		same("topic and q", got, ids[0])

		// Page by page.
		var seen []int64
		v := url.Values{"limit": {"1"}}
		for range 10 {
			got, next := list(v)
			seen = append(seen, got...)
			if next == "" {
				break
			}
			v.Set("before", next)
		}
		same("page by page", seen, ids[3], ids[2], ids[1], ids[0])

		for _, c := range []struct {
			param, value, code string
		}{
			{"province", "7", "invalid_code"},
			{"province", "26734", "invalid_code"},
			{"province", "42", "unknown_province"},
			{"commune", "99999", "unknown_commune"},
			{"topic", "khong_co", "unknown_topic"},
			{"before", "abc", "invalid_cursor"},
			{"before", "12-0", "invalid_cursor"},
			{"limit", "0", "invalid_limit"},
			{"limit", "51", "invalid_limit"},
			{"q", strings.Repeat("a", 201), "too_long"},
			{"q", "a\x00b", "invalid_text"},
		} {
			a := e.do(t, http.MethodGet, "/api/v1/feedback/public?"+url.Values{c.param: {c.value}}.Encode(), "", nil)
			if a.status != http.StatusBadRequest || a.err.Code != c.code || a.err.Field != c.param || !strings.Contains(a.err.Message, "(") {
				t.Errorf("%s=%q: %d %s", c.param, c.value, a.status, a.body)
			}
		}
		a := e.do(t, http.MethodGet, "/api/v1/feedback/public?"+url.Values{"province": {"01"}, "commune": {"26734"}}.Encode(), "", nil)
		if a.status != http.StatusBadRequest || a.err.Code != "wrong_province" || a.err.Field != "commune" {
			t.Errorf("a commune outside the province: %d %s", a.status, a.body)
		}

		// The JSON API and the page say the same.
		var page feedback.PublicPage
		a = e.do(t, http.MethodGet, "/api/v1/feedback/public?q=o+nhiem&limit=1", "", nil)
		a.json(t, &page)
		if a.status != http.StatusOK || len(page.Items) != 1 || page.Items[0].ID != ids[2] || page.Next == "" {
			t.Fatalf("API: %d %s", a.status, a.body)
		}
		a = e.do(t, http.MethodGet, "/api/v1/feedback/public?q=o+nhiem&limit=1&before="+page.Next, "", nil)
		a.json(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != ids[0] || page.Next != "" {
			t.Errorf("API second page: %s", a.body)
		}
		html := string(e.do(t, http.MethodGet, "/phan-anh?q=o+nhiem", "", nil).body)
		if !strings.Contains(html, feedback.PublicURL(ids[0])) || !strings.Contains(html, feedback.PublicURL(ids[2])) ||
			strings.Contains(html, feedback.PublicURL(ids[1])) || !strings.Contains(html, `value="o nhiem"`) {
			t.Errorf("the list page's search: %s", html)
		}
		html = string(e.do(t, http.MethodGet, "/phan-anh?province=79", "", nil).body)
		if !strings.Contains(html, `<option value="26743">Phường Bến Thành</option>`) {
			t.Error("choosing a province does not offer its communes")
		}
		bad := e.do(t, http.MethodGet, "/phan-anh?topic=khong_co", "", nil)
		if bad.status != http.StatusBadRequest || !strings.Contains(string(bad.body), "không có trong danh mục") {
			t.Errorf("a bad filter on the page: %d", bad.status)
		}
		item := e.do(t, http.MethodGet, feedback.PublicURL(ids[1]), "", nil)
		if item.status != http.StatusOK || !strings.Contains(string(item.body), "Điện lực đã thay bóng đèn.") ||
			!strings.Contains(string(item.body), "Phường Bến Thành") {
			t.Errorf("item page: %d", item.status)
		}
		for _, target := range []string{feedback.PublicURL(ids[4]), "/phan-anh/tra-loi/999999", "/phan-anh/tra-loi/abc",
			"/api/v1/feedback/public/" + strconv.FormatInt(ids[4], 10), "/api/v1/feedback/public/0"} {
			if a := e.do(t, http.MethodGet, target, "", nil); a.status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", target, a.status)
			}
		}
		var pi feedback.PublicItem
		a = e.do(t, http.MethodGet, "/api/v1/feedback/public/"+strconv.FormatInt(ids[3], 10), "", nil)
		a.json(t, &pi)
		if pi.ID != ids[3] || pi.Province != "01" || pi.Answer != "Trường đã hoàn trả các khoản thu sai." {
			t.Errorf("API item: %s", a.body)
		}
	})
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Entries []struct {
		Title   string `xml:"title"`
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Category struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
		Content string `xml:"content"`
	} `xml:"entry"`
}

// The feed holds the published answers, newest first, with absolute
// links, and the list's filters; the home section the latest of them.
func TestFeedAndHomeSection(t *testing.T) {
	e := newPublicEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	if html, err := e.pub.HomeSection(ctx); err != nil || html != "" {
		t.Errorf("home section with nothing published: %q, %v", html, err)
	}
	var ids []int64
	for i, c := range []string{"26734", "26743", "00004"} {
		it := e.submit(t, fmt.Sprintf(`{"content":"Phản ánh số %d về rác thải.","commune_code":"%s","topic":"moi_truong"}`, i+1, c))
		e.answerItem(t, it.ID, fmt.Sprintf("Trả lời số %d.", i+1))
		e.publish(t, it.ID, feedback.PublishRequest{})
		ids = append(ids, it.ID)
	}
	a := e.do(t, http.MethodGet, "/phan-anh/feed.atom", "", nil)
	var f atomDoc
	if err := xml.Unmarshal(a.body, &f); err != nil || a.status != http.StatusOK ||
		!strings.HasPrefix(a.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s, %v", a.status, a.body, err)
	}
	if len(f.Entries) != 3 || f.Title == "" || f.ID != "https://pakn.example.vn/phan-anh/feed.atom" {
		t.Fatalf("feed %+v", f)
	}
	for i, en := range f.Entries {
		id := ids[len(ids)-1-i]
		u := "https://pakn.example.vn" + feedback.PublicURL(id)
		if en.ID != u || en.Link.Href != u || en.Category.Term != "moi_truong" || !strings.Contains(en.Content, fmt.Sprintf("Trả lời số %d.", len(ids)-i)) {
			t.Errorf("entry %d: %+v", i, en)
		}
		if _, err := time.Parse(time.RFC3339, en.Updated); err != nil {
			t.Errorf("entry %d updated %q", i, en.Updated)
		}
	}
	if f.Updated != f.Entries[0].Updated {
		t.Errorf("feed updated %s, newest entry %s", f.Updated, f.Entries[0].Updated)
	}
	a = e.do(t, http.MethodGet, "/phan-anh/feed.atom?province=79", "", nil)
	f = atomDoc{}
	if err := xml.Unmarshal(a.body, &f); err != nil || len(f.Entries) != 2 {
		t.Errorf("feed of province 79: %d entries, %v", len(f.Entries), err)
	}
	for _, q := range []string{"province=7", "q=rac", "limit=5"} {
		if a := e.do(t, http.MethodGet, "/phan-anh/feed.atom?"+q, "", nil); a.status != http.StatusBadRequest {
			t.Errorf("feed ?%s: %d", q, a.status)
		}
	}

	html, err := e.pub.HomeSection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if !strings.Contains(s, "Phản ánh đã được trả lời") || !strings.Contains(s, `href="/phan-anh"`) {
		t.Errorf("home section %s", s)
	}
	for i, id := range ids {
		if !strings.Contains(s, feedback.PublicURL(id)) || !strings.Contains(s, fmt.Sprintf("Trả lời số %d.", i+1)) {
			t.Errorf("the home section lacks item %d", id)
		}
	}
}

// Photos are public only when the officer marks them so and only while
// their item is published; the officer sees them all.
func TestPublicPhotos(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPublicEnv(t, db)
		ctx := context.Background()
		raw := jpegWithGPS(t)
		ct, body := multipartBody(t, []part{{name: "content", value: "Cây đổ chắn ngang đường."}, {name: "commune_code", value: "26734"},
			{name: "photos", file: "1.jpg", data: raw}, {name: "photos", file: "2.jpg", data: raw}})
		a := e.do(t, http.MethodPost, "/api/v1/feedback", ct, body)
		var rc feedback.Receipt
		a.json(t, &rc)
		it, err := e.store.ItemByCode(ctx, rc.TrackingCode)
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(it.ID, 10)
		photo := func(seq int, thumb bool) string { return feedback.PublicPhotoURL(it.ID, seq, thumb) }
		status := func(target string, header ...string) int {
			t.Helper()
			return e.do(t, http.MethodGet, target, "", nil, header...).status
		}
		// Marked public but not published: nothing shows.
		e.answerItem(t, it.ID, "Đã dọn cây.")
		e.publish(t, it.ID, feedback.PublishRequest{Published: ptr(false), Photos: []feedback.PhotoChoice{{Seq: 1, Public: true}}})
		for _, u := range []string{photo(1, false), photo(1, true), photo(2, false)} {
			if st := status(u); st != http.StatusNotFound {
				t.Errorf("%s of an unpublished item: %d", u, st)
			}
		}
		p := e.publish(t, it.ID, feedback.PublishRequest{})
		if !p.Photos[0].Public || p.Photos[1].Public {
			t.Errorf("photos %+v", p.Photos)
		}
		full := e.do(t, http.MethodGet, photo(1, false), "", nil)
		thumb := e.do(t, http.MethodGet, photo(1, true), "", nil)
		if full.status != http.StatusOK || full.header.Get("Content-Type") != "image/jpeg" || len(full.body) < 1000 ||
			strings.Contains(string(full.body), "GPS") || thumb.status != http.StatusOK || len(thumb.body) >= len(full.body) {
			t.Errorf("public photo: %d %s %d bytes; thumbnail %d, %d bytes", full.status, full.header.Get("Content-Type"), len(full.body),
				thumb.status, len(thumb.body))
		}
		if st := status(photo(1, false), "If-None-Match", full.header.Get("ETag")); st != http.StatusNotModified {
			t.Errorf("revalidation: %d", st)
		}
		for _, u := range []string{photo(2, false), photo(2, true), photo(3, false), "/phan-anh/tra-loi/" + id + "/anh/x"} {
			if st := status(u); st != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", u, st)
			}
		}
		var pi feedback.PublicItem
		e.do(t, http.MethodGet, "/api/v1/feedback/public/"+id, "", nil).json(t, &pi)
		if len(pi.Photos) != 1 || pi.Photos[0].URL != photo(1, false) || pi.Photos[0].ThumbURL != photo(1, true) {
			t.Errorf("public photos listed %+v", pi.Photos)
		}
		// The officer sees the private one too; nobody else does.
		officer := "/quan-tri/phan-anh/" + id + "/cong-bo/anh/2"
		if st := status(officer, "X-Test-Unit", it.Unit); st != http.StatusOK {
			t.Errorf("the officer's thumbnail: %d", st)
		}
		if st := status(officer, "X-Test-Unit", "26743/MTTQ"); st != http.StatusForbidden {
			t.Errorf("another unit's officer: %d", st)
		}
		// Unpublished: the photo goes with the item.
		e.publish(t, it.ID, feedback.PublishRequest{Published: ptr(false)})
		if st := status(photo(1, false)); st != http.StatusNotFound {
			t.Errorf("a photo of an unpublished item: %d", st)
		}
	})
}

// The officer's review page and API: only for who may handle the item's
// unit; the page shows the contact and marks what was found; the form
// and the API save a review, audited.
func TestReviewPageAndAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newPublicEnv(t, db)
		it := e.submit(t, piiJSON(""))
		id := strconv.FormatInt(it.ID, 10)
		page := "/quan-tri/phan-anh/" + id + "/cong-bo"
		apiURL := "/api/v1/feedback/items/" + id + "/publication"
		officer := []string{"X-Test-Unit", it.Unit}

		// Who may not.
		if a := e.do(t, http.MethodGet, page, "", nil); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/auth/login?next=") {
			t.Errorf("anonymous page: %d %s", a.status, a.header.Get("Location"))
		}
		for _, c := range []struct {
			method, target string
			header         []string
			status         int
		}{
			{http.MethodGet, page, []string{"X-Test-Unit", "26743/MTTQ"}, http.StatusForbidden},
			{http.MethodPost, page, nil, http.StatusUnauthorized},
			{http.MethodGet, apiURL, nil, http.StatusUnauthorized},
			{http.MethodGet, apiURL, []string{"X-Test-Unit", "26743/MTTQ"}, http.StatusForbidden},
			{http.MethodPost, apiURL, []string{"X-Test-Unit", "79/MTTQ"}, http.StatusForbidden},
			{http.MethodGet, "/api/v1/feedback/items/999999/publication", officer, http.StatusNotFound},
			{http.MethodGet, "/quan-tri/phan-anh/abc/cong-bo", officer, http.StatusNotFound},
		} {
			a := e.do(t, c.method, c.target, "application/json", []byte(`{"published":true}`), c.header...)
			if a.status != c.status {
				t.Errorf("%s %s %v: %d, want %d", c.method, c.target, c.header, a.status, c.status)
			}
			if strings.Contains(string(a.body), "Trần Thị Cúc") || strings.Contains(string(a.body), "Nguyễn Văn Bình") {
				t.Errorf("%s %s refused, yet shows personal data", c.method, c.target)
			}
		}

		// The officer's page: the contact, the marks.
		a := e.do(t, http.MethodGet, page, "", nil, officer...)
		body := string(a.body)
		for _, want := range []string{"Trần Thị Cúc", "0987654321", "cuc.tran@example.vn", `<mark class="pa-mark" title="số điện thoại">0912 345 678`,
			`<mark class="pa-mark" title="email">binh.nguyen@example.vn`, `title="đã ẩn">[số điện thoại]<span`, `name="public_text"`,
			`name="published" value="1" disabled`} {
			if !strings.Contains(body, want) {
				t.Errorf("the review page lacks %s", want)
			}
		}
		if a.status != http.StatusOK || a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("review page: %d, Cache-Control %q", a.status, a.header.Get("Cache-Control"))
		}

		// The form cannot publish what is not answered; it shows why,
		// with what was typed.
		form := url.Values{"public_text": {"Xưởng gỗ gây ồn (đã sửa)."}, "public_answer": {""}, "published": {"1"}, "csrf_token": {"x"}}
		a = e.do(t, http.MethodPost, page, "application/x-www-form-urlencoded", []byte(form.Encode()), officer...)
		if a.status != http.StatusConflict || !strings.Contains(string(a.body), "Chỉ công khai được phản ánh đã trả lời") ||
			!strings.Contains(string(a.body), "Xưởng gỗ gây ồn (đã sửa).") {
			t.Errorf("form publishing too early: %d", a.status)
		}
		e.answerItem(t, it.ID, piiAnswer)
		pub, _ := e.svc.Publication(context.Background(), it.ID)
		form.Set("public_answer", pub.PublicAnswer)
		a = e.do(t, http.MethodPost, page, "application/x-www-form-urlencoded", []byte(form.Encode()), officer...)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?da-luu=1" {
			t.Fatalf("form: %d %s", a.status, a.body)
		}
		if pi, err := e.svc.PublishedItem(context.Background(), it.ID); err != nil || pi.Text != "Xưởng gỗ gây ồn (đã sửa)." {
			t.Errorf("published by the form: %+v, %v", pi, err)
		}
		evs, _ := e.store.Events(context.Background(), it.ID)
		if last := evs[len(evs)-1]; last.Action != "publish" || last.Actor != "can.bo@"+it.Unit {
			t.Errorf("the form's event %+v", last)
		}
		if got := e.audit.list(); len(got) != 1 || got[0] != "feedback.publish "+it.Unit+" "+feedback.FormatCode(it.Code) {
			t.Errorf("audit %v", got)
		}

		// The API: read, then unpublish.
		var p feedback.Publication
		a = e.do(t, http.MethodGet, apiURL, "", nil, officer...)
		a.json(t, &p)
		if a.status != http.StatusOK || !p.Published || !p.Reviewed || p.Content != piiContent || a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("API publication: %d %s", a.status, a.body)
		}
		a = e.do(t, http.MethodPost, apiURL, "application/json", []byte(`{"published":false}`), officer...)
		a.json(t, &p)
		if a.status != http.StatusOK || p.Published {
			t.Errorf("API unpublish: %d %s", a.status, a.body)
		}
		for _, c := range []struct{ body, code, field string }{
			{`{"published":"ja"}`, "invalid_type", "published"},
			{`{"photos":[{"seq":1,"public":true},{"seq":1,"public":false}]}`, "duplicate_photo", "photos[1].seq"},
			{`{"public_text":"Gọi 0987654321"}`, "contains_contact", "public_text"},
			{`{"khac":1}`, "unknown_field", "khac"},
		} {
			a := e.do(t, http.MethodPost, apiURL, "application/json", []byte(c.body), officer...)
			if a.status != http.StatusBadRequest || a.err.Code != c.code || a.err.Field != c.field {
				t.Errorf("%s: %d %s", c.body, a.status, a.body)
			}
		}
		if got := e.audit.list(); len(got) != 2 {
			t.Errorf("audit after the API: %v", got)
		}
	})
}
