package retrieval

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
)

// hardPairs makes docs documents of passages passages each, three pairs
// a passage (a heading and two sentences), and a few question pairs
// whose law is unknown.
func hardPairs(docs, passages int) []trainPair {
	var out []trainPair
	for g := 0; g < docs; g++ {
		for p := 0; p < passages; p++ {
			for k := 0; k < 3; k++ {
				out = append(out, trainPair{doc: g*passages + p, group: g})
			}
		}
	}
	for j := 0; j < 10; j++ {
		out = append(out, trainPair{doc: -1 - j, group: -1})
	}
	return out
}

// hardShare is the share of pairs that meet, in their batch, a pair of
// another passage of their own document: a hard negative.
func hardShare(bs [][]trainPair) float64 {
	hard, n := 0, 0
	for _, b := range bs {
		for i, p := range b {
			n++
			for j, q := range b {
				if j != i && q.group == p.group && p.group >= 0 && q.doc != p.doc {
					hard++
					break
				}
			}
		}
	}
	return float64(hard) / float64(n)
}

func TestBatchesGroupPairsOfOneDocument(t *testing.T) {
	tests := []struct {
		name     string
		group    int
		share    float64
		min, max float64 // bounds of hardShare
	}{
		// 40 documents: a random batch of 16 seldom holds two of one.
		{"random", -1, 0, 0, 0.35},
		{"half grouped", 8, 0.5, 0.5, 0.8},
		{"all grouped", 8, 1, 0.9, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := TrainOptions{Batch: 16, Group: tc.group, GroupShare: tc.share}
			o.defaults()
			pairs := hardPairs(40, 4)
			bs := batches(append([]trainPair(nil), pairs...), o, rand.New(rand.NewPCG(1, 2)))
			seen := map[int]int{}
			total := 0
			for _, b := range bs {
				if len(b) != o.Batch {
					t.Fatalf("a batch of %d pairs, want %d", len(b), o.Batch)
				}
				for _, p := range b {
					seen[p.doc]++
					total++
				}
			}
			// Every pair at most once; at most one partial batch dropped
			// from each of the grouped and the random pairs.
			want := map[int]int{}
			for _, p := range pairs {
				want[p.doc]++
			}
			for doc, n := range seen {
				if n > want[doc] {
					t.Fatalf("passage %d: %d pairs in batches, %d given", doc, n, want[doc])
				}
			}
			if total <= len(pairs)-2*o.Batch {
				t.Errorf("%d of %d pairs in batches", total, len(pairs))
			}
			if s := hardShare(bs); s < tc.min || s > tc.max {
				t.Errorf("share of pairs with a hard negative %.2f, want %.2f..%.2f", s, tc.min, tc.max)
			}
			again := batches(append([]trainPair(nil), pairs...), o, rand.New(rand.NewPCG(1, 2)))
			if !reflect.DeepEqual(bs, again) {
				t.Error("the same seed gave other batches")
			}
		})
	}
}

// In a grouped batch, pairs of one passage sit side by side; none may be
// the negative of another, or the model would learn to push a passage
// away from its own heading.
func TestStepNeverUsesOwnPassageAsNegative(t *testing.T) {
	ctx := context.Background()
	ps := testPassages()
	e, err := TrainLocalEmbedder(ctx, ps, TrainOptions{Dim: 16, Epochs: 1, Batch: 4, MinDF: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := TrainOptions{Dim: 16, MinDF: 1}
	o.defaults()
	var same, other []trainPair
	for i, p := range ps {
		q, d := e.features(p.Heading, o.MaxFeat), e.features(EmbedText(p), o.MaxFeat)
		if len(q.ids) == 0 || len(d.ids) == 0 {
			continue
		}
		same = append(same, trainPair{q, e.features(EmbedText(ps[0]), o.MaxFeat), 0, 0})
		other = append(other, trainPair{q, d, i, 0})
	}
	if len(other) < 3 {
		t.Fatalf("%d usable passages", len(other))
	}
	tr := trainer{e: e, o: o, accum: make([]float32, len(e.idf))}
	if loss := tr.step(same); loss > 1e-6 {
		t.Errorf("batch of one passage: loss %g, want 0 (no negatives)", loss)
	}
	if loss := tr.step(other); loss < 1e-3 {
		t.Errorf("batch of %d passages of one document: loss %g, want their negatives counted", len(other), loss)
	}
}

func TestSupervisedGroupFindsTheLawByTitle(t *testing.T) {
	byTitle := map[string]int{"Bộ luật dân sự": 3}
	tests := []struct {
		text string
		want int
	}{
		{"Bộ luật dân sự\nĐiều 1. Phạm vi điều chỉnh", 3},
		{"Bộ luật hình sự\nĐiều 1", -1},
		{"no title line", -1},
	}
	for _, tc := range tests {
		if got := supervisedGroup(tc.text, byTitle); got != tc.want {
			t.Errorf("supervisedGroup(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}
