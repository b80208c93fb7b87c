package retrieval

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

// vecScanReference is the search that the 8-bit first pass can narrow
// nothing of: every row asked for, hence scored exactly and sorted (best
// first, ties by id), and the first k kept.
func vecScanReference(v *EmbeddedVectors, vec []float32, k int, f VectorFilter) []VectorHit {
	ctx := context.Background()
	n, err := v.Count(ctx)
	if err != nil {
		panic(err)
	}
	all, err := v.Search(ctx, vec, max(n, 1), f)
	if err != nil {
		panic(err)
	}
	return all[:min(k, len(all))]
}

// sameVectorHits fails unless got and want hold the same passages in the
// same order with the same scores, bit for bit.
func sameVectorHits(t *testing.T, what string, got, want []VectorHit) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || math.Float32bits(got[i].Score) != math.Float32bits(want[i].Score) {
			t.Fatalf("%s: hit %d is %s %g, want %s %g", what, i, got[i].ID, got[i].Score, want[i].ID, want[i].Score)
		}
	}
}

// The embedded store's scan (embedded.TestScanIsExact) on the library of
// the data directory MATTRANSO_BENCH_DATA names, asked the evaluation
// questions through the local embedder.
func TestEmbeddedVectorsScanIsExactOnLibrary(t *testing.T) {
	dir, shared, k := openBenchData(t)
	defer k.Close()
	ctx := context.Background()
	emb, vs, _, err := LocalVectors(ctx, k, filepath.Join(dir, "index", "local"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close()
	texts := libraryQuestions(t, shared, *libraryEvery)
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, vec := range vecs {
		for _, f := range []VectorFilter{{}, {Kind: "law"}} {
			got, err := vs.Search(ctx, vec, 100, f)
			if err != nil {
				t.Fatal(err)
			}
			sameVectorHits(t, texts[i], got, vecScanReference(vs, vec, 100, f))
		}
	}
	n, _ := vs.Count(ctx)
	t.Logf("%d questions, %d passages", len(texts), n)
}
