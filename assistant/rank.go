package assistant

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Sentence ranking: the retrieved passages' sentences scored against a
// question.

// ranking is the retrieved passages cut into sentences, ranked against a
// question.
type ranking struct {
	sents []sentence
	segs  [][]segment // by hit
	w     map[string]float64
	order []int // indexes of sents, best first
}

// rankSentences cuts the hits into sentences and scores each against pq.
func rankSentences(pq *question, hits []retrieval.Hit, rw ReaderWeights) ranking {
	var sents []sentence
	var segs [][]segment
	for hi, h := range hits {
		sg := segments(h)
		segs = append(segs, sg)
		for si, g := range sg {
			for _, r := range splitSentences(h.Text, g.start, g.end) {
				toks := corpus.Tokenize(h.Text[r[0]:r[1]])
				if len(toks) == 0 {
					continue
				}
				for k := range toks {
					toks[k].Start += r[0]
					toks[k].End += r[0]
					toks[k].Term = key(h.Text, toks[k], pq.accent)
				}
				sents = append(sents, sentence{hit: hi, anchor: g.anchor, start: r[0], end: r[1], toks: toks, segment: si, lead: -1,
					listLead: strings.HasSuffix(strings.TrimSpace(h.Text[r[0]:r[1]]), ":")})
			}
		}
	}
	if len(sents) == 0 {
		return ranking{}
	}
	for i := range sents {
		sents[i].lead = leadOf(sents, segs[sents[i].hit], i)
	}
	w := weights(pq, sents, hits)
	qBigrams := map[string]bool{}
	for _, b := range corpus.Bigrams(pq.terms) {
		qBigrams[b] = true
	}
	qTrigrams := map[string]bool{}
	for _, t := range trigrams(pq.terms) {
		qTrigrams[t] = true
	}
	var total float64
	for t := range pq.set {
		total += w[t]
	}
	top := hits[0].Score
	runs := make([]int, len(hits)) // the most runs of three question words in one sentence, by hit
	for i := range sents {
		st := &sents[i]
		seen := map[string]bool{}
		var shared float64
		terms := make([]string, len(st.toks))
		for k, t := range st.toks {
			terms[k] = t.Term
			if pq.set[t.Term] && !seen[t.Term] {
				seen[t.Term] = true
				shared += w[t.Term]
			}
		}
		// A point reads with its lead-in, and an aggravated case ("Phạm
		// tội thuộc một trong các trường hợp sau đây") with the offence its
		// article's first clause defines.
		for _, c := range readWith(sents, i) {
			for _, t := range sents[c].toks {
				if pq.set[t.Term] && !seen[t.Term] {
					seen[t.Term] = true
					shared += w[t.Term]
				}
			}
		}
		// The heading of the passage counts too: questions name the article's subject.
		hd := hits[st.hit].Heading
		for _, tk := range corpus.Tokenize(hd) {
			t := key(hd, tk, pq.accent)
			if pq.set[t] && !seen[t] {
				seen[t] = true
				shared += 0.5 * w[t]
			}
		}
		bi := 0
		for _, b := range corpus.Bigrams(terms) {
			if qBigrams[b] {
				bi++
			}
		}
		tri := 0
		for _, t := range trigrams(terms) {
			if qTrigrams[t] {
				tri++
			}
		}
		runs[st.hit] = max(runs[st.hit], tri)
		cover := 0.0
		if total > 0 {
			cover = shared / total
		}
		rank := 0.0
		if top > 0 {
			rank = hits[st.hit].Score / top
		}
		st.cover, st.shared = cover, shared
		if pq.kind == kindDefinition && definitionAt(pq, st.toks) >= 0 {
			cover += 0.3
		}
		st.score = cover + 0.04*float64(min(bi, 8)) + rw.Rank*rank - 0.03*float64(st.hit)
	}
	// The passage that holds the question's phrases word for word vouches
	// for each of its sentences: for "Ai có quyền yêu cầu bồi thường thiệt
	// hại về tài sản?", "Người bị thiệt hại có quyền yêu cầu bồi thường
	// thiệt hại về tài sản" holds eight runs of three question words, a
	// clause with the same words in another order three. Counted by
	// passage (its best sentence), so that it helps choose the passage and
	// leaves the choice among its sentences to their own words.
	for i := range sents {
		st := &sents[i]
		st.score += rw.Phrase * float64(min(runs[st.hit], 8))
	}
	preferTyped(pq, sents, hits, func(st sentence) string {
		// A point states its number through its lead-in ("… thì bị
		// phạt tù từ 03 năm đến 10 năm:").
		t := hits[st.hit].Text[st.start:st.end]
		if st.lead >= 0 {
			l := sents[st.lead]
			t = hits[l.hit].Text[l.start:l.end] + "\n" + t
		}
		return t
	})
	// An open question names the subject of the article that answers it
	// ("Những hành vi nào là bạo lực gia đình?": "Hành vi bạo lực gia
	// đình"): a passage whose heading holds nearly all its content words
	// is preferred.
	if !reliable(pq.kind) {
		words := contentWords(pq)
		hc := make([]float64, len(hits))
		exact := make([]bool, len(hits))
		// The question's words for an exact heading keep the fillers
		// ("hiện" of "tài sản hiện có"): a heading naming less than the
		// question ("Tài sản") is not its subject.
		asked := map[string]bool{}
		for _, t := range pq.terms {
			if !isStop(t) && !pq.frame[t] && !isDigits(t) {
				asked[t] = true
			}
		}
		for hi, h := range hits {
			held := 0
			keys := map[string]bool{}
			// The article's own name, without its label and the
			// clause's: "Hành vi bạo lực gia đình".
			name, _, _ := strings.Cut(h.Heading, " — ")
			named, inQuestion := 0, 0
			for _, tk := range corpus.Tokenize(name) {
				k := key(name, tk, pq.accent)
				keys[k] = true
				if isStop(k) || filler[k] || isDigits(k) || corpus.Fold(k) == "dieu" {
					continue
				}
				named++
				if asked[k] {
					inQuestion++
				}
			}
			for _, w := range words {
				if keys[w] {
					held++
				}
			}
			if len(words) > 0 {
				hc[hi] = float64(held) / float64(len(words))
			}
			exact[hi] = named > 0 && float64(inQuestion) >= exactHeadingShare*float64(named) &&
				float64(inQuestion) >= exactHeadingShare*float64(len(asked))
		}
		for i := range sents {
			if h := hc[sents[i].hit]; h >= headingShare {
				sents[i].score += headingBonus
				// A heading that is the question's subject, nearly word
				// for word, rather than holding it among others ("Các
				// hành vi bị nghiêm cấm trong phòng, chống bạo lực gia
				// đình").
				if exact[sents[i].hit] {
					sents[i].score += exactHeadingBonus
				}
			}
		}
	}
	order := make([]int, len(sents))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sents[order[a]].score > sents[order[b]].score })
	return ranking{sents: sents, segs: segs, w: w, order: order}
}

// weights are the idf of each question syllable over the retrieved
// sentences, down-weighted for function words.
func weights(pq *question, sents []sentence, hits []retrieval.Hit) map[string]float64 {
	df := map[string]int{}
	for _, st := range sents {
		seen := map[string]bool{}
		for _, t := range st.toks {
			if pq.set[t.Term] && !seen[t.Term] {
				seen[t.Term] = true
				df[t.Term]++
			}
		}
	}
	n := float64(len(sents))
	w := map[string]float64{}
	for t := range pq.set {
		// A syllable none of the passages has still weighs: it is what
		// makes an unrelated question unsupported.
		x := math.Log(1 + n/(0.5+float64(df[t])))
		if isStop(t) || utf8.RuneCountInString(t) < 2 && !isDigits(t) || pq.frame[t] {
			x *= 0.2
		}
		w[t] = x
	}
	return w
}

// readWith returns the sentences that sentence i is read with: its
// lead-in, and, when the lead-in states an aggravated case ("Phạm tội
// thuộc một trong các trường hợp sau đây…"), the sentences of the first
// clause of the same passage, which define the offence.
func readWith(sents []sentence, i int) []int {
	l := sents[i].lead
	if l < 0 && sents[i].segment > 0 && startsAggravated(sents[i]) {
		l = i
	}
	if l < 0 {
		return nil
	}
	out := []int{}
	if l != i {
		out = append(out, l)
	}
	if !startsAggravated(sents[l]) {
		return out
	}
	first := -1
	for j := l - 1; j >= 0 && sents[j].hit == sents[i].hit; j-- {
		if sents[j].segment < sents[l].segment {
			first = sents[j].segment
		}
	}
	for j := l - 1; j >= 0 && sents[j].hit == sents[i].hit; j-- {
		if sents[j].segment == first {
			out = append(out, j)
		}
	}
	return out
}

// startsAggravated reports whether a sentence opens with "Phạm tội", the
// way a law's later clauses state aggravated cases of the offence.
func startsAggravated(st sentence) bool {
	toks := st.toks
	for len(toks) > 0 && (isDigits(toks[0].Term) || utf8.RuneCountInString(toks[0].Term) == 1) {
		toks = toks[1:]
	}
	return len(toks) >= 2 && corpus.Fold(toks[0].Term) == "pham" && corpus.Fold(toks[1].Term) == "toi"
}

// A heading that holds headingShare of an open question's content words
// adds headingBonus to its passage's sentences.
const (
	headingShare = 0.75
	headingBonus = 0.3
	// exactHeadingBonus is added again when the heading is the
	// question's subject nearly word for word: exactHeadingShare of the
	// heading's own words (its label and function words left out) are the
	// question's.
	exactHeadingShare = 0.8
	exactHeadingBonus = 0.6
)

// ReaderWeights weigh a sentence's evidence beyond its own words: Rank the
// passage's retrieval score relative to the first, Phrase each run of three
// question words its passage holds in one sentence (up to 8).
type ReaderWeights struct{ Rank, Phrase float64 }

// DefaultReaderWeights are the reader's weights unless Options.Reader says
// otherwise. Chosen on alqac2022 and alqac2025 together (BenchmarkReader
// scores a setting): Rank 0.4–1.0 and Phrase 0.03–0.08 score alike;
// 0.75 and 0.05 are the middle.
var DefaultReaderWeights = ReaderWeights{Rank: 0.75, Phrase: 0.05}

// trigrams returns the runs of three terms, joined like corpus.Bigrams.
func trigrams(terms []string) []string {
	var out []string
	for i := 0; i+2 < len(terms); i++ {
		out = append(out, terms[i]+"_"+terms[i+1]+"_"+terms[i+2])
	}
	return out
}
