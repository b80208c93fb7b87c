package feedback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
)

// Agencies is the directory of the competent agencies (cơ quan có thẩm
// quyền) an item may be forwarded to: a list per level of the receiving
// unit, and for a territory the agencies of its own. A name may hold
// {dia_ban}, the receiving unit's territory ("Ủy ban nhân dân {dia_ban}"
// is "Ủy ban nhân dân Phường Sài Gòn" for an item received by
// 26734/MTTQ).
//
// An agency outside the directory is named as "Khác: <name>" (OtherAgency):
// the directory cannot know every company, board or school, and an
// officer must never be stuck with an item nobody listed. What is stored
// and shown is then that text, prefix included, so that a reader knows it
// was not one of the directory's.
//
// A directory file (MATTRANSO_FEEDBACK_AGENCIES) is JSON:
//
//	{
//	  "levels": {"commune": ["Ủy ban nhân dân {dia_ban}", "Công an {dia_ban}"]},
//	  "territories": {"79": ["Sở Giao thông công chính"], "26734": ["Ban Quản lý chợ Bến Thành"]}
//	}
//
// A level the file gives replaces that level's defaults; levels it leaves
// out keep them. A territory's list is added to its level's for the items
// received by a unit of that very territory (not of the territories
// below it).
type Agencies struct {
	Levels      map[Level][]string  `json:"levels,omitempty"`
	Territories map[string][]string `json:"territories,omitempty"`
}

// OtherAgency is the prefix of an agency outside the directory: "Khác:
// Công ty Điện lực Sài Gòn".
const OtherAgency = "Khác: "

// MaxAgency bounds an agency's name, in characters.
const MaxAgency = 200

// DefaultAgencies is the directory when none is configured: at each level
// the people's committee, the police, the inspectorate and the services a
// citizen's feedback most often concerns, under the names they bear since
// the 2025 reorganisation of the administration.
func DefaultAgencies() *Agencies {
	return &Agencies{Levels: map[Level][]string{
		LevelCommune: {
			"Ủy ban nhân dân {dia_ban}",
			"Công an {dia_ban}",
			"Trạm Y tế {dia_ban}",
			"Các trường học trên địa bàn {dia_ban}",
			"Ban Chỉ huy quân sự {dia_ban}",
			"Hội đồng nhân dân {dia_ban}",
			"Ban Thanh tra nhân dân {dia_ban}",
			"Trưởng thôn, tổ trưởng tổ dân phố",
		},
		LevelProvince: {
			"Ủy ban nhân dân {dia_ban}",
			"Hội đồng nhân dân {dia_ban}",
			"Thanh tra {dia_ban}",
			"Công an {dia_ban}",
			"Ban Tiếp công dân {dia_ban}",
			"Sở Nông nghiệp và Môi trường (đất đai, môi trường)",
			"Sở Xây dựng (xây dựng, giao thông)",
			"Sở Y tế",
			"Sở Giáo dục và Đào tạo",
			"Sở Nội vụ (lao động, việc làm, người có công)",
			"Sở Công Thương (điện, thị trường)",
			"Sở Tài chính",
			"Sở Tư pháp",
			"Bảo hiểm xã hội {dia_ban}",
			"Tòa án nhân dân {dia_ban}",
			"Viện kiểm sát nhân dân {dia_ban}",
		},
		LevelCentral: {
			"Văn phòng Chính phủ",
			"Thanh tra Chính phủ",
			"Ban Tiếp công dân Trung ương",
			"Ban Dân nguyện (Ủy ban Thường vụ Quốc hội)",
			"Bộ Công an",
			"Bộ Nông nghiệp và Môi trường",
			"Bộ Xây dựng",
			"Bộ Y tế",
			"Bộ Giáo dục và Đào tạo",
			"Bộ Nội vụ",
			"Bộ Tài chính",
			"Bộ Tư pháp",
			"Bộ Công Thương",
			"Tòa án nhân dân tối cao",
			"Viện kiểm sát nhân dân tối cao",
		},
	}}
}

// ParseAgencies reads a directory file (see Agencies), strictly: unknown
// fields, levels that are not commune, province or central, territory
// codes that are not codes, empty or overlong names, placeholders other
// than {dia_ban} and a name listed twice are refused with the place named.
func ParseAgencies(rd io.Reader) (*Agencies, error) {
	data, err := io.ReadAll(io.LimitReader(rd, 1<<20))
	if err != nil {
		return nil, err
	}
	var a Agencies
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("feedback: agencies: %w", err)
	}
	if dec.More() {
		return nil, errors.New("feedback: agencies: more than one JSON value")
	}
	def := DefaultAgencies()
	if a.Levels == nil {
		a.Levels = map[Level][]string{}
	}
	for _, l := range Levels {
		if _, ok := a.Levels[l]; !ok {
			a.Levels[l] = def.Levels[l]
		}
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	return &a, nil
}

// LoadAgencies reads a directory file.
func LoadAgencies(path string) (*Agencies, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("feedback: agencies: %w", err)
	}
	defer f.Close()
	a, err := ParseAgencies(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

func (a *Agencies) check() error {
	var errs []error
	names := func(where string, list []string) {
		seen := map[string]bool{}
		for i, n := range list {
			at := fmt.Sprintf("%s[%d]", where, i)
			switch c := utf8.RuneCountInString(n); {
			case strings.TrimSpace(n) == "":
				errs = append(errs, fmt.Errorf("feedback: agencies: %s: empty name", at))
				continue
			case c > MaxAgency:
				errs = append(errs, fmt.Errorf("feedback: agencies: %s: %d characters, at most %d", at, c, MaxAgency))
			}
			if _, err := corpus.CleanName("tên cơ quan", strings.ReplaceAll(n, "{dia_ban}", "X"), MaxAgency+100); err != nil {
				errs = append(errs, fmt.Errorf("feedback: agencies: %s: %v", at, err))
			}
			if rest := strings.ReplaceAll(n, "{dia_ban}", ""); strings.ContainsAny(rest, "{}") {
				errs = append(errs, fmt.Errorf("feedback: agencies: %s: %q: the only placeholder is {dia_ban}", at, n))
			}
			if strings.HasPrefix(agencyKey(n), agencyKey(OtherAgency)) {
				errs = append(errs, fmt.Errorf("feedback: agencies: %s: %q: %q is the prefix of agencies outside the directory", at, n, OtherAgency))
			}
			if k := agencyKey(n); seen[k] {
				errs = append(errs, fmt.Errorf("feedback: agencies: %s: %q is listed twice", at, n))
			} else {
				seen[k] = true
			}
		}
	}
	for _, l := range sortedKeys(a.Levels) {
		if _, err := ParseLevel(string(l)); err != nil || l == "" {
			errs = append(errs, fmt.Errorf("feedback: agencies: levels: %q: want commune, province or central", l))
		}
		names("levels."+string(l), a.Levels[l])
	}
	for _, code := range sortedKeys(a.Territories) {
		if _, err := org.LevelOf(code); err != nil {
			errs = append(errs, fmt.Errorf("feedback: agencies: territories: %q is not a territory code (VN, 79, 26734, 26734-001)", code))
		}
		names("territories."+code, a.Territories[code])
	}
	return errors.Join(errs...)
}

// agencyKey is how names are compared: folded, spaces evened out, so that
// "uy ban nhan dan phuong sai gon" typed on a phone is the directory's
// "Ủy ban nhân dân Phường Sài Gòn".
func agencyKey(s string) string {
	return strings.Join(strings.Fields(corpus.Fold(s)), " ")
}

// unitLevel is the level of the Front a unit belongs to: a village's
// units count with its commune.
func unitLevel(u org.Unit) Level {
	switch u.Level() {
	case org.Central:
		return LevelCentral
	case org.Province:
		return LevelProvince
	}
	return LevelCommune
}

// For lists the agencies an item received by unit may be forwarded to,
// {dia_ban} filled with place, the name of the unit's territory: those of
// the unit's level, then the territory's own.
func (a *Agencies) For(unit org.Unit, place string) []string {
	var out []string
	add := func(list []string) {
		for _, n := range list {
			n = strings.ReplaceAll(n, "{dia_ban}", place)
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	add(a.Levels[unitLevel(unit)])
	add(a.Territories[unit.Territory])
	return out
}

// Resolve returns the agency an officer named, as it is stored: the
// directory's own spelling of one of list (as For gives it) typed with or
// without diacritics, or "Khác: <name>" for one outside it. ok is false
// for a name that is neither, or an "other" agency whose name is empty,
// too long or holds invisible characters.
func Resolve(list []string, typed string) (string, bool) {
	key := agencyKey(typed)
	if key == "" {
		return "", false
	}
	for _, n := range list {
		if agencyKey(n) == key {
			return n, true
		}
	}
	other := agencyKey(OtherAgency)
	if !strings.HasPrefix(key, other) {
		return "", false
	}
	// The name after the prefix, as typed.
	_, name, _ := strings.Cut(typed, ":")
	name, err := corpus.CleanName("tên cơ quan", name, MaxAgency)
	if err != nil || utf8.RuneCountInString(name) < 2 {
		return "", false
	}
	return OtherAgency + name, true
}
