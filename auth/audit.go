package auth

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
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
	// Count is how many times it happened: 1, or for a row that sums up
	// a client's refusals (see refusals.go) how many it sums up.
	Count int64 `json:"count"`
}

// Limits of the fields written to the log: a client chooses some of them.
const (
	maxAuditField  = 200
	maxAuditTarget = 500 // a rename names the record before and after
	maxAuditReason = 500
)

// Record writes e to the audit log, indexed by every unit that contains
// its unit (see EventsIn); a zero At is now, a zero Count 1.
func (s *Store) Record(ctx context.Context, e Event) error {
	if e.Action == "" || e.Outcome == "" {
		return fmt.Errorf("auth: audit event needs an action and an outcome: %+v", e)
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	count := max(e.Count, 1)
	unit := clip(e.Unit, maxAuditField)
	scope := s.scope(ctx, unit)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("auth: write audit log (%s): %w", e.Action, err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO auth_audit (at, actor_id, actor, action, unit, target, outcome, reason, ip, user_agent, request_id, occurrences)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		at.Unix(), e.ActorID, clip(e.Actor, maxAuditField), clip(e.Action, maxAuditField), unit,
		clip(e.Target, maxAuditTarget), clip(e.Outcome, maxAuditField), clip(e.Reason, maxAuditReason),
		clip(e.IP, maxAuditField), clip(e.UserAgent, maxUserAgent), clip(e.RequestID, maxAuditField), count).Scan(&id)
	if err == nil {
		err = insertScope(ctx, tx, map[int64][]string{id: scope})
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("auth: write audit log (%s): %w", e.Action, err)
	}
	return nil
}

// scope lists the units under which an event on unit is read: the units
// that contain it (when the Units are Containers) and the root unit,
// which sees everything — events without a unit, such as sign-ons and
// refused credentials, only there. A unit the tree does not know is its
// own scope. Territories never move, so the scope of an event is fixed
// when it is written.
func (s *Store) scope(ctx context.Context, unit string) []string {
	out := []string{RootUnit}
	if unit == "" || unit == RootUnit {
		return out
	}
	if c, ok := s.units.(Containers); ok {
		if cs, err := c.Containers(ctx, unit); err == nil {
			for _, u := range cs {
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
			return out
		}
	}
	return append(out, unit)
}

// insertScope writes the index rows of events (id → its scope).
func insertScope(ctx context.Context, q querier, scopes map[int64][]string) error {
	var marks []string
	var args []any
	for id, units := range scopes {
		for _, u := range units {
			marks = append(marks, fmt.Sprintf("($%d, $%d)", len(args)+1, len(args)+2))
			args = append(args, u, id)
		}
	}
	if len(args) == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `INSERT INTO auth_audit_scope (unit, event_id) VALUES `+strings.Join(marks, ", ")+
		` ON CONFLICT (unit, event_id) DO NOTHING`, args...)
	return err
}

// IndexBacklog indexes the events written before the index existed
// (migration 003 notes the last of them), the newest first, a batch at a
// time; it returns when none is left. The server runs it before its
// first read of the log; servers running it at once share the work.
func (s *Store) IndexBacklog(ctx context.Context) error {
	const batch = 500
	for {
		var upto int64
		err := s.db.QueryRowContext(ctx, `SELECT upto FROM auth_audit_backlog`).Scan(&upto)
		if errors.Is(err, sql.ErrNoRows) || err == nil && upto <= 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("auth: audit backlog: %w", err)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, unit FROM auth_audit WHERE id <= $1 ORDER BY id DESC LIMIT $2`, upto, batch)
		if err != nil {
			return fmt.Errorf("auth: audit backlog: %w", err)
		}
		units := map[int64]string{}
		next := int64(0)
		for rows.Next() {
			var id int64
			var unit string
			if err := rows.Scan(&id, &unit); err != nil {
				rows.Close()
				return err
			}
			units[id] = unit
			next = id - 1
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(units) < batch {
			next = 0
		}
		scopes := make(map[int64][]string, len(units))
		for id, u := range units {
			scopes[id] = s.scope(ctx, u)
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		err = insertScope(ctx, tx, scopes)
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE auth_audit_backlog SET upto = $1 WHERE upto = $2`, next, upto)
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return fmt.Errorf("auth: audit backlog: %w", err)
		}
	}
}

// EventQuery selects audit events, the newest first.
type EventQuery struct {
	Before int64  // only events with a smaller id; 0: from the newest
	Action string // only this action, or those under it ("auth.token" matches "auth.token.create")
	Limit  int    // at most this many; 0 means 100
}

// MaxEvents bounds one read of the audit log (and one CSV export).
const MaxEvents = 10000

const eventColumns = `a.id, a.at, a.actor_id, a.actor, a.action, a.unit, a.target, a.outcome, a.reason, a.ip, a.user_agent, a.request_id, a.occurrences`

func scanEvents(rows *sql.Rows, out []Event) ([]Event, error) {
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Action, &e.Unit, &e.Target, &e.Outcome, &e.Reason,
			&e.IP, &e.UserAgent, &e.RequestID, &e.Count); err != nil {
			return nil, err
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (q EventQuery) bounds() (before int64, limit int) {
	limit = q.Limit
	if limit <= 0 {
		limit = 100
	}
	before = q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	return before, min(limit, MaxEvents)
}

// Events reads the whole audit log, for the command line and tests;
// pages for people read EventsIn.
func (s *Store) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	before, limit := q.bounds()
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+`
		FROM auth_audit a WHERE a.id < $1 AND ($2 = '' OR a.action = $2 OR a.action LIKE $3) ORDER BY a.id DESC LIMIT $4`,
		before, q.Action, escapeLike(q.Action)+".%", limit)
	if err != nil {
		return nil, fmt.Errorf("auth: read audit log: %w", err)
	}
	return scanEvents(rows, []Event{})
}

// EventsIn reads the events that holders of units may see — those whose
// unit one of units contains, and for RootUnit every event — the newest
// first. Each unit is one range of the index written with the event, read
// newest first: a page costs the same however many newer events other
// units have, and never stops short of its limit while older events of
// the units remain.
func (s *Store) EventsIn(ctx context.Context, units []string, q EventQuery) ([]Event, error) {
	before, limit := q.bounds()
	out := []Event{}
	seen := map[string]bool{}
	for _, u := range units {
		if seen[u] {
			continue
		}
		seen[u] = true
		rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+`
			FROM auth_audit_scope s JOIN auth_audit a ON a.id = s.event_id
			WHERE s.unit = $1 AND s.event_id < $2 AND ($3 = '' OR a.action = $3 OR a.action LIKE $4)
			ORDER BY s.event_id DESC LIMIT $5`,
			u, before, q.Action, escapeLike(q.Action)+".%", limit)
		if err != nil {
			return nil, fmt.Errorf("auth: read audit log of %s: %w", u, err)
		}
		if out, err = scanEvents(rows, out); err != nil {
			return nil, fmt.Errorf("auth: read audit log of %s: %w", u, err)
		}
	}
	// Units of one holder may contain each other: an event once.
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(b.ID, a.ID) })
	out = slices.CompactFunc(out, func(a, b Event) bool { return a.ID == b.ID })
	return out[:min(len(out), limit)], nil
}

// escapeLike makes s match itself in a LIKE pattern (the default escape
// character differs between databases, so the wildcards are refused
// instead: action names have none).
func escapeLike(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// csvHeader names the columns of the audit export.
var csvHeader = []string{"id", "at", "actor", "action", "unit", "target", "outcome", "reason", "ip", "user_agent", "request_id", "count"}

// WriteCSV writes events as CSV with a header row. Cells that a
// spreadsheet would run as a formula are quoted with a leading apostrophe.
func WriteCSV(w io.Writer, events []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range events {
		row := []string{itoa(e.ID), e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Unit, e.Target,
			e.Outcome, e.Reason, e.IP, e.UserAgent, e.RequestID, itoa(e.Count)}
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
