package embedded

import (
	"math"

	"github.com/mattranso/mattranso/retrieval/internal/topk"
)

// The embedded store's scan reads every vector for every search: at the
// library's size some 5 MB of float32, more than the CPU's caches hold, so
// that the scan waited on memory whatever its arithmetic. It therefore
// first reads an 8-bit copy of the vectors (a quarter of the bytes, summed
// in integers eight at a time) and works out each row's score to within a
// bound; only the rows whose bound reaches the k-th best lower bound can be
// among the k best, and those few are scored exactly as before (dot).
// The hits are the same, with the same scores, as a full exact scan: the
// bound is an inequality, not an estimate (see quantized.bound).

// quantized is the 8-bit copy of a store's rows: row i is about
// scale[i]·rows[i·stride:(i+1)·stride].
type quantized struct {
	stride int    // the dimension rounded up to a multiple of 16; the rest is zeros
	rows   []int8 // values in -127..127
	scale  []float64
	// Per row, upper bounds of ‖v − scale·q‖₂ (what the 8 bits lose) and
	// of ‖scale·q‖₂.
	resid, norm []float64
}

func newQuantized(dim int) quantized { return quantized{stride: (dim + 15) &^ 15} }

// roundUp makes a norm computed in float64 an upper bound of the exact
// one: the sum of a few thousand squares is off by far less than this.
func roundUp(x float64) float64 { return x*(1+1e-9) + 1e-300 }

// set quantizes vec as row i; i may be the number of rows, to add one.
func (z *quantized) set(i int, vec []float32) {
	if i == len(z.scale) {
		z.rows = append(z.rows, make([]int8, z.stride)...)
		z.scale = append(z.scale, 0)
		z.resid = append(z.resid, 0)
		z.norm = append(z.norm, 0)
	}
	row := z.rows[i*z.stride : (i+1)*z.stride]
	clear(row)
	var top float64
	for _, x := range vec {
		top = max(top, math.Abs(float64(x)))
	}
	var scale, resid, norm float64
	if top > 0 {
		scale = top / 127
		for j, x := range vec {
			qx := math.Max(-127, math.Min(127, math.Round(float64(x)/scale)))
			row[j] = int8(qx)
			d := float64(x) - scale*qx
			resid += d * d
			norm += scale * qx * scale * qx
		}
	}
	z.scale[i], z.resid[i], z.norm[i] = scale, roundUp(math.Sqrt(resid)), roundUp(math.Sqrt(norm))
}

// move copies row src over row dst.
func (z *quantized) move(dst, src int) {
	copy(z.rows[dst*z.stride:(dst+1)*z.stride], z.rows[src*z.stride:(src+1)*z.stride])
	z.scale[dst], z.resid[dst], z.norm[dst] = z.scale[src], z.resid[src], z.norm[src]
}

// truncate keeps the first n rows.
func (z *quantized) truncate(n int) {
	z.rows, z.scale, z.resid, z.norm = z.rows[:n*z.stride], z.scale[:n], z.resid[:n], z.norm[:n]
}

// quantQuery is a query vector u in 16 bits: u ≈ t·p.
type quantQuery struct {
	p    []int16
	t    float64
	unit float64 // upper bound of ‖u‖₂
	lost float64 // upper bound of ‖u − t·p‖₂
}

// quantizeQuery returns u in 16 bits, small enough that no row's sum
// overflows an int32; ok is false for a zero vector.
func (z *quantized) quantizeQuery(u []float32) (qq quantQuery, ok bool) {
	var top float64
	for _, x := range u {
		top = max(top, math.Abs(float64(x)))
	}
	if top == 0 {
		return qq, false
	}
	// |Σ p·q| ≤ stride·pmax·127 must stay below 2³¹.
	pmax := math.Min(32767, math.Floor(float64(math.MaxInt32)/float64(127*z.stride)))
	qq.t = top / pmax
	qq.p = make([]int16, z.stride)
	var unit, lost float64
	for j, x := range u {
		px := math.Max(-pmax, math.Min(pmax, math.Round(float64(x)/qq.t)))
		qq.p[j] = int16(px)
		d := float64(x) - qq.t*px
		lost += d * d
		unit += float64(x) * float64(x)
	}
	qq.unit, qq.lost = roundUp(math.Sqrt(unit)), roundUp(math.Sqrt(lost))
	return qq, true
}

// bound returns how far row i's exact score (dot of the float32
// vectors) can lie from its estimate a = dot·scale·t, the integer dot
// product scaled back. With v the row and u the query,
//
//	u·v − a = u·(v − scale·q) + scale·q·(u − t·p)
//
// and by Cauchy–Schwarz each term is at most the product of the norms;
// dot's own rounding adds at most slack (see scanQuantized).
func (z *quantized) bound(i int, qq *quantQuery, slack float64) float64 {
	return z.resid[i]*qq.unit + z.norm[i]*qq.lost + slack
}

// scanQuantized is scan over every row, through the 8-bit copy: the same
// k best, with dot's scores. ok is false when it cannot be used (a zero
// query); v.mu is held for reading.
func (v *Store) scanQuantized(q []float32, k int, f Filter) (best topk.Top[int], ok bool) {
	z := &v.quant
	qq, ok := z.quantizeQuery(q)
	if !ok {
		return best, false
	}
	n := len(v.ids)
	sc, _ := v.quantScratch.Get().(*quantScratch)
	if sc == nil {
		sc = &quantScratch{}
	}
	defer v.quantScratch.Put(sc)
	if cap(sc.dots) < n {
		sc.dots, sc.hi = make([]int32, n), make([]float64, n)
	}
	dots, hi := sc.dots[:n], sc.hi[:n]
	dotsI8(qq.p, z.rows[:n*z.stride], dots)
	// dot's rounding: each of its four sums adds dim/4 rounded
	// products, then three sums; ‖u‖·‖v‖ bounds the sum of the products'
	// sizes (rows are of unit length, to within float32 rounding). The
	// margin here is four times that error's usual bound, and the float64
	// arithmetic of the estimates is a million times finer still.
	slack := float64(v.dim/4+8) * 0x1p-22 * qq.unit * 1.01
	// The k-th best lower bound: a row whose upper bound is below it has
	// k rows surely better than it.
	pass := func(i int) bool { return f.Kind == "" || v.kinds[i] == f.Kind }
	lows := topk.New[struct{}](k, nil, nil)
	for i := range n {
		if !pass(i) {
			continue
		}
		a := float64(dots[i]) * z.scale[i] * qq.t
		e := z.bound(i, &qq, slack)
		// Most rows come after the top is full and are no larger than its
		// least: turned away here, without a call.
		if low := a - e; !lows.Full() || low > lows.Least().Key {
			lows.Push(low, struct{}{})
		}
		hi[i] = a + e
	}
	cut := math.Inf(-1) // fewer than k rows: every one is among the best
	if lows.Full() {
		cut = lows.Least().Key
	}
	best = topk.New(k, v.laterID, make([]topk.Entry[int], 0, k))
	for i := range n {
		if !pass(i) || hi[i] < cut {
			continue
		}
		score := float64(dot(q, v.vecs[i*v.dim:(i+1)*v.dim]))
		if best.Full() && score < best.Least().Key {
			continue // turned away without a call
		}
		best.Push(score, i)
	}
	return best, true
}

// quantScratch is what one quantized scan needs per row.
type quantScratch struct {
	dots []int32
	hi   []float64
}
