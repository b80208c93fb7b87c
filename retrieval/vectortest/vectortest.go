// Package vectortest is the conformance suite that every
// retrieval.VectorStore backend passes, and a stand-in for Qdrant's gRPC
// server that lets the Qdrant backend run it where no Qdrant can.
package vectortest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Opener returns a new, empty store of dimension dim. The suite closes
// it at the end of the subtest; anything else to tidy the backend
// registers with t.Cleanup.
type Opener func(t *testing.T, dim int) retrieval.VectorStore

// Storage prepares one new, empty place for a store of dimension dim (a
// directory, a collection) and returns a function that opens a store on
// it; the suite calls it again after closing the first store to check
// that what was written is still there.
type Storage func(t *testing.T, dim int) (open func() retrieval.VectorStore)

// Option adds to the suite.
type Option func(*suite)

// Reopen runs the persistence subtests on backends that keep vectors
// across Close.
func Reopen(s Storage) Option { return func(su *suite) { su.storage = s } }

type suite struct {
	open    Opener
	storage Storage
}

// scoreTol is how far a score may stray from the exact cosine: Qdrant and
// the embedded store both compute in float32.
const scoreTol = 1e-4

// Run runs the conformance suite against the backend that open makes.
func Run(t *testing.T, open Opener, opts ...Option) {
	su := &suite{open: open}
	for _, o := range opts {
		o(su)
	}
	tests := []struct {
		name string
		run  func(t *testing.T, su *suite)
	}{
		{"EmptyStore", testEmpty},
		{"ExactVectorFirst", testExactFirst},
		{"Limit", testLimit},
		{"CosineOrder", testCosineOrder},
		{"Filters", testFilters},
		{"UpsertReplaces", testUpsertReplaces},
		{"DuplicateIDsInBatch", testDuplicateIDs},
		{"DeleteDocs", testDeleteDocs},
		{"DimensionMismatch", testDimensionMismatch},
		{"BadInput", testBadInput},
		{"LargeBatch", testLargeBatch},
		{"CanceledContext", testCanceled},
		{"ConcurrentSearchAndUpsert", testConcurrent},
		{"ClosedStore", testClosed},
		{"Reopen", testReopen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, su) })
	}
}

func (su *suite) store(t *testing.T, dim int) retrieval.VectorStore {
	t.Helper()
	s := su.open(t, dim)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// randomRecords makes n records with random directions, spread over docs
// documents and both kinds: passage i is "p<i>" of document "d<i%docs>",
// a law when its document number is even.
func randomRecords(rng *rand.Rand, n, docs, dim int) []retrieval.VectorRecord {
	recs := make([]retrieval.VectorRecord, n)
	for i := range recs {
		d := i % docs
		recs[i] = retrieval.VectorRecord{
			ID:     "p" + strconv.Itoa(i),
			DocID:  "d" + strconv.Itoa(d),
			Kind:   kindOf(d),
			Vector: randomVector(rng, dim),
		}
	}
	return recs
}

func kindOf(doc int) corpus.Kind {
	if doc%2 == 0 {
		return corpus.KindLaw
	}
	return corpus.KindProcedure
}

func randomVector(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// expected is the brute-force answer the store must give.
func expected(recs []retrieval.VectorRecord, q []float32, k int, f retrieval.VectorFilter) []retrieval.VectorHit {
	var hits []retrieval.VectorHit
	for _, r := range recs {
		if f.Kind != "" && r.Kind != f.Kind || f.DocID != "" && r.DocID != f.DocID {
			continue
		}
		hits = append(hits, retrieval.VectorHit{ID: r.ID, DocID: r.DocID, Score: float32(cosine(q, r.Vector))})
	}
	slices.SortFunc(hits, func(a, b retrieval.VectorHit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return hits[:min(k, len(hits))]
}

func mustUpsert(t *testing.T, s retrieval.VectorStore, recs []retrieval.VectorRecord) {
	t.Helper()
	if err := s.Upsert(context.Background(), recs); err != nil {
		t.Fatalf("Upsert %d records: %v", len(recs), err)
	}
}

func mustSearch(t *testing.T, s retrieval.VectorStore, q []float32, k int, f retrieval.VectorFilter) []retrieval.VectorHit {
	t.Helper()
	hits, err := s.Search(context.Background(), q, k, f)
	if err != nil {
		t.Fatalf("Search(k=%d, %+v): %v", k, f, err)
	}
	return hits
}

func wantCount(t *testing.T, s retrieval.VectorStore, want int) {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if n != want {
		t.Fatalf("Count = %d, want %d", n, want)
	}
}

// sameHits compares hits with the brute-force answer: the same passages in
// the same order, scores within scoreTol. Passages whose scores are within
// scoreTol of each other may come in either order.
func sameHits(t *testing.T, what string, got, want []retrieval.VectorHit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits, want %d:\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if math.Abs(float64(got[i].Score-want[i].Score)) > scoreTol {
			t.Fatalf("%s: hit %d scores %.6f, want %.6f (cosine)\n got %v\nwant %v", what, i, got[i].Score, want[i].Score, got, want)
		}
		if i > 0 && got[i].Score > got[i-1].Score+scoreTol/10 {
			t.Fatalf("%s: hits not ordered best first: %v", what, got)
		}
		if got[i].ID != want[i].ID {
			j := slices.IndexFunc(want, func(h retrieval.VectorHit) bool { return h.ID == got[i].ID })
			if j < 0 || math.Abs(float64(want[j].Score-want[i].Score)) > scoreTol {
				t.Fatalf("%s: hit %d is %s, want %s\n got %v\nwant %v", what, i, got[i].ID, want[i].ID, got, want)
			}
		}
		if w := docOf(want, got[i].ID); got[i].DocID != w {
			t.Fatalf("%s: hit %s has document %q, want %q", what, got[i].ID, got[i].DocID, w)
		}
	}
}

func docOf(hits []retrieval.VectorHit, id string) string {
	for _, h := range hits {
		if h.ID == id {
			return h.DocID
		}
	}
	return ""
}

func testEmpty(t *testing.T, su *suite) {
	s := su.store(t, 8)
	wantCount(t, s, 0)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, f := range []retrieval.VectorFilter{{}, {Kind: corpus.KindLaw}, {DocID: "d0"}} {
		if hits := mustSearch(t, s, randomVector(rng, 8), 10, f); len(hits) != 0 {
			t.Errorf("empty store, filter %+v: %d hits, want none: %v", f, len(hits), hits)
		}
	}
	if err := s.DeleteDocs(context.Background(), "d0"); err != nil {
		t.Errorf("DeleteDocs on an empty store: %v", err)
	}
	if err := s.Upsert(context.Background(), nil); err != nil {
		t.Errorf("Upsert(nil): %v", err)
	}
	if err := s.DeleteDocs(context.Background()); err != nil {
		t.Errorf("DeleteDocs(): %v", err)
	}
	wantCount(t, s, 0)
}

func testExactFirst(t *testing.T, su *suite) {
	const dim = 32
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(2, 2))
	recs := randomRecords(rng, 60, 6, dim)
	mustUpsert(t, s, recs)
	wantCount(t, s, len(recs))
	for _, i := range []int{0, 17, 59} {
		r := recs[i]
		hits := mustSearch(t, s, r.Vector, 5, retrieval.VectorFilter{})
		if len(hits) != 5 || hits[0].ID != r.ID || hits[0].DocID != r.DocID {
			t.Fatalf("search for %s's own vector: %v, want %s (%s) first", r.ID, hits, r.ID, r.DocID)
		}
		if math.Abs(float64(hits[0].Score)-1) > scoreTol {
			t.Errorf("%s scores %.6f against itself, want 1", r.ID, hits[0].Score)
		}
		sameHits(t, "search "+r.ID, hits, expected(recs, r.Vector, 5, retrieval.VectorFilter{}))
		// Cosine ignores length: a scaled query finds the same.
		scaled := slices.Clone(r.Vector)
		for j := range scaled {
			scaled[j] *= 7.5
		}
		sameHits(t, "scaled "+r.ID, mustSearch(t, s, scaled, 5, retrieval.VectorFilter{}), hits)
	}
	for i := range 20 {
		q := randomVector(rng, dim)
		sameHits(t, fmt.Sprintf("random query %d", i), mustSearch(t, s, q, 10, retrieval.VectorFilter{}),
			expected(recs, q, 10, retrieval.VectorFilter{}))
	}
}

func testLimit(t *testing.T, su *suite) {
	const dim = 16
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(3, 3))
	recs := randomRecords(rng, 20, 4, dim)
	mustUpsert(t, s, recs)
	q := randomVector(rng, dim)
	for _, k := range []int{1, 3, 20, 50} {
		sameHits(t, fmt.Sprintf("k=%d", k), mustSearch(t, s, q, k, retrieval.VectorFilter{}),
			expected(recs, q, k, retrieval.VectorFilter{}))
	}
	f := retrieval.VectorFilter{Kind: corpus.KindLaw}
	sameHits(t, "k=2 among laws", mustSearch(t, s, q, 2, f), expected(recs, q, 2, f))
	for _, k := range []int{0, -1} {
		_, err := s.Search(context.Background(), q, k, retrieval.VectorFilter{})
		if !errors.Is(err, retrieval.ErrBadQuery) {
			t.Errorf("Search with k=%d: error %v, want one wrapping ErrBadQuery", k, err)
		}
	}
}

func testCosineOrder(t *testing.T, su *suite) {
	const dim = 8
	s := su.store(t, dim)
	// Vectors in the plane of e0 and e1 at known angles from the query
	// e0, with lengths that differ: the order is by angle alone.
	angles := []float64{100, 5, 60, 30, 175, 89, 45, 0.5, 140}
	var recs []retrieval.VectorRecord
	for i, deg := range angles {
		a := deg * math.Pi / 180
		length := float32(0.1 + float64(i))
		v := make([]float32, dim)
		v[0], v[1] = length*float32(math.Cos(a)), length*float32(math.Sin(a))
		recs = append(recs, retrieval.VectorRecord{ID: fmt.Sprintf("a%03.0f", deg*10), DocID: "d" + strconv.Itoa(i%3), Kind: kindOf(i % 3), Vector: v})
	}
	mustUpsert(t, s, recs)
	q := make([]float32, dim)
	q[0] = 2
	hits := mustSearch(t, s, q, len(angles), retrieval.VectorFilter{})
	want := slices.Clone(angles)
	slices.Sort(want)
	if len(hits) != len(want) {
		t.Fatalf("%d hits, want %d: %v", len(hits), len(want), hits)
	}
	for i, deg := range want {
		id := fmt.Sprintf("a%03.0f", deg*10)
		if hits[i].ID != id {
			t.Fatalf("hit %d is %s, want %s (%.1f°): %v", i, hits[i].ID, id, deg, hits)
		}
		if c := math.Cos(deg * math.Pi / 180); math.Abs(float64(hits[i].Score)-c) > scoreTol {
			t.Errorf("%s scores %.6f, want cos %.1f° = %.6f", id, hits[i].Score, deg, c)
		}
	}
}

func testFilters(t *testing.T, su *suite) {
	const dim = 16
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(4, 4))
	recs := randomRecords(rng, 80, 8, dim)
	mustUpsert(t, s, recs)
	q := randomVector(rng, dim)
	for _, f := range []retrieval.VectorFilter{
		{Kind: corpus.KindLaw},
		{Kind: corpus.KindProcedure},
		{DocID: "d3"},
		{DocID: "d4", Kind: corpus.KindLaw},
		{DocID: "d3", Kind: corpus.KindLaw}, // d3 is a procedure: nothing
		{DocID: "no-such-doc"},
	} {
		got := mustSearch(t, s, q, 100, f)
		sameHits(t, fmt.Sprintf("filter %+v", f), got, expected(recs, q, 100, f))
		for _, h := range got {
			r := recs[slices.IndexFunc(recs, func(r retrieval.VectorRecord) bool { return r.ID == h.ID })]
			if f.Kind != "" && r.Kind != f.Kind || f.DocID != "" && r.DocID != f.DocID {
				t.Errorf("filter %+v let through %s (%s, %s)", f, h.ID, r.DocID, r.Kind)
			}
		}
	}
	if _, err := s.Search(context.Background(), q, 5, retrieval.VectorFilter{Kind: "decree"}); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Errorf("filter on an unknown kind: error %v, want one wrapping ErrBadQuery", err)
	}
}

func testUpsertReplaces(t *testing.T, su *suite) {
	const dim = 16
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(5, 5))
	recs := randomRecords(rng, 30, 3, dim)
	mustUpsert(t, s, recs)
	old := recs[7]
	moved := retrieval.VectorRecord{ID: old.ID, DocID: "d-new", Kind: corpus.KindProcedure, Vector: randomVector(rng, dim)}
	mustUpsert(t, s, []retrieval.VectorRecord{moved})
	wantCount(t, s, len(recs))
	recs[7] = moved

	hits := mustSearch(t, s, moved.Vector, 1, retrieval.VectorFilter{})
	if len(hits) != 1 || hits[0].ID != moved.ID || hits[0].DocID != "d-new" || math.Abs(float64(hits[0].Score)-1) > scoreTol {
		t.Fatalf("search for the new vector of %s: %v, want it with score 1 in d-new", moved.ID, hits)
	}
	sameHits(t, "search for the old vector", mustSearch(t, s, old.Vector, 5, retrieval.VectorFilter{}),
		expected(recs, old.Vector, 5, retrieval.VectorFilter{}))
	for _, h := range mustSearch(t, s, old.Vector, 100, retrieval.VectorFilter{DocID: old.DocID}) {
		if h.ID == old.ID {
			t.Errorf("%s still found under its old document %s", old.ID, old.DocID)
		}
	}
	if got := mustSearch(t, s, moved.Vector, 5, retrieval.VectorFilter{Kind: corpus.KindProcedure, DocID: "d-new"}); len(got) != 1 || got[0].ID != moved.ID {
		t.Errorf("filter on the new kind and document: %v, want only %s", got, moved.ID)
	}
}

func testDuplicateIDs(t *testing.T, su *suite) {
	const dim = 8
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(6, 6))
	first := retrieval.VectorRecord{ID: "dup", DocID: "d1", Kind: corpus.KindLaw, Vector: randomVector(rng, dim)}
	last := retrieval.VectorRecord{ID: "dup", DocID: "d2", Kind: corpus.KindLaw, Vector: randomVector(rng, dim)}
	mustUpsert(t, s, []retrieval.VectorRecord{first, last})
	wantCount(t, s, 1)
	hits := mustSearch(t, s, last.Vector, 1, retrieval.VectorFilter{})
	if len(hits) != 1 || hits[0].DocID != "d2" || math.Abs(float64(hits[0].Score)-1) > scoreTol {
		t.Errorf("a batch naming a passage twice must keep the last: %v", hits)
	}
}

func testDeleteDocs(t *testing.T, su *suite) {
	const dim = 16
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(7, 7))
	recs := randomRecords(rng, 50, 5, dim)
	mustUpsert(t, s, recs)
	ctx := context.Background()
	if err := s.DeleteDocs(ctx, "d2"); err != nil {
		t.Fatalf("DeleteDocs(d2): %v", err)
	}
	keep := slices.DeleteFunc(slices.Clone(recs), func(r retrieval.VectorRecord) bool { return r.DocID == "d2" })
	wantCount(t, s, len(keep))
	if hits := mustSearch(t, s, recs[2].Vector, 10, retrieval.VectorFilter{DocID: "d2"}); len(hits) != 0 {
		t.Errorf("d2 deleted, yet found: %v", hits)
	}
	q := randomVector(rng, dim)
	sameHits(t, "after deleting d2", mustSearch(t, s, q, 100, retrieval.VectorFilter{}), expected(keep, q, 100, retrieval.VectorFilter{}))

	if err := s.DeleteDocs(ctx, "d0", "d4", "no-such-doc", "d0"); err != nil {
		t.Fatalf("DeleteDocs(d0, d4, ...): %v", err)
	}
	keep = slices.DeleteFunc(keep, func(r retrieval.VectorRecord) bool { return r.DocID == "d0" || r.DocID == "d4" })
	wantCount(t, s, len(keep))
	sameHits(t, "after deleting d0 and d4", mustSearch(t, s, q, 100, retrieval.VectorFilter{}), expected(keep, q, 100, retrieval.VectorFilter{}))

	// What survived the deletes can still be replaced in place.
	for i := range keep {
		keep[i].Vector = randomVector(rng, dim)
	}
	mustUpsert(t, s, keep)
	wantCount(t, s, len(keep))
	sameHits(t, "after replacing the survivors", mustSearch(t, s, q, 100, retrieval.VectorFilter{}), expected(keep, q, 100, retrieval.VectorFilter{}))
	for _, r := range keep[:5] {
		if hits := mustSearch(t, s, r.Vector, 1, retrieval.VectorFilter{}); len(hits) != 1 || hits[0].ID != r.ID {
			t.Fatalf("replaced %s not found by its new vector: %v", r.ID, hits)
		}
	}

	// A deleted document can come back.
	back := recs[2:3]
	mustUpsert(t, s, back)
	wantCount(t, s, len(keep)+1)
	if hits := mustSearch(t, s, back[0].Vector, 1, retrieval.VectorFilter{DocID: "d2"}); len(hits) != 1 || hits[0].ID != back[0].ID {
		t.Errorf("re-added %s not found: %v", back[0].ID, hits)
	}
}

func testDimensionMismatch(t *testing.T, su *suite) {
	const dim = 12
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(8, 8))
	recs := randomRecords(rng, 10, 2, dim)
	mustUpsert(t, s, recs)
	ctx := context.Background()

	// One bad vector spoils the batch, and nothing of it is written.
	bad := randomRecords(rng, 5, 1, dim)
	for i := range bad {
		bad[i].ID = "bad" + strconv.Itoa(i)
	}
	bad[3].Vector = randomVector(rng, dim+1)
	err := s.Upsert(ctx, bad)
	if !errors.Is(err, retrieval.ErrVectorDim) || !strings.Contains(err.Error(), "13") || !strings.Contains(err.Error(), "12") {
		t.Errorf("Upsert of a 13-dimensional vector into a 12-dimensional store: %v; want ErrVectorDim naming both", err)
	}
	wantCount(t, s, len(recs))

	_, err = s.Search(ctx, randomVector(rng, dim-4), 3, retrieval.VectorFilter{})
	if !errors.Is(err, retrieval.ErrVectorDim) || !strings.Contains(err.Error(), "8") || !strings.Contains(err.Error(), "12") {
		t.Errorf("Search with an 8-dimensional query in a 12-dimensional store: %v; want ErrVectorDim naming both", err)
	}
	if _, err := s.Search(ctx, nil, 3, retrieval.VectorFilter{}); !errors.Is(err, retrieval.ErrVectorDim) {
		t.Errorf("Search with no vector: %v, want ErrVectorDim", err)
	}
}

func testBadInput(t *testing.T, su *suite) {
	const dim = 4
	s := su.store(t, dim)
	ctx := context.Background()
	good := []float32{1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		rec  retrieval.VectorRecord
	}{
		{"no id", retrieval.VectorRecord{DocID: "d", Kind: corpus.KindLaw, Vector: good}},
		{"no document", retrieval.VectorRecord{ID: "p", Kind: corpus.KindLaw, Vector: good}},
		{"unknown kind", retrieval.VectorRecord{ID: "p", DocID: "d", Kind: "decree", Vector: good}},
		{"NaN", retrieval.VectorRecord{ID: "p", DocID: "d", Kind: corpus.KindLaw, Vector: []float32{1, float32(math.NaN()), 0, 0}}},
		{"infinity", retrieval.VectorRecord{ID: "p", DocID: "d", Kind: corpus.KindLaw, Vector: []float32{float32(math.Inf(1)), 0, 0, 0}}},
		{"id not UTF-8", retrieval.VectorRecord{ID: "p\xff", DocID: "d", Kind: corpus.KindLaw, Vector: good}},
	} {
		if err := s.Upsert(ctx, []retrieval.VectorRecord{tc.rec}); err == nil {
			t.Errorf("Upsert with %s: no error", tc.name)
		}
	}
	wantCount(t, s, 0)
	if _, err := s.Search(ctx, []float32{0, float32(math.NaN()), 0, 0}, 3, retrieval.VectorFilter{}); err == nil {
		t.Error("Search with NaN: no error")
	}
	if err := s.DeleteDocs(ctx, ""); err == nil {
		t.Error("DeleteDocs with an empty id: no error")
	}
	// A zero vector is stored and scores 0 against everything.
	mustUpsert(t, s, []retrieval.VectorRecord{{ID: "zero", DocID: "d", Kind: corpus.KindLaw, Vector: make([]float32, dim)}})
	hits := mustSearch(t, s, good, 1, retrieval.VectorFilter{})
	if len(hits) != 1 || hits[0].ID != "zero" || math.Abs(float64(hits[0].Score)) > scoreTol {
		t.Errorf("search among a zero vector: %v, want it with score 0", hits)
	}
}

func testLargeBatch(t *testing.T, su *suite) {
	const dim, n = 24, 1100
	s := su.store(t, dim)
	rng := rand.New(rand.NewPCG(9, 9))
	recs := randomRecords(rng, n, 37, dim)
	mustUpsert(t, s, recs)
	wantCount(t, s, n)
	for _, i := range []int{0, 255, 256, 700, n - 1} {
		hits := mustSearch(t, s, recs[i].Vector, 1, retrieval.VectorFilter{})
		if len(hits) != 1 || hits[0].ID != recs[i].ID {
			t.Errorf("search for %s of a %d-record batch: %v", recs[i].ID, n, hits)
		}
	}
	q := randomVector(rng, dim)
	sameHits(t, "top 100 of 1100", mustSearch(t, s, q, 100, retrieval.VectorFilter{}), expected(recs, q, 100, retrieval.VectorFilter{}))
	f := retrieval.VectorFilter{DocID: "d11"}
	sameHits(t, "one document of 1100", mustSearch(t, s, q, 100, f), expected(recs, q, 100, f))
}

func testCanceled(t *testing.T, su *suite) {
	const dim = 4
	s := su.store(t, dim)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := retrieval.VectorRecord{ID: "p", DocID: "d", Kind: corpus.KindLaw, Vector: []float32{1, 0, 0, 0}}
	if err := s.Upsert(ctx, []retrieval.VectorRecord{rec}); !errors.Is(err, context.Canceled) {
		t.Errorf("Upsert with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.Search(ctx, rec.Vector, 1, retrieval.VectorFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Search with a canceled context: %v, want context.Canceled", err)
	}
	wantCount(t, s, 0)
}

func testConcurrent(t *testing.T, su *suite) {
	const dim, writers, searchers, rounds, batch = 16, 3, 4, 8, 10
	s := su.store(t, dim)
	ctx := context.Background()
	seed := randomRecords(rand.New(rand.NewPCG(10, 10)), 40, 4, dim)
	mustUpsert(t, s, seed)

	var wg sync.WaitGroup
	errs := make(chan error, writers+searchers)
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(11, uint64(w)))
			for r := range rounds {
				recs := make([]retrieval.VectorRecord, batch)
				for i := range recs {
					recs[i] = retrieval.VectorRecord{
						ID:     fmt.Sprintf("w%d-r%d-%d", w, r, i),
						DocID:  fmt.Sprintf("w%d-r%d", w, r),
						Kind:   kindOf(r),
						Vector: randomVector(rng, dim),
					}
				}
				if err := s.Upsert(ctx, recs); err != nil {
					errs <- fmt.Errorf("writer %d: Upsert: %w", w, err)
					return
				}
				if r%2 == 1 { // drop the round before: it was there in full
					if err := s.DeleteDocs(ctx, fmt.Sprintf("w%d-r%d", w, r-1)); err != nil {
						errs <- fmt.Errorf("writer %d: DeleteDocs: %w", w, err)
						return
					}
				}
			}
		})
	}
	var sw sync.WaitGroup
	for g := range searchers {
		sw.Go(func() {
			rng := rand.New(rand.NewPCG(12, uint64(g)))
			for {
				select {
				case <-done:
					return
				default:
				}
				f := retrieval.VectorFilter{}
				if g%2 == 1 {
					f.Kind = corpus.KindLaw
				}
				hits, err := s.Search(ctx, randomVector(rng, dim), 5, f)
				if err != nil {
					errs <- fmt.Errorf("searcher %d: %w", g, err)
					return
				}
				if len(hits) < 5 && f.Kind == "" {
					errs <- fmt.Errorf("searcher %d: %d hits while at least 40 vectors are held", g, len(hits))
					return
				}
				if _, err := s.Count(ctx); err != nil {
					errs <- fmt.Errorf("searcher %d: Count: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	sw.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each writer keeps the odd rounds only.
	wantCount(t, s, len(seed)+writers*rounds/2*batch)
}

func testClosed(t *testing.T, su *suite) {
	s := su.open(t, 4)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	rec := retrieval.VectorRecord{ID: "p", DocID: "d", Kind: corpus.KindLaw, Vector: []float32{1, 0, 0, 0}}
	if err := s.Upsert(ctx, []retrieval.VectorRecord{rec}); !errors.Is(err, retrieval.ErrVectorsClosed) {
		t.Errorf("Upsert after Close: %v, want ErrVectorsClosed", err)
	}
	if _, err := s.Search(ctx, rec.Vector, 1, retrieval.VectorFilter{}); !errors.Is(err, retrieval.ErrVectorsClosed) {
		t.Errorf("Search after Close: %v, want ErrVectorsClosed", err)
	}
	if _, err := s.Count(ctx); !errors.Is(err, retrieval.ErrVectorsClosed) {
		t.Errorf("Count after Close: %v, want ErrVectorsClosed", err)
	}
	if err := s.DeleteDocs(ctx, "d"); !errors.Is(err, retrieval.ErrVectorsClosed) {
		t.Errorf("DeleteDocs after Close: %v, want ErrVectorsClosed", err)
	}
}

func testReopen(t *testing.T, su *suite) {
	if su.storage == nil {
		t.Skip("the backend does not keep vectors across Close")
	}
	const dim = 20
	open := su.storage(t, dim)
	rng := rand.New(rand.NewPCG(13, 13))
	recs := randomRecords(rng, 300, 12, dim)
	ctx := context.Background()

	s := open()
	for from := 0; from < len(recs); from += 64 {
		mustUpsert(t, s, recs[from:min(from+64, len(recs))])
	}
	if err := s.DeleteDocs(ctx, "d5"); err != nil {
		t.Fatal(err)
	}
	recs = slices.DeleteFunc(recs, func(r retrieval.VectorRecord) bool { return r.DocID == "d5" })
	recs[0].Vector = randomVector(rng, dim)
	recs[0].DocID = "d-moved"
	mustUpsert(t, s, recs[:1])
	queries := [][]float32{randomVector(rng, dim), randomVector(rng, dim), recs[0].Vector}
	before := make([][]retrieval.VectorHit, len(queries))
	for i, q := range queries {
		before[i] = mustSearch(t, s, q, 15, retrieval.VectorFilter{})
		sameHits(t, "before reopening", before[i], expected(recs, q, 15, retrieval.VectorFilter{}))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open()
	wantCount(t, s, len(recs))
	for i, q := range queries {
		sameHits(t, "after reopening", mustSearch(t, s, q, 15, retrieval.VectorFilter{}), before[i])
	}
	// The reopened store takes writes that survive another reopen.
	more := randomRecords(rng, 20, 2, dim)
	for i := range more {
		more[i].ID = "more" + strconv.Itoa(i)
	}
	mustUpsert(t, s, more)
	if err := s.DeleteDocs(ctx, "d7"); err != nil {
		t.Fatal(err)
	}
	recs = append(slices.DeleteFunc(recs, func(r retrieval.VectorRecord) bool { return r.DocID == "d7" }), more...)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open()
	defer s.Close()
	wantCount(t, s, len(recs))
	q := randomVector(rng, dim)
	sameHits(t, "after the second reopening", mustSearch(t, s, q, 30, retrieval.VectorFilter{}), expected(recs, q, 30, retrieval.VectorFilter{}))
}
