package retrieval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/mattranso/mattranso/corpus"
)

// Mode chooses what answers a search.
type Mode string

const (
	ModeKeyword Mode = "keyword"
	ModeVector  Mode = "vector"
	ModeHybrid  Mode = "hybrid"
)

// ParseMode reads a mode name; "" is hybrid.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "":
		return ModeHybrid, nil
	case ModeKeyword, ModeVector, ModeHybrid:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown mode %q (keyword, vector or hybrid)", s)
}

// Hybrid searches the keyword index and the vector store and fuses the
// two rankings. When the embedder or the vector store fails or is slow,
// it answers from the keyword index alone and says so in
// Result.Degraded — a search never fails because vectors are missing.
type Hybrid struct {
	Keyword  *Keyword
	Vectors  VectorStore // nil: keyword only
	Embedder Embedder    // nil: keyword only
	Mode     Mode
	// Alpha is the weight of the vector score in the fusion, 0..1.
	Alpha float64
	// Depth is how many candidates each side contributes.
	Depth int
	// Timeout bounds embedding the query and searching the vectors.
	Timeout time.Duration
	Logger  *slog.Logger
	// Reranker orders the first fused passages again (hybrid mode only);
	// nil leaves the fused order.
	Reranker *Reranker
	// Concurrency is how many searches run at once; the others wait their
	// turn, first come first served. 0 means one per CPU (GOMAXPROCS).
	// A search is a few milliseconds of CPU: run side by side, 32 of them
	// share the CPUs and each takes 16 times its own cost, the longest the
	// most; taken in turn, each waits for those before it and then runs
	// at full speed, so that the slowest wait little more than the median.
	Concurrency int

	slotsOnce sync.Once
	slots     chan struct{}

	mu        sync.RWMutex // guards Vectors, Embedder and what follows once serving
	downUntil time.Time    // after a failure the vector side rests, so searches stay fast
	downErr   error
	learning  string // see SetLearning
}

// VectorPause is how long search keeps to keywords after the vector side
// failed, before trying it again.
const VectorPause = 30 * time.Second

// SetVectors swaps the vector side, e.g. after the local embedder was
// retrained; nil for either means keyword only.
func (h *Hybrid) SetVectors(emb Embedder, v VectorStore) {
	h.mu.Lock()
	h.Embedder, h.Vectors = emb, v
	h.downUntil, h.downErr = time.Time{}, nil
	h.mu.Unlock()
}

// VectorSide returns the current embedder and store (nil before SetVectors).
func (h *Hybrid) VectorSide() (Embedder, VectorStore) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.Embedder, h.Vectors
}

// Index puts documents into the keyword index and, when a vector side is
// set, their passage vectors into the vector store.
func (h *Hybrid) Index(ctx context.Context, docs ...*corpus.Document) error {
	if err := h.Keyword.Index(ctx, docs...); err != nil {
		return err
	}
	emb, v := h.VectorSide()
	if emb == nil || v == nil {
		return nil
	}
	ids := make([]string, len(docs))
	var ps []corpus.Passage
	for i, d := range docs {
		ids[i] = d.ID
		ps = append(ps, corpus.Passages(d)...)
	}
	if err := v.DeleteDocs(ctx, ids...); err != nil {
		return err
	}
	return EmbedPassages(ctx, emb, v, ps)
}

// Delete removes documents from both indexes.
func (h *Hybrid) Delete(ctx context.Context, docIDs ...string) error {
	if err := h.Keyword.Delete(ctx, docIDs...); err != nil {
		return err
	}
	if _, v := h.VectorSide(); v != nil {
		return v.DeleteDocs(ctx, docIDs...)
	}
	return nil
}

// DefaultAlpha is the vector weight, chosen on the dev sets (EVAL.md).
const DefaultAlpha = 0.3

func (h *Hybrid) alpha() float64 {
	if h.Alpha <= 0 || h.Alpha > 1 {
		return DefaultAlpha
	}
	return h.Alpha
}

func (h *Hybrid) depth(limit int) int {
	if h.Depth > 0 {
		return max(h.Depth, limit)
	}
	return max(100, limit)
}

func (h *Hybrid) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Search answers q in the configured mode.
func (h *Hybrid) Search(ctx context.Context, q Query) (Result, error) {
	h.mu.RLock()
	r := h.Reranker
	h.mu.RUnlock()
	return h.SearchWith(ctx, q, r)
}

// SetReranker swaps the re-ranker while serving, e.g. once the library
// has taught one.
func (h *Hybrid) SetReranker(r *Reranker) {
	h.mu.Lock()
	h.Reranker = r
	h.mu.Unlock()
}

// SetLearning sets why the vector side is not there yet (the local
// embedder is learning), which keyword-only answers then carry as
// Result.Degraded; "" when it is not learning.
func (h *Hybrid) SetLearning(why string) {
	h.mu.Lock()
	h.learning = why
	h.mu.Unlock()
}

// SearchWith answers q like Search, re-ranking with r (nil: fused order).
func (h *Hybrid) SearchWith(ctx context.Context, q Query, r *Reranker) (Result, error) {
	start := time.Now()
	release, err := h.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	defer release()
	mode := h.Mode
	if mode == "" {
		mode = ModeHybrid
	}
	emb, vs := h.VectorSide()
	if mode == ModeKeyword || vs == nil || emb == nil {
		res, err := h.Keyword.Search(ctx, q)
		if mode != ModeKeyword && err == nil {
			h.mu.RLock()
			res.Degraded = h.learning
			h.mu.RUnlock()
		}
		return res, err
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	q.Limit = min(q.Limit, MaxLimit)
	q.Offset = max(q.Offset, 0)
	if mode != ModeHybrid {
		r = nil
	}
	q.Text = expandQuery(q.Text)
	q.analysed = analyse(q.Text)
	c, rest, res, err := h.candidates(ctx, q, mode, emb, vs, r != nil)
	if err != nil {
		return Result{}, err
	}
	// The minimum evidence of a result is a word of the query in the
	// library: nearest vectors exist for any text ("xyzqwv blorf"), and
	// alone they would answer nonsense with a page of articles.
	if res.Total == 0 && len(c.Lookups) == 0 {
		res.Hits = []Hit{}
		res.Took = time.Since(start)
		return res, nil
	}
	hits, n := h.rankPage(q, r, c, rest)
	// The total is the keyword side's count of the passages near the best
	// (the vector side has neighbours for any text, and counts nothing),
	// and at least what this page reaches and the looked-up passages.
	res.Total = min(max(res.Total, uint64(q.Offset+len(hits)), uint64(len(c.Lookups))), uint64(n))
	res.Hits = withText(hits)
	res.Lookups = max(0, min(len(c.Lookups)-q.Offset, len(res.Hits)))
	addSnippets(h.Keyword.current(), res.Hits, q.analysed)
	res.Took = time.Since(start)
	return res, nil
}

// rankPage ranks the candidates and returns the page q asks for, with the
// number of candidates. Only the page shown is made of r.Rank's answer,
// unless procedures are to be arranged (arrangeProcedures): then the
// whole list when the question asks for a procedure (the one it names may
// be anywhere), else the window they are arranged in, so that every page
// is cut from the same order.
func (h *Hybrid) rankPage(q Query, r *Reranker, c Candidates, rest restHits) ([]Hit, int) {
	fixed := len(c.Lookups)
	qw := q.analysed.uni
	upTo := 0 // how much of the list to make and arrange
	switch {
	case asksProcedure(qw):
		upTo = math.MaxInt
	case q.Offset < fixed+procedureWindow:
		upTo = max(fixed+procedureWindow, q.Offset+q.Limit)
	}
	if upTo == 0 {
		return r.rankInto(nil, c.Lookups, c.Top, rest, q.Offset, q.Limit)
	}
	hits, n := r.rankInto(nil, c.Lookups, c.Top, rest, 0, upTo)
	arrangeProcedures(qw, hits, fixed)
	if q.Offset >= len(hits) {
		return nil, n
	}
	return hits[q.Offset:min(len(hits), q.Offset+q.Limit)], n
}

// acquire waits for a turn to search (see Concurrency) and returns its
// release; it fails only when ctx ends first.
func (h *Hybrid) acquire(ctx context.Context) (func(), error) {
	h.slotsOnce.Do(func() {
		n := h.Concurrency
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		h.slots = make(chan struct{}, n)
	})
	release := func() { <-h.slots }
	select {
	case h.slots <- struct{}{}: // a free turn: nobody waits
		return release, nil
	default:
	}
	select {
	case h.slots <- struct{}{}: // blocked senders are let in in the order they came
		// The search that ended and let this one in woke it to run next
		// on its CPU, ahead of the runtime's global queue. That queue is
		// where requests the network poller has just read wait to be run
		// at all, and under a steady load the chain of searches handing
		// each other their turn keeps them there: a trace at 32
		// connections found request goroutines runnable, not yet queued
		// here, for 373 ms at the 99th percentile. Yielding once lets
		// them take their place in this queue first; first come first
		// served then holds from the network on, not just from here.
		runtime.Gosched()
		return release, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("retrieval: waiting for a turn to search: %w", ctx.Err())
	}
}

// Candidates returns what a hybrid search for q finds before re-ranking,
// with the re-ranking features of the first passages: what
// TrainReranker learns from. Without a vector side it fails.
func (h *Hybrid) Candidates(ctx context.Context, q Query) (Candidates, error) {
	emb, vs := h.VectorSide()
	if vs == nil || emb == nil {
		return Candidates{}, errors.New("retrieval: candidates need the vector side")
	}
	if q.Limit <= 0 {
		q.Limit = MaxLimit
	}
	q.Text = expandQuery(q.Text)
	q.analysed = analyse(q.Text)
	c, rest, res, err := h.candidates(ctx, q, ModeHybrid, emb, vs, true)
	if err == nil && res.Degraded != "" {
		err = errors.New("retrieval: " + res.Degraded)
	}
	c.Lookups, c.Rest = withText(c.Lookups), withText(rest.clone())
	for i := range c.Top {
		c.Top[i].Hit.read()
	}
	return c, err
}

// candidates searches both sides and fuses them; res carries the totals
// and flags (its hits are not set). The passages below the re-ranked ones
// come back as rest, not in c.Rest. When the vector side fails, the
// keyword hits come back as the rest and res.Degraded says why. Without
// features (no re-ranking) every fused passage is in the rest.
func (h *Hybrid) candidates(ctx context.Context, q Query, mode Mode, emb Embedder, vs VectorStore, features bool) (Candidates, restHits, Result, error) {
	want := q.Offset + q.Limit
	kq := q
	kq.Offset, kq.Limit, kq.noSnippets, kq.fusing, kq.unread = 0, h.depth(want), true, true, true
	kw, err := h.Keyword.Search(ctx, kq)
	if err != nil {
		return Candidates{}, restHits{}, Result{}, err
	}
	res := Result{Total: kw.Total, Exact: kw.Exact, NoArticle: kw.NoArticle}
	vhits, verr := h.vectorSearch(ctx, emb, vs, q, h.depth(want))
	if verr != nil {
		res.Degraded = "vector search unavailable: " + verr.Error()
		return Candidates{Lookups: kw.Hits[:kw.Lookups]}, restHits{hits: kw.Hits[kw.Lookups:]}, res, nil
	}
	if mode == ModeVector {
		hits, err := h.vectorOnly(ctx, q, vhits)
		return Candidates{}, restHits{hits: hits}, res, err
	}
	lookups, fused, err := h.fuse(ctx, q, kw, vhits)
	if err != nil {
		return Candidates{}, restHits{}, Result{}, err
	}
	c := Candidates{Lookups: lookups}
	if !features {
		// Unranked, the first passages keep their fused order and scores,
		// as the rest does: there is nothing to set them apart.
		return c, restHits{fused: fused}, res, nil
	}
	n := rerankCount(fused)
	defs, words := h.Keyword.definitions(q)
	fused, n = withDefinitions(fused, n, defs, lookups)
	if c.Top, err = h.featuresOf(ctx, analysedOf(q, q.Text), fused, n, definedBy(defs, words)); err != nil {
		return Candidates{}, restHits{}, Result{}, err
	}
	return c, restHits{fused: fused[len(c.Top):]}, res, nil
}

// withDefinitions puts the passages defining a phrase of the question
// among the first n fused passages, the ones the re-ranker orders: moved
// up when the fused list holds them further down, added when it does not
// (then with no score from either side). Looked-up passages stay apart.
func withDefinitions(fused []fusedHit, n int, defs []Hit, lookups []Hit) ([]fusedHit, int) {
	for _, d := range defs {
		if slices.ContainsFunc(lookups, func(h Hit) bool { return h.PassageID == d.PassageID }) {
			continue
		}
		j := slices.IndexFunc(fused, func(f fusedHit) bool { return f.PassageID == d.PassageID })
		switch {
		case j >= 0 && j < n:
			continue
		case j >= n:
			f := fused[j]
			fused = slices.Delete(fused, j, j+1)
			fused = slices.Insert(fused, n, f)
		default:
			fused = slices.Insert(fused, n, fusedHit{Hit: d, rank: len(fused)})
		}
		n++
	}
	return fused, n
}

// definedBy maps a defining passage to the phrase it defines.
func definedBy(defs []Hit, words [][]string) map[string][]string {
	if len(defs) == 0 {
		return nil
	}
	m := make(map[string][]string, len(defs))
	for i, d := range defs {
		m[d.PassageID] = words[i]
	}
	return m
}

func (h *Hybrid) vectorSearch(ctx context.Context, emb Embedder, vs VectorStore, q Query, k int) ([]VectorHit, error) {
	h.mu.RLock()
	until, last := h.downUntil, h.downErr
	h.mu.RUnlock()
	if time.Now().Before(until) {
		return nil, fmt.Errorf("paused after an error: %w", last)
	}
	hits, err := h.searchVectors(ctx, emb, vs, q, k)
	if err != nil && ctx.Err() == nil {
		h.log().Warn("retrieval: vector search failed; keywords only for a while", "err", err, "pause", VectorPause)
		h.mu.Lock()
		h.downUntil, h.downErr = time.Now().Add(VectorPause), err
		h.mu.Unlock()
	}
	return hits, err
}

func (h *Hybrid) searchVectors(ctx context.Context, emb Embedder, vs VectorStore, q Query, k int) ([]VectorHit, error) {
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	vecs, err := emb.Embed(ctx, []string{q.Text})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if len(vecs) != 1 {
		return nil, errors.New("embed query: no vector returned")
	}
	// The vector store filters by kind and document; issuer and status
	// filters are applied when the passages are read (Keyword.Get).
	return vs.Search(ctx, vecs[0], k, VectorFilter{Kind: q.Kind, DocID: q.DocID})
}

// fuse combines the two rankings with a weighted sum of scores, each
// scaled to 0..1 within its list. Looked-up passages (a document number, an
// "Điều N" reference) are returned apart: they stay first.
func (h *Hybrid) fuse(ctx context.Context, q Query, kw Result, vhits []VectorHit) (lookups []Hit, fused []fusedHit, err error) {
	a := h.alpha()
	exact, ranked := kw.Hits[:kw.Lookups], kw.Hits[kw.Lookups:]
	// Every passage either side found has its place in all, made at its
	// full size so that the pointers into it stay put, and with room for
	// the definitions withDefinitions may add: inserting into a full
	// slice would copy all of it.
	all := make([]fusedHit, 0, len(ranked)+len(vhits)+definitionsPerQuery)
	byID := make(map[string]*fusedHit, len(ranked)+len(vhits))
	get := func(id string) *fusedHit {
		f, ok := byID[id]
		if !ok {
			all = append(all, fusedHit{})
			f = &all[len(all)-1]
			byID[id] = f
		}
		return f
	}
	if len(ranked) > 0 {
		top := ranked[0].Score
		for i, hit := range ranked {
			f := get(hit.PassageID)
			f.Hit = hit
			f.keywordRR = 1 / float64(1+i)
			if top > 0 {
				f.keyword = hit.Score / top
			}
		}
	}
	var missing []string
	if len(vhits) > 0 {
		hi, lo := float64(vhits[0].Score), float64(vhits[len(vhits)-1].Score)
		for i, v := range vhits {
			f := get(v.ID)
			f.vectorRR = 1 / float64(1+i)
			if hi > lo {
				f.vector = (float64(v.Score) - lo) / (hi - lo)
			}
			if f.PassageID == "" {
				missing = append(missing, v.ID)
			}
		}
	}
	if len(missing) > 0 {
		nq := q
		nq.noSnippets, nq.unread = true, true
		hits, err := h.Keyword.Get(ctx, missing, nq)
		if err != nil {
			return nil, nil, err
		}
		for _, hit := range hits {
			byID[hit.PassageID].Hit = hit
		}
	}
	seen := make(map[string]bool, len(exact))
	lookups = append([]Hit(nil), exact...)
	for i := range lookups {
		// Fused scores lie in 0..1; looked-up passages stand above them.
		lookups[i].Score = 1 + float64(len(lookups)-i)
		seen[lookups[i].PassageID] = true
	}
	// The fused list is all, kept in place: byID is not used again.
	fused = all[:0]
	for i := range all {
		f := all[i]
		if f.PassageID == "" || seen[f.PassageID] { // filtered out when read, or looked up
			continue
		}
		f.Score = (1-a)*f.keyword + a*f.vector
		fused = append(fused, f)
	}
	sort.Sort(byFusedScore(fused))
	for i := range fused {
		fused[i].rank = i
	}
	return lookups, fused, nil
}

// byFusedScore orders the fused list best first, ties by passage id; a
// sort.Interface, as byScore is, for speed.
type byFusedScore []fusedHit

func (s byFusedScore) Len() int      { return len(s) }
func (s byFusedScore) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byFusedScore) Less(i, j int) bool {
	if s[i].Score != s[j].Score {
		return s[i].Score > s[j].Score
	}
	return s[i].PassageID < s[j].PassageID
}

func (h *Hybrid) vectorOnly(ctx context.Context, q Query, vhits []VectorHit) ([]Hit, error) {
	ids := make([]string, len(vhits))
	for i, v := range vhits {
		ids[i] = v.ID
	}
	nq := q
	nq.noSnippets, nq.unread = true, true
	hits, err := h.Keyword.Get(ctx, ids, nq)
	if err != nil {
		return nil, err
	}
	byID := map[string]Hit{}
	for _, hit := range hits {
		byID[hit.PassageID] = hit
	}
	var out []Hit
	for _, v := range vhits {
		if hit, ok := byID[v.ID]; ok {
			hit.Score = float64(v.Score)
			out = append(out, hit)
		}
	}
	return out, nil
}

// Get returns the stored passages with the given ids that pass q's
// filters, with snippets for q's words.
func (k *Keyword) Get(ctx context.Context, ids []string, q Query) ([]Hit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if hits, ok := k.getMem(ids, q); ok {
		return hits, nil
	}
	top := bleve.NewDocIDQuery(ids)
	filters := k.filters(Query{Issuer: q.Issuer, Status: q.Status})
	req := bleve.NewSearchRequestOptions(top, len(ids), 0, false)
	if len(filters) > 0 {
		req = bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(append(filters, top)...), len(ids), 0, false)
	}
	req.Fields = []string{"doc_id", "kind", "anchor", "title", "heading", "text"}
	res, err := k.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieval: read passages: %w", err)
	}
	var terms map[string]bool
	if !q.noSnippets {
		terms = analysedOf(q, q.Text).snippetTerms()
	}
	out := make([]Hit, 0, len(res.Hits))
	for _, hit := range res.Hits {
		out = append(out, hitFrom(hit.ID, hit.Score, hit.Fields, terms))
	}
	return out, nil
}

// Passages returns every passage the keyword index holds, in id order —
// what the embedder trains on and what the vector store mirrors.
func (k *Keyword) Passages(ctx context.Context) ([]corpus.Passage, error) {
	// A page at a time, as buildMem reads them: bleve's matches of every
	// passage at once took several times the passages' own size.
	var out []corpus.Passage
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), memBuildPage, 0, false)
		req.Fields = []string{"doc_id", "kind", "anchor", "title", "heading", "text"}
		req.SortBy([]string{"_id"})
		req.SearchAfter = after
		res, err := k.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("retrieval: list passages: %w", err)
		}
		if len(res.Hits) == 0 {
			return out, nil
		}
		for _, h := range res.Hits {
			str := func(f string) string { s, _ := h.Fields[f].(string); return s }
			out = append(out, corpus.Passage{ID: h.ID, DocID: str("doc_id"), Kind: corpus.Kind(str("kind")),
				Anchor: str("anchor"), Title: str("title"), Heading: str("heading"), Text: str("text")})
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}

// DocIDs returns the ids of the documents the index holds passages of, in
// order, from its dictionary of document ids rather than by reading the
// passages. It may also list a document deleted since the index last
// merged its segments (bleve's dictionaries keep a term until then):
// what removes documents the library no longer has may remove it again,
// which is harmless.
func (k *Keyword) DocIDs(ctx context.Context) ([]string, error) {
	d, err := k.idx.FieldDict("doc_id")
	if err != nil {
		return nil, fmt.Errorf("retrieval: list documents: %w", err)
	}
	defer d.Close()
	var ids []string
	for {
		e, err := d.Next()
		if err != nil {
			return nil, fmt.Errorf("retrieval: list documents: %w", err)
		}
		if e == nil {
			return ids, ctx.Err()
		}
		ids = append(ids, e.Term)
	}
}
