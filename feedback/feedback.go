// Package feedback owns citizens' feedback and petitions (phản ánh, kiến
// nghị): the items and their handling states, their storage (items,
// submitters' contacts, photos, history, notes, topic corrections), public
// intake without an account, routing to the receiving Front committee,
// working-day deadlines, and the public status of an item.
//
// # An item's life
//
//	from         to
//	received     accepted, rejected (with a reason; rejected is final)
//	accepted     forwarded (to an agency), in_progress (handled by the Front itself)
//	forwarded    in_progress, answered (with the agency's answer)
//	in_progress  answered (with the public answer), forwarded (to another agency)
//	answered     closed (with an outcome), in_progress (reopened)
//	closed       in_progress (reopened)
//
// The moves allowed are the table [Moves] ([CanMove]): an item is accepted
// or rejected (with a reason); an accepted item is forwarded to a
// competent agency (which, and when) or handled by the committee itself
// (in_progress); an item in progress may be forwarded again when the
// agency was not the competent one; an answer (the public text) is given
// from in_progress or straight from forwarded when the agency answered; an answered item is closed with an [Outcome] (resolved,
// partly_resolved, not_resolved) or reopened, and a closed one may be
// reopened too, both back to in_progress. Rejected is final. Every move is
// a history event (feedback_events) with who, when, from which address.
//
// # Levels and routing
//
// A citizen addresses an item to a [Level] — the commune (default), the
// province or the centre — and it is received by the Front committee of
// that level and territory: COMMUNE/MTTQ, PROVINCE/MTTQ of the commune's
// province, or VN/MTTQ. Topics configured as higher-level (by default
// tham_nhung_tieu_cuc, corruption, goes at least to the province) raise
// the receiving level; they never lower it. See [Rules].
//
// # Deadlines
//
// An item is due a number of working days after it was received (weekends
// and holidays, Tết included, skipped by a [Calendar]); the number comes
// from the configuration per topic and level ([Rules.Days]). The clock
// stops when the item is answered: "on time" means answered by due_at.
//
// # Tagging
//
// Every item is tagged at intake by a [Classifier]. When the citizen chose
// a topic, theirs is kept (topic_source "citizen") and the classifier's
// confidence in that same topic is stored, so that an officer sees when
// the classifier disagrees; the item is flagged for an officer when that
// confidence is below the threshold. When the classifier is not ready
// yet (it is trained in the background at first start) the item is
// stored untagged (topic "", topic_source "") and flagged, and
// [Service.TagPending] tags it later: intake never waits for training.
//
// # Personal data
//
// The submitter's name, phone and email are kept in feedback_contacts,
// apart from the items, so that no public query can join them by
// accident; the address and GPS position stay in the item but are never
// shown publicly. The public sees public_text (the content with personal
// data removed, at intake), the topic, the commune, the receiving unit,
// the dates, public_answer (the answer with personal data removed) and
// the history of states — never the content as sent, contacts, address,
// position or internal notes. The public list and pages show only items
// an officer reviewed and published ([Service.Publish]; [PublicItem] is
// all they read); the status page of a tracking code shows the public
// answer.
//
// # The Store
//
// [Store] keeps the items; everything that changes one after intake goes
// through it:
//
//   - [Store.Item], [Store.ItemByCode]: one item, by id or tracking code;
//   - [Store.List]: the items of units' subtrees ([Query.Units], as
//     auth.Scopes gives them), filtered by state, topic, commune or flag,
//     newest first, page by page;
//   - [Store.Update]: the one way to change an item — the function given
//     changes it in a locked transaction (and may write there too: a
//     correction, a note), the move is checked against [Moves], and one
//     history event is written;
//   - [Store.Contact] (officers of the receiving unit only), [Store.Photos]
//     and [Store.Blobs] for their bytes, [Store.Events], [Store.Notes],
//     [Store.AddNote], [Store.AddEvent], [Store.RecordCorrection] and
//     [Store.Corrections] (what the classifier is retrained on).
//
// Intake goes through [Service.Submit], which checks, tags and routes a
// submission and hands it to [Store.Create].
//
// # Durability
//
// An item is acknowledged only once it is durably committed together with
// its contact, photos, idempotency record and first history event. On
// SQLite a committer gathers the submissions waiting and commits them in
// one transaction on a connection with synchronous=FULL, each in its own
// savepoint (group commit); on PostgreSQL the batcher sends the
// submissions waiting as one pipeline that PostgreSQL commits as one
// transaction with synchronous_commit on (a submission with photos is a
// transaction of its own). See [StoreOptions.RelaxedDurability].
package feedback

import (
	"errors"
	"fmt"
	"time"
)

// State is where an item is in its handling.
type State string

// The states, in the order an item usually goes through them.
const (
	Received   State = "received"    // sent by a citizen, not yet looked at
	Accepted   State = "accepted"    // taken up by the receiving unit
	Rejected   State = "rejected"    // refused, with a reason; final
	Forwarded  State = "forwarded"   // sent to a competent agency
	InProgress State = "in_progress" // being handled
	Answered   State = "answered"    // an answer was given
	Closed     State = "closed"      // done, with an outcome
)

// States lists every state in order.
var States = []State{Received, Accepted, Rejected, Forwarded, InProgress, Answered, Closed}

// OpenStates are the states whose deadline runs: not yet answered,
// rejected or closed.
var OpenStates = []State{Received, Accepted, Forwarded, InProgress}

var stateLabels = map[State]string{
	Received:   "Đã tiếp nhận",
	Accepted:   "Đã thụ lý",
	Rejected:   "Không thụ lý",
	Forwarded:  "Đã chuyển cơ quan có thẩm quyền",
	InProgress: "Đang giải quyết",
	Answered:   "Đã trả lời",
	Closed:     "Đã kết thúc",
}

// Valid reports whether s is one of States.
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok }

// Label is the state's Vietnamese name, as the public sees it.
func (s State) Label() string { return stateLabels[s] }

// Open reports whether the item's deadline is running.
func (s State) Open() bool {
	for _, o := range OpenStates {
		if s == o {
			return true
		}
	}
	return false
}

// Moves is the transition table: the states an item may move to from
// each state. It is data, so that the handlers, the pages (which buttons
// to show) and the tests read the same table.
var Moves = map[State][]State{
	Received:   {Accepted, Rejected},
	Accepted:   {Forwarded, InProgress},
	Forwarded:  {InProgress, Answered},
	InProgress: {Forwarded, Answered},
	Answered:   {Closed, InProgress},
	Closed:     {InProgress},
	Rejected:   nil,
}

// CanMove reports whether an item may move from one state to another.
// Staying in the same state is not a move.
func CanMove(from, to State) bool {
	for _, s := range Moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Level is the level of the Front an item is addressed to.
type Level string

// The levels, commune the default.
const (
	LevelCommune  Level = "commune"
	LevelProvince Level = "province"
	LevelCentral  Level = "central"
)

// Levels lists the levels from the lowest.
var Levels = []Level{LevelCommune, LevelProvince, LevelCentral}

// ParseLevel reads a level; "" is the commune.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case "":
		return LevelCommune, nil
	case LevelCommune, LevelProvince, LevelCentral:
		return l, nil
	}
	return "", fmt.Errorf("feedback: level %q: want commune, province or central", s)
}

// rank orders the levels, the commune lowest.
func (l Level) rank() int {
	switch l {
	case LevelProvince:
		return 1
	case LevelCentral:
		return 2
	}
	return 0
}

// Label is the level's Vietnamese name.
func (l Level) Label() string {
	switch l {
	case LevelProvince:
		return "Cấp tỉnh"
	case LevelCentral:
		return "Trung ương"
	}
	return "Cấp xã"
}

// Outcome is how a closed item ended.
type Outcome string

// The closing outcomes.
const (
	Resolved       Outcome = "resolved"
	PartlyResolved Outcome = "partly_resolved"
	NotResolved    Outcome = "not_resolved"
)

// Outcomes lists the closing outcomes.
var Outcomes = []Outcome{Resolved, PartlyResolved, NotResolved}

// Valid reports whether o is one of Outcomes.
func (o Outcome) Valid() bool { return o == Resolved || o == PartlyResolved || o == NotResolved }

// Label is the outcome's Vietnamese name.
func (o Outcome) Label() string {
	switch o {
	case Resolved:
		return "Đã giải quyết"
	case PartlyResolved:
		return "Giải quyết một phần"
	case NotResolved:
		return "Chưa giải quyết được"
	}
	return ""
}

// Where the topic of an item came from (Item.TopicSource).
const (
	TopicPending    = ""           // not tagged yet: the classifier was not ready
	TopicCitizen    = "citizen"    // chosen by the citizen
	TopicClassifier = "classifier" // chosen by the classifier
	TopicOfficer    = "officer"    // corrected by an officer
)

// Item is one piece of feedback. The submitter's contact is apart
// (Contact), as are its photos, history and notes.
type Item struct {
	ID   int64
	Code string // the tracking code, canonical: 10 characters, no dash (see FormatCode)

	Content string // as the citizen wrote it (NFC); never shown publicly
	// PublicText is the content with personal data removed: redacted
	// at intake, then as an officer reviewed it (see Publish); nil (NULL)
	// for an item stored without it.
	PublicText *string

	Province string // territory codes
	Commune  string
	Village  string // "" when not given
	Address  string
	Lat, Lon *float64

	Level Level
	Unit  string // the receiving unit, "26734/MTTQ"
	// UnitPath is the territory path of Unit ("VN/79/26734/"), which the
	// subtree listings range over.
	UnitPath string

	Topic           string
	TopicConfidence float64
	TopicFlagged    bool
	TopicSource     string

	State   State
	Outcome Outcome // set when closed
	Reason  string  // why it was rejected
	Agency  string  // the competent agency it was forwarded to
	Answer  string  // the public answer

	Published bool

	CreatedAt   time.Time
	UpdatedAt   time.Time
	DueAt       time.Time
	ForwardedAt *time.Time
	AnsweredAt  *time.Time
	ClosedAt    *time.Time
	EscalatedAt *time.Time
	PublishedAt *time.Time
	DuplicateOf *int64
}

// Overdue reports whether the item is open past its deadline at now.
func (it *Item) Overdue(now time.Time) bool { return it.State.Open() && now.After(it.DueAt) }

// Contact is the submitter of an item, as they chose to give it; any part
// may be "".
type Contact struct {
	Name  string
	Phone string
	Email string
}

// Empty reports whether the submitter gave nothing.
func (c Contact) Empty() bool { return c.Name == "" && c.Phone == "" && c.Email == "" }

// Photo is a photo of an item: its stored image and thumbnail (keys of
// the Blobs), public only once an officer publishes it.
type Photo struct {
	ItemID      int64
	Seq         int // 1, 2, … in the order sent
	ContentType string
	Width       int
	Height      int
	Size        int
	BlobKey     string
	ThumbKey    string
	ThumbType   string
	Public      bool
}

// Event is one entry of an item's history.
type Event struct {
	ID     int64
	ItemID int64
	At     time.Time
	Actor  string // who: an officer's email, "citizen", "system"
	Action string // what: "submit", "move", "reroute", "topic", "publish", "escalate", …
	From   State  // the state before, "" when the state did not change
	To     State  // the state after, "" when the state did not change
	Detail string
	IP     string
}

// Note is an internal note on an item, never shown publicly.
type Note struct {
	ID     int64
	ItemID int64
	At     time.Time
	Author string
	Text   string
}

// Correction is an officer's correction of an item's topic: the text and
// the right topic, which the classifier learns from and is retrained on.
type Correction struct {
	ID     int64
	ItemID int64
	Text   string
	Topic  string
	At     time.Time
	Actor  string
}

// Errors returned (wrapped) by the Store and the Service.
var (
	// ErrNotFound: no item with that id or tracking code.
	ErrNotFound = errors.New("not found")
	// ErrTransition: a move the table does not allow, or one missing what
	// it requires (a reason, an agency, an answer, an outcome).
	ErrTransition = errors.New("transition not allowed")
	// ErrConflict: an Idempotency-Key already used for another request.
	ErrConflict = errors.New("idempotency key reused")
)
