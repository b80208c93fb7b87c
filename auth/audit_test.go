package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// auditRows counts the rows of the audit log.
func auditRows(t *testing.T, f *fixture) int {
	t.Helper()
	var n int
	if err := f.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM auth_audit`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRefusedTokensCannotFloodTheAuditLog: a client sending refused
// tokens as fast as it can gets its 401 every time, but writes at most two
// rows a minute, which count every refusal.
func TestRefusedTokensCannotFloodTheAuditLog(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		root, _ := f.token("root@mttq.vn", auth.Admin, auth.RootUnit)
		start := auditRows(t, f)
		const n = 300
		send := func() {
			t.Helper()
			for i := range n {
				tok := auth.TokenPrefix + strings.Repeat(string(rune('A'+i%26)), 43) // unknown
				if i%3 == 0 {
					tok = "not-a-token"
				}
				if r := f.get("/api/v1/me", tok); r.status != http.StatusUnauthorized {
					t.Fatalf("refused token %d: %d", i, r.status)
				}
			}
		}
		refusals := func() (rows int, count int64) {
			t.Helper()
			r := f.get("/api/v1/audit?action="+auth.EventTokenRefused+"&limit=100", root)
			var page auth.EventList
			decode(t, r, &page)
			for _, e := range page.Events {
				rows++
				count += e.Count
			}
			return rows, count
		}

		send()
		if grew := auditRows(t, f) - start; grew != 1 {
			t.Errorf("%d refused tokens wrote %d rows at once, want 1 (the rest counted)", n, grew)
		}
		// Reading the log writes what was counted.
		if rows, count := refusals(); rows != 2 || count != n {
			t.Errorf("the log shows %d rows counting %d refusals, want 2 counting %d", rows, count, n)
		}
		// The first (malformed) as it came, the others summed up with their reasons.
		f.wantEvent(auth.EventTokenRefused, auth.OutcomeRefused, "299 more from this address")
		f.wantEvent(auth.EventTokenRefused, auth.OutcomeRefused, "unknown token ×200, malformed token ×99")
		if r := f.get("/can-bo/nhat-ky?action="+auth.EventTokenRefused, root); r.status != http.StatusOK || !strings.Contains(r.body, "· 299 lần") {
			t.Errorf("the audit page does not show the count: %d %.2000s", r.status, r.body)
		}

		// A minute on, the same again: two more rows at most.
		f.advance(2 * time.Minute)
		send()
		if rows, count := refusals(); rows > 4 || count != 2*n {
			t.Errorf("after two minutes the log shows %d rows counting %d refusals, want at most 4 counting %d", rows, count, 2*n)
		}
		if grew := auditRows(t, f) - start; grew > 4 {
			t.Errorf("%d refused tokens in two minutes grew the log by %d rows, want at most 4", 2*n, grew)
		}
	})
}

// TestAuditPageIsIndexed: an admin's first page shows their units' events
// however many newer events other units have — more than the 100,000
// rows that reading used to stop after.
func TestAuditPageIsIndexed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		ctx := t.Context()
		province, _ := f.token("admin@hcm.vn", auth.Admin, hcmc+"/MTTQ")
		hnd, _ := f.token("admin@hnd.hcm.vn", auth.Admin, hcmc+"/HND")
		root, _ := f.token("root@mttq.vn", auth.Admin, auth.RootUnit)
		for _, unit := range []string{saiGonTDP + "/HND", saiGon + "/MTTQ", hcmc + "/CD"} {
			if err := f.auth.Store().Record(ctx, auth.Event{Action: "test.mine", Outcome: auth.OutcomeOK, Unit: unit}); err != nil {
				t.Fatal(err)
			}
		}
		// 100,001 newer events of a Hà Nội commune, indexed as Record
		// indexes them, written in two statements.
		const noise = 100_001
		if _, err := db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < `+itoa(noise)+`)
			INSERT INTO auth_audit (at, action, unit, outcome) SELECT 1800000000, 'test.noise', '`+baDinh+`/MTTQ', 'ok' FROM n`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO auth_audit_scope (unit, event_id)
			SELECT u.unit, a.id FROM auth_audit a,
				(SELECT '`+baDinh+`/MTTQ' AS unit UNION ALL SELECT '`+hanoi+`/MTTQ' UNION ALL SELECT 'VN/MTTQ') u
			WHERE a.action = 'test.noise'`); err != nil {
			t.Fatal(err)
		}

		page := func(token, query string) auth.EventList {
			t.Helper()
			r := f.get("/api/v1/audit?"+query, token)
			var p auth.EventList
			decode(t, r, &p)
			return p
		}
		units := func(p auth.EventList) string {
			var u []string
			for _, e := range p.Events {
				u = append(u, e.Unit)
			}
			return strings.Join(u, " ")
		}
		if p := page(province, "limit=10"); units(p) != hcmc+"/CD "+saiGon+"/MTTQ "+saiGonTDP+"/HND" || p.Next != 0 {
			t.Errorf("the province's Front admin sees %q (next %d), want its three events", units(p), p.Next)
		}
		if p := page(hnd, "limit=10"); units(p) != saiGonTDP+"/HND" || p.Next != 0 {
			t.Errorf("the province's HND admin sees %q (next %d), want its village's event", units(p), p.Next)
		}
		// Paging from an event: one at a time.
		p := page(province, "limit=1")
		if units(p) != hcmc+"/CD" || p.Next == 0 {
			t.Fatalf("first page of one: %q, next %d", units(p), p.Next)
		}
		if p = page(province, "limit=2&before="+itoa(p.Next)); units(p) != saiGon+"/MTTQ "+saiGonTDP+"/HND" || p.Next != 0 {
			t.Errorf("second page: %q, next %d", units(p), p.Next)
		}
		if p := page(root, "limit=3"); len(p.Events) != 3 || p.Events[0].Action != "test.noise" || p.Next == 0 {
			t.Errorf("the root admin's first page: %+v", p)
		}
		if p := page(root, "limit=3&action=test.mine"); len(p.Events) != 3 {
			t.Errorf("the root admin's page of test.mine: %+v", p)
		}
	})
}

// TestVillageChangesAreAudited: creating, renaming and retiring a village,
// through the API with a token and through the forms with a session, is
// in the audit log with the actor, the commune's unit and the request id,
// and the commune's admin sees it there.
func TestVillageChangesAreAudited(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		script, st := f.token("script@saigon.vn", auth.Reporter, saiGon+"/MTTQ")
		other, _ := f.token("script@benthanh.vn", auth.Reporter, benThanh+"/MTTQ")
		admin, _ := f.token("admin@saigon.vn", auth.Admin, saiGon+"/MTTQ")
		api := func(method, path, token, body, requestID string, want int) response {
			t.Helper()
			r := f.do(method, path, token, strings.NewReader(body), "Content-Type", "application/json", "X-Request-ID", requestID)
			if r.status != want {
				t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
			}
			return r
		}
		villages := "/api/v1/org/territories/" + saiGon + "/villages"
		r := api(http.MethodPost, villages, script, `{"name":"Hòa Bình","kind":"thôn"}`, "req-create-1", http.StatusCreated)
		var created org.VillageResponse
		decode(t, r, &created)
		code := created.Village.Code
		api(http.MethodPatch, "/api/v1/org/villages/"+code, script, `{"name":"Hòa Bình Đông"}`, "req-rename-1", http.StatusOK)
		api(http.MethodPatch, "/api/v1/org/villages/"+code, script, `{"name":"Hòa Bình Đông"}`, "req-rename-same", http.StatusOK)
		api(http.MethodDelete, "/api/v1/org/villages/"+code, other, ``, "req-retire-other", http.StatusForbidden)
		api(http.MethodDelete, "/api/v1/org/villages/"+code, script, ``, "req-retire-1", http.StatusOK)
		api(http.MethodDelete, "/api/v1/org/villages/"+code, script, ``, "req-retire-again", http.StatusOK)

		// The form, with a session; the request id is the one web made.
		sid, csrf := sessionFor(t, f, "thu.ky@saigon.vn", auth.Reporter, saiGon+"/MTTQ")
		r = f.do(http.MethodPost, "/quan-tri/dia-ban/"+saiGon+"/thon", "", strings.NewReader("name=An+Ph%C3%BA&kind=%E1%BA%A5p&csrf_token="+csrf),
			"Cookie", f.auth.SessionCookie()+"="+sid, "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
		if r.status != http.StatusSeeOther {
			t.Fatalf("form: %d %.300s", r.status, r.body)
		}
		formID := r.header.Get("X-Request-ID")

		tokenActor := "script@saigon.vn (token " + itoa(st.ID) + ")"
		want := []struct{ action, actor, requestID, target string }{
			{org.AuditVillageCreate, "thu.ky@saigon.vn", formID, `"Ấp An Phú"`},
			{org.AuditVillageRetire, tokenActor, "req-retire-1", code + ` "Thôn Hòa Bình Đông"`},
			{org.AuditVillageRename, tokenActor, "req-rename-1", code + ` "Thôn Hòa Bình" → "Thôn Hòa Bình Đông"`},
			{org.AuditVillageCreate, tokenActor, "req-create-1", code + ` "Thôn Hòa Bình"`},
		}
		check := func(who string, evs []auth.Event) {
			t.Helper()
			if len(evs) != len(want) {
				t.Fatalf("%s: %d village events, want %d (no-ops and refusals are not changes): %+v", who, len(evs), len(want), evs)
			}
			for i, w := range want {
				e := evs[i]
				if e.Action != w.action || e.Actor != w.actor || e.ActorID == 0 || e.RequestID != w.requestID ||
					e.Unit != saiGon+"/MTTQ" || e.Outcome != auth.OutcomeOK || !strings.Contains(e.Target, w.target) || e.IP == "" {
					t.Errorf("%s: event %d = %+v; want %s by %s, request %s, target ~ %s", who, i, e, w.action, w.actor, w.requestID, w.target)
				}
			}
		}
		check("the log", f.events("org.village"))
		// The commune's admin reads them on the audit page's API.
		r = f.get("/api/v1/audit?action=org.village", admin)
		var page auth.EventList
		decode(t, r, &page)
		check("the commune's admin", page.Events)
		// The refused retire is a denial, not a change.
		f.wantEvent(auth.EventDenied, auth.OutcomeDenied, "DELETE /api/v1/org/villages/"+code)
	})
}

// TestTokenFollowsItsHoldersGrant: taking back the grant behind a token
// stops the token at once (401, and the refusal says why); giving it back
// lets it work again.
func TestTokenFollowsItsHoldersGrant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		ctx := t.Context()
		tok, _ := f.token("chu.tich@hcm.vn", auth.Admin, hcmc+"/MTTQ")
		if r := f.get("/api/v1/auth/tokens", tok); r.status != http.StatusOK {
			t.Fatalf("token of a holder with the grant: %d", r.status)
		}
		if err := f.auth.Store().Ungrant(ctx, "chu.tich@hcm.vn", auth.Admin, hcmc+"/MTTQ"); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/v1/me", "/api/v1/auth/tokens", "/api/v1/audit"} {
			if r := f.get(path, tok); r.status != http.StatusUnauthorized {
				t.Errorf("%s after the grant was taken back: %d", path, r.status)
			}
		}
		// The first refusal is written as it came; the next two are summed up.
		evs := f.events(auth.EventTokenRefused)
		if len(evs) != 2 || evs[1].Reason != "the holder no longer holds admin at "+hcmc+"/MTTQ" ||
			evs[1].Unit != hcmc+"/MTTQ" || !strings.Contains(evs[1].Target, "chu.tich@hcm.vn") || evs[0].Count != 2 {
			t.Errorf("refusals %+v: want the first on the token's unit, naming the holder and why, then two more", evs)
		}
		// A narrower grant does not back an admin token.
		if _, err := f.auth.Store().Grant(ctx, "chu.tich@hcm.vn", auth.Viewer, hcmc+"/MTTQ", "test"); err != nil {
			t.Fatal(err)
		}
		if r := f.get("/api/v1/me", tok); r.status != http.StatusUnauthorized {
			t.Errorf("admin token of a viewer: %d", r.status)
		}
		// An admin grant above it does.
		if _, err := f.auth.Store().Grant(ctx, "chu.tich@hcm.vn", auth.Admin, auth.RootUnit, "test"); err != nil {
			t.Fatal(err)
		}
		r := f.get("/api/v1/me", tok)
		var me auth.Me
		decode(t, r, &me)
		if r.status != http.StatusOK || len(me.Roles) != 1 || me.Roles[0] != (auth.Grant{Role: auth.Admin, Unit: hcmc + "/MTTQ"}) {
			t.Errorf("token backed again: %d %+v (a token carries its own grant only)", r.status, me)
		}
		// And a token is refused for a role its holder does not hold.
		if _, _, err := f.auth.Store().CreateToken(ctx, auth.TokenSpec{Email: "viewer@hcm.vn", Role: auth.Admin, Unit: hcmc + "/MTTQ"}); err == nil {
			t.Error("a token was made for a role nobody granted")
		}
	})
}
