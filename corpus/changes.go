package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mattranso/mattranso/store"
)

// The change log. Put and Delete record each write in the same
// transaction as the document, so the log and the documents never
// disagree; each instance's keyword index, memory snapshot and vectors
// follow the database by applying the changes they have not seen
// (ingest.Follower). On PostgreSQL the transaction also sends a
// notification on ChangesChannel, which wakes the followers at once;
// they poll as well, and only poll on SQLite.

// Op is what a change did to a document.
type Op string

// The operations of the change log.
const (
	OpAdded   Op = "added"
	OpUpdated Op = "updated"
	OpDeleted Op = "deleted"
)

// ChangesChannel is the PostgreSQL notification channel of the change
// log; the payload is the change's seq.
const ChangesChannel = "corpus_changes"

// ChangesLockKey is the PostgreSQL advisory lock every writer of the change
// log holds for its transaction: seqs are drawn and committed in one
// order, so a reader that has seen seq n has seen every seq before it.
const ChangesLockKey int64 = 0x6d74_736f_0002

// Change is one entry of the change log.
type Change struct {
	Seq   int64     `json:"seq"`
	DocID string    `json:"doc_id"`
	Op    Op        `json:"op"`
	At    time.Time `json:"at"`
}

// lockChanges makes tx the one writer of the change log until it ends.
func (s *Store) lockChanges(ctx context.Context, tx *sql.Tx) error {
	if s.db.Dialect != store.Postgres {
		return nil // SQLite has one writer at a time anyway
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, ChangesLockKey)
	return err
}

// logChange records a change in tx, and announces it on PostgreSQL (the
// notification is delivered when tx commits, never if it rolls back).
func (s *Store) logChange(ctx context.Context, tx *sql.Tx, id string, op Op) error {
	var seq int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO document_changes (doc_id, op, at) VALUES ($1, $2, $3) RETURNING seq`,
		id, string(op), time.Now().UTC().Format(timeLayout)).Scan(&seq); err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	if s.db.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, ChangesChannel, strconv.FormatInt(seq, 10)); err != nil {
			return fmt.Errorf("change log: notify: %w", err)
		}
	}
	return nil
}

// Changes returns the changes after seq after, in seq order, at most limit
// of them (≤ 0: 1000).
func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, doc_id, op, at FROM document_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("corpus: changes after %d: %w", after, err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var op, at string
		if err := rows.Scan(&c.Seq, &c.DocID, &op, &at); err != nil {
			return nil, fmt.Errorf("corpus: changes after %d: %w", after, err)
		}
		c.Op = Op(op)
		if c.At, err = time.Parse(timeLayout, at); err != nil {
			return nil, fmt.Errorf("corpus: change %d: time %q: %w", c.Seq, at, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: changes after %d: %w", after, err)
	}
	return out, nil
}

// LastChange returns the newest change, the zero Change when there is none.
func (s *Store) LastChange(ctx context.Context) (Change, error) {
	var c Change
	var op, at string
	err := s.db.QueryRowContext(ctx, `SELECT seq, doc_id, op, at FROM document_changes ORDER BY seq DESC LIMIT 1`).Scan(&c.Seq, &c.DocID, &op, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Change{}, nil
	}
	if err != nil {
		return Change{}, fmt.Errorf("corpus: last change: %w", err)
	}
	c.Op = Op(op)
	if c.At, err = time.Parse(timeLayout, at); err != nil {
		return Change{}, fmt.Errorf("corpus: change %d: time %q: %w", c.Seq, at, err)
	}
	return c, nil
}

// DB is the database the store writes to.
func (s *Store) DB() *store.DB { return s.db }

// PruneChanges removes the changes older than before, keeping the newest
// keep of them however old (and always the newest, which followers read
// as the head), and records how far it removed (PrunedThrough). It returns
// how many changes it removed.
func (s *Store) PruneChanges(ctx context.Context, before time.Time, keep int) (int64, error) {
	keep = max(keep, 1)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("corpus: prune the change log: %w", err)
	}
	defer tx.Rollback()
	if err := s.lockChanges(ctx, tx); err != nil {
		return 0, fmt.Errorf("corpus: prune the change log: %w", err)
	}
	// The newest seq older than before, below the keep newest.
	var through sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(seq) FROM document_changes WHERE at < $1 AND seq <=
		(SELECT COALESCE(MIN(seq), 0) - 1 FROM (SELECT seq FROM document_changes ORDER BY seq DESC LIMIT $2) newest)`,
		before.UTC().Format(timeLayout), keep).Scan(&through); err != nil {
		return 0, fmt.Errorf("corpus: prune the change log: %w", err)
	}
	if !through.Valid {
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM document_changes WHERE seq <= $1`, through.Int64)
	if err != nil {
		return 0, fmt.Errorf("corpus: prune the change log: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `INSERT INTO document_changes_pruned (id, through) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET through = CASE WHEN document_changes_pruned.through > excluded.through
			THEN document_changes_pruned.through ELSE excluded.through END`, through.Int64); err != nil {
		return 0, fmt.Errorf("corpus: prune the change log: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("corpus: prune the change log: %w", err)
	}
	return n, nil
}

// PrunedThrough returns the seq up to which the change log was pruned, 0
// when it never was.
func (s *Store) PrunedThrough(ctx context.Context) (int64, error) {
	var through int64
	err := s.db.QueryRowContext(ctx, `SELECT through FROM document_changes_pruned WHERE id = 1`).Scan(&through)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("corpus: how far the change log was pruned: %w", err)
	}
	return through, nil
}
