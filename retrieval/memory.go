package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/klauspost/compress/s2"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval/internal/topk"
)

// The memory path. Asking bleve for the candidates walks a disjunction of
// one term query per field and term — some 160 for a question — over
// posting lists that cover most of the library, then reads 200 stored
// documents; rescoring reads their term-count blobs again. memIndex holds
// the same postings, term counts and stored fields in memory, built from
// the index, and answers the two stages in one pass over the postings of
// the query's terms:
//
//   - the first stage computes bleve's own score for each passage (its BM25
//     with the idf counted twice, the query norm and the share of clauses
//     matched), so that the 200 candidates are the ones bleve would pick;
//   - the second stage adds up the weighted BM25 of rescore, in rescore's
//     order, so that the final scores are bit for bit the same.
//
// Bleve sums a passage's clause scores in the order its heap yields them,
// which depends on the other clauses; the sums here run in query order. The
// two can differ in the last bits, which matters only when passages on
// either side of the cut-off score within rounding of each other: then the
// query goes to bleve as before (memTieMargin). A snapshot stands for one
// generation of the index; any write drops it and the next search builds a
// new one in the background, bleve answering meanwhile.

// memTieMargin is the relative gap, far above the rounding of a sum of a
// few hundred scores, below which the last candidate and the first passage
// left out are too close to call without bleve.
const memTieMargin = 1e-9

// memIndex is one generation of the keyword index in memory.
type memIndex struct {
	gen   uint64
	stats fieldStats
	docs  []memDoc // sorted by passage id, so that a number orders as its id
	// A term's postings in each rank field. One map for the four fields,
	// so that a query term costs one look-up rather than four.
	post map[string]*memTerm
	// Per rank field and passage (field*len(docs)+doc): the field length
	// bleve's BM25 recovers from its stored norm, and rescore's length norm
	// times k1. A field's values lie side by side, so that a posting list,
	// which is in passage order, reads them in order.
	blen   []float64
	k1Norm []float64
	// bleve's length norms times k1, for the average field lengths of the
	// last search; the averages change when bleve merges segments.
	bleve atomic.Pointer[memBleveNorms]
	byDoc map[string][]uint32 // document id → its passages
	// rowOf finds a passage by id; a search looks up a few hundred, and
	// a binary search compares many long ids that share their start.
	rowOf map[string]uint32
	// defines is the glossary: a defined term (folded words joined by
	// "_") → the passages defining it (see definedTerms).
	defines map[string][]uint32
	// readingOrder holds a document's passages in reading order once
	// sorted (inReadingOrder).
	readingOrder sync.Map // document id → []uint32
	// Each passage's tokens, read on first use (passageTokens), and the
	// vocabulary their words are numbered in.
	tokens []atomic.Pointer[passageTokens]
	words  vocab
	// kept is the bytes of scores kept in the terms (memKeepBudget).
	kept atomic.Int64
	// tokenBytes is the bytes of passages' tokens kept (memTokenBudget).
	tokenBytes atomic.Int64

	scratch sync.Pool // *memScratch
}

type memDoc struct {
	id, docID, anchor, title, heading string
	// packed is the passage's text compressed (S2): the texts are the
	// largest part of a snapshot, some 2.4 KB a passage, and a search
	// reads a few hundred of them at most (text).
	packed string
	kind   corpus.Kind
	// The snapshot holding the passage, and its row there: where its
	// tokens are cached.
	snap *memIndex
	row  uint32
}

// memList is a term's postings in one rank field, in passage order: the
// passage's number in the high 24 bits of each, its term frequency in the
// low 8, or memBigTF with the frequency in big. Four bytes a posting
// rather than eight: the postings are most of a snapshot, some 310 a
// passage, and a library of a million passages holds 300 million.
type memList struct {
	p   []uint32
	big map[int32]uint32 // posting index → term frequency, when ≥ memBigTF
}

const (
	memBigTF   = 0xff
	memMaxDocs = 1 << 24 // passages a snapshot can number; a larger index is searched by bleve
)

func (l *memList) add(doc, tf uint32) {
	if tf >= memBigTF {
		if l.big == nil {
			l.big = map[int32]uint32{}
		}
		l.big[int32(len(l.p))] = tf
		tf = memBigTF
	}
	l.p = append(l.p, doc<<8|tf)
}

// tf is the term frequency of posting i.
func (l *memList) tf(i int) uint32 {
	if tf := l.p[i] & 0xff; tf != memBigTF {
		return tf
	}
	return l.big[int32(i)]
}

// memTerm is a term's postings in each rank field, with what they add to
// a search's sums, kept once worked out (memIndex.scores).
type memTerm struct {
	post   [4]memList
	scores [4]atomic.Pointer[memScores]
}

// memScores is what each posting of a list adds to the two stages' sums:
// bleve's clause score before its query weight, and rescore's term. Every
// search of the term in that field adds the same numbers, computed the
// same way; working them out again each time (two divisions a posting, a
// question reads some 70,000 postings) made rankedMem a third slower. They
// cost 16 bytes a posting, kept only for the lists searches read (at
// most some 45 MB were every list of the library's 2.9 million postings
// read). They depend on the snapshot, and also on what is kept beside
// them, which can change: the average field length bleve scores with
// (when it merges segments) and the term's weight (a word pair's is not
// a word's).
type memScores struct {
	idf, avg, rr float64
	by           []memScore // by posting
}

type memScore struct{ first, second float64 }

// memKeepScores is the length of the shortest posting list whose scores
// are kept: a shorter list costs little to score again, and the many
// rare terms' scores would add up to memory for nothing.
const memKeepScores = 64

// memKeepBudget bounds the bytes of scores kept by one snapshot: a small
// library keeps every list it reads (some 45 MB for all of ~10,000
// passages), a large one the lists read first — the common words' — and
// works the others out at each search, as it does a short list.
const memKeepBudget = 256 << 20

// memTokenBudget bounds the bytes of passages' tokens one snapshot keeps
// (some 1.6 KB a passage): a library of a few hundred thousand passages
// keeps those of every passage searches meet; a larger one, long in
// service, those met first, and reads the others again at each use. A
// variable for the tests.
var memTokenBudget int64 = 256 << 20

// memScratch are per-search accumulators, one slot per passage; only the
// slots touched are cleared after use.
type memScratch struct {
	acc     []memAcc
	touched []uint32
	scores  []memScore           // a short posting list's (memKeepScores)
	top     []topk.Entry[uint32] // the best candidates' heap: bleve's score, the doc number
}

// memAcc is what the two stages add up for one passage. They lie
// together: a posting then costs one read of scattered memory, not three.
type memAcc struct {
	first, second float64 // bleve's clause scores and rescore's terms, in query order
	count         int32   // clauses matched
}

// sqrtTF holds √tf for the term frequencies most postings have: the same
// values math.Sqrt gives, without computing them for every posting.
var sqrtTF = func() (t [64]float64) {
	for i := range t {
		t[i] = math.Sqrt(float64(i))
	}
	return t
}()

// buildMem reads every passage of the index into a new memIndex.
func (k *Keyword) buildMem(ctx context.Context) (*memIndex, error) {
	k.mu.RLock()
	gen, st := k.gen, k.stats
	k.mu.RUnlock()
	count, err := k.idx.DocCount()
	if err != nil {
		return nil, fmt.Errorf("retrieval: read passages into memory: %w", err)
	}
	if count >= memMaxDocs {
		return nil, fmt.Errorf("retrieval: %d passages: more than a snapshot numbers", count)
	}
	n := int(count)
	m := &memIndex{gen: gen, stats: st, docs: make([]memDoc, n),
		blen: make([]float64, 4*n), k1Norm: make([]float64, 4*n), byDoc: map[string][]uint32{},
		defines: map[string][]uint32{}, tokens: make([]atomic.Pointer[passageTokens], n),
		post: map[string]*memTerm{}, rowOf: make(map[string]uint32, n)}
	// The passages are read a page at a time, in id order: all at once,
	// their stored fields (the term counts above all) took several times
	// the snapshot's own size while it was built.
	var after []string
	i := 0
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), memBuildPage, 0, false)
		req.Fields = []string{"doc_id", "kind", "anchor", "title", "heading", "text", "terms"}
		req.SortBy([]string{"_id"})
		req.SearchAfter = after
		res, err := k.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("retrieval: read passages into memory: %w", err)
		}
		if len(res.Hits) == 0 {
			break
		}
		if i+len(res.Hits) > n {
			return nil, errMemChanged
		}
		for _, h := range res.Hits {
			m.addPassage(i, h)
			i++
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
	if i != n {
		return nil, errMemChanged
	}
	// Appending left the long lists up to twice their length in capacity.
	for _, mt := range m.post {
		for f := range mt.post {
			if l := &mt.post[f]; cap(l.p) > len(l.p)+len(l.p)/8 {
				l.p = slices.Clone(l.p)
			}
		}
	}
	return m, nil
}

// memBuildPage is how many passages buildMem reads at a time.
var memBuildPage = 5000

// errMemChanged is a build that saw the index change under it; a write
// also moves the generation, so that the build is tried again.
var errMemChanged = errors.New("retrieval: the index changed while read into memory")

// addPassage adds a passage, read with its stored fields, as row i.
func (m *memIndex) addPassage(i int, h *search.DocumentMatch) {
	n := len(m.docs)
	st := m.stats
	{
		str := func(f string) string { s, _ := h.Fields[f].(string); return s }
		d := memDoc{id: h.ID, docID: str("doc_id"), kind: corpus.Kind(str("kind")),
			anchor: str("anchor"), title: str("title"), heading: str("heading"),
			packed: packText(str("text")), snap: m, row: uint32(i)}
		// A document's passages come one after the other and repeat its
		// id and title: one copy of each for all of them.
		if i > 0 {
			if prev := &m.docs[i-1]; prev.docID == d.docID {
				d.docID = prev.docID
				if prev.title == d.title {
					d.title = prev.title
				}
			}
		}
		m.docs[i] = d
		m.byDoc[m.docs[i].docID] = append(m.byDoc[m.docs[i].docID], uint32(i))
		m.rowOf[h.ID] = uint32(i)
		if text := str("text"); strings.Contains(text, " là ") {
			for _, t := range definedTerms(text, corpus.Tokenize(text), 0) {
				if l := m.defines[t]; len(l) == 0 || l[len(l)-1] != uint32(i) {
					m.defines[t] = append(l, uint32(i))
				}
			}
		}
		lines := strings.Split(str("terms"), "\n")
		for f := range rankFields {
			var line string
			if f < len(lines) {
				line = lines[f]
			}
			parts := strings.Split(line, " ")
			unigrams, _ := strconv.Atoi(parts[0])
			tokens := 0
			for _, p := range parts[1:] {
				j := strings.LastIndexByte(p, ':')
				if j < 0 {
					continue
				}
				c, _ := strconv.Atoi(p[j+1:])
				if c <= 0 {
					continue
				}
				tokens += c
				term := p[:j]
				mt, ok := m.post[term]
				if !ok {
					mt = new(memTerm)
					m.post[strings.Clone(term)] = mt
				}
				mt.post[f].add(uint32(i), uint32(c))
			}
			if tokens > 0 {
				// As zap stores it: the length in a float32's bits, read
				// back as the float32 of 1/√length.
				norm := float64(float32(1.0 / math.Sqrt(float64(tokens))))
				m.blen[f*n+i] = 1 / (norm * norm)
			}
			norm := 1 - bm25B + bm25B*float64(unigrams)/st.avg(f)
			m.k1Norm[f*n+i] = bm25K1 * norm
		}
	}
}

type memBleveNorms struct {
	avg [4]float64
	v   []float64
}

// bleveNorms returns, per field and passage (as blen), the length part of
// TermQueryScorer.docScore's denominator for the given average lengths.
func (m *memIndex) bleveNorms(avg [4]float64) []float64 {
	if c := m.bleve.Load(); c != nil && c.avg == avg {
		return c.v
	}
	k1, b := search.BM25_k1, search.BM25_b
	c := &memBleveNorms{avg: avg, v: make([]float64, len(m.blen))}
	n := len(m.docs)
	for i, fieldLength := range m.blen {
		if a := avg[i/n]; a > 0 {
			c.v[i] = k1 * (1 - b + (b * fieldLength / a))
		}
	}
	m.bleve.Store(c)
	return c.v
}

// memFor returns the memory snapshot of the current generation, starting a
// build in the background when there is none.
func (k *Keyword) memFor() *memIndex {
	if m := k.mem.Load(); m != nil {
		return m
	}
	if k.closed.Load() || !k.building.CompareAndSwap(false, true) {
		return nil
	}
	k.builds.Add(1)
	go func() {
		defer k.builds.Done()
		defer k.building.Store(false)
		// A write during the build makes it stale; try again a few times.
		for range 3 {
			if k.closed.Load() {
				return
			}
			m, err := k.buildMem(k.stopped)
			if err != nil {
				return
			}
			k.mu.Lock()
			fresh := m.gen == k.gen
			if fresh {
				k.mem.Store(m)
			}
			k.mu.Unlock()
			if fresh {
				return
			}
		}
	}()
	return nil
}

// WaitMemory builds the memory snapshot of the index as it is, if need
// be, and waits until it answers searches: what `eval` does before asking
// its questions, so that every one is answered the same way.
func (k *Keyword) WaitMemory(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if k.current() != nil {
			return nil
		}
		if k.closed.Load() {
			return errors.New("retrieval: the keyword index is closed")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("retrieval: wait for the memory snapshot: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// definitions returns the passages that define a phrase of q.Text (see
// memIndex.definitionsFor) with the phrase's words, or nil when the
// snapshot is not ready or q filters on what it does not hold.
func (k *Keyword) definitions(q Query) (hits []Hit, words [][]string) {
	m := k.current()
	if m == nil || q.Issuer != "" || q.Status != "" {
		return nil, nil
	}
	for _, d := range m.definitionsIn(analysedOf(q, q.Text), q) {
		hits = append(hits, m.docs[d.doc].hit(0, nil))
		words = append(words, d.terms)
	}
	return hits, words
}

// dropMem forgets the snapshot after a write; k.mu is held for writing.
func (k *Keyword) dropMem() {
	k.gen++
	k.mem.Store(nil)
}

// current returns the memory snapshot when it holds the index as it is.
func (k *Keyword) current() *memIndex {
	m := k.memFor()
	if m == nil || k.bleveOnly {
		return nil
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if m.gen != k.gen {
		return nil
	}
	return m
}

// memChild is one clause of bleve's disjunction: a term in a field.
type memChild struct {
	field int
	term  *memTerm
	post  *memList
	// First stage: bleve's idf, average field length and query weight.
	idf, avg, weight float64
	// Second stage: rescore's weight (field × term) and idf.
	rw, ridf float64
}

// rankedMem is ranked's first and second stage from memory. ok is false
// when the snapshot cannot answer exactly as bleve would; the caller then
// asks bleve.
func (k *Keyword) rankedMem(m *memIndex, uni, bi []string, q Query, n int) (cands []scored, total uint64, ok bool, err error) {
	if q.Issuer != "" || q.Status != "" {
		return nil, 0, false, nil // not held in memory
	}
	k.mu.RLock()
	current := m.gen == k.gen
	st := k.stats
	k.mu.RUnlock()
	if !current || st.Passages <= 0 {
		return nil, 0, false, nil
	}
	r, err := k.idx.Advanced()
	if err != nil {
		return nil, 0, false, err
	}
	reader, err := r.Reader()
	if err != nil {
		return nil, 0, false, err
	}
	defer reader.Close()
	docTotal, err := reader.DocCount()
	if err != nil {
		return nil, 0, false, err
	}
	bm, isBM := reader.(index.BM25Reader)
	if !isBM || docTotal != uint64(len(m.docs)) {
		return nil, 0, false, nil
	}
	// Bleve's average field length: its dictionary's size per passage,
	// rounded up — as bm25ScoreMetrics computes it.
	var avg [4]float64
	for f, field := range rankFields {
		card, err := bm.FieldCardinality(field)
		if err != nil {
			return nil, 0, false, err
		}
		if card > 0 {
			avg[f] = math.Ceil(float64(card) / float64(docTotal))
		}
	}
	// The clauses in the order termQueries makes them, which is also the
	// order rescore sums its terms in.
	rn := float64(st.Passages)
	lists := make([]*memTerm, 0, len(uni)+len(bi))
	for _, t := range uni {
		lists = append(lists, m.post[t])
	}
	for _, t := range bi {
		lists = append(lists, m.post[t])
	}
	children := make([]memChild, 0, len(fieldBoosts)*len(lists))
	sumSq := 0.0
	for f, fb := range fieldBoosts {
		for pass, terms := range [][]*memTerm{lists[:len(uni)], lists[len(uni):]} {
			tw := 1.0
			if pass == 1 {
				tw = bigramBoost
			}
			for _, l := range terms {
				if l == nil {
					continue
				}
				post := &l.post[f]
				if len(post.p) == 0 {
					continue
				}
				if avg[f] <= 0 {
					return nil, 0, false, nil
				}
				df := float64(len(post.p))
				idf := math.Log(1 + (float64(docTotal)-df+0.5)/(df+0.5))
				boost := fb.boost * tw / idf
				w := boost * idf
				sumSq += w * w
				children = append(children, memChild{field: f, term: l, post: post, idf: idf, avg: avg[f],
					weight: boost, rw: fb.boost * tw, ridf: math.Log(1 + (rn-df+0.5)/(df+0.5))})
			}
		}
	}
	if len(children) == 0 {
		return nil, 0, true, nil
	}
	qnorm := 1.0 / math.Sqrt(sumSq)
	for i := range children {
		children[i].weight = children[i].weight * children[i].idf * qnorm
	}

	s, _ := m.scratch.Get().(*memScratch)
	if s == nil {
		s = &memScratch{acc: make([]memAcc, len(m.docs))}
	}
	defer func() {
		for _, d := range s.touched {
			s.acc[d] = memAcc{}
		}
		s.touched = s.touched[:0]
		m.scratch.Put(s)
	}()
	// Adding up the postings of the query's terms is most of a keyword
	// search.
	k1Norm := m.bleveNorms(avg)
	var skip []bool // by passage: left out by q's filter
	if q.Kind != "" || q.DocID != "" {
		skip = make([]bool, len(m.docs))
		for d := range m.docs {
			skip[d] = q.Kind != "" && m.docs[d].kind != q.Kind || q.DocID != "" && m.docs[d].docID != q.DocID
		}
	}
	for ci := range children {
		c := &children[ci]
		s.touched = addClause(s.acc, s.touched, c.post, m.scores(c, k1Norm, s), c.weight, skip)
	}
	// The n best by bleve's score, ties by id (the doc number), and the
	// first one left out, to see how close the cut is.
	top := topk.New(n+1, laterDoc, s.top)
	nc := float64(len(children))
	for _, d := range s.touched {
		score := s.acc[d].first * (float64(s.acc[d].count) / nc)
		// Most of a search's few thousand come after the top is full and
		// score below its least: turned away here, without a call.
		if top.Full() && score < top.Least().Key {
			continue
		}
		top.Push(score, d)
	}
	best := top.Sorted()
	s.top = best[:0]
	unsure := len(best) // best[unsure:] may or may not be among bleve's n
	if len(best) > n {
		in, out := best[n-1].Key, best[n].Key
		lo, hi := out*(1-memTieMargin), in*(1+memTieMargin)
		if out >= in*(1-memTieMargin) && !m.exactBand(s, children, k1Norm, lo, hi, nc, q) {
			// Too close to call: bleve keeps every passage scoring above
			// the band and none below it, and some of those within it.
			// They are all returned, marked, for ranked to see whether
			// any of them would be shown (see settled).
			unsure = 0
			for unsure < len(best) && best[unsure].Key > hi {
				unsure++
			}
			best = best[:unsure]
			for _, d := range s.touched {
				if sc := s.acc[d].first * (float64(s.acc[d].count) / nc); sc >= lo && sc <= hi {
					best = append(best, topk.Entry[uint32]{Key: sc, Value: d})
				}
			}
		} else {
			best = best[:n]
			unsure = n
		}
	}
	cands = make([]scored, len(best))
	for i, c := range best {
		doc := &m.docs[c.Value]
		cands[i] = scored{id: doc.id, score: s.acc[c.Value].second, docID: doc.docID, doc: doc, unsure: i >= unsure}
	}
	sortScored(cands)
	// The count a search reports is of the passages that answer the
	// query about as well as the best: every passage holding one of its
	// words, "thủ tục" or "đăng ký", was thousands, most of the library.
	total = 0
	if len(best) > 0 {
		floor := honestShare * best[0].Key
		for _, d := range s.touched {
			if s.acc[d].first*(float64(s.acc[d].count)/nc) >= floor {
				total++
			}
		}
	}
	return cands, total, true, nil
}

// honestShare is the share of the best keyword score a passage must reach
// to be counted in a search's total.
const honestShare = 0.5

// addClause adds a clause's scores to the sums of the passages its
// postings hold, but those skip marks (skip may be nil), and returns
// touched with the passages counted for the first time appended. A
// function of its own, so that the loop keeps what it reads in registers.
func addClause(acc []memAcc, touched []uint32, post *memList, scores []memScore, weight float64, skip []bool) []uint32 {
	scores = scores[:len(post.p)]
	for i, p := range post.p {
		d := p >> 8
		if skip != nil && skip[d] {
			continue
		}
		a := &acc[d]
		if a.count == 0 {
			touched = append(touched, d)
		}
		a.count++
		// The conversion rounds the product, so that it is never fused
		// with the sum: bleve rounds it too.
		a.first += float64(scores[i].first * weight)
		a.second += scores[i].second
	}
	return touched
}

// scores returns what each posting of clause c adds to the two stages'
// sums (see memScores), given bleve's length norms for this search
// (bleveNorms): kept in c's term for a long list, else worked out in s.
func (m *memIndex) scores(c *memChild, k1Norm []float64, s *memScratch) []memScore {
	rr := c.rw * c.ridf
	np := len(c.post.p)
	keep := np >= memKeepScores
	if keep {
		sc := c.term.scores[c.field].Load()
		if sc != nil && sc.idf == c.idf && sc.avg == c.avg && sc.rr == rr {
			return sc.by
		}
		// A list kept before is replaced in its place; a new one only
		// while the budget lasts.
		if sc == nil {
			size := int64(np) * int64(unsafe.Sizeof(memScore{}))
			if m.kept.Add(size) > memKeepBudget {
				m.kept.Add(-size)
				keep = false
			}
		}
	}
	var out []memScore
	if keep {
		out = make([]memScore, np)
	} else {
		s.scores = slices.Grow(s.scores[:0], np)[:np]
		out = s.scores
	}
	k1 := search.BM25_k1
	nd := len(m.docs)
	norms := k1Norm[c.field*nd : (c.field+1)*nd]
	rnorms := m.k1Norm[c.field*nd : (c.field+1)*nd]
	for i, p := range c.post.p {
		d := p >> 8
		ptf := p & 0xff
		if ptf == memBigTF {
			ptf = c.post.tf(i)
		}
		// TermQueryScorer.docScore; its query weight is the search's
		// (a weight of 1, which bleve skips, leaves the product as it
		// was).
		var tf float64
		if ptf < uint32(len(sqrtTF)) {
			tf = sqrtTF[ptf]
		} else {
			tf = math.Sqrt(float64(ptf))
		}
		out[i].first = c.idf * (tf * k1) / (tf + norms[d])
		// rescore's term.
		x := float64(ptf)
		out[i].second = rr * x * (bm25K1 + 1) / (x + rnorms[d])
	}
	if keep {
		// Two searches may work out the same list at once: either result
		// will do, both being the same numbers.
		c.term.scores[c.field].Store(&memScores{idf: c.idf, avg: c.avg, rr: rr, by: out})
	}
	return out
}

// rescoreHits is rescore of bleve's candidates from the snapshot (which
// must be current): the same terms, in the same order, from its postings;
// ok is false when it does not hold one of them.
func (m *memIndex) rescoreHits(hits search.DocumentMatchCollection, uni, bi []string) (cands []scored, ok bool) {
	nd := len(m.docs)
	place := make([]int32, nd) // 1 + a passage's place among the hits
	cands = make([]scored, len(hits))
	for i, h := range hits {
		r, ok := m.rowOf[h.ID]
		if !ok {
			return nil, false
		}
		place[r] = int32(i + 1)
		d := &m.docs[r]
		cands[i] = scored{id: d.id, docID: d.docID, doc: d}
	}
	rn := float64(m.stats.Passages)
	for f, fb := range fieldBoosts {
		norms := m.k1Norm[f*nd : (f+1)*nd]
		for pass, terms := range [][]string{uni, bi} {
			tw := 1.0
			if pass == 1 {
				tw = bigramBoost
			}
			for _, t := range terms {
				l := m.post[t]
				if l == nil || len(l.post[f].p) == 0 {
					continue
				}
				post := &l.post[f]
				df := float64(len(post.p))
				rr := fb.boost * tw * math.Log(1+(rn-df+0.5)/(df+0.5))
				for j, p := range post.p {
					if i := place[p>>8]; i != 0 {
						x := float64(post.tf(j))
						cands[i-1].score += rr * x * (bm25K1 + 1) / (x + norms[p>>8])
					}
				}
			}
		}
	}
	sortScored(cands)
	return cands, true
}

// exactBand reports whether every passage scoring within [lo, hi] has
// bleve's score exactly: a sum of clause scores that every order of
// addition gives alike, as a sum of two always is (bleve adds them up in
// an order of its own). A sum of three or four clause scores is checked
// order by order rather than handed to bleve, whose search costs as much
// as many from memory: passages that tie at the cut-off often match the
// same four clauses. Scores under a filter are not bleve's (its conjunction
// adds the filter's score and rescales).
func (m *memIndex) exactBand(s *memScratch, children []memChild, k1Norm []float64, lo, hi, nc float64, q Query) bool {
	if q.Kind != "" || q.DocID != "" {
		return false
	}
	var check []uint32 // the passages whose sums need checking
	for _, d := range s.touched {
		score := s.acc[d].first * (float64(s.acc[d].count) / nc)
		if score < lo || score > hi {
			continue
		}
		switch c := s.acc[d].count; {
		case c > memOrderFreeMax:
			return false
		case c > 2:
			check = append(check, d)
		}
	}
	if len(check) == 0 {
		return true
	}
	// Their clause scores, in the order addClause added them.
	// 1 + a passage's place in check, by passage: a slice, not a map,
	// since every posting of the query's clauses is looked up in it.
	slot := make([]int32, len(m.docs))
	for i, d := range check {
		slot[d] = int32(i + 1)
	}
	parts := make([][memOrderFreeMax]float64, len(check))
	have := make([]int, len(check))
	for ci := range children {
		c := &children[ci]
		scores := m.scores(c, k1Norm, s)
		for i, p := range c.post.p {
			if k := slot[p>>8] - 1; k >= 0 {
				parts[k][have[k]] = float64(scores[i].first * c.weight)
				have[k]++
			}
		}
	}
	for k, d := range check {
		if !orderFree(parts[k][:have[k]], s.acc[d].first) {
			return false
		}
	}
	return true
}

// memOrderFreeMax is the most clause scores exactBand adds up in every
// order: 24 orders for four.
const memOrderFreeMax = 4

// orderFree reports whether adding xs up from 0, one after the other, in
// any order gives sum.
func orderFree(xs []float64, sum float64) bool {
	var try func(acc float64, rest []float64) bool
	try = func(acc float64, rest []float64) bool {
		if len(rest) == 0 {
			return acc == sum
		}
		for i := range rest {
			rest[0], rest[i] = rest[i], rest[0]
			ok := try(acc+rest[0], rest[1:])
			rest[0], rest[i] = rest[i], rest[0]
			if !ok {
				return false
			}
		}
		return true
	}
	return try(0, xs)
}

// laterDoc breaks ties of bleve's sort "-_score", "_id": of two passages
// scoring alike, the later doc number ranks lower.
func laterDoc(a, b uint32) bool { return a > b }

// packText compresses a passage's text for memDoc.packed.
func packText(text string) string {
	if text == "" {
		return ""
	}
	return string(s2.EncodeBetter(nil, []byte(text)))
}

// text is the passage's text, uncompressed (1–5 µs).
func (d *memDoc) text() string {
	if d.packed == "" {
		return ""
	}
	b, err := s2.Decode(nil, unsafe.Slice(unsafe.StringData(d.packed), len(d.packed)))
	if err != nil {
		// The snapshot compressed it itself: a failure is a bug.
		panic(fmt.Sprintf("retrieval: passage %s: text held in memory is damaged: %v", d.id, err))
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// unreadHit is hit without snippet, its text left unread (Hit.mem).
func (d *memDoc) unreadHit(score float64) Hit {
	return Hit{PassageID: d.id, DocID: d.docID, Kind: d.kind, Anchor: d.anchor,
		Title: d.title, Heading: d.heading, Score: score, mem: d}
}

func (d *memDoc) hit(score float64, terms map[string]bool) Hit {
	h := Hit{PassageID: d.id, DocID: d.docID, Kind: d.kind, Anchor: d.anchor,
		Title: d.title, Heading: d.heading, Text: d.text(), Score: score}
	if terms != nil {
		h.Snippet = (&snippeter{m: d.snap, terms: terms}).of(&h, 240)
	}
	return h
}

// inReadingOrder returns the passages of a document as the law reads
// them (anchorLess), sorted on first use: a search for a document's number
// shows its first passage, and each comparison splits both anchors, so
// that sorting a long code at every such search added up. The slice is
// shared: not to be changed.
func (m *memIndex) inReadingOrder(docID string) []uint32 {
	if rows, ok := m.readingOrder.Load(docID); ok {
		return rows.([]uint32)
	}
	// Anchors are unique within a document, so that the order is the one
	// bleve's answer sorts into.
	rows := slices.Clone(m.byDoc[docID])
	slices.SortStableFunc(rows, func(a, b uint32) int {
		switch {
		case anchorLess(m.docs[a].anchor, m.docs[b].anchor):
			return -1
		case anchorLess(m.docs[b].anchor, m.docs[a].anchor):
			return 1
		}
		return 0
	})
	m.readingOrder.Store(docID, rows)
	return rows
}

// tokensOf returns the tokens of a passage, reading them on first use and
// keeping them within memTokenBudget; nil when they cannot be cached.
func (m *memIndex) tokensOf(row uint32) *passageTokens {
	if p := m.tokens[row].Load(); p != nil {
		return p
	}
	d := &m.docs[row]
	p := m.words.tokenize(d.title, headingName(d.heading), d.text())
	if p == nil {
		return nil
	}
	size := int64(unsafe.Sizeof(passageTokens{})) + int64(len(p.toks))*int64(unsafe.Sizeof(wordTok{}))
	if m.tokenBytes.Add(size) > memTokenBudget {
		m.tokenBytes.Add(-size)
		return p
	}
	// Two searches may read a passage at once: either result will do,
	// as both number the words in the same vocabulary.
	if !m.tokens[row].CompareAndSwap(nil, p) {
		m.tokenBytes.Add(-size)
	}
	return p
}

// tokensFor returns the cached tokens of a hit read from this snapshot
// (m may be nil): nil unless the snapshot holds a passage of that id with
// the same title, heading and text.
func (m *memIndex) tokensFor(h *Hit) *passageTokens {
	if m == nil || len(m.tokens) != len(m.docs) {
		return nil
	}
	if d := h.mem; d != nil && d.snap == m && d.id == h.PassageID && d.title == h.Title && d.heading == h.Heading {
		return m.tokensOf(d.row) // the passage the hit was made of, its text unread
	}
	i, ok := m.rowOf[h.PassageID]
	if !ok {
		return nil
	}
	// Equal strings from the snapshot share their bytes: a pointer compare
	// (the text is compared last, uncompressed).
	if d := &m.docs[i]; d.id != h.PassageID || d.title != h.Title || d.heading != h.Heading || d.text() != h.text() {
		return nil
	}
	return m.tokensOf(uint32(i))
}
