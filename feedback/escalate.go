package feedback

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

// Overdue items are shown as such to officers (Item.Overdue); one still
// unanswered Grace working days after its deadline is escalated: sent
// to the queue of the Front committee of the parent territory — a
// commune's (or a village's) item to the province's, a province's to the
// centre's — with escalated_at set and an "escalate" event by "system"
// in its history. Its deadline stays: it is still overdue there, and
// Grace working days after its escalation it goes up again, until it
// reaches the centre.

// EscalateEvery is how often serve looks for items to escalate.
const EscalateEvery = 5 * time.Minute

// EscalationLock is the key of the PostgreSQL advisory lock under which
// one instance escalates at a time (pg_locks shows its high and low 32
// bits as classid and objid).
const EscalationLock int64 = 0x6d74735f65736331 // "mts_esc1"

// escalateBatch is how many overdue items are read at a time.
const escalateBatch = 200

// EscalateOverdue escalates the items overdue at now past their grace,
// and returns how many it escalated. On PostgreSQL it runs under an
// advisory lock, so that of several instances one does it and the others
// return at once; on SQLite there is one process.
func (h *Handling) EscalateOverdue(ctx context.Context, now time.Time) (int, error) {
	db := h.st.db
	if db.Dialect == store.Postgres {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		// The lock is the transaction's: it ends with it, whatever
		// happens to this process.
		defer tx.Rollback()
		var got bool
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, EscalationLock).Scan(&got); err != nil {
			return 0, fmt.Errorf("feedback: escalation lock: %w", err)
		}
		if !got {
			return 0, nil
		}
	}
	now = now.UTC().Truncate(time.Second)
	done := 0
	var after int64
	for {
		batch, err := h.overdue(ctx, now, after)
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			return done, nil
		}
		for _, c := range batch {
			after = c.id
			if !now.After(h.escalateAt(c.due, c.escalated)) {
				continue
			}
			ok, err := h.escalate(ctx, c, now)
			if err != nil {
				return done, err
			}
			if ok {
				done++
			}
		}
	}
}

type overdueItem struct {
	id        int64
	unit      string
	due       time.Time
	escalated *time.Time
}

// overdue reads open items due before now, after the id given, that have
// a unit above them.
func (h *Handling) overdue(ctx context.Context, now time.Time, after int64) ([]overdueItem, error) {
	rows, err := h.st.db.QueryContext(ctx, `SELECT id, unit, due_at, escalated_at FROM feedback_items
		WHERE state IN ('received', 'accepted', 'forwarded', 'in_progress') AND due_at < $1
			AND id > $2 AND unit NOT LIKE 'VN/%'
		ORDER BY id LIMIT $3`, now.Unix(), after, escalateBatch)
	if err != nil {
		return nil, fmt.Errorf("feedback: overdue items: %w", err)
	}
	defer rows.Close()
	var out []overdueItem
	for rows.Next() {
		var (
			c   overdueItem
			due int64
			esc sql.NullInt64
		)
		if err := rows.Scan(&c.id, &c.unit, &due, &esc); err != nil {
			return nil, err
		}
		c.due, c.escalated = unix(due), unixPtr(esc)
		out = append(out, c)
	}
	return out, rows.Err()
}

// escalateAt is when an item due at due, last escalated at escalated (or
// never), goes up: at the end of the Grace-th working day after the later
// of the two.
func (h *Handling) escalateAt(due time.Time, escalated *time.Time) time.Time {
	from := due
	if escalated != nil && escalated.After(from) {
		from = *escalated
	}
	return h.svc.cal.Add(from.In(Vietnam), h.grace)
}

// escalate sends an overdue item to the Front committee of its unit's
// parent territory; false when it changed meanwhile or has no parent.
func (h *Handling) escalate(ctx context.Context, c overdueItem, now time.Time) (bool, error) {
	id, unit := c.id, c.unit
	u, err := org.ParseUnit(unit)
	if err != nil {
		return false, nil
	}
	t, err := h.st.territories.Territory(ctx, u.Territory)
	if err != nil {
		return false, fmt.Errorf("feedback: escalate item %d: %w", id, err)
	}
	if t.ParentCode == "" {
		return false, nil
	}
	parent := org.UnitOf(t.ParentCode, org.MTTQ).String()
	ch := Change{Actor: "system", Action: "escalate",
		Detail: fmt.Sprintf("%s → %s: quá hạn từ %s", unit, parent, c.due.In(Vietnam).Format("02/01/2006"))}
	done := false
	_, err = h.st.Update(ctx, id, ch, func(ctx context.Context, _ Querier, it *Item) error {
		if !it.State.Open() || it.Unit != unit || !now.After(h.escalateAt(it.DueAt, it.EscalatedAt)) {
			return errUnchanged
		}
		it.Unit, it.EscalatedAt = parent, &now
		done = true
		return nil
	})
	if err == errUnchanged {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("feedback: escalate item %d: %w", id, err)
	}
	return done, nil
}

// RunEscalation escalates overdue items every interval until ctx ends;
// serve runs it on every instance (the lock shares the work out).
func (h *Handling) RunEscalation(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if n, err := h.EscalateOverdue(ctx, h.now()); err != nil && ctx.Err() == nil {
			h.log.ErrorContext(ctx, "feedback: escalating overdue items failed", "err", err)
		} else if n > 0 {
			h.log.InfoContext(ctx, "feedback: overdue items escalated to the parent unit", "items", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
