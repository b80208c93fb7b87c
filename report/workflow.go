package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/org"
)

// MaxReasonLen bounds a return's or an exception's reason, in bytes.
const MaxReasonLen = 2000

// MaxExceptionDays bounds how far ahead a lock exception may run.
const MaxExceptionDays = 90

// maxNumber bounds a numeric value: beyond it a float loses units.
const maxNumber = 1e12

// target resolves the data set, period and unit of a request, refusing
// what cannot be filed: an unknown data set, a period of another type or
// beyond the current one, a unit that does not file the data set, an
// unknown territory.
func (s *Service) target(ctx context.Context, dsKey string, u org.Unit, p Period) (Dataset, org.Territory, error) {
	d, err := s.Dataset(dsKey)
	if err != nil {
		return d, org.Territory{}, err
	}
	if p.Type != d.PeriodType {
		return d, org.Territory{}, fmt.Errorf("report: %w %q: data set %s has %s periods (e.g. %s)", ErrPeriod, p.Key, d.Key, d.PeriodType, d.PeriodType.Example())
	}
	if cur := CurrentPeriod(d.PeriodType, s.now()); p.Start.After(cur.Start) {
		return d, org.Territory{}, fmt.Errorf("report: period %s: %w (the current one is %s)", p.Key, ErrFuture, cur.Key)
	}
	t, err := s.tree.Territory(ctx, u.Territory)
	if errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrInvalid) {
		return d, t, fmt.Errorf("report: unit %s: %w", u, ErrNotFound)
	}
	if err != nil {
		return d, t, err
	}
	if !d.Reports(u) {
		return d, t, fmt.Errorf("report: unit %s: %w %s", u, ErrNotReporting, d.Key)
	}
	return d, t, nil
}

// view makes the Report of a stored row, with its lock state now.
func (s *Service) view(d Dataset, u org.Unit, p Period, r row, exc *time.Time) Report {
	out := Report{Dataset: d.Key, Unit: u, Period: p.Key, Values: r.vals, Status: r.status, OnTime: r.onTime,
		ReturnReason: r.returnReason, Version: r.version, UpdatedBy: r.updatedBy,
		SubmittedAt: parseTime(r.submittedAt), FirstSubmittedAt: parseTime(r.firstSubmitted), ApprovedAt: parseTime(r.approve),
		ExceptionUntil: exc, Deadline: d.Deadline(p), LockAt: d.LockAt(p)}
	if out.Status == "" {
		out.Status = Draft
	}
	if t := parseTime(r.updatedAt); t != nil {
		out.UpdatedAt = *t
	}
	out.Locked, out.LockReason = lockState(d, p, r.status, exc, s.now())
	return out
}

// lockState applies the lock rule: approved reports are locked; others
// once the period is past its lock time, unless an exception runs.
func lockState(d Dataset, p Period, st Status, exc *time.Time, now time.Time) (bool, string) {
	if st == Approved {
		return true, LockApproved
	}
	if now.After(d.LockAt(p)) && (exc == nil || !now.Before(*exc)) {
		return true, LockPeriod
	}
	return false, ""
}

// Report returns unit u's report of data set ds for period p; a report
// never saved is an empty draft of version 0.
func (s *Service) Report(ctx context.Context, ds string, u org.Unit, p Period) (Report, error) {
	d, _, err := s.target(ctx, ds, u, p)
	if err != nil {
		return Report{}, err
	}
	r, err := s.readRow(ctx, s.db, d.Key, u, p.Key, false)
	if err != nil {
		return Report{}, fmt.Errorf("report: read %s %s: %w", u, p.Key, err)
	}
	exc, err := s.exceptionUntil(ctx, s.db, d.Key, u, p.Key)
	if err != nil {
		return Report{}, fmt.Errorf("report: read %s %s: %w", u, p.Key, err)
	}
	return s.view(d, u, p, r, exc), nil
}

// Validate checks values against the data set's rules that need nothing
// stored: known fields, types, minimums, LessOrEqual, and with submit the
// required fields. It returns the values normalised (numbers as float64,
// texts trimmed, empty values dropped) or a *ValidationError naming every
// field that was wrong.
func (d Dataset) Validate(values map[string]any, submit bool) (map[string]any, error) {
	out := map[string]any{}
	var errs []FieldError
	code := "invalid_value"
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := values[k]
		f, ok := d.Field(k)
		if !ok {
			code = "unknown_field"
			bad(k, "Biểu mẫu %q không có trường này (unknown field).", d.Name)
			code = "invalid_value"
			continue
		}
		if v == nil {
			continue
		}
		switch f.Type {
		case Number, Integer:
			n, ok := number(v)
			if !ok {
				bad(k, "%s phải là một số (must be a number).", f.Label)
				continue
			}
			if f.Type == Integer && n != math.Trunc(n) {
				bad(k, "%s phải là số nguyên (must be a whole number).", f.Label)
				continue
			}
			if math.Abs(n) > maxNumber {
				bad(k, "%s quá lớn (too large).", f.Label)
				continue
			}
			if f.Min != nil && n < *f.Min {
				if *f.Min == 0 {
					bad(k, "%s không được âm (must not be negative).", f.Label)
				} else {
					bad(k, "%s phải từ %v trở lên (must be at least %v).", f.Label, *f.Min, *f.Min)
				}
				continue
			}
			out[k] = n
		case Text:
			str, ok := v.(string)
			if !ok {
				bad(k, "%s phải là văn bản (must be text).", f.Label)
				continue
			}
			str = strings.TrimSpace(str)
			if !utf8.ValidString(str) || len(str) > MaxTextLen {
				bad(k, "%s dài quá %d byte hoặc không hợp lệ (too long or not valid UTF-8).", f.Label, MaxTextLen)
				continue
			}
			if str != "" {
				out[k] = str
			}
		case Bool:
			b, ok := v.(bool)
			if !ok {
				bad(k, "%s phải là có/không: true hoặc false (must be true or false).", f.Label)
				continue
			}
			out[k] = b
		case Choice:
			str, ok := v.(string)
			if !ok || !slices.Contains(f.Choices, str) {
				bad(k, "%s phải là một trong: %s (must be one of the choices).", f.Label, strings.Join(f.Choices, ", "))
				continue
			}
			out[k] = str
		}
	}
	for _, f := range d.Fields {
		if f.LessOrEqual == "" {
			continue
		}
		a, okA := out[f.Key].(float64)
		b, okB := out[f.LessOrEqual].(float64)
		if okA && okB && a > b {
			o, _ := d.Field(f.LessOrEqual)
			bad(f.Key, "%s (%v) không được lớn hơn %s (%v) (must not exceed %s).", f.Label, a, o.Label, b, f.LessOrEqual)
		}
	}
	if submit {
		for _, f := range d.Fields {
			if _, ok := out[f.Key]; f.Required && !ok && !hasError(errs, f.Key) {
				code = "required"
				bad(f.Key, "Cần nhập %s trước khi gửi báo cáo (required to submit).", f.Label)
			}
		}
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	return out, nil
}

func hasError(errs []FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// number reads a numeric value of any Go or JSON number type.
func number(v any) (float64, bool) {
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case float32:
		n = float64(x)
	case int:
		n = float64(x)
	case int64:
		n = float64(x)
	case int32:
		n = float64(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		n = f
	default:
		return 0, false
	}
	return n, !math.IsNaN(n) && !math.IsInf(n, 0)
}

// checkDrops applies MaxDropPercent against the unit's previous period's
// report, when that one counts.
func (d Dataset) checkDrops(vals, prev map[string]any) error {
	var errs []FieldError
	for _, f := range d.Fields {
		if f.MaxDropPercent <= 0 {
			continue
		}
		now, ok1 := vals[f.Key].(float64)
		before, ok2 := prev[f.Key].(float64)
		if !ok1 || !ok2 || before <= 0 {
			continue
		}
		if drop := (before - now) / before * 100; drop > f.MaxDropPercent {
			if c, _ := vals[f.DropComment].(string); c == "" {
				cf, _ := d.Field(f.DropComment)
				errs = append(errs, FieldError{Field: f.DropComment, Code: "invalid_value", Message: fmt.Sprintf(
					"%s giảm %.0f%% so với kỳ trước (%v → %v), quá %v%%: cần ghi %s (a drop of more than %v%% needs an explanation).",
					f.Label, drop, before, now, f.MaxDropPercent, cf.Label, f.MaxDropPercent)})
			}
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// change is one step of a report's workflow, applied by (*Service).apply
// inside the report's transaction.
type change struct {
	action string // the event's and the audit log's action
	reason string
	// step computes the new row from the current one and the lock state,
	// or refuses.
	step func(cur row, locked bool, lockReason string) (row, error)
	// exception, when set, is granted with the change.
	exception *exception
}

// Save writes unit u's report of period p with values (replacing the
// previous values), submitting it with submit; actor names who did it in
// the history. See the package doc for the rules.
func (s *Service) Save(ctx context.Context, ds string, u org.Unit, p Period, values map[string]any, submit bool, actor string) (Report, error) {
	release, err := s.admit(ctx)
	if err != nil {
		return Report{}, err
	}
	defer release()
	d, t, err := s.target(ctx, ds, u, p)
	if err != nil {
		return Report{}, err
	}
	if t.Retired() {
		return Report{}, fmt.Errorf("report: unit %s: %w on %s", u, ErrRetired, t.RetiredAt.In(Vietnam).Format(time.DateOnly))
	}
	vals, err := d.Validate(values, submit)
	if err != nil {
		return Report{}, err
	}
	var prev map[string]any
	if d.hasDropRule() {
		pr, err := s.readRow(ctx, s.reader(), d.Key, u, p.Prev().Key, false)
		if err != nil {
			return Report{}, fmt.Errorf("report: previous period of %s: %w", u, err)
		}
		if pr.status.Reported() {
			prev = pr.vals
		}
		if err := d.checkDrops(vals, prev); err != nil {
			return Report{}, err
		}
	}
	action := "report.save"
	if submit {
		action = "report.submit"
	}
	return s.apply(ctx, d, t, u, p, actor, change{action: action, step: func(cur row, locked bool, why string) (row, error) {
		if locked {
			return cur, lockedError(u, p, why)
		}
		next := cur
		next.vals = vals
		switch {
		case submit:
			next.status = Submitted
		case cur.status == "":
			next.status = Draft
		}
		if submit {
			now := s.now()
			next.submittedAt = formatTime(now)
			if cur.firstSubmitted == "" {
				next.firstSubmitted = next.submittedAt
				next.onTime = !now.After(d.Deadline(p))
			}
			next.returnReason = ""
		}
		return next, nil
	}})
}

func (d Dataset) hasDropRule() bool {
	for _, f := range d.Fields {
		if f.MaxDropPercent > 0 {
			return true
		}
	}
	return false
}

func lockedError(u org.Unit, p Period, why string) error {
	return fmt.Errorf("report: %s %s: %w (%s)", u, p.Key, ErrLocked, why)
}

// Approve approves a submitted report: it stays in the totals and is
// locked for good.
func (s *Service) Approve(ctx context.Context, ds string, u org.Unit, p Period, actor string) (Report, error) {
	return s.ApproveNote(ctx, ds, u, p, "", actor)
}

// ApproveNote is Approve with a note kept in the report's history.
func (s *Service) ApproveNote(ctx context.Context, ds string, u org.Unit, p Period, note, actor string) (Report, error) {
	release, err := s.admit(ctx)
	if err != nil {
		return Report{}, err
	}
	defer release()
	d, t, err := s.target(ctx, ds, u, p)
	if err != nil {
		return Report{}, err
	}
	if note = strings.TrimSpace(note); len(note) > MaxReasonLen || !utf8.ValidString(note) {
		return Report{}, &ArgumentError{"note", fmt.Sprintf("at most %d bytes of text", MaxReasonLen)}
	}
	return s.apply(ctx, d, t, u, p, actor, change{action: "report.approve", reason: note, step: func(cur row, _ bool, _ string) (row, error) {
		if cur.status != Submitted {
			return cur, statusError(u, p, cur.status, "approve")
		}
		next := cur
		next.status = Approved
		next.approve = formatTime(s.now())
		return next, nil
	}})
}

// Return sends a submitted report back to its unit with a reason: it
// leaves the totals until submitted again.
func (s *Service) Return(ctx context.Context, ds string, u org.Unit, p Period, reason, actor string) (Report, error) {
	release, err := s.admit(ctx)
	if err != nil {
		return Report{}, err
	}
	defer release()
	d, t, err := s.target(ctx, ds, u, p)
	if err != nil {
		return Report{}, err
	}
	reason, err = checkReason(reason)
	if err != nil {
		return Report{}, err
	}
	return s.apply(ctx, d, t, u, p, actor, change{action: "report.return", reason: reason, step: func(cur row, _ bool, _ string) (row, error) {
		if cur.status != Submitted {
			return cur, statusError(u, p, cur.status, "return")
		}
		next := cur
		next.status = Returned
		next.returnReason = reason
		return next, nil
	}})
}

// GrantException lets unit u change its report of period p until until,
// though the period is locked; an approved report stays locked.
func (s *Service) GrantException(ctx context.Context, ds string, u org.Unit, p Period, until time.Time, reason, actor string) (Report, error) {
	release, err := s.admit(ctx)
	if err != nil {
		return Report{}, err
	}
	defer release()
	d, t, err := s.target(ctx, ds, u, p)
	if err != nil {
		return Report{}, err
	}
	reason, err = checkReason(reason)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	if !until.After(now) || until.After(now.AddDate(0, 0, MaxExceptionDays)) {
		return Report{}, &ArgumentError{"until", fmt.Sprintf("%s: must be after now and within %d days", until.Format(time.RFC3339), MaxExceptionDays)}
	}
	return s.apply(ctx, d, t, u, p, actor, change{action: "report.exception", reason: reason, step: func(cur row, _ bool, _ string) (row, error) {
		if cur.status == Approved {
			return cur, statusError(u, p, cur.status, "reopen")
		}
		next := cur
		if next.status == "" {
			next.status = Draft
		}
		return next, nil
	}, exception: &exception{until: until, reason: reason}})
}

type exception struct {
	until  time.Time
	reason string
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxReasonLen || !utf8.ValidString(reason) {
		return "", &ArgumentError{"reason", fmt.Sprintf("must be 1 to %d bytes of text", MaxReasonLen)}
	}
	return reason, nil
}

func statusError(u org.Unit, p Period, st Status, step string) error {
	if st == "" {
		return fmt.Errorf("report: %s %s: %w", u, p.Key, ErrNotFound)
	}
	return fmt.Errorf("report: %s %s is %s: %w to %s", u, p.Key, st, ErrStatus, step)
}

// Event is one entry of a report's history.
type Event struct {
	Version int            `json:"version"`
	Action  string         `json:"action"`
	Status  Status         `json:"status"`
	Values  map[string]any `json:"values"`
	Reason  string         `json:"reason,omitempty"`
	Actor   string         `json:"actor,omitempty"`
	At      time.Time      `json:"at"`
}

// History returns a report's changes, oldest first.
func (s *Service) History(ctx context.Context, ds string, u org.Unit, p Period) ([]Event, error) {
	d, _, err := s.target(ctx, ds, u, p)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, action, status, vals, reason, actor, at FROM report_events
		WHERE dataset = $1 AND period = $2 AND territory = $3 AND org = $4 ORDER BY version`, d.Key, p.Key, u.Territory, string(u.Org))
	if err != nil {
		return nil, fmt.Errorf("report: history of %s %s: %w", u, p.Key, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var status, vals, at string
		if err := rows.Scan(&e.Version, &e.Action, &status, &vals, &e.Reason, &e.Actor, &at); err != nil {
			return nil, err
		}
		e.Status = Status(status)
		e.Values = map[string]any{}
		_ = json.Unmarshal([]byte(vals), &e.Values)
		if t := parseTime(at); t != nil {
			e.At = *t
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
