package assistant

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// This file holds the answer shapes that follow from the form of a
// question rather than from its question word alone: a penalty, the term
// a definition defines, a definition quoted whole, the lead-in a point
// depends on, and the trimming that keeps a span from starting or ending
// on a function word.

// howNouns are the nouns before "gì" whose answer is a whole predicate:
// "có quyền gì", "có nghĩa vụ gì", "phải làm gì".
var howNouns = setOf("làm", "quyền", "vụ", "nhiệm", "kiện")

// refineKind recognises the question forms whose answer has a known shape.
func refineKind(p *question, lower []string, fq string) {
	if p.kind == kindTrueFalse || p.kind == kindYesNo || p.kind == kindNumber || p.kind == kindTime {
		return
	}
	wh := p.whStart
	if wh >= 0 {
		// "bị phạt như thế nào", "bị hình phạt nào", "hình phạt cao nhất là gì".
		for i := max(0, wh-4); i < wh; i++ {
			if p.fterms[i] == "phat" {
				p.kind = kindPenalty
				return
			}
		}
		if wh >= 1 && lower[wh-1] == "gọi" && (lower[wh] == "là" || lower[wh] == "gì") {
			p.kind = kindTerm
			return
		}
	}
	// "X được hiểu như thế nào", "định nghĩa của X", "quy định thế nào
	// về X": the defining sentence is the answer.
	form := -1
	for i := 0; i+1 < len(p.fterms); i++ {
		switch p.fterms[i] + " " + p.fterms[i+1] {
		case "duoc hieu", "dinh nghia":
			form = i
		case "the nao", "nhu nao":
			if i >= 2 && p.fterms[i-2] == "quy" && p.fterms[i-1] == "dinh" || i >= 3 && p.fterms[i-3] == "quy" && p.fterms[i-2] == "dinh" {
				form = i
			}
		}
	}
	if form >= 0 {
		var subj []string
		for i := form + 2; i < len(p.fterms); i++ {
			if p.fterms[i] == "ve" || p.fterms[i] == "cua" {
				subj = p.terms[i+1:]
				break
			}
		}
		if subj == nil && p.fterms[form] == "duoc" {
			subj = p.terms[max(0, form-4):form]
		}
		if len(subj) > 0 {
			p.kind = kindDefinition
			p.whole = true
			// The words asking for the meaning frame the question.
			in := make([]bool, len(p.terms))
			in[form], in[form+1] = true, true
			for _, at := range []int{form - 2, form - 3} { // "quy định (như) thế nào"
				if at >= 0 && p.fterms[at] == "quy" && p.fterms[at+1] == "dinh" {
					in[at], in[at+1] = true, true
				}
			}
			markFrame(p, in)
			p.subject = map[string]bool{}
			for _, t := range subj {
				if !isStop(t) {
					p.subject[t] = true
				}
			}
			// The term's last word ends the defined phrase before "là" even
			// when it is a function word: "tài sản hiện có là …".
			p.subject[subj[len(subj)-1]] = true
			return
		}
	}
	if wh >= 1 && lower[wh] == "gì" && howNouns[lower[wh-1]] {
		p.kind = kindHow
		if lower[wh-1] != "làm" {
			p.neutral[p.terms[wh-1]] = true
			if wh >= 2 && (lower[wh-1] == "vụ" || lower[wh-1] == "nhiệm" || lower[wh-1] == "kiện") {
				p.neutral[p.terms[wh-2]] = true
			}
		}
	}
}

// rePenalty finds where a penalty is stated: "phạt tù từ 01 năm đến 05
// năm", "phạt tiền…", "cải tạo không giam giữ…", "tù chung thân", "tử hình".
var rePenalty = regexp.MustCompile(`(?i)phạt\s+(?:tù|tiền|cải tạo|cảnh cáo)|cảnh cáo|cải tạo không giam giữ|tù chung thân|tử hình|trục xuất`)

// penaltySpan returns the penalty stated in text[start:end], up to the
// end of the sentence; asked for the highest (lowest) penalty, only the
// last (first) of the alternatives.
func penaltySpan(pq *question, text string, start, end int) (string, bool) {
	s := text[start:end]
	var loc []int
	for _, l := range rePenalty.FindAllStringIndex(s, -1) {
		// A penalty the question names ("hình phạt tử hình được chuyển
		// thành hình phạt gì") is not its answer.
		if !strings.Contains(pq.text, strings.ToLower(s[l[0]:l[1]])) {
			loc = l
			break
		}
	}
	if loc == nil {
		return "", false
	}
	p := strings.TrimRight(strings.TrimSpace(s[loc[0]:]), ".;:,")
	if pq.upper || pq.lower {
		alts := reAlternative.Split(p, -1)
		if pq.upper {
			p = alts[len(alts)-1]
		} else {
			p = alts[0]
		}
	}
	return strings.TrimSpace(p), true
}

var reAlternative = regexp.MustCompile(`,\s+|\s+hoặc\s+`)

// leadSpan answers from the lead-in of st: a point ("a) Đối với 02
// thương binh…") states a case and its lead-in ("Phạm tội thuộc một trong
// các trường hợp sau đây, thì bị phạt tù từ 03 năm đến 10 năm:") what
// follows from it. It is tried when the point itself does not hold the
// answer's shape.
func leadSpan(pq *question, w map[string]float64, text string, st, lead sentence) (string, float64, bool) {
	switch pq.kind {
	case kindNumber:
		if s, sc, ok := numberSpan(pq, w, text, lead); ok {
			return s, sc - 0.3, true
		}
	case kindPenalty:
		if s, ok := penaltySpan(pq, text, lead.start, lead.end); ok {
			return s, 1, true
		}
	case kindAgent:
		// The lead-in names who carries the duties its points list.
		if s, sc := span(pq, w, text, lead, nil); sc > 0 {
			return s, sc - 0.2, true
		}
	}
	return "", 0, false
}

// leadOf returns the index of the lead-in sentence of sentence i among
// sents (the last sentence, ending with ":", of the line that opens the
// list i belongs to), or -1.
func leadOf(sents []sentence, segs []segment, i int) int {
	st := sents[i]
	if st.segment == 0 {
		return -1
	}
	g := segs[st.segment]
	want := -1
	for k := st.segment - 1; k >= 0; k-- {
		if g.point && !segs[k].point || !g.point && k == 0 && !segs[k].point {
			want = k
			break
		}
	}
	if want < 0 {
		return -1
	}
	for j := i - 1; j >= 0 && sents[j].hit == st.hit; j-- {
		if sents[j].segment == want {
			if sents[j].listLead {
				return j
			}
			return -1
		}
	}
	return -1
}

// leadWords are the function words a short answer neither starts nor ends
// with: "về Nhà nước" answers "thuộc về ai" as "Nhà nước".
var (
	leadWords  = setOf("về", "vào", "với", "là", "thì", "và", "hoặc", "của", "bởi", "mà")
	trailWords = setOf("thì", "và", "hoặc", "của", "có", "là", "được", "phải", "mà", "nếu", "khi", "với", "về", "cho",
		"tại", "từ", "đã", "bị", "do", "theo", "trong", "để", "sau", "như", "đối", "các", "những", "một")
)

// trimSpan narrows toks[i:j] so that it neither starts nor ends with a
// function word, keeping at least one token.
func trimSpan(text string, toks []corpus.Token, i, j int) (int, int) {
	low := func(k int) string { return strings.ToLower(text[toks[k].Start:toks[k].End]) }
	for j-i > 1 {
		w := low(i)
		if leadWords[w] {
			i++
			continue
		}
		break
	}
	for j-i > 1 && trailWords[low(j-1)] {
		j--
	}
	return i, j
}

// reLineLabel is the numbering that opens a clause or point line.
var reLineLabel = regexp.MustCompile(`^(?:\d+\.|[a-zđ]\))\s+`)

// wholeSentence is a sentence quoted as an answer, without its line label.
func wholeSentence(text string, st sentence) string {
	s := strings.TrimSpace(text[st.start:st.end])
	return strings.TrimSpace(reLineLabel.ReplaceAllString(s, ""))
}

// termSpan answers "… được gọi là gì" from a defining sentence: the
// term before its first "là" ("Chiếm hữu là việc…" → "Chiếm hữu").
func termSpan(text string, st sentence) (string, float64, bool) {
	for k, t := range st.toks {
		if k >= 12 {
			break
		}
		if k > 0 && strings.ToLower(text[t.Start:t.End]) == "là" {
			s := strings.TrimSpace(reLineLabel.ReplaceAllString(strings.TrimSpace(text[st.start:st.toks[k-1].End]), ""))
			return s, 1.2 - 0.05*math.Max(0, float64(k-4)), true
		}
	}
	return "", 0, false
}

// namedItems recognises a question that names some items of a list and
// asks for another: "… bao gồm quyền chiếm hữu, quyền sử dụng và quyền
// nào?", "Ngoài A, B còn bao gồm gì?".
func namedItems(p *question, q string, toks []corpus.Token, lower []string) {
	wh := p.whStart
	if wh < 2 {
		return
	}
	switch lower[wh] {
	case "nào":
		// "… và quyền nào", "…, quyền nào": the noun is joined to items
		// the question has just listed.
		before := q[toks[wh-2].End:toks[wh-1].Start]
		if lower[wh-2] == "và" || lower[wh-2] == "hoặc" || strings.Contains(before, ",") {
			p.others, p.item = true, p.terms[wh-1]
		}
	case "gì":
		if lower[0] == "ngoài" && slices.Contains(lower[1:wh], "còn") {
			p.others = true
		}
	}
}

// reItemSep separates the items of a list written inside a sentence.
var reItemSep = regexp.MustCompile(`,\s+|;\s+|\s+và\s+|\s+hoặc\s+`)

// otherItem answers a question that names some items of a list with the
// item it leaves out: the list is the points st leads in to or belongs
// to, else the items of st itself. It fails unless the question names
// at least one of the items and leaves one out.
func otherItem(pq *question, text string, st sentence, sents []sentence, segs []segment) (string, bool) {
	var items []string
	lead := -1
	switch {
	case st.listLead:
		lead = st.segment
	case st.lead >= 0:
		lead = sents[st.lead].segment
	}
	if lead >= 0 {
		for k := lead + 1; k < len(segs) && segs[k].point; k++ {
			items = append(items, wholeSentence(text, sentence{start: segs[k].start, end: segs[k].end}))
		}
	} else {
		for _, piece := range reItemSep.Split(strings.TrimSpace(text[st.start:st.end]), -1) {
			if pq.item != "" {
				// An item starts at its noun: "Quyền sở hữu bao gồm
				// quyền chiếm hữu" holds the item "quyền chiếm hữu".
				toks := corpus.Tokenize(piece)
				at := -1
				for k, t := range toks {
					if key(piece, t, pq.accent) == pq.item {
						at = k
					}
				}
				if at < 0 {
					continue
				}
				piece = piece[toks[at].Start:]
			}
			items = append(items, piece)
		}
	}
	if len(items) < 2 {
		return "", false
	}
	best, bestCov, named := "", math.Inf(1), false
	for _, it := range items {
		it = strings.TrimRight(strings.TrimSpace(it), ".;:,")
		// A syllable of the item is named when the question has it next
		// to the same neighbour: "sở hữu" does not name "quyền chiếm hữu".
		toks := corpus.Tokenize(it)
		keys := make([]string, len(toks))
		for k, t := range toks {
			keys[k] = key(it, t, pq.accent)
		}
		var n, shared float64
		for k, t := range keys {
			if isStop(t) || t == pq.item {
				continue
			}
			n++
			if k > 0 && pq.bigrams[keys[k-1]+"_"+t] || k+1 < len(keys) && pq.bigrams[t+"_"+keys[k+1]] {
				shared++
			}
		}
		if n == 0 {
			continue
		}
		cov := shared / n
		if cov >= 0.6 {
			named = true
		}
		if cov < bestCov {
			best, bestCov = it, cov
		}
	}
	if !named || bestCov >= 0.5 {
		return "", false
	}
	return best, true
}

// unbindStrays clears the matches that are syllables of another word: a
// question syllable glued in the sentence to a content syllable that
// matches nothing, and next to none of its neighbours in the question, is
// part of a longer unit there ("an" of "an ninh" in "Bộ Công an", "hành"
// of "hành vi" in "người thực hành", "tỉnh" in "cấp tỉnh"). A span
// boundary falls only at matched syllables, so a stray one would cut the
// answer inside a name. Next to a function word ("các bên") or to another
// match ("bên thỏa thuận") a syllable stays a word of its own.
func unbindStrays(pq *question, text string, toks []corpus.Token, matched []bool) {
	m := len(toks)
	glued := func(i int) bool { // tokens i-1 and i are one run of words
		return i > 0 && i < m && strings.TrimSpace(text[toks[i-1].End:toks[i].Start]) == ""
	}
	unit := func(k int) bool { // toks[k] can be the other half of a unit
		w := strings.ToLower(text[toks[k].Start:toks[k].End])
		return !matched[k] && !leadWords[w] && !trailWords[w] && !isDigits(toks[k].Term)
	}
	stray := make([]bool, m)
	for i := range toks {
		if !matched[i] {
			continue
		}
		before, after := glued(i), glued(i+1)
		if before && pq.bigrams[toks[i-1].Term+"_"+toks[i].Term] || after && pq.bigrams[toks[i].Term+"_"+toks[i+1].Term] {
			continue
		}
		stray[i] = before && unit(i-1) || after && unit(i+1)
	}
	for i, s := range stray {
		if s {
			matched[i] = false
		}
	}
}

// caseNouns are the last syllables of the nouns that name the cases a
// rule applies in: "trường hợp", "điều kiện".
var caseNouns = setOf("hop", "kien")

// leadsInTo reports whether lead-in st announces the things the question
// asks for: "… trong trường hợp nào?" is answered by the points of "…
// trong trường hợp sau đây:", "… có quyền gì?" by those of "… có các
// quyền sau đây:".
func leadsInTo(pq *question, st sentence) bool {
	if pq.whStart < 1 || pq.kind == kindNumber || pq.kind == kindYesNo || pq.kind == kindTrueFalse {
		return false
	}
	switch pq.fterms[pq.whStart] {
	case "nao", "gi":
	default:
		return false
	}
	toks := st.toks
	n := len(toks)
	if n < 3 || corpus.Fold(toks[n-2].Term) != "sau" || corpus.Fold(toks[n-1].Term) != "day" {
		return false
	}
	asked, named := pq.fterms[pq.whStart-1], corpus.Fold(toks[n-3].Term)
	return asked == named || caseNouns[asked] && caseNouns[named]
}

// coveredElsewhere reports whether a sentence that is not read with
// sentence i holds more of the question than i does.
func coveredElsewhere(sents []sentence, i int) bool {
	for j, st := range sents {
		if j != i && st.lead != i && st.cover > sents[i].cover+0.05 {
			return true
		}
	}
	return false
}
