package assistant

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// The extractive answer works in three steps:
//
//  1. The retrieved passages are cut into segments along their numbered
//     lines ("1. …" a clause, "a) …" a point, each with its anchor), and
//     segments into sentences.
//  2. Sentences are ranked against the question: idf-weighted shared
//     syllables (idf over the retrieved sentences, so words every passage
//     shares count little), shared syllable pairs, and the passage's rank.
//  3. In the best sentences the answer span is the gap the question leaves:
//     the question's words around its question word ("bị phạt tù từ ___
//     năm", "nộp vào ___") are aligned with the sentence and the span
//     between them is scored, narrowed by the question's type (a number or
//     duration, a list of points, có/không, an agency, a definition).
//
// The passages are only ever data here: nothing in them is executed or
// followed, they are cut and scored like any other text.

// Thresholds of sufficient support, tuned so that questions about
// something else ("thời tiết hôm nay thế nào") are declined.
const (
	minCoverage     = 0.25 // share of the question's weight the sentence holds
	minSharedWeight = 1.2  // idf weight of the shared content syllables
)

// announced is added to the score of a lead-in that announces what the
// question asks for: more than any span score, so that it wins among the
// best-ranked sentences.
const announced = 100.0

// qkind is what shape of answer a question asks for.
type qkind int

const (
	kindOther qkind = iota
	kindNumber
	kindList
	kindYesNo
	kindTrueFalse
	kindAgent
	kindDefinition
	kindHow
	kindPlace
	kindTime
	kindPenalty // "bị phạt như thế nào", "hình phạt nào": the penalty phrase
	kindTerm    // "… được gọi là gì": the term a definition defines
)

// question is a parsed question.
type question struct {
	kind   qkind
	terms  []string // matching keys of the syllables, in order (see key)
	fterms []string // folded syllables, in order
	accent bool     // the question was typed with diacritics
	set    map[string]bool
	// wh is the token span of the question word ("bao nhiêu", "nào", "gì");
	// -1 when none was found.
	whStart, whEnd int
	left, right    []string // the syllables just before and after it
	unit           string   // the unit after "bao nhiêu": "năm", "tuổi"…
	upper, lower   bool     // "tối đa" / "tối thiểu"
	rangeAsked     bool     // "từ bao nhiêu đến bao nhiêu"
	neutral        map[string]bool
	// bigrams are the question's adjacent syllable pairs (keys joined by
	// "_"): a function word of the sentence next to its question
	// neighbour is part of a phrase the question names ("xác định",
	// "Bộ luật"), not a word of the answer.
	bigrams map[string]bool
	// whole: the question asks for a definition as a whole sentence
	// ("X được hiểu như thế nào", "định nghĩa của X").
	whole bool
	text  string // the question in lower case
	// phrase: the answer is one phrase ("cơ quan nào"), cut at the
	// first comma.
	phrase bool
	// subject holds the keys of the defined term of a whole-definition
	// question.
	subject map[string]bool
	// others: the question names some items of a list and asks for the
	// one it leaves out ("bao gồm quyền A, quyền B và quyền nào"); item
	// is the key of the noun the items start with ("quyền"), or "".
	others bool
	item   string
	// frame holds the keys of the syllables that frame the question
	// rather than say what it asks, down-weighted: the name of a law it
	// gives ("Bộ luật Dân sự 2015") and the words that ask for a meaning
	// ("được hiểu", "định nghĩa"). A passage that answers rarely repeats
	// them.
	frame map[string]bool
}

// stopWords carry little meaning in a question; they are down-weighted,
// never dropped ("không", "năm" matter in law). They are written with
// their diacritics: folded, "tại" (at) and "tài" (asset) would collide.
var stopWords = []string{"theo", "của", "và", "là", "thì", "có", "được", "bị", "những", "các", "nào", "gì", "bao",
	"nhiêu", "lâu", "mấy", "ai", "đâu", "thế", "như", "sao", "khi", "trong", "tại", "với", "cho", "về", "do",
	"một", "này", "để", "phải", "sẽ", "đã", "đang", "hay", "hoặc", "mà", "nếu", "từ", "đến", "vào", "ra",
	"ở", "luật", "bộ", "điều", "quy", "định", "năm", "2015", "2017", "2018", "2019", "việc", "người"}

// stop holds the stop words as matching keys, with and without tones.
var stop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range stopWords {
		t := corpus.Tokenize(w)[0]
		m[key(w, t, true)] = true
		m["\x00"+t.Term] = true // folded form, for questions typed without diacritics
	}
	return m
}()

// conditionWords open a condition clause in a question.
var conditionWords = setOf("khi", "neu", "truong", "trong")

// negations are folded syllables that flip a statement.
var negations = setOf("khong", "chua", "cam")

func setOf(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// whPatterns are question words as lower-case syllable sequences (with
// diacritics: "mấy" is not "máy"), with the kind they suggest.
var whPatterns = []struct {
	words []string
	kind  qkind
}{
	{[]string{"bao", "nhiêu"}, kindNumber},
	{[]string{"bao", "lâu"}, kindNumber},
	{[]string{"mấy"}, kindNumber},
	{[]string{"bao", "giờ"}, kindTime},
	{[]string{"khi", "nào"}, kindTime},
	{[]string{"như", "thế", "nào"}, kindHow},
	{[]string{"thế", "nào"}, kindHow},
	{[]string{"ra", "sao"}, kindHow},
	{[]string{"là", "gì"}, kindDefinition},
	{[]string{"là", "ai"}, kindDefinition}, // "Người tổ chức là ai?": defined like a term
	{[]string{"gì"}, kindOther},
	{[]string{"nào"}, kindOther},
	{[]string{"ai"}, kindAgent},
	{[]string{"đâu"}, kindPlace},
}

var agentNouns = setOf("co quan", "to chuc", "don vi", "bo", "chu the", "ai", "luc luong", "phia", "ben", "toa an", "cap")
var listCue = regexp.MustCompile(`(gồm|bao gồm|những gì|những trường hợp|các trường hợp|những hành vi|những hành động|các hành vi|liệt kê|những quyền|những nghĩa vụ|các căn cứ|những căn cứ|những loại|các loại)`)

func parseQuestion(q string) *question {
	toks := corpus.Tokenize(q)
	lower := make([]string, len(toks))
	p := &question{whStart: -1, whEnd: -1, set: map[string]bool{}, neutral: map[string]bool{}, accent: hasDiacritics(q)}
	for i, t := range toks {
		lower[i] = strings.ToLower(q[t.Start:t.End])
		p.fterms = append(p.fterms, t.Term)
		k := key(q, t, p.accent)
		p.terms = append(p.terms, k)
		p.set[k] = true
	}
	lq := strings.ToLower(q)
	p.text = lq
	fq := corpus.Fold(q)
	// The last question word is the one the answer fills.
	for e := len(lower); e > 0 && p.whStart < 0; e-- {
		for _, w := range whPatterns {
			i := e - len(w.words)
			if i < 0 {
				continue
			}
			ok := true
			for k, word := range w.words {
				if lower[i+k] != word {
					ok = false
					break
				}
			}
			if ok {
				p.whStart, p.whEnd, p.kind = i, i+len(w.words), w.kind
				break
			}
		}
	}
	// "từ bao nhiêu đến bao nhiêu năm": the gap is the whole range.
	if p.kind == kindNumber && p.whStart >= 3 && p.fterms[p.whStart-1] == "den" {
		for i := p.whStart - 2; i >= 1 && i >= p.whStart-4; i-- {
			if p.fterms[i] == "nhieu" || p.fterms[i] == "lau" {
				p.rangeAsked = true
				p.whStart = i - 1
				if p.whStart > 0 && p.fterms[p.whStart-1] == "tu" {
					p.whStart--
				}
				break
			}
		}
	}
	if p.whStart >= 0 {
		p.left = p.terms[max(0, p.whStart-6):p.whStart]
		p.right = p.terms[p.whEnd:min(len(p.terms), p.whEnd+6)]
		// A condition after the question word ("… như thế nào khi các bên
		// không thỏa thuận") is stated elsewhere in the sentence, not
		// right after the answer.
		for k := p.whEnd; k < p.whEnd+len(p.right); k++ {
			if conditionWords[p.fterms[k]] {
				p.right = p.terms[p.whEnd:k]
				break
			}
		}
		if p.kind == kindNumber && p.whEnd < len(p.terms) {
			p.unit = p.fterms[p.whEnd]
		}
		if lower[p.whStart] == "nào" && p.whStart >= 1 {
			noun := p.fterms[p.whStart-1]
			if p.whStart >= 2 {
				noun2 := p.fterms[p.whStart-2] + " " + noun
				if agentNouns[noun2] {
					p.kind = kindAgent
				}
				p.neutral[p.terms[p.whStart-2]] = true // keys, like set
			}
			if agentNouns[noun] {
				p.kind = kindAgent
			}
			p.phrase = p.kind == kindAgent
			p.neutral[p.terms[p.whStart-1]] = true
			switch noun {
			case "diem", "gian", "han", "luc":
				p.kind = kindTime
			}
		}
	}
	if strings.Contains(fq, "toi da") || strings.Contains(fq, "cao nhat") || strings.Contains(fq, "nhieu nhat") {
		p.upper = true
	}
	if strings.Contains(fq, "toi thieu") || strings.Contains(fq, "thap nhat") || strings.Contains(fq, "it nhat") {
		p.lower = true
	}
	switch {
	case strings.Contains(lq, "đúng hay sai") || strings.Contains(lq, "đúng không") || strings.Contains(lq, "đúng hay không"):
		p.kind = kindTrueFalse
	case p.kind != kindNumber && yesNo(lower):
		p.kind = kindYesNo
	case p.kind == kindOther && listCue.MatchString(lq):
		p.kind = kindList
	}
	refineKind(p, lower, fq)
	namedItems(p, q, toks, lower)
	sourceWords(p, q, toks, lower)
	if p.kind == kindTrueFalse || p.kind == kindYesNo {
		p.whStart, p.whEnd, p.left, p.right = -1, -1, nil, nil
	}
	p.bigrams = map[string]bool{}
	for _, b := range corpus.Bigrams(p.terms) {
		p.bigrams[b] = true
	}
	return p
}

// definitionAt returns the index of the "là" that follows the defined
// term in toks ("Đồng phạm là trường hợp…"), or -1.
func definitionAt(pq *question, toks []corpus.Token) int {
	subject := pq.subject
	if subject == nil {
		subject = map[string]bool{}
		for _, t := range pq.left {
			if !isStop(t) {
				subject[t] = true
			}
		}
	}
	for i := 1; i < len(toks) && i < 15; i++ {
		if corpus.Fold(toks[i].Term) == "la" && subject[toks[i-1].Term] {
			return i
		}
	}
	return -1
}

// key is the matching form of a syllable: folded when the question was
// typed without diacritics (as on phones), else lower case with its
// diacritics, so that "tử" (death) and "tù" (prison) stay apart.
func key(text string, t corpus.Token, accent bool) string {
	if !accent {
		return t.Term
	}
	// The folded syllable plus its tone: "huỷ" and "hủy" (old and new tone
	// placement) are one key, "tử" and "tù" two.
	if r := corpus.Tone(text[t.Start:t.End]); r != 0 {
		return t.Term + string(r)
	}
	return t.Term
}

// isStop reports whether a matching key is a function word.
func isStop(k string) bool {
	if stop[k] {
		return true
	}
	// A folded key (no diacritics typed) is a stop word when any toned
	// form of it is.
	return !hasDiacritics(k) && !hasTone(k) && stop["\x00"+k]
}

func hasTone(k string) bool { return strings.ContainsAny(k, "\u0300\u0301\u0303\u0309\u0323") }

func hasDiacritics(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// yesNo tells "có được … không?", "có phải … không?" and "… không?"
// questions.
func yesNo(lower []string) bool {
	n := len(lower)
	if n < 3 || lower[n-1] != "không" {
		return false
	}
	for _, w := range lower[:n-1] {
		switch w {
		case "có", "được", "phải", "bị", "cần", "đã":
			return true
		}
	}
	return false
}

// sentence is a candidate sentence of a retrieved passage.
type sentence struct {
	hit        int
	anchor     string
	start, end int // bytes of the hit's Text
	toks       []corpus.Token
	segment    int // index of its segment in the hit
	listLead   bool
	lead       int // index of the sentence that leads in to its list, or -1
	score      float64
	cover      float64
	shared     float64
}

// segment is one numbered line (or the lead-in) of a passage.
type segment struct {
	anchor     string
	start, end int
	point      bool
	clause     bool // a numbered clause line "1. …"
}

var (
	reClauseLine = regexp.MustCompile(`^(\d+)\.\s`)
	rePointLine  = regexp.MustCompile(`^([a-zđ])\)\s`)
)

// segments cuts a passage's text along its numbered lines and gives each
// its anchor, read from the numbering: "2. …" under dieu-5 is dieu-5/khoan-2.
func segments(h retrieval.Hit) []segment {
	base := h.Anchor
	article := base
	if i := strings.Index(base, "/"); i >= 0 {
		article = base[:i]
	}
	inClause := strings.Contains(base, "/khoan-")
	clause := base
	var out []segment
	pos := 0
	for _, line := range strings.SplitAfter(h.Text, "\n") {
		start, end := pos, pos+len(strings.TrimRight(line, "\n"))
		pos += len(line)
		text := h.Text[start:end]
		if strings.TrimSpace(text) == "" {
			continue
		}
		anchor := clause
		point := false
		isClause := reClauseLine.MatchString(text)
		if base != "" {
			if m := reClauseLine.FindStringSubmatch(text); m != nil && !inClause {
				clause = article + "/khoan-" + m[1]
				anchor = clause
			} else if m := rePointLine.FindStringSubmatch(text); m != nil {
				label := m[1]
				if label == "đ" {
					label = "dd"
				}
				anchor = clause + "/diem-" + label
				point = true
			} else if len(out) > 0 {
				anchor = out[len(out)-1].anchor
				point = out[len(out)-1].point
			}
		}
		out = append(out, segment{anchor: anchor, start: start, end: end, point: point, clause: isClause})
	}
	return out
}

// sentenceEnd matches where a sentence ends inside a line.
var sentenceEnd = regexp.MustCompile(`[.;:!?]\s+`)

func splitSentences(text string, start, end int) [][2]int {
	var out [][2]int
	s := text[start:end]
	prev := 0
	for _, m := range sentenceEnd.FindAllStringIndex(s, -1) {
		// "01.01.2020", "5.000.000" have no space after the dot; "Điều 5. " splits, which is fine.
		out = append(out, [2]int{start + prev, start + m[0] + 1})
		prev = m[1]
	}
	if prev < len(s) {
		out = append(out, [2]int{start + prev, end})
	}
	return out
}

// extraction is the chosen span.
type extraction struct {
	hit       int
	anchor    string
	quote     string // the sentence or lines quoted
	short     string
	supported bool
	score     float64
	sentStart int
	sentEnd   int
}

// extract builds the extractive answer to q from hits.
func (s *Service) extract(ctx context.Context, q, query string, hits []retrieval.Hit) Answer {
	ans := Answer{Mode: "extractive", Query: query, Citations: []Citation{}}
	e := chooseSpan(q, query, hits)
	if !e.supported {
		ans.Text = NoSupportText
		return ans
	}
	h := hits[e.hit]
	anchor := s.checkAnchor(ctx, h, e.anchor)
	c := citationFor(1, h, anchor, e.quote)
	ans.Citations = []Citation{c}
	ans.Supported = true
	ans.Short = e.short
	ans.Text = composeText(e.short, c)
	return ans
}

// extractChoice builds the answer to a multiple-choice question: the key
// of the option chosen, and the sentence that supports it.
func (s *Service) extractChoice(ctx context.Context, q, query string, choices []Choice, hits []retrieval.Hit) Answer {
	ans := Answer{Mode: "extractive", Query: query, Citations: []Citation{}}
	o, e, ok := chooseOption(q, choices, hits)
	if !ok {
		ans.Text = NoSupportText
		return ans
	}
	h := hits[e.hit]
	c := citationFor(1, h, s.checkAnchor(ctx, h, e.anchor), e.quote)
	ans.Citations = []Citation{c}
	ans.Supported = true
	ans.Short = o.Key
	ans.Text = composeText(o.Key+". "+o.Text, c)
	return ans
}

// composeText writes the extractive answer: the direct answer, then the
// quote it comes from.
func composeText(short string, c Citation) string {
	var b strings.Builder
	short = strings.TrimSpace(short)
	quote := strings.TrimSpace(c.Quote)
	where := c.Label
	if c.Title != "" {
		where += " " + c.Title
	}
	if short != "" && short != quote {
		b.WriteString("Trả lời: ")
		b.WriteString(short)
		b.WriteString(" [1].\n\n")
	}
	b.WriteString("Theo ")
	b.WriteString(where)
	b.WriteString(": “")
	b.WriteString(quote)
	b.WriteString("” [1]")
	return b.String()
}

// checkAnchor keeps a clause or point anchor read from the text only when
// the document has it; without Documents it is trusted.
func (s *Service) checkAnchor(ctx context.Context, h retrieval.Hit, anchor string) string {
	if anchor == "" || anchor == h.Anchor || s.docs == nil {
		return anchor
	}
	d, err := s.docs.Get(ctx, h.DocID)
	if err != nil || d == nil || d.Find(anchor) == nil {
		return h.Anchor
	}
	return anchor
}

// chooseSpan ranks the sentences of the hits and picks the answer span.
func chooseSpan(q, query string, hits []retrieval.Hit) extraction {
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
	rk := rankSentences(pq, hits)
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
	if pq.kind == kindYesNo || pq.kind == kindTrueFalse {
		out.short = yesNoWord(pq, judgeStatement(pq, w, rk, chosen, hits))
	}
	if out.short == "" {
		out.short = out.quote
	}
	return out
}

// ranking is the retrieved passages cut into sentences, ranked against a
// question.
type ranking struct {
	sents []sentence
	segs  [][]segment // by hit
	w     map[string]float64
	order []int // indexes of sents, best first
}

// rankSentences cuts the hits into sentences and scores each against pq.
func rankSentences(pq *question, hits []retrieval.Hit) ranking {
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
		st.score = cover + 0.04*float64(min(bi, 8)) + readerWeights.Rank*rank - 0.03*float64(st.hit)
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
		st.score += readerWeights.Phrase * float64(min(runs[st.hit], 8))
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

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// followingPointsAt returns the byte range of the point lines that follow
// segment i (a lead-in ending with ":") in the passage.
func followingPointsAt(segs []segment, i int) (int, int, bool) {
	j := i + 1
	for j < len(segs) && segs[j].point {
		j++
	}
	if j == i+1 {
		// Clauses "1. …", "2. …" after an article's lead-in are a list too.
		for j < len(segs) && segs[j].clause {
			j++
		}
	}
	if j == i+1 {
		return 0, 0, false
	}
	return segs[i+1].start, segs[j-1].end, true
}

// reNumber matches the numbers answers are made of: "03 năm", "từ 06
// tháng đến 03 năm", "5.000.000 đồng", "05 ngày làm việc", "70%".
var reNumber = regexp.MustCompile(`(?i)(?:từ\s+)?\d[\d.,]*\s*(?:%|phần trăm|tuổi|năm|tháng|tuần|ngày làm việc|ngày|giờ|phút|lần|triệu đồng|tỷ đồng|đồng|người|cây|m2|km|ha)?(?:\s+(?:đến|tới|-)\s+(?:dưới\s+)?\d[\d.,]*\s*(?:%|tuổi|năm|tháng|tuần|ngày làm việc|ngày|giờ|phút|lần|triệu đồng|tỷ đồng|đồng|người)?)?(?:\s+(?:trở lên|trở xuống))?|(?i)\b(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\s+(?:hình phạt|lần|người|năm|tháng|ngày|loại)`)

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

// readerWeights weigh a sentence's evidence beyond its own words: Rank the
// passage's retrieval score relative to the first, Phrase each run of three
// question words its passage holds in one sentence (up to 8). Chosen with
// the reader harness (reader_harness_test.go) on alqac2022 and alqac2025
// together: Rank 0.4–1.0 and Phrase 0.03–0.08 score alike, 0.75 and 0.05
// are the middle. Only that test changes them.
var readerWeights = struct{ Rank, Phrase float64 }{Rank: 0.75, Phrase: 0.05}

// trigrams returns the runs of three terms, joined like corpus.Bigrams.
func trigrams(terms []string) []string {
	var out []string
	for i := 0; i+2 < len(terms); i++ {
		out = append(out, terms[i]+"_"+terms[i+1]+"_"+terms[i+2])
	}
	return out
}
