package retrieval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func featureIndex(t *testing.T, name string) int {
	t.Helper()
	i := slices.Index(rerankFeatures, name)
	if i < 0 {
		t.Fatalf("no feature %q", name)
	}
	return i
}

// synthetic groups: the relevant candidate has the highest sentence_bigram
// but a middling fused score; noise elsewhere.
func syntheticGroups(t *testing.T) []TrainingGroup {
	sb, fused := featureIndex(t, "sentence_bigram"), featureIndex(t, "fused")
	var gs []TrainingGroup
	for q := range 40 {
		var g TrainingGroup
		for c := range 6 {
			f := make([]float64, len(rerankFeatures))
			for j := range f {
				f[j] = float64((q*7+c*13+j*5)%11) / 11 // deterministic noise
			}
			rel := c == q%6
			f[fused] = 1 - float64(c)/6
			f[sb] = 0.2 + 0.1*float64((q+c)%3)
			if rel {
				f[sb] = 0.9
			}
			g.Features = append(g.Features, f)
			g.Relevant = append(g.Relevant, rel)
		}
		gs = append(gs, g)
	}
	return gs
}

func TestTrainRerankerLearnsAndIsDeterministic(t *testing.T) {
	gs := syntheticGroups(t)
	r, err := TrainReranker(gs, RerankTraining{})
	if err != nil {
		t.Fatal(err)
	}
	sb, fused := featureIndex(t, "sentence_bigram"), featureIndex(t, "fused")
	if r.Weights[sb] <= 0 || r.Weights[sb] <= math.Abs(r.Weights[fused]) {
		t.Errorf("the telling feature did not dominate: sentence_bigram %.3f, fused %.3f", r.Weights[sb], r.Weights[fused])
	}
	// The model puts the relevant candidate first in every group.
	for gi, g := range gs {
		c := Candidates{}
		for i, f := range g.Features {
			id := "other"
			if g.Relevant[i] {
				id = "relevant"
			}
			c.Top = append(c.Top, Candidate{Hit: Hit{PassageID: id, Score: f[fused]}, Features: f})
		}
		if got := r.Rank(c); got[0].PassageID != "relevant" {
			t.Fatalf("group %d: first %s", gi, got[0].PassageID)
		}
	}
	again, _ := TrainReranker(gs, RerankTraining{})
	if !reflect.DeepEqual(r.Weights, again.Weights) {
		t.Error("two trainings on the same groups differ")
	}
	// Bad input is named.
	bad := []TrainingGroup{{Features: [][]float64{{1, 2}}, Relevant: []bool{true}}}
	if _, err := TrainReranker(bad, RerankTraining{}); err == nil || !strings.Contains(err.Error(), "features") {
		t.Errorf("short feature row: %v", err)
	}
	none := []TrainingGroup{{Features: gs[0].Features, Relevant: make([]bool, len(gs[0].Features))}}
	if _, err := TrainReranker(none, RerankTraining{}); err == nil {
		t.Error("groups without a relevant candidate trained a model")
	}
}

func TestRankKeepsLookupsFirstAndTheRestBelow(t *testing.T) {
	r := &Reranker{Version: RerankVersion, Features: rerankFeatures, Weights: make([]float64, len(rerankFeatures))}
	r.Weights[featureIndex(t, "cover")] = 4
	f := func(cover float64) []float64 {
		x := make([]float64, len(rerankFeatures))
		x[featureIndex(t, "cover")] = cover
		return x
	}
	c := Candidates{
		Lookups: []Hit{{PassageID: "lookup", Score: 2}},
		Top:     []Candidate{{Hit: Hit{PassageID: "a", Score: 0.9}, Features: f(0.1)}, {Hit: Hit{PassageID: "b", Score: 0.8}, Features: f(0.9)}},
		Rest:    []Hit{{PassageID: "c", Score: 0.95}, {PassageID: "d", Score: 0.1}},
	}
	got := r.Rank(c)
	var ids []string
	for _, h := range got {
		ids = append(ids, h.PassageID)
	}
	if strings.Join(ids, ",") != "lookup,b,a,c,d" {
		t.Fatalf("order %v", ids)
	}
	for i := 2; i < len(got); i++ {
		if got[i].Score > got[i-1].Score {
			t.Errorf("scores rise at %d: %v", i, got)
		}
	}
	// Without a model the fused order stands.
	ids = ids[:0]
	for _, h := range (*Reranker)(nil).Rank(c) {
		ids = append(ids, h.PassageID)
	}
	if strings.Join(ids, ",") != "lookup,a,b,c,d" {
		t.Errorf("nil model order %v", ids)
	}
}

// A search builds only its page (rankInto); every page, however cut, must
// be that part of the whole ranking (Rank), the rest's lowered scores
// included, whether the rest is read as hits or in place in the fused list.
func TestRankIntoPagesAsRank(t *testing.T) {
	r := &Reranker{Version: RerankVersion, Features: rerankFeatures, Weights: make([]float64, len(rerankFeatures))}
	r.Weights[featureIndex(t, "cover")] = 4
	f := func(cover float64) []float64 {
		x := make([]float64, len(rerankFeatures))
		x[featureIndex(t, "cover")] = cover
		return x
	}
	c := Candidates{
		Lookups: []Hit{{PassageID: "lookup", Score: 2}},
		Top:     []Candidate{{Hit: Hit{PassageID: "a", Score: 0.9}, Features: f(0.1)}, {Hit: Hit{PassageID: "b", Score: 0.8}, Features: f(0.9)}},
	}
	var fused []fusedHit
	for i, sc := range []float64{0.97, 0.96, 0.5, 0.95, 0.2, 0.1} { // some above the re-ranked floor
		h := Hit{PassageID: fmt.Sprintf("r%d", i), Score: sc}
		c.Rest = append(c.Rest, h)
		fused = append(fused, fusedHit{Hit: h})
	}
	for _, model := range []*Reranker{r, nil} {
		whole := model.Rank(c)
		for offset := 0; offset <= len(whole)+1; offset++ {
			for limit := 1; limit <= len(whole)+1; limit++ {
				want := whole[min(offset, len(whole)):min(offset+limit, len(whole))]
				for _, rest := range []restHits{{hits: c.Rest}, {fused: fused}} {
					got, total := model.rankInto(nil, c.Lookups, c.Top, rest, offset, limit)
					if total != len(whole) || len(got) != len(want) {
						t.Fatalf("model %v, offset %d limit %d: %d hits of %d; want %d of %d", model != nil, offset, limit, len(got), total, len(want), len(whole))
					}
					for i := range got {
						if got[i].PassageID != want[i].PassageID || got[i].Score != want[i].Score {
							t.Errorf("model %v, offset %d limit %d, place %d: %s %.4f; want %s %.4f", model != nil, offset, limit, i, got[i].PassageID, got[i].Score, want[i].PassageID, want[i].Score)
						}
					}
				}
			}
		}
	}
}

func TestParseReranker(t *testing.T) {
	r, err := ReadReranker("reranker-competition.json")
	if err != nil {
		t.Fatalf("the built-in model: %v", err)
	}
	if len(r.TrainedOn) == 0 {
		t.Error("the built-in model does not say what it learned from")
	}
	good, _ := r.Marshal()
	if _, err := ParseReranker(good); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"other version":  func(m map[string]any) { m["version"] = "rerank-0" },
		"other features": func(m map[string]any) { m["features"] = []string{"keyword"} },
		"short weights":  func(m map[string]any) { m["weights"] = []float64{1} },
	} {
		var m map[string]any
		json.Unmarshal(good, &m)
		edit(m)
		b, _ := json.Marshal(m)
		if _, err := ParseReranker(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseReranker([]byte("{not json")); err == nil {
		t.Error("broken JSON accepted")
	}
}

// On a real index the features say what they claim, and a model that
// trusts sentence_bigram puts the passage whose sentence holds the
// query's phrase first.
func TestHybridRerankerOnIndex(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	q := Query{Text: "hủy hoại di vật của tử sỹ"}
	c, err := h.Candidates(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Top) == 0 {
		t.Fatal("no candidates")
	}
	cover, sb := featureIndex(t, "cover"), featureIndex(t, "sentence_bigram")
	var art418 *Candidate
	for i := range c.Top {
		cd := &c.Top[i]
		if len(cd.Features) != len(rerankFeatures) {
			t.Fatalf("%s: %d features", cd.Hit.PassageID, len(cd.Features))
		}
		for j, x := range cd.Features {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				t.Errorf("%s: feature %s = %v", cd.Hit.PassageID, rerankFeatures[j], x)
			}
		}
		if cd.Hit.PassageID == "01-vbhn-vpqh#dieu-418" {
			art418 = cd
		}
	}
	if art418 == nil {
		t.Fatal("Điều 418 is not a candidate")
	}
	if art418.Features[cover] < 0.99 || art418.Features[sb] < 0.99 {
		t.Errorf("Điều 418 holds every word and pair of the query in one sentence: cover %.2f, sentence_bigram %.2f", art418.Features[cover], art418.Features[sb])
	}
	for _, cd := range c.Top {
		if cd.Hit.DocID == "1.001193" && cd.Features[sb] > 0 {
			t.Errorf("the birth procedure shares no word pair with the query: %.2f", cd.Features[sb])
		}
	}
	r := &Reranker{Version: RerankVersion, Features: rerankFeatures, Weights: make([]float64, len(rerankFeatures))}
	r.Weights[sb] = 5
	h.Reranker = r
	res, err := h.Search(ctx, q)
	if err != nil || len(res.Hits) == 0 {
		t.Fatal(err)
	}
	if res.Hits[0].PassageID != "01-vbhn-vpqh#dieu-418" {
		t.Errorf("first %s", res.Hits[0].PassageID)
	}
	// Keyword mode ignores the model.
	h.Mode = ModeKeyword
	if _, err := h.Search(ctx, q); err != nil {
		t.Fatal(err)
	}
}
