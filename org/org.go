// Package org owns the unit tree of Mặt trận số: the territories (central
// VN, the 34 provinces and 3,321 communes of the official list, and the
// villages each commune creates) and the units, a territory times one of
// the six organisations, that every other module acts for — with each
// unit's own data: its profile and its staff list.
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
// # Units' own data: profiles and staff lists
//
// Every unit — villages included — has a profile ([Profile]): the
// seeds' figures (members, full-time staff, members of the Front's
// committee, members of the organisation's executive committee: whole
// numbers from 0) and texts (typical activities, difficulties,
// recommendations: at most [MaxProfileText] characters each). A unit
// never edited has an empty profile at version 0. Every save that changes
// something writes one history row per field changed — version, field,
// old → new, who, when — to org_profile_history, which is never pruned
// ([Store.ProfileHistory]). A save names the version it was made on; a
// stale one is refused (409 conflict), so two editors cannot overwrite
// each other unseen.
//
// A unit's staff list ([StaffList], danh sách cán bộ) is the people who
// serve it: name, position, full-time or not, member of the Front's
// committee, member of the executive committee, phone, e-mail, note.
// Phones and e-mails are personal data: the list is answered only to
// org.staff.read on the unit, never cached, never public, and neither the
// audit log nor the server's log holds anyone's details (a change is
// logged by its numbers: "v3: 5 → 6 người (thêm 1, bỏ 0, sửa 0)"). A list
// is saved whole. The profile's three staff counts can be taken from it
// (PUT …/profile?from_staff=1, or the page's button). [Store.Contacts]
// names the person to call about each of a set of units: the chair or
// head (Chủ tịch, Bí thư, Trưởng…) with a phone, else the first full-time
// member with one, else the head without one.
//
// A retired village's profile and list are kept and read, never changed
// (409 retired).
//
// # Imports
//
// A unit's staff list (replacing it) and a commune's villages (added to
// it, by CreateVillage's rules) can be imported from a CSV (UTF-8; comma,
// semicolon or tab) or XLSX file, sent as the body (text/csv or the XLSX
// content type) or as the field "file" of a multipart form, at most
// [MaxImportBytes]. The first row names the columns, in Vietnamese or
// English, any case, with or without diacritics: Họ và tên (required),
// Chức vụ, Chuyên trách, Ủy viên Ủy ban MTTQ, Ủy viên Ban Chấp hành
// (yes/no columns: x, có, 1 or empty), Điện thoại, Email, Ghi chú; for
// villages Tên and Loại (both required). An import is all or nothing: an
// unknown, repeated or missing column, a bad row, a duplicate village
// name (against the active villages or an earlier row), or a cell
// holding a formula or starting with = + - @ (internal/sheet) is a 400
// whose body lists every problem by row (as the spreadsheet numbers it),
// column and message, and nothing is written. A staff list is exported
// (to org.staff.read only) in the same columns, text starting with = + -
// @ behind an apostrophe, and imports again unchanged.
//
// # Rollout figures
//
// [Store.Rollout] gives the seeds' rollout figures under the country (a
// row per province) or a province (a row per commune): communes; communes
// that have created their village list (at least one active village) and
// their percentage; active villages; communes whose staff list is updated
// — the rule: the commune's Front unit (COMMUNE/MTTQ) has a staff list
// with at least one person — and their percentage; the people on those
// lists. Percentages are of the communes, to two decimals. It reads the
// communes' village counters and the lists' sizes, one row per commune.
//
// # Authorization
//
// The handlers call an [Authorizer] that auth provides. These are the
// actions they ask for:
//
//	action             unit           asked by
//	org.village.read   COMMUNE/MTTQ   GET /quan-tri/dia-ban/{commune} (the admin page);
//	                                  GET …/territories/{commune}/villages?include_retired=1,
//	                                  GET /api/v1/org/units?parent={commune}&include_retired=1
//	org.village.write  COMMUNE/MTTQ   POST /api/v1/org/territories/{commune}/villages,
//	                                  POST …/villages/import, PATCH and DELETE
//	                                  /api/v1/org/villages/{id}, and the admin pages' forms
//	report.read        the unit       GET …/units/{territory}/{org}/profile, the unit's page
//	                   PARENT/MTTQ    GET /api/v1/org/rollout, /quan-tri/trien-khai
//	org.profile.write  the unit       PUT …/profile, the page's profile form
//	org.staff.read     the unit       GET …/staff; the list on the unit's page
//	org.staff.write    the unit       PUT …/staff, POST …/staff/import, the page's staff forms
//
// A role held at a unit covers the units it contains, so upper levels read
// (and, with the roles that allow it, edit) their subtree; siblings and
// other organisations do not. When the Authorizer also has Actor(r) (auth
// provides it), histories name who changed what; with Scopes(r, action),
// /don-vi and /quan-tri/trien-khai open on the sender's own unit and
// province.
//
// Every change is written to the audit log through the [Auditor] that auth
// provides (auth.AuditLog), with the actor and the request id:
// org.village.create, org.village.rename, org.village.retire and
// org.village.import on the commune's Front unit; org.profile.update
// (the fields changed), org.staff.update and org.staff.import (the
// numbers, never the people) on the unit.
//
// Territory names, the active villages of a commune and the units list
// are public: citizens choose their place from them when they send
// feedback. Importing the official list is done by the command line only
// (mattranso admin import-units). The handlers look a territory up before
// asking the Authorizer, so that it is only asked about units that exist
// (an unknown one is 404, which territories exist being public).
//
// # Routes
//
//	GET    /api/v1/org/territories/{code}           the territory, its units, ancestors, active children, counts
//	GET    /api/v1/org/territories/{code}/villages  a commune's villages (include_retired=1 for staff)
//	POST   /api/v1/org/territories/{code}/villages  {"name","kind"} → 201, Location: /api/v1/org/villages/{id}
//	POST   /api/v1/org/territories/{code}/villages/import  CSV or XLSX → 201 {"created","villages"}
//	GET    /api/v1/org/villages/{id}                one village, retired or not
//	PATCH  /api/v1/org/villages/{id}                {"name","kind"}; an empty kind keeps the village's
//	DELETE /api/v1/org/villages/{id}                retires it (kept for history); 200 with retired_at
//	GET    /api/v1/org/units?level=&parent=&org=&after=&limit=
//	                                                units (id, territory, org, name, level, retired) of
//	                                                the territories of level under parent (no level: its
//	                                                children), in path order; "next" is the after= of
//	                                                the next page (limit ≤ 1,200, default 300)
//	GET    /api/v1/org/units/{territory}/{org}/profile  the profile and its latest changes
//	PUT    /api/v1/org/units/{territory}/{org}/profile  {fields to change…, "version"}; ?from_staff=1
//	GET    /api/v1/org/units/{territory}/{org}/staff    {"staff":{"people","version"},"counts"};
//	                                                ?format=csv|xlsx: a file in the import's columns
//	PUT    /api/v1/org/units/{territory}/{org}/staff    {"people":[…], "version"} (the whole list)
//	POST   /api/v1/org/units/{territory}/{org}/staff/import  CSV or XLSX, replaces the list
//	GET    /api/v1/org/rollout?parent=VN|PROVINCE[&format=csv|xlsx]  the rollout figures
//	GET    /quan-tri/dia-ban[/{code}]               admin pages: the country with a search box, a province,
//	                                                a commune with its villages and forms
//	POST   /quan-tri/dia-ban/{code}/thon            add a village (form)
//	POST   /quan-tri/dia-ban/{code}/thon/nhap       import villages (multipart form)
//	POST   /quan-tri/thon/{id}/doi-ten              rename (form)
//	POST   /quan-tri/thon/{id}/ngung                retire (form)
//	GET    /don-vi                                  the sender's unit's page
//	GET    /don-vi/{territory}/{org}                a unit's page: profile, history, staff list, forms
//	POST   /don-vi/{territory}/{org}/ho-so          save the profile (form; from_staff=1 takes the counts)
//	POST   /don-vi/{territory}/{org}/can-bo         add a person, or with n and version change the n-th (form)
//	POST   /don-vi/{territory}/{org}/can-bo/xoa     remove a person (form: n, version)
//	POST   /don-vi/{territory}/{org}/can-bo/nhap    import the staff list (multipart form)
//	GET    /quan-tri/trien-khai[?parent=CODE]       the rollout table, with its exports
//
// API errors are {"error":{"code","message","field"}}: 400 invalid_code,
// not_a_commune, invalid_name, invalid_kind, invalid_json,
// invalid_parameter, invalid_org, invalid_count, invalid_type,
// text_too_long, missing_name, invalid_phone, invalid_email,
// missing_field, invalid_rows (with "rows": [{"row","column","message"}]),
// unreadable_file; 401 unauthenticated; 403 forbidden; 404 not_found;
// 409 duplicate_name, retired, conflict; 413 body_too_large,
// file_too_large; 415 unsupported_media_type.
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
