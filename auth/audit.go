package auth

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
)

// Outcomes of an audited action.
const (
	OutcomeOK      = "ok"      // done
	OutcomeDenied  = "denied"  // a signed-in user asked for something their roles do not allow
	OutcomeRefused = "refused" // a credential or a sign-on was not accepted
)

// Audited actions that auth itself records. Other modules record theirs
// with Audit, named "<module>.<verb>".
const (
	EventLogin          = "auth.login"
	EventLoginRefused   = "auth.login.refused"
	EventLogout         = "auth.logout"
	EventSessionExpired = "auth.session.expired"
	EventTokenRefused   = "auth.token.refused"
	EventTokenCreate    = "auth.token.create"
	EventTokenRevoke    = "auth.token.revoke"
	EventGrant          = "auth.grant"
	EventUngrant        = "auth.ungrant"
	EventCSRFRefused    = "auth.csrf.refused"
	EventDenied         = "auth.denied"
)

// Event is one line of the audit log.
type Event struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id,omitempty"`
	Actor     string    `json:"actor"`            // email, "(token N)" when by token, or "" when unknown
	Action    string    `json:"action"`           // what was done or attempted
	Unit      string    `json:"unit,omitempty"`   // the unit acted on
	Target    string    `json:"target,omitempty"` // the record acted on: a token id, a user's email…
	Outcome   string    `json:"outcome"`          // OutcomeOK, OutcomeDenied, OutcomeRefused
	Reason    string    `json:"reason,omitempty"` // why, when not ok
	IP        string    `json:"ip,omitempty"`     // the client's address
	UserAgent string    `json:"user_agent,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
}

// Limits of the fields written to the log: a client chooses some of them.
const (
	maxAuditField  = 200
	maxAuditReason = 500
)

// Record writes e to the audit log; a zero At is now.
func (s *Store) Record(ctx context.Context, e Event) error {
	if e.Action == "" || e.Outcome == "" {
		return fmt.Errorf("auth: audit event needs an action and an outcome: %+v", e)
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_audit (at, actor_id, actor, action, unit, target, outcome, reason, ip, user_agent, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		at.Unix(), e.ActorID, clip(e.Actor, maxAuditField), clip(e.Action, maxAuditField), clip(e.Unit, maxAuditField),
		clip(e.Target, maxAuditField), clip(e.Outcome, maxAuditField), clip(e.Reason, maxAuditReason),
		clip(e.IP, maxAuditField), clip(e.UserAgent, maxUserAgent), clip(e.RequestID, maxAuditField))
	if err != nil {
		return fmt.Errorf("auth: write audit log (%s): %w", e.Action, err)
	}
	return nil
}

// EventQuery selects audit events, the newest first.
type EventQuery struct {
	Before int64  // only events with a smaller id; 0: from the newest
	Action string // only this action, or those under it ("auth.token" matches "auth.token.create")
	Limit  int    // at most this many; 0 means 100
}

// MaxEvents bounds one read of the audit log (and one CSV export).
const MaxEvents = 10000

// Events reads the audit log.
func (s *Store) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, MaxEvents)
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor_id, actor, action, unit, target, outcome, reason, ip, user_agent, request_id
		FROM auth_audit WHERE id < $1 AND ($2 = '' OR action = $2 OR action LIKE $3) ORDER BY id DESC LIMIT $4`,
		before, q.Action, escapeLike(q.Action)+".%", q.Limit)
	if err != nil {
		return nil, fmt.Errorf("auth: read audit log: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Action, &e.Unit, &e.Target, &e.Outcome, &e.Reason, &e.IP, &e.UserAgent, &e.RequestID); err != nil {
			return nil, err
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// escapeLike makes s match itself in a LIKE pattern (the default escape
// character differs between databases, so the wildcards are refused
// instead: action names have none).
func escapeLike(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// csvHeader names the columns of the audit export.
var csvHeader = []string{"id", "at", "actor", "action", "unit", "target", "outcome", "reason", "ip", "user_agent", "request_id"}

// WriteCSV writes events as CSV with a header row. Cells that a
// spreadsheet would run as a formula are quoted with a leading apostrophe.
func WriteCSV(w io.Writer, events []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range events {
		row := []string{itoa(e.ID), e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Unit, e.Target,
			e.Outcome, e.Reason, e.IP, e.UserAgent, e.RequestID}
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				row[i] = "'" + c
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
