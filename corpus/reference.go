package corpus

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// References to laws as people write them in a question: a document number
// ("91/2015/QH13"), an article of a named law ("Điều 418 Bộ luật Hình
// sự"), a law's name with its year ("Luật Đất đai 2013"). Search answers
// the first two by look-up, and the re-ranker reads the years.

var (
	reNumberIn   = regexp.MustCompile(`\b\d{1,4}[a-zA-Z]?/(?:\d{4}/)?[\p{L}\d]+(?:-[\p{L}\d]+)*\b`)
	reArticleRef = regexp.MustCompile(`^\s*(?i:điều|dieu)\s+(\d{1,4}[a-zđ]?)\b[\s,.:-]*(.*)$`)
	// reLawYear finds a year written after the name of a legal act, in
	// folded text: "luat dat dai 2013", "bo luat dan su nam 2015", "hien
	// phap nam 2013". The name runs to at most eight words, unbroken by
	// punctuation.
	reLawYear = regexp.MustCompile(`\b(?:luat|hien phap|phap lenh|nghi dinh|thong tu)(?:\s+\pL+){0,8}?\s+(?:nam\s+)?((?:19[4-9]|20\d)\d)\b`)
)

// NumbersIn returns the first n document numbers written in text, as
// written there ("91/2015/QH13", "01/VBHN-VPQH"); n < 0 returns all.
func NumbersIn(text string, n int) []string {
	if strings.IndexByte(text, '/') < 0 { // every document number has one
		return nil
	}
	return reNumberIn.FindAllString(text, n)
}

// Reference is an "Điều N <law>" reference: an article of a law named by
// its title or its number.
type Reference struct {
	Article string // the article's label as written: "418", "5a"
	Law     string // the words after it, which name the law
}

// ParseReference reads a text that starts with an article number followed
// by the name of a law ("Điều 5 của Luật Cư trú"); ok is false for any
// other text, an article number alone included.
func ParseReference(text string) (r Reference, ok bool) {
	m := reArticleRef.FindStringSubmatch(text)
	if m == nil || strings.TrimSpace(m[2]) == "" {
		return Reference{}, false
	}
	return Reference{Article: m[1], Law: m[2]}, true
}

// LawWords returns the folded words that name the law, without the
// connectives that may lead them ("của", "theo", "tại"); nil when nothing
// else is left.
func (r Reference) LawWords() []string {
	words := strings.Fields(TitleKey(r.Law))
	for len(words) > 0 && (words[0] == "cua" || words[0] == "theo" || words[0] == "tai") {
		words = words[1:]
	}
	return words
}

// LawNumber is the law's name in a reference read as a document number
// (NormalizeNumber): what a law named by its number is known by.
func (r Reference) LawNumber() string { return NormalizeNumber(strings.TrimSpace(r.Law)) }

// LawName is what the names of one law — its title, aliases and number —
// give to recognise the law in a question.
type LawName struct {
	// Keys are the names folded (TitleKey), or normalised
	// (NormalizeNumber) for a number.
	Keys []string
	// Words are the words of the folded titles, numbers left out.
	Words map[string]bool
	// Phrases are the keys of two words or more, each between spaces, as
	// a question's folded words are searched for them; made once here,
	// since every search looks for them.
	Phrases []string
	// Years are the years the names hold ("Luật Đất đai 2013",
	// "91/2015/QH13"), which the keys drop from titles.
	Years []int
}

// ParseLawName reads the names of one law; empty names are skipped.
func ParseLawName(names []string) LawName {
	n := LawName{Words: map[string]bool{}}
	for _, name := range names {
		if name == "" {
			continue
		}
		n.Years = appendYears(n.Years, name)
		if LooksLikeNumber(name) {
			n.Keys = append(n.Keys, NormalizeNumber(name))
			continue
		}
		key := TitleKey(name)
		n.Keys = append(n.Keys, key)
		for _, t := range strings.Fields(key) {
			n.Words[t] = true
		}
	}
	for _, key := range n.Keys {
		if len(strings.Fields(key)) >= 2 {
			n.Phrases = append(n.Phrases, " "+key+" ")
		}
	}
	return n
}

// Laws are known by their year: "Bộ luật Dân sự 2015", "Luật Đất đai
// 2013" (not 2024), and their numbers carry it too ("91/2015/QH13"). A
// question that names a law with its year ("Theo Bộ luật Dân sự 2015, …")
// tells which law, and which version of it, it asks about, even where the
// library holds the law under its number alone. Only years written after a
// law's name or inside a document number count: a question may speak of
// other years ("sinh năm 2005").

// LawYearsIn returns the years a text gives to the laws it names, after a
// law's name or inside a document number ("91/2015/QH13"); not the other
// years it may speak of ("sinh năm 2005", "từ ngày 01/7/2021").
func LawYearsIn(text string) []int {
	folded := Fold(text)
	var out []int
	for _, m := range reLawYear.FindAllStringSubmatch(folded, -1) {
		out = appendYears(out, m[1])
	}
	for _, n := range NumbersIn(text, -1) {
		if LooksLikeNumber(n) {
			out = appendYears(out, n)
		}
	}
	return out
}

// YearsIn returns the years written in s — runs of four digits from 1945
// to 2099 — once each, in order.
func YearsIn(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) {
		if len(f) != 4 {
			continue
		}
		y, err := strconv.Atoi(f)
		if err == nil && y >= 1945 && y <= 2099 && !slices.Contains(out, y) {
			out = append(out, y)
		}
	}
	return out
}

// appendYears adds the years of s that ys does not hold yet.
func appendYears(ys []int, s string) []int {
	for _, y := range YearsIn(s) {
		if !slices.Contains(ys, y) {
			ys = append(ys, y)
		}
	}
	return ys
}
