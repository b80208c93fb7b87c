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

// Token lifetimes. Every token expires: a script's token is renewed by
// making a new one, so that a forgotten or leaked one stops on its own.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour  // when TokenSpec.TTL is zero
	MaxTokenTTL     = 366 * 24 * time.Hour // the longest a token may be made for
)

// ErrNotHeld: the holder of a token does not (or no longer) hold a grant
// that covers the token's role at its unit.
var ErrNotHeld = errors.New("the holder holds no grant covering the token")

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

// Active reports whether the token is neither revoked nor expired at t.
// (A zero ExpiresAt would never expire: tokens are no longer made so, and
// migration 002 gave the older ones an end.) Whether its holder still
// backs it is TokenHeld.
func (t Token) Active(at time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt))
}

// TokenSpec is what a new token is made for.
//
// A token is one of its holder's grants, lent to a script and possibly
// narrowed: its role must be one the holder's grants cover (Role.Covers)
// at its unit or a unit containing it, and it works only while they still
// do — checked at every use, so taking the grant back (admin grant
// --remove) stops the token at once, and giving it back again lets the
// token work again until it expires or is revoked.
type TokenSpec struct {
	Email     string        // its holder, who must hold a grant covering Role at Unit
	Role      Role          // the one role it carries
	Unit      string        // where it holds the role
	TTL       time.Duration // zero: DefaultTokenTTL; at most MaxTokenTTL
	CreatedBy string        // for the record
}

// CreateToken makes a token and returns its secret — shown once, stored
// only as a hash — with the token as listed. A holder without a grant
// covering the token is refused with an error wrapping ErrNotHeld.
func (s *Store) CreateToken(ctx context.Context, spec TokenSpec) (string, Token, error) {
	email := normEmail(spec.Email)
	ttl := spec.TTL
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	switch {
	case !validEmail(email):
		return "", Token{}, fmt.Errorf("auth: %q is not an email address", spec.Email)
	case !spec.Role.Valid():
		return "", Token{}, fmt.Errorf("auth: unknown role %q", spec.Role)
	case spec.Unit == "":
		return "", Token{}, errors.New("auth: a token needs a unit")
	case ttl < 0:
		return "", Token{}, fmt.Errorf("auth: negative token lifetime %s", spec.TTL)
	case ttl > MaxTokenTTL:
		return "", Token{}, fmt.Errorf("auth: token lifetime %s is over the maximum %s", spec.TTL, MaxTokenTTL)
	}
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return "", Token{}, fmt.Errorf("auth: %s holds no role at all: %w", email, ErrNotHeld)
	}
	if err != nil {
		return "", Token{}, err
	}
	held, err := s.holds(ctx, u.ID, spec.Role, spec.Unit)
	if err != nil {
		return "", Token{}, err
	}
	if !held {
		return "", Token{}, fmt.Errorf("auth: %s holds no role covering %s at %s: %w", email, spec.Role, spec.Unit, ErrNotHeld)
	}
	secret := TokenPrefix + randomSecret(32)
	now := s.now()
	var id int64
	err = s.db.QueryRowContext(ctx, `INSERT INTO auth_tokens (prefix, hash, user_id, role, unit, created_at, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		secret[:shownPrefix], hashSecret(secret), u.ID, string(spec.Role), spec.Unit, now.Unix(), spec.CreatedBy, now.Add(ttl).Unix()).Scan(&id)
	if err != nil {
		return "", Token{}, fmt.Errorf("auth: create token for %s: %w", email, err)
	}
	t, err := s.Token(ctx, id)
	return secret, t, err
}

// TokenHeld reports whether t's holder still holds a grant covering it:
// without one the token opens nothing (see TokenSpec).
func (s *Store) TokenHeld(ctx context.Context, t Token) (bool, error) {
	return s.holds(ctx, t.userID, t.Role, t.Unit)
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
