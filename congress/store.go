package congress

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeLayout is fixed-width so that times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// NotifyChannel is the PostgreSQL channel a write notifies, with the
// history id as payload, in the write's transaction.
const NotifyChannel = "congress_changes"

// Tree is what the Store needs of the unit tree; *org.Store is one.
type Tree interface {
	Territory(ctx context.Context, code string) (org.Territory, error)
	Descendants(ctx context.Context, code string, level org.Level) ([]org.Territory, error)
	CountDescendants(ctx context.Context, code string) (org.Counts, error)
}

// Options configure a Store.
type Options struct {
	// Tree is the unit tree: which provinces and communes exist.
	Tree Tree
	// Terms are the terms served; empty: DefaultTerm only.
	Terms []string
	// OnChange is called after each write commits, in the writer's
	// goroutine: the in-process wake-up of the change stream. It must
	// not block.
	OnChange func(Change)
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Store keeps the congress records and their history.
type Store struct {
	db    *store.DB
	tree  Tree
	terms []string
	on    func(Change)
	now   func() time.Time

	// One writer at a time in this process, so that history ids are
	// given in commit order on SQLite (one process holds the data
	// directory); PostgreSQL takes a transaction lock for the same.
	mu sync.Mutex
}

// NewStore returns a Store on db. Call Migrate before using it.
func NewStore(db *store.DB, o Options) *Store {
	s := &Store{db: db, tree: o.Tree, terms: o.Terms, on: o.OnChange, now: o.Now}
	if len(s.terms) == 0 {
		s.terms = []string{DefaultTerm}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// DB is the database the Store writes (the change stream listens on it).
func (s *Store) DB() *store.DB { return s.db }

// Terms are the terms served, the first the current one.
func (s *Store) Terms() []string { return slices.Clone(s.terms) }

// SetOnChange replaces the change callback; call it before serving.
func (s *Store) SetOnChange(f func(Change)) { s.on = f }

// Migrate creates or updates the congress tables.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.db.Migrate(ctx, "congress", sub)
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CheckTerm returns ErrNotFound for a term not served.
func (s *Store) CheckTerm(term string) error {
	if !slices.Contains(s.terms, term) {
		return fmt.Errorf("%w: term %q (served: %s)", ErrNotFound, term, strings.Join(s.terms, ", "))
	}
	return nil
}

// place looks a territory up and checks that it holds congresses.
func (s *Store) place(ctx context.Context, code string) (org.Territory, error) {
	l, err := org.LevelOf(code)
	if err != nil {
		return org.Territory{}, invalid("territory", fmt.Sprintf("Mã địa bàn %q không hợp lệ: cần mã tỉnh 2 chữ số (79) hoặc mã xã 5 chữ số (26734)", code),
			"want a 2-digit province or 5-digit commune code")
	}
	if l != org.Province && l != org.Commune {
		return org.Territory{}, invalid("territory", fmt.Sprintf("Địa bàn %q không tổ chức đại hội Mặt trận: chỉ cấp tỉnh và cấp xã", code),
			"congresses are held by provinces and communes only")
	}
	t, err := s.tree.Territory(ctx, code)
	if errors.Is(err, org.ErrNotFound) {
		return org.Territory{}, fmt.Errorf("%w: territory %q", ErrNotFound, code)
	}
	if err != nil {
		return org.Territory{}, err
	}
	return t, nil
}

// provinceOf is the province code on a territory's path "VN/79/26734/".
func provinceOf(t org.Territory) string {
	if t.Level == org.Province {
		return t.Code
	}
	parts := strings.Split(t.Path, "/")
	if len(parts) > 1 {
		return parts[1]
	}
	return ""
}

// blank is the congress of a territory without a record.
func blank(term string, t org.Territory) Congress {
	return Congress{Term: term, Territory: t.Code, Province: provinceOf(t), Level: t.Level, Status: Planned}
}

// finish fills in what is derived, never stored.
func finish(c *Congress, t org.Territory) {
	c.TerritoryName = t.Name
	if c.Name == "" {
		c.Name = builtName(t.Name, c.Ordinal)
	}
	if c.ViceChairs == nil {
		c.ViceChairs = []string{}
	}
	if c.News == nil {
		c.News = []NewsItem{}
	}
	if c.Attachments == nil {
		c.Attachments = []Attachment{}
	}
}

// Get returns the congress of territory in term; a territory without a
// record yet is planned with every other field empty.
func (s *Store) Get(ctx context.Context, term, territory string) (Congress, error) {
	if err := s.CheckTerm(term); err != nil {
		return Congress{}, err
	}
	t, err := s.place(ctx, territory)
	if err != nil {
		return Congress{}, err
	}
	c, _, err := s.read(ctx, s.db, term, t)
	if err != nil {
		return Congress{}, err
	}
	finish(&c, t)
	return c, nil
}

// read returns the stored record, or the blank one and false.
func (s *Store) read(ctx context.Context, q querier, term string, t org.Territory) (Congress, bool, error) {
	var data string
	err := q.QueryRowContext(ctx, `SELECT data FROM congress_records WHERE term = $1 AND territory = $2`, term, t.Code).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return blank(term, t), false, nil
	}
	if err != nil {
		return Congress{}, false, fmt.Errorf("congress: read %s/%s: %w", term, t.Code, err)
	}
	var c Congress
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return Congress{}, false, fmt.Errorf("congress: decode %s/%s: %w", term, t.Code, err)
	}
	return c, true, nil
}

// Put validates c against the stored record and writes it as the
// congress of territory in term, with a history row, in one transaction.
// A c.Version other than 0 must be the stored version (else
// ErrConflict). The stored attachments are kept whatever c carries. The
// error is a *FieldError for a field that cannot be stored.
func (s *Store) Put(ctx context.Context, term, territory string, c Congress, actor string) (Congress, error) {
	out, err := s.PutAll(ctx, term, []Congress{withTerritory(c, territory)}, actor)
	if err != nil {
		var re *RowErrors
		if errors.As(err, &re) && len(re.Rows) == 1 {
			return Congress{}, re.Rows[0].Err
		}
		return Congress{}, err
	}
	return out[0], nil
}

func withTerritory(c Congress, territory string) Congress {
	c.Territory = territory
	return c
}

// RowError is the refusal of one congress of a PutAll.
type RowError struct {
	Index int // in the slice given
	Err   error
}

// RowErrors is PutAll's refusal: every congress that could not be
// written, none having been.
type RowErrors struct{ Rows []RowError }

func (e *RowErrors) Error() string {
	msgs := make([]string, 0, len(e.Rows))
	for _, r := range e.Rows {
		msgs = append(msgs, r.Err.Error())
	}
	return "congress: " + strings.Join(msgs, "; ")
}

// Is makes RowErrors an ErrInvalid when every row's error is one.
func (e *RowErrors) Is(target error) bool {
	for _, r := range e.Rows {
		if !errors.Is(r.Err, target) {
			return false
		}
	}
	return len(e.Rows) > 0
}

// PutAll writes every congress of cs (each names its Territory) in one
// transaction, as Put does one: all or none. When some cannot be written
// the error is a *RowErrors naming each. Two congresses of one territory
// are refused.
func (s *Store) PutAll(ctx context.Context, term string, cs []Congress, actor string) ([]Congress, error) {
	if err := s.CheckTerm(term); err != nil {
		return nil, err
	}
	places := make([]org.Territory, len(cs))
	var bad RowErrors
	seen := map[string]int{}
	for i, c := range cs {
		t, err := s.place(ctx, c.Territory)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				err = invalid("territory", fmt.Sprintf("Không có địa bàn mã %q", c.Territory), "no such territory")
			}
			bad.Rows = append(bad.Rows, RowError{i, err})
			continue
		}
		if j, ok := seen[t.Code]; ok {
			bad.Rows = append(bad.Rows, RowError{i, invalid("territory",
				fmt.Sprintf("Địa bàn %s đã có ở mục %d", t.Code, j+1), "the territory appears twice")})
			continue
		}
		seen[t.Code] = i
		places[i] = t
	}
	if len(bad.Rows) > 0 {
		return nil, &bad
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if s.db.Dialect == store.Postgres {
		// History ids are taken in commit order: a reader that saw id n
		// never later finds a smaller one committed.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7316001)`); err != nil {
			return nil, fmt.Errorf("congress: lock: %w", err)
		}
	}
	now := s.now().UTC()
	out := make([]Congress, len(cs))
	changes := make([]Change, 0, len(cs))
	for i, c := range cs {
		t := places[i]
		prev, _, err := s.read(ctx, tx, term, t)
		if err != nil {
			return nil, err
		}
		if c.Version != 0 && c.Version != prev.Version {
			if len(cs) == 1 {
				return nil, fmt.Errorf("%w: %s has version %d, not %d", ErrConflict, t.Code, prev.Version, c.Version)
			}
			bad.Rows = append(bad.Rows, RowError{i, invalid("version",
				fmt.Sprintf("Bản ghi đã được sửa (phiên bản %d, không phải %d)", prev.Version, c.Version), "the record changed meanwhile")})
			continue
		}
		next, reason, err := prepare(prev, c)
		if err != nil {
			bad.Rows = append(bad.Rows, RowError{i, err})
			continue
		}
		// A name as the Store builds it is not kept, so that it follows
		// the ordinal.
		if next.Name == builtName(t.Name, next.Ordinal) || next.Name == builtName(t.Name, prev.Ordinal) {
			next.Name = ""
		}
		next.Term, next.Territory, next.Province, next.Level = term, t.Code, provinceOf(t), t.Level
		next.Attachments = prev.Attachments
		next.Version = prev.Version + 1
		next.UpdatedAt, next.UpdatedBy = now, actor
		ch, err := s.write(ctx, tx, next, prev.Version, actor, reason)
		if err != nil {
			return nil, err
		}
		finish(&next, t)
		out[i] = next
		changes = append(changes, ch)
	}
	if len(bad.Rows) > 0 {
		return nil, &bad
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("congress: commit: %w", err)
	}
	s.announce(changes)
	return out, nil
}

func (s *Store) announce(changes []Change) {
	if s.on == nil {
		return
	}
	for _, ch := range changes {
		s.on(ch)
	}
}

// write stores c (whose Version is the new one, prevVersion the stored
// one, 0 for none) and its history row, and notifies on PostgreSQL.
func (s *Store) write(ctx context.Context, tx querier, c Congress, prevVersion int, actor, reason string) (Change, error) {
	stored := c
	stored.TerritoryName, stored.Correction = "", ""
	data, err := json.Marshal(stored)
	if err != nil {
		return Change{}, err
	}
	at := c.UpdatedAt.Format(timeLayout)
	var res sql.Result
	if prevVersion == 0 {
		res, err = tx.ExecContext(ctx, `INSERT INTO congress_records (term, territory, province, level, status, on_date, data, version, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.Term, c.Territory, c.Province, string(c.Level), string(c.Status), c.Date(), string(data), c.Version, at, actor)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE congress_records SET status = $1, on_date = $2, data = $3, version = $4, updated_at = $5, updated_by = $6
			WHERE term = $7 AND territory = $8 AND version = $9`,
			string(c.Status), c.Date(), string(data), c.Version, at, actor, c.Term, c.Territory, prevVersion)
	}
	if err != nil {
		return Change{}, fmt.Errorf("congress: write %s/%s: %w", c.Term, c.Territory, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return Change{}, fmt.Errorf("%w: %s", ErrConflict, c.Territory)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO congress_history (term, territory, province, version, status, at, actor, reason, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		c.Term, c.Territory, c.Province, c.Version, string(c.Status), at, actor, reason, string(data)).Scan(&id)
	if err != nil {
		return Change{}, fmt.Errorf("congress: history of %s/%s: %w", c.Term, c.Territory, err)
	}
	if s.db.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(id, 10)); err != nil {
			return Change{}, fmt.Errorf("congress: notify: %w", err)
		}
	}
	return Change{ID: id, Term: c.Term, Territory: c.Territory, Province: c.Province, At: c.UpdatedAt}, nil
}

// ChangesSince returns the history rows of term after id after, in id
// order, at most limit (≤ 0: 1000).
func (s *Store) ChangesSince(ctx context.Context, term string, after int64, limit int) ([]Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, territory, province, at FROM congress_history
		WHERE term = $1 AND id > $2 ORDER BY id LIMIT $3`, term, after, limit)
	if err != nil {
		return nil, fmt.Errorf("congress: changes of %s since %d: %w", term, after, err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		ch := Change{Term: term}
		var at string
		if err := rows.Scan(&ch.ID, &ch.Territory, &ch.Province, &at); err != nil {
			return nil, err
		}
		ch.At, _ = time.Parse(timeLayout, at)
		out = append(out, ch)
	}
	return out, rows.Err()
}

// LastChange is the id of term's newest history row, 0 when none.
func (s *Store) LastChange(ctx context.Context, term string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM congress_history WHERE term = $1`, term).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("congress: last change of %s: %w", term, err)
	}
	return id, nil
}

// HistoryEntry is one write of a congress, for staff.
type HistoryEntry struct {
	ID       int64     `json:"id"`
	Version  int       `json:"version"`
	Status   Status    `json:"status"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Reason   string    `json:"reason,omitempty"`
	Congress Congress  `json:"congress"`
}

// History returns every write of a congress, the newest first.
func (s *Store) History(ctx context.Context, term, territory string) ([]HistoryEntry, error) {
	if err := s.CheckTerm(term); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, version, status, at, actor, reason, data FROM congress_history
		WHERE term = $1 AND territory = $2 ORDER BY id DESC`, term, territory)
	if err != nil {
		return nil, fmt.Errorf("congress: history of %s/%s: %w", term, territory, err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		var status, at, data string
		if err := rows.Scan(&h.ID, &h.Version, &status, &at, &h.Actor, &h.Reason, &data); err != nil {
			return nil, err
		}
		h.Status = Status(status)
		h.At, _ = time.Parse(timeLayout, at)
		if err := json.Unmarshal([]byte(data), &h.Congress); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// scope is the territories in a list's or summary's scope, in path order.
func (s *Store) scope(ctx context.Context, province string, level org.Level) ([]org.Territory, error) {
	root := org.CentralCode
	var out []org.Territory
	if province != "" {
		t, err := s.provinceArg(ctx, province)
		if err != nil {
			return nil, err
		}
		root = t.Code
		if level != org.Commune {
			out = append(out, t)
		}
	}
	for _, l := range []org.Level{org.Province, org.Commune} {
		if level != "" && level != l {
			continue
		}
		if province != "" && l == org.Province {
			continue
		}
		ts, err := s.tree.Descendants(ctx, root, l)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	slices.SortFunc(out, func(a, b org.Territory) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// provinceArg checks a province filter.
func (s *Store) provinceArg(ctx context.Context, code string) (org.Territory, error) {
	if l, err := org.LevelOf(code); err != nil || l != org.Province {
		return org.Territory{}, invalid("province", fmt.Sprintf("Mã tỉnh %q không hợp lệ: cần 2 chữ số, ví dụ 79", code),
			"want a 2-digit province code, e.g. 79")
	}
	t, err := s.tree.Territory(ctx, code)
	if errors.Is(err, org.ErrNotFound) {
		return org.Territory{}, invalid("province", fmt.Sprintf("Không có tỉnh, thành phố mã %q", code), "no such province")
	}
	return t, err
}

// List returns the congresses of term in the scope of f, one for every
// province and commune in it (planned and empty where there is no
// record), in the tree's path order.
func (s *Store) List(ctx context.Context, term string, f Filter) ([]Congress, error) {
	if err := s.CheckTerm(term); err != nil {
		return nil, err
	}
	if f.Level != "" && f.Level != org.Province && f.Level != org.Commune {
		return nil, invalid("level", fmt.Sprintf("Cấp %q không hợp lệ: cần province hoặc commune", f.Level), "level must be province or commune")
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, invalid("status", fmt.Sprintf("Trạng thái %q không hợp lệ: cần planned, preparing, held hoặc postponed", f.Status),
			"status must be planned, preparing, held or postponed")
	}
	ts, err := s.scope(ctx, f.Province, f.Level)
	if err != nil {
		return nil, err
	}
	q := `SELECT territory, data FROM congress_records WHERE term = $1`
	args := []any{term}
	if f.Province != "" {
		q += ` AND province = $2`
		args = append(args, f.Province)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("congress: list %s: %w", term, err)
	}
	defer rows.Close()
	recs := map[string]Congress{}
	for rows.Next() {
		var code, data string
		if err := rows.Scan(&code, &data); err != nil {
			return nil, err
		}
		var c Congress
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return nil, fmt.Errorf("congress: decode %s/%s: %w", term, code, err)
		}
		recs[code] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Congress, 0, len(ts))
	for _, t := range ts {
		c, ok := recs[t.Code]
		if !ok {
			c = blank(term, t)
		}
		if f.Status != "" && c.Status != f.Status {
			continue
		}
		finish(&c, t)
		out = append(out, c)
	}
	return out, nil
}

// Summary counts the congresses of term nationally (province "") or in
// a province (the province's own and its communes'), as of now: a
// territory without a record is planned; upcoming are those not held
// whose date (Congress.Date) is from now's day to 7 days after.
func (s *Store) Summary(ctx context.Context, term, province string, now time.Time) (Summary, error) {
	var sum Summary
	if err := s.CheckTerm(term); err != nil {
		return sum, err
	}
	root := org.CentralCode
	if province != "" {
		t, err := s.provinceArg(ctx, province)
		if err != nil {
			return sum, err
		}
		root = t.Code
		sum.Expected = 1
	}
	n, err := s.tree.CountDescendants(ctx, root)
	if err != nil {
		return sum, err
	}
	sum.Expected += n.Provinces + n.Communes

	where := `term = $1`
	args := []any{term}
	if province != "" {
		where += ` AND province = $2`
		args = append(args, province)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM congress_records WHERE `+where+` GROUP BY status`, args...)
	if err != nil {
		return sum, fmt.Errorf("congress: summary of %s: %w", term, err)
	}
	defer rows.Close()
	recorded := 0
	for rows.Next() {
		var st string
		var k int
		if err := rows.Scan(&st, &k); err != nil {
			return sum, err
		}
		recorded += k
		switch Status(st) {
		case Held:
			sum.Held = k
		case Preparing:
			sum.Preparing = k
		case Postponed:
			sum.Postponed = k
		case Planned:
			sum.Planned = k
		}
	}
	if err := rows.Err(); err != nil {
		return sum, err
	}
	sum.Planned += sum.Expected - recorded

	from := now.Format(dateLayout)
	to := now.AddDate(0, 0, 7).Format(dateLayout)
	args = append(args, from, to)
	k := len(args)
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM congress_records WHERE `+where+
		` AND status <> 'held' AND on_date >= $`+strconv.Itoa(k-1)+` AND on_date <= $`+strconv.Itoa(k), args...).Scan(&sum.Upcoming7d)
	if err != nil {
		return sum, fmt.Errorf("congress: upcoming of %s: %w", term, err)
	}
	if sum.Expected > 0 {
		sum.PercentHeld = math.Round(float64(sum.Held)*1000/float64(sum.Expected)) / 10
	}
	return sum, nil
}
