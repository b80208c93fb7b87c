package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sessionRow is a browser session as stored.
type sessionRow struct {
	User       User
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
	IDToken    string
}

// createSession stores a new session for user and returns its id, the
// secret that goes into the cookie (256 random bits; only its hash is
// stored).
func (s *Store) createSession(ctx context.Context, userID int64, maxAge time.Duration, idToken, ip, ua string) (string, error) {
	id := randomSecret(32)
	now := s.now()
	// Old sessions go when new ones come: no separate sweeper to run.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE expires_at < $1`, now.Unix()); err != nil {
		return "", fmt.Errorf("auth: sweep sessions: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_sessions (id_hash, user_id, created_at, last_seen_at, expires_at, id_token, ip, user_agent)
		VALUES ($1, $2, $3, $3, $4, $5, $6, $7)`,
		hashSecret(id), userID, now.Unix(), now.Add(maxAge).Unix(), idToken, ip, clip(ua, maxUserAgent))
	if err != nil {
		return "", fmt.Errorf("auth: create session for user %d: %w", userID, err)
	}
	return id, nil
}

// session finds the session with id, expired or not.
func (s *Store) session(ctx context.Context, id string) (sessionRow, error) {
	var r sessionRow
	var created, seen, expires int64
	var uCreated, uLast int64
	err := s.db.QueryRowContext(ctx, `SELECT s.created_at, s.last_seen_at, s.expires_at, s.id_token,
			u.id, COALESCE(u.issuer, ''), COALESCE(u.subject, ''), COALESCE(u.email, ''), u.name, u.created_at, u.last_login_at
		FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id WHERE s.id_hash = $1`, hashSecret(id)).
		Scan(&created, &seen, &expires, &r.IDToken,
			&r.User.ID, &r.User.Issuer, &r.User.Subject, &r.User.Email, &r.User.Name, &uCreated, &uLast)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("auth: read session: %w", err)
	}
	r.CreatedAt, r.LastSeenAt, r.ExpiresAt = fromUnix(created), fromUnix(seen), fromUnix(expires)
	r.User.CreatedAt, r.User.LastLoginAt = fromUnix(uCreated), fromUnix(uLast)
	return r, nil
}

// touchSession moves the session's idle clock on.
func (s *Store) touchSession(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE auth_sessions SET last_seen_at = $1 WHERE id_hash = $2`, s.unix(), hashSecret(id))
	return err
}

// deleteSession ends the session with id; ending one already gone is no
// error.
func (s *Store) deleteSession(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE id_hash = $1`, hashSecret(id))
	return err
}

// pendingLogin is a sign-on under way, between /auth/login and the
// provider's return to /auth/callback.
type pendingLogin struct {
	Verifier string // PKCE code verifier
	Nonce    string
	Next     string // local path to go to afterwards
}

// saveLogin stores a sign-on under way under its state.
func (s *Store) saveLogin(ctx context.Context, state string, p pendingLogin, ttl time.Duration) error {
	now := s.now()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_logins WHERE expires_at < $1`, now.Unix()); err != nil {
		return fmt.Errorf("auth: sweep sign-ons: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_logins (state_hash, verifier, nonce, next, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		hashSecret(state), p.Verifier, p.Nonce, p.Next, now.Add(ttl).Unix())
	if err != nil {
		return fmt.Errorf("auth: save sign-on: %w", err)
	}
	return nil
}

// takeLogin removes and returns the sign-on under state: each can be
// completed once. An expired one is ErrNotFound.
func (s *Store) takeLogin(ctx context.Context, state string) (pendingLogin, error) {
	var p pendingLogin
	var expires int64
	err := s.db.QueryRowContext(ctx, `DELETE FROM auth_logins WHERE state_hash = $1 RETURNING verifier, nonce, next, expires_at`,
		hashSecret(state)).Scan(&p.Verifier, &p.Nonce, &p.Next, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("auth: read sign-on: %w", err)
	}
	if expires < s.unix() {
		return p, ErrNotFound
	}
	return p, nil
}

const maxUserAgent = 256

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
