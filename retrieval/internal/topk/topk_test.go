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
	laterID := func(a, b v) bool { return a.id > b.id }
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
			top := New(n, laterID, nil)
			for _, x := range vals {
				top.Push(x.score, x)
			}
			if top.Len() != min(n, size) || top.Full() != (size >= n) {
				t.Fatalf("size %d, n %d: Len %d, Full %v", size, n, top.Len(), top.Full())
			}
			if top.Len() > 0 && top.Least().Value != want[top.Len()-1] {
				t.Fatalf("size %d, n %d: Least %v, want %v", size, n, top.Least(), want[top.Len()-1])
			}
			var got []v
			for _, e := range top.Sorted() {
				if e.Key != e.Value.score {
					t.Fatalf("size %d, n %d: key %v kept with %v", size, n, e.Key, e.Value)
				}
				got = append(got, e.Value)
			}
			if !slices.Equal(got, want[:min(n, size)]) {
				t.Fatalf("size %d, n %d: %v, want %v", size, n, got, want[:min(n, size)])
			}
		}
	}
}

// The k-th largest of floats, ties included, as the vector scan's bound
// asks it.
func TestTopOfFloats(t *testing.T) {
	top := New[struct{}](3, nil, make([]Entry[struct{}], 0, 3))
	for _, x := range []float64{5, 1, 5, 2, 5, 9, 0} {
		top.Push(x, struct{}{})
	}
	if got := top.Least().Key; got != 5 {
		t.Errorf("third largest of 5 1 5 2 5 9 0 = %v, want 5", got)
	}
}
