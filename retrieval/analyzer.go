package retrieval

import (
	"iter"
	"math"
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
// as the index holds them (viTokenizer). A search reads its query several
// times over; going through bleve's tokens, one allocation a term, and
// folding each word afresh (corpus.Tokenize) was a few percent of it, so
// the words come from corpus.Tokenize, which folds them the same way.
func queryTerms(q string) (unigrams, bigrams []string) {
	return termsOf(q, corpus.Tokenize(q), nil)
}

// termsOf is queryTerms of q from its tokens; when pairs is not nil, with
// room for one entry between each token and the next, it also sets the
// pairs as queryPairs returns them.
func termsOf(q string, toks []corpus.Token, pairs []string) (unigrams, bigrams []string) {
	if len(toks) == 0 {
		return nil, nil
	}
	unigrams = make([]string, len(toks))
	for i, t := range toks {
		unigrams[i] = t.Term
		if i+1 < len(toks) && onlySpace(q[t.End:toks[i+1].Start]) {
			bigrams = append(bigrams, t.Term+"_"+toks[i+1].Term)
			if pairs != nil {
				pairs[i] = bigrams[len(bigrams)-1]
			}
		}
	}
	return unigrams, bigrams
}

// analysed is a query read once. One search reads its query in several
// places — the keyword ranking, the laws it names, the glossary, the
// re-ranker's features, the snippets — and tokenizing it, folding its
// words and making its pairs in each was done four to seven times over;
// the search now reads it once and hands this on.
type analysed struct {
	text     string         // the query as read
	toks     []corpus.Token // corpus.Tokenize(text)
	uni, bi  []string       // queryTerms(text); not to be changed
	pairs    []string       // queryPairs(text); not to be changed
	snippets map[string]bool
}

// analyse reads a query.
func analyse(text string) *analysed {
	a := &analysed{text: text, toks: corpus.Tokenize(text)}
	if len(a.toks) >= 2 {
		a.pairs = make([]string, len(a.toks)-1)
	}
	a.uni, a.bi = termsOf(text, a.toks, a.pairs)
	return a
}

// analysedOf returns q's reading of text: the one q carries when it is of
// that text, else a new one.
func analysedOf(q Query, text string) *analysed {
	if q.analysed != nil && q.analysed.text == text {
		return q.analysed
	}
	return analyse(text)
}

// snippetTerms returns snippetTerms of the query's terms, made once.
func (a *analysed) snippetTerms() map[string]bool {
	if a.snippets == nil {
		a.snippets = snippetTerms(a.uni, a.bi)
	}
	return a.snippets
}

// dedupe returns ss without its repeats, in the order of their first
// occurrence; ss is left as it was.
func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// queryPairs returns the word pairs of a query in order, as queryTerms
// reads them, with "" between two words that make no pair (apart from
// more than white space): one entry between each word and the next.
func queryPairs(q string) []string {
	toks := corpus.Tokenize(q)
	if len(toks) < 2 {
		return nil
	}
	pairs := make([]string, len(toks)-1)
	for i, t := range toks[:len(toks)-1] {
		if onlySpace(q[t.End:toks[i+1].Start]) {
			pairs[i] = t.Term + "_" + toks[i+1].Term
		}
	}
	return pairs
}

// Cached tokens. Every search snippets the passages it returns and the
// re-ranker reads its candidates word by word; tokenizing those passages
// again each time (folding every word, then a map look-up per word) was
// nearly half of a re-ranked search. The keyword index's memory snapshot
// therefore keeps each passage's tokens once read (memIndex.tokensOf), in
// a compact form of 8 bytes a token: a word is a number in a vocabulary
// the snapshot shares, packed with its length and two facts about the gap
// after it, beside where it starts. Query terms become numbers too, so
// that matching a passage compares numbers rather than hashing strings.

// vocab numbers the folded words of a snapshot's passages. The zero value
// is empty and ready.
type vocab struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	words []string // by number; entries are never changed once added
}

// wordTok is a cached token: its word's number, with two facts about the
// gap up to the next token and its length, and the byte where it starts.
type wordTok struct {
	word  uint32 // gapSpace | gapBreak | length << lenShift | vocab number
	start uint32
}

const (
	gapSpace = 1 << 31 // only white space before the next token (onlySpace)
	gapBreak = 1 << 30 // the gap ends a clause (clauseBreak)
	// The token's length in bytes, 0 when longer than lenMax: then it is
	// found again (tokenEnd).
	lenShift = 22
	lenMax   = 1<<8 - 1
	wordMask = 1<<lenShift - 1 // the vocab number
)

func (t wordTok) id() uint32 { return t.word & wordMask }

// end returns where the token ends in s, given where s starts in the
// string the tokens were read from.
func (t wordTok) end(s string, base uint32) int {
	start := int(t.start - base)
	if n := int(t.word >> lenShift & lenMax); n > 0 {
		return start + n
	}
	return tokenEnd(s, start)
}

// passageTokens are the tokens of a passage as matchPassage reads it: its
// title, heading name and text joined by "\n", tokenized by
// corpus.Tokenize. The text's own tokens are the last ones, shifted by
// textStart.
type passageTokens struct {
	toks                 []wordTok
	headStart, textStart uint32 // where the heading name and the text start
	textTok              int    // the first token of the text
	vocabLen             int    // the vocabulary's size once they were read
}

// tokenize reads a passage into passageTokens, adding its words to the
// vocabulary; nil when it is too big for the compact form.
func (v *vocab) tokenize(title, headName, text string) *passageTokens {
	s := title + "\n" + headName + "\n" + text
	if int64(len(s)) > math.MaxUint32 {
		return nil
	}
	toks := corpus.Tokenize(s)
	p := &passageTokens{toks: make([]wordTok, len(toks)), headStart: uint32(len(title) + 1),
		textStart: uint32(len(title) + len(headName) + 2), textTok: len(toks)}
	for i, t := range toks {
		var w uint32
		if n := t.End - t.Start; n <= lenMax {
			w = uint32(n) << lenShift
		}
		if i+1 < len(toks) {
			gap := s[t.End:toks[i+1].Start]
			if onlySpace(gap) {
				w |= gapSpace
			}
			if clauseBreak(gap) {
				w |= gapBreak
			}
		}
		p.toks[i] = wordTok{word: w, start: uint32(t.Start)}
		if t.Start >= int(p.textStart) && i < p.textTok {
			p.textTok = i
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ids == nil {
		v.ids = map[string]uint32{}
	}
	for i, t := range toks {
		id, ok := v.ids[t.Term]
		if !ok {
			if len(v.words) > wordMask {
				return nil
			}
			// A word of plain ASCII is a piece of s: copied, so that the
			// vocabulary does not keep s.
			w := strings.Clone(t.Term)
			id = uint32(len(v.words))
			v.ids[w] = id
			v.words = append(v.words, w)
		}
		p.toks[i].word |= id
	}
	p.vocabLen = len(v.words)
	return p
}

// list returns the words by number as they are now: the words of every
// passage tokenized before the call.
func (v *vocab) list() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.words
}

// termSet is a set of query terms by vocab number: single words, and word
// pairs "a_b" by the numbers of a and b, each with a value (its place in
// the query). It holds only terms whose words the vocabulary had when it
// was made, which is enough for the passages read before (covers).
type termSet struct {
	vocabLen int       // the vocabulary's size then
	one, two termTable // words by number; pairs by the numbers of a and b
	// Most words of a passage are not query words: these bitmaps, by the
	// low bits of the number, answer most look-ups without the tables.
	maybeOne, maybeFirst [4]uint64
}

// terms makes the termSet of terms and their values. A pair is found by
// every split of a term at a "_": a token's word holding "_" itself (none
// does) would still be matched as the string it joins to.
func (v *vocab) terms(terms iter.Seq2[string, int]) *termSet {
	ts := &termSet{}
	var one, two []termEntry
	v.mu.RLock()
	defer v.mu.RUnlock()
	ts.vocabLen = len(v.words)
	for t, j := range terms {
		if id, ok := v.ids[t]; ok {
			one = append(one, termEntry{uint64(id), j})
			ts.maybeOne[id>>6&3] |= 1 << (id & 63)
		}
		for k := 0; k < len(t); k++ {
			if t[k] != '_' {
				continue
			}
			a, okA := v.ids[t[:k]]
			b, okB := v.ids[t[k+1:]]
			if okA && okB {
				two = append(two, termEntry{uint64(a)<<32 | uint64(b), j})
				ts.maybeFirst[a>>6&3] |= 1 << (a & 63)
			}
		}
	}
	ts.one, ts.two = newTermTable(one), newTermTable(two)
	return ts
}

// covers reports whether the set can be asked about the words of p.
func (ts *termSet) covers(p *passageTokens) bool { return ts != nil && ts.vocabLen >= p.vocabLen }

// word looks up a single word.
func (ts *termSet) word(id uint32) (int, bool) {
	if ts.maybeOne[id>>6&3]&(1<<(id&63)) == 0 {
		return 0, false
	}
	return ts.one.get(uint64(id))
}

// pair looks up the pair of words a, b ("a_b").
func (ts *termSet) pair(a, b uint32) (int, bool) {
	if ts.maybeFirst[a>>6&3]&(1<<(a&63)) == 0 {
		return 0, false
	}
	return ts.two.get(uint64(a)<<32 | uint64(b))
}

// termTable is a small open-addressing hash table from a number to a
// value: a query has a few dozen terms, and the re-ranker looks up every
// word of its candidates, for which a Go map's hashing cost more than
// the rest of the work.
type termTable struct {
	slots []termEntry // a power of two of them, at most half full
	used  []bool
}

type termEntry struct {
	key uint64
	val int
}

// newTermTable holds the entries; of equal keys, the last one counts.
func newTermTable(entries []termEntry) termTable {
	n := 8
	for n < 2*len(entries) {
		n *= 2
	}
	t := termTable{slots: make([]termEntry, n), used: make([]bool, n)}
	for _, e := range entries {
		i := t.slot(e.key)
		t.slots[i], t.used[i] = e, true
	}
	return t
}

// slot returns where key is, or the empty slot where it would go.
func (t *termTable) slot(key uint64) int {
	mask := len(t.slots) - 1
	i := int((key*0x9E3779B97F4A7C15)>>40) & mask
	for t.used[i] && t.slots[i].key != key {
		i = (i + 1) & mask
	}
	return i
}

func (t *termTable) get(key uint64) (int, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	i := t.slot(key)
	return t.slots[i].val, t.used[i]
}

// tokenEnd returns where the token starting at byte i of s ends: at the
// first byte that is not part of a word, as corpus.Tokenize reads words.
func tokenEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				i++
				continue
			}
			return i
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
			return i
		}
		i += size
	}
	return i
}
