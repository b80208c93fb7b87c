package auth_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// relations are the ways a user's unit and the target unit can stand to
// each other. covered says whether a role held at the user's unit reaches
// the target: the same unit, a unit below it in the same organisation,
// or, for the Front, a member organisation's unit at or below it.
// anyTarget relations have targets that are not a commune's Front unit,
// which the org endpoints (always asking on COMMUNE/MTTQ) cannot take.
var relations = []struct {
	name, user, target string
	covered, anyTarget bool
}{
	{"same unit", saiGon + "/MTTQ", saiGon + "/MTTQ", true, false},
	{"target below (province → its commune)", hcmc + "/MTTQ", saiGon + "/MTTQ", true, false},
	{"target below (central → a commune)", "VN/MTTQ", saiGon + "/MTTQ", true, false},
	{"target above (village → its commune)", saiGonTDP + "/MTTQ", saiGon + "/MTTQ", false, false},
	{"target above (commune → its province)", saiGon + "/MTTQ", hcmc + "/MTTQ", false, true},
	{"sibling commune", benThanh + "/MTTQ", saiGon + "/MTTQ", false, false},
	{"other province", hanoi + "/MTTQ", saiGon + "/MTTQ", false, false},
	{"commune of another province", baDinh + "/MTTQ", saiGon + "/MTTQ", false, false},
	{"other organisation, same commune", saiGon + "/HND", saiGon + "/MTTQ", false, false},
	{"other organisation, the province", hcmc + "/HND", saiGon + "/MTTQ", false, false},
	{"other organisation, central", "VN/CD", saiGon + "/MTTQ", false, false},
	{"member organisation under the Front", saiGon + "/MTTQ", saiGon + "/HND", true, true},
	{"one member organisation to another", saiGon + "/HND", saiGon + "/CD", false, true},
	{"village below the commune", saiGon + "/MTTQ", saiGonTDP + "/MTTQ", true, true},
}

var allRoles = []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer, auth.Staff}

// endpoint is a protected endpoint of the matrix. allowed are the roles
// that may use it on a covered target; unscoped endpoints ignore the
// target. try prepares what the request acts on at target, sends it with
// token and reports whether it was allowed — refused answers must be 401
// or 403 (or a list without the target's records), anything else fails.
type endpoint struct {
	name     string
	allowed  []auth.Role
	unscoped bool
	orgOnly  bool // asks on a commune's Front unit: only for relations with such a target
	try      func(t *testing.T, f *fixture, token, target string) bool
}

// endpoints is every protected endpoint that exists. A module adds its
// rows here.
var endpoints = []endpoint{
	{name: "GET /api/v1/me", allowed: allRoles, unscoped: true,
		try: func(t *testing.T, f *fixture, token, _ string) bool {
			return status(t, f.get("/api/v1/me", token), http.StatusOK)
		}},
	{name: "GET /can-bo", allowed: allRoles, unscoped: true,
		try: func(t *testing.T, f *fixture, token, _ string) bool {
			return status(t, f.get("/can-bo", token), http.StatusOK)
		}},
	{name: "GET /api/v1/auth/tokens (sees the target's token)", allowed: []auth.Role{auth.Admin},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			_, tk := f.token("target@x.vn", auth.Viewer, target)
			r := f.get("/api/v1/auth/tokens", token)
			if !status(t, r, http.StatusOK) {
				return false
			}
			return strings.Contains(r.body, fmt.Sprintf(`"id":%d,`, tk.ID))
		}},
	{name: "DELETE /api/v1/auth/tokens/{id}", allowed: []auth.Role{auth.Admin},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			_, tk := f.token("target@x.vn", auth.Viewer, target)
			ok := status(t, f.do(http.MethodDelete, "/api/v1/auth/tokens/"+itoa(tk.ID), token, nil), http.StatusOK)
			got, err := f.auth.Store().Token(t.Context(), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if revoked := !got.RevokedAt.IsZero(); revoked != ok {
				t.Errorf("answer says revoked=%v, the store %v", ok, revoked)
			}
			return ok
		}},
	{name: "GET /api/v1/audit (sees the target's events)", allowed: []auth.Role{auth.Admin},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			marker := mark(t, f, target)
			r := f.get("/api/v1/audit?action=matrix", token)
			return status(t, r, http.StatusOK) && strings.Contains(r.body, marker)
		}},
	{name: "GET /api/v1/audit?format=csv (exports the target's events)", allowed: []auth.Role{auth.Admin},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			marker := mark(t, f, target)
			r := f.get("/api/v1/audit?format=csv&action=matrix", token)
			return status(t, r, http.StatusOK) && strings.Contains(r.body, marker)
		}},
	{name: "GET /can-bo/nhat-ky (shows the target's events)", allowed: []auth.Role{auth.Admin},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			marker := mark(t, f, target)
			r := f.get("/can-bo/nhat-ky?action=matrix", token)
			return status(t, r, http.StatusOK) && strings.Contains(r.body, marker)
		}},
	{name: "GET /api/v1/org/territories/{commune}/villages?include_retired=1", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get("/api/v1/org/territories/"+commune(target)+"/villages?include_retired=1", token), http.StatusOK)
		}},
	{name: "GET /quan-tri/dia-ban/{commune}", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get("/quan-tri/dia-ban/"+commune(target), token), http.StatusOK)
		}},
	{name: "POST /api/v1/org/territories/{commune}/villages", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			body := fmt.Sprintf(`{"name":"Thôn %s","kind":"Thôn"}`, randomName())
			return status(t, f.do(http.MethodPost, "/api/v1/org/territories/"+commune(target)+"/villages", token,
				strings.NewReader(body), "Content-Type", "application/json"), http.StatusCreated)
		}},
	{name: "PATCH /api/v1/org/villages/{id}", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			v := village(t, f, commune(target))
			body := fmt.Sprintf(`{"name":"Thôn %s"}`, randomName())
			return status(t, f.do(http.MethodPatch, "/api/v1/org/villages/"+v, token,
				strings.NewReader(body), "Content-Type", "application/json"), http.StatusOK)
		}},
	{name: "DELETE /api/v1/org/villages/{id}", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			v := village(t, f, commune(target))
			return status(t, f.do(http.MethodDelete, "/api/v1/org/villages/"+v, token, nil), http.StatusOK)
		}},
}

// TestAuthorizationMatrix runs every protected endpoint for every role
// and every relation between the user's unit and the target, against the
// site built by web.New with the real auth and org modules, with tokens
// from the store as `admin token create` makes them. Any allow that the
// table does not expect fails, and so does any deny it does not expect.
func TestAuthorizationMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		tokens := map[string]string{}
		tokenFor := func(role auth.Role, unit string) string {
			k := string(role) + " " + unit
			if tokens[k] == "" {
				tokens[k], _ = f.token(string(role)+"."+strings.NewReplacer("/", ".").Replace(unit)+"@matrix.vn", role, unit)
			}
			return tokens[k]
		}
		unexpectedAllows, cases := 0, 0
		for _, ep := range endpoints {
			t.Run(ep.name, func(t *testing.T) {
				if r := tryAnonymous(t, f, ep); r {
					unexpectedAllows++
					t.Errorf("anonymous request allowed")
				}
				for _, role := range allRoles {
					for _, rel := range relations {
						if ep.orgOnly && rel.anyTarget {
							continue
						}
						want := contains2(ep.allowed, role) && (ep.unscoped || rel.covered)
						cases++
						got := ep.try(t, f, tokenFor(role, rel.user), rel.target)
						if got != want {
							if got {
								unexpectedAllows++
							}
							t.Errorf("%s at %s, target %s (%s): allowed=%v, want %v", role, rel.user, rel.target, rel.name, got, want)
						}
					}
				}
			})
		}
		t.Logf("%d cases, %d unexpected allows", cases, unexpectedAllows)
		if unexpectedAllows > 0 {
			t.Errorf("%d unexpected allows", unexpectedAllows)
		}
		// Every denial of a signed-in user is in the audit log.
		if len(f.events(auth.EventDenied)) == 0 {
			t.Error("no denial was logged")
		}
	})
}

// tryAnonymous sends the endpoint's request without credentials.
func tryAnonymous(t *testing.T, f *fixture, ep endpoint) bool {
	t.Helper()
	return ep.try(t, f, "", saiGon+"/MTTQ")
}

// status reports whether r has status want; a refusal other than 401,
// 403, a redirect to the sign-on or the page saying sign-on is not
// configured is an error of its own.
func status(t *testing.T, r response, want int) bool {
	t.Helper()
	switch {
	case r.status == want:
		return true
	case r.status == http.StatusUnauthorized, r.status == http.StatusForbidden:
	case r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/auth/login"):
	case r.status == http.StatusServiceUnavailable && strings.Contains(r.body, "Chưa cấu hình đăng nhập"):
		// A page asking for sign-on where none is configured.
	default:
		t.Errorf("status %d, want %d or a refusal; body %.300s", r.status, want, r.body)
	}
	return false
}

func contains2(roles []auth.Role, r auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// commune is the territory of a commune's unit.
func commune(unit string) string { return strings.TrimSuffix(unit, "/MTTQ") }

var nameSeq int

// randomName is a fresh village name: villages of a commune must differ.
func randomName() string {
	nameSeq++
	return fmt.Sprintf("Thử %d", nameSeq)
}

// village creates a village of commune to act on.
func village(t *testing.T, f *fixture, commune string) string {
	t.Helper()
	v, err := f.org.CreateVillage(t.Context(), commune, "Xóm "+randomName(), "Xóm")
	if err != nil {
		t.Fatal(err)
	}
	return v.Code
}

// mark writes an audit event on unit and returns its unique target.
func mark(t *testing.T, f *fixture, unit string) string {
	t.Helper()
	m := "matrix-marker-" + randomName()
	if err := f.auth.Store().Record(t.Context(), auth.Event{Action: "matrix.mark", Outcome: auth.OutcomeOK, Unit: unit, Target: m}); err != nil {
		t.Fatal(err)
	}
	return m
}
