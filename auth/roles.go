package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Role is what a person does for a unit.
type Role string

// The roles, from the widest to the narrowest.
const (
	Admin    Role = "admin"    // manages accounts, roles and tokens; reads the audit log; may do everything
	Officer  Role = "officer"  // receives, routes and answers citizens' feedback
	Reporter Role = "reporter" // files the unit's weekly reports, congress data and village list
	Viewer   Role = "viewer"   // reads reports and dashboards
	Staff    Role = "staff"    // any front staff: uses the assistant
)

// Roles lists every role, the widest first.
var Roles = []Role{Admin, Officer, Reporter, Viewer, Staff}

// Action is something a handler asks permission for, always on a unit.
type Action string

// The actions. A module that needs a new one adds it here and to the table.
const (
	FeedbackRead    Action = "feedback.read"     // read citizens' feedback addressed to the unit
	FeedbackHandle  Action = "feedback.handle"   // route, answer, close feedback
	ReportFile      Action = "report.file"       // file the unit's weekly report
	ReportRead      Action = "report.read"       // read reports, roll-ups and unit profiles
	ReportApprove   Action = "report.approve"    // approve or return a report, grant a lock exception (from a higher territory only, see CanOver)
	CongressWrite   Action = "congress.write"    // record congresses, personnel results, news
	AssistantUse    Action = "assistant.use"     // ask the staff assistant
	OrgVillageRead  Action = "org.village.read"  // see a commune's villages, retired ones too
	OrgVillageWrite Action = "org.village.write" // create, rename, retire a commune's villages
	OrgProfileWrite Action = "org.profile.write" // edit the unit's profile (members, staff counts, activities…)
	OrgStaffRead    Action = "org.staff.read"    // read staff lists with their phones and e-mails (personal data)
	OrgStaffWrite   Action = "org.staff.write"   // edit and import the unit's staff list
	AuthAdmin       Action = "auth.admin"        // list and revoke tokens and grants
	AuditRead       Action = "audit.read"        // read and export the audit log
	LibraryWrite    Action = "library.write"     // add, replace and remove the library's documents (on RootUnit)
)

// permissions is THE table: which roles allow each action. Nothing else in
// the code decides what a role may do.
//
//	action              admin officer reporter viewer staff
//	feedback.read         x      x
//	feedback.handle       x      x
//	report.file           x               x
//	report.read           x      x        x        x
//	report.approve        x               x
//	congress.write        x               x
//	assistant.use         x      x        x        x      x
//	org.village.read      x      x        x        x
//	org.village.write     x               x
//	org.profile.write     x               x
//	org.staff.read        x               x
//	org.staff.write       x               x
//	auth.admin            x
//	audit.read            x
//	library.write         x
var permissions = map[Action][]Role{
	FeedbackRead:    {Admin, Officer},
	FeedbackHandle:  {Admin, Officer},
	ReportFile:      {Admin, Reporter},
	ReportRead:      {Admin, Officer, Reporter, Viewer},
	ReportApprove:   {Admin, Reporter},
	CongressWrite:   {Admin, Reporter},
	AssistantUse:    {Admin, Officer, Reporter, Viewer, Staff},
	OrgVillageRead:  {Admin, Officer, Reporter, Viewer},
	OrgVillageWrite: {Admin, Reporter},
	OrgProfileWrite: {Admin, Reporter},
	OrgStaffRead:    {Admin, Reporter},
	OrgStaffWrite:   {Admin, Reporter},
	AuthAdmin:       {Admin},
	AuditRead:       {Admin},
	LibraryWrite:    {Admin},
}

// Actions lists every action of the table, in a stable order.
func Actions() []Action {
	out := make([]Action, 0, len(permissions))
	for a := range permissions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Allows reports whether role allows action anywhere it is held. An
// unknown action is allowed by no role.
func (r Role) Allows(a Action) bool { return slices.Contains(permissions[a], r) }

// Covers reports whether r allows every action that o allows: an admin
// covers every role, an officer or a reporter covers a viewer and staff.
// A token's role must be covered by a role its holder holds.
func (r Role) Covers(o Role) bool {
	for _, roles := range permissions {
		if slices.Contains(roles, o) && !slices.Contains(roles, r) {
			return false
		}
	}
	return o.Valid() && r.Valid()
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Label is the role's Vietnamese name.
func (r Role) Label() string {
	switch r {
	case Admin:
		return "Quản trị"
	case Officer:
		return "Cán bộ xử lý phản ánh"
	case Reporter:
		return "Cán bộ báo cáo"
	case Viewer:
		return "Theo dõi"
	case Staff:
		return "Cán bộ"
	}
	return string(r)
}

// ParseRole reads a role name, in any letter case.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		names := make([]string, len(Roles))
		for i, x := range Roles {
			names[i] = string(x)
		}
		return "", fmt.Errorf("auth: unknown role %q: want one of %s", s, strings.Join(names, ", "))
	}
	return r, nil
}

// Can is the one permission check: may id do action on unit? It holds
// when one of id's grants has a role that allows the action, at unit or at
// a unit that contains it. A nil identity may do nothing. The containment
// question goes to the Units the identity was resolved with; an identity
// made by hand has none and its grants cover their own unit only.
func Can(ctx context.Context, id *Identity, action Action, unit string) (bool, error) {
	if id == nil || unit == "" {
		return false, nil
	}
	for _, g := range id.Grants {
		if !g.Role.Allows(action) {
			continue
		}
		if g.Unit == unit {
			return true, nil
		}
		if id.units == nil {
			continue
		}
		ok, err := id.units.Contains(ctx, g.Unit, unit)
		if err != nil {
			return false, fmt.Errorf("auth: does %s contain %s: %w", g.Unit, unit, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// CanOver is Can for the actions an upper level takes on the levels below
// it (approving or returning a report, granting a lock exception): only
// grants held at a unit of a higher territory count, so that nobody
// approves their own territory's work — not even through the Front's
// committee of the same commune overseeing its member organisations. A
// unit id is TERRITORY/ORG; the territory is what comes before the "/".
func CanOver(ctx context.Context, id *Identity, action Action, unit string) (bool, error) {
	if id == nil || unit == "" {
		return false, nil
	}
	above := *id
	above.Grants = nil
	for _, g := range id.Grants {
		if territoryOf(g.Unit) != territoryOf(unit) {
			above.Grants = append(above.Grants, g)
		}
	}
	return Can(ctx, &above, action, unit)
}

func territoryOf(unit string) string {
	t, _, _ := strings.Cut(unit, "/")
	return t
}

// Scopes returns the units at which id holds a role allowing action: the
// action is allowed on each of them and on everything they contain. A
// module lists records with it ("feedback of these units and below").
func Scopes(id *Identity, action Action) []string {
	if id == nil {
		return nil
	}
	var out []string
	for _, g := range id.Grants {
		if g.Role.Allows(action) && !slices.Contains(out, g.Unit) {
			out = append(out, g.Unit)
		}
	}
	return out
}
