package retrieval

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"

	"github.com/mattranso/mattranso/corpus"
)

// AnalyzerName is the bleve analyzer for Vietnamese text: NFC, folded
// syllables (diacritics removed, đ → d, i/y spelling evened out), plus
// syllable bigrams joined by "_" so that compound words match as units.
// Bigrams never cross punctuation, so a sentence end does not glue two
// unrelated words together.
const AnalyzerName = "vi"

func init() {
	registry.RegisterTokenizer(AnalyzerName, func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
		return viTokenizer{}, nil
	})
	registry.RegisterAnalyzer(AnalyzerName, func(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
		tok, err := cache.TokenizerNamed(AnalyzerName)
		if err != nil {
			return nil, err
		}
		return &analysis.DefaultAnalyzer{Tokenizer: tok}, nil
	})
}

type viTokenizer struct{}

func (viTokenizer) Tokenize(input []byte) analysis.TokenStream {
	s := string(input)
	toks := corpus.Tokenize(s)
	out := make(analysis.TokenStream, 0, 2*len(toks))
	for i, t := range toks {
		out = append(out, &analysis.Token{
			Term: []byte(t.Term), Start: t.Start, End: t.End,
			Position: i + 1, Type: analysis.AlphaNumeric,
		})
		if i+1 < len(toks) && onlySpace(s[t.End:toks[i+1].Start]) {
			n := toks[i+1]
			out = append(out, &analysis.Token{
				Term: []byte(t.Term + "_" + n.Term), Start: t.Start, End: n.End,
				Position: i + 1, Type: analysis.Shingle,
			})
		}
	}
	return out
}

func onlySpace(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// queryTerms returns the analysed terms of a query: unigrams and bigrams,
// as the index holds them.
func queryTerms(q string) (unigrams, bigrams []string) {
	for _, t := range (viTokenizer{}).Tokenize([]byte(q)) {
		if t.Type == analysis.Shingle {
			bigrams = append(bigrams, string(t.Term))
		} else {
			unigrams = append(unigrams, string(t.Term))
		}
	}
	return unigrams, bigrams
}

// Snippet returns an HTML fragment of text around the words that match
// terms (folded syllables, and bigrams joined by "_"), escaped, with matches wrapped in <mark>. It shows at most about
// max characters, starting at the window with the most matches.
func Snippet(text string, terms map[string]bool, max int) string {
	toks := snippetTokens(text)
	type span struct{ start, end int }
	// Words matched as a pair ("tử sỹ" for "tu si") are marked in
	// preference to single syllables, which match far too widely in
	// Vietnamese ("tu" is also tù, tự, từ…); single syllables are marked
	// only when no pair matches.
	marked := make([]bool, len(toks))
	pairs := false
	var pair []byte
	for i := 0; i+1 < len(toks); i++ {
		pair = append(append(append(pair[:0], toks[i].Term...), '_'), toks[i+1].Term...)
		if terms[string(pair)] && onlySpace(text[toks[i].End:toks[i+1].Start]) {
			marked[i], marked[i+1], pairs = true, true, true
		}
	}
	var hits []span
	for i, t := range toks {
		if marked[i] || (!pairs && terms[t.Term]) {
			hits = append(hits, span{t.Start, t.End})
		}
	}
	// Choose the window of max bytes-ish holding the most hits.
	from, to := 0, len(text)
	if utf8.RuneCountInString(text) > max {
		best, bestStart := -1, 0
		j := 0
		for i := range hits {
			for j < len(hits) && hits[j].end-hits[i].start <= max*2 {
				j++
			}
			if j-i > best {
				best, bestStart = j-i, hits[i].start
			}
		}
		from = bestStart
		// Step back to show a little context before the first match.
		back := 0
		for from > 0 && back < max/5 {
			_, size := utf8.DecodeLastRuneInString(text[:from])
			from -= size
			back++
		}
		from = wordStart(text, from)
		to = from
		for n := 0; to < len(text) && n < max; n++ {
			_, size := utf8.DecodeRuneInString(text[to:])
			to += size
		}
		to = wordEnd(text, to)
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	pos := from
	for _, h := range hits {
		if h.start < from || h.end > to {
			continue
		}
		b.WriteString(escape(text[pos:h.start]))
		b.WriteString("<mark>")
		b.WriteString(escape(text[h.start:h.end]))
		b.WriteString("</mark>")
		pos = h.end
	}
	b.WriteString(escape(text[pos:to]))
	if to < len(text) {
		b.WriteString(" …")
	}
	return b.String()
}

// snippetTokens is corpus.Tokenize, faster: a snippet tokenizes whole
// passages for every search, and folding each word (NFD, then dropping
// marks) was most of a search's time. Words of plain ASCII are folded in
// place; others are folded once and remembered (foldCache).
func snippetTokens(s string) []corpus.Token {
	toks := make([]corpus.Token, 0, len(s)/6)
	start := -1
	ascii := true
	flush := func(end int) {
		if start < 0 {
			return
		}
		if t := foldWord(s[start:end], ascii); t != "" {
			toks = append(toks, corpus.Token{Term: t, Start: start, End: end})
		}
		start, ascii = -1, true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				if start < 0 {
					start = i
				}
			} else {
				flush(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			ascii = false
		} else {
			flush(i)
		}
		i += size
	}
	flush(len(s))
	return toks
}

// foldWord is corpus.FoldSyllable.
func foldWord(w string, ascii bool) string {
	if !ascii {
		return foldCache.fold(w)
	}
	f := w
	for i := 0; i < len(w); i++ {
		if 'A' <= w[i] && w[i] <= 'Z' {
			f = strings.ToLower(w)
			break
		}
	}
	return corpus.EvenSpelling(f)
}

// foldCache remembers the folded form of words with diacritics. The
// library's vocabulary is small; the cap keeps odd input from growing it
// without end.
var foldCache = newFoldMemo(1 << 14)

type foldMemo struct {
	perShard int
	shards   [32]struct {
		sync.RWMutex
		m map[string]string
	}
}

func newFoldMemo(perShard int) *foldMemo {
	f := &foldMemo{perShard: perShard}
	for i := range f.shards {
		f.shards[i].m = map[string]string{}
	}
	return f
}

func (f *foldMemo) fold(w string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(w); i++ {
		h = (h ^ uint32(w[i])) * 16777619
	}
	sh := &f.shards[h%uint32(len(f.shards))]
	sh.RLock()
	t, ok := sh.m[w]
	sh.RUnlock()
	if ok {
		return t
	}
	t = corpus.FoldSyllable(w)
	sh.Lock()
	if len(sh.m) < f.perShard {
		sh.m[strings.Clone(w)] = t
	}
	sh.Unlock()
	return t
}

func wordStart(s string, i int) int {
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if unicode.IsSpace(r) {
			break
		}
		i -= size
	}
	return i
}

func wordEnd(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "\n", " ")

func escape(s string) string { return htmlEscaper.Replace(s) }
