package auth

import "context"

// NewSession starts a session for the user with email as a sign-on does,
// for tests that need a browser session without a provider. It returns
// the cookie's value and the session's CSRF token.
func (s *Service) NewSession(ctx context.Context, email string) (string, string, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return "", "", err
	}
	sid, err := s.store.createSession(ctx, u.ID, s.max, "", "127.0.0.1", "test")
	if err != nil {
		return "", "", err
	}
	return sid, csrfToken(sid), nil
}

// SessionCookie is the name of the session cookie.
func (s *Service) SessionCookie() string { return s.sessionCookieName() }

// LocalPath is where a sign-on may send the browser afterwards.
var LocalPath = localPath

// FlushRefusals writes the refusals counted so far, as a read of the
// audit log does.
func (s *Service) FlushRefusals(ctx context.Context) error { return s.flushRefusals(ctx) }
