package embedded

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
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
	var best topK
	ok := false
	if f.DocID == "" {
		best, ok = v.scanQuantized(q, k, f)
	}
	switch {
	case ok:
	case parts <= 1:
		best = v.scan(q, k, f, 0, n)
	default:
		found := make([]topK, parts)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { found[p] = v.scan(q, k, f, p*n/parts, (p+1)*n/parts) })
		}
		wg.Wait()
		best = topK{k: k, ids: v.ids}
		for _, t := range found {
			for _, c := range t.h {
				best.push(c)
			}
		}
	}
	hits := make([]Hit, len(best.h))
	for i := len(hits) - 1; i >= 0; i-- {
		c := best.pop()
		hits[i] = Hit{ID: v.ids[c.row], DocID: v.docs[c.row], Score: c.score}
	}
	return hits, nil
}

// scan scores rows [from, to); v.mu is held for reading.
func (v *Store) scan(q []float32, k int, f Filter, from, to int) topK {
	t := topK{k: k, ids: v.ids, h: make([]candidate, 0, min(k, to-from))}
	for i := from; i < to; i++ {
		if f.Kind != "" && v.kinds[i] != f.Kind || f.DocID != "" && v.docs[i] != f.DocID {
			continue
		}
		t.push(candidate{score: dot(q, v.vecs[i*v.dim:(i+1)*v.dim]), row: i})
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

type candidate struct {
	score float32
	row   int
}

// topK keeps the k best candidates in a min-heap whose root is the worst.
type topK struct {
	k   int
	ids []string
	h   []candidate
}

func (t *topK) worse(a, b candidate) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return t.ids[a.row] > t.ids[b.row]
}

func (t *topK) push(c candidate) {
	if len(t.h) < t.k {
		t.h = append(t.h, c)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.worse(t.h[i], t.h[p]) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !t.worse(t.h[0], c) {
		return
	}
	t.h[0] = c
	t.down()
}

func (t *topK) pop() candidate {
	c := t.h[0]
	last := len(t.h) - 1
	t.h[0] = t.h[last]
	t.h = t.h[:last]
	t.down()
	return c
}

func (t *topK) down() {
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(t.h) && t.worse(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && t.worse(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}
