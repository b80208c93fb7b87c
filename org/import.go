package org

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// MaxImportProblems is how many bad rows an import error lists; the rest
// are counted.
const MaxImportProblems = 20

// ImportSummary says what ImportTerritories did. Added, Updated and
// Unchanged count territories (each brings its six units); Absent counts
// provinces and communes in the database that the file no longer lists,
// which are left as they are.
type ImportSummary struct {
	Provinces int `json:"provinces"`
	Communes  int `json:"communes"`
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Absent    int `json:"absent,omitempty"`
}

// String is the one-line report of the import command.
func (s ImportSummary) String() string {
	line := fmt.Sprintf("%d provinces, %d communes (× %d organisations): %d added, %d updated, %d unchanged",
		s.Provinces, s.Communes, len(Orgs), s.Added, s.Updated, s.Unchanged)
	if s.Absent > 0 {
		line += fmt.Sprintf("; %d in the database but not in the file, left as they are", s.Absent)
	}
	return line
}

// RowProblem is one bad row of an import file.
type RowProblem struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p RowProblem) String() string {
	if p.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Field, p.Message)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Message)
}

// ImportError lists the bad rows of a file that was not imported. It
// wraps ErrInvalid.
type ImportError struct {
	Problems []RowProblem // the first MaxImportProblems
	More     int          // how many more were found
}

func (e *ImportError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	msg := "org: import: nothing imported: " + strings.Join(parts, "; ")
	if e.More > 0 {
		msg += fmt.Sprintf("; and %d more", e.More)
	}
	return msg
}

func (e *ImportError) Unwrap() error { return ErrInvalid }

func (e *ImportError) add(line int, field, format string, args ...any) {
	if len(e.Problems) >= MaxImportProblems {
		e.More++
		return
	}
	e.Problems = append(e.Problems, RowProblem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// importRow is a territory as the file gives it.
type importRow struct {
	line                                        int
	level                                       Level
	code, parent, parentName                    string
	name, short, kind, kindFull, nameEN, former string
	alt                                         string
}

// stored is the part of a territory row that an import compares.
type stored struct {
	level, parent, path, name, short, kind, kindFull, nameEN, former, alt, retired string
}

func (r importRow) fields(path string) stored {
	return stored{string(r.level), r.parent, path, r.name, r.short, r.kind, r.kindFull, r.nameEN, r.former, r.alt, ""}
}

// importColumns are the columns read from the file; the others are
// ignored. The first four are required.
var importColumns = []string{"level", "code", "name", "parent_code",
	"short_name", "type", "type_full", "parent_name", "name_en", "name_20250701", "code_cv1027"}

// ImportTerritories loads or updates the provinces and communes of
// vn_admin_units_flat.csv (../shared/data/admin-units) from r. Codes are
// kept as the file gives them; names are stored in NFC as written, and a
// commune's parent_name is checked against its province's name ignoring
// tone-mark style. It is all or nothing: a file with bad rows is refused
// with an *ImportError naming each by line, and the rows are written in
// one transaction. Running it again on the same file changes nothing.
func (s *Store) ImportTerritories(ctx context.Context, r io.Reader) (ImportSummary, error) {
	rows, err := readTerritories(r)
	if err != nil {
		return ImportSummary{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("org: import: %w", err)
	}
	defer tx.Rollback()
	sum, err := s.importRows(ctx, tx, rows)
	if err != nil {
		return ImportSummary{}, err
	}
	if err := tx.Commit(); err != nil {
		return ImportSummary{}, fmt.Errorf("org: import: commit: %w", err)
	}
	if sum.Added+sum.Updated > 0 {
		// Fresh statistics, and on PostgreSQL fresh plans: a plan made
		// while the table held one row (the foreign-key check's, cached
		// per connection) would scan the whole table for every village
		// created afterwards. Only a planner hint, so its failure is not
		// the import's.
		_, _ = s.db.ExecContext(ctx, `ANALYZE org_territories`)
	}
	return sum, nil
}

// readTerritories reads and checks the whole file: provinces first, then
// communes, each in file order.
func readTerritories(r io.Reader) ([]importRow, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	problems := &ImportError{}
	header, err := cr.Read()
	if err == io.EOF {
		problems.add(1, "", "the file is empty: want a header line with the columns %s", strings.Join(importColumns[:4], ", "))
		return nil, problems
	}
	if err != nil {
		return nil, csvProblem(problems, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, c := range importColumns[:4] {
		if _, ok := col[c]; !ok {
			problems.add(1, c, "the header has no column %q (it has %s)", c, strings.Join(header, ", "))
		}
	}
	if len(problems.Problems) > 0 {
		return nil, problems
	}
	var provinces, communes []importRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvProblem(problems, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row, ok := checkRow(problems, line, get)
		if !ok {
			continue
		}
		if first, dup := seen[row.code]; dup {
			problems.add(line, "code", "code %s is also on line %d", row.code, first)
			continue
		}
		seen[row.code] = line
		if row.level == Province {
			provinces = append(provinces, row)
		} else {
			communes = append(communes, row)
		}
	}
	byCode := map[string]importRow{}
	for _, p := range provinces {
		byCode[p.code] = p
	}
	for _, c := range communes {
		p, ok := byCode[c.parent]
		switch {
		case !ok:
			problems.add(c.line, "parent_code", "province %s is not in the file", c.parent)
		case c.parentName != "" && NameKey(c.parentName) != NameKey(p.name) && NameKey(c.parentName) != NameKey(p.short):
			problems.add(c.line, "parent_name", "%q is not the name of province %s, %q (line %d)", c.parentName, p.code, p.name, p.line)
		}
	}
	if len(problems.Problems) > 0 {
		return nil, problems
	}
	if len(provinces)+len(communes) == 0 {
		problems.add(2, "", "the file has a header but no rows")
		return nil, problems
	}
	return append(provinces, communes...), nil
}

func csvProblem(problems *ImportError, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		problems.add(pe.Line, "", "%v", pe.Err)
		return problems
	}
	return fmt.Errorf("org: import: read: %w", err)
}

// checkRow validates one record and returns it cleaned.
func checkRow(problems *ImportError, line int, get func(string) string) (importRow, bool) {
	ok := true
	bad := func(field, format string, args ...any) {
		problems.add(line, field, format, args...)
		ok = false
	}
	text := func(field string, required bool) string {
		v, err := corpus.CleanName("cột "+field, get(field), 200)
		var ne *corpus.NameError
		switch {
		case err == nil:
		case !errors.As(err, &ne):
			bad(field, "%v", err)
		case ne.Problem == corpus.NameEmpty:
			if required {
				bad(field, "empty")
			}
		case ne.Problem == corpus.NameInvalidUTF8:
			bad(field, "not valid UTF-8")
		case ne.Problem == corpus.NameTooLong:
			bad(field, "%d characters, at most 200", ne.Len)
		default:
			// Names the public sees refuse invisible and
			// direction-changing characters wherever they come from.
			bad(field, "%s", ne.Error())
		}
		return v
	}
	row := importRow{line: line, code: get("code"), parent: get("parent_code"), parentName: text("parent_name", false)}
	switch lv := get("level"); lv {
	case "province":
		row.level = Province
		if !isDigits(row.code) || len(row.code) != 2 {
			bad("code", "%q is not a province code (2 digits, e.g. 79)", row.code)
		}
		if row.parent != "" {
			bad("parent_code", "a province has no parent, got %q", row.parent)
		}
	case "commune":
		row.level = Commune
		if !isDigits(row.code) || len(row.code) != 5 {
			bad("code", "%q is not a commune code (5 digits, e.g. 26734)", row.code)
		}
		if !isDigits(row.parent) || len(row.parent) != 2 {
			bad("parent_code", "%q is not a province code (2 digits, e.g. 79)", row.parent)
		}
	default:
		bad("level", "%q is neither province nor commune", lv)
	}
	row.name = text("name", true)
	row.short = text("short_name", false)
	row.kind = text("type", false)
	row.kindFull = text("type_full", false)
	row.nameEN = text("name_en", false)
	// A former name that differs only in tone-mark style ("Thanh Hóa" for
	// "Thanh Hoá") is the same name.
	if f := text("name_20250701", false); f != "" && NameKey(f) != NameKey(row.name) {
		row.former = f
	}
	if a := get("code_cv1027"); a != row.code {
		row.alt = a
	}
	if row.short == "" {
		row.short = row.name
	}
	return row, ok
}

// importRows writes rows (provinces first) inside tx.
func (s *Store) importRows(ctx context.Context, tx *sql.Tx, rows []importRow) (ImportSummary, error) {
	var sum ImportSummary
	existing := map[string]stored{}
	q, err := tx.QueryContext(ctx, `SELECT code, level, COALESCE(parent_code, ''), path, name, short_name, kind,
		kind_full, name_en, former_name, alt_code, retired_at FROM org_territories WHERE level IN ('province', 'commune')`)
	if err != nil {
		return sum, fmt.Errorf("org: import: read territories: %w", err)
	}
	for q.Next() {
		var code string
		var st stored
		if err := q.Scan(&code, &st.level, &st.parent, &st.path, &st.name, &st.short, &st.kind,
			&st.kindFull, &st.nameEN, &st.former, &st.alt, &st.retired); err != nil {
			q.Close()
			return sum, fmt.Errorf("org: import: read territories: %w", err)
		}
		existing[code] = st
	}
	q.Close()
	if err := q.Err(); err != nil {
		return sum, fmt.Errorf("org: import: read territories: %w", err)
	}

	paths := map[string]string{CentralCode: CentralCode + "/"}
	inFile := map[string]bool{}
	now := s.now().UTC().Format(timeLayout)
	for _, r := range rows {
		inFile[r.code] = true
		parent := r.parent
		if r.level == Province {
			parent = CentralCode
		}
		path := paths[parent] + r.code + "/"
		paths[r.code] = path
		if r.level == Province {
			sum.Provinces++
		} else {
			sum.Communes++
		}
		want := r.fields(path)
		want.parent = parent
		old, ok := existing[r.code]
		switch {
		case !ok:
			sum.Added++
			if _, err := tx.ExecContext(ctx, `INSERT INTO org_territories (code, level, parent_code, path, name,
					short_name, kind, kind_full, name_en, former_name, alt_code, name_key, short_key, name_fold,
					created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
				r.code, string(r.level), parent, path, r.name, r.short, r.kind, r.kindFull, r.nameEN, r.former,
				r.alt, NameKey(r.name), NameKey(r.short), corpus.Fold(r.name), now); err != nil {
				return sum, fmt.Errorf("org: import: line %d: code %s: %w", r.line, r.code, err)
			}
			continue
		case old == want:
			sum.Unchanged++
			continue
		}
		sum.Updated++
		if _, err := tx.ExecContext(ctx, `UPDATE org_territories SET parent_code = $2, path = $3, name = $4,
				short_name = $5, kind = $6, kind_full = $7, name_en = $8, former_name = $9, alt_code = $10,
				name_key = $11, short_key = $12, name_fold = $13, retired_at = '', updated_at = $14
			WHERE code = $1`,
			r.code, parent, path, r.name, r.short, r.kind, r.kindFull, r.nameEN, r.former, r.alt,
			NameKey(r.name), NameKey(r.short), corpus.Fold(r.name), now); err != nil {
			return sum, fmt.Errorf("org: import: line %d: code %s: %w", r.line, r.code, err)
		}
		if old.path != path {
			// A commune moved to another province takes its villages
			// along.
			lo, hi := below(old.path)
			if _, err := tx.ExecContext(ctx, `UPDATE org_territories SET path = CAST($3 AS TEXT) || SUBSTR(path, CAST($4 AS INTEGER))
				WHERE path > $1 AND path < $2`, lo, hi, path, len(old.path)+1); err != nil {
				return sum, fmt.Errorf("org: import: line %d: move the territories under %s: %w", r.line, r.code, err)
			}
		}
	}
	for code := range existing {
		if !inFile[code] {
			sum.Absent++
		}
	}
	return sum, nil
}
