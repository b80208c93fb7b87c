package retrieval

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

// vecDotsI8 adds up its integer products exactly, extremes included.
func TestVecDotsI8(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, stride := range []int{16, 32, 144, 512} {
		for _, rows := range []int{0, 1, 3, 17} {
			q := make([]int16, stride)
			m := make([]int8, stride*rows)
			for i := range q {
				q[i] = int16(rng.IntN(2*4000+1) - 4000)
			}
			for i := range m {
				m[i] = int8(rng.IntN(255) - 127)
			}
			if rows > 0 { // the largest sums, either sign
				for i := range stride {
					q[i], m[i] = 4000, -127
				}
			}
			got := make([]int32, rows)
			vecDotsI8(q, m, got)
			for r := range got {
				var want int64
				for i, x := range q {
					want += int64(x) * int64(m[r*stride+i])
				}
				if int64(got[r]) != want {
					t.Fatalf("stride %d, row %d of %d: %d, want %d", stride, r, rows, got[r], want)
				}
			}
		}
	}
}

// vecScanReference is EmbeddedVectors.Search done the plain way: every
// row scored by vecDot, all of them sorted (best first, ties by id).
func vecScanReference(v *EmbeddedVectors, vec []float32, k int, f VectorFilter) []VectorHit {
	q := slices.Clone(vec)
	vecNormalize(q)
	var all []VectorHit
	for i, id := range v.ids {
		if f.Kind != "" && v.kinds[i] != f.Kind || f.DocID != "" && v.docs[i] != f.DocID {
			continue
		}
		all = append(all, VectorHit{ID: id, DocID: v.docs[i], Score: vecDot(q, v.vecs[i*v.dim:(i+1)*v.dim])})
	}
	slices.SortFunc(all, func(a, b VectorHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
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

// The scan (four rows at a time, split across CPUs, kept in a heap) finds
// what scoring every row and sorting finds, with the same scores; rows in
// any number, so that a scan's last rows come one at a time.
func TestEmbeddedVectorsScanIsExact(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{1, 3, 4, 7, 33, 5003} {
		const dim = 37
		v, err := OpenEmbeddedVectors(t.TempDir(), dim, "test-model@1")
		if err != nil {
			t.Fatal(err)
		}
		var recs []VectorRecord
		for i := range n {
			vec := make([]float32, dim)
			for j := range vec {
				vec[j] = float32(rng.IntN(5) - 2) // coarse: many scores tie
			}
			kind := "law"
			if i%3 == 0 {
				kind = "procedure"
			}
			recs = append(recs, VectorRecord{ID: "p" + strconv.Itoa(rng.IntN(1e6)) + "-" + strconv.Itoa(i),
				DocID: "d" + strconv.Itoa(i%11), Kind: corpus.Kind(kind), Vector: vec})
		}
		if err := v.Upsert(ctx, recs); err != nil {
			t.Fatal(err)
		}
		// Rows replaced and deleted keep the 8-bit copy in step.
		for i := 0; i < n; i += 5 {
			for j := range recs[i].Vector {
				recs[i].Vector[j] = float32(rng.NormFloat64())
			}
		}
		if err := v.Upsert(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if n > 10 {
			if err := v.DeleteDocs(ctx, "d4", "d7"); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			q := make([]float32, dim)
			for j := range q {
				q[j] = float32(rng.NormFloat64())
			}
			for _, f := range []VectorFilter{{}, {Kind: "procedure"}, {DocID: "d3"}} {
				for _, k := range []int{1, 10, 100} {
					got, err := v.Search(ctx, q, k, f)
					if err != nil {
						t.Fatal(err)
					}
					sameVectorHits(t, "random rows", got, vecScanReference(v, q, k, f))
				}
			}
		}
		v.Close()
	}
}

// The same on the library of the data directory MATTRANSO_BENCH_DATA
// names, asked the evaluation questions through the local embedder.
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
	t.Logf("%d questions, %d passages", len(texts), len(vs.ids))
}
