// Package retrieval owns search over the library's passages: the keyword
// index (bleve with a Vietnamese analyzer, BM25F rescoring and an in-memory
// snapshot that answers as bleve would), the vector side (the VectorStore
// contract with its embedded and Qdrant backends, and the embedders: one
// trained on the library itself, or an OpenAI-compatible server), hybrid
// fusion of the two, the re-ranker and the snippets — behind the Search API
// that the library, the assistant and the evaluation call. The database
// stays the truth: every index can be rebuilt from the documents.
package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// MaxQueryLen is the longest query, in characters, that Search accepts.
const MaxQueryLen = 1000

// MaxLimit is the most hits one search returns.
const MaxLimit = 100

// ErrBadQuery wraps every error caused by the query itself (empty, too
// long, bad filter), so that callers can answer 400 rather than 500.
var ErrBadQuery = errors.New("bad query")

// Query is a search request. The zero values of the filters mean "any".
type Query struct {
	Text   string
	Kind   corpus.Kind // law or procedure
	DocID  string      // restrict to one document (a law)
	Issuer string      // cơ quan ban hành, matched folded
	Status string      // tình trạng hiệu lực, matched folded
	Limit  int         // default 10, at most MaxLimit
	Offset int

	// noSnippets skips making snippets: the hybrid search asks for many
	// candidates and makes snippets only for the hits it returns.
	noSnippets bool
	// fusing: the hybrid search asks for its candidates, and counts its
	// total itself; the keyword side's is left as counted.
	fusing bool
	// unread leaves the texts of the hits from the memory snapshot
	// unread (Hit.mem): the hybrid search reads those it shows.
	unread bool
	// analysed is Text read once, handed on by the hybrid search to the
	// keyword side (nil: read it where it is needed).
	analysed *analysed
}

// Hit is one matching passage.
type Hit struct {
	PassageID string      `json:"passage_id"`
	DocID     string      `json:"doc_id"`
	Kind      corpus.Kind `json:"kind"`
	Anchor    string      `json:"anchor"`
	Title     string      `json:"title"`
	Heading   string      `json:"heading"`
	Text      string      `json:"text"`
	// Snippet is HTML: the passage's words, escaped, with the matching
	// words wrapped in <mark>.
	Snippet string  `json:"snippet"`
	Score   float64 `json:"score"`

	// mem is the snapshot's passage whose text this hit leaves unread
	// (Text empty): the hybrid search's candidates, a few hundred a
	// search, of which it shows ten. withText reads it.
	mem *memDoc
}

// text is the hit's text, read from the snapshot when left unread.
func (h *Hit) text() string {
	if h.mem != nil {
		return h.mem.text()
	}
	return h.Text
}

// read reads the text the hit left unread.
func (h *Hit) read() {
	if h.mem != nil {
		h.Text, h.mem = h.mem.text(), nil
	}
}

// withText reads the texts the hits left unread, in place, and returns
// them: what leaves the package has its text.
func withText(hits []Hit) []Hit {
	for i := range hits {
		hits[i].read()
	}
	return hits
}

// Result is the answer to a Query.
type Result struct {
	Hits  []Hit
	Total uint64
	Took  time.Duration
	// Exact is set when the query was recognised as a document number or
	// an "Điều N <law>" reference and answered by look-up.
	Exact bool
	// Lookups is how many of the first hits were found by look-up.
	Lookups int
	// NoArticle is set when the query names an article of a law of the
	// library that the law does not have ("Điều 1000 Bộ luật Dân sự"):
	// the hits then only share its words.
	NoArticle bool
	// Degraded says why a hybrid search answered from keywords alone
	// (the embedder or the vector store failed); empty when all was well.
	Degraded string
}

// Searcher answers queries. The library and the assistant depend on this
// and nothing more.
type Searcher interface {
	Search(ctx context.Context, q Query) (Result, error)
}

// Indexer keeps an index in step with the documents: Index replaces every
// passage of each given document; Delete removes a document's passages.
type Indexer interface {
	Index(ctx context.Context, docs ...*corpus.Document) error
	Delete(ctx context.Context, docIDs ...string) error
}

// Embedder turns texts into vectors of a fixed dimension. Name identifies
// the model and its version; vectors made by different names never mix.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Dimension() int
	Name() string
}

// VectorRecord is one passage's vector with the fields filters need.
type VectorRecord struct {
	ID     string // passage id
	DocID  string
	Kind   corpus.Kind
	Vector []float32
}

// VectorFilter restricts a vector search; zero fields mean "any".
type VectorFilter struct {
	Kind  corpus.Kind
	DocID string
}

// VectorHit is a passage found by vector search; Score is the cosine
// similarity (higher is closer).
type VectorHit struct {
	ID    string
	DocID string
	Score float32
}

// VectorStore holds passage vectors: the embedded store in the data
// directory, or Qdrant. Every backend passes the same conformance suite.
type VectorStore interface {
	// Upsert adds or replaces vectors by passage id.
	Upsert(ctx context.Context, recs []VectorRecord) error
	// DeleteDocs removes every vector of the given documents.
	DeleteDocs(ctx context.Context, docIDs ...string) error
	// Search returns the k nearest passages passing the filter, best first.
	Search(ctx context.Context, vec []float32, k int, f VectorFilter) ([]VectorHit, error)
	// Count returns the number of vectors held.
	Count(ctx context.Context) (int, error)
	Close() error
}

// Errors shared by every VectorStore backend.
var (
	// ErrVectorDim wraps every error about a vector whose length is not
	// the store's dimension.
	ErrVectorDim = errors.New("vector dimension mismatch")
	// ErrVectorsMismatch says that stored vectors were made by another
	// model or have another dimension; they must not be mixed with new ones.
	ErrVectorsMismatch = errors.New("vector store made for another model")
	// ErrVectorsClosed is returned by every call after Close.
	ErrVectorsClosed = errors.New("vector store closed")
)

// Input limits shared by the backends, within what each can hold (the
// embedded store's format keeps ids with 16-bit lengths).
const (
	maxVectorDim   = 1 << 16
	maxVectorIDLen = 1024
	maxModelLen    = 1024
)

// checkVectorRecords validates a batch before anything is written, so that
// a bad record never leaves half a batch behind.
func checkVectorRecords(recs []VectorRecord, dim int, model string) error {
	for i, r := range recs {
		switch {
		case r.ID == "":
			return fmt.Errorf("retrieval: vector record %d has no passage id", i)
		case r.DocID == "":
			return fmt.Errorf("retrieval: vector record %q has no document id", r.ID)
		case len(r.ID) > maxVectorIDLen || len(r.DocID) > maxVectorIDLen:
			return fmt.Errorf("retrieval: vector record %q: ids are limited to %d bytes", r.ID, maxVectorIDLen)
		case !utf8.ValidString(r.ID) || !utf8.ValidString(r.DocID):
			return fmt.Errorf("retrieval: vector record %q: ids must be UTF-8", r.ID)
		case r.Kind != "" && !r.Kind.Valid():
			return fmt.Errorf("retrieval: vector record %q: unknown kind %q (law or procedure)", r.ID, r.Kind)
		case len(r.Vector) != dim:
			return fmt.Errorf("retrieval: %w: vector for passage %q has %d dimensions, the store holds %d (model %s)",
				ErrVectorDim, r.ID, len(r.Vector), dim, model)
		}
		if j := nonFinite(r.Vector); j >= 0 {
			return fmt.Errorf("retrieval: vector for passage %q has a non-finite value at %d", r.ID, j)
		}
	}
	return nil
}

// checkVectorQuery validates a search before any backend sees it.
func checkVectorQuery(vec []float32, k int, f VectorFilter, dim int, model string) error {
	if k <= 0 {
		return fmt.Errorf("%w: vector search asked for %d hits", ErrBadQuery, k)
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return fmt.Errorf("%w: unknown kind %q (law or procedure)", ErrBadQuery, f.Kind)
	}
	if len(vec) != dim {
		return fmt.Errorf("retrieval: %w: query vector has %d dimensions, the store holds %d (model %s)",
			ErrVectorDim, len(vec), dim, model)
	}
	if j := nonFinite(vec); j >= 0 {
		return fmt.Errorf("%w: query vector has a non-finite value at %d", ErrBadQuery, j)
	}
	return nil
}

// nonFinite returns the index of the first NaN or infinity in v, -1 when
// there is none.
func nonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// lastByID keeps the last record of each passage id, so that a batch that
// names a passage twice means what it would mean applied in order.
func lastByID(recs []VectorRecord) []VectorRecord {
	seen := make(map[string]int, len(recs))
	out := make([]VectorRecord, 0, len(recs))
	for _, r := range recs {
		if i, ok := seen[r.ID]; ok {
			out[i] = r
			continue
		}
		seen[r.ID] = len(out)
		out = append(out, r)
	}
	return out
}
