// Package topk owns the bounded heap that keeps the best few of many
// candidates, which every search of the keyword snapshot and the embedded
// vector store runs over thousands of them.
//
// Values are ordered by a float64 key, and only values of equal keys by
// the caller's tie-break: a heap sift compares keys inline, where an
// order given as a function would cost an indirect call (generic code
// cannot inline it) at every comparison. Ties are rare, so the tie-break
// is called rarely.
package topk

import "slices"

// Entry is a value kept with its key.
type Entry[T any] struct {
	Key   float64
	Value T
}

// Top keeps the n greatest entries pushed — by key, equal keys by the
// tie-break — in a heap whose root is the least of them. The zero value
// keeps nothing; use New.
type Top[T any] struct {
	n   int
	tie func(a, b T) bool
	h   []Entry[T]
}

// New returns an empty Top of the n greatest entries. tie(a, b) reports
// whether a is less than b among values of equal keys, a strict order;
// nil makes equal keys equal. The entries are kept in buf's memory when
// buf has room.
func New[T any](n int, tie func(a, b T) bool, buf []Entry[T]) Top[T] {
	return Top[T]{n: n, tie: tie, h: buf[:0]}
}

// less orders entries by key, then by the tie-break. It is small enough
// to be inlined into the sifts, with the tie-break's call kept apart.
func (t *Top[T]) less(a, b *Entry[T]) bool {
	return a.Key < b.Key || a.Key == b.Key && t.tied(a, b)
}

// tied orders entries of equal keys.
//
//go:noinline
func (t *Top[T]) tied(a, b *Entry[T]) bool { return t.tie != nil && t.tie(a.Value, b.Value) }

// Full reports whether n entries are kept, so that a key must reach
// Least's to come in. With Least it lets a caller turn most values away
// before the call to Push.
func (t *Top[T]) Full() bool { return len(t.h) == t.n }

// Least returns the least entry kept; Len must not be 0.
func (t *Top[T]) Least() Entry[T] { return t.h[0] }

// Len returns how many entries are kept.
func (t *Top[T]) Len() int { return len(t.h) }

// Values returns the entries kept, in no order; the slice is t's own.
func (t *Top[T]) Values() []Entry[T] { return t.h }

// Push offers v with its key: kept while fewer than n are, else in place
// of the least kept when that is less.
func (t *Top[T]) Push(key float64, v T) {
	x := Entry[T]{Key: key, Value: v}
	if len(t.h) < t.n {
		t.h = append(t.h, x)
		t.up(len(t.h) - 1)
		return
	}
	if t.n > 0 && t.less(&t.h[0], &x) {
		t.h[0] = x
		t.down()
	}
}

// up restores the heap after an entry was added at i.
func (t *Top[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(&t.h[i], &t.h[p]) {
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
		if l < len(t.h) && t.less(&t.h[l], &t.h[m]) {
			m = l
		}
		if r < len(t.h) && t.less(&t.h[r], &t.h[m]) {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// Sorted returns the entries kept, greatest first, in t's own slice: t
// is no longer a heap, and is not to be pushed to again.
func (t *Top[T]) Sorted() []Entry[T] {
	slices.SortFunc(t.h, func(a, b Entry[T]) int {
		switch {
		case t.less(&b, &a):
			return -1
		case t.less(&a, &b):
			return 1
		}
		return 0
	})
	return t.h
}
