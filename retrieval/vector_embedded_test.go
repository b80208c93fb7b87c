package retrieval_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/vectortest"
)

const vecTestModel = "test-model@1"

func vecOpenEmbedded(t *testing.T, dir string, dim int, model string) *retrieval.EmbeddedVectors {
	t.Helper()
	v, err := retrieval.OpenEmbeddedVectors(dir, dim, model)
	if err != nil {
		t.Fatalf("OpenEmbeddedVectors(%s, %d, %s): %v", dir, dim, model, err)
	}
	return v
}

func TestEmbeddedVectorsConformance(t *testing.T) {
	vectortest.Run(t, func(t *testing.T, dim int) retrieval.VectorStore {
		v := vecOpenEmbedded(t, t.TempDir(), dim, vecTestModel)
		if !v.Fresh || v.Discarded != nil {
			t.Fatalf("a new directory: Fresh %v, Discarded %v; want Fresh and nothing discarded", v.Fresh, v.Discarded)
		}
		return v
	}, vectortest.Reopen(func(t *testing.T, dim int) func() retrieval.VectorStore {
		dir := t.TempDir()
		first := true
		return func() retrieval.VectorStore {
			v := vecOpenEmbedded(t, dir, dim, vecTestModel)
			if v.Fresh != first || v.Discarded != nil {
				t.Fatalf("open #%d: Fresh %v, Discarded %v", map[bool]int{true: 1, false: 2}[first], v.Fresh, v.Discarded)
			}
			first = false
			return v
		}
	}))
}

// vecBatch makes batch number b: n records of document "b<b>", with
// vectors that depend only on (b, dim), so a test can check them later.
func vecBatch(b, n, dim int) []retrieval.VectorRecord {
	rng := rand.New(rand.NewPCG(uint64(b), uint64(dim)))
	recs := make([]retrieval.VectorRecord, n)
	for i := range recs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		kind := corpus.KindLaw
		if b%2 == 1 {
			kind = corpus.KindProcedure
		}
		recs[i] = retrieval.VectorRecord{ID: fmt.Sprintf("b%d-%d", b, i), DocID: "b" + strconv.Itoa(b), Kind: kind, Vector: v}
	}
	return recs
}

func vecUpsert(t *testing.T, s retrieval.VectorStore, recs []retrieval.VectorRecord) {
	t.Helper()
	if err := s.Upsert(context.Background(), recs); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func vecCount(t *testing.T, s retrieval.VectorStore) int {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

func TestEmbeddedVectorsOpenArguments(t *testing.T) {
	for _, tt := range []struct {
		dim   int
		model string
	}{{0, vecTestModel}, {-3, vecTestModel}, {1 << 20, vecTestModel}, {8, ""}, {8, "bad\xffname"}} {
		if v, err := retrieval.OpenEmbeddedVectors(t.TempDir(), tt.dim, tt.model); err == nil {
			v.Close()
			t.Errorf("OpenEmbeddedVectors(dim %d, model %q): no error", tt.dim, tt.model)
		}
	}
}
