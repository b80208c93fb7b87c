package retrieval

import (
	"context"
	"testing"
)

// The local embedder is trained again when the judged pairs it should
// learn from change, and kept when they do not.
func TestLocalVectorsRetrainOnPairs(t *testing.T) {
	k := openTest(t)
	dir := t.TempDir()
	ctx := context.Background()
	o := TrainOptions{Dim: 16, Epochs: 2, Batch: 4, MinDF: 1}
	step := func(name string, pairs []Pair, want bool) {
		t.Helper()
		o.Supervised = pairs
		_, v, trained, err := LocalVectors(ctx, k, dir, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v.Close()
		if trained != want {
			t.Errorf("%s: trained = %v, want %v", name, trained, want)
		}
	}
	pairs := []Pair{{Query: "lấy đồ của liệt sĩ bị phạt thế nào", Text: "Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ"}}
	step("first start", nil, true)
	step("same corpus, no pairs", nil, false)
	step("pairs added", pairs, true)
	step("same pairs", pairs, false)
	step("pairs removed", nil, true)
	if PairsDigest(nil) != "" || PairsDigest(pairs) == PairsDigest(append(pairs, Pair{Query: "a", Text: "b"})) {
		t.Error("PairsDigest does not tell pair sets apart")
	}
}
