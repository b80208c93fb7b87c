// Package report owns the periodic reports of the units of the Front and
// its five organisations: the data sets (report forms as configuration),
// their periods, one report per unit, data set and period with its
// workflow (draft, submit, return, approve, lock), and the roll-ups —
// totals, completeness and timeliness, the units that have not reported,
// the texts gathered from below — that are always current. It imports
// org for the unit tree and nothing imports it but cmd.
//
// # Data sets
//
// A [Dataset] is a form: fields (number, integer, text, bool, choice) with
// their rules (a minimum such as non-negative, integer, LessOrEqual such
// as full_time ≤ staff, MaxDropPercent: a number that may not fall by
// more than N % from the unit's previous reported period unless the
// DropComment text field explains it), a period type (ISO weeks
// 2026-W47, months 2026-11, quarters 2026-Q4), the levels and
// organisations that file it, a deadline and a lock. [DefaultDatasets]
// is the seeds' weekly report; MATTRANSO_REPORT_DATASETS names a JSON
// file of data sets that replaces it ([LoadDatasets]).
//
// # The rules
//
// Who reports: a data set names levels and organisations; the default
// weekly set is filed by the commune-level units of all six organisations
// (villages may be added by configuration).
//
// Expected: a unit is expected in a period when its territory existed for
// the whole period — provinces and communes of the official list always
// (their list took effect on 1 July 2025); a village when it was created
// at or before the period's start and not retired before its end. A
// report from a unit that is not expected (a village created mid-week)
// counts in the totals but not in reported or on time — it is counted as
// Extra — so that completeness never exceeds 100 %.
//
// Reported: status submitted or approved. Drafts and returned reports do
// not count, and their values are not in the totals either.
//
// On time: the first submission was at or before the deadline, which is
// DeadlineDays after the period's last day at DeadlineHour, Vietnam time
// (the default: Monday 17:00 after the week). A report returned and
// submitted again keeps the timeliness of its first submission.
//
// Locked: a report is locked when approved, or when the period is past
// its deadline plus LockDays, unless an upper level granted the unit an
// exception that has not expired. A locked report is not changed (409
// locked); a report for a retired village is refused (409 retired), and
// a period beyond the current one (400 invalid_period).
//
// Saving: a save with submit makes the report submitted; a save without
// it keeps a submitted report submitted (its values change in the totals
// at once) and leaves a draft or a returned report as it was. Required
// fields are required at submission; a draft may be partial. Every
// change is atomic — the report, its history event and the running
// totals — and answered once committed; a refused change writes nothing.
//
// Approve and return act on a submitted report, from a higher territory
// only (report.approve asked through [OverAuthorizer], which cmd wires
// to auth.CanOver); return needs a reason and takes the report out of the
// totals until it is submitted again. An exception (until a time, with a
// reason) reopens a locked period for one unit; approval is final.
//
// # Roll-ups, always current
//
// Running totals are kept in report_buckets in the same transaction as
// the report write: one row per data set, period, organisation, bucket
// territory and field, where the bucket of a commune or village unit is
// its commune and the territory itself above; two extra fields count the
// reported and on-time reports. A roll-up of T/ORG sums the buckets whose
// path lies under T's path — a range scan on an indexed path that reads
// about 3,400 buckets per organisation nationally, whatever the history
// and the number of villages. The roll-up covers T itself and everything
// below, of organisation ORG, or of all organisations the data set has
// with all on a Front (MTTQ) unit. Villages created or retired during or
// after the period are few: they are read at query time and the counts
// corrected by the expected rule. Totals name every numeric field, 0
// where nothing was reported. [Service.Rebuild] recomputes the buckets
// from the reports; the property test checks both against a direct count.
//
// # Scale
//
// The target is 90,000 villages × 6 organisations × 52 weeks, about 28
// million reports. A write is the report's row (its primary key), its
// history event, and one upsert of the numeric fields' and the two
// counts' deltas into its bucket — whatever the size of the tree. On
// SQLite the writes waiting are committed together, each in a savepoint
// of its own (group commit), with statements prepared once per
// connection; on PostgreSQL a write's transaction is four round trips
// (begin; the row created if new, locked and read with its exception in
// one statement; the writes in another; commit) and the writers are
// admitted in turn, MaxWriters at a time (write.go).
// A roll-up reads, for its period only, the buckets under the unit
// (about 3,400 × 6 × 9 rows for the country, a hundredth of that for a
// province), the villages created or retired since the period began
// (two index ranges), the reports of those villages, and, for the
// missing list, the territories in path order until the limit is
// reached. None of it grows with the number of periods kept: history
// only adds rows of other periods to the same indexes. The completion
// table is one roll-up per child; a trend one per period.
//
// report/reporttest generates data at that scale in bulk, and `mattranso
// admin gen-reports --villages 90000 --weeks 52` fills a database with
// it; the benchmarks (bench_test.go) run on such a database named by
// MATTRANSO_BENCH_REPORT_DB, or on a reduced tree they generate, where
// the national roll-up is measured with 1 and with 12 weeks of history.
// BENCHMARKS.md has the full-scale figures on SQLite and PostgreSQL and
// the commands that took them.
//
// # Authorization and audit
//
//	action           unit            asked by
//	report.read      the unit        GET …/reports/{period}[/history], GET …/rollup (the roll-up's unit)
//	org.staff.read   the unit        GET …/rollup?contacts=1, besides report.read
//	report.file      the unit        PUT …/reports/{period}
//	report.approve   the unit        POST …/approve, …/return, …/exception — through
//	                                 OverAuthorizer: grants at a higher territory only
//
// Every change is written to the audit log through the [Auditor]
// (auth.AuditLog) as report.save, report.submit, report.approve,
// report.return or report.exception on the unit, the target being
// DATASET/PERIOD; the report's own history is kept in report_events.
//
// # Routes
//
//	GET  /api/v1/org/datasets                                         the data sets with fields and rules
//	GET  /api/v1/org/units/{territory}/{org}/reports/{period}          a report (?dataset=, default weekly)
//	PUT  /api/v1/org/units/{territory}/{org}/reports/{period}          {"values":{…},"submit":true}
//	GET  /api/v1/org/units/{territory}/{org}/reports/{period}/history  its changes: who, when, what
//	POST /api/v1/org/units/{territory}/{org}/reports/{period}/approve  {"note"} or nothing
//	POST /api/v1/org/units/{territory}/{org}/reports/{period}/return   {"reason"}
//	POST /api/v1/org/units/{territory}/{org}/reports/{period}/exception {"until","reason"}
//	GET  /api/v1/org/units/{territory}/{org}/rollup?period=…[&org=all][&dataset=][&missing_limit=N]
//	     [&children=1][&trend=N][&contacts=1][&format=csv|xlsx]
//
// contacts=1 adds whom to call about each missing unit listed, from the
// units' staff lists (org.Store.Contacts): personal data, so it also asks
// org.staff.read on the roll-up's unit.
//
// API errors are {"error":{"code","message","field"}}: 400 invalid_value
// (field: values.KEY), unknown_field, invalid_period, invalid_parameter,
// not_reporting (the unit does not file the data set), invalid_json;
// 401; 403; 404 not_found (territory, data set, report); 406
// unsupported_format; 409 locked, retired, wrong_status; 413; 415.
//
// # Types at a glance
//
// Field.DropComment names the text field that explains a drop beyond
// MaxDropPercent. Rebuild(ctx, dataset, period) recomputes the running
// totals ("" for every period). ChildRow is a Rollup with its child
// territory's name: one row of the completion table.
package report

import (
	"errors"
	"strings"
	"time"

	"github.com/mattranso/mattranso/org"
)

// Status is where a report is in its workflow.
type Status string

// The statuses.
const (
	Draft     Status = "draft"
	Submitted Status = "submitted"
	Returned  Status = "returned"
	Approved  Status = "approved"
)

// Reported reports whether a report of status s counts: submitted or
// approved.
func (s Status) Reported() bool { return s == Submitted || s == Approved }

// Report is one unit's report of a data set for a period.
type Report struct {
	Dataset          string         `json:"dataset"`
	Unit             org.Unit       `json:"unit"`
	Period           string         `json:"period"`
	Values           map[string]any `json:"values"`
	Status           Status         `json:"status"`
	SubmittedAt      *time.Time     `json:"submitted_at,omitempty"`
	FirstSubmittedAt *time.Time     `json:"first_submitted_at,omitempty"`
	ApprovedAt       *time.Time     `json:"approved_at,omitempty"`
	OnTime           bool           `json:"on_time"`
	ReturnReason     string         `json:"return_reason,omitempty"`
	// Locked says the report cannot be changed now, LockReason why
	// ("approved", "period_locked").
	Locked     bool   `json:"locked"`
	LockReason string `json:"lock_reason,omitempty"`
	// ExceptionUntil is when the unit's lock exception for the period
	// ends, if one was granted.
	ExceptionUntil *time.Time `json:"exception_until,omitempty"`
	Deadline       time.Time  `json:"deadline"`
	LockAt         time.Time  `json:"lock_at"`
	// Version counts the changes; 0 is a report never saved.
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Lock reasons.
const (
	LockApproved = "approved"
	LockPeriod   = "period_locked"
)

// FieldError is one refused value: the field's key and a message,
// Vietnamese first.
type FieldError struct {
	Field string `json:"field"`
	// Code is unknown_field, required, or invalid_value.
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ValidationError is the refusal of a report's values: every field that
// was wrong.
type ValidationError struct {
	Errors []FieldError `json:"errors"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Message
	}
	return "report: invalid values: " + strings.Join(parts, "; ")
}

// Errors returned (wrapped) by the Service; the handlers map them to
// statuses.
var (
	// ErrNotFound: no such territory, data set or report.
	ErrNotFound = errors.New("not found")
	// ErrNotReporting: the unit's level or organisation does not file the
	// data set.
	ErrNotReporting = errors.New("unit does not file this data set")
	// ErrFuture: a period beyond the current one.
	ErrFuture = errors.New("period in the future")
	// ErrLocked: the report is approved or its period locked.
	ErrLocked = errors.New("locked")
	// ErrRetired: the unit's village is retired.
	ErrRetired = errors.New("retired")
	// ErrStatus: the report's status does not allow the step (approving
	// a draft).
	ErrStatus = errors.New("wrong status")
	// ErrInvalid: a reason, a time or another argument that cannot be
	// used; the error is an *ArgumentError naming it.
	ErrInvalid = errors.New("invalid")
)

// ArgumentError is an argument refused: which one (reason, note, until,
// org) and why.
type ArgumentError struct {
	Arg, Why string
}

func (e *ArgumentError) Error() string { return "report: " + e.Arg + ": invalid: " + e.Why }

// Unwrap makes the error ErrInvalid.
func (e *ArgumentError) Unwrap() error { return ErrInvalid }
