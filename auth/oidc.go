package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// provider is the discovered OpenID Connect provider with this site's
// client there.
type provider struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string // the provider's RP-initiated logout endpoint, if it has one
}

// providerFor returns the provider, discovering it at first use; a failed
// discovery is not remembered, so the next sign-on tries again.
func (s *Service) providerFor(ctx context.Context) (*provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	ctx = oidc.ClientContext(ctx, s.client)
	p, err := oidc.NewProvider(ctx, s.oidc.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discover OpenID provider %s: %w", s.oidc.Issuer, err)
	}
	var extra struct {
		EndSession string   `json:"end_session_endpoint"`
		Methods    []string `json:"code_challenge_methods_supported"`
	}
	if err := p.Claims(&extra); err != nil {
		return nil, fmt.Errorf("auth: read discovery document of %s: %w", s.oidc.Issuer, err)
	}
	s.provider = &provider{
		oauth: oauth2.Config{
			ClientID:     s.oidc.ClientID,
			ClientSecret: s.oidc.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  s.oidc.RedirectURL,
			Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
		},
		// The background context keeps the client for fetching keys later.
		verifier:   p.VerifierContext(oidc.ClientContext(context.Background(), s.client), &oidc.Config{ClientID: s.oidc.ClientID}),
		endSession: extra.EndSession,
	}
	return s.provider, nil
}

// login starts a sign-on: it stores a fresh state, nonce and PKCE
// verifier, binds the state to this browser with a short-lived cookie,
// and sends the browser to the provider.
func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	if !s.Configured() {
		s.renderSetup(w, r)
		return
	}
	p, err := s.providerFor(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "auth: sign-on unavailable", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "provider_unavailable",
			"Chưa kết nối được với hệ thống đăng nhập một lần. Vui lòng thử lại sau ít phút.")
		return
	}
	next := localPath(r.URL.Query().Get("next"))
	state, nonce, verifier := randomSecret(32), randomSecret(32), oauth2.GenerateVerifier()
	if err := s.store.saveLogin(r.Context(), state, pendingLogin{Verifier: verifier, Nonce: nonce, Next: next}, loginTTL); err != nil {
		Fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: state, Path: "/auth/", MaxAge: int(loginTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), http.StatusFound)
}

// callback completes a sign-on: the state must be this browser's and
// unused, the code must exchange (with the verifier) for an ID token
// that the provider signed for this client with the login's nonce. Then
// the user is recorded, a session made, and the browser sent on.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	if !s.Configured() {
		s.renderSetup(w, r)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/auth/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	refuse := func(reason string, id *Identity) {
		s.auditRefusal(r, id, Event{Action: EventLoginRefused, Outcome: OutcomeRefused, Reason: reason})
		s.renderLoginFailed(w, r)
	}

	state := q.Get("state")
	c, err := r.Cookie(loginCookie)
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(state), []byte(c.Value)) != 1 {
		refuse("state does not match this browser's sign-on", nil)
		return
	}
	pl, err := s.store.takeLogin(ctx, state)
	if errors.Is(err, ErrNotFound) {
		refuse("state unknown, used or expired", nil)
		return
	}
	if err != nil {
		Fail(w, r, err)
		return
	}
	if e := q.Get("error"); e != "" {
		refuse("provider: "+clip(e, 100)+" "+clip(q.Get("error_description"), 200), nil)
		return
	}
	code := q.Get("code")
	if code == "" {
		refuse("no code", nil)
		return
	}
	p, err := s.providerFor(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "auth: sign-on unavailable", "err", err)
		writeProblem(w, r, http.StatusServiceUnavailable, "provider_unavailable",
			"Chưa kết nối được với hệ thống đăng nhập một lần. Vui lòng thử lại sau ít phút.")
		return
	}
	tok, err := p.oauth.Exchange(oidc.ClientContext(ctx, s.client), code, oauth2.VerifierOption(pl.Verifier))
	if err != nil {
		refuse("code exchange: "+oauthError(err), nil)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		refuse("no ID token in the token response", nil)
		return
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		refuse("ID token: "+err.Error(), nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pl.Nonce)) != 1 {
		refuse("ID token nonce does not match the sign-on's", &Identity{User: User{Subject: idt.Subject}})
		return
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			refuse("ID token at_hash: "+err.Error(), &Identity{User: User{Subject: idt.Subject}})
			return
		}
	}
	var claims struct {
		Email             string `json:"email"`
		EmailVerified     *bool  `json:"email_verified"`
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil {
		refuse("ID token claims: "+err.Error(), nil)
		return
	}
	name := claims.Name
	if name == "" {
		name = claims.PreferredUsername
	}
	u, err := s.store.signedIn(ctx, loginClaims{
		Issuer: idt.Issuer, Subject: idt.Subject, Email: claims.Email,
		// An address the provider does not say it verified is not trusted
		// (Keycloak and Dex say).
		EmailVerified: claims.EmailVerified != nil && *claims.EmailVerified,
		Name:          name,
	})
	if err != nil {
		Fail(w, r, err)
		return
	}
	// A new session at each sign-on: an id planted before it is worthless.
	if old, err := r.Cookie(s.sessionCookieName()); err == nil && old.Value != "" {
		_ = s.store.deleteSession(ctx, old.Value)
	}
	sid, err := s.store.createSession(ctx, u.ID, s.max, raw, ClientIP(r), r.UserAgent())
	if err != nil {
		Fail(w, r, err)
		return
	}
	s.setSessionCookie(w, sid)
	s.audit(r, &Identity{User: u, Method: BySession}, Event{Action: EventLogin, Outcome: OutcomeOK})
	http.Redirect(w, r, pl.Next, http.StatusSeeOther)
}

// oauthError names what the provider said about a failed exchange.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return re.ErrorCode + " " + clip(re.ErrorDescription, 200)
	}
	return clip(err.Error(), 300)
}

// logout ends the session (POST, with the CSRF token the middleware
// checked) and, when the provider offers RP-initiated logout, sends the
// browser there to end the provider's session too. GET shows a button.
func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	id := UserFrom(r)
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		if id == nil || id.Method != BySession {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.render(w, r, http.StatusOK, "logout", staffData{Name: id.Name()})
		return
	}
	if id == nil || id.Method != BySession {
		s.clearSessionCookie(w)
		s.render(w, r, http.StatusOK, "logged_out", nil)
		return
	}
	row, err := s.store.session(r.Context(), id.session)
	idToken := ""
	if err == nil {
		idToken = row.IDToken
	}
	if err := s.store.deleteSession(r.Context(), id.session); err != nil {
		Fail(w, r, err)
		return
	}
	s.clearSessionCookie(w)
	s.audit(r, id, Event{Action: EventLogout, Outcome: OutcomeOK})
	if s.Configured() {
		if p, err := s.providerFor(r.Context()); err == nil && p.endSession != "" {
			v := url.Values{"client_id": {s.oidc.ClientID}}
			if idToken != "" {
				v.Set("id_token_hint", idToken)
			}
			if s.public != nil {
				v.Set("post_logout_redirect_uri", s.public.String()+"/")
			}
			sep := "?"
			if strings.Contains(p.endSession, "?") {
				sep = "&"
			}
			http.Redirect(w, r, p.endSession+sep+v.Encode(), http.StatusSeeOther)
			return
		}
	}
	s.render(w, r, http.StatusOK, "logged_out", nil)
}

// DefaultNext is where a sign-on lands without a next parameter: the
// staff home.
const DefaultNext = "/can-bo"

// localPath returns next when it is a path on this site, else
// DefaultNext: a sign-on never sends the browser to another site.
func localPath(next string) string {
	if next == "" || len(next) > 1024 || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return DefaultNext
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return DefaultNext
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return DefaultNext
	}
	if strings.HasPrefix(u.Path, "/auth/") {
		return DefaultNext
	}
	return next
}
