// Package topk owns the bounded heap that keeps the best few of many
// candidates, which every search of the keyword snapshot and the embedded
// vector store runs over thousands of them.
package topk

import "slices"

// Top keeps the n greatest values pushed, by less, in a heap whose root is
// the least of them. The zero value keeps nothing; use New.
type Top[T any] struct {
	n    int
	less func(a, b T) bool
	h    []T
}

// New returns an empty Top of the n greatest values by less, a strict
// order; it keeps them in buf's memory when buf has room.
func New[T any](n int, less func(a, b T) bool, buf []T) Top[T] {
	return Top[T]{n: n, less: less, h: buf[:0]}
}

// Full reports whether n values are kept, so that a value must beat
// Least to come in. With Least it lets a caller turn most values away
// before the call to Push, where its own order is cheaper than less.
func (t *Top[T]) Full() bool { return len(t.h) == t.n }

// Least returns the least value kept; Len must not be 0.
func (t *Top[T]) Least() T { return t.h[0] }

// Len returns how many values are kept.
func (t *Top[T]) Len() int { return len(t.h) }

// Values returns the values kept, in no order; the slice is t's own.
func (t *Top[T]) Values() []T { return t.h }

// Push offers x: kept while fewer than n are, else in place of the least
// kept when that is less than x.
func (t *Top[T]) Push(x T) {
	if len(t.h) < t.n {
		t.h = append(t.h, x)
		t.up(len(t.h) - 1)
		return
	}
	if t.n > 0 && t.less(t.h[0], x) {
		t.h[0] = x
		t.down()
	}
}

// up restores the heap after a value was added at i.
func (t *Top[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(t.h[i], t.h[p]) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

// down restores the heap after its root was replaced.
func (t *Top[T]) down() {
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(t.h) && t.less(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && t.less(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// Sorted returns the values kept, greatest first, in t's own slice: t
// is no longer a heap, and is not to be pushed to again.
func (t *Top[T]) Sorted() []T {
	slices.SortFunc(t.h, func(a, b T) int {
		switch {
		case t.less(b, a):
			return -1
		case t.less(a, b):
			return 1
		}
		return 0
	})
	return t.h
}
