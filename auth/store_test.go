package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func newStore(t *testing.T, db *store.DB) (*Store, *time.Time) {
	t.Helper()
	if err := Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	// Twice: migrations are idempotent.
	if err := Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	s := NewStore(db)
	s.now = func() time.Time { return now }
	return s, &now
}

// TestSignedIn pins how a login finds its user: by issuer and subject;
// else the user `admin grant` made for the email the provider vouches for;
// else a new user. An unverified email is never stored or linked.
func TestSignedIn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, _ := newStore(t, db)
		ctx := t.Context()
		const iss = "https://id.example.vn"
		pending, err := s.Grant(ctx, "Thu.Ky@Xa.vn", Admin, "79/MTTQ", "cli")
		if err != nil {
			t.Fatal(err)
		}
		if pending.Email != "thu.ky@xa.vn" || pending.Subject != "" {
			t.Fatalf("pending user %+v", pending)
		}

		// An unverified email does not take the pending user's roles.
		u, err := s.signedIn(ctx, loginClaims{Issuer: iss, Subject: "mallory", Email: "thu.ky@xa.vn", EmailVerified: false, Name: "M"})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == pending.ID || u.Email != "" {
			t.Errorf("an unverified email was linked: %+v", u)
		}
		// A verified one does.
		u, err = s.signedIn(ctx, loginClaims{Issuer: iss, Subject: "sub-1", Email: "THU.KY@xa.vn", EmailVerified: true, Name: "Trần Văn Thư"})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != pending.ID || u.Subject != "sub-1" || u.Issuer != iss || u.Name != "Trần Văn Thư" || u.LastLoginAt.IsZero() {
			t.Errorf("linked user %+v, want id %d", u, pending.ID)
		}
		g, _ := s.Grants(ctx, u.ID)
		if len(g) != 1 || g[0] != (Grant{Admin, "79/MTTQ"}) {
			t.Errorf("grants %v", g)
		}
		// The next login finds the user by subject, and takes a new name
		// and address.
		u2, err := s.signedIn(ctx, loginClaims{Issuer: iss, Subject: "sub-1", Email: "moi@xa.vn", EmailVerified: true, Name: "Trần Văn Thư (mới)"})
		if err != nil {
			t.Fatal(err)
		}
		if u2.ID != u.ID || u2.Email != "moi@xa.vn" || u2.Name != "Trần Văn Thư (mới)" {
			t.Errorf("second login %+v", u2)
		}
		// Another subject with an address already taken gets a user of
		// its own, without the address.
		u3, err := s.signedIn(ctx, loginClaims{Issuer: iss, Subject: "sub-2", Email: "moi@xa.vn", EmailVerified: true})
		if err != nil {
			t.Fatal(err)
		}
		if u3.ID == u.ID || u3.Email != "" {
			t.Errorf("taken address: %+v", u3)
		}
		// The same subject at another issuer is another person.
		u4, err := s.signedIn(ctx, loginClaims{Issuer: "https://other.example", Subject: "sub-1", Email: "x@y.vn", EmailVerified: true})
		if err != nil || u4.ID == u.ID {
			t.Errorf("other issuer: %+v %v", u4, err)
		}
		users, err := s.Users(ctx)
		if err != nil || len(users) != 4 {
			t.Errorf("users: %d %v", len(users), err)
		}

		// Grant twice changes nothing; ungrant what is not held is ErrNotFound.
		if _, err := s.Grant(ctx, "moi@xa.vn", Admin, "79/MTTQ", "cli"); err != nil {
			t.Fatal(err)
		}
		if g, _ := s.Grants(ctx, u.ID); len(g) != 1 {
			t.Errorf("grants after granting again: %v", g)
		}
		if err := s.Ungrant(ctx, "moi@xa.vn", Viewer, "79/MTTQ"); !errors.Is(err, ErrNotFound) {
			t.Errorf("ungrant of a role not held: %v", err)
		}
		if err := s.Ungrant(ctx, "moi@xa.vn", Admin, "79/MTTQ"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			email string
			role  Role
			unit  string
		}{{"nope", Admin, "79/MTTQ"}, {"a@b.vn", "root", "79/MTTQ"}, {"a@b.vn", Admin, ""}} {
			if _, err := s.Grant(ctx, bad.email, bad.role, bad.unit, ""); err == nil {
				t.Errorf("Grant(%+v) accepted", bad)
			}
		}
	})
}

func TestSessionsAndLogins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, now := newStore(t, db)
		ctx := t.Context()
		u, err := s.Grant(ctx, "a@b.vn", Viewer, "VN/MTTQ", "")
		if err != nil {
			t.Fatal(err)
		}
		long := make([]byte, 1000)
		for i := range long {
			long[i] = 'x'
		}
		sid, err := s.createSession(ctx, u.ID, time.Hour, "id-token", "127.0.0.1", string(long))
		if err != nil {
			t.Fatal(err)
		}
		row, err := s.session(ctx, sid)
		if err != nil || row.User.ID != u.ID || row.IDToken != "id-token" || !row.ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("session %+v %v", row, err)
		}
		// Only the hash is stored.
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_sessions WHERE id_hash = $1`, sid).Scan(&n); err != nil || n != 0 {
			t.Errorf("the raw session id is stored (%d, %v)", n, err)
		}
		*now = now.Add(10 * time.Minute)
		if err := s.touchSession(ctx, sid); err != nil {
			t.Fatal(err)
		}
		if row, _ := s.session(ctx, sid); !row.LastSeenAt.Equal(*now) {
			t.Errorf("touched at %s, want %s", row.LastSeenAt, *now)
		}
		// A new session sweeps the expired.
		*now = now.Add(2 * time.Hour)
		if _, err := s.createSession(ctx, u.ID, time.Hour, "", "", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.session(ctx, sid); !errors.Is(err, ErrNotFound) {
			t.Errorf("an expired session survived the sweep: %v", err)
		}

		p := pendingLogin{Verifier: "v", Nonce: "n", Next: "/can-bo"}
		if err := s.saveLogin(ctx, "state-1", p, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		if got, err := s.takeLogin(ctx, "state-1"); err != nil || got != p {
			t.Errorf("takeLogin = %+v, %v", got, err)
		}
		if _, err := s.takeLogin(ctx, "state-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a sign-on was taken twice: %v", err)
		}
		if err := s.saveLogin(ctx, "state-2", p, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(11 * time.Minute)
		if _, err := s.takeLogin(ctx, "state-2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("an expired sign-on was taken: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, now := newStore(t, db)
		ctx := t.Context()
		secret, tok, err := s.CreateToken(ctx, TokenSpec{Email: "Bot@X.vn", Role: Reporter, Unit: "79/HND", TTL: 24 * time.Hour, CreatedBy: "cli"})
		if err != nil {
			t.Fatal(err)
		}
		if !wellFormedToken(secret) || tok.Prefix != secret[:shownPrefix] || tok.Email != "bot@x.vn" ||
			!tok.ExpiresAt.Equal(now.Add(24*time.Hour)) || !tok.Active(*now) {
			t.Errorf("token %+v for %q", tok, secret)
		}
		got, err := s.tokenBySecret(ctx, secret)
		if err != nil || got.ID != tok.ID {
			t.Errorf("tokenBySecret: %+v %v", got, err)
		}
		if _, err := s.tokenBySecret(ctx, secret[:len(secret)-1]+"x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a changed token was found: %v", err)
		}
		if tok.Active(now.Add(25 * time.Hour)) {
			t.Error("an expired token is active")
		}
		*now = now.Add(time.Hour)
		r1, err := s.RevokeToken(ctx, tok.ID)
		if err != nil || r1.RevokedAt.IsZero() || r1.Active(*now) {
			t.Fatalf("revoke: %+v %v", r1, err)
		}
		*now = now.Add(time.Hour)
		r2, _ := s.RevokeToken(ctx, tok.ID)
		if !r2.RevokedAt.Equal(r1.RevokedAt) {
			t.Errorf("revoking again moved the time: %s → %s", r1.RevokedAt, r2.RevokedAt)
		}
		if _, err := s.RevokeToken(ctx, 9999); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoke a missing token: %v", err)
		}
		list, err := s.Tokens(ctx)
		if err != nil || len(list) != 1 {
			t.Errorf("tokens: %v %v", list, err)
		}
		for _, bad := range []TokenSpec{
			{Email: "x", Role: Admin, Unit: "VN/MTTQ"},
			{Email: "a@b.vn", Role: "god", Unit: "VN/MTTQ"},
			{Email: "a@b.vn", Role: Admin},
			{Email: "a@b.vn", Role: Admin, Unit: "VN/MTTQ", TTL: -time.Second},
		} {
			if _, _, err := s.CreateToken(ctx, bad); err == nil {
				t.Errorf("CreateToken(%+v) accepted", bad)
			}
		}
	})
}
