package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mattranso/mattranso/corpus"
)

// KeywordVersion changes whenever the mapping or the analysis changes; an
// index written by another version is rebuilt.
const KeywordVersion = "kw-3"

var versionKey = []byte("mattranso_version")

// Field weights: a word in a title or heading says more about a passage
// than the same word in its body.
var fieldBoosts = []struct {
	field string
	boost float64
}{
	{"title", 0.5},
	{"heading", 1.0},
	{"text", 1.0},
	{"context", 0.5},
}

// Keyword is the bleve keyword index over passages.
type Keyword struct {
	idx  bleve.Index
	path string
	// Fresh is set when the index was created empty by Open — new, or
	// rebuilt because its version changed — so that the caller re-indexes
	// every document.
	Fresh bool

	write sync.Mutex // one writer at a time: stats are read-modify-write
	mu    sync.RWMutex
	// titles are the names of the laws, by document id, for "Điều N <law>"
	// references and MentionedLaws. Only laws: both ask every search, and
	// procedures are most of the documents.
	titles map[string]lawName
	stats  fieldStats
	gen    uint64 // counts writes, so that a memory snapshot knows it is current

	mem      atomic.Pointer[memIndex] // nil until built, and after a write
	building atomic.Bool
	builds   sync.WaitGroup
	closed   atomic.Bool
	stop     context.CancelFunc // cancels a build when the index closes
	stopped  context.Context
	// bleveOnly turns the memory path off, for tests that compare the two.
	bleveOnly bool
}

// lawName is a law's names as look-ups and MentionedLaws read them.
type lawName struct {
	id   string
	kind corpus.Kind
	corpus.LawName
}

// ErrIndexBusy is OpenKeyword's error when another process has the index
// open: bleve takes one process at a time.
var ErrIndexBusy = errors.New("the keyword index is open in another process")

// keywordLockWait bounds the wait for bleve's lock on an index. Unbounded,
// a second process waits for ever and cannot be interrupted; the process
// that holds the index keeps it for as long as it runs, so waiting longer
// gains nothing.
const keywordLockWait = "1s"

// OpenKeyword opens the keyword index in dir, creating it when missing and
// rebuilding it (empty, Fresh set) when it was written by another version
// or cannot be opened. An index that another process holds is left alone:
// the error is ErrIndexBusy.
func OpenKeyword(dir string) (*Keyword, error) {
	k := &Keyword{path: dir, titles: map[string]lawName{}}
	k.stopped, k.stop = context.WithCancel(context.Background())
	idx, err := bleve.OpenUsing(dir, map[string]interface{}{"bolt_timeout": keywordLockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("retrieval: open %s: %w", dir, ErrIndexBusy)
	}
	if err == nil {
		v, verr := idx.GetInternal(versionKey)
		if verr == nil && string(v) == KeywordVersion {
			k.idx = idx
			if b, err := idx.GetInternal(statsKey); err == nil && len(b) > 0 {
				if err := json.Unmarshal(b, &k.stats); err != nil {
					idx.Close()
					return nil, fmt.Errorf("retrieval: read index statistics: %w", err)
				}
			}
			if err := k.loadTitles(); err != nil {
				idx.Close()
				return nil, err
			}
			// Searches are answered from memory once it is read; start now,
			// so that a server is quick from its first searches.
			k.memFor()
			return k, nil
		}
		idx.Close()
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("retrieval: remove outdated index %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	idx, err = bleve.New(dir, newMapping())
	if err != nil {
		return nil, fmt.Errorf("retrieval: create keyword index %s: %w", dir, err)
	}
	if err := idx.SetInternal(versionKey, []byte(KeywordVersion)); err != nil {
		idx.Close()
		return nil, err
	}
	k.idx, k.Fresh = idx, true
	return k, nil
}

func newMapping() mapping.IndexMapping {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	im.DefaultAnalyzer = AnalyzerName
	doc := bleve.NewDocumentMapping()
	text := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = AnalyzerName
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		return f
	}
	stored := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		return f
	}
	doc.AddFieldMappingsAt("title", text(true))
	doc.AddFieldMappingsAt("heading", text(true))
	doc.AddFieldMappingsAt("text", text(true))
	doc.AddFieldMappingsAt("context", text(false))
	doc.AddFieldMappingsAt("doc_id", kw(true))
	doc.AddFieldMappingsAt("kind", kw(true))
	doc.AddFieldMappingsAt("number", kw(false))
	doc.AddFieldMappingsAt("issuer", kw(false))
	doc.AddFieldMappingsAt("status", kw(false))
	doc.AddFieldMappingsAt("anchor", kw(true))
	doc.AddFieldMappingsAt("names", stored())
	doc.AddFieldMappingsAt("terms", stored())
	im.DefaultMapping = doc
	im.DefaultField = "text"
	return im
}

// Close closes the index, after any memory snapshot being built.
func (k *Keyword) Close() error {
	k.closed.Store(true)
	k.stop()
	k.builds.Wait()
	k.mem.Store(nil)
	return k.idx.Close()
}

// Count returns the number of passages held.
func (k *Keyword) Count() (uint64, error) { return k.idx.DocCount() }

type passageDoc struct {
	Title   string `json:"title"`
	Heading string `json:"heading"`
	Text    string `json:"text"`
	Context string `json:"context"`
	DocID   string `json:"doc_id"`
	Kind    string `json:"kind"`
	Number  string `json:"number"`
	Issuer  string `json:"issuer"`
	Status  string `json:"status"`
	Anchor  string `json:"anchor"`
	Names   string `json:"names"`
	Terms   string `json:"terms"`
}

// Index replaces the passages of each document.
func (k *Keyword) Index(ctx context.Context, docs ...*corpus.Document) error {
	k.write.Lock()
	defer k.write.Unlock()
	k.mu.RLock()
	st := k.stats
	st.Len = append([]int64(nil), st.Len...)
	k.mu.RUnlock()
	b := k.idx.NewBatch()
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return err
		}
		old, err := k.passageLens(d.ID)
		if err != nil {
			return err
		}
		for _, lens := range old {
			st.add(lens, -1)
		}
		names := strings.Join(append([]string{d.Title}, d.Aliases...), "\n")
		for _, p := range corpus.Passages(d) {
			blob, lens := termCounts([]string{p.Title, p.Heading, p.Text, p.Context})
			st.add(lens, 1)
			delete(old, p.ID)
			if err := b.Index(p.ID, passageDoc{
				Title: p.Title, Heading: p.Heading, Text: p.Text, Context: p.Context,
				DocID: p.DocID, Kind: string(p.Kind), Number: corpus.NormalizeNumber(p.Number),
				Issuer: corpus.TitleKey(p.Issuer), Status: corpus.TitleKey(p.Status),
				Anchor: p.Anchor, Names: names, Terms: blob,
			}); err != nil {
				return fmt.Errorf("retrieval: index passage %s: %w", p.ID, err)
			}
		}
		for id := range old {
			b.Delete(id)
		}
	}
	b.SetInternal(statsKey, st.encode())
	if err := k.idx.Batch(b); err != nil {
		return fmt.Errorf("retrieval: write keyword index: %w", err)
	}
	k.mu.Lock()
	k.stats = st
	k.dropMem()
	for _, d := range docs {
		if d.Kind == corpus.KindLaw {
			k.titles[d.ID] = newLawName(d.ID, d.Kind, strings.Join(append([]string{d.Title}, d.Aliases...), "\n"))
		} else {
			delete(k.titles, d.ID)
		}
	}
	k.mu.Unlock()
	return nil
}

// Delete removes every passage of the given documents.
func (k *Keyword) Delete(ctx context.Context, docIDs ...string) error {
	k.write.Lock()
	defer k.write.Unlock()
	k.mu.RLock()
	st := k.stats
	st.Len = append([]int64(nil), st.Len...)
	k.mu.RUnlock()
	b := k.idx.NewBatch()
	for _, id := range docIDs {
		old, err := k.passageLens(id)
		if err != nil {
			return err
		}
		for pid, lens := range old {
			st.add(lens, -1)
			b.Delete(pid)
		}
	}
	b.SetInternal(statsKey, st.encode())
	if err := k.idx.Batch(b); err != nil {
		return fmt.Errorf("retrieval: delete from keyword index: %w", err)
	}
	k.mu.Lock()
	k.stats = st
	k.dropMem()
	for _, id := range docIDs {
		delete(k.titles, id)
	}
	k.mu.Unlock()
	return nil
}

// passageLens returns the passages of a document with their field lengths.
func (k *Keyword) passageLens(docID string) (map[string][]int, error) {
	q := bleve.NewTermQuery(docID)
	q.SetField("doc_id")
	req := bleve.NewSearchRequestOptions(q, 100000, 0, false)
	req.Fields = []string{"terms"}
	res, err := k.idx.Search(req)
	if err != nil {
		return nil, fmt.Errorf("retrieval: list passages of %s: %w", docID, err)
	}
	out := make(map[string][]int, len(res.Hits))
	for _, h := range res.Hits {
		blob, _ := h.Fields["terms"].(string)
		out[h.ID] = decodeLens(blob)
	}
	return out, nil
}

// loadTitles reads the names of every indexed document, for reference
// look-ups, from the first passage of each.
func (k *Keyword) loadTitles() error {
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 1<<30, 0, false)
	req.Fields = []string{"doc_id", "kind", "names"}
	res, err := k.idx.Search(req)
	if err != nil {
		return fmt.Errorf("retrieval: read document names: %w", err)
	}
	for _, h := range res.Hits {
		id, _ := h.Fields["doc_id"].(string)
		kind, _ := h.Fields["kind"].(string)
		if _, ok := k.titles[id]; ok || id == "" || corpus.Kind(kind) != corpus.KindLaw {
			continue
		}
		names, _ := h.Fields["names"].(string)
		k.titles[id] = newLawName(id, corpus.Kind(kind), names)
	}
	return nil
}

func newLawName(id string, kind corpus.Kind, names string) lawName {
	return lawName{id: id, kind: kind, LawName: corpus.ParseLawName(strings.Split(names, "\n"))}
}

// Search answers q: a document number or an "Điều N <law>" reference by
// look-up first, then ranked keyword matches.
func (k *Keyword) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	text := strings.TrimSpace(corpus.NFC(q.Text))
	if text == "" {
		return Result{}, fmt.Errorf("%w: the query is empty", ErrBadQuery)
	}
	if n := utf8.RuneCountInString(text); n > MaxQueryLen {
		return Result{}, fmt.Errorf("%w: the query has %d characters, more than %d", ErrBadQuery, n, MaxQueryLen)
	}
	if q.Kind != "" && !q.Kind.Valid() {
		return Result{}, fmt.Errorf("%w: unknown kind %q (law or procedure)", ErrBadQuery, q.Kind)
	}
	text = expandQuery(text)
	if q.Limit <= 0 {
		q.Limit = 10
	}
	if q.Limit > MaxLimit {
		q.Limit = MaxLimit
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	var exact []Hit
	noArticle := false
	if q.Offset == 0 {
		var err error
		exact, noArticle, err = k.lookup(ctx, text, q)
		if err != nil {
			return Result{}, err
		}
	}
	res, err := k.ranked(ctx, analysedOf(q, text), q, q.Limit+len(exact))
	if err != nil {
		return Result{}, err
	}
	res.NoArticle = noArticle
	if len(exact) > 0 {
		// Looked-up passages rank above every scored one.
		top := 0.0
		if len(res.Hits) > 0 {
			top = res.Hits[0].Score
		}
		for i := range exact {
			exact[i].Score = top + float64(len(exact)-i)
		}
		seen := map[string]bool{}
		merged := append([]Hit(nil), exact...)
		for _, h := range exact {
			seen[h.PassageID] = true
		}
		for _, h := range res.Hits {
			if !seen[h.PassageID] {
				merged = append(merged, h)
			}
		}
		if len(merged) > q.Limit {
			merged = merged[:q.Limit]
		}
		res.Hits, res.Exact, res.Lookups = merged, true, min(len(exact), len(merged))
		if res.Total < uint64(len(merged)) {
			res.Total = uint64(len(merged))
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// ranked runs the scored keyword query: from the memory snapshot when it
// can answer exactly as bleve would, else from bleve.
func (k *Keyword) ranked(ctx context.Context, a *analysed, q Query, size int) (Result, error) {
	uni, bi := a.uni, a.bi
	if len(uni) == 0 {
		return Result{}, fmt.Errorf("%w: the query has no words", ErrBadQuery)
	}
	uni, bi = dedupe(uni), dedupe(bi)
	var (
		cands []scored
		total uint64
		ok    bool
	)
	if m := k.memFor(); m != nil && !k.bleveOnly {
		var err error
		if cands, total, ok, err = k.rankedMem(m, uni, bi, q, max(candidates, q.Offset+size)); err != nil {
			return Result{}, err
		}
		if ok && total == 0 {
			return Result{}, nil
		}
	}
	var named map[string]bool
	if q.DocID == "" {
		named = k.mentionedLaws(a.uni)
	}
	if ok {
		boostNamed(cands, named)
		ok = settled(cands, q.Offset+size)
	}
	if !ok {
		var (
			err error
			all uint64
		)
		if cands, all, err = k.rankedBleve(ctx, uni, bi, q, size); err != nil || cands == nil {
			return Result{}, err
		}
		if total == 0 {
			total = all
		}
		boostNamed(cands, named)
	}
	var terms map[string]bool
	if !q.noSnippets {
		terms = a.snippetTerms()
	}
	out := Result{Total: total}
	if q.Offset < len(cands) {
		cands = cands[q.Offset:]
	} else {
		cands = nil
	}
	if len(cands) > size {
		cands = cands[:size]
	}
	if len(cands) > 0 { // no hits stay nil
		out.Hits = make([]Hit, 0, len(cands))
	}
	for _, c := range cands {
		if c.doc != nil && q.unread {
			out.Hits = append(out.Hits, c.doc.unreadHit(c.score))
		} else if c.doc != nil {
			out.Hits = append(out.Hits, c.doc.hit(c.score, terms))
		} else {
			out.Hits = append(out.Hits, hitFrom(c.id, c.score, c.fields, terms))
		}
	}
	// The count is of the passages near the best (nearBest), but never
	// fewer than the pages shown reach.
	if !q.fusing {
		out.Total = max(out.Total, uint64(q.Offset+len(out.Hits)))
	}
	return out, nil
}

// boostNamed puts the passages of the laws a question names ("Theo Luật
// Cư trú, …") before equally good passages of other laws.
func boostNamed(cands []scored, named map[string]bool) {
	if len(named) == 0 {
		return
	}
	for i := range cands {
		if named[cands[i].docID] {
			cands[i].score *= 1 + lawBoost
		}
	}
	sortScored(cands)
}

// settled reports whether the first n candidates of the memory path are
// the ones bleve's would be. When passages tie at its cut-off, the memory
// path cannot tell which of them bleve keeps, and returns them all marked
// unsure; when none of them comes among the first n, which of them bleve
// keeps changes nothing of what is shown, nor of its order.
func settled(cands []scored, n int) bool {
	for _, c := range cands[:min(n, len(cands))] {
		if c.unsure {
			return false
		}
	}
	return true
}

// rankedBleve asks bleve for the candidates and rescores them; nil
// candidates with a nil error mean that no term of the query is indexed.
func (k *Keyword) rankedBleve(ctx context.Context, uni, bi []string, q Query, size int) ([]scored, uint64, error) {
	r, err := k.idx.Advanced()
	if err != nil {
		return nil, 0, err
	}
	reader, err := r.Reader()
	if err != nil {
		return nil, 0, err
	}
	defer reader.Close()
	should, err := k.termQueries(ctx, reader, uni, bi)
	if err != nil {
		return nil, 0, err
	}
	if len(should) == 0 {
		return nil, 0, nil
	}
	dq := bleve.NewDisjunctionQuery(should...)
	var top query.Query = dq
	if filters := k.filters(q); len(filters) > 0 {
		top = bleve.NewConjunctionQuery(append(filters, dq)...)
	}
	n := max(candidates, q.Offset+size)
	req := bleve.NewSearchRequestOptions(top, n, 0, false)
	// Ties broken by id, so that the candidates do not depend on the
	// order in which passages were indexed.
	req.SortBy([]string{"-_score", "_id"})
	if m := k.current(); m != nil {
		// The candidates' passages and term counts are in memory: bleve
		// need only say which they are (reading 200 stored passages was
		// most of this path).
		res, err := k.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, 0, fmt.Errorf("retrieval: keyword search: %w", err)
		}
		if cands, ok := m.rescoreHits(res.Hits, uni, bi); ok && k.current() == m {
			return cands, nearBest(res.Hits), nil
		}
	}
	req.Fields = []string{"doc_id", "kind", "anchor", "title", "heading", "text", "terms"}
	res, err := k.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("retrieval: keyword search: %w", err)
	}
	cands := make([]scored, len(res.Hits))
	for i, h := range res.Hits {
		blob, _ := h.Fields["terms"].(string)
		docID, _ := h.Fields["doc_id"].(string)
		cands[i] = scored{id: h.ID, score: h.Score, docID: docID, fields: h.Fields, blob: blob}
	}
	var qt []queryTerm
	for _, t := range uni {
		qt = append(qt, queryTerm{t, 1})
	}
	for _, t := range bi {
		qt = append(qt, queryTerm{t, bigramBoost})
	}
	if err := k.rescore(ctx, reader, qt, cands); err != nil {
		return nil, 0, fmt.Errorf("retrieval: rank: %w", err)
	}
	return cands, nearBest(res.Hits), nil
}

// nearBest counts the hits bleve scored within honestShare of the best,
// as the memory snapshot counts a search's total. Bleve's hits are the
// candidates asked for, sorted by its score: a total beyond them is cut
// to them.
func nearBest(hits search.DocumentMatchCollection) uint64 {
	var n uint64
	for _, h := range hits {
		if h.Score < honestShare*hits[0].Score {
			break
		}
		n++
	}
	return n
}

// termQueries builds one term query per field and term. Bleve's BM25
// multiplies the idf in twice (once in the term score, once in the query
// weight); the boost divides one back out so that ranking follows plain
// BM25, with field and bigram weights on top.
func (k *Keyword) termQueries(ctx context.Context, reader index.IndexReader, uni, bi []string) ([]query.Query, error) {
	total, err := reader.DocCount()
	if err != nil {
		return nil, err
	}
	var should []query.Query
	add := func(field, term string, boost float64) error {
		tfr, err := reader.TermFieldReader(ctx, []byte(term), field, false, false, false)
		if err != nil {
			return err
		}
		df := tfr.Count()
		tfr.Close()
		if df == 0 {
			return nil
		}
		idf := math.Log(1 + (float64(total)-float64(df)+0.5)/(float64(df)+0.5))
		tq := bleve.NewTermQuery(term)
		tq.SetField(field)
		tq.SetBoost(boost / idf)
		should = append(should, tq)
		return nil
	}
	for _, fb := range fieldBoosts {
		for _, t := range uni {
			if err := add(fb.field, t, fb.boost); err != nil {
				return nil, err
			}
		}
		for _, t := range bi {
			if err := add(fb.field, t, fb.boost*bigramBoost); err != nil {
				return nil, err
			}
		}
	}
	return should, nil
}

// bigramBoost weighs a matched two-syllable unit above its two syllables.
var bigramBoost = 2.0

func (k *Keyword) filters(q Query) []query.Query {
	var fs []query.Query
	add := func(field, value string) {
		tq := bleve.NewTermQuery(value)
		tq.SetField(field)
		// A filter chooses, it does not score: with its weight bleve
		// would add the same amount to every hit, and the share of the
		// best score a search's total counts (nearBest) would not be the
		// memory snapshot's.
		tq.SetBoost(0)
		fs = append(fs, tq)
	}
	if q.Kind != "" {
		add("kind", string(q.Kind))
	}
	if q.DocID != "" {
		add("doc_id", q.DocID)
	}
	if q.Issuer != "" {
		add("issuer", corpus.TitleKey(q.Issuer))
	}
	if q.Status != "" {
		add("status", corpus.TitleKey(q.Status))
	}
	return fs
}

func hitFrom(id string, score float64, f map[string]interface{}, terms map[string]bool) Hit {
	str := func(k string) string { s, _ := f[k].(string); return s }
	h := Hit{
		PassageID: id, DocID: str("doc_id"), Kind: corpus.Kind(str("kind")),
		Anchor: str("anchor"), Title: str("title"), Heading: str("heading"),
		Text: str("text"), Score: score,
	}
	if terms != nil {
		h.Snippet = Snippet(h.Text, terms, 240)
	}
	return h
}

// lookup answers exact references: a document number anywhere in the
// query ("91/2015/QH13") puts that document first; "Điều 418 Bộ luật Hình
// sự" puts that article first. A looked-up passage obeys q's filters as a
// ranked one does: a law named by its number is no answer to a search
// among procedures. noArticle reports an "Điều N" of a law the library
// holds that has no article N.
func (k *Keyword) lookup(ctx context.Context, text string, q Query) (hits []Hit, noArticle bool, err error) {
	filters := k.filters(q)
	if ref, ok := corpus.ParseReference(text); ok {
		if doc := k.matchLaw(ref); doc != "" {
			hits, err := k.passagesWithAnchor(ctx, doc, "dieu-"+corpus.Slug(ref.Article), filters)
			if err != nil || len(hits) > 0 {
				return hits, false, err
			}
			if len(filters) == 0 {
				noArticle = true
			}
		}
	}
	for _, num := range corpus.NumbersIn(text, 3) {
		key := corpus.NormalizeNumber(num)
		tq := bleve.NewTermQuery(key)
		tq.SetField("number")
		rest := strings.TrimSpace(strings.Replace(text, num, " ", 1))
		var top query.Query = tq
		if len(filters) > 0 {
			top = bleve.NewConjunctionQuery(append(filters[:len(filters):len(filters)], tq)...)
		}
		req := bleve.NewSearchRequestOptions(top, 3, 0, false)
		req.Fields = []string{"doc_id", "kind", "anchor", "title", "heading", "text"}
		req.SortBy([]string{"anchor"})
		res, err := k.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, false, fmt.Errorf("retrieval: number look-up: %w", err)
		}
		if len(res.Hits) == 0 {
			continue
		}
		docID, _ := res.Hits[0].Fields["doc_id"].(string)
		if rest != "" {
			if r, err := k.ranked(ctx, analyse(rest), Query{Kind: q.Kind, DocID: docID, Issuer: q.Issuer, Status: q.Status}, 3); err == nil && len(r.Hits) > 0 {
				return r.Hits, false, nil
			}
		}
		hits, err := k.firstPassages(ctx, docID, 1)
		return hits, false, err
	}
	return nil, noArticle, nil
}

// matchLaw finds the document whose name best matches the law a
// reference names: the name holding the longest run of the reference's
// first words, so that the words of a question after the name ("… quy
// định gì?") do not hide it. A run of all the reference's words, of all
// the name's ("Luật Giá"), or of three words at least counts; "Bộ luật"
// alone names no law.
func (k *Keyword) matchLaw(ref corpus.Reference) string {
	refTerms := ref.LawWords()
	if len(refTerms) == 0 {
		return ""
	}
	num := ref.LawNumber()
	k.mu.RLock()
	defer k.mu.RUnlock()
	type cand struct {
		id         string
		run, extra int
	}
	var cands []cand
	for _, n := range k.titles {
		if n.kind != corpus.KindLaw {
			continue
		}
		for _, key := range n.Keys {
			if key == num {
				return n.id
			}
		}
		run := 0
		for run < len(refTerms) && n.Words[refTerms[run]] {
			run++
		}
		if run == len(refTerms) || run >= 3 || run == len(n.Words) {
			cands = append(cands, cand{n.id, run, len(n.Words) - run})
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].run != cands[j].run {
			return cands[i].run > cands[j].run
		}
		if cands[i].extra != cands[j].extra {
			return cands[i].extra < cands[j].extra
		}
		return cands[i].id < cands[j].id
	})
	return cands[0].id
}

// passagesWithAnchor returns the passages of docID at anchor and below it
// that pass filters.
func (k *Keyword) passagesWithAnchor(ctx context.Context, docID, anchor string, filters []query.Query) ([]Hit, error) {
	d := bleve.NewTermQuery(docID)
	d.SetField("doc_id")
	exact := bleve.NewTermQuery(anchor)
	exact.SetField("anchor")
	prefix := bleve.NewPrefixQuery(anchor + "/")
	prefix.SetField("anchor")
	q := bleve.NewConjunctionQuery(append([]query.Query{d, bleve.NewDisjunctionQuery(exact, prefix)}, filters...)...)
	req := bleve.NewSearchRequestOptions(q, 50, 0, false)
	req.Fields = []string{"doc_id", "kind", "anchor", "title", "heading", "text"}
	res, err := k.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieval: article look-up: %w", err)
	}
	var hits []Hit
	for _, h := range res.Hits {
		hits = append(hits, hitFrom(h.ID, h.Score, h.Fields, map[string]bool{}))
	}
	sort.SliceStable(hits, func(i, j int) bool { return anchorLess(hits[i].Anchor, hits[j].Anchor) })
	return hits, nil
}

// getMem is Get from the memory snapshot: the same hits, in passage id
// order rather than bleve's, and ok false when the snapshot is out of date
// or q filters on what it does not hold (issuer, status). Get in hybrid.go
// starts with it: reading the passages from bleve was a fifth of a hybrid
// search.
func (k *Keyword) getMem(ids []string, q Query) (hits []Hit, ok bool) {
	m := k.current()
	if m == nil || q.Issuer != "" || q.Status != "" {
		return nil, false
	}
	var terms map[string]bool
	if !q.noSnippets {
		terms = analysedOf(q, q.Text).snippetTerms()
	}
	rows := make([]int, 0, len(ids))
	for _, id := range ids {
		if i, found := m.rowOf[id]; found {
			rows = append(rows, int(i))
		}
	}
	slices.Sort(rows)
	rows = slices.Compact(rows)
	hits = make([]Hit, 0, len(rows))
	for _, i := range rows {
		if q.unread {
			hits = append(hits, m.docs[i].unreadHit(1))
		} else {
			hits = append(hits, m.docs[i].hit(1, terms))
		}
	}
	return hits, true
}

// firstPassages returns the first n passages of a document in reading
// order. Only anchors are read for the whole document; text only for the
// passages kept, so that a long code costs no more than a short law.
func (k *Keyword) firstPassages(ctx context.Context, docID string, n int) ([]Hit, error) {
	if m := k.current(); m != nil {
		rows := m.inReadingOrder(docID)
		var hits []Hit
		for _, r := range rows[:min(n, len(rows))] {
			hits = append(hits, m.docs[r].hit(1, map[string]bool{}))
		}
		return hits, nil
	}
	d := bleve.NewTermQuery(docID)
	d.SetField("doc_id")
	req := bleve.NewSearchRequestOptions(d, 10000, 0, false)
	req.Fields = []string{"anchor"}
	res, err := k.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieval: read document %s: %w", docID, err)
	}
	type ref struct{ id, anchor string }
	refs := make([]ref, len(res.Hits))
	for i, h := range res.Hits {
		a, _ := h.Fields["anchor"].(string)
		refs[i] = ref{h.ID, a}
	}
	sort.SliceStable(refs, func(i, j int) bool { return anchorLess(refs[i].anchor, refs[j].anchor) })
	if len(refs) > n {
		refs = refs[:n]
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	hits, err := k.Get(ctx, ids, Query{})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(hits, func(i, j int) bool { return anchorLess(hits[i].Anchor, hits[j].Anchor) })
	return hits, nil
}

// anchorLess orders anchors as the law reads: numeric labels by number.
func anchorLess(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		na, ea := labelNumber(pa[i])
		nb, eb := labelNumber(pb[i])
		if ea == nil && eb == nil && na != nb {
			return na < nb
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}

func labelNumber(seg string) (int, error) {
	if i := strings.LastIndexByte(seg, '-'); i >= 0 {
		seg = seg[i+1:]
	}
	return strconv.Atoi(strings.TrimRight(seg, "abcdefghijklmnopqrstuvwxyz"))
}

// lawBoost raises the passages of a law the query names.
var lawBoost = 0.5

// MentionedLaws returns the laws whose name appears in the text as a
// phrase ("theo Luật Cư trú", "Bộ luật Dân sự 2015"); when several names
// overlap ("Luật Tố tụng hành chính" contains "Luật … hành chính"), the
// longest wins.
func (k *Keyword) MentionedLaws(text string) map[string]bool {
	words, _ := queryTerms(text) // corpus.Terms, faster
	return k.mentionedLaws(words)
}

// mentionedLaws is MentionedLaws of a text's folded words.
func (k *Keyword) mentionedLaws(words []string) map[string]bool {
	folded := " " + strings.Join(words, " ") + " "
	k.mu.RLock()
	defer k.mu.RUnlock()
	best := map[string]int{}
	longest := 0
	for id, n := range k.titles {
		if n.kind != corpus.KindLaw {
			continue
		}
		for _, p := range n.Phrases {
			if !strings.Contains(folded, p) {
				continue
			}
			key := p[1 : len(p)-1]
			if len(key) > best[id] {
				best[id] = len(key)
			}
			longest = max(longest, len(key))
		}
	}
	if len(best) == 0 {
		return nil
	}
	out := map[string]bool{}
	for id, l := range best {
		if l == longest {
			out[id] = true
		}
	}
	return out
}
