package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenPrefix starts every bearer token, so that a leaked one is easy to
// recognise (and to search for in code and logs).
const TokenPrefix = "mts_"

// tokenLen is the length of a token: the prefix and 256 random bits in
// base64url.
const tokenLen = len(TokenPrefix) + 43

// shownPrefix is how much of a token lists show: enough to tell tokens
// apart, far too little to guess the rest.
const shownPrefix = len(TokenPrefix) + 8

// Token is a bearer token as listed: never the secret itself.
type Token struct {
	ID         int64     `json:"id"`
	Prefix     string    `json:"prefix"`
	Email      string    `json:"email"`
	Role       Role      `json:"role"`
	Unit       string    `json:"unit"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`

	userID int64
}

// Active reports whether the token still opens the API at t.
func (t Token) Active(at time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt))
}

// TokenSpec is what a new token is made for.
type TokenSpec struct {
	Email     string        // its owner; made when missing
	Role      Role          // the one role it carries
	Unit      string        // where it holds the role
	TTL       time.Duration // zero: never expires
	CreatedBy string        // for the record
}

// CreateToken makes a token and returns its secret — shown once, stored
// only as a hash — with the token as listed.
func (s *Store) CreateToken(ctx context.Context, spec TokenSpec) (string, Token, error) {
	email := normEmail(spec.Email)
	switch {
	case !validEmail(email):
		return "", Token{}, fmt.Errorf("auth: %q is not an email address", spec.Email)
	case !spec.Role.Valid():
		return "", Token{}, fmt.Errorf("auth: unknown role %q", spec.Role)
	case spec.Unit == "":
		return "", Token{}, errors.New("auth: a token needs a unit")
	case spec.TTL < 0:
		return "", Token{}, fmt.Errorf("auth: negative token lifetime %s", spec.TTL)
	}
	secret := TokenPrefix + randomSecret(32)
	now := s.now()
	var expires int64
	if spec.TTL > 0 {
		expires = now.Add(spec.TTL).Unix()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", Token{}, err
	}
	defer tx.Rollback()
	u, err := s.ensureUser(ctx, tx, email)
	if err != nil {
		return "", Token{}, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO auth_tokens (prefix, hash, user_id, role, unit, created_at, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		secret[:shownPrefix], hashSecret(secret), u.ID, string(spec.Role), spec.Unit, now.Unix(), spec.CreatedBy, expires).Scan(&id)
	if err != nil {
		return "", Token{}, fmt.Errorf("auth: create token for %s: %w", email, err)
	}
	if err := tx.Commit(); err != nil {
		return "", Token{}, err
	}
	t, err := s.Token(ctx, id)
	return secret, t, err
}

const tokenColumns = `t.id, t.prefix, COALESCE(u.email, ''), t.role, t.unit, t.created_at, t.created_by, t.expires_at, t.revoked_at, t.last_used_at, t.user_id`

func scanToken(row scanner) (Token, error) {
	var t Token
	var created, expires, revoked, used int64
	err := row.Scan(&t.ID, &t.Prefix, &t.Email, &t.Role, &t.Unit, &created, &t.CreatedBy, &expires, &revoked, &used, &t.userID)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromUnix(created), fromUnix(expires), fromUnix(revoked), fromUnix(used)
	return t, err
}

// Token returns the token with id.
func (s *Store) Token(ctx context.Context, id int64) (Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+`
		FROM auth_tokens t JOIN auth_users u ON u.id = t.user_id WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("auth: token %d: %w", id, ErrNotFound)
	}
	return t, err
}

// Tokens lists every token, the newest first, revoked and expired ones
// too.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+`
		FROM auth_tokens t JOIN auth_users u ON u.id = t.user_id ORDER BY t.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("auth: list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends the token with id at once. Revoking a revoked token
// keeps its first revocation time.
func (s *Store) RevokeToken(ctx context.Context, id int64) (Token, error) {
	if _, err := s.db.ExecContext(ctx, `UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`, s.unix(), id); err != nil {
		return Token{}, fmt.Errorf("auth: revoke token %d: %w", id, err)
	}
	return s.Token(ctx, id)
}

// tokenBySecret finds the token a request presents, whatever its state.
func (s *Store) tokenBySecret(ctx context.Context, secret string) (Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+`
		FROM auth_tokens t JOIN auth_users u ON u.id = t.user_id WHERE t.hash = $1`, hashSecret(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}

// markTokenUsed notes the token's last use, at most once a minute.
func (s *Store) markTokenUsed(ctx context.Context, t Token) error {
	now := s.now()
	if now.Sub(t.LastUsedAt) < time.Minute {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE auth_tokens SET last_used_at = $1 WHERE id = $2`, now.Unix(), t.ID)
	return err
}

// wellFormedToken reports whether s looks like a token this site made.
func wellFormedToken(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	for _, c := range s[len(TokenPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
