package eval

import "math"

// Metrics are the retrieval scores of one run, averaged over queries.
type Metrics struct {
	Queries    int     `json:"queries"`
	RecallAt1  float64 `json:"recall@1"`
	RecallAt10 float64 `json:"recall@10"`
	MRRAt10    float64 `json:"mrr@10"`
	NDCGAt10   float64 `json:"ndcg@10"`
	F2         float64 `json:"f2"`
	// Reranker says which re-ranker ordered hybrid results (see
	// RetrievalOptions.Reranker); empty in other modes.
	Reranker string `json:"reranker,omitempty"`
}

// scoreQuery computes the per-query metrics of a ranking (corpus ids, best
// first) and of a returned set against the relevant ids with grades.
func scoreQuery(ranked []string, returned []string, rel map[string]int) (r1, r10, mrr, ndcg, f2 float64) {
	if len(rel) == 0 {
		return
	}
	hits := func(k int) float64 {
		n := 0
		for i := 0; i < k && i < len(ranked); i++ {
			if rel[ranked[i]] > 0 {
				n++
			}
		}
		return float64(n) / float64(len(rel))
	}
	r1, r10 = hits(1), hits(10)
	for i := 0; i < 10 && i < len(ranked); i++ {
		if rel[ranked[i]] > 0 {
			mrr = 1 / float64(i+1)
			break
		}
	}
	var dcg, idcg float64
	for i := 0; i < 10 && i < len(ranked); i++ {
		if g := rel[ranked[i]]; g > 0 {
			dcg += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
		}
	}
	grades := make([]int, 0, len(rel))
	for _, g := range rel {
		grades = append(grades, g)
	}
	sortDesc(grades)
	for i := 0; i < 10 && i < len(grades); i++ {
		idcg += (math.Pow(2, float64(grades[i])) - 1) / math.Log2(float64(i+2))
	}
	if idcg > 0 {
		ndcg = dcg / idcg
	}
	// ALQAC's F2 on the returned set.
	correct := 0
	for _, id := range returned {
		if rel[id] > 0 {
			correct++
		}
	}
	if correct > 0 {
		p := float64(correct) / float64(len(returned))
		r := float64(correct) / float64(len(rel))
		f2 = 5 * p * r / (4*p + r)
	}
	return
}

func sortDesc(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] > a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
