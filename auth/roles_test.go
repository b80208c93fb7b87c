package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestCovers: which role a token may carry for a holder of another.
func TestCovers(t *testing.T) {
	//                  admin officer reporter viewer staff  (the role covered)
	want := map[Role][5]bool{
		Admin:    {true, true, true, true, true},
		Officer:  {false, true, false, true, true},
		Reporter: {false, false, true, true, true},
		Viewer:   {false, false, false, true, true},
		Staff:    {false, false, false, false, true},
	}
	for r, row := range want {
		for i, o := range Roles {
			if got := r.Covers(o); got != row[i] {
				t.Errorf("%s covers %s = %v, want %v", r, o, got, row[i])
			}
		}
	}
	if Admin.Covers("god") || Role("god").Covers(Staff) {
		t.Error("an unknown role covers or is covered")
	}
}

// TestPermissionTable pins the role × action table: a change to it is a
// change of who may do what, and must show up here.
func TestPermissionTable(t *testing.T) {
	//                         admin officer reporter viewer staff
	want := map[Action][5]bool{
		FeedbackRead:    {true, true, false, false, false},
		FeedbackHandle:  {true, true, false, false, false},
		ReportFile:      {true, false, true, false, false},
		ReportRead:      {true, true, true, true, false},
		ReportApprove:   {true, false, true, false, false},
		CongressWrite:   {true, false, true, false, false},
		AssistantUse:    {true, true, true, true, true},
		OrgVillageRead:  {true, true, true, true, false},
		OrgVillageWrite: {true, false, true, false, false},
		OrgProfileWrite: {true, false, true, false, false},
		OrgStaffRead:    {true, false, true, false, false},
		OrgStaffWrite:   {true, false, true, false, false},
		AuthAdmin:       {true, false, false, false, false},
		AuditRead:       {true, false, false, false, false},
		LibraryWrite:    {true, false, false, false, false},
	}
	if len(Actions()) != len(want) {
		t.Errorf("the table has actions %v; the test knows %d", Actions(), len(want))
	}
	for a, row := range want {
		for i, r := range Roles {
			if got := r.Allows(a); got != row[i] {
				t.Errorf("%s allows %s = %v, want %v", r, a, got, row[i])
			}
		}
	}
	if Admin.Allows("no.such.action") {
		t.Error("an unknown action is allowed")
	}
	for _, r := range Roles {
		if r.Label() == string(r) {
			t.Errorf("role %s has no Vietnamese label", r)
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": Admin, " Officer ": Officer, "VIEWER": Viewer} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "root", "admins"} {
		if _, err := ParseRole(in); err == nil || !strings.Contains(err.Error(), "admin, officer, reporter, viewer, staff") {
			t.Errorf("ParseRole(%q): %v", in, err)
		}
	}
}

// prefixUnits is a stand-in tree for the unit tests of Can: a unit
// contains another when it is a prefix of it ("79/MTTQ" ⊃ "79/MTTQ/x").
// The tests through HTTP use the real org.Store.
type prefixUnits struct{ calls int }

func (p *prefixUnits) Contains(_ context.Context, a, b string) (bool, error) {
	p.calls++
	if b == "broken" {
		return false, errors.New("tree unavailable")
	}
	return b == a || strings.HasPrefix(b, a+"/"), nil
}

func TestCan(t *testing.T) {
	ctx := context.Background()
	units := &prefixUnits{}
	id := &Identity{Grants: []Grant{{Officer, "79/MTTQ"}, {Reporter, "01/HND"}}, units: units}
	for _, c := range []struct {
		action Action
		unit   string
		want   bool
	}{
		{FeedbackRead, "79/MTTQ", true},
		{FeedbackRead, "79/MTTQ/26734", true},
		{FeedbackRead, "01/HND", false},    // reporters do not read feedback
		{ReportFile, "01/HND/00004", true}, // below the reporter's unit
		{ReportFile, "79/MTTQ", false},     // the officer may not file
		{FeedbackRead, "7", false},
		{FeedbackRead, "", false},
		{AuthAdmin, "79/MTTQ", false},
	} {
		got, err := Can(ctx, id, c.action, c.unit)
		if err != nil || got != c.want {
			t.Errorf("Can(%s, %q) = %v, %v; want %v", c.action, c.unit, got, err, c.want)
		}
	}
	if ok, _ := Can(ctx, nil, AssistantUse, "79/MTTQ"); ok {
		t.Error("a nil identity may do something")
	}
	if _, err := Can(ctx, id, FeedbackRead, "broken"); err == nil {
		t.Error("a failing tree is not reported")
	}
	// Without a tree, a grant covers its own unit only.
	bare := &Identity{Grants: []Grant{{Admin, "79/MTTQ"}}}
	if ok, _ := Can(ctx, bare, AuthAdmin, "79/MTTQ/26734"); ok {
		t.Error("an identity without a tree reaches below its unit")
	}
	if ok, _ := Can(ctx, bare, AuthAdmin, "79/MTTQ"); !ok {
		t.Error("an identity without a tree does not reach its own unit")
	}
	if got := Scopes(id, ReportRead); len(got) != 2 || got[0] != "79/MTTQ" || got[1] != "01/HND" {
		t.Errorf("Scopes(report.read) = %v", got)
	}
	if got := Scopes(id, AuditRead); len(got) != 0 {
		t.Errorf("Scopes(audit.read) = %v", got)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                              DefaultNext,
		"/":                             "/",
		"/can-bo/nhat-ky?before=10":     "/can-bo/nhat-ky?before=10",
		"https://evil.example/":         DefaultNext,
		"//evil.example":                DefaultNext,
		"/\\evil.example":               DefaultNext,
		"/ok\\..\\x":                    DefaultNext,
		"/a\r\nSet-Cookie: x":           DefaultNext,
		"can-bo":                        DefaultNext,
		"/auth/login":                   DefaultNext,
		"/" + strings.Repeat("a", 2000): DefaultNext,
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWellFormedToken(t *testing.T) {
	good := TokenPrefix + randomSecret(32)
	if !wellFormedToken(good) {
		t.Errorf("%q refused", good)
	}
	for _, bad := range []string{"", TokenPrefix, good + "x", good[:len(good)-1] + "!", "xyz_" + good[4:], strings.ToUpper(good)} {
		if wellFormedToken(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCSRFToken(t *testing.T) {
	a, b := randomSecret(32), randomSecret(32)
	if csrfToken(a) != csrfToken(a) || csrfToken(a) == csrfToken(b) || strings.Contains(csrfToken(a), a) || len(csrfToken(a)) != 43 {
		t.Errorf("csrf tokens %q %q", csrfToken(a), csrfToken(b))
	}
}

func TestClip(t *testing.T) {
	s := "Mặt trận"
	for n := 0; n <= len(s); n++ {
		got := clip(s, n)
		if len(got) > n || !strings.HasPrefix(s, got) || !utf8Valid(got) {
			t.Errorf("clip(%q, %d) = %q", s, n, got)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(rate.Every(time.Second), 2)
	l.now = func() time.Time { return now }
	a := httptest.NewRequest("GET", "/", nil)
	a.RemoteAddr = "10.0.0.1:5000"
	b := httptest.NewRequest("GET", "/", nil)
	b.RemoteAddr = "10.0.0.2:5000"
	for i := range 2 {
		if ok, _ := l.Allow(a); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if ok, wait := l.Allow(a); ok || wait <= 0 || wait > time.Second {
		t.Errorf("third request: %v, wait %s", ok, wait)
	}
	if ok, _ := l.Allow(b); !ok {
		t.Error("another address is limited too")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow(a); !ok {
		t.Error("no request allowed a second later")
	}
	// Addresses unseen for long are forgotten.
	now = now.Add(time.Hour)
	l.Allow(b)
	if n := len(l.clients); n != 1 {
		t.Errorf("%d addresses remembered, want 1", n)
	}
}

// treeUnits is a two-level tree: province 79 holds commune 26734.
type treeUnits struct{}

func (treeUnits) Contains(_ context.Context, a, b string) (bool, error) {
	parent := map[string]string{"26734": "79", "79": "VN"}
	at, ao, _ := strings.Cut(a, "/")
	bt, bo, _ := strings.Cut(b, "/")
	if ao != bo && ao != "MTTQ" {
		return false, nil
	}
	for t := bt; t != ""; t = parent[t] {
		if t == at {
			return true, nil
		}
	}
	return false, nil
}

func TestCanOver(t *testing.T) {
	ctx := context.Background()
	commune := &Identity{Grants: []Grant{{Reporter, "26734/MTTQ"}}, units: treeUnits{}}
	province := &Identity{Grants: []Grant{{Reporter, "79/MTTQ"}, {Reporter, "26734/MTTQ"}}, units: treeUnits{}}
	viewer := &Identity{Grants: []Grant{{Viewer, "79/MTTQ"}}, units: treeUnits{}}
	for _, c := range []struct {
		name string
		id   *Identity
		unit string
		want bool
	}{
		{"own unit", commune, "26734/MTTQ", false},
		{"a member organisation of the same commune", commune, "26734/HND", false},
		{"the province over its commune", province, "26734/MTTQ", true},
		{"the province over a member organisation below", province, "26734/CD", true},
		{"the province over itself", province, "79/MTTQ", false},
		{"upwards", commune, "79/MTTQ", false},
		{"a role without the action", viewer, "26734/MTTQ", false},
		{"nobody", nil, "26734/MTTQ", false},
	} {
		if got, err := CanOver(ctx, c.id, ReportApprove, c.unit); err != nil || got != c.want {
			t.Errorf("%s: CanOver(%s) = %v, %v; want %v", c.name, c.unit, got, err, c.want)
		}
	}
	if ok, _ := Can(ctx, commune, ReportApprove, "26734/MTTQ"); !ok {
		t.Error("Can itself should allow the commune's own unit; CanOver is the stricter check")
	}
}
