package retrieval

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// features computes the re-ranking features of the first n fused
// passages; defines maps a passage to the phrase of the query it defines.
func (h *Hybrid) features(ctx context.Context, query string, fused []fusedHit, n int, defines map[string][]string) ([]Candidate, error) {
	return h.featuresOf(ctx, analyse(query), fused, n, defines)
}

// featuresOf is features of a query read already.
func (h *Hybrid) featuresOf(ctx context.Context, query *analysed, fused []fusedHit, n int, defines map[string][]string) ([]Candidate, error) {
	qu, qb := dedupe(query.uni), dedupe(query.bi)
	idf, err := h.Keyword.idfs(ctx, append(slices.Clone(qu), qb...))
	if err != nil {
		return nil, err
	}
	sum := func(ts []string) float64 {
		var s float64
		for _, t := range ts {
			s += idf[t]
		}
		return s
	}
	sumU, sumB := sum(qu)+1e-9, sum(qb)+1e-9
	pairs := query.pairs
	docs := map[string]float64{}
	for i := range fused[:min(10, len(fused))] {
		docs[fused[i].DocID] += 0.1
	}
	// How many fused passages each article of the first n has: the
	// feature is asked of those only. A passage further down counts when
	// its article is among theirs, which is looked up only when its
	// document is: for the others, one string is hashed rather than two.
	keys := make([]articleKey, n)
	articles := make(map[articleKey]int, n)
	topDocs := make(map[string]bool, n)
	for i := range fused[:n] {
		keys[i] = articleKeyOf(&fused[i].Hit)
		articles[keys[i]]++
		topDocs[fused[i].DocID] = true
	}
	for i := n; i < len(fused); i++ {
		if !topDocs[fused[i].DocID] {
			continue
		}
		if c, ok := articles[articleKeyOf(&fused[i].Hit)]; ok {
			articles[articleKeyOf(&fused[i].Hit)] = c + 1
		}
	}
	// The query's terms by index: words, then word pairs.
	qt := append(slices.Clone(qu), qb...)
	qidx := make(map[string]int, len(qt))
	qidf := make([]float64, len(qt))
	for j, t := range qt {
		qidx[t], qidf[j] = j, idf[t]
	}
	matches := passageMatches(h.Keyword.current(), fused[:n], qidx, qidf, len(qu))
	byArticle := map[articleKey][]bool{} // the query terms any of an article's passages holds
	for i, key := range keys {
		u := byArticle[key]
		if u == nil {
			u = make([]bool, len(qt))
			byArticle[key] = u
		}
		for j, ok := range matches[i].all {
			u[j] = u[j] || ok
		}
	}
	quSet := map[string]bool{}
	for _, t := range qu {
		quSet[t] = true
	}
	qw := query.uni
	asked := corpus.LawYearsIn(query.text)
	lawYears := map[string][]int{}
	asks := 0.0
	if asksMeaning(qw) {
		asks = 1
	}
	out := make([]Candidate, n)
	// Every candidate's features lie in one array: a slice each was as
	// many allocations.
	nf := len(rerankFeatures)
	feats := make([]float64, 0, n*nf)
	var (
		seenHead []string
		runs     []int // longestCommon's rows, used again
	)
	for i := range fused[:n] {
		f := &fused[i]
		m := matches[i]
		var phrase, whole float64
		if len(m.headWords) > 0 {
			var run int
			run, runs = longestCommon(m.headWords, qw, runs)
			phrase = float64(run) / float64(len(m.headWords))
			if run == len(m.headWords) && run >= 2 {
				whole = 1
			}
		}
		art := byArticle[keys[i]]
		var cover, coverB, headCover, artU, artB float64
		for j := range qt {
			if j < len(qu) {
				if m.all[j] {
					cover += qidf[j]
				}
				if m.head[j] {
					headCover += qidf[j]
				}
				if art[j] {
					artU += qidf[j]
				}
			} else {
				if m.all[j] {
					coverB += qidf[j]
				}
				if art[j] {
					artB += qidf[j]
				}
			}
		}
		// A heading has a few words: a slice finds those seen before
		// without a map for each passage.
		var headShare float64
		seen := seenHead[:0]
		for _, t := range m.headWords {
			if !slices.Contains(seen, t) {
				seen = append(seen, t)
				if quSet[t] {
					headShare++
				}
			}
		}
		seenHead = seen
		if len(seen) > 0 {
			headShare /= float64(len(seen))
		}
		run, best := 0, 0
		for _, p := range pairs {
			if j, ok := qidx[p]; p != "" && ok && m.all[j] {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
		named := 0.0
		if len(m.titleWords) > 0 {
			named = 1
			for _, t := range m.titleWords {
				if !quSet[t] {
					named = 0
					break
				}
			}
		}
		var defined float64
		if terms, ok := defines[f.PassageID]; ok {
			for _, t := range dedupe(terms) {
				defined += idf[t]
			}
			defined /= sumU
		}
		var sameYear, otherYear float64
		if len(asked) > 0 {
			ys, ok := lawYears[f.DocID]
			if !ok {
				ys = h.Keyword.lawYears(f.DocID)
				lawYears[f.DocID] = ys
			}
			sameYear, otherYear = yearFeatures(asked, ys)
		}
		start := len(feats)
		feats = append(feats,
			f.keyword, f.vector, f.keywordRR, f.vectorRR, f.Score, 1/float64(1+f.rank),
			cover/sumU, coverB/sumB, m.bestU/sumU, m.bestB/sumB,
			headCover/sumU, headShare,
			float64(best)/float64(len(qu)+1),
			math.Log1p(float64(m.textWords)),
			docs[f.DocID], named,
			math.Log1p(float64(articles[keys[i]])),
			artU/sumU, artB/sumB, phrase, whole,
			defined, defined*asks,
			sameYear, otherYear,
		)
		out[i] = Candidate{Hit: f.Hit, Features: feats[start:len(feats):len(feats)]}
	}
	return out, nil
}

// meaningCues are word pairs by which a question asks what something
// means: "là gì", "được hiểu", "hiểu là", "định nghĩa", "khái niệm",
// "giải thích", "thế nào là".
var meaningCues = map[[2]string]bool{
	{"la", "gi"}: true, {"duoc", "hieu"}: true, {"hieu", "la"}: true, {"dinh", "nghia"}: true,
	{"khai", "niem"}: true, {"giai", "thich"}: true, {"nao", "la"}: true,
}

// asksMeaning reports whether the question's folded words ask what
// something means.
func asksMeaning(qw []string) bool {
	for i := 0; i+1 < len(qw); i++ {
		if meaningCues[[2]string{qw[i], qw[i+1]}] {
			return true
		}
	}
	return false
}

// rerankCount is how many fused passages the re-ranker takes: enough to
// cover RerankDepth articles (a long article comes as several passages),
// at most 2×RerankDepth passages.
func rerankCount(fused []fusedHit) int {
	seen := map[string]bool{}
	for i, f := range fused {
		key := f.DocID + "#" + articleOf(f.Anchor)
		if !seen[key] && len(seen) == RerankDepth || i == 2*RerankDepth {
			return i
		}
		seen[key] = true
	}
	return len(fused)
}

// words returns the folded words of s in order.
func words(s string) []string {
	u, _ := queryTerms(s)
	return u
}

// longestCommon is the length of the longest run of words that a and b
// share word for word. It works in buf, grown as needed and returned to
// be used again: it runs for each re-ranked passage.
func longestCommon(a, b []string, buf []int) (int, []int) {
	buf = slices.Grow(buf[:0], 2*(len(b)+1))[:2*(len(b)+1)]
	clear(buf)
	prev, cur := buf[:len(b)+1], buf[len(b)+1:]
	best := 0
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			} else {
				cur[j+1] = 0
			}
		}
		prev, cur = cur, prev
	}
	return best, buf
}

// headingName strips a heading to the article's name: "Điều 39. Hợp
// đồng lữ hành — Khoản 2" → "Hợp đồng lữ hành".
func headingName(h string) string {
	h, _, _ = strings.Cut(h, " — ")
	if rest, ok := strings.CutPrefix(h, "Điều "); ok {
		if _, name, ok := strings.Cut(rest, ". "); ok {
			return name
		}
	}
	return h
}

func articleOf(anchor string) string {
	a, _, _ := strings.Cut(anchor, "/")
	return a
}

// articleKey is the article a passage belongs to: its document and
// articleOf its anchor. Two strings rather than one joined string, so that
// counting the few hundred fused passages by article allocates nothing.
type articleKey struct{ doc, article string }

func articleKeyOf(h *Hit) articleKey { return articleKey{h.DocID, articleOf(h.Anchor)} }

// passageMatch is what a passage holds of a query's terms (words, then
// word pairs, by index).
type passageMatch struct {
	all  []bool // in the title, heading name or text
	head []bool // in the heading name
	// bestU and bestB are the idf sums of the query's words and pairs
	// found in the passage's best single clause (text cut at line ends and
	// . ; : ? !).
	bestU, bestB float64
	headWords    []string // the heading name's words in order
	titleWords   []string // the document title's words, once each
	textWords    int      // how many words the text has
}

// clauseBreak reports whether the text between two words ends a clause.
func clauseBreak(gap string) bool {
	return strings.ContainsAny(gap, "\n.;:?!")
}

// matchPassage reads a passage once: its title, heading name and text as
// one string (as the index analyses them), marking the query terms found.
// Word pairs are only looked up when both words are query words. A passage
// the memory snapshot holds is read from its cached tokens (passageMatches);
// any other is tokenized here, into a vocabulary of its own, and read the
// same way.
func matchPassage(h Hit, qidx map[string]int, qidf []float64, nu int) passageMatch {
	var v vocab
	p := v.tokenize(h.Title, headingName(h.Heading), h.text())
	if p == nil { // longer than 4 GiB: nothing the library holds
		return passageMatch{all: make([]bool, len(qidf)), head: make([]bool, len(qidf))}
	}
	return p.match(v.list(), v.terms(maps.All(qidx)), qidf, nu)
}

// passageMatches is matchPassage of each hit: from the cached tokens of
// snapshot m when it holds the passage (m may be nil), else by reading it.
func passageMatches(m *memIndex, hits []fusedHit, qidx map[string]int, qidf []float64, nu int) []passageMatch {
	out := make([]passageMatch, len(hits))
	toks := make([]*passageTokens, len(hits))
	cached := false
	for i := range hits {
		toks[i] = m.tokensFor(&hits[i].Hit)
		cached = cached || toks[i] != nil
	}
	var (
		ts    *termSet
		words []string
	)
	if cached {
		// After the passages are tokenized: the vocabulary holds their words.
		ts = m.words.terms(maps.All(qidx))
		words = m.words.list()
	}
	for i := range hits {
		if toks[i] != nil {
			out[i] = toks[i].match(words, ts, qidf, nu)
		} else {
			out[i] = matchPassage(hits[i].Hit, qidx, qidf, nu)
		}
	}
	return out
}

// match is matchPassage from a passage's cached tokens, given its
// vocabulary's words and the query terms by number.
func (p *passageTokens) match(words []string, qidx *termSet, qidf []float64, nu int) passageMatch {
	headStart, textStart := p.headStart, p.textStart
	m := passageMatch{all: make([]bool, len(qidf)), head: make([]bool, len(qidf))}
	stamp := make([]int, len(qidf)) // the clause a term was last counted in
	clause := 0
	var curU, curB float64
	endClause := func() {
		m.bestU, m.bestB = max(m.bestU, curU), max(m.bestB, curB)
		curU, curB = 0, 0
		clause++
	}
	count := func(j int) {
		if stamp[j] == clause {
			return
		}
		stamp[j] = clause
		if j < nu {
			curU += qidf[j]
		} else {
			curB += qidf[j]
		}
	}
	clause = 1
	toks := p.toks
	// The title and the heading name, a few words, then the text, most of
	// them: read apart, the text's loop has no parts to tell apart.
	var titleSeen []uint32 // a title has a few words
	for i, t := range toks[:p.textTok] {
		id := t.id()
		inHead := t.start >= headStart
		if inHead {
			m.headWords = append(m.headWords, words[id])
		} else if !slices.Contains(titleSeen, id) {
			titleSeen = append(titleSeen, id)
			m.titleWords = append(m.titleWords, words[id])
		}
		j, isQ := qidx.word(id)
		if !isQ {
			continue
		}
		m.all[j] = true
		m.head[j] = m.head[j] || inHead
		if i+1 >= len(toks) {
			continue
		}
		next := toks[i+1]
		if _, ok := qidx.word(next.id()); !ok || t.word&gapSpace == 0 {
			continue
		}
		jb, ok := qidx.pair(id, next.id())
		if !ok {
			continue
		}
		m.all[jb] = true
		nextInHead := next.start >= headStart && next.start < textStart
		m.head[jb] = m.head[jb] || inHead && nextInHead
	}
	m.textWords = len(toks) - p.textTok
	for i := p.textTok; i < len(toks); i++ {
		t := toks[i]
		if i > p.textTok && toks[i-1].word&gapBreak != 0 {
			endClause()
		}
		id := t.id()
		j, isQ := qidx.word(id)
		if !isQ {
			continue
		}
		m.all[j] = true
		count(j)
		if i+1 >= len(toks) || t.word&gapSpace == 0 {
			continue
		}
		next := toks[i+1]
		if _, ok := qidx.word(next.id()); !ok {
			continue
		}
		jb, ok := qidx.pair(id, next.id())
		if !ok {
			continue
		}
		m.all[jb] = true
		if t.word&gapBreak == 0 {
			count(jb)
		}
	}
	endClause()
	return m
}

// idfs returns the inverse document frequency of each term over the
// passages' text: from the memory snapshot's postings when it is current
// (asking bleve's term dictionary was a third of the features' time),
// else from bleve.
func (k *Keyword) idfs(ctx context.Context, terms []string) (map[string]float64, error) {
	if m := k.current(); m != nil {
		return m.idfs(terms), nil
	}
	k.mu.RLock()
	n := float64(k.stats.Passages)
	k.mu.RUnlock()
	return k.idfsBleve(ctx, n, terms)
}

// idfs is Keyword.idfs from the snapshot, whose statistics and postings
// are those of the index at its generation.
func (m *memIndex) idfs(terms []string) map[string]float64 {
	n := float64(m.stats.Passages)
	text := slices.Index(rankFields, "text")
	out := make(map[string]float64, len(terms))
	for _, t := range terms {
		var df float64
		if l := m.post[t]; l != nil {
			df = float64(len(l.post[text].p))
		}
		out[t] = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	return out
}

func (k *Keyword) idfsBleve(ctx context.Context, n float64, terms []string) (map[string]float64, error) {
	r, err := k.idx.Advanced()
	if err != nil {
		return nil, err
	}
	reader, err := r.Reader()
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	out := make(map[string]float64, len(terms))
	for _, t := range terms {
		if _, ok := out[t]; ok {
			continue
		}
		tfr, err := reader.TermFieldReader(ctx, []byte(t), "text", false, false, false)
		if err != nil {
			return nil, err
		}
		df := float64(tfr.Count())
		tfr.Close()
		out[t] = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	return out, nil
}
