package org

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxQueryLen bounds the territory search box, in characters.
const maxQueryLen = 100

// pageView is the data of the "territory" page.
type pageView struct {
	Territory  Territory
	LevelLabel string
	Ancestors  []Territory
	Units      []UnitView
	Counts     Counts
	Children   []Territory // below a province or VN
	IsCommune  bool
	Villages   []Territory // a commune's active villages
	Retired    []Territory
	Kinds      []string
	Query      string
	Results    []Territory
	Searched   bool
	MaxLen     int
	MaxName    int
	Flash      string
	Error      string
	// The form that failed, refilled: Add for the add form, or the
	// village code whose rename form it was.
	Add       villageForm
	EditCode  string
	Edit      villageForm
	CSRFField string
	CSRF      string
}

type villageForm struct{ Name, Kind string }

// deniedView is the data of the "denied" page.
type deniedView struct {
	Status   int
	Title    string
	Message  string
	LoginURL string
}

var flashes = map[string]string{
	"them":    "Đã thêm %s.",
	"doi-ten": "Đã đổi tên thành %s.",
	"ngung":   "%s đã ngừng hoạt động; vẫn được giữ lại trong lịch sử.",
}

// TerritoryPage serves /quan-tri/dia-ban (the whole country, with a search
// box) and /quan-tri/dia-ban/{code}: a territory, the way up and its
// children; for a commune, its villages with the forms that manage them,
// for those allowed org.village.read. A village's address leads to its
// commune's page.
func (h *Handler) TerritoryPage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if code == "" {
		code = CentralCode
	}
	if commune, ok := VillageCommune(code); ok {
		http.Redirect(w, r, "/quan-tri/dia-ban/"+commune+"#thon-"+code, http.StatusSeeOther)
		return
	}
	h.renderTerritory(w, r, http.StatusOK, code, func(v *pageView) {
		if msg, ok := flashes[r.URL.Query().Get("ok")]; ok {
			name := "thôn, tổ dân phố"
			for _, vs := range [][]Territory{v.Villages, v.Retired} {
				for _, t := range vs {
					if t.Code == r.URL.Query().Get("thon") {
						name = t.Name
					}
				}
			}
			v.Flash = fmt.Sprintf(msg, name)
		}
	})
}

// renderTerritory builds the page of code and renders it with status after
// adjust has filled in the form state.
func (h *Handler) renderTerritory(w http.ResponseWriter, r *http.Request, status int, code string, adjust func(*pageView)) {
	ctx := r.Context()
	if _, err := levelOf(code); err != nil {
		h.denied(w, r, http.StatusNotFound, "Không tìm thấy địa bàn", fmt.Sprintf("Mã địa bàn %q không hợp lệ: cần %s.", code, codeHelp))
		return
	}
	t, err := h.store.Territory(ctx, code)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	if t.Level == Commune {
		if st, msg := h.authorize(r, ActionVillageRead, code); st != 0 {
			h.deniedAuth(w, r, st, msg)
			return
		}
	}
	v := pageView{Territory: t, LevelLabel: t.Level.Label(), Units: unitViews(t), Kinds: VillageKinds,
		MaxLen: maxQueryLen, MaxName: MaxNameLen, CSRFField: h.field, Add: villageForm{Kind: VillageKinds[0]}}
	if h.csrf != nil {
		v.CSRF = h.csrf(r)
	}
	if v.Ancestors, err = h.store.Ancestors(ctx, code); err == nil {
		v.Counts, err = h.store.CountDescendants(ctx, code)
	}
	if err == nil {
		if t.Level == Commune {
			v.IsCommune = true
			var all []Territory
			if all, err = h.store.Villages(ctx, code, true); err == nil {
				for _, vl := range all {
					if vl.Retired() {
						v.Retired = append(v.Retired, vl)
					} else {
						v.Villages = append(v.Villages, vl)
					}
				}
			}
		} else {
			v.Children, err = h.store.Children(ctx, code)
		}
	}
	if err == nil && t.Level == Central {
		v.Query = strings.TrimSpace(r.URL.Query().Get("q"))
		if utf8.RuneCountInString(v.Query) > maxQueryLen {
			v.Query = string([]rune(v.Query)[:maxQueryLen])
		}
		if v.Query != "" {
			v.Searched = true
			v.Results, err = h.store.Search(ctx, v.Query, MaxSearch)
		}
	}
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	h.pages.Render(w, r, status, "territory", v)
}

// CreateVillageForm handles the add form of a commune's page.
func (h *Handler) CreateVillageForm(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if l, err := levelOf(code); err != nil || l != Commune {
		h.denied(w, r, http.StatusNotFound, "Không tìm thấy xã", fmt.Sprintf("%q không phải mã xã, phường, đặc khu.", code))
		return
	}
	if _, ok := h.pageExists(w, r, code); !ok {
		return
	}
	if st, msg := h.authorize(r, ActionVillageWrite, code); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	f := villageForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind")}
	problem := nameProblem(f.Name)
	if problem == "" {
		problem = kindProblem(f.Kind, true)
	}
	var t Territory
	var err error
	status := http.StatusUnprocessableEntity
	if problem == "" {
		t, err = h.store.CreateVillage(r.Context(), code, f.Name, f.Kind)
		if err == nil {
			h.record(r, AuditVillageCreate, Territory{}, t)
			h.done(w, r, code, "them", t.Code)
			return
		}
		if status, problem = h.formProblem(w, r, err); status == 0 {
			return
		}
	}
	h.renderTerritory(w, r, status, code, func(v *pageView) {
		v.Error, v.Add = problem, f
	})
}

// RenameVillageForm handles a village's rename form.
func (h *Handler) RenameVillageForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	commune, ok := VillageCommune(id)
	if !ok {
		h.denied(w, r, http.StatusNotFound, "Không tìm thấy thôn", fmt.Sprintf("%q không phải mã thôn, tổ dân phố.", id))
		return
	}
	old, ok := h.pageExists(w, r, id)
	if !ok {
		return
	}
	if st, msg := h.authorize(r, ActionVillageWrite, commune); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	f := villageForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind")}
	problem := nameProblem(f.Name)
	if problem == "" {
		problem = kindProblem(f.Kind, false)
	}
	status := http.StatusUnprocessableEntity
	if problem == "" {
		t, err := h.store.RenameVillage(r.Context(), id, f.Name, f.Kind)
		if err == nil {
			h.record(r, AuditVillageRename, old, t)
			h.done(w, r, commune, "doi-ten", id)
			return
		}
		if status, problem = h.formProblem(w, r, err); status == 0 {
			return
		}
	}
	h.renderTerritory(w, r, status, commune, func(v *pageView) {
		v.Error, v.EditCode, v.Edit = problem, id, f
	})
}

// RetireVillageForm handles a village's retire button.
func (h *Handler) RetireVillageForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	commune, ok := VillageCommune(id)
	if !ok {
		h.denied(w, r, http.StatusNotFound, "Không tìm thấy thôn", fmt.Sprintf("%q không phải mã thôn, tổ dân phố.", id))
		return
	}
	old, ok := h.pageExists(w, r, id)
	if !ok {
		return
	}
	if st, msg := h.authorize(r, ActionVillageWrite, commune); st != 0 {
		h.deniedAuth(w, r, st, msg)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	t, err := h.store.RetireVillage(r.Context(), id)
	if err == nil {
		h.record(r, AuditVillageRetire, old, t)
		h.done(w, r, commune, "ngung", id)
		return
	}
	status, problem := h.formProblem(w, r, err)
	if status == 0 {
		return
	}
	h.renderTerritory(w, r, status, commune, func(v *pageView) { v.Error = problem })
}

// pageExists returns territory code, or shows the not-found page and
// returns false when it is unknown.
func (h *Handler) pageExists(w http.ResponseWriter, r *http.Request, code string) (Territory, bool) {
	t, err := h.store.Territory(r.Context(), code)
	if err != nil {
		h.pageError(w, r, err)
		return Territory{}, false
	}
	return t, true
}

// done sends the browser back to the commune's page after a change, so
// that reloading it does not send the form again.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, commune, what, village string) {
	u := "/quan-tri/dia-ban/" + commune + "?ok=" + what + "&thon=" + url.QueryEscape(village) + "#thon-" + village
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.denied(w, r, http.StatusRequestEntityTooLarge, "Nội dung quá lớn",
				fmt.Sprintf("Nội dung gửi lên vượt quá %d KiB.", MaxBodyBytes>>10))
			return false
		}
		h.denied(w, r, http.StatusBadRequest, "Biểu mẫu không hợp lệ", "Không đọc được biểu mẫu vừa gửi. Hãy tải lại trang và thử lại.")
		return false
	}
	return true
}

// formProblem maps a Store error of a form to the status and message of
// the page shown again; status 0 means the answer has been sent.
func (h *Handler) formProblem(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	status, _, msg := storeProblem(err)
	switch status {
	case http.StatusNotFound:
		h.denied(w, r, status, "Không tìm thấy", "Không có thôn, tổ dân phố hay xã nào mang mã này.")
		return 0, ""
	case http.StatusInternalServerError:
		h.pageError(w, r, err)
		return 0, ""
	case http.StatusBadRequest:
		return http.StatusUnprocessableEntity, "Tên hoặc loại không hợp lệ."
	}
	return status, msg
}

func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status, _, msg := storeProblem(err)
	switch status {
	case http.StatusNotFound:
		h.denied(w, r, status, "Không tìm thấy địa bàn", msg)
	case http.StatusInternalServerError:
		if !clientGone(r, err) {
			h.log.ErrorContext(r.Context(), "org: page failed", "path", r.URL.Path, "err", err)
		}
		h.denied(w, r, status, "Đã có lỗi xảy ra", msg)
	default:
		h.denied(w, r, status, "Yêu cầu không hợp lệ", msg)
	}
}

func (h *Handler) deniedAuth(w http.ResponseWriter, r *http.Request, status int, msg string) {
	title := "Không có quyền truy cập"
	if status == http.StatusUnauthorized {
		title = "Cần đăng nhập"
	}
	h.denied(w, r, status, title, msg)
}

func (h *Handler) denied(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	v := deniedView{Status: status, Title: title, Message: msg}
	if status == http.StatusUnauthorized {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			// The page the form was on, when it is one of ours.
			next = "/quan-tri/dia-ban"
			if u, err := url.Parse(r.Referer()); err == nil && u.Host == r.Host && strings.HasPrefix(u.Path, "/") {
				next = u.RequestURI()
			}
		}
		v.LoginURL = h.login + "?next=" + url.QueryEscape(next)
	}
	h.pages.Render(w, r, status, "denied", v)
}
