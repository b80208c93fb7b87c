package assistant

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/mattranso/mattranso/corpus"
)

// Question analysis: what a question asks for (its kind), its words as
// matching keys, and the words that frame it.

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
				if lower[i+k] != word && (p.accent || p.fterms[i+k] != corpus.Fold(word)) {
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
