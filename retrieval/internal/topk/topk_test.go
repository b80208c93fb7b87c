package topk

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// Top keeps what sorting everything and keeping the first n keeps, for
// every n, with ties among values told apart by the order.
func TestTopIsSortedPrefix(t *testing.T) {
	type v struct {
		score float64
		id    int
	}
	less := func(a, b v) bool {
		if a.score != b.score {
			return a.score < b.score
		}
		return a.id > b.id
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 2, 7, 100, 1000} {
		vals := make([]v, size)
		for i := range vals {
			vals[i] = v{float64(rng.IntN(20)), i} // coarse: many scores tie
		}
		want := slices.Clone(vals)
		slices.SortFunc(want, func(a, b v) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		for _, n := range []int{0, 1, 3, 10, size, size + 5} {
			top := New(n, less, nil)
			for _, x := range vals {
				top.Push(x)
			}
			if top.Len() != min(n, size) || top.Full() != (size >= n) {
				t.Fatalf("size %d, n %d: Len %d, Full %v", size, n, top.Len(), top.Full())
			}
			if top.Len() > 0 && top.Least() != want[top.Len()-1] {
				t.Fatalf("size %d, n %d: Least %v, want %v", size, n, top.Least(), want[top.Len()-1])
			}
			if got := top.Sorted(); !slices.Equal(got, want[:min(n, size)]) {
				t.Fatalf("size %d, n %d: %v, want %v", size, n, got, want[:min(n, size)])
			}
		}
	}
}

// The k-th largest of floats, ties included, as the vector scan's bound
// asks it.
func TestTopOfFloats(t *testing.T) {
	top := New(3, func(a, b float64) bool { return a < b }, make([]float64, 0, 3))
	for _, x := range []float64{5, 1, 5, 2, 5, 9, 0} {
		top.Push(x)
	}
	if got := top.Least(); got != 5 {
		t.Errorf("third largest of 5 1 5 2 5 9 0 = %v, want 5", got)
	}
}
