// Package org owns the unit tree of Mặt trận số: the territories (central
// VN, the 34 provinces and 3,321 communes of the official list, and the
// villages each commune creates) and the units, a territory times one of
// the six organisations, that every other module acts for.
//
// # Codes and unit ids
//
// A territory code says its level by its form alone, so a code can be
// checked without the database:
//
//	VN          central (Trung ương)
//	79          a province: two digits, the official code
//	26734       a commune (xã, phường, đặc khu): five digits, the official code
//	26734-001   a village (thôn, bản, tổ dân phố, ấp, khóm…): its commune's code,
//	            "-", and a number of at least three digits that the commune's
//	            counter gives in order of creation and never gives again, even
//	            after the village is retired; so a village id is stable for ever.
//
// A unit id is TERRITORY/ORG, for example 79/MTTQ or 26734-001/HND
// ([ParseUnit]). Units are not stored: every territory has the six units,
// computed. Storing 560,000 unit rows would add nothing that the
// territory row does not already say.
//
// # Containment
//
// Unit A contains unit B when
//
//  1. A's territory is B's territory or one of its ancestors, and
//  2. A and B are of the same organisation, or A is MTTQ.
//
// The second clause is the Front's place in the political system: the
// socio-political organisations (Công đoàn, Hội Nông dân, Đoàn Thanh niên,
// Hội Liên hiệp Phụ nữ, Hội Cựu chiến binh) are members of the Fatherland
// Front and, since the 2025 reorganisation, work under the Front's
// committee at each level; the Front's committee at a level coordinates and
// oversees them and reports for all of them (the seeds' weekly reports roll
// up through it). So 79/MTTQ contains 26734/HND, while 79/HND contains
// neither 26734/MTTQ nor 26734/CD, and no unit contains a unit of a
// sibling or a higher territory. Containment is the structural relation
// only: which actions a role held at A allows on B is auth's decision.
// Retired villages stay in the tree, so their past records stay within
// their commune's units.
//
// [Store.Contains] answers with one primary-key lookup: every territory row
// stores its materialised path ("VN/79/26734/26734-001/"), and A's
// territory is an ancestor of B's when A's code is a segment of B's path.
// Descendant queries are range scans on the indexed path.
//
// # Authorization
//
// The handlers call an [Authorizer] that auth provides. These are the
// actions they ask for, each on the unit COMMUNE/MTTQ of the commune
// concerned (a village's commune for a village):
//
//	action             unit           asked by
//	org.village.read   COMMUNE/MTTQ   GET /quan-tri/dia-ban/{commune} (the admin page);
//	                                  GET …/territories/{commune}/villages?include_retired=1
//	org.village.write  COMMUNE/MTTQ   POST /api/v1/org/territories/{commune}/villages,
//	                                  PATCH and DELETE /api/v1/org/villages/{id},
//	                                  and the admin page's forms
//
// Every change — a village created, renamed, retired — is written to the
// audit log through the [Auditor] that auth provides (auth.AuditLog), as
// org.village.create, org.village.rename or org.village.retire on the
// commune's Front unit, with the actor and the request id.
//
// Everything else the package serves — territory names and the active
// villages of a commune — is public: citizens choose their place from it
// when they send feedback. Importing the official list is done by the
// command line only (mattranso admin import-units). The handlers look a
// territory up before asking the Authorizer, so that it is only asked
// about units that exist (an unknown one is 404, which territories exist
// being public).
//
// # Routes
//
//	GET    /api/v1/org/territories/{code}           the territory, its units, ancestors, active children, counts
//	GET    /api/v1/org/territories/{code}/villages  a commune's villages (include_retired=1 for staff)
//	POST   /api/v1/org/territories/{code}/villages  {"name","kind"} → 201, Location: /api/v1/org/villages/{id}
//	GET    /api/v1/org/villages/{id}                one village, retired or not
//	PATCH  /api/v1/org/villages/{id}                {"name","kind"}; an empty kind keeps the village's
//	DELETE /api/v1/org/villages/{id}                retires it (kept for history); 200 with retired_at
//	GET    /quan-tri/dia-ban[/{code}]               admin pages: the country with a search box, a province,
//	                                                a commune with its villages and forms
//	POST   /quan-tri/dia-ban/{code}/thon            add a village (form)
//	POST   /quan-tri/thon/{id}/doi-ten              rename (form)
//	POST   /quan-tri/thon/{id}/ngung                retire (form)
//
// API errors are {"error":{"code","message","field"}}: 400 invalid_code,
// not_a_commune, invalid_name, invalid_kind, invalid_json,
// invalid_parameter; 401 unauthenticated; 403 forbidden; 404 not_found;
// 409 duplicate_name, retired; 413 body_too_large; 415
// unsupported_media_type.
package org

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned (wrapped) by the Store; handlers map them to statuses.
var (
	// ErrNotFound: no territory or village with that code.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a code, name or kind that cannot be used.
	ErrInvalid = errors.New("invalid")
	// ErrDuplicate: an active village of the commune already has that name
	// (compared ignoring case and tone-mark style, see NameKey).
	ErrDuplicate = errors.New("duplicate name")
	// ErrRetired: the village is retired and can no longer be changed.
	ErrRetired = errors.New("retired")
)

// Org is one of the six organisations.
type Org string

// The organisations: the Front and its five socio-political member
// organisations.
const (
	MTTQ Org = "MTTQ" // Mặt trận Tổ quốc Việt Nam
	CD   Org = "CD"   // Công đoàn Việt Nam
	HND  Org = "HND"  // Hội Nông dân Việt Nam
	DTN  Org = "DTN"  // Đoàn Thanh niên Cộng sản Hồ Chí Minh
	HPN  Org = "HPN"  // Hội Liên hiệp Phụ nữ Việt Nam
	CCB  Org = "CCB"  // Hội Cựu chiến binh Việt Nam
)

// Orgs lists the organisations, the Front first.
var Orgs = []Org{MTTQ, CD, HND, DTN, HPN, CCB}

var orgNames = map[Org]struct{ name, short string }{
	MTTQ: {"Mặt trận Tổ quốc Việt Nam", "Mặt trận Tổ quốc"},
	CD:   {"Công đoàn Việt Nam", "Công đoàn"},
	HND:  {"Hội Nông dân Việt Nam", "Hội Nông dân"},
	DTN:  {"Đoàn Thanh niên Cộng sản Hồ Chí Minh", "Đoàn Thanh niên"},
	HPN:  {"Hội Liên hiệp Phụ nữ Việt Nam", "Hội Liên hiệp Phụ nữ"},
	CCB:  {"Hội Cựu chiến binh Việt Nam", "Hội Cựu chiến binh"},
}

// Valid reports whether o is one of Orgs.
func (o Org) Valid() bool { _, ok := orgNames[o]; return ok }

// Name is the organisation's full Vietnamese name.
func (o Org) Name() string { return orgNames[o].name }

// ShortName is the name used before a territory: "Hội Nông dân" in
// "Hội Nông dân Xã Ba Chẽ".
func (o Org) ShortName() string { return orgNames[o].short }

// Oversees reports whether a unit of organisation o at some territory
// covers units of organisation other at that territory and below: the
// same organisation, or o is the Front. It is the second clause of the
// containment rule, for callers that filter by path in their own SQL.
func (o Org) Oversees(other Org) bool { return o == other || o == MTTQ }

// ParseOrg reads an organisation code, in any letter case.
func ParseOrg(s string) (Org, error) {
	o := Org(strings.ToUpper(strings.TrimSpace(s)))
	if !o.Valid() {
		return "", fmt.Errorf("org: %w organisation %q: want one of %s", ErrInvalid, s, orgList())
	}
	return o, nil
}

func orgList() string {
	names := make([]string, len(Orgs))
	for i, o := range Orgs {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// Level is the depth of a territory in the tree.
type Level string

// The four levels.
const (
	Central  Level = "central"
	Province Level = "province"
	Commune  Level = "commune"
	Village  Level = "village"
)

// Depth is 0 for central, 3 for a village.
func (l Level) Depth() int {
	switch l {
	case Province:
		return 1
	case Commune:
		return 2
	case Village:
		return 3
	}
	return 0
}

// Label is the level's Vietnamese name.
func (l Level) Label() string {
	switch l {
	case Central:
		return "Trung ương"
	case Province:
		return "Tỉnh, thành phố"
	case Commune:
		return "Xã, phường, đặc khu"
	case Village:
		return "Thôn, tổ dân phố"
	}
	return ""
}

// CentralCode is the code of the central level, the root of the tree.
const CentralCode = "VN"

// LevelOf returns the level that a territory code's form says, or an
// error saying what is wrong with it. It does not look the code up.
func LevelOf(code string) (Level, error) {
	l, err := levelOf(code)
	if err != nil {
		return "", fmt.Errorf("org: %w", err)
	}
	return l, nil
}

func levelOf(code string) (Level, error) {
	switch {
	case code == CentralCode:
		return Central, nil
	case code == "":
		return "", fmt.Errorf("%w territory code: empty", ErrInvalid)
	case isDigits(code) && len(code) == 2:
		return Province, nil
	case isDigits(code) && len(code) == 5:
		return Commune, nil
	}
	if c, n, ok := strings.Cut(code, "-"); ok && isDigits(c) && len(c) == 5 && isDigits(n) && len(n) >= 3 && len(n) <= 6 {
		return Village, nil
	}
	return "", fmt.Errorf("%w territory code %q: want VN, a 2-digit province code (79), "+
		"a 5-digit commune code (26734) or a village code (26734-001)", ErrInvalid, code)
}

// VillageCommune returns the commune of a village code: "26734" for
// "26734-001".
func VillageCommune(code string) (string, bool) {
	if l, err := levelOf(code); err != nil || l != Village {
		return "", false
	}
	return code[:5], true
}

// villageCode makes the code of a commune's n-th village.
func villageCode(commune string, n int) string { return fmt.Sprintf("%s-%03d", commune, n) }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Unit is an organisation at a territory. Its zero value is no unit.
type Unit struct {
	Territory string // a territory code: VN, 79, 26734, 26734-001
	Org       Org
}

// UnitOf is the unit of o at territory code.
func UnitOf(code string, o Org) Unit { return Unit{Territory: code, Org: o} }

// String is the unit id, TERRITORY/ORG.
func (u Unit) String() string {
	if u == (Unit{}) {
		return ""
	}
	return u.Territory + "/" + string(u.Org)
}

// Level is the level of the unit's territory ("" for a malformed one).
func (u Unit) Level() Level { l, _ := levelOf(u.Territory); return l }

// MarshalText writes the unit id, so that a Unit is a string in JSON.
func (u Unit) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses a unit id with ParseUnit.
func (u *Unit) UnmarshalText(b []byte) error {
	v, err := ParseUnit(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// ParseUnit reads a unit id, TERRITORY/ORG ("79/MTTQ", "26734-001/HND"),
// checking its form only: whether the territory exists is for the Store
// to say. The organisation may be in any letter case, as may "vn"; the
// Unit returned is canonical. The error names the part that is wrong.
func ParseUnit(s string) (Unit, error) {
	id := strings.TrimSpace(s)
	terr, o, ok := strings.Cut(id, "/")
	switch {
	case id == "":
		return Unit{}, fmt.Errorf("org: %w unit id: empty (want TERRITORY/ORG, e.g. 79/MTTQ)", ErrInvalid)
	case !ok:
		return Unit{}, fmt.Errorf("org: %w unit id %q: no organisation (want TERRITORY/ORG, e.g. %s/MTTQ)", ErrInvalid, s, id)
	case strings.Contains(o, "/"):
		return Unit{}, fmt.Errorf("org: %w unit id %q: more than one \"/\" (want TERRITORY/ORG, e.g. 79/MTTQ)", ErrInvalid, s)
	}
	if strings.EqualFold(terr, CentralCode) {
		terr = CentralCode
	}
	if _, err := levelOf(terr); err != nil {
		return Unit{}, fmt.Errorf("org: %w unit id %q: territory %q is not a code: want VN, a 2-digit province code (79), "+
			"a 5-digit commune code (26734) or a village code (26734-001)", ErrInvalid, s, terr)
	}
	if o == "" {
		return Unit{}, fmt.Errorf("org: %w unit id %q: organisation is empty: want one of %s", ErrInvalid, s, orgList())
	}
	org := Org(strings.ToUpper(o))
	if !org.Valid() {
		return Unit{}, fmt.Errorf("org: %w unit id %q: unknown organisation %q: want one of %s", ErrInvalid, s, o, orgList())
	}
	return Unit{Territory: terr, Org: org}, nil
}

// Units are the six units of a territory, the Front first.
func Units(code string) []Unit {
	out := make([]Unit, len(Orgs))
	for i, o := range Orgs {
		out[i] = Unit{Territory: code, Org: o}
	}
	return out
}
