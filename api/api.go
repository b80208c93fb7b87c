// Package api owns the contract of the JSON API under /api: the error
// envelope {"error":{"code","message","field"}} every refusal is written
// in, how answers are written, and how request bodies and parameters are
// read — strictly, with limits, and with refusals that name the field in
// the product's words. Every module's handlers answer through it, so the
// contract has one definition.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// MaxBody is the largest JSON body Decode reads unless told otherwise.
const MaxBody = 1 << 20

// Error is a refusal as the API answers it. Status is the HTTP status it
// is answered with; Code is stable, for programs; Message is for people,
// in Vietnamese; Field names the parameter or body field that was wrong.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + " (" + e.Field + "): " + e.Message
	}
	return e.Code + ": " + e.Message
}

// Envelope is the JSON body of every error: {"error":{…}}.
type Envelope struct {
	Error *Error `json:"error"`
}

// BadRequest is a 400 refusal of field.
func BadRequest(code, field, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Field: field, Message: message}
}

// IsAPIPath reports whether path is under /api, where errors are answered
// as JSON rather than as pages.
func IsAPIPath(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

// buffers keeps the buffers answers are encoded in: a search's answer is a
// few kilobytes, grown to in several steps when the buffer is new.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled is the largest buffer kept for the next answer: a rare large
// one (a whole document) is left to the collector.
const maxPooled = 64 << 10

// encodeFailed is answered when v cannot be encoded: a programming error,
// never the client's.
const encodeFailed = `{"error":{"code":"internal","message":"Không mã hoá được kết quả."}}` + "\n"

// WriteJSON answers v as JSON with status. HTML-significant characters
// are not escaped (answers quote law text). Answers are not cached unless
// the handler set Cache-Control itself; those that carry personal data set
// "no-store".
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooled {
			buffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Default().Error("api: encode answer", "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(encodeFailed)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// WriteError answers a refusal in the envelope.
func WriteError(w http.ResponseWriter, status int, code, field, message string) {
	WriteJSON(w, status, Envelope{&Error{Status: status, Code: code, Message: message, Field: field}})
}

// Internal is the message of every 500: the client learns nothing of the
// cause, which is logged.
const Internal = "Hệ thống gặp sự cố khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."

// Fail answers err: an *Error (or one wrapped) with its own status, code
// and field; anything else is logged with the request and answered 500
// without detail. A request whose client has gone is not answered.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	if errors.As(err, &e) {
		status := e.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		WriteError(w, status, e.Code, e.Field, e.Message)
		return
	}
	if r.Context().Err() != nil {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	WriteError(w, http.StatusInternalServerError, "internal", "", Internal)
}
