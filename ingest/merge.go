package ingest

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

var reYear = regexp.MustCompile(`\b(19|20)\d\d\b`)

// yearOf returns the year a law's title or number carries, or "".
func yearOf(d *corpus.Document) string {
	if m := reYear.FindString(d.Title); m != "" && !corpus.LooksLikeNumber(d.Title) {
		return m
	}
	if m := reYear.FindString(d.Number); m != "" {
		return m
	}
	return ""
}

func hasYear(title string) bool { return reYear.MatchString(title) && !corpus.LooksLikeNumber(title) }

// yearsAgree reports whether d may be the law named title: if both carry
// a year, the years are equal.
func yearsAgree(d *corpus.Document, title string) bool {
	y := yearOf(d)
	t := reYear.FindString(title)
	return y == "" || t == "" || y == t
}

func appendUnique(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

// mergeLaws groups the laws that are the same law — sharing a number, a
// name (years permitting) or their first articles — and keeps one document
// for each: the most complete text, with the metadata and names of all.
func mergeLaws(laws []*corpus.Document) []*corpus.Document {
	var out []*corpus.Document
	for _, g := range groupLaws(laws) {
		docs := make([]*corpus.Document, len(g))
		for i, j := range g {
			docs[i] = laws[j]
		}
		out = append(out, mergeGroup(docs, lawSize))
	}
	return out
}

// groupLaws finds the groups of mergeLaws: each group the positions of its
// laws in laws, in the order mergeGroup takes them. It reads only what
// IdentityKeys and the years read, so that a streaming run can group the
// laws from their skeletons (numbers, names, first articles) and read
// their texts afterwards.
func groupLaws(laws []*corpus.Document) [][]int {
	type group struct {
		docs    []int
		numbers map[string]bool
		years   map[string]bool
	}
	var groups []*group
	owner := map[string]*group{}
	conflict := func(a, b *group) bool {
		return differ(a.numbers, b.numbers) || differ(a.years, b.years)
	}
	for i, d := range laws {
		g := &group{docs: []int{i}, numbers: map[string]bool{}, years: map[string]bool{}}
		if d.Number != "" {
			g.numbers[corpus.NormalizeNumber(d.Number)] = true
		}
		if y := yearOf(d); y != "" {
			g.years[y] = true
		}
		keys := corpus.IdentityKeys(d)
		for _, k := range keys {
			other, ok := owner[k]
			if !ok || other == g || conflict(other, g) {
				continue
			}
			// Fold g into other.
			other.docs = append(other.docs, g.docs...)
			for n := range g.numbers {
				other.numbers[n] = true
			}
			for y := range g.years {
				other.years[y] = true
			}
			for key, o := range owner {
				if o == g {
					owner[key] = other
				}
			}
			g.docs = nil
			g = other
		}
		for _, k := range keys {
			if _, ok := owner[k]; !ok {
				owner[k] = g
			}
		}
		if len(g.docs) == 1 && g.docs[0] == i {
			groups = append(groups, g)
		}
	}
	var out [][]int
	for _, g := range groups {
		if len(g.docs) > 0 {
			out = append(out, g.docs)
		}
	}
	return out
}

func differ(a, b map[string]bool) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for k := range a {
		if b[k] {
			return false
		}
	}
	return true
}

// lawSize is how complete a law's text is: its articles, then its letters.
func lawSize(d *corpus.Document) (int, int) {
	arts := d.Articles()
	n := 0
	for _, a := range arts {
		n += utf8.RuneCountInString(corpus.NodeText(a))
	}
	return len(arts), n
}

// mergeGroup keeps the most complete text (most articles, then most text,
// as size tells) and fills in metadata from the others.
func mergeGroup(docs []*corpus.Document, size func(*corpus.Document) (int, int)) *corpus.Document {
	sort.SliceStable(docs, func(i, j int) bool {
		ai, ti := size(docs[i])
		aj, tj := size(docs[j])
		if ai != aj {
			return ai > aj
		}
		return ti > tj
	})
	best := *docs[0]
	names := []string{}
	for _, d := range docs {
		names = append(names, d.Title)
		names = append(names, d.Aliases...)
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&best.Number, d.Number)
		fill(&best.Type, d.Type)
		fill(&best.Issuer, d.Issuer)
		fill(&best.IssuedAt, d.IssuedAt)
		fill(&best.EffectiveAt, d.EffectiveAt)
		fill(&best.Status, d.Status)
		fill(&best.SourceURL, d.SourceURL)
	}
	// The title: a catalogued or dated name beats a bare name or a number.
	best.Title = bestTitle(names)
	best.Aliases = nil
	for _, n := range names {
		if n != best.Title && n != best.Number {
			best.Aliases = appendUnique(best.Aliases, n)
		}
	}
	sort.Strings(best.Aliases)
	fromCatalog(&best)
	return &best
}

func bestTitle(names []string) string {
	score := func(n string) int {
		s := 0
		if !corpus.LooksLikeNumber(n) {
			s += 4
		}
		if hasYear(n) {
			s += 2
		}
		if strings.ContainsAny(n, "ABCDEFGHIKLMNOPQRSTUVXYĐ") && n != strings.ToUpper(n) {
			s++
		}
		return s
	}
	best := ""
	for _, n := range names {
		if best == "" || score(n) > score(best) {
			best = n
		}
	}
	return best
}
