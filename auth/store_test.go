package auth

import (
	"context"
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
	s := NewStore(db, nil)
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
		if _, err := s.Grant(ctx, "bot@x.vn", Reporter, "79/HND", "cli"); err != nil {
			t.Fatal(err)
		}
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
		if _, err := s.Grant(ctx, "a@b.vn", Admin, "VN/MTTQ", "cli"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []TokenSpec{
			{Email: "x", Role: Admin, Unit: "VN/MTTQ"},
			{Email: "a@b.vn", Role: "god", Unit: "VN/MTTQ"},
			{Email: "a@b.vn", Role: Admin},
			{Email: "a@b.vn", Role: Admin, Unit: "VN/MTTQ", TTL: -time.Second},
			{Email: "a@b.vn", Role: Admin, Unit: "VN/MTTQ", TTL: MaxTokenTTL + time.Second},
		} {
			if _, _, err := s.CreateToken(ctx, bad); err == nil {
				t.Errorf("CreateToken(%+v) accepted", bad)
			}
		}

		// Every token expires: by default after DefaultTokenTTL.
		_, def, err := s.CreateToken(ctx, TokenSpec{Email: "a@b.vn", Role: Admin, Unit: "VN/MTTQ"})
		if err != nil || !def.ExpiresAt.Equal(now.Add(DefaultTokenTTL)) {
			t.Errorf("token with the default lifetime: %+v, %v; want it to expire at %s", def, err, now.Add(DefaultTokenTTL))
		}
		if _, long, err := s.CreateToken(ctx, TokenSpec{Email: "a@b.vn", Role: Admin, Unit: "VN/MTTQ", TTL: MaxTokenTTL}); err != nil ||
			!long.ExpiresAt.Equal(now.Add(MaxTokenTTL)) {
			t.Errorf("token of the longest lifetime: %+v, %v", long, err)
		}
	})
}

// TestTokensFollowGrants: a token carries a role its holder holds, at
// its unit or above, and works only while the holder still holds it.
func TestTokensFollowGrants(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, _ := newStore(t, db)
		// VN/MTTQ contains every unit, 79/MTTQ two more.
		s.units = UnitsFunc(func(_ context.Context, a, b string) (bool, error) {
			return a == b || a == "VN/MTTQ" || a == "79/MTTQ" && (b == "26740/MTTQ" || b == "79/HND"), nil
		})
		ctx := t.Context()
		grant := func(email string, r Role, unit string) {
			t.Helper()
			if _, err := s.Grant(ctx, email, r, unit, "cli"); err != nil {
				t.Fatal(err)
			}
		}
		grant("admin@79.vn", Admin, "79/MTTQ")
		grant("officer@79.vn", Officer, "79/MTTQ")
		grant("viewer@79.vn", Viewer, "79/MTTQ")
		for _, c := range []struct {
			email string
			role  Role
			unit  string
			ok    bool
		}{
			{"admin@79.vn", Admin, "79/MTTQ", true},
			{"admin@79.vn", Reporter, "79/MTTQ", true},     // a narrower role
			{"admin@79.vn", Admin, "26740/MTTQ", true},     // a unit below
			{"admin@79.vn", Admin, "01/MTTQ", false},       // another province
			{"admin@79.vn", Admin, "VN/MTTQ", false},       // a unit above
			{"officer@79.vn", Viewer, "26740/MTTQ", true},  // an officer may do all a viewer may
			{"officer@79.vn", Reporter, "79/MTTQ", false},  // but not file reports
			{"officer@79.vn", Admin, "79/MTTQ", false},     // nor administer
			{"viewer@79.vn", Staff, "79/MTTQ", true},       // everyone may ask the assistant
			{"viewer@79.vn", Viewer, "79/HND", true},       // the Front's unit contains its members'
			{"nobody@79.vn", Viewer, "79/MTTQ", false},     // no such user
			{"admin@79.vn", Viewer, "unknown/unit", false}, // the tree does not contain it
		} {
			_, tok, err := s.CreateToken(ctx, TokenSpec{Email: c.email, Role: c.role, Unit: c.unit})
			if c.ok && err != nil || !c.ok && !errors.Is(err, ErrNotHeld) {
				t.Errorf("token %s at %s for %s: %v; want allowed %v", c.role, c.unit, c.email, err, c.ok)
			}
			if c.ok {
				if held, err := s.TokenHeld(ctx, tok); !held || err != nil {
					t.Errorf("token %s at %s for %s: held %v, %v", c.role, c.unit, c.email, held, err)
				}
			}
		}
		if _, err := s.UserByEmail(ctx, "nobody@79.vn"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a refused token made its holder: %v", err)
		}

		// Taking the grant back unbacks the token; giving it back backs it again.
		_, tok, err := s.CreateToken(ctx, TokenSpec{Email: "admin@79.vn", Role: Reporter, Unit: "26740/MTTQ"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ungrant(ctx, "admin@79.vn", Admin, "79/MTTQ"); err != nil {
			t.Fatal(err)
		}
		if held, err := s.TokenHeld(ctx, tok); held || err != nil {
			t.Errorf("after the grant was taken back: held %v, %v", held, err)
		}
		grant("admin@79.vn", Reporter, "26740/MTTQ")
		if held, err := s.TokenHeld(ctx, tok); !held || err != nil {
			t.Errorf("after a covering grant was given: held %v, %v", held, err)
		}
	})
}
