// Package congress owns the congress records of a term: one per Front
// committee of a province or a commune (the unit PROVINCE/MTTQ or
// COMMUNE/MTTQ), with its date, place, status, delegates, the committee
// and officers elected, news and attachments; every change kept in a
// history whose row ids are the change stream that the live dashboard
// follows; the summary of a term (held, preparing, planned, postponed
// nationally or under a province); the JSON API, the reporter's entry
// form, bulk import and exports.
//
// # The store and the change stream
//
// The record, the Store and the change stream are what the live
// dashboard (stream.go, events.go, dashboard.go) reads:
//
//	Store.Get(ctx, term, territory)            a territory without a record: status planned, zero fields
//	Store.Put(ctx, term, territory, c, actor)  the record and a history row in one transaction;
//	                                           on PostgreSQL also pg_notify('congress_changes', id) in it;
//	                                           then Options.OnChange(Change) after commit
//	Store.ChangesSince(ctx, term, after, limit) history rows in id order
//	Store.LastChange(ctx, term)                 the newest history id of the term (0: none)
//	Store.List(ctx, term, Filter)               every congress in scope, records or not
//	Store.Summary(ctx, term, province, now)     the counts of the term ("" = national); upcoming
//	                                           counts from now's day in now's location (pass Now())
//	Store.SetOnChange(f)                        the in-process wake-up, set before serving
//	Store.DB()                                  the database, for LISTEN on NotifyChannel
//
// Dates (PlannedDate, NewDate, a news item's date) are civil dates
// written "2006-01-02" in a string, "" for none, because a congress day
// has no time zone. Put also takes Correction, the reason for a change
// that goes back (held → anything else, preparing → planned), which goes
// to the history and the audit, not to the record; Put keeps the stored
// attachments, which change only through AddAttachment and
// RemoveAttachment (each a change too).
//
// # Rules
//
// Expected congresses are the province and commune committees in scope:
// the province asked and its communes, or every province and commune for
// the nation; villages hold none. A territory with no record counts as
// planned. Status moves planned → preparing → held (skipping forward is
// allowed, for a reporter who reports late); any status may become
// postponed, which needs a reason and a new date; postponed may become
// planned, preparing or held; going back (held → other, preparing →
// planned) is a correction and needs a reason. Attending delegates are at
// most those summoned, the standing committee at most the committee.
//
// # Permissions
//
// Writing asks the Authorizer for congress.write on TERRITORY/MTTQ
// (reporters of the committee and of every level above it, by
// containment); the list, a congress and the summary are public, as the
// Front publishes them: chair and vice-chairs are public office holders.
// The history (who changed what) is for report.read in the subtree.
package congress

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattranso/mattranso/org"
)

// DefaultTerm is the term served when none is configured.
const DefaultTerm = "2026-2031"

// Errors returned (wrapped) by the Store.
var (
	// ErrNotFound: the term is not the one served, or the territory does
	// not exist.
	ErrNotFound = errors.New("congress: not found")
	// ErrInvalid: a field that cannot be stored; the error is a
	// *FieldError naming it.
	ErrInvalid = errors.New("congress: invalid")
	// ErrConflict: the record changed since the version the writer read.
	ErrConflict = errors.New("congress: changed meanwhile")
)

// FieldError is a refusal of one field, with a message for the person
// who sent it (Vietnamese, English in parentheses). Row is the import row
// (1-based, counting the header), 0 elsewhere.
type FieldError struct {
	Field   string
	Message string
	Row     int
}

func (e *FieldError) Error() string {
	if e.Row > 0 {
		return fmt.Sprintf("dòng %d, %s: %s", e.Row, e.Field, e.Message)
	}
	return e.Field + ": " + e.Message
}

// Is makes every FieldError an ErrInvalid for errors.Is.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, vi, en string) *FieldError {
	return &FieldError{Field: field, Message: vi + " (" + en + ")."}
}

// Status is where a congress stands.
type Status string

// The statuses, in their normal order, and postponed.
const (
	Planned   Status = "planned"
	Preparing Status = "preparing"
	Held      Status = "held"
	Postponed Status = "postponed"
)

// Statuses lists every status.
var Statuses = []Status{Planned, Preparing, Held, Postponed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	switch s {
	case Planned, Preparing, Held, Postponed:
		return true
	}
	return false
}

// Label is the status's Vietnamese name.
func (s Status) Label() string {
	switch s {
	case Planned:
		return "Theo kế hoạch"
	case Preparing:
		return "Đang chuẩn bị"
	case Held:
		return "Đã tổ chức"
	case Postponed:
		return "Hoãn"
	}
	return string(s)
}

// rank orders the normal path; postponed stands aside.
func (s Status) rank() int {
	switch s {
	case Preparing:
		return 1
	case Held:
		return 2
	}
	return 0
}

// ParseStatus reads a status name, in any letter case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	if !st.Valid() {
		return "", invalid("status", fmt.Sprintf("Trạng thái %q không hợp lệ: cần planned, preparing, held hoặc postponed", s),
			"status must be planned, preparing, held or postponed")
	}
	return st, nil
}

// Congress is the record of one committee's congress in a term.
type Congress struct {
	Term      string    `json:"term"`
	Territory string    `json:"territory"` // a province "79" or a commune "26734"
	Province  string    `json:"province"`  // the province code: the territory itself for a province
	Level     org.Level `json:"level"`     // province or commune
	// TerritoryName is the official name of the territory ("Phường Sài
	// Gòn"); filled in by the Store, never stored.
	TerritoryName string `json:"territory_name"`
	// Name is the congress's name; when none was given, the Store builds
	// it from the territory and the ordinal.
	Name    string `json:"name"`
	Ordinal string `json:"ordinal"` // a Roman numeral: "II", "XII"

	PlannedDate     string `json:"planned_date"` // "2006-01-02" or ""
	Place           string `json:"place"`
	Status          Status `json:"status"`
	PostponedReason string `json:"postponed_reason"`
	NewDate         string `json:"new_date"` // "2006-01-02" or ""

	DelegatesSummoned  *int `json:"delegates_summoned"`
	DelegatesAttending *int `json:"delegates_attending"`
	CommitteeSize      *int `json:"committee_size"`
	StandingSize       *int `json:"standing_size"`

	Chair           string   `json:"chair"`
	ViceChairs      []string `json:"vice_chairs"`
	DelegationAbove *int     `json:"delegation_above"` // delegates elected to the level above's congress
	Summary         string   `json:"summary"`

	News        []NewsItem   `json:"news"`
	Attachments []Attachment `json:"attachments"`

	// Correction is the reason for a change that goes back; it is kept
	// in the history, not in the record.
	Correction string `json:"correction,omitempty"`

	Version   int       `json:"version"` // 0: no record yet
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Date is the day the congress is expected: the new date of a postponed
// congress, else the planned one ("" when unknown).
func (c Congress) Date() string {
	if c.Status == Postponed && c.NewDate != "" {
		return c.NewDate
	}
	return c.PlannedDate
}

// Unit is the Front committee whose congress it is: TERRITORY/MTTQ.
func (c Congress) Unit() string { return org.UnitOf(c.Territory, org.MTTQ).String() }

// NewsItem is a piece of news about the congress.
type NewsItem struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Date  string `json:"date"` // "2006-01-02" or ""
}

// AttachmentKind is what an attachment is.
type AttachmentKind string

// The kinds of attachment.
const (
	Resolution AttachmentKind = "resolution" // the congress's resolution, a PDF
	Photo      AttachmentKind = "photo"      // a photo, cleaned like feedback's
)

// Attachment describes a stored file; its bytes are in the blob table.
type Attachment struct {
	ID          int64          `json:"id"`
	Kind        AttachmentKind `json:"kind"`
	Name        string         `json:"name"`
	ContentType string         `json:"content_type"`
	Size        int            `json:"size"`
	AddedAt     time.Time      `json:"added_at"`
}

// Summary is the progress of a term in a scope.
type Summary struct {
	Expected    int     `json:"expected"`
	Held        int     `json:"held"`
	Preparing   int     `json:"preparing"`
	Planned     int     `json:"planned"`
	Postponed   int     `json:"postponed"`
	Upcoming7d  int     `json:"upcoming_7d"`  // not held, expected from today to 7 days after, inclusive
	PercentHeld float64 `json:"percent_held"` // held × 100 / expected, to one decimal
}

// Change is one history row: a congress written.
type Change struct {
	ID        int64     `json:"id"` // the history row's id, increasing in commit order: the SSE event id
	Term      string    `json:"term"`
	Territory string    `json:"territory"`
	Province  string    `json:"province"`
	At        time.Time `json:"at"`
}

// Filter narrows a list.
type Filter struct {
	Province string    // a province code, "" for the nation
	Level    org.Level // org.Province or org.Commune, "" for both
	Status   Status    // "" for every status
}

// dateLayout is the form of every date.
const dateLayout = "2006-01-02"

// parseDate checks a civil date; "" is none.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Format(dateLayout) != s {
		return time.Time{}, invalid(field, fmt.Sprintf("Ngày %q không hợp lệ: cần dạng năm-tháng-ngày, ví dụ 2026-05-20", s),
			"not a date: want YYYY-MM-DD, e.g. 2026-05-20")
	}
	if t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, invalid(field, fmt.Sprintf("Ngày %q nằm ngoài khoảng năm 2000–2100", s),
			"the year must be between 2000 and 2100")
	}
	return t, nil
}

// builtName is the congress's name when none was given: "Đại hội đại
// biểu Mặt trận Tổ quốc Việt Nam phường Sài Gòn lần thứ II".
func builtName(territoryName, ordinal string) string {
	n := territoryName
	if r := []rune(n); len(r) > 0 {
		n = strings.ToLower(string(r[:1])) + string(r[1:])
	}
	name := "Đại hội đại biểu Mặt trận Tổ quốc Việt Nam " + n
	if ordinal != "" {
		name += " lần thứ " + ordinal
	}
	return name
}
