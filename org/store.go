package org

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeLayout is fixed-width so that times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Territory is a node of the tree: central VN, a province, a commune or a
// village.
type Territory struct {
	Code       string `json:"code"`
	Level      Level  `json:"level"`
	Name       string `json:"name"`       // full name, as in the official list: "Xã Ba Chẽ", "Thôn Hòa Bình"
	ShortName  string `json:"short_name"` // without its kind: "Ba Chẽ", "Hòa Bình"
	Kind       string `json:"kind,omitempty"`
	KindFull   string `json:"kind_full,omitempty"`
	NameEN     string `json:"name_en,omitempty"`
	FormerName string `json:"former_name,omitempty"` // the name of 1 July 2025, when it differs
	AltCode    string `json:"alt_code,omitempty"`    // the code in letter 1027/CTK-CSCL, when it differs
	ParentCode string `json:"parent_code,omitempty"`
	// Path is the codes from the root, each followed by "/":
	// "VN/79/26734/26734-001/".
	Path      string     `json:"path"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Retired reports whether the territory is retired (villages only): kept
// for history, left out of active lists.
func (t Territory) Retired() bool { return t.RetiredAt != nil }

// Unit is the unit of o at t.
func (t Territory) Unit(o Org) Unit { return Unit{Territory: t.Code, Org: o} }

// UnitName is the Vietnamese name of a unit: "Hội Nông dân Xã Ba Chẽ";
// at the central level the organisation's full name.
func UnitName(t Territory, o Org) string {
	if t.Level == Central {
		return o.Name()
	}
	return o.ShortName() + " " + t.Name
}

// Store keeps the territory tree in the org_territories table.
type Store struct {
	db  *store.DB
	now func() time.Time

	// pathStmt reads a territory's path for Contains, which auth calls on
	// every protected request: prepared once, it costs half as much.
	pathMu   sync.Mutex
	pathStmt *sql.Stmt
}

// NewStore returns a Store on db. Call Migrate before using it.
func NewStore(db *store.DB) *Store { return &Store{db: db, now: time.Now} }

// Migrate creates or updates the org tables. The central territory VN is
// created with them.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.db.Migrate(ctx, "org", sub)
}

// querier is a database or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const territoryColumns = `code, level, COALESCE(parent_code, ''), path, name, short_name, kind, kind_full,
	name_en, former_name, alt_code, retired_at, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanTerritory(sc scanner) (Territory, error) {
	var t Territory
	var level, retired, created, updated string
	if err := sc.Scan(&t.Code, &level, &t.ParentCode, &t.Path, &t.Name, &t.ShortName, &t.Kind, &t.KindFull,
		&t.NameEN, &t.FormerName, &t.AltCode, &retired, &created, &updated); err != nil {
		return t, err
	}
	t.Level = Level(level)
	t.CreatedAt, _ = time.Parse(timeLayout, created)
	t.UpdatedAt, _ = time.Parse(timeLayout, updated)
	if retired != "" {
		if at, err := time.Parse(timeLayout, retired); err == nil {
			t.RetiredAt = &at
		}
	}
	return t, nil
}

func (s *Store) queryTerritories(ctx context.Context, q querier, query string, args ...any) ([]Territory, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+territoryColumns+` FROM org_territories `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Territory{}
	for rows.Next() {
		t, err := scanTerritory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Territory returns the territory with code, retired or not.
func (s *Store) Territory(ctx context.Context, code string) (Territory, error) {
	t, err := s.territory(ctx, s.db, code)
	if err != nil {
		return t, fmt.Errorf("org: %w", err)
	}
	return t, nil
}

func (s *Store) territory(ctx context.Context, q querier, code string) (Territory, error) {
	if _, err := levelOf(code); err != nil {
		return Territory{}, err
	}
	t, err := scanTerritory(q.QueryRowContext(ctx, `SELECT `+territoryColumns+` FROM org_territories WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Territory{}, fmt.Errorf("territory %s: %w", code, ErrNotFound)
	}
	if err != nil {
		return Territory{}, fmt.Errorf("territory %s: %w", code, err)
	}
	return t, nil
}

// Children returns the active territories directly under code, in code
// order: the provinces under VN, a province's communes, a commune's
// villages.
func (s *Store) Children(ctx context.Context, code string) ([]Territory, error) {
	if _, err := s.Territory(ctx, code); err != nil {
		return nil, err
	}
	out, err := s.queryTerritories(ctx, s.db, `WHERE parent_code = $1 AND retired_at = '' ORDER BY LENGTH(code), code`, code)
	if err != nil {
		return nil, fmt.Errorf("org: children of %s: %w", code, err)
	}
	return out, nil
}

// Villages returns a commune's villages in the order they were created,
// with the retired ones when includeRetired is set.
func (s *Store) Villages(ctx context.Context, commune string, includeRetired bool) ([]Territory, error) {
	t, err := s.Territory(ctx, commune)
	if err != nil {
		return nil, err
	}
	if t.Level != Commune {
		return nil, fmt.Errorf("org: villages of %s: %w: %s is a %s, not a commune", commune, ErrInvalid, commune, t.Level)
	}
	where := `WHERE parent_code = $1 AND retired_at = '' ORDER BY LENGTH(code), code`
	if includeRetired {
		where = `WHERE parent_code = $1 ORDER BY LENGTH(code), code`
	}
	out, err := s.queryTerritories(ctx, s.db, where, commune)
	if err != nil {
		return nil, fmt.Errorf("org: villages of %s: %w", commune, err)
	}
	return out, nil
}

// pathCodes returns the codes of a path, root first.
func pathCodes(path string) []string {
	return strings.Split(strings.TrimSuffix(path, "/"), "/")
}

// Ancestors returns the territories above code, root (VN) first; none for
// VN itself.
func (s *Store) Ancestors(ctx context.Context, code string) ([]Territory, error) {
	t, err := s.Territory(ctx, code)
	if err != nil {
		return nil, err
	}
	codes := pathCodes(t.Path)
	codes = codes[:len(codes)-1]
	if len(codes) == 0 {
		return []Territory{}, nil
	}
	args := make([]any, len(codes))
	marks := make([]string, len(codes))
	for i, c := range codes {
		args[i] = c
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	out, err := s.queryTerritories(ctx, s.db, `WHERE code IN (`+strings.Join(marks, ", ")+`) ORDER BY path`, args...)
	if err != nil {
		return nil, fmt.Errorf("org: ancestors of %s: %w", code, err)
	}
	return out, nil
}

// below returns the bounds of the paths strictly under path: every such
// path starts with path, so it sorts at or after it and before path with
// its final "/" turned into "0", the next byte.
func below(path string) (lo, hi string) {
	return path, path[:len(path)-1] + "0"
}

// Descendants returns the active territories under code, of level when it
// is not "", in path order (each territory followed by its own
// descendants). It is one range scan on the path index.
func (s *Store) Descendants(ctx context.Context, code string, level Level) ([]Territory, error) {
	t, err := s.Territory(ctx, code)
	if err != nil {
		return nil, err
	}
	lo, hi := below(t.Path)
	q := `WHERE path > $1 AND path < $2 AND retired_at = ''`
	args := []any{lo, hi}
	if level != "" {
		q += ` AND level = $3`
		args = append(args, string(level))
	}
	out, err := s.queryTerritories(ctx, s.db, q+` ORDER BY path`, args...)
	if err != nil {
		return nil, fmt.Errorf("org: descendants of %s: %w", code, err)
	}
	return out, nil
}

// Counts is how many active territories of each level lie under one.
type Counts struct {
	Provinces int `json:"provinces"`
	Communes  int `json:"communes"`
	Villages  int `json:"villages"`
}

// CountDescendants counts the active territories under code, by level.
// Villages are counted from their communes' counters, so that the count
// under the country reads 3,355 index entries, not 90,000.
func (s *Store) CountDescendants(ctx context.Context, code string) (Counts, error) {
	var c Counts
	t, err := s.Territory(ctx, code)
	if err != nil {
		return c, err
	}
	switch t.Level {
	case Village:
		return c, nil
	case Commune:
		err := s.db.QueryRowContext(ctx, `SELECT villages FROM org_territories WHERE code = $1`, code).Scan(&c.Villages)
		if err != nil {
			return c, fmt.Errorf("org: count descendants of %s: %w", code, err)
		}
		return c, nil
	}
	lo, hi := below(t.Path)
	rows, err := s.db.QueryContext(ctx, `SELECT level, COUNT(*), COALESCE(SUM(villages), 0) FROM org_territories
		WHERE level IN ('province', 'commune') AND path > $1 AND path < $2 AND retired_at = '' GROUP BY level`, lo, hi)
	if err != nil {
		return c, fmt.Errorf("org: count descendants of %s: %w", code, err)
	}
	defer rows.Close()
	for rows.Next() {
		var level string
		var n, villages int
		if err := rows.Scan(&level, &n, &villages); err != nil {
			return c, fmt.Errorf("org: count descendants of %s: %w", code, err)
		}
		switch Level(level) {
		case Province:
			c.Provinces = n
		case Commune:
			c.Communes, c.Villages = n, villages
		}
	}
	return c, rows.Err()
}

// Contains reports whether unit a contains unit b (see the package doc):
// a's territory is b's or an ancestor of it, and a's organisation is b's
// or MTTQ. It is one primary-key lookup of b's territory, which must
// exist (else an error wrapping ErrNotFound); a's territory is not looked
// up, as it is an ancestor only if it is on b's path. A retired village
// is still contained by its commune's units. A malformed unit is an error
// wrapping ErrInvalid.
func (s *Store) Contains(ctx context.Context, a, b Unit) (bool, error) {
	for _, u := range []Unit{a, b} {
		if !u.Org.Valid() {
			return false, fmt.Errorf("org: contains %s in %s: %w organisation %q", b, a, ErrInvalid, u.Org)
		}
	}
	in, err := s.containsTerritory(ctx, a.Territory, b.Territory)
	if err != nil {
		return false, fmt.Errorf("org: contains %s in %s: %w", b, a, err)
	}
	return in && a.Org.Oversees(b.Org), nil
}

// Containers returns the units that contain u (see Contains), u first and
// then up the tree: for 26740-001/HND, 26740-001/HND and 26740-001/MTTQ,
// 26740/HND and 26740/MTTQ, 79/HND and 79/MTTQ, VN/HND and VN/MTTQ. It is
// one primary-key lookup of u's territory, which must exist (else an error
// wrapping ErrNotFound). Territories never move, so the answer for a unit
// never changes: auth indexes its audit log by it.
func (s *Store) Containers(ctx context.Context, u Unit) ([]Unit, error) {
	if !u.Org.Valid() {
		return nil, fmt.Errorf("org: containers of %s: %w organisation %q", u, ErrInvalid, u.Org)
	}
	if _, err := levelOf(u.Territory); err != nil {
		return nil, fmt.Errorf("org: containers of %s: %w", u, err)
	}
	stmt, err := s.pathQuery(ctx)
	if err != nil {
		return nil, err
	}
	var path string
	err = stmt.QueryRowContext(ctx, u.Territory).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("org: containers of %s: territory %s: %w", u, u.Territory, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("org: containers of %s: %w", u, err)
	}
	codes := pathCodes(path)
	out := make([]Unit, 0, 2*len(codes))
	for i := len(codes) - 1; i >= 0; i-- {
		out = append(out, Unit{Territory: codes[i], Org: u.Org})
		if u.Org != MTTQ {
			out = append(out, Unit{Territory: codes[i], Org: MTTQ})
		}
	}
	return out, nil
}

// ContainsTerritory reports whether territory a is territory b or one of
// its ancestors, with one primary-key lookup of b.
func (s *Store) ContainsTerritory(ctx context.Context, a, b string) (bool, error) {
	in, err := s.containsTerritory(ctx, a, b)
	if err != nil {
		return false, fmt.Errorf("org: contains %s in %s: %w", b, a, err)
	}
	return in, nil
}

func (s *Store) containsTerritory(ctx context.Context, a, b string) (bool, error) {
	if _, err := levelOf(a); err != nil {
		return false, err
	}
	if _, err := levelOf(b); err != nil {
		return false, err
	}
	stmt, err := s.pathQuery(ctx)
	if err != nil {
		return false, err
	}
	var path string
	err = stmt.QueryRowContext(ctx, b).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("territory %s: %w", b, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("territory %s: %w", b, err)
	}
	return strings.HasPrefix(path, a+"/") || strings.Contains(path, "/"+a+"/"), nil
}

func (s *Store) pathQuery(ctx context.Context) (*sql.Stmt, error) {
	s.pathMu.Lock()
	defer s.pathMu.Unlock()
	if s.pathStmt == nil {
		st, err := s.db.PrepareContext(ctx, `SELECT path FROM org_territories WHERE code = $1`)
		if err != nil {
			return nil, err
		}
		s.pathStmt = st
	}
	return s.pathStmt, nil
}

// Match returns the territories directly under parent (any territory when
// parent is "") whose name or short name is name, ignoring letter case and
// tone-mark style: Match(ctx, "", "Khánh Hòa") finds "Tỉnh Khánh Hoà".
// Retired villages are left out.
func (s *Store) Match(ctx context.Context, parent, name string) ([]Territory, error) {
	k := NameKey(name)
	if k == "" {
		return []Territory{}, nil
	}
	q := `WHERE (name_key = $1 OR short_key = $1) AND retired_at = ''`
	args := []any{k}
	if parent != "" {
		q += ` AND parent_code = $2`
		args = append(args, parent)
	}
	out, err := s.queryTerritories(ctx, s.db, q+` ORDER BY path`, args...)
	if err != nil {
		return nil, fmt.Errorf("org: match %q: %w", name, err)
	}
	return out, nil
}

// MaxSearch bounds the results of Search.
const MaxSearch = 50

// Search finds provinces and communes whose name contains q, typed with or
// without diacritics ("ba che" finds "Xã Ba Chẽ"), in path order, at most
// limit (at most MaxSearch) of them.
func (s *Store) Search(ctx context.Context, q string, limit int) ([]Territory, error) {
	f := strings.Join(strings.Fields(corpus.Fold(corpus.NFC(q))), " ")
	if f == "" {
		return []Territory{}, nil
	}
	if limit <= 0 || limit > MaxSearch {
		limit = MaxSearch
	}
	f = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f)
	out, err := s.queryTerritories(ctx, s.db, `WHERE level IN ('province', 'commune') AND name_fold LIKE $1 ESCAPE '\'
		ORDER BY level DESC, path LIMIT $2`, "%"+f+"%", limit)
	if err != nil {
		return nil, fmt.Errorf("org: search %q: %w", q, err)
	}
	return out, nil
}

// CreateVillage creates a village of the commune: name as the commune
// types it ("Hòa Bình", or "Thôn Hòa Bình" — a leading kind is not
// repeated), kind one of VillageKinds in any spelling (ParseVillageKind).
// Its code is the commune's next number, never reused. An active village
// of the commune with the same name in another tone-mark style is
// ErrDuplicate.
func (s *Store) CreateVillage(ctx context.Context, commune, name, kind string) (Territory, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Territory{}, fmt.Errorf("org: create village in %s: %w", commune, err)
	}
	defer tx.Rollback()
	t, err := s.createVillage(ctx, tx, commune, name, kind)
	if err != nil {
		return Territory{}, err
	}
	if err := tx.Commit(); err != nil {
		return Territory{}, fmt.Errorf("org: create village in %s: %w", commune, err)
	}
	return t, nil
}

func (s *Store) createVillage(ctx context.Context, tx querier, commune, name, kind string) (Territory, error) {
	fail := func(err error) (Territory, error) {
		return Territory{}, fmt.Errorf("org: create village %q in %s: %w", name, commune, err)
	}
	k, err := ParseVillageKind(kind)
	if err != nil {
		return fail(err)
	}
	short, full, err := villageName(k, name)
	if err != nil {
		return fail(err)
	}
	if l, err := levelOf(commune); err != nil {
		return fail(err)
	} else if l != Commune {
		return fail(fmt.Errorf("%w: %s is a %s code, not a commune code", ErrInvalid, commune, l))
	}
	// Taking the number first locks the commune's row, so that two
	// villages created at once get two numbers and the name check below
	// sees the other's insert.
	var n int
	var path string
	err = tx.QueryRowContext(ctx, `UPDATE org_territories SET next_child = next_child + 1, villages = villages + 1
		WHERE code = $1 AND level = 'commune' RETURNING next_child, path`, commune).Scan(&n, &path)
	if errors.Is(err, sql.ErrNoRows) {
		return fail(fmt.Errorf("commune %s: %w", commune, ErrNotFound))
	}
	if err != nil {
		return fail(err)
	}
	key := NameKey(full)
	if err := s.checkFree(ctx, tx, commune, key, ""); err != nil {
		return fail(err)
	}
	now := s.now().UTC()
	t := Territory{Code: villageCode(commune, n), Level: Village, Name: full, ShortName: short, Kind: k,
		ParentCode: commune, CreatedAt: now, UpdatedAt: now}
	t.Path = path + t.Code + "/"
	if _, err := tx.ExecContext(ctx, `INSERT INTO org_territories (code, level, parent_code, path, name, short_name,
			kind, name_key, short_key, name_fold, created_at, updated_at)
		VALUES ($1, 'village', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
		t.Code, commune, t.Path, full, short, k, key, NameKey(short), corpus.Fold(full), now.Format(timeLayout)); err != nil {
		return fail(err)
	}
	return t, nil
}

// checkFree refuses a name already used by another active village of the
// commune.
func (s *Store) checkFree(ctx context.Context, q querier, commune, key, except string) error {
	var other, otherName string
	err := q.QueryRowContext(ctx, `SELECT code, name FROM org_territories
		WHERE parent_code = $1 AND name_key = $2 AND level = 'village' AND retired_at = '' AND code <> $3`,
		commune, key, except).Scan(&other, &otherName)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: village %s of commune %s is already named %q", ErrDuplicate, other, commune, otherName)
}

// RenameVillage gives a village a new name and, when kind is not "", a
// new kind. A retired village cannot be renamed (ErrRetired).
func (s *Store) RenameVillage(ctx context.Context, code, name, kind string) (Territory, error) {
	fail := func(err error) (Territory, error) {
		return Territory{}, fmt.Errorf("org: rename village %s: %w", code, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	t, err := s.lockVillage(ctx, tx, code)
	if err != nil {
		return fail(err)
	}
	if t.Retired() {
		return fail(fmt.Errorf("%w on %s", ErrRetired, t.RetiredAt.Format(time.DateOnly)))
	}
	k := t.Kind
	if strings.TrimSpace(kind) != "" {
		if k, err = ParseVillageKind(kind); err != nil {
			return fail(err)
		}
	}
	short, full, err := villageName(k, name)
	if err != nil {
		return fail(err)
	}
	if full == t.Name && k == t.Kind {
		return t, tx.Commit()
	}
	key := NameKey(full)
	if err := s.checkFree(ctx, tx, t.ParentCode, key, code); err != nil {
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE org_territories SET name = $2, short_name = $3, kind = $4,
			name_key = $5, short_key = $6, name_fold = $7, updated_at = $8 WHERE code = $1`,
		code, full, short, k, key, NameKey(short), corpus.Fold(full), s.now().UTC().Format(timeLayout)); err != nil {
		return fail(err)
	}
	if t, err = s.territory(ctx, tx, code); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return t, nil
}

// RetireVillage retires a village: it keeps its code, name and place in
// the tree for the records that name it, leaves the active lists, and its
// name becomes free for a new village. Retiring a retired village changes
// nothing.
func (s *Store) RetireVillage(ctx context.Context, code string) (Territory, error) {
	fail := func(err error) (Territory, error) {
		return Territory{}, fmt.Errorf("org: retire village %s: %w", code, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	t, err := s.lockVillage(ctx, tx, code)
	if err != nil {
		return fail(err)
	}
	if t.Retired() {
		return t, tx.Commit()
	}
	now := s.now().UTC().Format(timeLayout)
	if _, err := tx.ExecContext(ctx, `UPDATE org_territories SET retired_at = $2, updated_at = $2 WHERE code = $1`, code, now); err != nil {
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE org_territories SET villages = villages - 1 WHERE code = $1`, t.ParentCode); err != nil {
		return fail(err)
	}
	if t, err = s.territory(ctx, tx, code); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return t, nil
}

// lockVillage reads a village inside tx after a no-op write to its
// commune's row, so that changes to one commune's villages wait for each
// other on both databases and the name checks see each other's writes.
func (s *Store) lockVillage(ctx context.Context, tx querier, code string) (Territory, error) {
	commune, ok := VillageCommune(code)
	if !ok {
		if _, err := levelOf(code); err != nil {
			return Territory{}, err
		}
		return Territory{}, fmt.Errorf("%w: %s is not a village code (want COMMUNE-NNN, e.g. 26734-001)", ErrInvalid, code)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE org_territories SET next_child = next_child WHERE code = $1`, commune); err != nil {
		return Territory{}, err
	}
	t, err := s.territory(ctx, tx, code)
	if err != nil {
		return Territory{}, err
	}
	if t.Level != Village {
		return Territory{}, fmt.Errorf("village %s: %w", code, ErrNotFound)
	}
	return t, nil
}
