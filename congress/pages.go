package congress

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/org"
)

// The reporter's entry form, phone first and without JavaScript:
//
//	GET  /dai-hoi/{term}/{territory}/cap-nhat              the form, filled with the record
//	POST /dai-hoi/{term}/{territory}/cap-nhat              save (post, redirect, get)
//	POST /dai-hoi/{term}/tep                               add a file (multipart: territory, kind, file)
//	POST /dai-hoi/{term}/{territory}/tep/{id}/xoa          remove a file
//	GET  /dai-hoi/tep/{file}                               the module's style sheet and scripts
//
// Each asks congress.write on TERRITORY/MTTQ; someone not signed in is
// sent to sign on. A refused form shows the form again with the reason,
// the field marked and what was typed.

// Templates are the module's pages, for a Pages implementation to parse
// with the layout: "entry" (the form), "entry_list" (the committees a
// user reports for) and "entry_error" (a refusal).
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

// EntryURL is the entry form of a congress.
func EntryURL(term, territory string) string {
	return "/dai-hoi/" + url.PathEscape(term) + "/" + url.PathEscape(territory) + "/cap-nhat"
}

func (s *Service) registerPages(r Router) {
	r.Handle(http.MethodGet, "/dai-hoi/{term}/{territory}/cap-nhat", http.HandlerFunc(s.entryPage))
	r.Handle(http.MethodPost, "/dai-hoi/{term}/{territory}/cap-nhat", http.HandlerFunc(s.entryForm))
	r.Handle(http.MethodPost, "/dai-hoi/{term}/tep", http.HandlerFunc(s.attachForm))
	r.Handle(http.MethodPost, "/dai-hoi/{term}/{territory}/tep/{id}/xoa", http.HandlerFunc(s.detachForm))
	r.Handle(http.MethodGet, "/dai-hoi/tep/{file}", http.HandlerFunc(s.asset))
	r.Handle(http.MethodGet, ChooseURL, http.HandlerFunc(s.choosePage))
}

// ChooseURL lists the congresses of the current term that the user may
// update (the staff home links to it); with one, it goes to its form.
const ChooseURL = "/dai-hoi/cap-nhat"

// chooseView is the data of "entry_list".
type chooseView struct {
	Term       string
	Province   string // the province listed, "" for the user's committees
	Congresses []Congress
	Provinces  []Congress // for a user of the centre: the provinces to choose from
}

// choosePage lists the committees the user reports for: their own, and
// under a province's committee its communes (?tinh= for a province when
// the user is at the centre).
func (s *Service) choosePage(w http.ResponseWriter, r *http.Request) {
	if s.authz == nil {
		s.refusePage(w, r, http.StatusUnauthorized, "Chưa cấu hình đăng nhập (sign-on is not configured).")
		return
	}
	scopes, err := s.authz.Scopes(r, ActionWrite)
	if err != nil {
		st := authStatus(err)
		if st == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "congress: scopes", "err", err)
		}
		s.refusePage(w, r, st, "Cần đăng nhập để cập nhật đại hội (sign in first).")
		return
	}
	term := s.store.Terms()[0]
	v := chooseView{Term: term}
	ctx := r.Context()
	central := false
	var provinces, communes []string
	for _, u := range scopes {
		code, o, ok := strings.Cut(u, "/")
		if !ok || o != "MTTQ" {
			continue // another organisation's reporter holds no congress
		}
		switch lvl, _ := levelOf(code); lvl {
		case "central":
			central = true
		case "province":
			provinces = append(provinces, code)
		case "commune":
			communes = append(communes, code)
		}
	}
	if tinh := r.URL.Query().Get("tinh"); tinh != "" {
		if !central && !slices.Contains(provinces, tinh) {
			s.refusePage(w, r, http.StatusForbidden, fmt.Sprintf("Tài khoản của bạn không cập nhật đại hội của tỉnh, thành phố %q (not allowed).", tinh))
			return
		}
		provinces, communes, central = []string{tinh}, nil, false
		v.Province = tinh
	}
	if len(provinces) == 0 && len(communes) == 1 && !central {
		http.Redirect(w, r, EntryURL(term, communes[0]), http.StatusSeeOther)
		return
	}
	if central {
		list, err := s.store.List(ctx, term, Filter{Level: "province"})
		if err != nil {
			s.pageFail(w, r, err)
			return
		}
		v.Provinces = list
	}
	for _, p := range provinces {
		list, err := s.store.List(ctx, term, Filter{Province: p})
		if err != nil {
			s.pageFail(w, r, err)
			return
		}
		v.Congresses = append(v.Congresses, list...)
	}
	for _, c := range communes {
		if slices.ContainsFunc(v.Congresses, func(x Congress) bool { return x.Territory == c }) {
			continue
		}
		cg, err := s.store.Get(ctx, term, c)
		if err != nil {
			s.pageFail(w, r, err)
			return
		}
		v.Congresses = append(v.Congresses, cg)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, r, http.StatusOK, "entry_list", v)
}

func (s *Service) pageFail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := pageError(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "congress: page", "path", r.URL.Path, "err", err)
	}
	s.refusePage(w, r, status, msg)
}

func levelOf(code string) (string, error) {
	l, err := org.LevelOf(code)
	return string(l), err
}

// entryView is the data of "entry".
type entryView struct {
	Congress  Congress
	Statuses  []Status
	News      []NewsItem // the record's news and one empty row
	ViceChair string     // one name a line
	Counts    []countField
	Flash     string
	Error     string
	Field     string
	Action    string
	FilesURL  string
	MaxFileMB int
}

type countField struct {
	Key, Label string
	Value      string
}

// errorView is the data of "entry_error".
type errorView struct {
	Status   int
	Title    string
	Message  string
	LoginURL string
}

func (s *Service) refusePage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	login := "/auth/login?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	if status == http.StatusUnauthorized && r.Method == http.MethodGet {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, login, http.StatusSeeOther)
		return
	}
	d := errorView{Status: status, Message: msg}
	switch status {
	case http.StatusUnauthorized:
		d.Title, d.LoginURL = "Cần đăng nhập", login
	case http.StatusForbidden:
		d.Title = "Không có quyền"
	case http.StatusNotFound:
		d.Title = "Không tìm thấy"
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		d.Title = "Yêu cầu không hợp lệ"
	default:
		d.Title, d.Message = "Đã có lỗi xảy ra", api.Internal
	}
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, r, status, "entry_error", d)
}

// pageWritable is writable for pages: the congress, or a page saying why
// not.
func (s *Service) pageWritable(w http.ResponseWriter, r *http.Request, term, territory string) (Congress, bool) {
	c, err := s.store.Get(r.Context(), term, territory)
	if err != nil {
		status, msg := pageError(err)
		if status == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "congress: page", "path", r.URL.Path, "err", err)
		}
		s.refusePage(w, r, status, msg)
		return Congress{}, false
	}
	if s.authz == nil {
		s.refusePage(w, r, http.StatusUnauthorized, "Chưa cấu hình đăng nhập (sign-on is not configured).")
		return Congress{}, false
	}
	if err := s.authz.Authorize(r, ActionWrite, c.Unit()); err != nil {
		switch st := authStatus(err); st {
		case http.StatusUnauthorized:
			s.refusePage(w, r, st, "Cần đăng nhập để cập nhật đại hội (sign in first).")
		case http.StatusForbidden:
			s.refusePage(w, r, st, fmt.Sprintf("Tài khoản của bạn không được cập nhật đại hội của %s (not allowed).", c.TerritoryName))
		default:
			s.log.ErrorContext(r.Context(), "congress: authorize", "err", err)
			s.refusePage(w, r, st, "")
		}
		return Congress{}, false
	}
	return c, true
}

// pageError is the status and message of a page for err.
func pageError(err error) (int, string) {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		if TooLarge(err) {
			return http.StatusRequestEntityTooLarge, fe.Message
		}
		return http.StatusBadRequest, fe.Message
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "Không có nhiệm kỳ hoặc địa bàn này (no such term or territory)."
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, "Bản ghi vừa được người khác sửa: hãy tải lại trang rồi nhập lại (the record changed meanwhile)."
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Message
	}
	return http.StatusInternalServerError, ""
}

func (s *Service) view(c Congress) entryView {
	v := entryView{Congress: c, Statuses: Statuses, Action: EntryURL(c.Term, c.Territory),
		FilesURL: "/dai-hoi/" + url.PathEscape(c.Term) + "/tep", MaxFileMB: MaxResolution >> 20}
	v.News = append(append([]NewsItem{}, c.News...), NewsItem{})
	v.ViceChair = strings.Join(c.ViceChairs, "\n")
	num := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	v.Counts = []countField{
		{"delegates_summoned", "Số đại biểu được triệu tập", num(c.DelegatesSummoned)},
		{"delegates_attending", "Số đại biểu có mặt", num(c.DelegatesAttending)},
		{"committee_size", "Số ủy viên Ủy ban được bầu", num(c.CommitteeSize)},
		{"standing_size", "Số ủy viên Ban Thường trực", num(c.StandingSize)},
		{"delegation_above", "Số đại biểu dự đại hội cấp trên", num(c.DelegationAbove)},
	}
	return v
}

func (s *Service) entryPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pageWritable(w, r, r.PathValue("term"), r.PathValue("territory"))
	if !ok {
		return
	}
	v := s.view(c)
	switch r.URL.Query().Get("da-luu") {
	case "1":
		v.Flash = "Đã lưu thông tin đại hội."
	case "tep":
		v.Flash = "Đã thêm tệp."
	case "xoa":
		v.Flash = "Đã xoá tệp."
	}
	w.Header().Set("Cache-Control", "no-store")
	s.pages.Render(w, r, http.StatusOK, "entry", v)
}

// fromForm reads the form into a congress over cur.
func fromForm(r *http.Request, cur Congress) (Congress, error) {
	in := cur
	f := r.PostForm
	// A name left as built stays built (the Store recognises it).
	in.Name = f.Get("name")
	in.Ordinal, in.PlannedDate, in.Place = f.Get("ordinal"), f.Get("planned_date"), f.Get("place")
	in.Status = Status(f.Get("status"))
	in.PostponedReason, in.NewDate = f.Get("postponed_reason"), f.Get("new_date")
	in.Chair, in.Summary, in.Correction = f.Get("chair"), f.Get("summary"), f.Get("correction")
	in.ViceChairs = nil
	for _, n := range strings.Split(f.Get("vice_chairs"), "\n") {
		if n = strings.TrimSpace(n); n != "" {
			in.ViceChairs = append(in.ViceChairs, n)
		}
	}
	for _, p := range []struct {
		key string
		dst **int
	}{{"delegates_summoned", &in.DelegatesSummoned}, {"delegates_attending", &in.DelegatesAttending},
		{"committee_size", &in.CommitteeSize}, {"standing_size", &in.StandingSize}, {"delegation_above", &in.DelegationAbove}} {
		n, err := cellInt(p.key, f.Get(p.key))
		if err != nil {
			return in, err
		}
		*p.dst = n
	}
	titles, urls, dates := f["news_title"], f["news_url"], f["news_date"]
	in.News = nil
	for i, t := range titles {
		item := NewsItem{Title: t}
		if i < len(urls) {
			item.URL = urls[i]
		}
		if i < len(dates) {
			item.Date = dates[i]
		}
		if strings.TrimSpace(item.Title+item.URL+item.Date) != "" {
			in.News = append(in.News, item)
		}
	}
	v, err := strconv.Atoi(f.Get("version"))
	if err != nil {
		return in, invalid("version", "Thiếu phiên bản của bản ghi", "version is missing")
	}
	in.Version = v
	return in, nil
}

func (s *Service) entryForm(w http.ResponseWriter, r *http.Request) {
	cur, ok := s.pageWritable(w, r, r.PathValue("term"), r.PathValue("territory"))
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.refusePage(w, r, http.StatusBadRequest, "Không đọc được biểu mẫu (malformed form).")
		return
	}
	in, err := fromForm(r, cur)
	var c Congress
	if err == nil {
		c, err = s.store.Put(r.Context(), cur.Term, cur.Territory, in, s.actor(r))
	}
	if err != nil {
		status, msg := pageError(err)
		if status == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "congress: save", "err", err)
			s.refusePage(w, r, status, "")
			return
		}
		// The form again, with what was typed.
		shown := in
		shown.Attachments = cur.Attachments
		if shown.Name == "" {
			shown.Name = cur.Name
		}
		v := s.view(shown)
		v.Error = msg
		var fe *FieldError
		if errors.As(err, &fe) {
			v.Field = codeOf(fe.Field)
		}
		w.Header().Set("Cache-Control", "no-store")
		s.pages.Render(w, r, status, "entry", v)
		return
	}
	s.record(r, cur, c, in.Correction)
	http.Redirect(w, r, EntryURL(c.Term, c.Territory)+"?da-luu=1", http.StatusSeeOther)
}

func (s *Service) attachForm(w http.ResponseWriter, r *http.Request) {
	term := r.PathValue("term")
	if err := s.store.CheckTerm(term); err != nil {
		s.refusePage(w, r, http.StatusNotFound, "Không có nhiệm kỳ này (no such term).")
		return
	}
	territory, f, err := readUpload(w, r)
	if err != nil {
		status, msg := pageError(err)
		s.refusePage(w, r, status, msg)
		return
	}
	cur, ok := s.pageWritable(w, r, term, territory)
	if !ok {
		return
	}
	_, a, err := s.store.AddAttachment(r.Context(), term, territory, f, s.actor(r))
	if err != nil {
		status, msg := pageError(err)
		if status == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "congress: attach", "err", err)
		}
		s.refusePage(w, r, status, msg)
		return
	}
	if s.audit != nil {
		s.audit.Audit(r, AuditAttach, cur.Unit(), fmt.Sprintf("%s/%s attachment %d %s", term, territory, a.ID, a.Kind))
	}
	http.Redirect(w, r, EntryURL(term, territory)+"?da-luu=tep", http.StatusSeeOther)
}

func (s *Service) detachForm(w http.ResponseWriter, r *http.Request) {
	term, territory := r.PathValue("term"), r.PathValue("territory")
	cur, ok := s.pageWritable(w, r, term, territory)
	if !ok {
		return
	}
	id, err := parseAttachmentID(r.PathValue("id"))
	if err == nil {
		_, err = s.store.RemoveAttachment(r.Context(), term, territory, id, s.actor(r))
	}
	if err != nil {
		status, msg := pageError(err)
		s.refusePage(w, r, status, msg)
		return
	}
	if s.audit != nil {
		s.audit.Audit(r, AuditDetach, cur.Unit(), fmt.Sprintf("%s/%s attachment %d", term, territory, id))
	}
	http.Redirect(w, r, EntryURL(term, territory)+"?da-luu=xoa", http.StatusSeeOther)
}

// asset serves the module's style sheets and scripts (the site's policy
// allows them from the site only, not inline).
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

// TemplateFuncs are the functions the templates use.
var TemplateFuncs = template.FuncMap{
	"entryURL":      EntryURL,
	"attachmentURL": AttachmentURL,
	"vnTime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(Vietnam).Format("15:04 02/01/2006")
	},
	"kb": func(n int) string { return fmt.Sprintf("%d KB", (n+1023)/1024) },
}
