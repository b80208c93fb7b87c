package web

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mattranso/mattranso/api"
)

// HeaderRequestID carries the request id, both ways: a valid incoming id
// (from a proxy) is kept, otherwise one is made. Web also sets it on the
// request, so a module's handler can read r.Header.Get(HeaderRequestID).
const HeaderRequestID = "X-Request-ID"

// ContentSecurityPolicy allows nothing inline and no other origin.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

type ctxKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Request.Header.Set(HeaderRequestID, id)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), ctxKey{}, id))
		c.Header(HeaderRequestID, id)
		c.Next()
	}
}

// validRequestID accepts short ids made of safe characters, so that an id
// from outside cannot forge log lines or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// requestIDHandler adds the request id to every record logged with a
// request's context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

func (s *site) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status == http.StatusServiceUnavailable:
			level = slog.LevelWarn // not ready yet: expected while loading
		case status >= 500:
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", c.FullPath()),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
		)
	}
}

// wrapMiddleware runs a net/http middleware inside the gin chain: the
// request it passes on (with its context) goes to the next handler, and
// not passing it on ends the chain.
func wrapMiddleware(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		passed := false
		mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
		}
	}
}

func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		c.Next()
	}
}

// recovery turns a panic into a 500 page (JSON under /api) and a logged
// stack, unless the response had already started.
func (s *site) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.ErrorContext(c.Request.Context(), "panic serving request",
				"method", c.Request.Method, "path", c.Request.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			s.fail(c, http.StatusInternalServerError)
			c.Abort()
		}()
		c.Next()
	}
}

func (s *site) limitBody(def int64, limits map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := def
		if l, ok := limits[c.Request.URL.Path]; ok {
			n = l
		}
		if c.Request.ContentLength > n {
			c.Header("Connection", "close")
			e := shellErrors[http.StatusRequestEntityTooLarge]
			s.refuse(c, http.StatusRequestEntityTooLarge, e.code, "body", e.title,
				"Nội dung gửi lên quá lớn: tối đa "+strconv.FormatInt(n>>10, 10)+" KiB.")
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}

// checkText refuses, at the edge and for every route, a path or a
// submitted form field holding invalid UTF-8 or a control character (NUL,
// escape sequences), and a query parameter holding invalid UTF-8 or NUL:
// PostgreSQL refuses such text with an error and SQLite stores it, so no
// handler should ever see it. The refusal is a 400 naming the parameter,
// the same on every database.
func (s *site) checkText() gin.HandlerFunc {
	title := shellErrors[http.StatusBadRequest].title
	return func(c *gin.Context) {
		r := c.Request
		if e := api.CheckText("path", r.URL.Path); e != nil {
			s.refuse(c, http.StatusBadRequest, "invalid_path", "path", title,
				"Địa chỉ trang chứa ký tự không hợp lệ (byte không phải UTF-8 hoặc ký tự điều khiển).")
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.refuse(c, http.StatusBadRequest, "invalid_query", "query", title,
				"Tham số trên địa chỉ trang không đọc được: "+err.Error()+".")
			return
		}
		if e := checkValues(q, api.CheckQuery); e != nil {
			s.refuse(c, e.Status, e.Code, e.Field, title, e.Message)
			return
		}
		if isForm(r) {
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					e := shellErrors[http.StatusRequestEntityTooLarge]
					s.refuse(c, http.StatusRequestEntityTooLarge, e.code, "body", e.title, e.message)
					return
				}
				s.refuse(c, http.StatusBadRequest, "invalid_form", "body", title, "Không đọc được nội dung biểu mẫu gửi lên.")
				return
			}
			if e := checkValues(r.PostForm, api.CheckText); e != nil {
				s.refuse(c, e.Status, e.Code, e.Field, title, e.Message)
				return
			}
		}
		c.Next()
	}
}

// checkValues checks every name and value with check, in a fixed order so
// that the same request is always refused for the same field.
func checkValues(v url.Values, check func(field, s string) *api.Error) *api.Error {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if e := check(k, k); e != nil {
			e.Field = strings.ToValidUTF8(k, "\ufffd")
			return e
		}
		for _, val := range v[k] {
			if e := check(k, val); e != nil {
				return e
			}
		}
	}
	return nil
}

func isForm(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// compress gzips text responses for clients that accept it: a law of 700
// articles is about a megabyte of HTML and a tenth of that compressed.
// Event streams are left alone so that each event reaches the client as
// soon as it is flushed.
func compress() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Writer.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(c.GetHeader("Accept-Encoding")) || c.Request.Method == http.MethodHead {
			c.Next()
			return
		}
		w := &gzipWriter{ResponseWriter: c.Writer}
		c.Writer = w
		defer func() {
			// Also on a panic: recovery then writes through the plain writer.
			w.close()
			c.Writer = w.ResponseWriter
		}()
		c.Next()
	}
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) != "gzip" {
			continue
		}
		return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
	}
	return false
}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// minGzip is the size below which compressing costs more than it saves.
const minGzip = 1024

type gzipWriter struct {
	gin.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func (w *gzipWriter) decide(first []byte) {
	if w.decided {
		return
	}
	w.decided = true
	h := w.Header()
	if h.Get("Content-Encoding") != "" {
		return
	}
	status := w.Status()
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified || status == http.StatusPartialContent {
		return
	}
	if !compressible(h.Get("Content-Type")) {
		return
	}
	if cl, err := strconv.Atoi(h.Get("Content-Length")); err == nil && cl < minGzip {
		return
	}
	if h.Get("Content-Length") == "" && len(first) < 256 {
		// A short first write usually is the whole body.
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	w.gz = gzipPool.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
}

func compressible(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	switch strings.TrimSpace(ct) {
	case "text/html", "text/plain", "text/css", "application/json", "text/javascript",
		"application/javascript", "image/svg+xml":
		return true
	}
	return false
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", http.DetectContentType(b))
	}
	w.decide(b)
	if w.gz == nil {
		return w.ResponseWriter.Write(b)
	}
	return w.gz.Write(b)
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *gzipWriter) WriteHeaderNow() {
	w.decide(nil)
	w.ResponseWriter.WriteHeaderNow()
}

func (w *gzipWriter) Flush() {
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	w.ResponseWriter.Flush()
}

// Unwrap lets http.ResponseController reach the connection: an event
// stream lifts the server's read and write deadlines through it.
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *gzipWriter) close() {
	if w.gz == nil {
		return
	}
	_ = w.gz.Close()
	w.gz.Reset(nil)
	gzipPool.Put(w.gz)
	w.gz = nil
}
