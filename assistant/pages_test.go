package assistant_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestChatWithoutScript posts the question form as a browser without
// script would (with a bearer token standing in for the session, which
// needs no CSRF token): the answer is stored and the page shows it.
func TestChatWithoutScript(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), siteOptions{})
	tok := s.token("thu@mattranso.test", auth.Staff)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	get := func(path string) (int, string) {
		t.Helper()
		res := s.call("GET", path, tok, nil, nil)
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res.StatusCode, b.String()
	}

	// Nobody signed in: without a provider configured auth explains the
	// setup instead of the chat.
	if res := s.call("GET", "/tro-ly", "", nil, nil); res.StatusCode == http.StatusOK {
		t.Errorf("anonymous /tro-ly answered 200")
	}
	res := post("/tro-ly", url.Values{"question": {adultQuestion}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tro-ly?c=") || !strings.Contains(loc, "#tra-loi-") {
		t.Fatalf("form post: %d to %q", res.StatusCode, loc)
	}
	status, page := get(strings.Split(loc, "#")[0])
	for _, want := range []string{adultQuestion, `class="qa-cite" href="/van-ban/`, "Điều 20", `action="/tro-ly/tra-loi/`} {
		if status != 200 || !strings.Contains(page, want) {
			t.Errorf("the conversation page (%d) lacks %q", status, want)
		}
	}

	res = post("/tro-ly", url.Values{"question": {"   "}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("empty question by form: %d", res.StatusCode)
	}
	answer := strings.TrimPrefix(loc[strings.Index(loc, "#"):], "#tra-loi-")
	conv := strings.TrimPrefix(strings.Split(loc, "#")[0], "/tro-ly?c=")
	res = post("/tro-ly/tra-loi/"+answer+"/danh-gia", url.Values{"rating": {"down"}, "comment": {"Thiếu điểm a."}, "conversation_id": {conv}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("rating by form: %d", res.StatusCode)
	}
	if rated, _ := s.convs.Rated(t.Context(), 10); len(rated) != 1 || rated[0].Comment != "Thiếu điểm a." {
		t.Errorf("rating by form stored as %+v", rated)
	}
	res = post("/tro-ly/"+conv+"/xoa", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tro-ly" {
		t.Errorf("delete by form: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if status, _ := get("/tro-ly?c=" + conv); status != http.StatusNotFound {
		t.Errorf("a deleted conversation's page: %d", status)
	}
}
