package topic

import (
	"context"
	"math"
)

// lbfgs minimises f from x (updated in place) with limited-memory BFGS and
// a backtracking (Armijo) line search. fg returns f(x) and writes its
// gradient into g. It stops after maxIter iterations, when the gradient
// vanishes, or when an iteration no longer lowers f by a relative tol. It
// is deterministic: the same fg and start give the same x. If ctx ends
// first, it returns ctx's error with x at the last accepted point.
func lbfgs(ctx context.Context, x []float64, fg func(x, g []float64) float64, maxIter int, tol float64) error {
	const (
		memory = 10
		armijo = 1e-4
	)
	n := len(x)
	if n == 0 {
		return nil
	}
	// x and xNew swap at every accepted step: the caller's slice must end
	// holding the last accepted point.
	orig := x
	defer func() {
		if &x[0] != &orig[0] {
			copy(orig, x)
		}
	}()
	g := make([]float64, n)
	f := fg(x, g)
	var s, y [][]float64
	var rho []float64
	d := make([]float64, n)
	xNew := make([]float64, n)
	gNew := make([]float64, n)
	alpha := make([]float64, memory)
	for iter := 0; iter < maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if norm2(g) < 1e-10 {
			return nil
		}
		// Two-loop recursion: d = −H·g.
		copy(d, g)
		for k := len(s) - 1; k >= 0; k-- {
			alpha[k] = rho[k] * dot(s[k], d)
			axpy(-alpha[k], y[k], d)
		}
		gamma := 1 / norm2(g) // first step: unit length along −g
		if k := len(s) - 1; k >= 0 {
			gamma = dot(s[k], y[k]) / dot(y[k], y[k])
		}
		for i := range d {
			d[i] *= gamma
		}
		for k := range s {
			b := rho[k] * dot(y[k], d)
			axpy(alpha[k]-b, s[k], d)
		}
		for i := range d {
			d[i] = -d[i]
		}
		slope := dot(g, d)
		if slope >= 0 { // not a descent direction: restart from steepest descent
			s, y, rho = s[:0], y[:0], rho[:0]
			for i := range d {
				d[i] = -g[i]
			}
			slope = dot(g, d)
		}
		step := 1.0
		var fNew float64
		ok := false
		for try := 0; try < 30; try++ {
			for i := range x {
				xNew[i] = x[i] + step*d[i]
			}
			fNew = fg(xNew, gNew)
			if fNew <= f+armijo*step*slope {
				ok = true
				break
			}
			step /= 2
		}
		if !ok {
			return nil
		}
		var sk, yk []float64
		if len(s) == memory { // reuse the pair about to be dropped
			sk, yk = s[0], y[0]
		} else {
			sk, yk = make([]float64, n), make([]float64, n)
		}
		for i := range x {
			sk[i] = xNew[i] - x[i]
			yk[i] = gNew[i] - g[i]
		}
		if sy := dot(sk, yk); sy > 1e-12 {
			if len(s) == memory {
				s, y, rho = s[1:], y[1:], rho[1:]
			}
			s, y, rho = append(s, sk), append(y, yk), append(rho, 1/sy)
		} else if len(s) == memory {
			// The pair was not kept, but its buffers were the oldest
			// pair's: drop that pair too rather than keep garbage.
			s, y, rho = s[1:], y[1:], rho[1:]
		}
		x, xNew = xNew, x
		g, gNew = gNew, g
		done := f-fNew <= tol*math.Max(1, math.Abs(fNew))
		f = fNew
		if done {
			break
		}
	}
	return nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func norm2(a []float64) float64 { return math.Sqrt(dot(a, a)) }

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}
