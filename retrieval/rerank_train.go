package retrieval

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sort"
)

// TrainingGroup is one judged question's candidates: their features and
// whether each is relevant.
type TrainingGroup struct {
	Features [][]float64
	Relevant []bool
}

// RerankTraining configures TrainReranker; zero values take the defaults
// chosen by cross-validation on the dev sets (EVAL.md).
type RerankTraining struct {
	Epochs int     // passes over the questions (20)
	Rate   float64 // first learning rate (0.05), ×0.7 each epoch
	L2     float64 // weight decay (1e-4)
	Seed   int64   // order of the questions (1)
}

// TrainReranker learns a model from judged candidates by pairwise
// logistic regression on standardised features, LambdaRank-style: each
// (relevant, irrelevant) pair of a question weighs as much as swapping the
// two would change the question's reciprocal rank under the current model,
// so the pairs that decide the first places count most (MRR is what is
// measured). It is deterministic: the same groups and options give the
// same weights.
func TrainReranker(groups []TrainingGroup, o RerankTraining) (*Reranker, error) {
	if o.Epochs <= 0 {
		o.Epochs = 20
	}
	if o.Rate <= 0 {
		o.Rate = 0.05
	}
	if o.L2 <= 0 {
		o.L2 = 1e-4
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	nf := len(rerankFeatures)
	mean, sd := make([]float64, nf), make([]float64, nf)
	var n float64
	pairs := 0
	for gi, g := range groups {
		if len(g.Features) != len(g.Relevant) {
			return nil, fmt.Errorf("retrieval: training group %d has %d feature rows for %d labels", gi, len(g.Features), len(g.Relevant))
		}
		rel := 0
		for i, f := range g.Features {
			if len(f) != nf {
				return nil, fmt.Errorf("retrieval: training group %d row %d has %d features, want %d", gi, i, len(f), nf)
			}
			for j := range f {
				mean[j] += f[j]
			}
			n++
			if g.Relevant[i] {
				rel++
			}
		}
		pairs += rel * (len(g.Features) - rel)
	}
	if pairs == 0 {
		return nil, errors.New("retrieval: no training pairs: no question has both a relevant and an irrelevant candidate")
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, g := range groups {
		for _, f := range g.Features {
			for j := range f {
				sd[j] += (f[j] - mean[j]) * (f[j] - mean[j])
			}
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j]/n) + 1e-9
	}
	w := make([]float64, nf) // in standardised units
	d := make([]float64, nf)
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewSource(o.Seed))
	rate := o.Rate
	for range o.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, gi := range order {
			g := groups[gi]
			rank := ranks(g.Features, w, sd)
			for i, fi := range g.Features {
				if !g.Relevant[i] {
					continue
				}
				for k, fk := range g.Features {
					if g.Relevant[k] {
						continue
					}
					weight := math.Abs(1/float64(rank[i]+1) - 1/float64(rank[k]+1))
					var s float64
					for j := range w {
						d[j] = (fi[j] - fk[j]) / sd[j]
						s += w[j] * d[j]
					}
					step := weight / (1 + math.Exp(s)) // the loss log(1+e^-s) falls along d by this much
					for j := range w {
						w[j] += rate * (step*d[j] - o.L2*w[j])
					}
				}
			}
		}
		rate *= 0.7
	}
	// Back to raw feature units; the intercept cancels in a ranking, and
	// the model is only ever compared within one question.
	for j := range w {
		w[j] /= sd[j]
	}
	return &Reranker{Version: RerankVersion, Features: slices.Clone(rerankFeatures), Weights: w}, nil
}

// ranks returns each candidate's place (0 first) under standardised
// weights w; ties keep the candidates' order.
func ranks(features [][]float64, w, sd []float64) []int {
	score := make([]float64, len(features))
	for i, f := range features {
		for j := range w {
			score[i] += w[j] * f[j] / sd[j]
		}
	}
	idx := make([]int, len(features))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	rank := make([]int, len(features))
	for r, i := range idx {
		rank[i] = r
	}
	return rank
}
