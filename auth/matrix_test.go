package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/feedback"
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

// The rows of the officers' feedback routes: each acts on a citizen's item
// received by the target unit. An item the user may not see is answered
// 404, as one that does not exist.
var feedbackEndpoints = []endpoint{
	{name: "GET /api/v1/feedback/items (lists the target's item)", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			it := feedbackItem(t, f, target)
			r := f.get("/api/v1/feedback/items?limit=200", token)
			if r.status == http.StatusOK {
				return strings.Contains(r.body, `"tracking_code":"`+feedback.FormatCode(it.Code)+`"`)
			}
			return status(t, r, http.StatusOK)
		}},
	{name: "GET /api/v1/feedback/items/{id}", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return seen(t, f.get(feedbackPath(feedbackItem(t, f, target)), token), http.StatusOK)
		}},
	{name: "GET /quan-tri/phan-anh/{id}", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			it := feedbackItem(t, f, target)
			return seen(t, f.get("/quan-tri/phan-anh/"+itoa(it.ID), token), http.StatusOK)
		}},
	{name: "POST /api/v1/feedback/items/{id}/transition", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			it := feedbackItem(t, f, target)
			ok := seen(t, f.post(feedbackPath(it)+"/transition", token, `{"to":"accepted"}`), http.StatusOK)
			if got := feedbackState(t, f, it); (got == feedback.Accepted) != ok {
				t.Errorf("answer says accepted=%v, the store %s", ok, got)
			}
			return ok
		}},
	{name: "POST /api/v1/feedback/items/{id}/notes", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return seen(t, f.post(feedbackPath(feedbackItem(t, f, target))+"/notes", token, `{"text":"Đã xem."}`), http.StatusCreated)
		}},
	{name: "POST /api/v1/feedback/items/{id}/topic", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return seen(t, f.post(feedbackPath(feedbackItem(t, f, target))+"/topic", token, `{"topic":"giao_thong"}`), http.StatusOK)
		}},
	{name: "POST /api/v1/feedback/items/{id}/route (to a unit the target contains)", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			body := fmt.Sprintf(`{"unit":%q,"reason":"Thử"}`, below(target))
			return seen(t, f.post(feedbackPath(feedbackItem(t, f, target))+"/route", token, body), http.StatusOK)
		}},
	{name: "POST /api/v1/feedback/items/{id}/duplicate", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			a, b := feedbackItem(t, f, target), feedbackItem(t, f, target)
			return seen(t, f.post(feedbackPath(a)+"/duplicate", token, fmt.Sprintf(`{"of":%d}`, b.ID)), http.StatusOK)
		}},
	{name: "POST /quan-tri/phan-anh/{id}/ghi-chu", allowed: []auth.Role{auth.Admin, auth.Officer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			it := feedbackItem(t, f, target)
			r := f.do(http.MethodPost, "/quan-tri/phan-anh/"+itoa(it.ID)+"/ghi-chu", token, strings.NewReader("text=%C4%90%C3%A3+xem."),
				"Content-Type", "application/x-www-form-urlencoded")
			if r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/quan-tri/phan-anh/") {
				return true
			}
			return seen(t, r, http.StatusSeeOther)
		}},
}

func init() { endpoints = append(endpoints, feedbackEndpoints...) }

// seen is status for the feedback routes, whose refusal of an item the
// user may not see is 404.
func seen(t *testing.T, r response, want int) bool {
	t.Helper()
	if r.status == http.StatusNotFound && r.status != want {
		return false
	}
	return status(t, r, want)
}

func (f *fixture) post(path, token, body string) response {
	f.t.Helper()
	return f.do(http.MethodPost, path, token, strings.NewReader(body), "Content-Type", "application/json")
}

func feedbackPath(it feedback.Item) string { return "/api/v1/feedback/items/" + itoa(it.ID) }

// feedbackItem stores a citizen's item in the target unit's commune (a
// province's: Phường Sài Gòn or Phường Ba Đình) and gives it to the
// target unit.
func feedbackItem(t *testing.T, f *fixture, unit string) feedback.Item {
	t.Helper()
	ctx := t.Context()
	territory, _, _ := strings.Cut(unit, "/")
	commune := map[string]string{hcmc: saiGon, hanoi: baDinh}[territory]
	if commune == "" {
		commune = territory[:5]
	}
	c, err := f.feedback.Submit(ctx, feedback.Submission{Content: "Đèn đường trước ngõ bị hỏng " + randomName(), CommuneCode: commune})
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.feedback.Store().Update(ctx, c.ItemID, feedback.Change{Actor: "test", Action: "reroute"},
		func(_ context.Context, _ feedback.Querier, it *feedback.Item) error {
			it.Unit = unit
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func feedbackState(t *testing.T, f *fixture, it feedback.Item) feedback.State {
	t.Helper()
	got, err := f.feedback.Store().Item(t.Context(), it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.State
}

// below is a unit the target contains: the Front's member organisation
// at the same territory, or an organisation's unit at the village below.
func below(target string) string {
	territory, o, _ := strings.Cut(target, "/")
	if o == "MTTQ" {
		return territory + "/HND"
	}
	return saiGonTDP + "/" + o
}

// TestAuthorizationMatrix runs every protected endpoint for every role
// and every relation between the user's unit and the target, against the
// site built by web.New with the real auth and org modules, with tokens
// from the store as `admin token create` makes them. Any allow that the
// table does not expect fails, and so does any deny it does not expect.
func TestAuthorizationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps every endpoint, role and relation on both databases: left to the pass without the race detector (scripts/test.sh)")
	}
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
