package assistant

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// A multiple-choice question is answered by reading each option against
// the sentences that answer the question: an option is supported by the
// sentence that both matches the question and holds the option's words,
// its distinctive words (those the other options lack) above all, with
// its numbers and its negation. Options that name others ("Cả A và B đều
// đúng", "Cả 3 phương án trên") are chosen when every option they name is
// supported; the inverse question ("… không phải là …") takes the least
// supported option.

// Thresholds of the multiple-choice reading, tuned on training questions.
const (
	// allSupported is the share of its weight every option named by "Cả
	// A, B, C đều đúng" must find in one sentence for that option to win.
	allSupported = 0.5
	// noneSupported: below it, no option named by "… đều sai" is supported.
	noneSupported = 0.35
)

// option is a parsed choice.
type option struct {
	Choice
	// refs are the indexes of the options a compound option names ("Cả A
	// và B" → A, B); nil for an option that states something itself.
	refs    []int
	allTrue bool // "đều đúng", "cả … trên": every named option holds
	terms   []string
	digits  map[string]bool // its numbers, without leading zeros
	neg     bool
	bigrams []string
	// support is the best sentence's reading of the option: cover is the
	// share of the option's weight the sentence holds, score adds how well
	// the sentence answers the question.
	support, cover float64
	sent           int
}

var (
	reCompound    = regexp.MustCompile(`^(ca|tat ca|khong co|khong)\b`)
	reCompoundAll = regexp.MustCompile(`\b(phuong an|dap an|cau|y)\b.*\b(tren|deu)\b|\btat ca\b|\b(phuong an|dap an) (tren|[a-d])\b`)
	reFalse       = regexp.MustCompile(`\b(deu sai|khong dung|khong co (phuong an|dap an|cau) nao|khong (phuong an|dap an) nao)\b`)
	// reInverse finds the question that asks which option does not hold.
	reInverse = regexp.MustCompile(`\bkhong (phai|thuoc|bao gom|gom|nam trong|dung|co (nghia vu|quyen|nhiem vu|trach nhiem)|duoc coi)\b|\bngoai tru\b|\b(nao|sau day|duoi day) (la )?sai\b`)
)

// parseOptions reads the choices against the question's matching keys.
func parseOptions(pq *question, choices []Choice) []option {
	opts := make([]option, len(choices))
	index := map[string]int{}
	for i, c := range choices {
		index[strings.ToUpper(strings.TrimSpace(c.Key))] = i
	}
	for i, c := range choices {
		o := option{Choice: c, digits: map[string]bool{}, sent: -1}
		text := strings.TrimSpace(corpus.NFC(c.Text))
		f := strings.TrimSpace(corpus.Fold(text))
		if reCompound.MatchString(f) && len(corpus.Terms(text)) <= 12 {
			for _, l := range keyLetters(text) {
				if k, ok := index[l]; ok && k != i && !slices.Contains(o.refs, k) {
					o.refs = append(o.refs, k)
				}
			}
			if len(o.refs) < 2 && reCompoundAll.MatchString(f) {
				// "Cả 3 phương án trên", "Tất cả các đáp án": the others.
				o.refs = nil
				for k := range choices {
					if k != i {
						o.refs = append(o.refs, k)
					}
				}
			}
			if len(o.refs) >= 2 || reFalse.MatchString(f) && len(o.refs) > 0 {
				o.allTrue = !reFalse.MatchString(f)
				opts[i] = o
				continue
			}
			o.refs = nil
		}
		seen := map[string]bool{}
		for _, t := range corpus.Tokenize(text) {
			k := key(text, t, pq.accent)
			o.bigrams = append(o.bigrams, k)
			if negations[t.Term] {
				o.neg = true
			}
			if isDigits(t.Term) {
				o.digits[strings.TrimLeft(t.Term, "0")] = true
			}
			if !seen[k] {
				seen[k] = true
				o.terms = append(o.terms, k)
			}
		}
		o.bigrams = corpus.Bigrams(o.bigrams)
		opts[i] = o
	}
	// "Cả 3 phương án trên" written before the last option names only
	// those above it.
	for i := range opts {
		if opts[i].refs != nil {
			var refs []int
			for _, k := range opts[i].refs {
				if opts[k].refs == nil {
					refs = append(refs, k)
				}
			}
			opts[i].refs = refs
		}
	}
	return opts
}

// keyLetters returns the capital letters that stand alone in s, as keys
// of options are written: "Cả A, B và C" → A, B, C (not the C of "Cả").
func keyLetters(s string) []string {
	rs := []rune(s)
	var out []string
	for i, r := range rs {
		if r < 'A' || r > 'Z' {
			continue
		}
		if i > 0 && unicode.IsLetter(rs[i-1]) || i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.Is(unicode.Mn, rs[i+1])) {
			continue
		}
		out = append(out, string(r))
	}
	return out
}

// chooseOption answers a multiple-choice question from the ranked
// sentences; ok is false when no option is supported at all.
func chooseOption(q string, choices []Choice, hits []retrieval.Hit, rw ReaderWeights) (chosen option, e extraction, ok bool) {
	if len(hits) == 0 || len(choices) == 0 {
		return option{}, extraction{}, false
	}
	pq := parseQuestion(q)
	opts := parseOptions(pq, choices)
	rk := rankSentences(pq, hits, rw)
	if len(rk.sents) == 0 {
		return option{}, extraction{}, false
	}
	w := optionWeights(opts, rk.sents)
	// A word every stated option has tells none of them apart.
	stated := 0
	count := map[string]int{}
	for _, o := range opts {
		if o.refs != nil {
			continue
		}
		stated++
		for _, t := range o.terms {
			count[t]++
		}
	}
	distinct := func(t string) float64 {
		if stated > 1 && count[t] == stated {
			return 0.3
		}
		return 1
	}
	inverse := reInverse.MatchString(corpus.Fold(q))
	// A negated question ("… KHÔNG chấm dứt trong trường hợp nào") is
	// answered by a negated passage; the inverse question has spent its
	// negation on choosing the least supported option.
	qNeg := false
	if !inverse {
		for i, t := range pq.fterms {
			if negations[t] && i < len(pq.fterms)-1 {
				qNeg = true
			}
		}
	}
	const negPenalty = 0.15
	top := hits[0].Score
	// The sentences considered are those that answer the question best;
	// an option found only in a sentence about something else is not
	// supported by it.
	cands := rk.order[:min(len(rk.order), 40)]
	for oi := range opts {
		o := &opts[oi]
		if o.refs != nil {
			continue
		}
		var total float64
		for _, t := range o.terms {
			total += w[t] * distinct(t)
		}
		oBigrams := map[string]bool{}
		for _, b := range o.bigrams {
			oBigrams[b] = true
		}
		o.support = math.Inf(-1)
		for _, si := range cands {
			st := rk.sents[si]
			have := map[string]bool{}
			for _, t := range st.toks {
				have[t.Term] = true
			}
			for _, c := range readWith(rk.sents, si) {
				for _, t := range rk.sents[c].toks {
					have[t.Term] = true
				}
			}
			var m float64
			for _, t := range o.terms {
				if have[t] {
					m += w[t] * distinct(t)
				}
			}
			cover := 0.0
			if total > 0 {
				cover = m / total
			}
			bi := 0
			terms := make([]string, len(st.toks))
			sNeg := false
			sDigits := map[string]bool{}
			for k, t := range st.toks {
				terms[k] = t.Term
				f := corpus.Fold(t.Term)
				if negations[f] {
					sNeg = true
				}
				if isDigits(f) {
					sDigits[strings.TrimLeft(f, "0")] = true
				}
			}
			if st.lead >= 0 {
				// A point reads with its lead-in: "… không được đơn
				// phương chấm dứt hợp đồng … trong các trường hợp sau:".
				for _, t := range rk.sents[st.lead].toks {
					if negations[corpus.Fold(t.Term)] {
						sNeg = !sNeg
						break
					}
				}
			}
			counted := map[string]bool{}
			for _, b := range corpus.Bigrams(terms) {
				if oBigrams[b] && !counted[b] {
					counted[b] = true
					bi++
				}
			}
			biFrac := 0.0
			if len(o.bigrams) > 0 {
				biFrac = float64(bi) / float64(len(o.bigrams))
			}
			sc := cover + 0.5*biFrac + 0.6*st.cover
			if top > 0 {
				sc += 0.3 * hits[st.hit].Score / top
			}
			for d := range o.digits {
				if !sDigits[d] {
					sc -= 0.5
				}
			}
			if o.neg != (sNeg != qNeg) {
				sc -= negPenalty
			}
			if sc > o.support {
				o.support, o.cover, o.sent = sc, cover, si
			}
		}
	}
	best := -1
	for i, o := range opts {
		if o.refs != nil {
			continue
		}
		switch {
		case best < 0:
			best = i
		case inverse && o.support < opts[best].support:
			best = i
		case !inverse && o.support > opts[best].support:
			best = i
		}
	}
	if best < 0 {
		return option{}, extraction{}, false
	}
	if !inverse {
		for i, o := range opts {
			if o.refs == nil {
				continue
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, k := range o.refs {
				lo, hi = math.Min(lo, opts[k].cover), math.Max(hi, opts[k].cover)
			}
			if o.allTrue && lo >= allSupported || !o.allTrue && hi < noneSupported {
				best = i
				break
			}
		}
	}
	chosen = opts[best]
	si := chosen.sent
	if chosen.refs != nil {
		// Cite what supports the first option it names.
		si = opts[chosen.refs[0]].sent
	}
	if si < 0 {
		si = rk.order[0]
	}
	st := rk.sents[si]
	h := hits[st.hit]
	e = extraction{hit: st.hit, anchor: st.anchor, quote: strings.TrimSpace(h.Text[st.start:st.end]), short: chosen.Key,
		supported: true, sentStart: st.start, sentEnd: st.end}
	return chosen, e, true
}

// optionWeights are the idf of the options' words over the retrieved
// sentences, down-weighted for function words like the question's.
func optionWeights(opts []option, sents []sentence) map[string]float64 {
	want := map[string]bool{}
	for _, o := range opts {
		for _, t := range o.terms {
			want[t] = true
		}
	}
	df := map[string]int{}
	for _, st := range sents {
		seen := map[string]bool{}
		for _, t := range st.toks {
			if want[t.Term] && !seen[t.Term] {
				seen[t.Term] = true
				df[t.Term]++
			}
		}
	}
	n := float64(len(sents))
	w := map[string]float64{}
	for t := range want {
		x := math.Log(1 + n/(0.5+float64(df[t])))
		if isStop(t) || len([]rune(t)) < 2 && !isDigits(t) {
			x *= 0.2
		}
		w[t] = x
	}
	return w
}
