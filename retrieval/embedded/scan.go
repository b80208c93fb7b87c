package embedded

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/mattranso/mattranso/retrieval/internal/topk"
)

// parallelWork is the number of multiply-adds above which a search is
// split across CPUs; below it the goroutines cost more than they save.
const parallelWork = 1 << 19

// Search returns the k passages most similar to vec that pass the filter,
// best first; equal scores are ordered by passage id.
func (v *Store) Search(ctx context.Context, vec []float32, k int, f Filter) ([]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if k <= 0 || len(vec) != v.dim {
		return nil, fmt.Errorf("retrieval: vector search for %d hits with %d dimensions in a store of %d", k, len(vec), v.dim)
	}
	q := slices.Clone(vec)
	normalize(q)

	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return nil, ErrClosed
	}
	n := len(v.ids)
	parts := min(runtime.GOMAXPROCS(0), n*v.dim/parallelWork+1)
	var best topk.Top[int]
	ok := false
	if f.DocID == "" {
		best, ok = v.scanQuantized(q, k, f)
	}
	switch {
	case ok:
	case parts <= 1:
		best = v.scan(q, k, f, 0, n)
	default:
		found := make([]topk.Top[int], parts)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { found[p] = v.scan(q, k, f, p*n/parts, (p+1)*n/parts) })
		}
		wg.Wait()
		best = topk.New(k, v.laterID, nil)
		for _, t := range found {
			for _, c := range t.Values() {
				best.Push(c.Key, c.Value)
			}
		}
	}
	sorted := best.Sorted()
	hits := make([]Hit, len(sorted))
	for i, c := range sorted {
		hits[i] = Hit{ID: v.ids[c.Value], DocID: v.docs[c.Value], Score: float32(c.Key)}
	}
	return hits, nil
}

// scan scores rows [from, to); v.mu is held for reading.
func (v *Store) scan(q []float32, k int, f Filter, from, to int) topk.Top[int] {
	t := topk.New(k, v.laterID, make([]topk.Entry[int], 0, min(k, to-from)))
	for i := from; i < to; i++ {
		if f.Kind != "" && v.kinds[i] != f.Kind || f.DocID != "" && v.docs[i] != f.DocID {
			continue
		}
		score := float64(dot(q, v.vecs[i*v.dim:(i+1)*v.dim]))
		if t.Full() && score < t.Least().Key {
			continue // most rows: turned away without a call
		}
		t.Push(score, i)
	}
	return t
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// laterID breaks the ties of rows scoring alike (the tops key rows by
// score, exactly: a float32 is a float64 unchanged): the first passage
// id ranks first; v.mu is held for reading.
func (v *Store) laterID(a, b int) bool { return v.ids[a] > v.ids[b] }
