package assistant

import (
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// The support decision: whether the passages the reader chose answer the
// question, or only share some of its words. The reader always finds a
// best sentence; a question about something the library does not hold
// ("mức lương cơ sở hiện nay", "giá vàng hôm nay") still shares a word or
// two with some passage. Evidence weighs what the question asks against
// what was found, and the answer is given only when it holds.

// Evidence is what the support decision weighed.
type Evidence struct {
	// Cover is the share of the question's weight (idf over the retrieved
	// sentences) the chosen sentence holds, with its lead-in and heading.
	Cover float64
	// Content is the share of the question's content words (function
	// words and the names of laws left out) the cited passage holds, in
	// its text, heading or title.
	Content float64
	// Missing counts the content words no retrieved passage holds.
	Missing int
	// Words counts the question's content words.
	Words int
	// NoArticle: the question names an article its law does not have
	// ("Điều 1000 Bộ luật Dân sự").
	NoArticle bool
	// BadYear: the question names a law of a year no law of the library
	// can have (before 1945, or to come).
	BadYear bool
	// Statement: the question is a statement to judge ("… đúng hay sai?").
	Statement bool
	// NoAmount: the question asks for an amount of money (lương, giá, phí,
	// bao nhiêu tiền) and the answer found states none: the passage names
	// the amount without giving it ("mười lần mức lương cơ sở").
	NoAmount bool
	// Pairs counts the question's adjacent content words ("chủ tịch",
	// "du học"), PairsHeld those the cited passage holds side by side:
	// syllables found apart ("chủ sở hữu … ủy ban") name something else.
	Pairs, PairsHeld int
}

// Thresholds of the support decision, chosen on eval/testdata/realq's
// everyday questions and held to the competition sets' answers, which
// must not be declined for want of them (EVAL.md, "Everyday questions").
const (
	minContent = 0.5  // share of the content words the cited passage holds
	maxMissing = 1    // content words found in no retrieved passage
	minCover   = 0.27 // the chosen sentence's share of the question's weight
	// A question of minPairs pairs of adjacent content words or more
	// wants minPairShare of them side by side in the cited passage.
	minPairs     = 4
	minPairShare = 0.25
)

// supported decides from the evidence.
func (ev Evidence) supported() bool {
	switch {
	case ev.NoArticle || ev.BadYear || ev.NoAmount:
		return false
	case ev.Statement:
		// A statement to judge true or false names what it claims, right
		// or wrong: the words a false one gets wrong are not in the
		// passage that refutes it. The reader's own threshold decides.
		return true
	case ev.Cover < minCover:
		return false
	case ev.Words == 0:
		return ev.Cover >= minCoverage
	}
	// Syllables of the question found apart, not as the compounds it
	// names: "học bổng du học Nhật Bản" is not answered by a passage
	// on "học bổng" whose "du", "nhật" and "bản" belong to other words.
	if ev.Pairs >= minPairs && float64(ev.PairsHeld) < minPairShare*float64(ev.Pairs) {
		return false
	}
	// Long questions written from the law often carry a typo or two: a
	// word no passage holds counts only when it is a good share of them.
	return ev.Content >= minContent && (ev.Missing <= maxMissing || 4*ev.Missing <= ev.Words)
}

// grounded decides for a language model, which reads every retrieved
// passage rather than one sentence: the question names nothing the
// library lacks (an article, a year), and the passages hold its content
// words but for a typo's worth. The reader's cover of one sentence, and
// the amount it failed to find, are the extractive answer's own limits.
func (ev Evidence) grounded() bool {
	switch {
	case ev.NoArticle || ev.BadYear:
		return false
	case ev.Words == 0:
		return true
	}
	return ev.Missing <= maxMissing || 4*ev.Missing <= ev.Words
}

// fillers are words of everyday questions that ask rather than say what
// about ("hiện nay", "muốn", "cần"), in the form of stopWords.
var fillers = []string{"hiện", "nay", "hôm", "muốn", "cần", "làm", "nào", "gì", "không", "thế", "nói", "xin",
	"tôi", "mình", "em", "anh", "chị", "ạ", "nhé", "vậy", "rồi", "lại", "thì", "mà", "hỏi", "cho", "biết", "ơi"}

var filler = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range fillers {
		t := corpus.Tokenize(w)[0]
		m[key(w, t, true)] = true
	}
	return m
}()

// contentWords returns the question's content keys, each once.
func contentWords(pq *question) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range pq.terms {
		if seen[t] || isStop(t) || filler[t] || pq.frame[t] || utf8.RuneCountInString(t) < 2 && !isDigits(t) {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// hitKeys are the matching keys of a hit's title, heading and text.
func hitKeys(h retrieval.Hit, accent bool) map[string]bool {
	m := map[string]bool{}
	for _, s := range []string{h.Title, h.Heading, h.Text} {
		for _, t := range corpus.Tokenize(s) {
			m[key(s, t, accent)] = true
		}
	}
	return m
}

// evidence gathers the evidence for the extraction e of q from hits.
func evidence(q string, e extraction, hits []retrieval.Hit, absent bool) Evidence {
	pq := parseQuestion(q)
	ev := Evidence{Cover: e.cover, NoArticle: absent, BadYear: impossibleYear(q)}
	ev.NoAmount = e.supported && asksMoney(pq, q) && !reAmount.MatchString(e.short)
	ev.Statement = pq.kind == kindTrueFalse
	words := contentWords(pq)
	ev.Words = len(words)
	if len(words) == 0 || len(hits) == 0 {
		return ev
	}
	keys := make([]map[string]bool, len(hits))
	for i, h := range hits {
		keys[i] = hitKeys(h, pq.accent)
	}
	held := 0
	for _, w := range words {
		if e.supported && keys[e.hit][w] {
			held++
		}
		found := false
		for _, k := range keys {
			if k[w] {
				found = true
				break
			}
		}
		if !found {
			ev.Missing++
		}
	}
	ev.Content = float64(held) / float64(len(words))
	if e.supported {
		ev.Pairs, ev.PairsHeld = pairsHeld(pq, hits[e.hit])
	}
	return ev
}

// contentPairs are the question's adjacent pairs of content words, the
// compounds its meaning rests on ("chủ tịch", "học bổng", "du học").
func contentPairs(pq *question) []string {
	var out []string
	seen := map[string]bool{}
	content := func(t string) bool {
		return !(isStop(t) || filler[t] || pq.frame[t] || utf8.RuneCountInString(t) < 2 && !isDigits(t))
	}
	for i := 0; i+1 < len(pq.terms); i++ {
		a, b := pq.terms[i], pq.terms[i+1]
		if !content(a) || !content(b) {
			continue
		}
		if p := a + "_" + b; !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// pairsHeld counts the question's content pairs and those the hit holds
// side by side, in its title, heading or text.
func pairsHeld(pq *question, h retrieval.Hit) (pairs, held int) {
	ps := contentPairs(pq)
	if len(ps) == 0 {
		return 0, 0
	}
	have := map[string]bool{}
	for _, s := range []string{h.Title, h.Heading, h.Text} {
		toks := corpus.Tokenize(s)
		for i := 0; i+1 < len(toks); i++ {
			have[key(s, toks[i], pq.accent)+"_"+key(s, toks[i+1], pq.accent)] = true
		}
	}
	for _, p := range ps {
		if have[p] {
			held++
		}
	}
	return len(ps), held
}

// reLawOfYear finds a year written after the name of a legal act, in
// folded text, any four digits: corpus's own pattern reads only years a
// law can have.
var reLawOfYear = regexp.MustCompile(`\b(?:luat|hien phap|phap lenh|nghi dinh|thong tu)(?:\s+\pL+){0,8}?\s+(?:nam\s+)?(\d{4})\b`)

// impossibleYear reports whether q names a law of a year no law of the
// library can have: before the 1946 constitution's state, or to come.
func impossibleYear(q string) bool {
	for _, m := range reLawOfYear.FindAllStringSubmatch(corpus.Fold(q), -1) {
		y, _ := strconv.Atoi(m[1])
		if y < 1945 || y > time.Now().Year()+1 {
			return true
		}
	}
	return false
}

// reMoneySubject finds, in a folded question, what names an amount of
// money: "mức lương", "học phí", "lệ phí", "giá vé", "tỷ giá", "mức
// phạt"; "giá trị" names no amount asked.
var reMoneySubject = regexp.MustCompile(`\b(?:muc luong|luong co so|luong toi thieu|hoc phi|le phi|muc phi|muc phat|ty gia|gia (?:vang|ve|xang|dien|nha|dat))\b`)

// reAmount finds an amount of money or a share in an answer.
var reAmount = regexp.MustCompile(`(?i)\d[\d.,]*\s*(?:đồng|triệu|tỷ|%)|phần trăm|đồng`)

// asksMoney reports whether a number question asks for an amount of
// money: "bao nhiêu tiền", or "là bao nhiêu" of a money subject with no
// other unit asked.
func asksMoney(pq *question, q string) bool {
	if pq.kind != kindNumber {
		return false
	}
	// "giá vàng bao nhiêu một chỉ": "một" counts, it is no unit.
	unit := pq.unit
	if unit == "mot" {
		unit = ""
	}
	return unit == "tien" || unit == "dong" || unit == "" && reMoneySubject.MatchString(corpus.Fold(q))
}
