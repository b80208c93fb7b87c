package assistant

import (
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Span choice: the part of the best sentences that answers the question.

// chooseSpan ranks the sentences of the hits and picks the answer span.
func chooseSpan(q, query string, hits []retrieval.Hit, rw ReaderWeights) extraction {
	if len(hits) == 0 {
		return extraction{}
	}
	pq := parseQuestion(q)
	if query != q {
		// A follow-up: the words of the earlier question help rank the
		// sentences, the follow-up's own words weigh double.
		for _, t := range corpus.Tokenize(query) {
			pq.set[key(query, t, pq.accent)] = true
		}
	}
	if pq.kind == kindNumber && pq.unit == "" && namesAge(query) {
		pq.unit = "tuoi"
	}
	rk := rankSentences(pq, hits, rw)
	if len(rk.sents) == 0 {
		return extraction{}
	}
	sents, segs, w, order := rk.sents, rk.segs, rk.w, rk.order
	best := sents[order[0]]
	if best.cover < minCoverage || best.shared < minSharedWeight {
		return extraction{}
	}
	var out extraction
	out.score = math.Inf(-1)
	chosen := order[0]
	for _, i := range order[:min(4, len(order))] {
		st := sents[i]
		if st.score < best.score-0.25 {
			break
		}
		h := hits[st.hit]
		// The quote is the sentence, widened to its lead-in or to the
		// list it opens when the answer comes from there: always a
		// verbatim run of the passage.
		qStart, qEnd := st.start, st.end
		short, sc := span(pq, w, h.Text, st, segs[st.hit])
		if st.lead >= 0 {
			if ls, lsc, ok := leadSpan(pq, w, h.Text, st, sents[st.lead]); ok && lsc > sc {
				short, sc = ls, lsc
				qStart = sents[st.lead].start
			}
		}
		// A lead-in announcing what the question asks for ("… trong
		// trường hợp sau đây:" for "… trong trường hợp nào?") restates
		// the question: its points are the answer, before any gap found
		// in another sentence, unless a sentence that does not depend on
		// it holds more of the question (another case of the article).
		announces := st.listLead && leadsInTo(pq, st) && !coveredElsewhere(sents, i)
		if st.listLead && pq.kind != kindNumber && pq.kind != kindYesNo && pq.kind != kindTrueFalse &&
			(pq.kind == kindList || short == "" || announces || strings.Contains(corpus.Fold(short), "sau day")) {
			if s, e, ok := followingPointsAt(segs[st.hit], st.segment); ok {
				short = h.Text[s:e]
				qEnd = e
				if announces {
					sc += announced
				}
			}
		}
		if pq.others {
			if s, ok := otherItem(pq, h.Text, st, sents, segs[st.hit]); ok {
				short, sc = s, 2
			}
		}
		sc += 2 * st.score
		if sc > out.score {
			out = extraction{hit: st.hit, anchor: st.anchor, quote: strings.TrimSpace(h.Text[qStart:qEnd]), short: short,
				supported: true, score: sc, sentStart: st.start, sentEnd: st.end}
			chosen = i
		}
	}
	out.cover = sents[chosen].cover
	out.kind = pq.kind
	if !reliable(pq.kind) {
		// An open question's answer quotes whole lines: the chosen
		// sentence's line, with the points it leads in to.
		st := sents[chosen]
		if c := lineOf(rk.segs[st.hit], st.segment, hits[st.hit].Text); strings.Contains(c, out.quote) {
			out.quote = c
		}
	}
	out.more = moreClauses(rk, hits, chosen, out)
	if pq.kind == kindYesNo || pq.kind == kindTrueFalse {
		out.short = yesNoWord(pq, judgeStatement(pq, w, rk, chosen, hits))
	}
	if out.short == "" {
		out.short = out.quote
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// reNumber matches the numbers answers are made of: "03 năm", "từ 06
// tháng đến 03 năm", "5.000.000 đồng", "05 ngày làm việc", "70%".
var reNumber = regexp.MustCompile(`(?i)(?:từ\s+)?\d[\d.,]*\s*(?:%|phần trăm|tuổi|năm|tháng|tuần|ngày làm việc|ngày|giờ|phút|lần|triệu đồng|tỷ đồng|đồng|người|cây|m2|km|ha)?(?:\s+(?:đến|tới|-)\s+(?:dưới\s+)?\d[\d.,]*\s*(?:%|tuổi|năm|tháng|tuần|ngày làm việc|ngày|giờ|phút|lần|triệu đồng|tỷ đồng|đồng|người)?)?(?:\s+(?:trở lên|trở xuống))?|(?i)\b(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)(?:\s+(?:mươi|mốt|lăm|tư|một|hai|ba|bốn|năm|sáu|bảy|tám|chín))*\s+(?:hình phạt|lần|người|năm|tháng|tuần|ngày|giờ|tuổi|loại)`)

var reRangeSep = regexp.MustCompile(`\s+(?:đến|tới)\s+`)

// span picks the answer inside sentence st and returns it with its score.
func span(pq *question, w map[string]float64, text string, st sentence, segs []segment) (string, float64) {
	toks := st.toks
	m := len(toks)
	matched := make([]bool, m)
	for i, t := range toks {
		if !pq.set[t.Term] || pq.neutral[t.Term] {
			continue
		}
		// A function word counts as matched when it stands next to the
		// neighbour it has in the question: "xác định", "Bộ luật".
		matched[i] = !isStop(t.Term) ||
			i > 0 && anchorWord(pq, toks[i-1].Term) && pq.bigrams[toks[i-1].Term+"_"+t.Term] ||
			i+1 < m && anchorWord(pq, toks[i+1].Term) && pq.bigrams[t.Term+"_"+toks[i+1].Term]
	}
	unbindStrays(pq, text, toks, matched)
	sentText := strings.TrimSpace(text[st.start:st.end])
	switch pq.kind {
	case kindYesNo, kindTrueFalse:
		// Judged after the sentence is chosen (judgeStatement).
		return "", 0
	case kindNumber:
		if s, sc, ok := numberSpan(pq, w, text, st); ok {
			return s, sc
		}
		return sentText, -1
	case kindList:
		if st.listLead {
			return "", 0.3
		}
	case kindDefinition:
		if p := definitionAt(pq, toks); p >= 0 && p+1 < m {
			if pq.whole {
				return wholeSentence(text, st), 1.5
			}
			return strings.TrimRight(strings.TrimSpace(text[toks[p+1].Start:st.end]), ".;:"), 1.5
		}
	case kindPenalty:
		if s, ok := penaltySpan(pq, text, st.start, st.end); ok {
			return s, 1
		}
		return sentText, -1
	case kindTerm:
		if s, sc, ok := termSpan(text, st); ok {
			return s, sc
		}
	}
	leftSet, rightSet := map[string]int{}, map[string]int{}
	for k, t := range pq.left {
		leftSet[t] = len(pq.left) - k // distance to the gap
	}
	for k, t := range pq.right {
		rightSet[t] = k + 1
	}
	noWh := pq.whStart < 0
	align := func(pos, dir int, set map[string]int) float64 {
		var sc float64
		for k := 0; k < 5; k++ {
			p := pos + dir*k
			if p < 0 || p >= m {
				break
			}
			t := toks[p].Term
			if noWh {
				if matched[p] {
					sc += w[t] * math.Pow(0.7, float64(k))
				}
				continue
			}
			if d, ok := set[t]; ok && !pq.neutral[t] {
				sc += w[t] * math.Pow(0.7, float64(k)) * (1 + 0.3/float64(d))
			}
		}
		return sc
	}
	punctBefore := func(i int) bool { // punctuation between tokens i-1 and i
		if i == 0 || i >= m {
			return true
		}
		gap := text[toks[i-1].End:toks[i].Start]
		return strings.ContainsAny(gap, ",;:.()")
	}
	maxLen := 25
	if pq.kind == kindDefinition || pq.kind == kindHow || pq.kind == kindList {
		maxLen = 60
	}
	// The numbering of a point or clause line ("a)", "2.") is never part
	// of an answer: a span starts after it.
	first := 0
	if l := reLineLabel.FindString(text[st.start:st.end]); l != "" {
		for first < m && toks[first].Start < st.start+len(l) {
			first++
		}
	}
	bestSc := math.Inf(-1)
	bi, bj := 0, m
	for i := first; i < m; i++ {
		if !(i == 0 || punctBefore(i) || matched[i-1]) || matched[i] {
			continue
		}
		left := align(i-1, -1, leftSet)
		var content float64
		for j := i + 1; j <= m && j-i <= maxLen; j++ {
			k := j - 1
			if !matched[k] && !isStop(toks[k].Term) {
				content++
			}
			if j-1 > i && punctBefore(j-1) && pq.phrase {
				// "Cơ quan nào": one phrase, not the clause after it.
				break
			}
			if content == 0 || matched[k] {
				continue
			}
			atPunct := j == m || punctBefore(j)
			// Inside a clause a span ends only where the question's words
			// after its question word take up again.
			if !atPunct && !matched[j] {
				continue
			}
			right := align(j, 1, rightSet)
			// Question words inside the span are not penalised: an answer
			// often repeats them ("thời điểm có được tài sản đó").
			sc := left + right - 0.005*float64(j-i)
			if !atPunct && !noWh && rightSet[toks[j].Term] == 0 {
				// Ending on a question word that is not one after the gap
				// cuts a phrase of the answer short.
				sc -= 0.6
			}
			if j == m {
				sc += 0.35
			} else if atPunct {
				sc += 0.15
			}
			if pq.kind == kindDefinition || pq.kind == kindHow {
				if j == m {
					sc += 0.5
				}
				sc += 0.015 * float64(j-i)
			}
			if pq.kind == kindAgent && unicode.IsUpper(firstRune(text[toks[i].Start:])) {
				sc += 0.5
			}
			if sc > bestSc {
				bestSc, bi, bj = sc, i, j
			}
		}
	}
	if math.IsInf(bestSc, -1) {
		return sentText, -1
	}
	bi, bj = trimSpan(text, toks, bi, bj)
	return strings.TrimSpace(text[toks[bi].Start:toks[bj-1].End]), bestSc
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// numberSpan picks the number or range in st that fills the question's gap.
func numberSpan(pq *question, w map[string]float64, text string, st sentence) (string, float64, bool) {
	seg := text[st.start:st.end]
	locs := reNumber.FindAllStringIndex(seg, -1)
	if len(locs) == 0 {
		return "", 0, false
	}
	leftSet := map[string]bool{}
	for _, t := range pq.left {
		if corpus.Fold(t) != "tu" {
			leftSet[t] = true
		}
	}
	rightSet := map[string]bool{}
	for _, t := range pq.right {
		rightSet[t] = true
	}
	best, bestSc := "", math.Inf(-1)
	for _, l := range locs {
		s, e := st.start+l[0], st.start+l[1]
		cand := strings.TrimSpace(text[s:e])
		// Syllables just before the number should be those before the
		// question word; those after, the ones after it.
		var sc float64
		k := 0
		for i := len(st.toks) - 1; i >= 0 && k < 5; i-- {
			if st.toks[i].End > s {
				continue
			}
			if leftSet[st.toks[i].Term] {
				sc += w[st.toks[i].Term] * math.Pow(0.75, float64(k))
			}
			k++
		}
		k = 0
		for _, t := range st.toks {
			if t.Start < e || k >= 5 {
				continue
			}
			if rightSet[t.Term] {
				sc += 0.5 * w[t.Term] * math.Pow(0.75, float64(k))
			}
			k++
		}
		lc := strings.ToLower(cand)
		isRange := strings.Contains(lc, " đến ") || strings.Contains(lc, " tới ")
		switch {
		case pq.unit != "" && (strings.Contains(corpus.Fold(lc), pq.unit) || pq.unit == "phan" && strings.Contains(lc, "%")) && !negations[pq.unit]:
			sc += 0.8
		case numberUnits[pq.unit]:
			// "bao nhiêu năm" is not answered by "02 thương binh".
			sc -= 0.4
		}
		if strings.Contains(pq.text, "trở lên") || pq.lower || pq.whStart > 0 && (pq.fterms[pq.whStart-1] == "du" || pq.fterms[pq.whStart-1] == "tu") {
			// The question already asks for a lower bound ("từ đủ bao
			// nhiêu tuổi", "… trở lên"); the answer is the number.
			cand = strings.TrimSuffix(cand, " trở lên")
		}
		if inQuestion(pq, text[s:e]) {
			// A number the question states is a condition, not the answer.
			sc -= 1.5
		}
		if pq.rangeAsked && isRange {
			sc += 1
		}
		if isRange && !pq.rangeAsked {
			// One number was asked: a range answers only through its bound.
			if !pq.upper && !pq.lower {
				sc -= 1.2
			}
			parts := reRangeSep.Split(cand, 2)
			switch {
			case pq.upper:
				cand = parts[len(parts)-1]
			case pq.lower:
				cand = strings.TrimPrefix(strings.TrimPrefix(parts[0], "từ "), "Từ ")
				// "từ 06 tháng đến 03 năm": the lower bound keeps its own unit.
			}
		}
		if !isRange {
			cand = strings.TrimPrefix(strings.TrimPrefix(cand, "từ "), "Từ ")
		}
		if sc > bestSc {
			best, bestSc = cand, sc
		}
	}
	return best, bestSc + 0.5, true
}

// yesNoWord says no or yes the way the question asks: Sai/Đúng, Không/Có.
func yesNoWord(pq *question, no bool) string {
	switch {
	case pq.kind == kindTrueFalse && no:
		return "Sai"
	case pq.kind == kindTrueFalse:
		return "Đúng"
	case no:
		return "Không"
	}
	return "Có"
}

// anchorWord reports whether a matching key is a content word of the
// question other than the noun its question word asks about.
func anchorWord(pq *question, k string) bool { return pq.set[k] && !pq.neutral[k] && !isStop(k) }

// numberUnits are the folded units "bao nhiêu" asks for.
var numberUnits = setOf("tuoi", "nam", "thang", "tuan", "ngay", "gio", "phut", "lan", "dong", "nguoi", "phan", "cay", "loai")

// inQuestion reports whether the digits of a number span all occur in
// the question.
func inQuestion(pq *question, span string) bool {
	found := false
	for _, t := range corpus.Tokenize(span) {
		if isDigits(t.Term) {
			if !strings.Contains(pq.text, t.Term) {
				return false
			}
			found = true
		}
	}
	return found
}

// maxClauses is how many clauses answer an open question.
const maxClauses = 3

// moreClauses returns the next best lines after the chosen one for an
// open question: other numbered lines (or articles) whose best sentence
// ranks close to the chosen one's, each quoted whole, none holding or
// held by a quote already given.
func moreClauses(rk ranking, hits []retrieval.Hit, chosen int, out extraction) []clause {
	if reliable(out.kind) || len(rk.order) == 0 {
		return nil
	}
	best := rk.sents[rk.order[0]].score
	taken := map[[2]int]bool{{rk.sents[chosen].hit, rk.sents[chosen].segment}: true}
	anchors := map[string]bool{rk.segs[rk.sents[chosen].hit][rk.sents[chosen].segment].anchor: true}
	quotes := []string{out.quote}
	var more []clause
	for _, i := range rk.order[:min(12, len(rk.order))] {
		st := rk.sents[i]
		if st.score < best-0.3 || st.cover < minCoverage {
			break
		}
		k := [2]int{st.hit, st.segment}
		if taken[k] {
			continue
		}
		taken[k] = true
		g := rk.segs[st.hit][st.segment]
		// Two passages may hold one line (an article and its clause):
		// a line is quoted once, by its anchor.
		if anchors[g.anchor] {
			continue
		}
		anchors[g.anchor] = true
		q := lineOf(rk.segs[st.hit], st.segment, hits[st.hit].Text)
		dup := q == ""
		for _, p := range quotes {
			if strings.Contains(p, q) || strings.Contains(q, p) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		quotes = append(quotes, q)
		more = append(more, clause{hit: st.hit, anchor: g.anchor, quote: q})
		if len(more) == maxClauses-1 {
			break
		}
	}
	return more
}

// lineOf returns the text of segment i of a passage, with the points that
// follow when it leads in to them ("… bao gồm:").
func lineOf(segs []segment, i int, text string) string {
	g := segs[i]
	end := g.end
	if strings.HasSuffix(strings.TrimSpace(text[g.start:g.end]), ":") {
		if _, e, ok := followingPointsAt(segs, i); ok {
			end = e
		}
	}
	return strings.TrimSpace(text[g.start:end])
}
