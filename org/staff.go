package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
)

// Bounds of a staff list.
const (
	// MaxStaff bounds the people of one unit's list.
	MaxStaff = 2000
	// MaxPersonText bounds a name, a position, a note, in characters.
	MaxPersonText = 200
)

// Person is one person on a unit's staff list. Phone and Email are
// personal data: they are shown only to those allowed org.staff.read on
// the unit, and never logged.
type Person struct {
	Name      string `json:"name"`
	Position  string `json:"position"`
	FullTime  bool   `json:"full_time"`
	Committee bool   `json:"committee_member"` // a member of the Front's committee at the level
	Executive bool   `json:"executive_member"` // a member of the organisation's executive committee
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	Note      string `json:"note"`
}

// StaffList is a unit's staff list as saved: Version counts the saves (0:
// never saved).
type StaffList struct {
	Unit      Unit       `json:"unit"`
	People    []Person   `json:"people"`
	Version   int        `json:"version"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	UpdatedBy string     `json:"updated_by,omitempty"`
}

// StaffCounts are the figures of a profile that a staff list gives.
type StaffCounts struct {
	FullTime  int64 `json:"full_time_staff"`
	Committee int64 `json:"committee_members"`
	Executive int64 `json:"executive_members"`
}

// Counts counts the list's full-time staff, committee and executive
// committee members.
func (l StaffList) Counts() StaffCounts {
	var c StaffCounts
	for _, p := range l.People {
		if p.FullTime {
			c.FullTime++
		}
		if p.Committee {
			c.Committee++
		}
		if p.Executive {
			c.Executive++
		}
	}
	return c
}

// normalize trims a person's texts and writes the phone number without
// its separators' variety.
func (p *Person) normalize() {
	for _, s := range []*string{&p.Name, &p.Position, &p.Phone, &p.Email, &p.Note} {
		*s = strings.Join(strings.Fields(corpus.NFC(*s)), " ")
	}
}

// Check returns the problems of a person, each naming its field (prefix
// is put before it: "people[3]."): a name is required; texts are bounded;
// a phone has 8 to 15 digits, with + ( ) . - and spaces allowed between;
// an e-mail is one address.
func (p Person) Check(prefix string) []*api.Error {
	var out []*api.Error
	add := func(code, field, msg string) { out = append(out, api.BadRequest(code, prefix+field, msg)) }
	for _, c := range []struct{ key, label, s string }{
		{"name", "Họ và tên", p.Name}, {"position", "Chức vụ", p.Position}, {"phone", "Điện thoại", p.Phone},
		{"email", "Thư điện tử", p.Email}, {"note", "Ghi chú", p.Note},
	} {
		if e := api.CheckText(prefix+c.key, c.s); e != nil {
			out = append(out, e)
			return out
		}
		if n := utf8.RuneCountInString(c.s); n > MaxPersonText {
			add("text_too_long", c.key, fmt.Sprintf("%s dài %d ký tự, tối đa %d (too long).", c.label, n, MaxPersonText))
		}
	}
	if strings.TrimSpace(p.Name) == "" {
		add("missing_name", "name", "Cần ghi họ và tên (name required).")
	}
	if msg := phoneProblem(p.Phone); msg != "" {
		add("invalid_phone", "phone", msg)
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != strings.TrimSpace(p.Email) {
			add("invalid_email", "email", fmt.Sprintf("Thư điện tử %q không hợp lệ: cần một địa chỉ như ten@mattran.vn (invalid e-mail).", p.Email))
		}
	}
	return out
}

// phoneProblem says what is wrong with a phone number, or "".
func phoneProblem(s string) string {
	if s == "" {
		return ""
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '.', r == '-', r == '(', r == ')':
		default:
			return fmt.Sprintf("Số điện thoại %q chỉ được có chữ số, dấu + ở đầu, khoảng trắng, dấu chấm, gạch ngang, ngoặc (invalid phone number).", s)
		}
	}
	if digits < 8 || digits > 15 {
		return fmt.Sprintf("Số điện thoại %q cần từ 8 đến 15 chữ số (invalid phone number).", s)
	}
	return ""
}

// CheckPeople checks a whole list: its size and each person (fields named
// "people[i].field").
func CheckPeople(people []Person) []*api.Error {
	if len(people) > MaxStaff {
		return []*api.Error{api.BadRequest("too_many_people", "people",
			fmt.Sprintf("Danh sách có %d người, tối đa %d (too many people).", len(people), MaxStaff))}
	}
	var out []*api.Error
	for i, p := range people {
		out = append(out, p.Check(fmt.Sprintf("people[%d].", i))...)
	}
	return out
}

// Staff returns the unit's staff list (empty, version 0, when never
// saved). The territory must exist.
func (s *Store) Staff(ctx context.Context, u Unit) (StaffList, error) {
	l, err := s.staff(ctx, s.db, u)
	if err != nil {
		return l, fmt.Errorf("org: staff of %s: %w", u, err)
	}
	return l, nil
}

func (s *Store) staff(ctx context.Context, q querier, u Unit) (StaffList, error) {
	if err := checkUnit(u); err != nil {
		return StaffList{}, err
	}
	if _, err := s.territory(ctx, q, u.Territory); err != nil {
		return StaffList{}, err
	}
	l := StaffList{Unit: u, People: []Person{}}
	var at string
	err := q.QueryRowContext(ctx, `SELECT version, updated_at, updated_by FROM org_staff_lists WHERE territory = $1 AND org = $2`,
		u.Territory, string(u.Org)).Scan(&l.Version, &at, &l.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil
	}
	if err != nil {
		return StaffList{}, err
	}
	if t, err := time.Parse(timeLayout, at); err == nil {
		l.UpdatedAt = &t
	}
	rows, err := q.QueryContext(ctx, `SELECT name, position, full_time, committee, executive, phone, email, note
		FROM org_staff WHERE territory = $1 AND org = $2 ORDER BY seq`, u.Territory, string(u.Org))
	if err != nil {
		return StaffList{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var p Person
		var ft, cm, ex int
		if err := rows.Scan(&p.Name, &p.Position, &ft, &cm, &ex, &p.Phone, &p.Email, &p.Note); err != nil {
			return StaffList{}, err
		}
		p.FullTime, p.Committee, p.Executive = ft != 0, cm != 0, ex != 0
		l.People = append(l.People, p)
	}
	return l, rows.Err()
}

// StaffChange says how a save changed a list, without naming anyone: the
// audit log keeps it, not the personal data.
type StaffChange struct {
	Before, After   int // people
	Added, Removed  int // by name
	Changed         int // same name, other details
	Version         int
	NothingToChange bool
}

// SaveStaff replaces the unit's staff list with people, if version is the
// version stored (0 for a list never saved; a negative version saves
// whatever is stored, for an import that replaces the list whole).
// People failing CheckPeople are ErrInvalid; a retired village's list
// cannot change (ErrRetired); a stale version is ErrConflict. Saving the
// same list again writes nothing.
func (s *Store) SaveStaff(ctx context.Context, u Unit, people []Person, version int, actor string) (StaffList, StaffChange, error) {
	fail := func(err error) (StaffList, StaffChange, error) {
		return StaffList{}, StaffChange{}, fmt.Errorf("org: save staff of %s: %w", u, err)
	}
	if err := checkUnit(u); err != nil {
		return fail(err)
	}
	people = append([]Person(nil), people...)
	for i := range people {
		people[i].normalize()
	}
	if probs := CheckPeople(people); len(probs) > 0 {
		return fail(fmt.Errorf("%w: %s: %s", ErrInvalid, probs[0].Field, probs[0].Message))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if err := lockTerritory(ctx, tx, u.Territory); err != nil {
		return fail(err)
	}
	t, err := s.territory(ctx, tx, u.Territory)
	if err != nil {
		return fail(err)
	}
	if t.Retired() {
		return fail(fmt.Errorf("%w on %s", ErrRetired, t.RetiredAt.Format(time.DateOnly)))
	}
	old, err := s.staff(ctx, tx, u)
	if err != nil {
		return fail(err)
	}
	if version >= 0 && version != old.Version {
		return fail(fmt.Errorf("%w: the list is at version %d, the change was made on version %d", ErrConflict, old.Version, version))
	}
	ch := diffStaff(old.People, people)
	if ch.NothingToChange && old.Version > 0 {
		ch.Version = old.Version
		return old, ch, tx.Commit()
	}
	now := s.now().UTC()
	at := now.Format(timeLayout)
	next := old.Version + 1
	var res sql.Result
	if old.Version == 0 {
		res, err = tx.ExecContext(ctx, `INSERT INTO org_staff_lists (territory, org, people, version, updated_at, updated_by)
			VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT DO NOTHING`, u.Territory, string(u.Org), len(people), at, actor)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE org_staff_lists SET people = $3, version = $4, updated_at = $5, updated_by = $6
			WHERE territory = $1 AND org = $2 AND version = $7`, u.Territory, string(u.Org), len(people), next, at, actor, old.Version)
	}
	if err != nil {
		return fail(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail(err)
	} else if n != 1 {
		return fail(fmt.Errorf("%w: saved by someone else meanwhile", ErrConflict))
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM org_staff WHERE territory = $1 AND org = $2`, u.Territory, string(u.Org)); err != nil {
		return fail(err)
	}
	for i, p := range people {
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_staff (territory, org, seq, name, position, full_time, committee,
				executive, phone, email, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			u.Territory, string(u.Org), i+1, p.Name, p.Position, b2i(p.FullTime), b2i(p.Committee), b2i(p.Executive),
			p.Phone, p.Email, p.Note); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	ch.Version = next
	return StaffList{Unit: u, People: people, Version: next, UpdatedAt: &now, UpdatedBy: actor}, ch, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// diffStaff counts what changed between two lists, matching people by
// name.
func diffStaff(before, after []Person) StaffChange {
	ch := StaffChange{Before: len(before), After: len(after)}
	old := map[string][]Person{}
	for _, p := range before {
		k := NameKey(p.Name)
		old[k] = append(old[k], p)
	}
	same := len(before) == len(after)
	for i, p := range after {
		if same && before[i] != p {
			same = false
		}
		k := NameKey(p.Name)
		if len(old[k]) == 0 {
			ch.Added++
			continue
		}
		if old[k][0] != p {
			ch.Changed++
		}
		old[k] = old[k][1:]
	}
	for _, ps := range old {
		ch.Removed += len(ps)
	}
	ch.NothingToChange = same
	return ch
}

// Contact is the person to call about a unit.
type Contact struct {
	Name     string `json:"name"`
	Position string `json:"position"`
	Phone    string `json:"phone"`
	Email    string `json:"email,omitempty"`
}

// headRank ranks a position for Contacts: a chair or head (Chủ tịch, Bí
// thư, Trưởng ban, Tổ trưởng, Trưởng…) is 0, a deputy 1, anyone else 2.
func headRank(position string) int {
	f := corpus.Fold(position)
	switch {
	case strings.HasPrefix(f, "pho "):
		return 1
	case strings.HasPrefix(f, "chu tich"), strings.HasPrefix(f, "bi thu"), strings.HasPrefix(f, "truong"),
		strings.HasPrefix(f, "to truong"), strings.HasPrefix(f, "chu nhiem"):
		return 0
	}
	return 2
}

// contactBatch bounds the territories of one query of Contacts.
const contactBatch = 300

// Contacts returns, for each unit that has one, the person to call about
// it: the chair or head with a phone number (Chủ tịch, Bí thư, Trưởng
// ban…); else the first full-time member with one; else the head without
// one. Units without anyone suitable are left out. It reads only the
// lists of the units asked, in batches.
func (s *Store) Contacts(ctx context.Context, units []Unit) (map[Unit]Contact, error) {
	out := map[Unit]Contact{}
	want := map[Unit]bool{}
	var codes []string
	seen := map[string]bool{}
	for _, u := range units {
		if checkUnit(u) != nil {
			continue
		}
		want[u] = true
		if !seen[u.Territory] {
			seen[u.Territory] = true
			codes = append(codes, u.Territory)
		}
	}
	type best struct {
		rank int
		c    Contact
	}
	found := map[Unit]best{}
	for len(codes) > 0 {
		n := min(len(codes), contactBatch)
		batch := codes[:n]
		codes = codes[n:]
		args := make([]any, len(batch))
		marks := make([]string, len(batch))
		for i, c := range batch {
			args[i] = c
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT territory, org, name, position, full_time, phone, email FROM org_staff
			WHERE territory IN (`+strings.Join(marks, ", ")+`) ORDER BY territory, org, seq`, args...)
		if err != nil {
			return nil, fmt.Errorf("org: contacts: %w", err)
		}
		for rows.Next() {
			var terr, o string
			var ft int
			var c Contact
			if err := rows.Scan(&terr, &o, &c.Name, &c.Position, &ft, &c.Phone, &c.Email); err != nil {
				rows.Close()
				return nil, fmt.Errorf("org: contacts: %w", err)
			}
			u := Unit{Territory: terr, Org: Org(o)}
			if !want[u] {
				continue
			}
			// 0 head with phone, 1 full-time with phone, 2 head without.
			rank := 3
			switch head := headRank(c.Position) == 0; {
			case head && c.Phone != "":
				rank = 0
			case ft != 0 && c.Phone != "":
				rank = 1
			case head:
				rank = 2
			}
			if b, ok := found[u]; rank < 3 && (!ok || rank < b.rank) {
				found[u] = best{rank, c}
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("org: contacts: %w", err)
		}
	}
	for u, b := range found {
		out[u] = b.c
	}
	return out, nil
}
