package retrieval

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mattranso/mattranso/corpus"
)

// Laws are known by their year: "Bộ luật Dân sự 2015", "Luật Đất đai
// 2013" (not 2024), and their numbers carry it too ("91/2015/QH13"). A
// question that names a law with its year ("Theo Bộ luật Dân sự 2015, …")
// tells which law, and which version of it, it asks about, even where the
// library holds the law under its number alone. The re-ranker reads this
// as two features: the question gives a law a year that one of the law's
// names holds, or it gives years and the law's names hold others. Only
// years written after a law's name or inside a document number count: a
// question may speak of other years ("sinh năm 2005").

// reLawYear finds a year written after the name of a legal act, in folded
// text: "luat dat dai 2013", "bo luat dan su nam 2015", "hien phap nam
// 2013". The name runs to at most eight words, unbroken by punctuation.
var reLawYear = regexp.MustCompile(`\b(?:luat|hien phap|phap lenh|nghi dinh|thong tu)(?:\s+\pL+){0,8}?\s+(?:nam\s+)?((?:19[4-9]|20\d)\d)\b`)

// askedYears returns the years a question gives to the laws it names,
// after a law's name or inside a document number ("91/2015/QH13"); not
// the other years it may speak of ("sinh năm 2005", "từ ngày 01/7/2021").
func askedYears(query string) []int {
	folded := corpus.Fold(query)
	var out []int
	for _, m := range reLawYear.FindAllStringSubmatch(folded, -1) {
		out = appendYears(out, m[1])
	}
	for _, n := range reNumberInQuery.FindAllString(query, -1) {
		if corpus.LooksLikeNumber(n) {
			out = appendYears(out, n)
		}
	}
	return out
}

// yearsIn returns the years written in s — runs of four digits from 1945
// to 2099 — once each, in order.
func yearsIn(s string) []int {
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

// lawYears returns the years of a law's names (title, aliases, number);
// nil for a document that is not a law or names no year.
func (k *Keyword) lawYears(docID string) []int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.titles[docID].years
}

// appendYears adds the years of s that ys does not hold yet.
func appendYears(ys []int, s string) []int {
	for _, y := range yearsIn(s) {
		if !slices.Contains(ys, y) {
			ys = append(ys, y)
		}
	}
	return ys
}

// yearFeatures compares the years a question names with a law's: same is
// 1 when they share one, other is 1 when both name years and share none.
func yearFeatures(asked, law []int) (same, other float64) {
	if len(asked) == 0 || len(law) == 0 {
		return 0, 0
	}
	for _, y := range law {
		if slices.Contains(asked, y) {
			return 1, 0
		}
	}
	return 0, 1
}
