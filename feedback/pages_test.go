package feedback_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/store/storetest"
)

// The form works without JavaScript: the pickers by GET, the submission
// by a multipart POST that sends the browser to the status page; a
// refusal shows the form again with what was typed and why.
func TestFormPages(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{})
	page := func(target string) string {
		t.Helper()
		a := e.do(t, http.MethodGet, target, "", nil)
		if a.status != http.StatusOK {
			t.Fatalf("%s: %d %.300s", target, a.status, a.body)
		}
		if cc := a.header.Get("Cache-Control"); strings.HasPrefix(target, "/phan-anh/gui") && cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", target, cc)
		}
		return string(a.body)
	}
	body := page("/phan-anh/gui")
	for _, want := range []string{`enctype="multipart/form-data"`, `name="content"`, `Thành phố Hồ Chí Minh`, `name="photos"`,
		`value="province"`, `Tham nhũng`, `/phan-anh/tep/gui.js`, `name="idempotency_key"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if body := page("/phan-anh/gui?tinh=79"); !strings.Contains(body, `<option value="26743">Phường Bến Thành</option>`) || strings.Contains(body, "Ba Đình") {
		t.Error("choosing a province does not list its communes")
	}
	if body := page("/phan-anh/gui?tim=" + url.QueryEscape("ben thanh")); !strings.Contains(body, `<option value="26743">Phường Bến Thành</option>`) {
		t.Error("a search without diacritics does not find the commune")
	}
	if body := page("/phan-anh/gui?xa=26734"); !strings.Contains(body, `<option value="26734-001">`) || strings.Contains(body, `26734-002`) {
		t.Error("choosing a commune does not list its active villages")
	}
	for _, f := range []string{"gui.js", "phan-anh.css"} {
		if a := e.do(t, http.MethodGet, "/phan-anh/tep/"+f, "", nil); a.status != http.StatusOK || len(a.body) < 100 {
			t.Errorf("%s: %d", f, a.status)
		}
	}
	if a := e.do(t, http.MethodGet, "/phan-anh/tep/khong-co.js", "", nil); a.status != http.StatusNotFound {
		t.Errorf("a missing asset: %d", a.status)
	}

	fields := []part{{name: "idempotency_key", value: "form-key-1"}, {name: "content", value: "Cống thoát nước bị tắc, nước thải tràn ra đường."},
		{name: "commune_code", value: "26734"}, {name: "village_code", value: "26734-001"}, {name: "level", value: "commune"},
		{name: "lat", value: ""}, {name: "lon", value: ""}, {name: "topic", value: ""}, {name: "name", value: "Trần Thị Bình"},
		{name: "phone", value: ""}, {name: "email", value: ""}, {name: "address", value: ""}, {name: "photos", file: "", data: []byte{}}}
	ct, b := multipartBody(t, fields)
	a := e.do(t, http.MethodPost, "/phan-anh/gui", ct, b)
	loc := a.header.Get("Location")
	if a.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/phan-anh/") || !strings.HasSuffix(loc, "?moi=1") {
		t.Fatalf("form submit: %d %q %.300s", a.status, loc, a.body)
	}
	status := page(loc)
	if !strings.Contains(status, "Đã ghi nhận phản ánh của bạn") || strings.Contains(status, "Trần Thị Bình") {
		t.Error("the status page after submitting")
	}
	// A second tap sends the same form again: the same item.
	again := e.do(t, http.MethodPost, "/phan-anh/gui", ct, b)
	if again.header.Get("Location") != loc {
		t.Errorf("the form sent twice went to %q, then %q", loc, again.header.Get("Location"))
	}
	if c := e.counts(t); c["feedback_items"] != 1 {
		t.Errorf("%d items after the form was sent twice", c["feedback_items"])
	}

	bad := append([]part{}, fields...)
	bad[0].value = "form-key-2"
	bad[1].value = ""
	bad[8].value = "Lê Văn Cường"
	ct, b = multipartBody(t, bad)
	a = e.do(t, http.MethodPost, "/phan-anh/gui", ct, b)
	if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "Cần nhập nội dung") ||
		!strings.Contains(string(a.body), `value="Lê Văn Cường"`) || !strings.Contains(string(a.body), `pa-field--error`) {
		t.Errorf("a refused form: %d %.500s", a.status, a.body)
	}
	if a := e.do(t, http.MethodPost, "/phan-anh/gui", "application/x-www-form-urlencoded", []byte("content=x")); a.status != http.StatusUnsupportedMediaType {
		t.Errorf("an urlencoded form: %d", a.status)
	}
	if c := e.counts(t); c["feedback_items"] != 1 {
		t.Errorf("refused forms stored items: %d", c["feedback_items"])
	}

	// A signed-in user's form carries a CSRF token, and the check of it
	// reads the whole form before the handler does.
	h := e.h
	e.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("csrf_token") != "t0k3n" {
			t.Error("the form did not carry its CSRF token")
		}
		h.ServeHTTP(w, r)
	})
	signed := append([]part{{name: "csrf_token", value: "t0k3n"}}, fields...)
	signed[1].value = "form-key-3"
	ct, b = multipartBody(t, signed)
	if a := e.do(t, http.MethodPost, "/phan-anh/gui", ct, b); a.status != http.StatusSeeOther {
		t.Errorf("a signed-in user's form: %d %.300s", a.status, a.body)
	}
	signed = append(signed, part{name: "ho_ten", value: "x"})
	signed[1].value = "form-key-4"
	ct, b = multipartBody(t, signed)
	if a := e.do(t, http.MethodPost, "/phan-anh/gui", ct, b); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "ho_ten") {
		t.Errorf("a signed-in user's form with an unknown field: %d", a.status)
	}
	if c := e.counts(t); c["feedback_items"] != 2 {
		t.Errorf("%d items, want 2", c["feedback_items"])
	}
}
