package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/api"
)

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type request struct {
	Question string    `json:"question"`
	Limit    int       `json:"limit,omitempty"`
	Messages []message `json:"messages,omitempty"`
	internal string
}

func decode(t *testing.T, ct, body string, limit int64) (request, *api.Error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/x", strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	var v request
	e := api.DecodeLimit(httptest.NewRecorder(), r, &v, limit)
	return v, e
}

func TestDecodeAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		want           request
	}{
		{"plain", "application/json", `{"question":"Hòa Bình"}`, request{Question: "Hòa Bình"}},
		{"no content type", "", `{"question":"a"}`, request{Question: "a"}},
		{"charset", "application/json; charset=UTF-8", `{"question":"a"}`, request{Question: "a"}},
		{"line breaks and tabs", "application/json", `{"question":"a\n\tb\r\n"}`, request{Question: "a\n\tb\r\n"}},
		{"escaped unicode", "application/json", `{"question":"H\u00f2a"}`, request{Question: "Hòa"}},
		{"replacement char typed", "application/json", `{"question":"a\ufffd"}`, request{Question: "a\ufffd"}},
		{"nested", "application/json", `{"messages":[{"role":"user","content":"x"}]}`,
			request{Messages: []message{{"user", "x"}}}},
		{"trailing space", "application/json", "{\"question\":\"a\"}\n  ", request{Question: "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, e := decode(t, tc.ct, tc.body, api.MaxBody)
			if e != nil {
				t.Fatalf("refused: %v", e)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		status         int
		code, field    string
		says           string
	}{
		{"wrong content type", "application/jsonx", `{}`, 415, "unsupported_media_type", "Content-Type", "application/json"},
		{"form", "application/x-www-form-urlencoded", `question=a`, 415, "unsupported_media_type", "Content-Type", "JSON"},
		{"other charset", "application/json; charset=latin1", `{}`, 415, "unsupported_media_type", "Content-Type", "JSON"},
		{"empty", "application/json", ``, 400, "invalid_json", "body", "trống"},
		{"blank", "application/json", "  \n", 400, "invalid_json", "body", "trống"},
		{"unknown field", "application/json", `{"question":"a","qustion":"b"}`, 400, "unknown_field", "qustion", "question"},
		{"trailing garbage", "application/json", `{"question":"a"} x`, 400, "invalid_json", "body", "thừa"},
		{"two objects", "application/json", `{"question":"a"}{"question":"b"}`, 400, "invalid_json", "body", "một đối tượng"},
		{"syntax", "application/json", `{"question":}`, 400, "invalid_json", "body", "byte thứ"},
		{"cut short", "application/json", `{"question":"a"`, 400, "invalid_json", "body", "cắt ngang"},
		{"wrong type", "application/json", `{"question":3}`, 400, "invalid_type", "question", "một chuỗi"},
		{"wrong nested type", "application/json", `{"messages":[{"role":1}]}`, 400, "invalid_type", "messages.role", "một chuỗi"},
		{"array body", "application/json", `[1]`, 400, "invalid_json", "body", "đối tượng"},
		{"escaped NUL", "application/json", `{"question":"a\u0000b"}`, 400, "invalid_text", "question", "U+0000"},
		{"escape sequence", "application/json", `{"question":"\u001b[31mred"}`, 400, "invalid_text", "question", "U+001B"},
		{"C1 control", "application/json", `{"question":"a\u0085"}`, 400, "invalid_text", "question", "U+0085"},
		{"NUL in nested", "application/json", `{"messages":[{"role":"u","content":"x"},{"role":"u","content":"\u0000"}]}`,
			400, "invalid_text", "messages[1].content", "U+0000"},
		{"invalid UTF-8", "application/json", "{\"question\":\"a\xff\xfeb\"}", 400, "invalid_text", "question", "UTF-8"},
		{"invalid UTF-8 in key", "application/json", "{\"q\xffx\":\"a\"}", 400, "invalid_text", "q\ufffdx", "UTF-8"},
		{"lone surrogate", "application/json", `{"question":"a\ud800b"}`, 400, "invalid_text", "question", "UTF-8"},
		{"too large", "application/json", `{"question":"` + strings.Repeat("a", 2000) + `"}`, 413, "body_too_large", "body", "1 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e := decode(t, tc.ct, tc.body, 1024)
			if e == nil {
				t.Fatal("accepted")
			}
			if e.Status != tc.status || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %d %s field %q (%s), want %d %s field %q", e.Status, e.Code, e.Field, e.Message, tc.status, tc.code, tc.field)
			}
			if !strings.Contains(e.Message, tc.says) {
				t.Fatalf("message %q does not say %q", e.Message, tc.says)
			}
			if strings.Contains(e.Message, "struct") || strings.Contains(e.Message, "json:") {
				t.Fatalf("message %q speaks of Go", e.Message)
			}
		})
	}
}

func TestWriteErrorEnvelope(t *testing.T) {
	w := httptest.NewRecorder()
	api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "q", "Hãy nhập từ khoá <b>.")
	if w.Code != 400 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"code": "invalid_parameter", "message": "Hãy nhập từ khoá <b>.", "field": "q"}
	if fmt.Sprint(got["error"]) != fmt.Sprint(want) || len(got) != 1 {
		t.Fatalf("got %s", w.Body)
	}
	if strings.Contains(w.Body.String(), `\u003c`) {
		t.Fatalf("HTML escaped: %s", w.Body)
	}
}

func TestWriteJSONKeepsCacheControl(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, map[string]int{"a": 1})
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control %q", got)
	}
	w = httptest.NewRecorder()
	api.WriteJSON(w, http.StatusOK, map[string]int{"a": 1})
	if got := w.Header().Get("Cache-Control"); got != "no-cache" {
		t.Fatalf("default Cache-Control %q", got)
	}
	w = httptest.NewRecorder()
	api.WriteJSON(w, http.StatusOK, func() {})
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"internal"`) {
		t.Fatalf("unencodable answer: %d %s", w.Code, w.Body)
	}
}

func TestFail(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/x", nil)
	w := httptest.NewRecorder()
	api.Fail(w, r, nil, fmt.Errorf("wrapped: %w", &api.Error{Status: 404, Code: "not_found", Message: "Không có."}))
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"not_found"`) {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	api.Fail(w, r, nil, errors.New("pq: secret detail"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}

func TestIsAPIPath(t *testing.T) {
	for p, want := range map[string]bool{"/api": true, "/api/v1/x": true, "/apix": false, "/v1/chat/completions": true, "/v1x": false, "/": false, "/van-ban/api": false} {
		if api.IsAPIPath(p) != want {
			t.Errorf("IsAPIPath(%q) = %v", p, !want)
		}
	}
}

func TestCheckQuery(t *testing.T) {
	for _, s := range []string{"Hòa Bình", "\bĐâu không phải là nghĩa vụ", "a\x1bb"} {
		if e := api.CheckQuery("q", s); e != nil {
			t.Errorf("CheckQuery(%q) = %v", s, e)
		}
	}
	for _, s := range []string{"a\x00b", "\xff\xfe"} {
		if e := api.CheckQuery("q", s); e == nil || e.Field != "q" {
			t.Errorf("CheckQuery(%q) = %v", s, e)
		}
	}
}

func TestCheckText(t *testing.T) {
	if e := api.CheckText("q", "Hòa Bình\tx\n"); e != nil {
		t.Fatal(e)
	}
	for _, s := range []string{"a\x00b", "\xff\xfe", "\x1b[2J", "a\u009bb"} {
		e := api.CheckText("q", s)
		if e == nil || e.Field != "q" || e.Status != 400 {
			t.Fatalf("CheckText(%q) = %v", s, e)
		}
	}
}
