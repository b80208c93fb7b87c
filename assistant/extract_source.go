package assistant

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// A question often names the law it asks about: "Theo Bộ luật Dân sự 2015,
// lợi tức được hiểu như thế nào?". Those words name the source, not what
// is asked, and the passage that answers rarely repeats them: a sentence
// of the Civil Code does not say "Bộ luật Dân sự 2015". Counted like the
// rest of the question they would make the answering sentence look as if
// it missed much of the question, and the answer unsupported. They are
// down-weighted instead, like function words.

// lawTriggers open the name of a legal act, as folded syllables (a
// question typed without diacritics names laws too); the first must be
// written with a capital ("Luật Cư trú", not "luật sư").
var lawTriggers = [][]string{
	{"bo", "luat"},
	{"hien", "phap"},
	{"phap", "lenh"},
	{"nghi", "dinh"},
	{"thong", "tu"},
	{"luat"},
}

// nameEnds are the syllables that end a law's name: the verbs and
// connectives that follow it in a question ("Luật Cư trú quy định…",
// "Bộ luật Lao động có…"), in lower case with their diacritics: folded,
// "mà" would end "Phòng, chống ma túy".
var nameEnds = setOf("quy", "thì", "có", "được", "về", "là", "đối", "khi", "nếu", "cho", "trong", "của", "hiện",
	"hành", "mới", "không", "phải", "nào", "gì", "bao", "như", "đã", "sẽ", "này", "đó", "số", "năm", "sửa",
	"ban", "hướng", "tại", "theo", "thế", "ra", "nêu", "gồm", "với", "để", "ai", "đâu", "mà", "thuộc", "áp")

// foldedEnds are nameEnds for a question typed without diacritics.
var foldedEnds = func() map[string]bool {
	m := map[string]bool{}
	for w := range nameEnds {
		m[corpus.Fold(w)] = true
	}
	return m
}()

// maxNameWords bounds a law's name after its opening words ("Phòng,
// chống bạo lực gia đình" is five).
const maxNameWords = 7

// sourceWords marks as frame the syllables of the names of laws the
// question gives ("Bộ luật Dân sự năm 2015").
func sourceWords(p *question, q string, toks []corpus.Token, lower []string) {
	folded := p.fterms
	ends := func(i int) bool { return p.accent && nameEnds[lower[i]] || !p.accent && foldedEnds[folded[i]] }
	in := make([]bool, len(toks))
	for i := 0; i < len(toks); i++ {
		n := triggerAt(q, toks, folded, i)
		if n == 0 {
			continue
		}
		end := i + n
		// Hiến pháp has no name after it; the others need one, starting
		// with a capital ("Luật Đất đai").
		if folded[i] != "hien" {
			if end >= len(toks) || !capitalised(q[toks[end].Start:toks[end].End]) || breaks(q, toks, end) {
				continue
			}
			end++
			for end < len(toks) && end-(i+n) < maxNameWords && !ends(end) && !breaks(q, toks, end) && !isYear(folded[end]) {
				end++
			}
		}
		// The year, as "2015" or "năm 2015".
		if end < len(toks) && !breaks(q, toks, end) {
			if isYear(folded[end]) {
				end++
			} else if folded[end] == "nam" && end+1 < len(toks) && isYear(folded[end+1]) && !breaks(q, toks, end+1) {
				end += 2
			}
		}
		for k := i; k < end; k++ {
			in[k] = true
		}
		i = end - 1
	}
	markFrame(p, in)
}

// markFrame puts in p.frame the keys of the syllables marked in, unless
// they also occur unmarked: a word the question uses for its content
// keeps its weight.
func markFrame(p *question, in []bool) {
	outside := map[string]bool{}
	for i, t := range p.terms {
		if !in[i] {
			outside[t] = true
		}
	}
	for i, t := range p.terms {
		if in[i] && !outside[t] {
			if p.frame == nil {
				p.frame = map[string]bool{}
			}
			p.frame[t] = true
		}
	}
}

// triggerAt returns how many syllables of a law's opening words start at
// token i, or 0; folded are the question's folded syllables.
func triggerAt(q string, toks []corpus.Token, folded []string, i int) int {
	if !capitalised(q[toks[i].Start:toks[i].End]) {
		return 0
	}
	for _, tr := range lawTriggers {
		if i+len(tr) > len(toks) {
			continue
		}
		ok := true
		for k, w := range tr {
			if folded[i+k] != w || k > 0 && breaks(q, toks, i+k) {
				ok = false
				break
			}
		}
		if ok {
			return len(tr)
		}
	}
	return 0
}

// breaks reports whether punctuation separates token i from the one
// before it. A comma inside "Phòng, chống" does not.
func breaks(q string, toks []corpus.Token, i int) bool {
	if i == 0 {
		return true
	}
	gap := q[toks[i-1].End:toks[i].Start]
	if strings.TrimSpace(gap) == "," && strings.EqualFold(q[toks[i].Start:toks[i].End], "chống") {
		return false
	}
	return strings.TrimSpace(gap) != ""
}

func capitalised(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// isYear reports whether a syllable is a year a law could carry.
func isYear(s string) bool {
	return len(s) == 4 && isDigits(s) && (s[:2] == "19" || s[:2] == "20")
}
