package corpus

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A law's identity and time — its number (số hiệu), its year, the date it
// takes effect and whether it is still in force — come from the source's
// fields where the source gives them. The law dumps mostly do not: many
// name a law only as "Luật Đất đai", which does not tell the 2013 land law
// from the 2024 one. The text itself usually does: the article on entry
// into force ("Hiệu lực thi hành") states the date and names the texts that
// cease to have effect, and a law's number is written in its own heading,
// its annexes, or in the other laws of the library that amend or cite it.
// Every fact below says where it came from, so that a reader can tell a
// field of the source from a reading of the text.

// Fact is one thing known about a law, with where it came from.
type Fact struct {
	Value string `json:"value,omitempty"`
	// Source says where Value came from, in Vietnamese, for the reader:
	// "thuộc tính văn bản" for a field of the source, "suy ra từ Điều
	// 252" for a reading of the text.
	Source string `json:"source,omitempty"`
	// Derived is true when Value was read from the text rather than given
	// by a field of the source.
	Derived bool `json:"derived,omitempty"`
}

// Known reports whether the fact has a value.
func (f Fact) Known() bool { return f.Value != "" }

// Where facts come from.
const (
	SourceField = "thuộc tính văn bản"
	sourceTitle = "tên văn bản"
	sourceAlias = "tên khác của văn bản trong nguồn dữ liệu"
)

// YearInForce begins the Source of a Year that is only the year the law
// took effect, for a law whose own year no source gives.
const YearInForce = "năm có hiệu lực"

// Validity statuses.
const (
	StatusInForce    = "Còn hiệu lực"
	StatusNotYet     = "Chưa có hiệu lực"
	StatusRepealed   = "Hết hiệu lực"
	StatusUnknownVal = "Chưa rõ"
)

// Lapse is a text a law says ceases to have effect when it takes effect
// ("Luật Đất đai số 45/2013/QH13 … hết hiệu lực kể từ ngày Luật này có
// hiệu lực thi hành").
type Lapse struct {
	Name    string `json:"name,omitempty"` // "Luật Đất đai", as written
	Number  string `json:"number"`         // "45/2013/QH13"
	Article string `json:"article"`        // the label of the article that says so
}

// LawFacts is what is known of one law's identity and time.
type LawFacts struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Number is the số hiệu; Year the year of the law (its number's year,
	// the year in its name, the year it was issued); EffectiveAt the date
	// (YYYY-MM-DD) it takes effect.
	Number      Fact `json:"number"`
	Year        Fact `json:"year"`
	EffectiveAt Fact `json:"effective_at"`
	// Status is the source's own validity field, when it has one; the
	// validity as of a date is Validity's.
	Status Fact `json:"status"`
	// Amends names the law an amending law amends, from its title.
	Amends Fact `json:"amends"`
	// Lapses are the texts this law says cease to have effect.
	Lapses []Lapse `json:"lapses,omitempty"`

	keys      []string   // the title keys of the law's names
	citations []citation // the numbered laws its text names
}

// citation is a law named with its number in a law's text.
type citation struct {
	key, number, article string
}

var (
	// reInForce finds the sentence on entry into force: "Luật này có
	// hiệu lực thi hành từ ngày 01 tháng 7 năm 2021", "… kể từ ngày
	// 01/7/2021".
	reInForce = regexp.MustCompile(`(?i)(?:bộ luật|luật|hiến pháp|pháp lệnh|nghị quyết|nghị định|thông tư|quyết định|văn bản)\s+này\s+có\s+hiệu\s+lực(?:\s+thi\s+hành)?\s+(?:kể\s+)?từ\s+ngày\s+(\d{1,2})(?:\s+tháng\s+|\s*/\s*)(\d{1,2})(?:\s+năm\s+|\s*/\s*)(\d{4})`)
	// reLapse finds a sentence saying that other texts cease to have
	// effect when this one takes effect.
	reLapse = regexp.MustCompile(`(?i)([^.;\n]*?)\s+hết\s+hiệu\s+lực(?:\s+thi\s+hành)?\s+(?:kể\s+)?từ\s+ngày\s+(?:bộ\s+luật|luật|hiến\s+pháp|pháp\s+lệnh)\s+này\s+có\s+hiệu\s+lực`)
	// reCited finds a law named with its number: "Luật Đất đai số
	// 31/2024/QH15". The name is kept short so that it starts at the
	// nearest "Luật".
	reCited = regexp.MustCompile(`((?:Bộ luật|Luật|Hiến pháp|Pháp lệnh)(?:[ ,]+[\p{L}\p{M}]+){0,10}?)\s+số\s+(\d{1,3}/\d{4}/[A-Z0-9Đ]+(?:-[A-Z0-9Đ]+)*)`)
	// reOwnNumber finds a number line in a law's heading: "Luật số:
	// 31/2024/QH15", "Số: 91/2015/QH13".
	reOwnNumber = regexp.MustCompile(`(?i)(?:^|\n)\s*(?:bộ luật |luật |pháp lệnh )?số\s*:\s*(\d{1,3}/\d{4}/[A-Z0-9Đ]+(?:-[A-Z0-9Đ]+)*)`)
	// reAdopted finds the adoption formula: "… thông qua ngày 18 tháng 01
	// năm 2024".
	reAdopted     = regexp.MustCompile(`(?i)thông\s+qua\s+ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})`)
	reNumberYear  = regexp.MustCompile(`^\d+[a-zA-Z]?/(\d{4})/`)
	reAmendsTitle = regexp.MustCompile(`(?i)^(?:luật|pháp lệnh|nghị quyết)\s+sửa\s+đổi,?\s+bổ\s+sung.*?\s+của\s+(.+)$`)
)

// ReadLawFacts reads what the fields and the text of d say about its
// identity and time. What the other laws of the library say is added by
// CompleteLawFacts.
func ReadLawFacts(d *Document) LawFacts {
	f := LawFacts{ID: d.ID, Title: d.Title}
	for _, name := range append([]string{d.Title}, d.Aliases...) {
		if name != "" && !LooksLikeNumber(name) {
			if k := TitleKey(name); k != "" && !slices.Contains(f.keys, k) {
				f.keys = append(f.keys, k)
			}
		}
	}

	// The number: the source's field, a name that is a number, the
	// heading of the text.
	switch {
	case d.Number != "":
		f.Number = Fact{Value: d.Number, Source: SourceField}
	default:
		for _, a := range d.Aliases {
			if LooksLikeNumber(a) {
				f.Number = Fact{Value: a, Source: sourceAlias}
				break
			}
		}
	}
	if !f.Number.Known() {
		for _, n := range d.Nodes {
			if n.Kind != NodePreamble && n.Kind != NodeClosing {
				continue
			}
			if m := reOwnNumber.FindStringSubmatch(NFC(n.Text)); m != nil {
				f.Number = Fact{Value: m[1], Source: "suy ra từ phần đầu văn bản", Derived: true}
				break
			}
		}
	}

	// The year: the number's, the title's, another name's, the date of
	// issue, the adoption formula.
	switch {
	case f.Number.Known() && yearOfNumber(f.Number.Value) != "":
		f.Year = Fact{Value: yearOfNumber(f.Number.Value), Source: "số hiệu " + f.Number.Value, Derived: f.Number.Derived}
	case lastYear(d.Title) != "":
		f.Year = Fact{Value: lastYear(d.Title), Source: sourceTitle}
	case len(d.IssuedAt) >= 4 && lastYear(d.IssuedAt[:4]) != "":
		f.Year = Fact{Value: d.IssuedAt[:4], Source: "ngày ban hành (" + SourceField + ")"}
	default:
		for _, a := range d.Aliases {
			if y := lastYear(a); y != "" && !LooksLikeNumber(a) {
				f.Year = Fact{Value: y, Source: sourceAlias}
				break
			}
		}
	}
	if !f.Year.Known() {
		for _, n := range d.Nodes {
			if n.Kind == NodeClosing {
				if m := reAdopted.FindStringSubmatch(NFC(n.Text)); m != nil {
					f.Year = Fact{Value: m[3], Source: "suy ra từ lời kết văn bản (ngày thông qua)", Derived: true}
				}
			}
		}
	}

	if d.EffectiveAt != "" {
		f.EffectiveAt = Fact{Value: d.EffectiveAt, Source: SourceField}
	}
	if d.Status != "" {
		f.Status = Fact{Value: d.Status, Source: SourceField}
	}
	if m := reAmendsTitle.FindStringSubmatch(NFC(d.Title)); m != nil {
		f.Amends = Fact{Value: strings.TrimSpace(m[1]), Source: sourceTitle, Derived: true}
	}

	// The text: the entry into force, from the last article that states
	// it (earlier ones may state when a single clause applies); the texts
	// that lapse; the numbered laws named anywhere.
	arts := d.Articles()
	for i := len(arts) - 1; i >= 0 && !f.EffectiveAt.Known(); i-- {
		if iso, ok := inForceDate(NodeText(arts[i])); ok {
			f.EffectiveAt = Fact{Value: iso, Source: "suy ra từ Điều " + arts[i].Label, Derived: true}
		}
	}
	for _, a := range arts {
		text := NFC(NodeText(a))
		if strings.Contains(text, "hết hiệu lực") {
			f.Lapses = append(f.Lapses, lapsesIn(text, a.Label)...)
		}
		if strings.Contains(text, " số ") {
			for _, m := range reCited.FindAllStringSubmatch(text, -1) {
				f.citations = append(f.citations, citation{key: TitleKey(m[1]), number: m[2], article: a.Label})
			}
		}
	}
	return f
}

// inForceDate reads the date of the first sentence on entry into force in
// text, as YYYY-MM-DD.
func inForceDate(text string) (string, bool) {
	m := reInForce.FindStringSubmatch(NFC(text))
	if m == nil {
		return "", false
	}
	day, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	year, _ := strconv.Atoi(m[3])
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || int(t.Month()) != month {
		return "", false // "ngày 31 tháng 02": not a date
	}
	return t.Format("2006-01-02"), true
}

// lapsesIn reads the texts that a sentence of article says lapse: those
// named with their number ("Luật Đất đai số 45/2013/QH13"). The laws that
// amended them, listed after ("đã được sửa đổi, bổ sung một số điều theo
// Luật số 68/2020/QH14"), are laws in their own right that only lose the
// amendments: they do not lapse.
func lapsesIn(text, article string) []Lapse {
	var out []Lapse
	for _, m := range reLapse.FindAllStringSubmatch(text, -1) {
		for _, c := range reCited.FindAllStringSubmatch(m[1], -1) {
			name := strings.TrimSpace(c[1])
			if len(strings.Fields(TitleKey(name))) < 2 || strings.HasPrefix(TitleKey(name), "bo luat ") && len(strings.Fields(TitleKey(name))) < 3 {
				continue // "Luật số …": an amending law
			}
			if slices.ContainsFunc(out, func(l Lapse) bool { return l.Number == c[2] }) {
				continue
			}
			out = append(out, Lapse{Name: name, Number: c[2], Article: article})
		}
	}
	return out
}

func yearOfNumber(number string) string {
	if m := reNumberYear.FindStringSubmatch(strings.TrimSpace(number)); m != nil {
		return m[1]
	}
	return ""
}

// lastYear is the last year written in s ("Luật Cư trú 2020" → 2020).
func lastYear(s string) string {
	ys := YearsIn(s)
	if len(ys) == 0 {
		return ""
	}
	return strconv.Itoa(ys[len(ys)-1])
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// CompleteLawFacts fills in, for each law without a number, the number that
// the library's texts give it — its own annexes or articles ("Ban hành kèm
// theo Luật Giá số 16/2023/QH15"), or another law that amends or cites it
// — and then the year. A number counts only when it fits: not one of the
// texts the law itself replaces, not newer than the law's entry into force
// nor older than the texts it replaces; when two numbers fit, neither is
// taken. A law still without a year gets the year it takes effect, said as
// such.
func CompleteLawFacts(laws []LawFacts) {
	for i := range laws {
		f := &laws[i]
		if !f.Number.Known() {
			f.Number = citedNumber(f, laws)
			if f.Number.Known() && !f.Year.Known() {
				f.Year = Fact{Value: yearOfNumber(f.Number.Value), Source: "số hiệu " + f.Number.Value + ", " + f.Number.Source, Derived: true}
			}
		}
		if !f.Year.Known() && f.EffectiveAt.Known() {
			f.Year = Fact{Value: f.EffectiveAt.Value[:4], Source: YearInForce + ", " + f.EffectiveAt.Source, Derived: true}
		}
	}
}

// citedNumber finds the one number the library's texts give to f.
func citedNumber(f *LawFacts, laws []LawFacts) Fact {
	if len(f.keys) == 0 {
		return Fact{}
	}
	lapsed := map[string]bool{}
	oldest := 0 // the law is newer than every text it replaces
	for _, l := range f.Lapses {
		lapsed[NormalizeNumber(l.Number)] = true
		oldest = max(oldest, atoi(yearOfNumber(l.Number)))
	}
	newest := 9999
	if f.EffectiveAt.Known() {
		newest = atoi(f.EffectiveAt.Value[:4])
	}
	var found Fact
	var number string
	for i := range laws {
		by := &laws[i]
		for _, c := range by.citations {
			if !slices.Contains(f.keys, c.key) || lapsed[NormalizeNumber(c.number)] {
				continue
			}
			y := atoi(yearOfNumber(c.number))
			if y < oldest || y > newest || (f.Year.Known() && strconv.Itoa(y) != f.Year.Value) {
				continue
			}
			n := NormalizeNumber(c.number)
			if number != "" && n != number {
				return Fact{} // two numbers fit: the text does not say which
			}
			if number == "" {
				number = n
				src := "suy ra từ Điều " + c.article
				if by.ID != f.ID {
					src = fmt.Sprintf("suy ra từ %s, Điều %s", by.Title, c.article)
				}
				found = Fact{Value: c.number, Source: src, Derived: true}
			}
		}
	}
	return found
}

// Validity is a law's status as of a date, with where it came from: "Hết
// hiệu lực" when a law of the library that has taken effect says this one
// lapses, else the source's own status, else what the date of entry into
// force says ("Chưa có hiệu lực" before it, "Còn hiệu lực" after it, as
// far as the library knows).
func (f LawFacts) Validity(laws []LawFacts, asOf time.Time) Fact {
	day := asOf.Format("2006-01-02")
	if by, l, ok := f.replacedBy(laws); ok && by.EffectiveAt.Known() && by.EffectiveAt.Value <= day {
		return Fact{
			Value: StatusRepealed,
			Source: fmt.Sprintf("%s%s thay thế từ %s (Điều %s)", by.Title, numberSuffix(by.Number),
				viDate(by.EffectiveAt.Value), l.Article),
			Derived: true,
		}
	}
	if f.Status.Known() {
		return f.Status
	}
	if !f.EffectiveAt.Known() {
		return Fact{Value: StatusUnknownVal, Source: "chưa có ngày hiệu lực"}
	}
	when := "có hiệu lực từ " + viDate(f.EffectiveAt.Value) + ", " + f.EffectiveAt.Source
	if f.EffectiveAt.Value > day {
		return Fact{Value: StatusNotYet, Source: when, Derived: true}
	}
	return Fact{Value: StatusInForce, Source: when + "; thư viện chưa có văn bản thay thế", Derived: true}
}

// replacedBy finds a law of the library that says f lapses: by f's
// number, or, for f without one, by its name and year.
func (f LawFacts) replacedBy(laws []LawFacts) (LawFacts, Lapse, bool) {
	own := NormalizeNumber(f.Number.Value)
	for _, by := range laws {
		if by.ID == f.ID {
			continue
		}
		for _, l := range by.Lapses {
			switch {
			case f.Number.Known():
				if NormalizeNumber(l.Number) == own {
					return by, l, true
				}
			case l.Name != "" && f.Year.Known() && !strings.HasPrefix(f.Year.Source, YearInForce):
				if slices.Contains(f.keys, TitleKey(l.Name)) && yearOfNumber(l.Number) == f.Year.Value {
					return by, l, true
				}
			}
		}
	}
	return LawFacts{}, Lapse{}, false
}

func numberSuffix(n Fact) string {
	if n.Known() {
		return " (" + n.Value + ")"
	}
	return ""
}

// viDate writes an ISO date the Vietnamese way: 2015-11-24 → 24/11/2015.
func viDate(iso string) string {
	if len(iso) >= 10 && iso[4] == '-' && iso[7] == '-' {
		return iso[8:10] + "/" + iso[5:7] + "/" + iso[0:4]
	}
	return iso
}

// SortLawFacts orders facts by id, so that CompleteLawFacts and Validity
// give the same answers whatever order the laws were read in.
func SortLawFacts(laws []LawFacts) {
	slices.SortFunc(laws, func(a, b LawFacts) int { return cmp.Compare(a.ID, b.ID) })
}
