package assistant

import (
	"regexp"
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Typed numbers: a question asking for an age, a duration or a time of day
// ("bao nhiêu tuổi", "mấy tiếng", "tối đa bao nhiêu ngày", "bao lâu") is
// answered by a sentence that states a number in that unit, and, when it
// asks for a bound ("tối đa", "tối thiểu"), states that bound. A
// definition that only names the subject ("Tảo hôn là … chưa đủ tuổi kết
// hôn") shares the question's words but cannot answer it: its "1" is a
// clause number, not an age.

// typedUnits are the folded units whose number a sentence must state;
// "tiếng" is asked for the hours a law writes as "giờ".
var typedUnits = map[string]string{
	"tuoi": "tuoi", "nam": "nam", "thang": "thang", "tuan": "tuan", "ngay": "ngay",
	"gio": "gio", "tieng": "gio", "phut": "phut",
}

// anyDuration stands for the units "bao lâu" accepts.
const anyDuration = "*"

var durationUnits = []string{"nam", "thang", "tuan", "ngay", "gio", "phut"}

// askedUnit returns the unit a number question asks for, anyDuration for
// "bao lâu", or "" when the question asks for no unit a sentence can be
// held to.
func askedUnit(pq *question) string {
	if pq.kind != kindNumber {
		return ""
	}
	if u, ok := typedUnits[pq.unit]; ok {
		return u
	}
	if pq.whStart >= 0 && pq.whEnd > pq.whStart && pq.fterms[pq.whEnd-1] == "lau" {
		return anyDuration
	}
	return ""
}

// Bounds as a law states them, folded, just before the number.
var (
	upperWords = []string{"khong qua", "toi da", "khong vuot qua", "duoi", "chua du", "khong duoc qua"}
	lowerWords = []string{"it nhat", "toi thieu", "tu du", "du", "tren", "tu"}
)

// typedTier grades a sentence for a typed question: 0 states no number in
// the unit, 1 does, 2 does with the bound the question asks for.
func typedTier(pq *question, unit, text string) int {
	// Folded, so that a number typed or read without diacritics, and
	// the bounds before it, match alike.
	folded := corpus.Fold(strings.ToLower(text))
	tier := 0
	for _, m := range reTyped.FindAllStringSubmatchIndex(folded, -1) {
		u := folded[m[2]:m[3]]
		if unit == anyDuration && !slices.Contains(durationUnits, u) || unit != anyDuration && u != unit {
			continue
		}
		t := 1
		before := folded[max(0, m[0]-16):m[0]]
		after := folded[m[1]:]
		switch {
		case pq.upper && (endsWithAny(before, upperWords) || strings.HasPrefix(after, " tro xuong")):
			t = 2
		case pq.lower && (endsWithAny(before, lowerWords) || strings.HasPrefix(after, " tro len")):
			t = 2
		}
		tier = max(tier, t)
	}
	return tier
}

// reTyped finds a number and its unit in folded text, in digits ("08
// giờ", "30 ngày làm việc") or in words ("mười tám tuổi").
var reTyped = regexp.MustCompile(`(?:\d[\d.,]*|\b(?:mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)(?:\s+(?:muoi|mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin))*)\s*\b(tuoi|nam|thang|tuan|ngay|gio|phut)\b`)

func endsWithAny(s string, words []string) bool {
	s = strings.TrimRight(s, " ")
	for _, w := range words {
		if strings.HasSuffix(s, " "+w) || strings.HasSuffix(s, "\n"+w) || s == w {
			return true
		}
	}
	return false
}

// Typed sentences come first among those relevant to the question: a
// sentence of at least typedCover of the best one's cover, in a passage
// scoring at least typedRank of the first, gains typedBonus for each
// tier.
const (
	typedRank  = 0.05
	typedCover = 0.5
	typedBonus = 1.0
)

// preferTyped raises the typed sentences of a number question.
func preferTyped(pq *question, sents []sentence, hits []retrieval.Hit, texts func(sentence) string) {
	unit := askedUnit(pq)
	if unit == "" {
		return
	}
	best := 0.0
	for _, st := range sents {
		best = max(best, st.cover)
	}
	for i := range sents {
		t := typedTier(pq, unit, texts(sents[i]))
		if t > 0 && sents[i].cover >= max(minCoverage, typedCover*best) && hits[sents[i].hit].Score >= typedRank*hits[0].Score {
			sents[i].score += typedBonus * float64(t)
		}
	}
}

// namesAge reports whether a question names an age before its question
// word ("Tuổi kết hôn của nam là bao nhiêu?"), in its own words: the
// thesaurus may have put the law's phrase in their place ("điều kiện kết
// hôn").
func namesAge(q string) bool {
	for _, t := range corpus.Tokenize(q) {
		if corpus.Fold(t.Term) == "tuoi" {
			return true
		}
	}
	return false
}
