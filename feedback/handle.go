package feedback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
)

// Handling is the officers' side of feedback: the queue of the units they
// act for, an item's handling along the transition table, internal notes,
// re-routing, topic corrections (which the classifier learns from), likely
// duplicates, escalation of overdue items, and the e-mail telling a
// citizen their item was answered. Its HTTP API and pages are in
// handle_http.go and officer_pages.go; who may do what is the
// Authorizer's to say (feedback.read to see an item, feedback.handle to
// act on it, both on the item's receiving unit).
type Handling struct {
	svc       *Service
	st        *Store
	agencies  *Agencies
	responses *Responses
	mailer    Mailer
	publicURL string
	grace     int
	authz     Authorizer
	audit     Auditor
	csrf      func(*http.Request) string
	csrfField string
	login     string
	pages     Pages
	log       *slog.Logger
	now       func() time.Time

	learnMu sync.Mutex
	learnt  learntState
}

// HandlingOptions are what the officers' side needs beyond the Service.
type HandlingOptions struct {
	// Agencies is the directory of agencies items are forwarded to; nil
	// means DefaultAgencies().
	Agencies *Agencies
	// Responses are the model texts; nil means DefaultResponses().
	Responses *Responses
	// Mailer, when set, tells a citizen who left an e-mail address that
	// their item was answered; nil sends nothing.
	Mailer Mailer
	// PublicURL is the site's address, for the status page's link in an
	// e-mail ("https://pakn.mattranso.vn", no final slash).
	PublicURL string
	// Grace is the working days an overdue item waits before it is
	// escalated to the parent unit; 0 escalates as soon as it is overdue,
	// a negative value means DefaultGrace.
	Grace int
	// Authorizer is asked before every read and every change; nil
	// refuses them all, saying that sign-on is not configured.
	Authorizer Authorizer
	// Auditor records every change; nil leaves the item's history only.
	Auditor Auditor
	// CSRF returns the token the pages' forms carry, in the field
	// CSRFField ("" means "csrf_token"); nil puts none.
	CSRF      func(r *http.Request) string
	CSRFField string
	// LoginURL is where the pages send someone who must sign in, with
	// ?next= added; "" means "/auth/login".
	LoginURL string
	Logger   *slog.Logger
	// Now is the clock of overdue marks and escalation; nil means the
	// Service's.
	Now func() time.Time
}

// DefaultGrace is the working days an overdue item waits before it is
// escalated.
const DefaultGrace = 2

// The limits of what officers write, in characters.
const (
	MaxReason = 2000
	MaxAnswer = 10000
	MaxNote   = 5000
)

// NewHandling returns the officers' side of svc. It refuses responses
// for topics the taxonomy does not hold.
func NewHandling(svc *Service, o HandlingOptions) (*Handling, error) {
	if svc == nil {
		return nil, errors.New("feedback: NewHandling needs the Service")
	}
	h := &Handling{svc: svc, st: svc.store, agencies: o.Agencies, responses: o.Responses, mailer: o.Mailer,
		publicURL: strings.TrimRight(o.PublicURL, "/"), grace: o.Grace, authz: o.Authorizer, audit: o.Auditor,
		csrf: o.CSRF, csrfField: o.CSRFField, login: o.LoginURL, log: o.Logger, now: o.Now}
	if h.agencies == nil {
		h.agencies = DefaultAgencies()
	}
	if h.responses == nil {
		h.responses = DefaultResponses()
	}
	if err := h.responses.Check(func(id string) bool { _, ok := svc.names[id]; return ok }); err != nil {
		return nil, err
	}
	if h.grace < 0 {
		h.grace = DefaultGrace
	}
	if h.authz == nil {
		h.authz = notConfigured{}
	}
	if h.csrfField == "" {
		h.csrfField = "csrf_token"
	}
	if h.login == "" {
		h.login = "/auth/login"
	}
	if h.log == nil {
		h.log = svc.log
	}
	if h.now == nil {
		h.now = svc.now
	}
	return h, nil
}

// Actor is who makes a change and from which address, for the item's
// history.
type Actor struct {
	Name string
	IP   string
}

// Move is a change of state an officer asks for: the body of POST
// …/items/{id}/transition. Reason is required to reject and is kept in
// the history otherwise; Agency is required to forward (a directory name
// or "Khác: <name>"), Answer to answer (the public text), Outcome to
// close.
type Move struct {
	To      State   `json:"to"`
	Reason  string  `json:"reason"`
	Agency  string  `json:"agency"`
	Answer  string  `json:"answer"`
	Outcome Outcome `json:"outcome"`
}

// officerText checks and cleans what an officer wrote in field: valid
// text, NFC, trimmed, at most max characters.
func officerText(field, s string, max int) (string, *api.Error) {
	if e := api.CheckText(field, s); e != nil {
		return "", e
	}
	s = strings.TrimSpace(corpus.NFC(s))
	if c := utf8.RuneCountInString(s); c > max {
		return "", bad("too_long", field, fmt.Sprintf("Trường %q dài %d ký tự, tối đa %d.", field, c, max),
			fmt.Sprintf("%s is %d characters long, at most %d", field, c, max))
	}
	return s, nil
}

// moveLabel is what the officer's button for a move says.
func moveLabel(from, to State) string {
	switch to {
	case Accepted:
		return "Thụ lý"
	case Rejected:
		return "Không thụ lý"
	case Forwarded:
		return "Chuyển cơ quan có thẩm quyền"
	case InProgress:
		if from == Answered || from == Closed {
			return "Mở lại để giải quyết tiếp"
		}
		return "Tự giải quyết"
	case Answered:
		return "Trả lời"
	case Closed:
		return "Kết thúc"
	}
	return string(to)
}

// Transition moves an item along the table (Moves) as m asks, with what
// the move needs, and writes it to the history as a's. Refusals are
// *api.Error: 400 naming the field that is missing, wrong or not used by
// this move; 404 for no such item; 409 naming "to" for a move the table
// does not allow from the item's state. An answer to an item whose
// sender left an e-mail address writes the message to the outbox in the
// same transaction.
func (h *Handling) Transition(ctx context.Context, id int64, m Move, a Actor) (Item, error) {
	m.To = State(strings.TrimSpace(string(m.To)))
	if m.To == "" {
		return Item{}, bad("required", "to", "Cần chọn trạng thái chuyển đến (to).", "to is required")
	}
	if !m.To.Valid() {
		return Item{}, bad("invalid_state", "to", fmt.Sprintf("Trạng thái %q không có; các trạng thái: %s.", m.To, stateList(States)),
			fmt.Sprintf("%q is not a state", m.To))
	}
	var e *api.Error
	if m.Reason, e = officerText("reason", m.Reason, MaxReason); e != nil {
		return Item{}, e
	}
	if m.Agency, e = officerText("agency", m.Agency, MaxAgency+len(OtherAgency)); e != nil {
		return Item{}, e
	}
	if m.Answer, e = officerText("answer", m.Answer, MaxAnswer); e != nil {
		return Item{}, e
	}
	m.Outcome = Outcome(strings.TrimSpace(string(m.Outcome)))
	for _, f := range []struct {
		name, value string
		used        State
	}{{"agency", m.Agency, Forwarded}, {"answer", m.Answer, Answered}, {"outcome", string(m.Outcome), Closed}} {
		if f.value != "" && m.To != f.used {
			return Item{}, bad("unexpected_field", f.name,
				fmt.Sprintf("Trường %q chỉ dùng khi chuyển sang %s (%s), không dùng khi chuyển sang %s.", f.name, f.used, f.used.Label(), m.To),
				fmt.Sprintf("%s is only used when moving to %s", f.name, f.used))
		}
	}
	switch {
	case m.To == Rejected && m.Reason == "":
		return Item{}, bad("required", "reason", "Không thụ lý thì cần nêu lý do (reason).", "rejecting needs a reason")
	case m.To == Forwarded && m.Agency == "":
		return Item{}, bad("required", "agency", "Chuyển đi thì cần chọn cơ quan có thẩm quyền (agency).", "forwarding needs the agency")
	case m.To == Answered && m.Answer == "":
		return Item{}, bad("required", "answer", "Trả lời thì cần nội dung trả lời (answer).", "answering needs the answer")
	case m.To == Closed && m.Outcome == "":
		return Item{}, bad("required", "outcome", "Kết thúc thì cần chọn kết quả (outcome): resolved, partly_resolved hoặc not_resolved.",
			"closing needs an outcome")
	case m.To == Closed && !m.Outcome.Valid():
		return Item{}, bad("invalid_outcome", "outcome", fmt.Sprintf("Kết quả %q không có; chọn resolved (đã giải quyết), partly_resolved (giải quyết một phần) hoặc not_resolved (chưa giải quyết được).", m.Outcome),
			"outcome must be resolved, partly_resolved or not_resolved")
	}
	before, err := h.st.Item(ctx, id)
	if err != nil {
		return Item{}, err
	}
	if !CanMove(before.State, m.To) {
		return Item{}, illegalMove(before.State, m.To)
	}
	unitName := h.unitName(ctx, before.Unit)
	if m.To == Forwarded {
		list, err := h.AgenciesFor(ctx, before.Unit)
		if err != nil {
			return Item{}, err
		}
		agency, ok := Resolve(list, m.Agency)
		if !ok {
			return Item{}, bad("unknown_agency", "agency",
				fmt.Sprintf("Cơ quan %q không có trong danh mục của %s; chọn một cơ quan trong danh mục, hoặc ghi \"Khác: <tên cơ quan>\".", m.Agency, unitName),
				"agency is not in the directory; name another as \"Khác: <name>\"")
		}
		m.Agency = agency
	}
	var detail []string
	switch m.To {
	case Rejected:
		detail = append(detail, "Lý do: "+m.Reason)
	case Forwarded:
		detail = append(detail, "Cơ quan: "+m.Agency)
	case Closed:
		detail = append(detail, "Kết quả: "+m.Outcome.Label())
	}
	if m.Reason != "" && m.To != Rejected {
		detail = append(detail, "Ghi chú: "+m.Reason)
	}
	ch := Change{Actor: a.Name, Action: "move", Detail: strings.Join(detail, ". "), IP: a.IP}
	return h.st.Update(ctx, id, ch, func(ctx context.Context, tx Querier, it *Item) error {
		if !CanMove(it.State, m.To) {
			return illegalMove(it.State, m.To)
		}
		if m.To == Forwarded && it.Unit != before.Unit {
			return changedMeanwhile()
		}
		it.State = m.To
		switch m.To {
		case Rejected:
			it.Reason = m.Reason
		case Forwarded:
			it.Agency = m.Agency
		case Answered:
			it.Answer = m.Answer
			return h.notifyAnswered(ctx, tx, it, unitName)
		case Closed:
			it.Outcome = m.Outcome
		}
		return nil
	})
}

// illegalMove is the 409 of a move the table does not allow.
func illegalMove(from, to State) *api.Error {
	allowed := "không chuyển sang trạng thái nào được nữa"
	if len(Moves[from]) > 0 {
		allowed = "chỉ chuyển được sang " + stateList(Moves[from])
	}
	return &api.Error{Status: http.StatusConflict, Code: "invalid_transition", Field: "to",
		Message: fmt.Sprintf("Không chuyển được phản ánh từ %q (%s) sang %q (%s): từ %s %s (cannot move from %s to %s).",
			from, from.Label(), to, to.Label(), from, allowed, from, to)}
}

func changedMeanwhile() *api.Error {
	return &api.Error{Status: http.StatusConflict, Code: "changed", Field: "id",
		Message: "Phản ánh vừa được người khác chuyển đơn vị; hãy tải lại trang rồi thực hiện lại (the item changed meanwhile)."}
}

func stateList(states []State) string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = fmt.Sprintf("%s (%s)", s, s.Label())
	}
	return strings.Join(out, ", ")
}

// unitName is a unit's Vietnamese name, its id when it cannot be read.
func (h *Handling) unitName(ctx context.Context, unit string) string {
	u, err := org.ParseUnit(unit)
	if err != nil {
		return unit
	}
	t, err := h.st.territories.Territory(ctx, u.Territory)
	if err != nil {
		return unit
	}
	return org.UnitName(t, u.Org)
}

// AgenciesFor lists the agencies an item received by unit may be
// forwarded to.
func (h *Handling) AgenciesFor(ctx context.Context, unit string) ([]string, error) {
	u, err := org.ParseUnit(unit)
	if err != nil {
		return nil, fmt.Errorf("feedback: agencies of %s: %w", unit, err)
	}
	t, err := h.st.territories.Territory(ctx, u.Territory)
	if err != nil {
		return nil, fmt.Errorf("feedback: agencies of %s: %w", unit, err)
	}
	return h.agencies.For(u, t.Name), nil
}

// CheckUnit reads a unit an officer typed: its canonical id once it
// exists, or a 400 naming "unit".
func (h *Handling) CheckUnit(ctx context.Context, unit string) (string, error) {
	unit = strings.TrimSpace(unit)
	if unit == "" {
		return "", bad("required", "unit", "Cần nhập đơn vị chuyển đến, ví dụ 79/MTTQ.", "unit is required")
	}
	u, err := org.ParseUnit(unit)
	if err != nil {
		return "", bad("invalid_unit", "unit",
			fmt.Sprintf("Đơn vị %q không hợp lệ: cần dạng ĐỊA_BÀN/TỔ_CHỨC, ví dụ 26734/MTTQ, 79/MTTQ, VN/MTTQ.", unit),
			fmt.Sprintf("unit %q is not a unit id such as 79/MTTQ", unit))
	}
	t, err := h.st.territories.Territory(ctx, u.Territory)
	switch {
	case errors.Is(err, org.ErrNotFound):
		return "", bad("unknown_unit", "unit", fmt.Sprintf("Không có địa bàn nào mã %s.", u.Territory),
			fmt.Sprintf("no territory has code %s", u.Territory))
	case err != nil:
		return "", err
	case t.Retired():
		return "", bad("unknown_unit", "unit", fmt.Sprintf("%s đã ngừng hoạt động.", t.Name), fmt.Sprintf("%s is retired", u.Territory))
	}
	return u.String(), nil
}

// Reroute sends an open item to another unit (already checked by
// CheckUnit, and within the officer's reach: that is the caller's), with
// the reason in the history. The deadline stays the one the citizen was
// given.
func (h *Handling) Reroute(ctx context.Context, id int64, unit, reason string, a Actor) (Item, error) {
	reason, e := officerText("reason", reason, MaxReason)
	if e != nil {
		return Item{}, e
	}
	if reason == "" {
		return Item{}, bad("required", "reason", "Chuyển đơn vị thì cần nêu lý do (reason).", "re-routing needs a reason")
	}
	before, err := h.st.Item(ctx, id)
	if err != nil {
		return Item{}, err
	}
	ch := Change{Actor: a.Name, Action: "reroute", IP: a.IP,
		Detail: fmt.Sprintf("%s → %s. Lý do: %s", before.Unit, unit, reason)}
	return h.st.Update(ctx, id, ch, func(ctx context.Context, _ Querier, it *Item) error {
		switch {
		case !it.State.Open():
			return &api.Error{Status: http.StatusConflict, Code: "not_open", Field: "unit",
				Message: fmt.Sprintf("Phản ánh đang ở trạng thái %s: chỉ chuyển đơn vị được khi chưa trả lời, chưa kết thúc (only open items are re-routed).", it.State.Label())}
		case it.Unit == unit:
			return bad("same_unit", "unit", fmt.Sprintf("Phản ánh đã ở đơn vị %s.", unit), "the item is already at that unit")
		case it.Unit != before.Unit:
			return changedMeanwhile()
		}
		it.Unit = unit
		return nil
	})
}

// CorrectTopic sets an item's topic as an officer corrected it, stores the
// correction in the same transaction (what the classifier is retrained
// on), and then teaches the classifier in service. An item still
// received and where the routing put it is routed again by its new topic:
// a topic configured as higher-level sends it up.
func (h *Handling) CorrectTopic(ctx context.Context, id int64, topicID string, a Actor) (Item, error) {
	topicID = strings.TrimSpace(topicID)
	if topicID == "" {
		return Item{}, bad("required", "topic", "Cần chọn lĩnh vực (topic).", "topic is required")
	}
	if _, ok := h.svc.names[topicID]; !ok {
		return Item{}, bad("unknown_topic", "topic", fmt.Sprintf("Lĩnh vực %q không có trong danh mục; các lĩnh vực: %s.", topicID, strings.Join(h.svc.tax.IDs(), ", ")),
			fmt.Sprintf("topic %q is not a topic of the taxonomy", topicID))
	}
	before, err := h.st.Item(ctx, id)
	if err != nil {
		return Item{}, err
	}
	detail := fmt.Sprintf("%s → %s", orNone(before.Topic), topicID)
	var (
		corrID int64
		text   string
	)
	it, err := h.st.Update(ctx, id, Change{Actor: a.Name, Action: "topic", Detail: detail, IP: a.IP},
		func(ctx context.Context, tx Querier, it *Item) error {
			if err := h.st.RecordCorrection(ctx, tx, Correction{ItemID: it.ID, Text: it.Content, Topic: topicID, Actor: a.Name}); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM feedback_corrections WHERE item_id = $1`, it.ID).Scan(&corrID); err != nil {
				return fmt.Errorf("feedback: correction of item %d: %w", it.ID, err)
			}
			text = it.Content
			routed := h.svc.rules.Route(it.Level, it.Topic, it.Commune, it.Province)
			it.Topic, it.TopicSource, it.TopicFlagged = topicID, TopicOfficer, false
			if it.State == Received && it.Unit == routed {
				unit, due := it.Unit, it.DueAt
				h.svc.route(it)
				if it.Unit == unit {
					it.DueAt = due
				}
			}
			return nil
		})
	if err != nil {
		return Item{}, err
	}
	h.learnCorrection(ctx, corrID, text, topicID)
	return it, nil
}

func orNone(s string) string {
	if s == "" {
		return "(chưa có)"
	}
	return s
}

// AddNote adds an internal note, never shown publicly.
func (h *Handling) AddNote(ctx context.Context, id int64, text string, a Actor) (Note, error) {
	text, e := officerText("text", text, MaxNote)
	if e != nil {
		return Note{}, e
	}
	if text == "" {
		return Note{}, bad("required", "text", "Cần nhập nội dung ghi chú (text).", "text is required")
	}
	return h.st.AddNote(ctx, id, a.Name, text, a.IP)
}

// LinkDuplicate marks an item a duplicate of another (of), or unmarks it
// (of nil). An item marked a duplicate of one that is itself a duplicate
// is linked to that one's original, so that links are never chains.
func (h *Handling) LinkDuplicate(ctx context.Context, id int64, of *int64, a Actor) (Item, error) {
	detail := "Bỏ đánh dấu trùng"
	if of != nil {
		if *of == id {
			return Item{}, bad("self_duplicate", "of", "Phản ánh không thể trùng với chính nó.", "an item cannot duplicate itself")
		}
		orig, err := h.st.Item(ctx, *of)
		if errors.Is(err, ErrNotFound) {
			return Item{}, bad("unknown_item", "of", fmt.Sprintf("Không có phản ánh nào số %d.", *of), fmt.Sprintf("no item %d", *of))
		}
		if err != nil {
			return Item{}, err
		}
		if orig.DuplicateOf != nil {
			o := *orig.DuplicateOf
			of = &o
			if o == id {
				return Item{}, bad("self_duplicate", "of", "Phản ánh kia đã được đánh dấu là trùng với phản ánh này.", "that item is marked a duplicate of this one")
			}
			if orig, err = h.st.Item(ctx, o); err != nil {
				return Item{}, err
			}
		}
		detail = "Trùng với " + FormatCode(orig.Code)
	}
	return h.st.Update(ctx, id, Change{Actor: a.Name, Action: "duplicate", Detail: detail, IP: a.IP},
		func(ctx context.Context, _ Querier, it *Item) error {
			it.DuplicateOf = of
			return nil
		})
}

// Similar is an item like another, with how alike they are (0 to 1).
type Similar struct {
	Item  Item
	Score float64
}

// The likely duplicates: how alike two texts must be, how many of an
// item's neighbours are compared, how many are shown.
const (
	DuplicateScore  = 0.5
	duplicateShared = 3
	duplicatePool   = MaxList
	duplicateShown  = 5
)

// Duplicates returns the open items of the same commune, within units'
// subtrees, whose text is like it's — likely duplicates for an officer to
// link or keep — the most alike first. Texts are compared as sets of
// words folded by corpus (so a text typed without diacritics matches one
// with them), without the commonest function words: the cosine of the
// two sets, at least DuplicateScore, with at least three words shared.
func (h *Handling) Duplicates(ctx context.Context, it Item, units []string) ([]Similar, error) {
	page, err := h.st.List(ctx, Query{Units: units, States: OpenStates, Commune: it.Commune, Limit: duplicatePool})
	if err != nil {
		return nil, err
	}
	mine := wordSet(it.Content)
	var out []Similar
	for _, o := range page.Items {
		if o.ID == it.ID {
			continue
		}
		if s := setCosine(mine, wordSet(o.Content)); s >= DuplicateScore {
			out = append(out, Similar{Item: o, Score: s})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > duplicateShown {
		out = out[:duplicateShown]
	}
	return out, nil
}

// stopWords are folded function words too common in petitions to say
// two are alike.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`toi chung ong ba anh chi em xin kinh gui de nghi
		va la cua cac nhung mot co khong da dang se duoc bi cho voi trong tren tai ve den tu
		nay do thi ma nen vi neu rat qua nhieu lam van con cung hay hoac theo sau khi
		nguoi dan nha`) {
		stopWords[w] = true
	}
}

func wordSet(text string) map[string]bool {
	set := map[string]bool{}
	for _, t := range corpus.Terms(text) {
		if !stopWords[t] {
			set[t] = true
		}
	}
	return set
}

// setCosine is |a∩b| / √(|a|·|b|), 0 when fewer than duplicateShared
// words are shared.
func setCosine(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	shared := 0
	for w := range a {
		if b[w] {
			shared++
		}
	}
	if shared < duplicateShared {
		return 0
	}
	return float64(shared) / math.Sqrt(float64(len(a))*float64(len(b)))
}

// inSubtrees reports whether item id is in units' subtrees.
func (s *Store) inSubtrees(ctx context.Context, id int64, units []string) (bool, error) {
	args := []any{id}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	scope, err := s.subtrees(ctx, units, arg)
	if err != nil || scope == "" {
		return false, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM feedback_items WHERE id = $1 AND `+scope, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("feedback: item %d in scope: %w", id, err)
	}
	return n > 0, nil
}

// QueueCounts are the counts a queue shows over units' subtrees.
type QueueCounts struct {
	States  map[State]int `json:"states"`
	Total   int           `json:"total"`
	Overdue int           `json:"overdue"` // open past their deadline
	Flagged int           `json:"flagged"` // open with a topic to check
}

// Counts counts the items of units' subtrees by state, and the open ones
// overdue at now or flagged.
func (h *Handling) Counts(ctx context.Context, units []string, now time.Time) (QueueCounts, error) {
	c := QueueCounts{States: map[State]int{}}
	for _, s := range States {
		c.States[s] = 0
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	scope, err := h.st.subtrees(ctx, units, arg)
	if err != nil || scope == "" {
		return c, err
	}
	open := "state IN ('received', 'accepted', 'forwarded', 'in_progress')"
	rows, err := h.st.db.QueryContext(ctx, `SELECT state, COUNT(*),
			COALESCE(SUM(CASE WHEN `+open+` AND due_at < `+arg(now.Unix())+` THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN `+open+` AND topic_flagged THEN 1 ELSE 0 END), 0)
		FROM feedback_items WHERE `+scope+` GROUP BY state`, args...)
	if err != nil {
		return c, fmt.Errorf("feedback: counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st                string
			n, overdue, flags int
		)
		if err := rows.Scan(&st, &n, &overdue, &flags); err != nil {
			return c, fmt.Errorf("feedback: counts: %w", err)
		}
		c.States[State(st)] += n
		c.Total += n
		c.Overdue += overdue
		c.Flagged += flags
	}
	return c, rows.Err()
}

// responsesFor are the model texts for item's next moves, filled in.
func (h *Handling) responsesFor(ctx context.Context, it Item) []Filled {
	f := Fields{Code: it.Code, Unit: h.unitName(ctx, it.Unit), Topic: h.svc.names[it.Topic], Agency: it.Agency,
		Due: it.DueAt, Sent: it.CreatedAt, Place: h.placeName(ctx, it)}
	var out []Filled
	for _, mv := range ResponseMoves {
		if !slices.Contains(Moves[it.State], mv) {
			continue
		}
		for _, r := range h.responses.For(it.Topic, mv) {
			out = append(out, Filled{ID: r.ID, Move: r.Move, Title: r.Title, Text: r.Fill(f)})
		}
	}
	return out
}

// Filled is a model text filled in for one item.
type Filled struct {
	ID    string `json:"id"`
	Move  State  `json:"move"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// placeName is "commune, province" of an item.
func (h *Handling) placeName(ctx context.Context, it Item) string {
	var parts []string
	for _, code := range []string{it.Commune, it.Province} {
		if t, err := h.st.territories.Territory(ctx, code); err == nil {
			parts = append(parts, t.Name)
		}
	}
	return strings.Join(parts, ", ")
}
