package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
)

// Errors of profiles and staff lists, returned (wrapped) by the Store.
var (
	// ErrConflict: the record changed since the version the change was
	// made on.
	ErrConflict = errors.New("changed meanwhile")
)

// Bounds of a profile.
const (
	// MaxProfileText bounds each text of a profile, in characters.
	MaxProfileText = 4000
	// MaxCount bounds each figure of a profile: more than the country's
	// population.
	MaxCount = 200_000_000
)

// Profile is a unit's own figures and texts (the seeds' fields): how many
// members, full-time staff, members of the Front's committee and of the
// organisation's executive committee it has, its typical activities, its
// difficulties and shortcomings, its recommendations and proposals.
// Version counts its saves (0: never saved).
type Profile struct {
	Unit              Unit       `json:"unit"`
	Members           int64      `json:"members"`
	FullTimeStaff     int64      `json:"full_time_staff"`
	CommitteeMembers  int64      `json:"committee_members"`
	ExecutiveMembers  int64      `json:"executive_members"`
	TypicalActivities string     `json:"typical_activities"`
	Difficulties      string     `json:"difficulties"`
	Recommendations   string     `json:"recommendations"`
	Version           int        `json:"version"`
	UpdatedAt         *time.Time `json:"updated_at,omitempty"`
	UpdatedBy         string     `json:"updated_by,omitempty"`
}

// ProfileField describes one field of a profile: its JSON and history
// name, its Vietnamese label, whether it is a count.
type ProfileField struct {
	Key   string
	Label string
	Count bool
}

// ProfileFields are the fields of a profile in the order pages show them.
var ProfileFields = []ProfileField{
	{"members", "Số hội viên, đoàn viên, thành viên", true},
	{"full_time_staff", "Số cán bộ chuyên trách", true},
	{"committee_members", "Số ủy viên Ủy ban Mặt trận", true},
	{"executive_members", "Số ủy viên Ban Chấp hành", true},
	{"typical_activities", "Hoạt động tiêu biểu", false},
	{"difficulties", "Khó khăn, hạn chế", false},
	{"recommendations", "Kiến nghị, đề xuất", false},
}

// fieldLabel is the label of a profile field's key.
func fieldLabel(key string) string {
	for _, f := range ProfileFields {
		if f.Key == key {
			return f.Label
		}
	}
	return key
}

// values are the profile's fields as text, by key, as the history keeps
// them.
func (p Profile) values() map[string]string {
	return map[string]string{
		"members":            strconv.FormatInt(p.Members, 10),
		"full_time_staff":    strconv.FormatInt(p.FullTimeStaff, 10),
		"committee_members":  strconv.FormatInt(p.CommitteeMembers, 10),
		"executive_members":  strconv.FormatInt(p.ExecutiveMembers, 10),
		"typical_activities": p.TypicalActivities,
		"difficulties":       p.Difficulties,
		"recommendations":    p.Recommendations,
	}
}

// Check returns the problems of a profile's values, each naming its field
// in Vietnamese first: counts from 0 to MaxCount, texts of at most
// MaxProfileText characters in valid UTF-8 without control characters
// (tab and line breaks aside).
func (p Profile) Check() []*api.Error {
	var out []*api.Error
	for _, c := range []struct {
		key string
		n   int64
	}{{"members", p.Members}, {"full_time_staff", p.FullTimeStaff}, {"committee_members", p.CommitteeMembers}, {"executive_members", p.ExecutiveMembers}} {
		if c.n < 0 || c.n > MaxCount {
			out = append(out, api.BadRequest("invalid_count", c.key,
				fmt.Sprintf("%s phải là số nguyên từ 0 đến %d, nhận được %d (a whole number ≥ 0).", fieldLabel(c.key), MaxCount, c.n)))
		}
	}
	for _, c := range []struct{ key, s string }{{"typical_activities", p.TypicalActivities}, {"difficulties", p.Difficulties}, {"recommendations", p.Recommendations}} {
		if e := api.CheckText(c.key, c.s); e != nil {
			out = append(out, e)
		} else if n := utf8.RuneCountInString(c.s); n > MaxProfileText {
			out = append(out, api.BadRequest("text_too_long", c.key,
				fmt.Sprintf("%s dài %d ký tự, tối đa %d (too long).", fieldLabel(c.key), n, MaxProfileText)))
		}
	}
	return out
}

// normalize trims the texts and puts them in NFC with "\n" line breaks.
func (p *Profile) normalize() {
	for _, s := range []*string{&p.TypicalActivities, &p.Difficulties, &p.Recommendations} {
		*s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(*s, "\r\n", "\n"), "\r", "\n"))
	}
}

// ProfileChange is one field changed by one save, as the history keeps it.
type ProfileChange struct {
	Version int       `json:"version"`
	Field   string    `json:"field"`
	Label   string    `json:"label"`
	Old     string    `json:"old"`
	New     string    `json:"new"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// checkUnit refuses a malformed unit.
func checkUnit(u Unit) error {
	if !u.Org.Valid() {
		return fmt.Errorf("%w organisation %q", ErrInvalid, u.Org)
	}
	if _, err := levelOf(u.Territory); err != nil {
		return err
	}
	return nil
}

// Profile returns the unit's profile; a unit whose profile was never saved
// has an empty one (Version 0). The territory must exist (a retired
// village's profile is still read).
func (s *Store) Profile(ctx context.Context, u Unit) (Profile, error) {
	p, err := s.profile(ctx, s.db, u)
	if err != nil {
		return p, fmt.Errorf("org: profile of %s: %w", u, err)
	}
	return p, nil
}

func (s *Store) profile(ctx context.Context, q querier, u Unit) (Profile, error) {
	if err := checkUnit(u); err != nil {
		return Profile{}, err
	}
	if _, err := s.territory(ctx, q, u.Territory); err != nil {
		return Profile{}, err
	}
	p := Profile{Unit: u}
	var at string
	err := q.QueryRowContext(ctx, `SELECT members, full_time_staff, committee_members, executive_members,
			typical_activities, difficulties, recommendations, version, updated_at, updated_by
		FROM org_profiles WHERE territory = $1 AND org = $2`, u.Territory, string(u.Org)).Scan(
		&p.Members, &p.FullTimeStaff, &p.CommitteeMembers, &p.ExecutiveMembers,
		&p.TypicalActivities, &p.Difficulties, &p.Recommendations, &p.Version, &at, &p.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return Profile{}, err
	}
	if t, err := time.Parse(timeLayout, at); err == nil {
		p.UpdatedAt = &t
	}
	return p, nil
}

// SaveProfile writes the unit's profile as p says, if p.Version is the
// version stored (0 for a profile never saved; else ErrConflict), and
// records every field that changed in the history, with actor and the
// time. It returns the profile saved, with the next version; a save that
// changes nothing writes nothing and returns the profile as it is. A
// retired village's profile cannot change (ErrRetired); values that fail
// Check are ErrInvalid.
func (s *Store) SaveProfile(ctx context.Context, u Unit, p Profile, actor string) (Profile, error) {
	fail := func(err error) (Profile, error) { return Profile{}, fmt.Errorf("org: save profile of %s: %w", u, err) }
	if err := checkUnit(u); err != nil {
		return fail(err)
	}
	p.normalize()
	if probs := p.Check(); len(probs) > 0 {
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
	old, err := s.profile(ctx, tx, u)
	if err != nil {
		return fail(err)
	}
	if p.Version != old.Version {
		return fail(fmt.Errorf("%w: the profile is at version %d, the change was made on version %d", ErrConflict, old.Version, p.Version))
	}
	before, after := old.values(), p.values()
	var changed []string
	for _, f := range ProfileFields {
		if before[f.Key] != after[f.Key] {
			changed = append(changed, f.Key)
		}
	}
	if len(changed) == 0 {
		return old, tx.Commit()
	}
	now := s.now().UTC()
	at := now.Format(timeLayout)
	next := old.Version + 1
	var res sql.Result
	if old.Version == 0 {
		res, err = tx.ExecContext(ctx, `INSERT INTO org_profiles (territory, org, members, full_time_staff, committee_members,
				executive_members, typical_activities, difficulties, recommendations, version, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11) ON CONFLICT DO NOTHING`,
			u.Territory, string(u.Org), p.Members, p.FullTimeStaff, p.CommitteeMembers, p.ExecutiveMembers,
			p.TypicalActivities, p.Difficulties, p.Recommendations, at, actor)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE org_profiles SET members = $3, full_time_staff = $4, committee_members = $5,
				executive_members = $6, typical_activities = $7, difficulties = $8, recommendations = $9,
				version = $10, updated_at = $11, updated_by = $12
			WHERE territory = $1 AND org = $2 AND version = $13`,
			u.Territory, string(u.Org), p.Members, p.FullTimeStaff, p.CommitteeMembers, p.ExecutiveMembers,
			p.TypicalActivities, p.Difficulties, p.Recommendations, next, at, actor, old.Version)
	}
	if err != nil {
		return fail(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail(err)
	} else if n != 1 {
		return fail(fmt.Errorf("%w: saved by someone else meanwhile", ErrConflict))
	}
	for _, k := range changed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_profile_history (territory, org, version, field, old_value, new_value, actor, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, u.Territory, string(u.Org), next, k, before[k], after[k], actor, at); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	p.Unit, p.Version, p.UpdatedAt, p.UpdatedBy = u, next, &now, actor
	return p, nil
}

// MaxHistory bounds the changes ProfileHistory returns.
const MaxHistory = 500

// ProfileHistory returns the changes of the unit's profile, the latest
// first, at most limit (at most MaxHistory) of them.
func (s *Store) ProfileHistory(ctx context.Context, u Unit, limit int) ([]ProfileChange, error) {
	if err := checkUnit(u); err != nil {
		return nil, fmt.Errorf("org: profile history of %s: %w", u, err)
	}
	if limit <= 0 || limit > MaxHistory {
		limit = MaxHistory
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, field, old_value, new_value, actor, at FROM org_profile_history
		WHERE territory = $1 AND org = $2 ORDER BY version DESC LIMIT $3`, u.Territory, string(u.Org), limit)
	if err != nil {
		return nil, fmt.Errorf("org: profile history of %s: %w", u, err)
	}
	defer rows.Close()
	out := []ProfileChange{}
	for rows.Next() {
		var c ProfileChange
		var at string
		if err := rows.Scan(&c.Version, &c.Field, &c.Old, &c.New, &c.Actor, &at); err != nil {
			return nil, fmt.Errorf("org: profile history of %s: %w", u, err)
		}
		c.At, _ = time.Parse(timeLayout, at)
		c.Label = fieldLabel(c.Field)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("org: profile history of %s: %w", u, err)
	}
	// Within a save, the fields in the order of ProfileFields.
	order := map[string]int{}
	for i, f := range ProfileFields {
		order[f.Key] = i
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Version == out[j-1].Version && order[out[j].Field] < order[out[j-1].Field]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// lockTerritory starts a transaction's work on a unit's data with a no-op
// write to its territory's row: changes to one territory's units then wait
// for each other on both databases (SQLite takes its write lock at once
// rather than failing to upgrade a read), and each sees the other's
// version.
func lockTerritory(ctx context.Context, tx querier, code string) error {
	res, err := tx.ExecContext(ctx, `UPDATE org_territories SET next_child = next_child WHERE code = $1`, code)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("territory %s: %w", code, ErrNotFound)
	}
	return nil
}
