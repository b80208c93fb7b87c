package corpus

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned (wrapped) for a document or key that is not stored.
var ErrNotFound = errors.New("document not found")

// ErrInvalid is returned (wrapped) by Put for a document that cannot be
// stored: no id, no title or an unknown kind.
var ErrInvalid = errors.New("invalid document")

// allBatch is how many documents All reads per query: it holds no cursor
// open while its callback runs, so the callback may write to the database.
const allBatch = 200

// timeLayout is fixed-width so that updated_at sorts as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Store keeps documents in the documents table, with the identity keys by
// which a document arriving again from another source is recognised.
type Store struct {
	db *store.DB
}

// NewStore returns a Store on db. Call Migrate before using it.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// Migrate creates or updates the corpus tables.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.db.Migrate(ctx, "corpus", sub)
}

// Summary is a document without its body, for lists.
type Summary struct {
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	Number    string    `json:"number,omitempty"`
	Title     string    `json:"title"`
	Type      string    `json:"type,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	Status    string    `json:"status,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ListOptions selects a page of documents. The zero value lists every
// document of every kind.
type ListOptions struct {
	Kind   Kind // "" for every kind
	Limit  int  // 0 for no limit
	Offset int
}

// Put stores d, replacing the document with the same ID, and makes
// IdentityKeys(d) its keys, all in one transaction. It fills in d.Hash
// (ComputeHash) and d.UpdatedAt (now) when they are empty, stores
// UpdatedAt in UTC, and records the write in the change log (Changes). A
// key already owned by another document stays with that document: the
// first to claim a name keeps it.
func (s *Store) Put(ctx context.Context, d *Document) error {
	if d == nil {
		return fmt.Errorf("corpus: put document: %w: nil", ErrInvalid)
	}
	switch {
	case strings.TrimSpace(d.ID) == "":
		return fmt.Errorf("corpus: put document %q: %w: id is empty", d.Title, ErrInvalid)
	case !d.Kind.Valid():
		return fmt.Errorf("corpus: put document %q: %w: kind %q is neither %q nor %q", d.ID, ErrInvalid, d.Kind, KindLaw, KindProcedure)
	case strings.TrimSpace(d.Title) == "":
		return fmt.Errorf("corpus: put document %q: %w: title is empty", d.ID, ErrInvalid)
	}
	if d.Hash == "" {
		d.Hash = d.ComputeHash()
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = time.Now()
	}
	d.UpdatedAt = d.UpdatedAt.UTC()

	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // keep the legal text readable in the database
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("corpus: put document %q: encode: %w", d.ID, err)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("corpus: put document %q: %w", d.ID, err)
	}
	defer tx.Rollback()
	if err := s.lockChanges(ctx, tx); err != nil {
		return fmt.Errorf("corpus: put document %q: %w", d.ID, err)
	}
	// A write first: on SQLite a transaction that reads before it writes
	// fails, not waits, when another writer came in between.
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_keys WHERE doc_id = $1`, d.ID); err != nil {
		return fmt.Errorf("corpus: put document %q: clear keys: %w", d.ID, err)
	}
	var existed int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents WHERE id = $1`, d.ID).Scan(&existed); err != nil {
		return fmt.Errorf("corpus: put document %q: %w", d.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO documents (id, kind, number, title, doc_type, issuer, issued_at,
			effective_at, status, source_url, hash, updated_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET
			kind = excluded.kind, number = excluded.number, title = excluded.title,
			doc_type = excluded.doc_type, issuer = excluded.issuer,
			issued_at = excluded.issued_at, effective_at = excluded.effective_at,
			status = excluded.status, source_url = excluded.source_url,
			hash = excluded.hash, updated_at = excluded.updated_at, body = excluded.body`,
		d.ID, string(d.Kind), d.Number, d.Title, d.Type, d.Issuer, d.IssuedAt,
		d.EffectiveAt, d.Status, d.SourceURL, d.Hash, d.UpdatedAt.Format(timeLayout),
		strings.TrimSuffix(body.String(), "\n")); err != nil {
		return fmt.Errorf("corpus: put document %q: %w", d.ID, err)
	}
	for _, k := range IdentityKeys(d) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO document_keys (key, doc_id) VALUES ($1, $2)
			ON CONFLICT (key) DO NOTHING`, k, d.ID); err != nil {
			return fmt.Errorf("corpus: put document %q: key %q: %w", d.ID, k, err)
		}
	}
	op := OpAdded
	if existed > 0 {
		op = OpUpdated
	}
	if err := s.logChange(ctx, tx, d.ID, op); err != nil {
		return fmt.Errorf("corpus: put document %q: %w", d.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("corpus: put document %q: commit: %w", d.ID, err)
	}
	return nil
}

// Get returns the document with the given id.
func (s *Store) Get(ctx context.Context, id string) (*Document, error) {
	var body string
	err := s.db.QueryRowContext(ctx, `SELECT body FROM documents WHERE id = $1`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("corpus: get document %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("corpus: get document %q: %w", id, err)
	}
	return decode(id, body)
}

func decode(id, body string) (*Document, error) {
	var d Document
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return nil, fmt.Errorf("corpus: decode document %q: %w", id, err)
	}
	return &d, nil
}

// Lookup returns the id of the document that owns one of keys, trying
// them in order (IdentityKeys puts the number before the names).
func (s *Store) Lookup(ctx context.Context, keys []string) (string, error) {
	if len(keys) == 0 {
		return "", fmt.Errorf("corpus: lookup: no keys: %w", ErrNotFound)
	}
	args := make([]any, len(keys))
	marks := make([]string, len(keys))
	for i, k := range keys {
		args[i] = k
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT key, doc_id FROM document_keys WHERE key IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return "", fmt.Errorf("corpus: lookup %q: %w", keys, err)
	}
	defer rows.Close()
	owner := map[string]string{}
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			return "", fmt.Errorf("corpus: lookup %q: %w", keys, err)
		}
		owner[k] = id
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("corpus: lookup %q: %w", keys, err)
	}
	for _, k := range keys {
		if id, ok := owner[k]; ok {
			return id, nil
		}
	}
	return "", fmt.Errorf("corpus: lookup %q: %w", keys, ErrNotFound)
}

// Hashes returns the content hash of every document of kind ("" for all),
// by id: what an incremental ingest compares against.
func (s *Store) Hashes(ctx context.Context, kind Kind) (map[string]string, error) {
	q, args := `SELECT id, hash FROM documents`, []any{}
	if kind != "" {
		q, args = q+` WHERE kind = $1`, append(args, string(kind))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: hashes of %q: %w", kind, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, fmt.Errorf("corpus: hashes of %q: %w", kind, err)
		}
		out[id] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: hashes of %q: %w", kind, err)
	}
	return out, nil
}

// List returns summaries of documents in id order.
func (s *Store) List(ctx context.Context, opt ListOptions) ([]Summary, error) {
	if opt.Limit < 0 || opt.Offset < 0 {
		return nil, fmt.Errorf("corpus: list: limit %d and offset %d must not be negative", opt.Limit, opt.Offset)
	}
	limit := int64(opt.Limit)
	if limit == 0 {
		limit = math.MaxInt64 // SQLite has no OFFSET without LIMIT
	}
	q := `SELECT id, kind, number, title, doc_type, issuer, status, updated_at FROM documents`
	args := []any{}
	if opt.Kind != "" {
		q += ` WHERE kind = $1`
		args = append(args, string(opt.Kind))
	}
	q += fmt.Sprintf(` ORDER BY id LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
	args = append(args, limit, int64(opt.Offset))

	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("corpus: list %+v: %w", opt, err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var sm Summary
		var kind, updated string
		if err := rows.Scan(&sm.ID, &kind, &sm.Number, &sm.Title, &sm.Type, &sm.Issuer, &sm.Status, &updated); err != nil {
			return nil, fmt.Errorf("corpus: list %+v: %w", opt, err)
		}
		sm.Kind = Kind(kind)
		if sm.UpdatedAt, err = time.Parse(timeLayout, updated); err != nil {
			return nil, fmt.Errorf("corpus: list: document %q: updated_at: %w", sm.ID, err)
		}
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("corpus: list %+v: %w", opt, err)
	}
	return out, nil
}

// Count returns how many documents of kind ("" for all) are stored.
func (s *Store) Count(ctx context.Context, kind Kind) (int, error) {
	q, args := `SELECT COUNT(*) FROM documents`, []any{}
	if kind != "" {
		q, args = q+` WHERE kind = $1`, append(args, string(kind))
	}
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("corpus: count %q: %w", kind, err)
	}
	return n, nil
}

// Delete removes the document with the given id and its keys, and records
// the removal in the change log.
func (s *Store) Delete(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("corpus: delete document %q: %w", id, err)
	}
	defer tx.Rollback()
	if err := s.lockChanges(ctx, tx); err != nil {
		return fmt.Errorf("corpus: delete document %q: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM document_keys WHERE doc_id = $1`, id); err != nil {
		return fmt.Errorf("corpus: delete document %q: keys: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("corpus: delete document %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("corpus: delete document %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("corpus: delete document %q: %w", id, ErrNotFound)
	}
	if err := s.logChange(ctx, tx, id, OpDeleted); err != nil {
		return fmt.Errorf("corpus: delete document %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("corpus: delete document %q: commit: %w", id, err)
	}
	return nil
}

// All calls fn with every document of kind ("" for all), in id order, and
// stops at the first error fn returns, which it returns unchanged. It is
// how indexes are rebuilt from the database.
func (s *Store) All(ctx context.Context, kind Kind, fn func(*Document) error) error {
	after := ""
	for {
		ids, bodies, err := s.batch(ctx, kind, after)
		if err != nil {
			return err
		}
		for i, body := range bodies {
			d, err := decode(ids[i], body)
			if err != nil {
				return err
			}
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(ids) < allBatch {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// batch reads the next allBatch documents after the given id.
func (s *Store) batch(ctx context.Context, kind Kind, after string) (ids, bodies []string, err error) {
	q, args := `SELECT id, body FROM documents WHERE id > $1`, []any{after}
	if kind != "" {
		q, args = q+` AND kind = $2`, append(args, string(kind))
	}
	q += fmt.Sprintf(` ORDER BY id LIMIT %d`, allBatch)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus: read documents of %q after %q: %w", kind, after, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, nil, fmt.Errorf("corpus: read documents of %q after %q: %w", kind, after, err)
		}
		ids, bodies = append(ids, id), append(bodies, body)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("corpus: read documents of %q after %q: %w", kind, after, err)
	}
	return ids, bodies, nil
}
