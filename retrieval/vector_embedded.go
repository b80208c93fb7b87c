package retrieval

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/mattranso/mattranso/retrieval/embedded"
)

// EmbeddedVectors is the default VectorStore: the store of package
// embedded (every vector in memory, searched exactly, persisted in one
// directory), held to the contract — the same checks, limits and errors as
// every backend.
type EmbeddedVectors struct {
	s *embedded.Store

	// Fresh is set when the store opened empty — a new directory, or
	// stored vectors discarded — so that the caller re-embeds every
	// passage of the corpus.
	Fresh bool
	// Discarded says why stored vectors were thrown away at open; it wraps
	// embedded.ErrCorrupt (the damaged files are kept beside the new ones
	// with a ".corrupt" suffix) or ErrVectorsMismatch (another dimension,
	// model or format version). It is nil when nothing was discarded.
	Discarded error
}

var _ VectorStore = (*EmbeddedVectors)(nil)

// OpenEmbeddedVectors opens the vector store in dir, creating it when
// missing. Stored vectors of another dimension or model, or files that are
// truncated or fail their checksums, are discarded: the store opens empty
// with Fresh set and Discarded saying why. Any other failure to read (a
// permission, a disk error) is returned and nothing is discarded.
func OpenEmbeddedVectors(dir string, dim int, model string) (*EmbeddedVectors, error) {
	if dim <= 0 || dim > maxVectorDim {
		return nil, fmt.Errorf("retrieval: vector dimension %d out of range 1..%d", dim, maxVectorDim)
	}
	if model == "" || len(model) > maxModelLen || !utf8.ValidString(model) {
		return nil, fmt.Errorf("retrieval: embedding model name %q: want 1..%d bytes of UTF-8", model, maxModelLen)
	}
	s, err := embedded.Open(dir, dim, model)
	if err != nil {
		return nil, vectorsError(err)
	}
	return &EmbeddedVectors{s: s, Fresh: s.Fresh, Discarded: vectorsError(s.Discarded)}, nil
}

// Dim returns the dimension of the vectors held.
func (v *EmbeddedVectors) Dim() int { return v.s.Dim() }

// Model returns the name of the embedding model the vectors came from.
func (v *EmbeddedVectors) Model() string { return v.s.Model() }

// Upsert adds or replaces vectors by passage id. The batch is validated
// whole, logged as one record and fsynced before it becomes visible.
func (v *EmbeddedVectors) Upsert(ctx context.Context, recs []VectorRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkVectorRecords(recs, v.s.Dim(), v.s.Model()); err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	recs = lastByID(recs)
	rs := make([]embedded.Record, len(recs))
	for i, r := range recs {
		rs[i] = embedded.Record(r)
	}
	return vectorsError(v.s.Upsert(ctx, rs))
}

// DeleteDocs removes every vector of the given documents.
func (v *EmbeddedVectors) DeleteDocs(ctx context.Context, docIDs ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, d := range docIDs {
		if d == "" || len(d) > maxVectorIDLen {
			return fmt.Errorf("retrieval: delete vectors: bad document id %q", d)
		}
	}
	return vectorsError(v.s.DeleteDocs(ctx, docIDs...))
}

// Search returns the k passages most similar to vec that pass the filter,
// best first; equal scores are ordered by passage id.
func (v *EmbeddedVectors) Search(ctx context.Context, vec []float32, k int, f VectorFilter) ([]VectorHit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkVectorQuery(vec, k, f, v.s.Dim(), v.s.Model()); err != nil {
		return nil, err
	}
	found, err := v.s.Search(ctx, vec, k, embedded.Filter(f))
	if err != nil {
		return nil, vectorsError(err)
	}
	hits := make([]VectorHit, len(found))
	for i, h := range found {
		hits[i] = VectorHit(h)
	}
	return hits, nil
}

// Count returns the number of vectors held.
func (v *EmbeddedVectors) Count(ctx context.Context) (int, error) {
	n, err := v.s.Count(ctx)
	return n, vectorsError(err)
}

// Compact writes the current vectors to a new snapshot and empties the
// log. Writes do it on their own when the log outgrows the snapshot.
func (v *EmbeddedVectors) Compact() error { return vectorsError(v.s.Compact()) }

// Close syncs and closes the files. Calls after it fail with
// ErrVectorsClosed; closing twice is harmless.
func (v *EmbeddedVectors) Close() error { return vectorsError(v.s.Close()) }

// vectorsError gives an error of the embedded store the contract's meaning
// where it has one: ErrVectorsMismatch, ErrVectorsClosed. The message stays
// the store's.
func vectorsError(err error) error {
	for _, m := range [...]struct{ store, contract error }{
		{embedded.ErrMismatch, ErrVectorsMismatch},
		{embedded.ErrClosed, ErrVectorsClosed},
	} {
		if errors.Is(err, m.store) {
			return &contractError{contract: m.contract, err: err}
		}
	}
	return err
}

// contractError is a backend's error that also is one of the contract's.
type contractError struct{ contract, err error }

func (e *contractError) Error() string   { return e.err.Error() }
func (e *contractError) Unwrap() []error { return []error{e.contract, e.err} }
