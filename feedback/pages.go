package feedback

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/topic"
)

// Templates are the public pages, for a Pages implementation to parse with
// the layout: "gui" (the submission form), "trang_thai" (an item's
// status) and "khong_thay" (no item with that code).
var Templates fs.FS = func() fs.FS {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	return sub
}()

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// TemplateFuncs are the functions the templates use.
var TemplateFuncs = template.FuncMap{
	"vnDate": func(t time.Time) string { return t.In(Vietnam).Format("02/01/2006") },
	"vnTime": func(t time.Time) string { return t.In(Vietnam).Format("15:04 02/01/2006") },
	"isoTime": func(t time.Time) string {
		return t.In(Vietnam).Format(time.RFC3339)
	},
	"statusURL": func(code string) string { return "/phan-anh/" + url.PathEscape(code) },
}

// places is the part of the unit tree the form's pickers read; *org.Store
// has it.
type places interface {
	Children(ctx context.Context, code string) ([]org.Territory, error)
	Villages(ctx context.Context, commune string, includeRetired bool) ([]org.Territory, error)
	Search(ctx context.Context, q string, limit int) ([]org.Territory, error)
}

// formData is what the form page shows: the pickers' choices, what was
// typed (after a refusal), and the refusal.
type formData struct {
	Error, Field string
	Values       Submission
	Key          string // the form's Idempotency-Key: a double submission stores one item

	Province  string
	Provinces []org.Territory
	Query     string
	Searched  bool
	Communes  []org.Territory
	Commune   *org.Territory
	Villages  []org.Territory

	Topics     []topic.Topic
	Levels     []Level
	MaxContent int
	MaxPhotos  int
	MaxPhotoMB int
}

// formPage shows the submission form. Without JavaScript the pickers work
// by GET: ?tinh= lists a province's communes, ?tim= searches communes by
// name (with or without diacritics), ?xa= chooses a commune and lists its
// villages.
func (s *Service) formPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := formData{Province: strings.TrimSpace(q.Get("tinh")), Query: strings.TrimSpace(q.Get("tim"))}
	d.Values.CommuneCode = strings.TrimSpace(q.Get("xa"))
	if utf8.RuneCountInString(d.Query) > 100 {
		d.Query = string([]rune(d.Query)[:100])
	}
	s.renderForm(w, r, http.StatusOK, d)
}

func (s *Service) renderForm(w http.ResponseWriter, r *http.Request, status int, d formData) {
	ctx := r.Context()
	d.Topics, d.Levels = s.tax.Topics, Levels
	d.MaxContent, d.MaxPhotos, d.MaxPhotoMB = MaxContent, MaxPhotos, MaxPhotoBytes>>20
	if d.Key == "" {
		var b [16]byte
		rand.Read(b[:])
		d.Key = hex.EncodeToString(b[:])
	}
	if p, ok := s.store.territories.(places); ok {
		d.Provinces, _ = p.Children(ctx, org.CentralCode)
		if c := d.Values.CommuneCode; c != "" {
			if t, err := s.store.territories.Territory(ctx, c); err == nil && t.Level == org.Commune {
				d.Commune = &t
				if d.Province == "" {
					d.Province = t.ParentCode
				}
				d.Villages, _ = p.Villages(ctx, c, false)
			}
		}
		switch {
		case d.Query != "":
			d.Searched = true
			all, _ := p.Search(ctx, d.Query, org.MaxSearch)
			for _, t := range all {
				if t.Level == org.Commune {
					d.Communes = append(d.Communes, t)
				}
			}
		case d.Province != "":
			if l, err := org.LevelOf(d.Province); err == nil && l == org.Province {
				d.Communes, _ = p.Children(ctx, d.Province)
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, r, status, "gui", d)
}

// formSubmit takes the form's multipart POST: on success it sends the
// browser to the item's status page; a refusal shows the form again with
// what was typed and the reason next to the field.
func (s *Service) formSubmit(w http.ResponseWriter, r *http.Request) {
	if s.limited(w, r, true) {
		return
	}
	mt, _, _ := mimeType(r)
	if mt != "multipart/form-data" {
		s.renderForm(w, r, http.StatusUnsupportedMediaType, formData{Error: "Biểu mẫu phải được gửi dạng multipart/form-data (the form must be sent as multipart/form-data).", Field: "body"})
		return
	}
	sub, key, e := s.readForm(w, r)
	if e == nil {
		sub.IdempotencyKey, sub.IP = key, clientIP(r)
		var c Created
		c, err := s.Submit(r.Context(), sub)
		if err == nil {
			http.Redirect(w, r, "/phan-anh/"+url.PathEscape(c.Receipt.TrackingCode)+"?moi=1", http.StatusSeeOther)
			return
		}
		if !errors.As(err, &e) {
			s.log.ErrorContext(r.Context(), "feedback: submit from the form failed", "err", err)
			e = &api.Error{Status: http.StatusInternalServerError, Code: "internal", Message: api.Internal}
		}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	sub.Photos = nil
	s.renderForm(w, r, status, formData{Error: e.Message, Field: e.Field, Values: sub, Key: key})
}

// readForm reads the form: the API's multipart fields and the form's own
// Idempotency-Key.
func (s *Service) readForm(w http.ResponseWriter, r *http.Request) (Submission, string, *api.Error) {
	sub, extra, e := readMultipartWith(w, r, "idempotency_key", s.csrfField)
	key := extra["idempotency_key"]
	if checkKey(key) != nil {
		key = ""
	}
	return sub, key, e
}

func (s *Service) statusPage(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("code")
	code, ok := ParseCode(raw)
	if ok && FormatCode(code) != raw {
		http.Redirect(w, r, "/phan-anh/"+FormatCode(code), http.StatusMovedPermanently)
		return
	}
	st, err := s.Status(r.Context(), raw)
	if errors.Is(err, ErrNotFound) {
		s.pages.Render(w, r, http.StatusNotFound, "khong_thay", map[string]string{"Code": raw})
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "feedback: status page", "err", err)
		http.Error(w, api.Internal, http.StatusInternalServerError)
		return
	}
	s.pages.Render(w, r, http.StatusOK, "trang_thai", struct {
		PublicStatus
		New bool
	}{st, r.URL.Query().Get("moi") == "1"})
}

// asset serves the form's script and style sheet (the site's policy
// allows scripts and styles from the site only, not inline).
func (s *Service) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var ct string
	switch {
	case strings.HasSuffix(name, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		ct = "text/css; charset=utf-8"
	}
	data, err := staticFiles.ReadFile("static/" + name)
	if ct == "" || err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(data)
}
