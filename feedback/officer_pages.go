package feedback

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/topic"
)

// The officers' pages, phone first and without JavaScript: the queue
// (/quan-tri/phan-anh) and an item (/quan-tri/phan-anh/{id}), whose forms
// post to …/{id}/trang-thai, ghi-chu, linh-vuc, don-vi and trung-lap and
// are sent back to the item with a message (post, redirect, get). A
// refused form shows the item again with the reason and what was typed.
// A model text is chosen by GET (?mau=ID), which fills it into its step's
// form.

const officerBase = "/quan-tri/phan-anh"

func (h *Handling) registerPages(r Router) {
	r.Handle(http.MethodGet, officerBase, http.HandlerFunc(h.queuePage))
	r.Handle(http.MethodGet, officerBase+"/{id}", http.HandlerFunc(h.itemPage))
	r.Handle(http.MethodPost, officerBase+"/{id}/trang-thai", http.HandlerFunc(h.transitionForm))
	r.Handle(http.MethodPost, officerBase+"/{id}/ghi-chu", http.HandlerFunc(h.noteForm))
	r.Handle(http.MethodPost, officerBase+"/{id}/linh-vuc", http.HandlerFunc(h.topicForm))
	r.Handle(http.MethodPost, officerBase+"/{id}/don-vi", http.HandlerFunc(h.routeForm))
	r.Handle(http.MethodPost, officerBase+"/{id}/trung-lap", http.HandlerFunc(h.duplicateForm))
}

func officerURL(id int64) string { return officerBase + "/" + strconv.FormatInt(id, 10) }

// errorPage is the data of "officer_error".
type errorPage struct {
	Status   int
	Title    string
	Message  string
	LoginURL string
}

// refuse shows a refusal as a page: the sign-on for someone not signed in
// asking for a page, else the reason.
func (h *Handling) refuse(w http.ResponseWriter, r *http.Request, f *refusal) {
	login := h.login + "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
	if f.status == http.StatusUnauthorized && r.Method == http.MethodGet && !f.setup {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, login, http.StatusSeeOther)
		return
	}
	d := errorPage{Status: f.status, Message: f.msg}
	switch f.status {
	case http.StatusUnauthorized:
		d.Title, d.LoginURL = "Cần đăng nhập", login
	case http.StatusForbidden:
		d.Title = "Không có quyền"
	case http.StatusNotFound:
		d.Title = "Không tìm thấy phản ánh"
	case http.StatusBadRequest:
		d.Title = "Yêu cầu không hợp lệ"
	default:
		d.Title = "Đã có lỗi xảy ra"
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, f.status, "officer_error", d)
}

// queueView is the data of "officer_queue".
type queueView struct {
	QueueResponse
	Tabs []stateTab
	// StateOptions are the filter's choices of state.
	StateOptions []stateOption
	State        string
	Topic        string
	Commune      string
	Flagged      bool
	Overdue      bool
	Topics       []topic.Topic
	NextURL      string
	Flash        string
	Error        string
}

type stateOption struct{ Value, Label string }

type stateTab struct {
	Label  string
	Count  int
	URL    string
	Active bool
}

func (h *Handling) queuePage(w http.ResponseWriter, r *http.Request) {
	out, f, e := h.queue(r)
	if f != nil {
		h.refuse(w, r, f)
		return
	}
	q := r.URL.Query()
	v := queueView{QueueResponse: out, State: q.Get("state"), Topic: q.Get("topic"), Commune: q.Get("commune"),
		Flagged: q.Get("flagged") == "1", Overdue: q.Get("overdue") == "1", Topics: h.svc.tax.Topics}
	status := http.StatusOK
	if e != nil {
		status, v.Error = http.StatusBadRequest, e.Message
		v.Items = nil
		if scopes, err := h.authz.Scopes(r, ActionRead); err == nil {
			v.Counts, _ = h.Counts(r.Context(), scopes, h.now())
		}
	}
	if code := q.Get("chuyen"); code != "" {
		v.Flash = fmt.Sprintf("Phản ánh %s đã được chuyển đến đơn vị khác, ngoài phạm vi bạn phụ trách.", code)
	}
	tab := func(label, state string, n int) stateTab {
		u := url.Values{}
		if state != "" {
			u.Set("state", state)
		}
		target := officerBase
		if len(u) > 0 {
			target += "?" + u.Encode()
		}
		return stateTab{Label: label, Count: n, URL: target, Active: v.State == state && !v.Overdue && !v.Flagged && v.Topic == ""}
	}
	open := 0
	for _, s := range OpenStates {
		open += v.Counts.States[s]
	}
	v.Tabs = append(v.Tabs, tab("Tất cả", "", v.Counts.Total), tab("Đang mở", "open", open))
	v.StateOptions = append(v.StateOptions, stateOption{"open", "Đang mở (chưa trả lời)"})
	for _, s := range States {
		v.Tabs = append(v.Tabs, tab(s.Label(), string(s), v.Counts.States[s]))
		v.StateOptions = append(v.StateOptions, stateOption{string(s), s.Label()})
	}
	if out.Next > 0 {
		nq := url.Values{}
		for k, vs := range q {
			if k != "before" {
				nq[k] = vs
			}
		}
		nq.Set("before", strconv.FormatInt(out.Next, 10))
		v.NextURL = officerBase + "?" + nq.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "officer_queue", v)
}

// itemView is the data of "officer_item".
type itemView struct {
	Item       StaffItem
	Self       string // the page's address
	Forms      []moveForm
	Topics     []topic.Topic
	Outcomes   []outcomeChoice
	Units      []string // suggested targets of a re-route
	Flash      string
	Error      string
	ErrorField string
	Form       string // the form the error is about
	Values     url.Values
	CSRFField  string
	CSRF       string
}

// moveForm is the form of one move the item may make.
type moveForm struct {
	To        State
	Label     string
	Templates []Filled
	// Text is the text area's content: what was typed, or a model text
	// chosen.
	Text   string
	Reopen bool
}

type outcomeChoice struct {
	Value Outcome
	Label string
}

var pageFlashes = map[string]string{
	"trang-thai": "Đã chuyển phản ánh sang trạng thái “%s”.",
	"ghi-chu":    "Đã thêm ghi chú nội bộ.",
	"linh-vuc":   "Đã sửa lĩnh vực; hệ thống phân loại đã học theo sửa đổi này.",
	"don-vi":     "Đã chuyển phản ánh đến %s.",
	"trung-lap":  "Đã cập nhật đánh dấu trùng.",
}

func (h *Handling) itemPage(w http.ResponseWriter, r *http.Request) {
	a, f := h.check(r, false)
	if f != nil {
		h.refuse(w, r, f)
		return
	}
	h.renderItem(w, r, http.StatusOK, a, func(v *itemView) {
		q := r.URL.Query()
		if msg, ok := pageFlashes[q.Get("ok")]; ok {
			switch q.Get("ok") {
			case "trang-thai":
				msg = fmt.Sprintf(msg, v.Item.StateLabel)
			case "don-vi":
				msg = fmt.Sprintf(msg, v.Item.UnitName)
			}
			v.Flash = msg
		}
		if id := q.Get("mau"); id != "" {
			for i := range v.Forms {
				for _, t := range v.Forms[i].Templates {
					if t.ID == id {
						v.Forms[i].Text = t.Text
					}
				}
			}
		}
	})
}

// renderItem shows an item's page with status, after adjust.
func (h *Handling) renderItem(w http.ResponseWriter, r *http.Request, status int, a access, adjust func(*itemView)) {
	si, err := h.staffItem(r, a)
	if err != nil {
		h.refuse(w, r, h.internal(r, err))
		return
	}
	v := itemView{Item: si, Self: officerURL(si.ID), Topics: h.svc.tax.Topics, CSRFField: h.csrfField, Values: url.Values{}}
	if h.csrf != nil {
		v.CSRF = h.csrf(r)
	}
	for _, o := range Outcomes {
		v.Outcomes = append(v.Outcomes, outcomeChoice{o, o.Label()})
	}
	for _, to := range si.Moves {
		mf := moveForm{To: to, Label: moveLabel(si.State, to), Reopen: to == InProgress && (si.State == Answered || si.State == Closed)}
		for _, t := range si.Templates {
			if t.Move == to {
				mf.Templates = append(mf.Templates, t)
			}
		}
		v.Forms = append(v.Forms, mf)
	}
	v.Units = h.unitSuggestions(a.item)
	if adjust != nil {
		adjust(&v)
	}
	w.Header().Set("Cache-Control", "no-store")
	h.pages.Render(w, r, status, "officer_item", v)
}

// unitSuggestions are the usual targets of a re-route: the Front
// committees of the item's commune, province and the centre, less its own.
func (h *Handling) unitSuggestions(it Item) []string {
	var out []string
	for _, u := range []string{it.Commune + "/MTTQ", it.Province + "/MTTQ", "VN/MTTQ"} {
		if u != it.Unit {
			out = append(out, u)
		}
	}
	return out
}

// formDone sends the browser back to the item after a change, or to the
// queue when the item left the user's reach.
func (h *Handling) formDone(w http.ResponseWriter, r *http.Request, a access, it Item, ok string) {
	target := officerURL(it.ID) + "?ok=" + ok
	if in, err := h.st.inSubtrees(r.Context(), it.ID, a.scopes); err == nil && !in {
		target = officerBase + "?" + url.Values{"chuyen": {FormatCode(it.Code)}}.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// formFailed shows the item again with why the form named form was
// refused and what was typed.
func (h *Handling) formFailed(w http.ResponseWriter, r *http.Request, a access, form string, err error) {
	var e *api.Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, ErrNotFound):
		h.refuse(w, r, notFound)
		return
	default:
		h.refuse(w, r, h.internal(r, err))
		return
	}
	it, ierr := h.st.Item(r.Context(), a.item.ID)
	if ierr != nil {
		h.refuse(w, r, h.internal(r, ierr))
		return
	}
	a.item = it
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	h.renderItem(w, r, status, a, func(v *itemView) {
		v.Error, v.ErrorField, v.Form = e.Message, e.Field, form
		v.Values = r.PostForm
		for i := range v.Forms {
			if string(v.Forms[i].To) == r.PostFormValue("to") {
				v.Forms[i].Text = r.PostFormValue("text")
			}
		}
	})
}

// formAccess checks a form's item for feedback.handle and reads the form.
func (h *Handling) formAccess(w http.ResponseWriter, r *http.Request) (access, bool) {
	a, f := h.check(r, true)
	if f != nil {
		h.refuse(w, r, f)
		return a, false
	}
	if err := r.ParseForm(); err != nil {
		h.refuse(w, r, newRefusal(http.StatusBadRequest, "invalid_form", "body", "Không đọc được biểu mẫu gửi lên (the form cannot be read)."))
		return a, false
	}
	return a, true
}

// The text area of a move's form is "text": it is the answer when
// answering, the reason otherwise.
func (h *Handling) transitionForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.formAccess(w, r)
	if !ok {
		return
	}
	m := Move{To: State(r.PostFormValue("to")), Outcome: Outcome(r.PostFormValue("outcome"))}
	text := r.PostFormValue("text")
	if m.To == Answered {
		m.Answer = text
	} else {
		m.Reason = text
	}
	if m.To == Forwarded {
		m.Agency = r.PostFormValue("agency")
		if m.Agency == "khac" {
			m.Agency = OtherAgency + r.PostFormValue("agency_other")
			if strings.TrimSpace(r.PostFormValue("agency_other")) == "" {
				m.Agency = ""
			}
		}
	}
	before := a.item.State
	it, err := h.Transition(r.Context(), a.item.ID, m, h.actor(r))
	if err != nil {
		h.formFailed(w, r, a, "trang-thai", err)
		return
	}
	h.record(r, AuditTransition, it.Unit, fmt.Sprintf("%s: %s → %s", FormatCode(it.Code), before, it.State))
	h.formDone(w, r, a, it, "trang-thai")
}

func (h *Handling) noteForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.formAccess(w, r)
	if !ok {
		return
	}
	if _, err := h.AddNote(r.Context(), a.item.ID, r.PostFormValue("text"), h.actor(r)); err != nil {
		h.formFailed(w, r, a, "ghi-chu", err)
		return
	}
	h.record(r, AuditNote, a.item.Unit, FormatCode(a.item.Code))
	h.formDone(w, r, a, a.item, "ghi-chu")
}

func (h *Handling) topicForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.formAccess(w, r)
	if !ok {
		return
	}
	it, err := h.CorrectTopic(r.Context(), a.item.ID, r.PostFormValue("topic"), h.actor(r))
	if err != nil {
		h.formFailed(w, r, a, "linh-vuc", err)
		return
	}
	h.record(r, AuditTopic, a.item.Unit, fmt.Sprintf("%s: %s → %s", FormatCode(it.Code), orNone(a.item.Topic), it.Topic))
	h.formDone(w, r, a, it, "linh-vuc")
}

func (h *Handling) routeForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.formAccess(w, r)
	if !ok {
		return
	}
	it, err := h.reroute(r, a, r.PostFormValue("unit"), r.PostFormValue("reason"))
	if err != nil {
		h.formFailed(w, r, a, "don-vi", err)
		return
	}
	h.record(r, AuditRoute, a.item.Unit, fmt.Sprintf("%s: %s → %s", FormatCode(it.Code), a.item.Unit, it.Unit))
	h.formDone(w, r, a, it, "don-vi")
}

// duplicateForm links the item to another given by its number (of) or
// its tracking code (ma), or unlinks it (bo=1).
func (h *Handling) duplicateForm(w http.ResponseWriter, r *http.Request) {
	a, ok := h.formAccess(w, r)
	if !ok {
		return
	}
	var of *int64
	switch ofs, code := strings.TrimSpace(r.PostFormValue("of")), strings.TrimSpace(r.PostFormValue("ma")); {
	case r.PostFormValue("bo") == "1":
	case ofs != "":
		n, ok := parseID(ofs)
		if !ok {
			h.formFailed(w, r, a, "trung-lap", bad("invalid_type", "of", "Số phản ánh phải là một số nguyên dương.", "of must be a positive integer"))
			return
		}
		of = &n
	case code != "":
		o, err := h.st.ItemByCode(r.Context(), code)
		if errors.Is(err, ErrNotFound) {
			h.formFailed(w, r, a, "trung-lap", bad("unknown_item", "ma", fmt.Sprintf("Không có phản ánh nào mã %q.", code), "no item has that tracking code"))
			return
		}
		if err != nil {
			h.formFailed(w, r, a, "trung-lap", err)
			return
		}
		of = &o.ID
	default:
		h.formFailed(w, r, a, "trung-lap", bad("required", "ma", "Cần nhập mã theo dõi của phản ánh trùng.", "ma is required"))
		return
	}
	it, err := h.linkDuplicate(r, a, of)
	if err != nil {
		h.formFailed(w, r, a, "trung-lap", err)
		return
	}
	target := FormatCode(it.Code) + ": không trùng"
	if it.DuplicateOf != nil {
		target = fmt.Sprintf("%s: trùng với số %d", FormatCode(it.Code), *it.DuplicateOf)
	}
	h.record(r, AuditDuplicate, it.Unit, target)
	h.formDone(w, r, a, it, "trung-lap")
}
