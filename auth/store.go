package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNotFound: no user, token or session with that key.
var ErrNotFound = errors.New("not found")

// Store keeps auth's records — users, grants, sessions, sign-ons under
// way, tokens and the audit log — in the database.
type Store struct {
	db    *store.DB
	units Units // nil: a grant covers its own unit only
	now   func() time.Time
}

// NewStore returns the store over db; call Migrate once first. units
// (org.IDs) says which unit contains which, for the grants that back a
// token, and indexes the audit log by every unit that contains an event's
// (when it is also Containers); nil makes each grant cover its own unit
// only.
func NewStore(db *store.DB, units Units) *Store { return &Store{db: db, units: units, now: time.Now} }

// Migrate creates or updates auth's tables.
func Migrate(ctx context.Context, db *store.DB) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "auth", sub)
}

func (s *Store) unix() int64 { return s.now().Unix() }

func fromUnix(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0).UTC()
}

// normEmail is the form emails are stored and compared in.
func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// validEmail is a light check at the edge: the provider or the operator
// is the authority on addresses, this only refuses obvious mistakes.
func validEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	return at > 0 && at < len(e)-1 && len(e) <= 254 && !strings.ContainsAny(e, " \t\r\n<>,;\"")
}

// randomSecret returns n random bytes, base64url without padding.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics on its own)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how secrets are stored: SHA-256, hex. The secrets are 256
// random bits, so a fast hash is enough.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const userColumns = `id, COALESCE(issuer, ''), COALESCE(subject, ''), COALESCE(email, ''), name, created_at, last_login_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (User, error) {
	var u User
	var created, last int64
	err := row.Scan(&u.ID, &u.Issuer, &u.Subject, &u.Email, &u.Name, &created, &last)
	u.CreatedAt, u.LastLoginAt = fromUnix(created), fromUnix(last)
	return u, err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// UserByEmail finds the user with that email.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	return userByEmail(ctx, s.db, normEmail(email))
}

func (s *Store) userByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("auth: user %d: %w", id, ErrNotFound)
	}
	return u, err
}

func userByEmail(ctx context.Context, q querier, email string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users WHERE email = $1`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("auth: user %s: %w", email, ErrNotFound)
	}
	return u, err
}

// ensureUser returns the user with email, making one (not yet signed in)
// when there is none.
func (s *Store) ensureUser(ctx context.Context, q querier, email string) (User, error) {
	if _, err := q.ExecContext(ctx, `INSERT INTO auth_users (email, created_at) VALUES ($1, $2)
		ON CONFLICT (email) DO NOTHING`, email, s.unix()); err != nil {
		return User{}, fmt.Errorf("auth: create user %s: %w", email, err)
	}
	return userByEmail(ctx, q, email)
}

// loginClaims are what the provider says about the person signing in.
type loginClaims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// signedIn records a login and returns its user: the one with this
// issuer and subject; else the one `admin grant` made for this email, if
// the provider vouches for the email; else a new user. An email the
// provider does not vouch for is not stored, so that it can never take
// the roles granted to that address.
func (s *Store) signedIn(ctx context.Context, c loginClaims) (User, error) {
	email := normEmail(c.Email)
	if !c.EmailVerified || !validEmail(email) {
		email = ""
	}
	name := strings.TrimSpace(c.Name)
	now := s.unix()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return User{}, err
	}
	defer tx.Rollback()

	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users WHERE issuer = $1 AND subject = $2`, c.Issuer, c.Subject))
	switch {
	case err == nil:
		if email != "" && email != u.Email {
			// Take the new address unless another user holds it.
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM auth_users WHERE email = $1`, email).Scan(&other)
			if errors.Is(err, sql.ErrNoRows) {
				if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email = $1 WHERE id = $2`, email, u.ID); err != nil {
					return User{}, err
				}
			} else if err != nil {
				return User{}, err
			}
		}
		if name == "" {
			name = u.Name
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET name = $1, last_login_at = $2 WHERE id = $3`, name, now, u.ID); err != nil {
			return User{}, err
		}
	case errors.Is(err, sql.ErrNoRows):
		var id int64
		if email != "" {
			err = tx.QueryRowContext(ctx, `SELECT id FROM auth_users WHERE email = $1 AND subject IS NULL`, email).Scan(&id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return User{}, err
			}
		}
		if id != 0 {
			_, err = tx.ExecContext(ctx, `UPDATE auth_users SET issuer = $1, subject = $2, name = $3, last_login_at = $4 WHERE id = $5`,
				c.Issuer, c.Subject, name, now, id)
		} else {
			var taken int64
			if email != "" {
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE email = $1`, email).Scan(&taken); err != nil {
					return User{}, err
				}
			}
			var nullEmail sql.NullString
			if email != "" && taken == 0 {
				nullEmail = sql.NullString{String: email, Valid: true}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO auth_users (issuer, subject, email, name, created_at, last_login_at)
				VALUES ($1, $2, $3, $4, $5, $5)`, c.Issuer, c.Subject, nullEmail, name, now)
		}
		if err != nil {
			return User{}, fmt.Errorf("auth: record login of %s: %w", c.Subject, err)
		}
	default:
		return User{}, err
	}
	u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users WHERE issuer = $1 AND subject = $2`, c.Issuer, c.Subject))
	if err != nil {
		return User{}, err
	}
	return u, tx.Commit()
}

// Grant gives the user with email role at unit, making the user (to be
// linked at the first login) when there is none. by names who granted it,
// for the record. Granting a role already held changes nothing.
func (s *Store) Grant(ctx context.Context, email string, role Role, unit, by string) (User, error) {
	email = normEmail(email)
	if !validEmail(email) {
		return User{}, fmt.Errorf("auth: %q is not an email address", email)
	}
	if !role.Valid() {
		return User{}, fmt.Errorf("auth: unknown role %q", role)
	}
	if unit == "" {
		return User{}, errors.New("auth: grant needs a unit")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return User{}, err
	}
	defer tx.Rollback()
	u, err := s.ensureUser(ctx, tx, email)
	if err != nil {
		return User{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_grants (user_id, role, unit, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, role, unit) DO NOTHING`,
		u.ID, string(role), unit, s.unix(), by); err != nil {
		return User{}, fmt.Errorf("auth: grant %s at %s to %s: %w", role, unit, email, err)
	}
	return u, tx.Commit()
}

// Ungrant takes role at unit from the user with email; it reports
// ErrNotFound when the user does not hold it.
func (s *Store) Ungrant(ctx context.Context, email string, role Role, unit string) error {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM auth_grants WHERE user_id = $1 AND role = $2 AND unit = $3`, u.ID, string(role), unit)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("auth: %s holds no %s at %s: %w", u.Email, role, unit, ErrNotFound)
	}
	return nil
}

// Grants lists the roles a user holds.
func (s *Store) Grants(ctx context.Context, userID int64) ([]Grant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT role, unit FROM auth_grants WHERE user_id = $1 ORDER BY unit, role`, userID)
	if err != nil {
		return nil, fmt.Errorf("auth: grants of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := []Grant{}
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Role, &g.Unit); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// holds reports whether the user holds a grant that covers role at unit:
// a role covering it (Role.Covers) at unit or at a unit containing it.
func (s *Store) holds(ctx context.Context, userID int64, role Role, unit string) (bool, error) {
	grants, err := s.Grants(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, g := range grants {
		if !g.Role.Covers(role) {
			continue
		}
		if g.Unit == unit {
			return true, nil
		}
		if s.units == nil {
			continue
		}
		in, err := s.units.Contains(ctx, g.Unit, unit)
		if err != nil {
			return false, fmt.Errorf("auth: does %s contain %s: %w", g.Unit, unit, err)
		}
		if in {
			return true, nil
		}
	}
	return false, nil
}

// UserGrants is a user with the roles they hold.
type UserGrants struct {
	User   User
	Grants []Grant
}

// Users lists every user with their grants, by email.
func (s *Store) Users(ctx context.Context) ([]UserGrants, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM auth_users ORDER BY COALESCE(email, ''), id`)
	if err != nil {
		return nil, err
	}
	var out []UserGrants
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, UserGrants{User: u})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Grants, err = s.Grants(ctx, out[i].User.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
