package retrieval

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// The re-ranking stage. Fusion ranks passages by two scores; it cannot see
// whether the question's phrases occur together in one sentence of a
// passage, whether the article heading names what is asked, or whether
// the neighbours in the list come from the same law. The re-ranker looks
// at the first RerankDepth fused passages again with such features and
// orders them by a linear model learned from judged questions (pairwise
// logistic regression: a relevant passage should score above each
// irrelevant one of the same question).
//
// The model shipped in reranker.json is trained by
//
//	mattranso eval train-reranker --out retrieval/reranker.json \
//	    --dataset ../shared/eval/alqac2025 --dataset ../shared/eval/alqac2022 --dataset ../shared/eval/vlsp2023
//
// from the training splits of those sets, and records which questions it
// saw, so that `eval retrieval` never scores a question with a model that
// was trained on it (see eval.RetrievalOptions.Reranker).

// RerankDepth is how many articles' fused passages the re-ranker orders;
// the rest keep their fused order below them. 20 ranks as well as 30, 60
// or 100 on the dev sets (deeper lists add noise, not answers) and costs a
// third less than 30.
const RerankDepth = 20

// RerankVersion names the feature set; a model trained on another one is
// refused.
const RerankVersion = "rerank-5"

// rerankFeatures are the features, in the order of a model's weights.
var rerankFeatures = []string{
	"keyword",          // keyword score / best keyword score
	"vector",           // vector score scaled 0..1 over the vector list
	"keyword_rr",       // 1/(1+rank) in the keyword list, 0 if absent
	"vector_rr",        // 1/(1+rank) in the vector list, 0 if absent
	"fused",            // the fused score
	"fused_rr",         // 1/(1+rank) in the fused list
	"cover",            // idf share of the query's words found in the passage
	"cover_bigram",     // idf share of the query's word pairs found in the passage
	"sentence_cover",   // the same for the best single sentence
	"sentence_bigram",  // … and word pairs in the best single sentence
	"heading_cover",    // idf share of the query's words found in the heading
	"heading_share",    // share of the heading's words found in the query
	"longest_run",      // longest run of consecutive query word pairs in the passage, per query word
	"length",           // log(1 + words of the text)
	"same_document",    // share of the first ten fused passages from the same document
	"document_named",   // every word of the document title occurs in the query
	"article_passages", // log(1 + fused passages of the same article)
	"article_cover",    // idf share of the query's words in the article's passages among the first ones
	"article_bigram",   // … and of its word pairs
	"heading_phrase",   // longest stretch of the heading's name found word for word in the query, per heading word
	"heading_whole",    // the heading's name (two words or more) occurs word for word in the query
	"defines",          // idf share of the query's words in a phrase of the query the passage defines ("X là …")
	"defines_asked",    // the same, when the question asks what something means ("là gì", "được hiểu", "định nghĩa")
	"law_year",         // the question gives the law a year one of its names holds ("Bộ luật Dân sự 2015", "91/2015/QH13")
	"law_year_other",   // the question gives laws years, this law's names hold only others (see lawyear.go)
}

//go:embed reranker.json
var shippedReranker []byte

// Reranker is a trained re-ranking model.
type Reranker struct {
	Version  string    `json:"version"`
	Features []string  `json:"features"`
	Weights  []float64 `json:"weights"`
	// TrainedOn lists the judged question sets the model learned from.
	TrainedOn []TrainedSet `json:"trained_on"`
}

// TrainedSet identifies a set of judged questions a model learned from.
type TrainedSet struct {
	Name    string `json:"name"`
	Queries int    `json:"queries"`
	// Digest is a hash of the questions and their judgements (see
	// eval.QuestionsDigest): the same questions under another name are
	// still recognised.
	Digest string `json:"digest"`
}

// ShippedReranker returns the model built into the binary.
func ShippedReranker() (*Reranker, error) {
	return ParseReranker(shippedReranker)
}

// ParseReranker reads a model and checks it fits this feature set.
func ParseReranker(b []byte) (*Reranker, error) {
	var r Reranker
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("retrieval: read re-ranker: %w", err)
	}
	if r.Version != RerankVersion || !slices.Equal(r.Features, rerankFeatures) {
		return nil, fmt.Errorf("retrieval: re-ranker %q was trained for other features than %s; retrain it (mattranso eval train-reranker)", r.Version, RerankVersion)
	}
	if len(r.Weights) != len(rerankFeatures) {
		return nil, fmt.Errorf("retrieval: re-ranker has %d weights for %d features", len(r.Weights), len(rerankFeatures))
	}
	for _, w := range r.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, errors.New("retrieval: re-ranker has a weight that is not a number")
		}
	}
	return &r, nil
}

// Marshal writes the model as indented JSON.
func (r *Reranker) Marshal() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Candidate is a fused passage with its re-ranking features.
type Candidate struct {
	Hit      Hit
	Features []float64
}

// Candidates are what a hybrid search found before re-ranking: looked-up
// passages (always first), the first RerankDepth fused passages with
// their features, and the rest in fused order.
type Candidates struct {
	Lookups []Hit
	Top     []Candidate
	Rest    []Hit
}

// Rank orders the candidates: look-ups first, then the top passages by
// the model (r nil: in fused order), then the rest. A re-ranked passage
// scores e^(s - best s) by the model: the first scores 1 and a passage
// the model nearly ties with it scores close to 1; the rest score below
// the lowest re-ranked one.
func (r *Reranker) Rank(c Candidates) []Hit {
	rest := restHits{hits: c.Rest}
	out := make([]Hit, 0, len(c.Lookups)+len(c.Top)+rest.len())
	out, _ = r.rankInto(out, c.Lookups, c.Top, rest, 0, cap(out))
	return out
}

// restHits are the candidates below the re-ranked ones, in fused order:
// a Candidates' Rest, or the fused list itself, read in place. A search
// shows a page of its few hundred candidates: copying all of them into
// Rest, and again into Rank's answer, only to show ten was a sixth of
// what it allocated.
type restHits struct {
	hits  []Hit      // when set, fused is nil
	fused []fusedHit // when set, hits is nil
}

func (r restHits) len() int { return len(r.hits) + len(r.fused) }

func (r restHits) at(i int) *Hit {
	if r.fused != nil {
		return &r.fused[i].Hit
	}
	return &r.hits[i]
}

// clone returns the rest as a Candidates' Rest: nil when there is none.
func (r restHits) clone() []Hit {
	if r.fused == nil {
		return r.hits
	}
	if len(r.fused) == 0 {
		return nil
	}
	out := make([]Hit, len(r.fused))
	for i := range r.fused {
		out[i] = r.fused[i].Hit
	}
	return out
}

// rankInto appends to out the hits Rank would return at places offset to
// offset+limit (not beyond the last), and returns out and how many
// candidates there are in all: Rank's page, without making the rest of
// its answer.
func (r *Reranker) rankInto(out []Hit, lookups []Hit, top []Candidate, rest restHits, offset, limit int) ([]Hit, int) {
	total := len(lookups) + len(top) + rest.len()
	end := total
	if limit < total-offset {
		end = offset + limit
	}
	if out == nil && end > offset {
		out = make([]Hit, 0, end-offset)
	}
	place := 0
	emit := func(h *Hit) {
		if place >= offset && place < end {
			out = append(out, *h)
		}
		place++
	}
	for i := range lookups {
		emit(&lookups[i])
	}
	// The top passages' scores by the model, and their order by them: the
	// indexes are sorted rather than the hits, which are large.
	scores := make([]float64, len(top))
	order := make([]int, len(top))
	best := math.Inf(-1)
	for i := range top {
		order[i] = i
		scores[i] = top[i].Hit.Score
		if r != nil {
			scores[i] = r.score(top[i].Features)
			best = max(best, scores[i])
		}
	}
	if r != nil {
		for i := range scores {
			scores[i] = math.Exp(scores[i] - best)
		}
		slices.SortStableFunc(order, func(a, b int) int {
			// Higher scores first; stable, so that ties keep the fused order.
			if scores[a] > scores[b] {
				return -1
			}
			if scores[b] > scores[a] {
				return 1
			}
			return 0
		})
	}
	for _, i := range order {
		h := top[i].Hit
		h.Score = scores[i]
		emit(&h)
	}
	floor := math.Inf(1)
	if n := len(order); n > 0 {
		floor = scores[order[n-1]]
	}
	for i := 0; i < rest.len() && place < end; i++ {
		h := rest.at(i)
		if r != nil && h.Score >= floor {
			lowered := *h
			lowered.Score = floor * 0.999
			floor = lowered.Score
			h = &lowered
		}
		emit(h)
	}
	return out, total
}

// score is the model's linear score of a feature vector.
func (r *Reranker) score(f []float64) float64 {
	var s float64
	for i, w := range r.Weights {
		s += w * f[i]
	}
	return s
}

// fusedHit is a passage of the fused list with what each side said of it.
type fusedHit struct {
	Hit
	keyword, vector     float64 // scaled scores, 0 if the side did not find it
	keywordRR, vectorRR float64 // 1/(1+rank), 0 if absent
	rank                int     // in the fused list
}

// features computes the re-ranking features of the first n fused
// passages; defines maps a passage to the phrase of the query it defines.
func (h *Hybrid) features(ctx context.Context, query string, fused []fusedHit, n int, defines map[string][]string) ([]Candidate, error) {
	qu, qb := queryTerms(query)
	qu, qb = uniq(qu), uniq(qb)
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
	pairs := queryPairs(query)
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
	qw := words(query)
	asked := corpus.LawYearsIn(query)
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
			for _, t := range uniq(terms) {
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
	p := v.tokenize(h.Title, headingName(h.Heading), h.Text)
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

func uniq(ts []string) []string {
	seen := map[string]bool{}
	out := ts[:0:0]
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
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
			df = float64(len(l.post[text]))
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

// TrainingGroup is one judged question's candidates: their features and
// whether each is relevant.
type TrainingGroup struct {
	Features [][]float64
	Relevant []bool
}

// RerankTraining configures TrainReranker; zero values take the defaults
// chosen by cross-validation on the dev sets (EVAL.md).
type RerankTraining struct {
	Epochs int     // passes over the questions (20)
	Rate   float64 // first learning rate (0.05), ×0.7 each epoch
	L2     float64 // weight decay (1e-4)
	Seed   int64   // order of the questions (1)
}

// TrainReranker learns a model from judged candidates by pairwise
// logistic regression on standardised features, LambdaRank-style: each
// (relevant, irrelevant) pair of a question weighs as much as swapping the
// two would change the question's reciprocal rank under the current model,
// so the pairs that decide the first places count most (MRR is what is
// measured). It is deterministic: the same groups and options give the
// same weights.
func TrainReranker(groups []TrainingGroup, o RerankTraining) (*Reranker, error) {
	if o.Epochs <= 0 {
		o.Epochs = 20
	}
	if o.Rate <= 0 {
		o.Rate = 0.05
	}
	if o.L2 <= 0 {
		o.L2 = 1e-4
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	nf := len(rerankFeatures)
	mean, sd := make([]float64, nf), make([]float64, nf)
	var n float64
	pairs := 0
	for gi, g := range groups {
		if len(g.Features) != len(g.Relevant) {
			return nil, fmt.Errorf("retrieval: training group %d has %d feature rows for %d labels", gi, len(g.Features), len(g.Relevant))
		}
		rel := 0
		for i, f := range g.Features {
			if len(f) != nf {
				return nil, fmt.Errorf("retrieval: training group %d row %d has %d features, want %d", gi, i, len(f), nf)
			}
			for j := range f {
				mean[j] += f[j]
			}
			n++
			if g.Relevant[i] {
				rel++
			}
		}
		pairs += rel * (len(g.Features) - rel)
	}
	if pairs == 0 {
		return nil, errors.New("retrieval: no training pairs: no question has both a relevant and an irrelevant candidate")
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, g := range groups {
		for _, f := range g.Features {
			for j := range f {
				sd[j] += (f[j] - mean[j]) * (f[j] - mean[j])
			}
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j]/n) + 1e-9
	}
	w := make([]float64, nf) // in standardised units
	d := make([]float64, nf)
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewSource(o.Seed))
	rate := o.Rate
	for range o.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, gi := range order {
			g := groups[gi]
			rank := ranks(g.Features, w, sd)
			for i, fi := range g.Features {
				if !g.Relevant[i] {
					continue
				}
				for k, fk := range g.Features {
					if g.Relevant[k] {
						continue
					}
					weight := math.Abs(1/float64(rank[i]+1) - 1/float64(rank[k]+1))
					var s float64
					for j := range w {
						d[j] = (fi[j] - fk[j]) / sd[j]
						s += w[j] * d[j]
					}
					step := weight / (1 + math.Exp(s)) // the loss log(1+e^-s) falls along d by this much
					for j := range w {
						w[j] += rate * (step*d[j] - o.L2*w[j])
					}
				}
			}
		}
		rate *= 0.7
	}
	// Back to raw feature units; the intercept cancels in a ranking, and
	// the model is only ever compared within one question.
	for j := range w {
		w[j] /= sd[j]
	}
	return &Reranker{Version: RerankVersion, Features: slices.Clone(rerankFeatures), Weights: w}, nil
}

// ranks returns each candidate's place (0 first) under standardised
// weights w; ties keep the candidates' order.
func ranks(features [][]float64, w, sd []float64) []int {
	score := make([]float64, len(features))
	for i, f := range features {
		for j := range w {
			score[i] += w[j] * f[j] / sd[j]
		}
	}
	idx := make([]int, len(features))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	rank := make([]int, len(features))
	for r, i := range idx {
		rank[i] = r
	}
	return rank
}
