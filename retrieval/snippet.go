package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// Snippets: a passage's words around the query's, escaped, with the
// matches marked — from the memory snapshot's cached tokens when it holds
// the passage, else by reading its text.

// snippetTerms is the set of query terms snippets mark.
func snippetTerms(uni, bi []string) map[string]bool {
	terms := make(map[string]bool, len(uni)+len(bi))
	for _, t := range uni {
		terms[t] = true
	}
	for _, t := range bi {
		terms[t] = true
	}
	return terms
}

// snippeter makes the snippets of one query's terms: from the cached
// tokens of snapshot m (nil: none) when it holds the passage, else as
// Snippet does.
type snippeter struct {
	m     *memIndex
	terms map[string]bool
	set   *termSet // the terms by number, made when first needed
}

// of returns Snippet(h.Text, terms, max), reading the text if h left it
// unread.
func (s *snippeter) of(h *Hit, max int) string {
	text := h.text()
	if len(s.terms) == 0 {
		return snippetAround(text, nil, max) // nothing to mark: no need to read the words
	}
	p := s.m.tokensFor(h)
	if p == nil {
		return Snippet(text, s.terms, max)
	}
	if !s.set.covers(p) {
		s.set = s.m.words.snippetSet(s.terms)
	}
	return p.snippet(s.set, text, max)
}

// addSnippets makes the snippets of the hits returned, which the
// candidates were fetched without: from the cached tokens of snapshot m
// (nil: none) where it holds the passage.
func addSnippets(m *memIndex, hits []Hit, query *analysed) {
	var s *snippeter
	for i := range hits {
		if hits[i].Snippet != "" {
			continue
		}
		if s == nil {
			s = &snippeter{m: m, terms: query.snippetTerms()}
		}
		hits[i].Snippet = s.of(&hits[i], 240)
	}
}

// Snippet returns an HTML fragment of text around the words that match
// terms (folded syllables, and bigrams joined by "_"), escaped, with matches wrapped in <mark>. It shows at most about
// max characters, starting at the window with the most matches.
func Snippet(text string, terms map[string]bool, max int) string {
	toks := corpus.Tokenize(text)
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
	return snippetAround(text, hits, max)
}

// longerThan reports whether s has more than n runes (as
// utf8.RuneCountInString counts them), without counting past n.
func longerThan(s string, n int) bool {
	if len(s) <= n {
		return false
	}
	for range s {
		if n == 0 {
			return true
		}
		n--
	}
	return false
}

// span is a marked word of a snippet, as byte offsets.
type span struct{ start, end int }

// snippetAround makes the snippet of text given its marked words.
func snippetAround(text string, hits []span, max int) string {
	// Choose the window of max bytes-ish holding the most hits.
	from, to := 0, len(text)
	if longerThan(text, max) {
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
	// Escaped straight into b: a search makes ten snippets of a few dozen
	// pieces each, and a string for each piece added up.
	var b strings.Builder
	b.Grow(to - from + 64)
	if from > 0 {
		b.WriteString("… ")
	}
	pos := from
	for _, h := range hits {
		if h.start < from || h.end > to {
			continue
		}
		htmlEscaper.WriteString(&b, text[pos:h.start])
		b.WriteString("<mark>")
		htmlEscaper.WriteString(&b, text[h.start:h.end])
		b.WriteString("</mark>")
		pos = h.end
	}
	htmlEscaper.WriteString(&b, text[pos:to])
	if to < len(text) {
		b.WriteString(" …")
	}
	return b.String()
}

// snippetSet is the termSet of a snippet's terms.
func (v *vocab) snippetSet(terms map[string]bool) *termSet {
	return v.terms(func(yield func(string, int) bool) {
		for t, ok := range terms {
			if ok && !yield(t, 0) {
				return
			}
		}
	})
}

// snippet is Snippet(text, terms, max) from the passage's cached tokens,
// given the terms by number (a set that covers p); text is the passage's
// text.
func (p *passageTokens) snippet(ts *termSet, text string, max int) string {
	toks := p.toks[p.textTok:]
	marked := make([]bool, len(toks))
	pairs := false
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].word&gapSpace == 0 {
			continue
		}
		if _, ok := ts.pair(toks[i].id(), toks[i+1].id()); ok {
			marked[i], marked[i+1], pairs = true, true, true
		}
	}
	var hits []span
	for i, t := range toks {
		if !marked[i] {
			if pairs {
				continue
			}
			if _, ok := ts.word(t.id()); !ok {
				continue
			}
		}
		hits = append(hits, span{int(t.start - p.textStart), t.end(text, p.textStart)})
	}
	return snippetAround(text, hits, max)
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

// htmlEscaper escapes a snippet's text (and turns line breaks into spaces).
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "\n", " ")
