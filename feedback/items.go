package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattranso/mattranso/org"
)

// The Store's reads and officers' writes. Every write of an item goes
// through Update, which checks the move against the table and writes the
// history event in the same transaction.

const itemColumns = `id, code, content, public_text, province, commune, village, address, lat, lon,
	level, unit, unit_path, topic, topic_confidence, topic_flagged, topic_source, state, outcome,
	reason, agency, answer, published, created_at, updated_at, due_at, forwarded_at, answered_at,
	closed_at, escalated_at, published_at, duplicate_of`

type scanner interface{ Scan(dest ...any) error }

func scanItem(sc scanner) (Item, error) {
	var (
		it                                                 Item
		public                                             sql.NullString
		lat, lon                                           sql.NullFloat64
		level, state, outcome                              string
		created, updated, due                              int64
		forwarded, answered, closed, escalated, published_ sql.NullInt64
		dup                                                sql.NullInt64
	)
	err := sc.Scan(&it.ID, &it.Code, &it.Content, &public, &it.Province, &it.Commune, &it.Village, &it.Address,
		&lat, &lon, &level, &it.Unit, &it.UnitPath, &it.Topic, &it.TopicConfidence, &it.TopicFlagged,
		&it.TopicSource, &state, &outcome, &it.Reason, &it.Agency, &it.Answer, &it.Published,
		&created, &updated, &due, &forwarded, &answered, &closed, &escalated, &published_, &dup)
	if err != nil {
		return it, err
	}
	if public.Valid {
		it.PublicText = &public.String
	}
	if lat.Valid && lon.Valid {
		it.Lat, it.Lon = &lat.Float64, &lon.Float64
	}
	it.Level, it.State, it.Outcome = Level(level), State(state), Outcome(outcome)
	it.CreatedAt, it.UpdatedAt, it.DueAt = unix(created), unix(updated), unix(due)
	it.ForwardedAt, it.AnsweredAt, it.ClosedAt = unixPtr(forwarded), unixPtr(answered), unixPtr(closed)
	it.EscalatedAt, it.PublishedAt = unixPtr(escalated), unixPtr(published_)
	if dup.Valid {
		it.DuplicateOf = &dup.Int64
	}
	return it, nil
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func unixPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := unix(v.Int64)
	return &t
}

// nullTime is a *time.Time as a column value: unix seconds or NULL.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func nullInt(i *int64) any {
	if i == nil {
		return nil
	}
	return *i
}

// Item returns the item with id, or an error wrapping ErrNotFound.
func (s *Store) Item(ctx context.Context, id int64) (Item, error) {
	return s.item(ctx, s.db, `WHERE id = $1`, id)
}

// ItemByCode returns the item with a tracking code, typed as a person
// may type it (see ParseCode), or an error wrapping ErrNotFound.
func (s *Store) ItemByCode(ctx context.Context, code string) (Item, error) {
	c, ok := ParseCode(code)
	if !ok {
		return Item{}, fmt.Errorf("feedback: item %q: %w", code, ErrNotFound)
	}
	return s.item(ctx, s.db, `WHERE code = $1`, c)
}

func (s *Store) item(ctx context.Context, q Querier, where string, arg any) (Item, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM feedback_items `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, fmt.Errorf("feedback: item %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return Item{}, fmt.Errorf("feedback: item %v: %w", arg, err)
	}
	return it, nil
}

// Contact returns the submitter of an item; the zero Contact when they
// gave nothing. It is for officers of the receiving unit only.
func (s *Store) Contact(ctx context.Context, itemID int64) (Contact, error) {
	var c Contact
	err := s.db.QueryRowContext(ctx, `SELECT name, phone, email FROM feedback_contacts WHERE item_id = $1`, itemID).
		Scan(&c.Name, &c.Phone, &c.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, nil
	}
	if err != nil {
		return c, fmt.Errorf("feedback: contact of item %d: %w", itemID, err)
	}
	return c, nil
}

// Photos returns an item's photos in the order they were sent.
func (s *Store) Photos(ctx context.Context, itemID int64) ([]Photo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, seq, content_type, width, height, size, blob_key, thumb_key,
		thumb_type, public FROM feedback_photos WHERE item_id = $1 ORDER BY seq`, itemID)
	if err != nil {
		return nil, fmt.Errorf("feedback: photos of item %d: %w", itemID, err)
	}
	defer rows.Close()
	out := []Photo{}
	for rows.Next() {
		var p Photo
		if err := rows.Scan(&p.ItemID, &p.Seq, &p.ContentType, &p.Width, &p.Height, &p.Size, &p.BlobKey, &p.ThumbKey,
			&p.ThumbType, &p.Public); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Events returns an item's history, oldest first.
func (s *Store) Events(ctx context.Context, itemID int64) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, item_id, at, actor, action, from_state, to_state, detail, ip
		FROM feedback_events WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, fmt.Errorf("feedback: history of item %d: %w", itemID, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var at int64
		var from, to string
		if err := rows.Scan(&e.ID, &e.ItemID, &at, &e.Actor, &e.Action, &from, &to, &e.Detail, &e.IP); err != nil {
			return nil, err
		}
		e.At, e.From, e.To = unix(at), State(from), State(to)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddEvent writes an entry of an item's history within tx (Update writes
// its own; this is for other writes, such as a note or a photo published).
func (s *Store) AddEvent(ctx context.Context, tx Querier, e Event) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO feedback_events (item_id, at, actor, action, from_state, to_state, detail, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ItemID, e.At.Unix(), e.Actor, e.Action, string(e.From), string(e.To), e.Detail, e.IP)
	if err != nil {
		return fmt.Errorf("feedback: history of item %d: %w", e.ItemID, err)
	}
	return nil
}

// Notes returns an item's internal notes, oldest first.
func (s *Store) Notes(ctx context.Context, itemID int64) ([]Note, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, item_id, at, author, text FROM feedback_notes
		WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, fmt.Errorf("feedback: notes of item %d: %w", itemID, err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var at int64
		if err := rows.Scan(&n.ID, &n.ItemID, &at, &n.Author, &n.Text); err != nil {
			return nil, err
		}
		n.At = unix(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// AddNote adds an internal note to an item, with a history event that
// says a note was added (not what it says).
func (s *Store) AddNote(ctx context.Context, itemID int64, author, text, ip string) (Note, error) {
	n := Note{ItemID: itemID, At: s.now().UTC().Truncate(time.Second), Author: author, Text: text}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO feedback_notes (item_id, at, author, text) VALUES ($1, $2, $3, $4)
			RETURNING id`, itemID, n.At.Unix(), author, text).Scan(&n.ID); err != nil {
			return err
		}
		return s.AddEvent(ctx, tx, Event{ItemID: itemID, At: n.At, Actor: author, Action: "note", IP: ip})
	})
	if err != nil {
		if isForeignKey(err) {
			err = ErrNotFound
		}
		return Note{}, fmt.Errorf("feedback: note on item %d: %w", itemID, err)
	}
	return n, nil
}

// RecordCorrection stores an officer's topic correction within tx, for the
// classifier to be retrained on (Corrections).
func (s *Store) RecordCorrection(ctx context.Context, tx Querier, c Correction) error {
	if c.At.IsZero() {
		c.At = s.now()
	}
	var item any
	if c.ItemID != 0 {
		item = c.ItemID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_corrections (item_id, text, topic, at, actor) VALUES ($1, $2, $3, $4, $5)`,
		item, c.Text, c.Topic, c.At.Unix(), c.Actor); err != nil {
		return fmt.Errorf("feedback: record correction: %w", err)
	}
	return nil
}

// Corrections returns every topic correction, oldest first.
func (s *Store) Corrections(ctx context.Context) ([]Correction, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(item_id, 0), text, topic, at, actor FROM feedback_corrections ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("feedback: corrections: %w", err)
	}
	defer rows.Close()
	out := []Correction{}
	for rows.Next() {
		var c Correction
		var at int64
		if err := rows.Scan(&c.ID, &c.ItemID, &c.Text, &c.Topic, &at, &c.Actor); err != nil {
			return nil, err
		}
		c.At = unix(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Query selects items for a listing. Units are the roots of the subtrees
// to list (auth.Scopes gives them); none lists nothing.
type Query struct {
	Units   []string
	States  []State // any state when empty
	Topic   string  // any when ""
	Commune string  // any when ""
	Flagged bool    // only items whose topic an officer should check
	// Before is the id the page starts below (the previous page's Next);
	// 0 starts at the newest.
	Before int64
	Limit  int // 1 to MaxList; 0 means DefaultList
}

// The page size of List.
const (
	DefaultList = 50
	MaxList     = 200
)

// Page is one page of a listing, newest first.
type Page struct {
	Items []Item
	// Next is the Before of the next page, 0 when this is the last.
	Next int64
}

// List returns the items in the subtrees of q.Units matching q, newest
// first. A unit contains the items received by it and by units it
// contains (org's containment: the territory's descendants, and for MTTQ
// the member organisations).
func (s *Store) List(ctx context.Context, q Query) (Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultList
	}
	limit = min(limit, MaxList)
	var (
		args   []any
		scopes []string
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for _, u := range q.Units {
		unit, err := org.ParseUnit(u)
		if err != nil {
			return Page{}, fmt.Errorf("feedback: list: %w", err)
		}
		t, err := s.territories.Territory(ctx, unit.Territory)
		if err != nil {
			return Page{}, fmt.Errorf("feedback: list: %w", err)
		}
		// Paths under t's are [path, path with its last "/" turned to
		// "0"), as org lays them out.
		cond := "(unit_path >= " + arg(t.Path) + " AND unit_path < " + arg(t.Path[:len(t.Path)-1]+"0")
		if unit.Org != org.MTTQ {
			cond += " AND unit LIKE " + arg("%/"+string(unit.Org))
		}
		scopes = append(scopes, cond+")")
	}
	if len(scopes) == 0 {
		return Page{Items: []Item{}}, nil
	}
	where := []string{"(" + strings.Join(scopes, " OR ") + ")"}
	if len(q.States) > 0 {
		marks := make([]string, len(q.States))
		for i, st := range q.States {
			marks[i] = arg(string(st))
		}
		where = append(where, "state IN ("+strings.Join(marks, ", ")+")")
	}
	if q.Topic != "" {
		where = append(where, "topic = "+arg(q.Topic))
	}
	if q.Commune != "" {
		where = append(where, "commune = "+arg(q.Commune))
	}
	if q.Flagged {
		where = append(where, "topic_flagged = "+arg(true))
	}
	if q.Before > 0 {
		where = append(where, "id < "+arg(q.Before))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+itemColumns+` FROM feedback_items WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT `+arg(limit+1), args...)
	if err != nil {
		return Page{}, fmt.Errorf("feedback: list: %w", err)
	}
	defer rows.Close()
	p := Page{Items: []Item{}}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return Page{}, fmt.Errorf("feedback: list: %w", err)
		}
		p.Items = append(p.Items, it)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("feedback: list: %w", err)
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next = p.Items[limit-1].ID
	}
	return p, nil
}

// Change describes an update for its history event: who made it, what
// it was ("move", "reroute", "topic", "answer", "publish", "escalate"…),
// a detail for officers (a reason, the agency, the old and new unit) and
// the address it came from.
type Change struct {
	Actor  string
	Action string
	Detail string
	IP     string
}

// Update changes an item in one transaction: fn gets the item, locked
// against other updates, and changes it in place; it may also write
// within tx (a correction, a note). Then Update
//
//   - refuses a change of the item's id, code, content, place or creation
//     time (the record of what was sent does not change);
//   - when State changed, refuses a move the table does not allow or one
//     missing what it needs (Rejected a Reason, Forwarded an Agency,
//     Answered an Answer, Closed a valid Outcome), with ErrTransition; and
//     sets the time of the move (ForwardedAt, AnsweredAt, ClosedAt); a
//     reopened item loses its outcome and ClosedAt;
//   - when Unit changed, checks the unit exists and files the item under
//     its territory;
//   - writes the item and one history event (ch, with the states when the
//     state changed);
//   - when the answer changed, stores it redacted as the public answer,
//     not yet reviewed, and takes a published item off the public pages
//     (see Publish) — and commits.
//
// An error from fn is returned as it is and nothing is written.
func (s *Store) Update(ctx context.Context, id int64, ch Change, fn func(ctx context.Context, tx Querier, it *Item) error) (Item, error) {
	var out Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// A write first locks the row (PostgreSQL) or takes the write lock
		// (SQLite), so that no other writer overtakes the read below.
		res, err := tx.ExecContext(ctx, `UPDATE feedback_items SET updated_at = updated_at WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("feedback: item %d: %w", id, ErrNotFound)
		}
		before, err := s.item(ctx, tx, `WHERE id = $1`, id)
		if err != nil {
			return err
		}
		it := before
		if err := fn(ctx, tx, &it); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Second)
		if err := s.checkUpdate(ctx, &before, &it, now); err != nil {
			return err
		}
		it.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE feedback_items SET public_text = $2, level = $3, unit = $4, unit_path = $5,
				topic = $6, topic_confidence = $7, topic_flagged = $8, topic_source = $9, state = $10, outcome = $11,
				reason = $12, agency = $13, answer = $14, published = $15, updated_at = $16, due_at = $17,
				forwarded_at = $18, answered_at = $19, closed_at = $20, escalated_at = $21, published_at = $22,
				duplicate_of = $23
			WHERE id = $1`,
			id, nullString(it.PublicText), string(it.Level), it.Unit, it.UnitPath, it.Topic, it.TopicConfidence,
			it.TopicFlagged, it.TopicSource, string(it.State), string(it.Outcome), it.Reason, it.Agency, it.Answer,
			it.Published, it.UpdatedAt.Unix(), it.DueAt.Unix(), nullTime(it.ForwardedAt), nullTime(it.AnsweredAt),
			nullTime(it.ClosedAt), nullTime(it.EscalatedAt), nullTime(it.PublishedAt), nullInt(it.DuplicateOf)); err != nil {
			return err
		}
		ev := Event{ItemID: id, At: now, Actor: ch.Actor, Action: ch.Action, Detail: ch.Detail, IP: ch.IP}
		if ev.Action == "" {
			ev.Action = "update"
		}
		if it.State != before.State {
			ev.From, ev.To = before.State, it.State
		}
		if err := s.AddEvent(ctx, tx, ev); err != nil {
			return err
		}
		// A new answer is redacted for the public and reviewed again.
		if err := s.syncPublic(ctx, tx, &before, &it, now); err != nil {
			return err
		}
		out = it
		return nil
	})
	if err != nil {
		return Item{}, err
	}
	return out, nil
}

// checkUpdate holds an update to the rules of Update, filling in the times
// of a move and the path of a new unit.
func (s *Store) checkUpdate(ctx context.Context, before, it *Item, now time.Time) error {
	if it.ID != before.ID || it.Code != before.Code || it.Content != before.Content || it.Province != before.Province ||
		it.Commune != before.Commune || it.Village != before.Village || !it.CreatedAt.Equal(before.CreatedAt) {
		return fmt.Errorf("feedback: update of item %d: the item's id, code, content, place and creation time cannot change", before.ID)
	}
	if it.State != before.State {
		if err := checkMove(before.State, it); err != nil {
			return fmt.Errorf("feedback: item %d: %w", before.ID, err)
		}
		switch it.State {
		case Forwarded:
			it.ForwardedAt = &now
		case Answered:
			it.AnsweredAt = &now
		case Closed:
			it.ClosedAt = &now
		case InProgress:
			if before.State == Answered || before.State == Closed {
				it.Outcome, it.ClosedAt = "", nil
			}
		}
	}
	if it.Unit != before.Unit {
		u, err := org.ParseUnit(it.Unit)
		if err != nil {
			return fmt.Errorf("feedback: update of item %d: %w", before.ID, err)
		}
		t, err := s.territories.Territory(ctx, u.Territory)
		if err != nil {
			return fmt.Errorf("feedback: update of item %d: unit %s: %w", before.ID, it.Unit, err)
		}
		it.Unit, it.UnitPath = u.String(), t.Path
	}
	if it.Outcome != "" && !it.Outcome.Valid() {
		return fmt.Errorf("feedback: item %d: outcome %q: %w", before.ID, it.Outcome, ErrTransition)
	}
	return nil
}

// checkMove says whether an item may move from one state to it.State
// with what it holds.
func checkMove(from State, it *Item) error {
	if !CanMove(from, it.State) {
		return fmt.Errorf("%w: from %s to %s", ErrTransition, from, it.State)
	}
	switch {
	case it.State == Rejected && strings.TrimSpace(it.Reason) == "":
		return fmt.Errorf("%w: rejecting needs a reason", ErrTransition)
	case it.State == Forwarded && strings.TrimSpace(it.Agency) == "":
		return fmt.Errorf("%w: forwarding needs the agency", ErrTransition)
	case it.State == Answered && strings.TrimSpace(it.Answer) == "":
		return fmt.Errorf("%w: answering needs the answer", ErrTransition)
	case it.State == Closed && !it.Outcome.Valid():
		return fmt.Errorf("%w: closing needs an outcome (resolved, partly_resolved or not_resolved)", ErrTransition)
	}
	return nil
}

// inTx runs fn in a transaction of the pool, committed when fn returns
// nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// isForeignKey reports whether err is a foreign key violation (an item
// that does not exist), on either database.
func isForeignKey(err error) bool {
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}
