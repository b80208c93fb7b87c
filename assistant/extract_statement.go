package assistant

import (
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// statementTail are the folded words of the question's tail ("…, đúng
// hay sai?") and of the law it cites, which the passage need not repeat.
var statementTail = setOf("dung", "hay", "sai", "khong", "theo", "luat", "bo", "quy", "dinh", "nam")

// A statement whose content words the passage lacks, in weight, more than
// this share, or in one run more than this idf weight (about two rare
// syllables: a substituted name or term), is false. Tuned on training
// statements, where any lower share also separates true from false less.
const (
	maxMissingShare = 0.1
	maxMissingRun   = 2.5
)

// judgeStatement answers a đúng/sai or có/không question from sentence
// si, read with its lead-in, its passage's heading and the law's title.
// The statement is false when its negation differs from the passage's,
// when it states a number the passage lacks, or when a run of its
// content words (a substituted agency, term, or law) is missing.
func judgeStatement(pq *question, w map[string]float64, rk ranking, si int, hits []retrieval.Hit) (no bool) {
	st := rk.sents[si]
	have := map[string]bool{}
	digits := map[string]bool{}
	neg := 0
	add := func(toks []corpus.Token, count bool) {
		for _, t := range toks {
			have[t.Term] = true
			f := corpus.Fold(t.Term)
			if isDigits(f) {
				digits[strings.TrimLeft(f, "0")] = true
			}
			if count && negations[f] {
				neg++
			}
		}
	}
	add(st.toks, true)
	for _, c := range readWith(rk.sents, si) {
		add(rk.sents[c].toks, c == st.lead)
	}
	h := hits[st.hit]
	for _, s := range []string{h.Heading, h.Title} {
		for _, tk := range corpus.Tokenize(s) {
			have[key(s, tk, pq.accent)] = true
		}
	}
	qNeg := 0
	for i, t := range pq.fterms {
		if negations[t] && i < len(pq.fterms)-1 {
			qNeg++
		}
	}
	// Negations are counted: "… không đáng kể thì không phải là tội phạm"
	// answers "… không đáng kể thì có phải là tội phạm không?" with no.
	no = qNeg%2 != neg%2
	for _, t := range pq.fterms {
		if isDigits(t) && !digits[strings.TrimLeft(t, "0")] {
			no = true
		}
	}
	// The longest run of missing content words, and the share of the
	// statement's weight missing.
	run, longest := 0.0, 0.0
	var missing, total float64
	for i, t := range pq.terms {
		if statementTail[pq.fterms[i]] || isStop(t) {
			continue
		}
		total += w[t]
		if have[t] {
			run = 0
			continue
		}
		missing += w[t]
		run += w[t]
		longest = max(longest, run)
	}
	share := 0.0
	if total > 0 {
		share = missing / total
	}
	return no || share > maxMissingShare || longest > maxMissingRun
}
