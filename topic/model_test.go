package topic

import (
	"bytes"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func readExamples(t *testing.T, name string) []Example {
	t.Helper()
	ex, err := ReadExamplesFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestTrainClassifierHeldOut(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "train.jsonl"), Options{Epochs: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range readExamples(t, "test.jsonl") {
		got := classify(t, c, e.Text)
		if got.Topic != e.Label {
			t.Errorf("Classify(%q) = %s (%.2f), want %s", e.Text, got.Topic, got.Confidence, e.Label)
		}
		if got.Confidence <= 0 || got.Confidence > 1 || len(got.RunnersUp) != 2 {
			t.Errorf("Classify(%q): confidence %v, %d runners-up", e.Text, got.Confidence, len(got.RunnersUp))
		}
		sum := got.Confidence
		for _, r := range got.RunnersUp {
			if r.Score > got.Confidence {
				t.Errorf("runner-up %s scores %v above the chosen %v", r.Topic, r.Score, got.Confidence)
			}
			sum += r.Score
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("probabilities sum to %v", sum)
		}
	}
}

func TestTrainClassifierDeterministic(t *testing.T) {
	ex := readExamples(t, "train.jsonl")
	opts := Options{Epochs: 10, ClassWeight: 0.5}
	a, err := Train(t.Context(), ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(t.Context(), ex, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ba, bb bytes.Buffer
	if err := a.Save(&ba); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(&bb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba.Bytes(), bb.Bytes()) {
		t.Error("two trainings on the same examples gave different models")
	}
	for _, e := range readExamples(t, "test.jsonl") {
		if ca, cb := classify(t, a, e.Text), classify(t, b, e.Text); !reflect.DeepEqual(ca, cb) {
			t.Errorf("Classify(%q): %+v vs %+v", e.Text, ca, cb)
		}
	}
}

func TestTrainClassifierErrors(t *testing.T) {
	cases := []struct {
		name string
		ex   []Example
		opts Options
		want string
	}{
		{"none", nil, Options{}, "no examples"},
		{"one label", []Example{{"a", "x"}, {"b", "x"}}, Options{}, "at least two labels"},
		{"empty label", []Example{{"a", "x"}, {"b", " "}}, Options{}, "example 2: empty label"},
		{"duplicate option label", []Example{{"a", "x"}}, Options{Labels: []string{"x", "x"}}, `label "x" listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Train(t.Context(), c.ex, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// A small hand-written sample (three classes, six phrases each) must be
// learnt well enough that held-out phrases, some typed without
// diacritics, land in their class with a clear margin.
func TestTrainClassifierSmallSample(t *testing.T) {
	train := readExamples(t, "small.jsonl")
	c, err := Train(t.Context(), train, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Labels(), []string{"facility", "lecturer", "training_program"}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
	for _, e := range readExamples(t, "small_test.jsonl") {
		got := classify(t, c, e.Text)
		if got.Topic != e.Label {
			t.Errorf("Classify(%q) = %s (%.2f, runners-up %+v), want %s", e.Text, got.Topic, got.Confidence, got.RunnersUp, e.Label)
			continue
		}
		if margin := got.Confidence - got.RunnersUp[0].Score; margin < 0.1 {
			t.Errorf("Classify(%q): %s by a margin of only %.3f over %s", e.Text, got.Topic, margin, got.RunnersUp[0].Topic)
		}
	}
	// The training phrases themselves are separated: each class's phrases
	// get that class with probability above one half.
	for _, e := range train {
		if got := classify(t, c, e.Text); got.Topic != e.Label || got.Confidence < 0.5 {
			t.Errorf("training phrase %q: %s (%.2f), want %s above 0.5", e.Text, got.Topic, got.Confidence, e.Label)
		}
	}
}

// logLoss's gradient matches finite differences of its value.
func TestLogLossGradient(t *testing.T) {
	samples := []sample{
		{x: []feat{{0, 0.6}, {2, 0.8}}, y: 0, weight: 1},
		{x: []feat{{1, 1}}, y: 1, weight: 2},
		{x: []feat{{0, 0.5}, {1, 0.5}, {2, 0.7}}, y: 2, weight: 0.5},
	}
	const k, l2 = 3, 0.01
	th := make([]float64, 4*k)
	for i := range th {
		th[i] = math.Sin(float64(i)) / 2
	}
	g := make([]float64, len(th))
	logLoss(th, g, samples, k, l2)
	scratch := make([]float64, len(th))
	for i := range th {
		const h = 1e-6
		orig := th[i]
		th[i] = orig + h
		up := logLoss(th, scratch, samples, k, l2)
		th[i] = orig - h
		down := logLoss(th, scratch, samples, k, l2)
		th[i] = orig
		if num := (up - down) / (2 * h); math.Abs(num-g[i]) > 1e-6 {
			t.Errorf("gradient[%d] = %.8f, finite difference %.8f", i, g[i], num)
		}
	}
}

func TestLBFGSQuadratic(t *testing.T) {
	// f(x) = Σ (i+1)·(x_i − i)², minimum at x_i = i.
	x := make([]float64, 20)
	lbfgs(t.Context(), x, func(x, g []float64) float64 {
		var f float64
		for i, v := range x {
			d := v - float64(i)
			f += float64(i+1) * d * d
			g[i] = 2 * float64(i+1) * d
		}
		return f
	}, 200, 1e-12)
	for i, v := range x {
		if math.Abs(v-float64(i)) > 1e-4 {
			t.Errorf("x[%d] = %v, want %d", i, v, i)
		}
	}
}

// The NB-LR word model is trained by default, reads words only, gives a
// word found in one class's examples alone a positive log-count ratio for
// that class, and enters the probabilities as the mean of the two models'
// logits; SingleModel leaves it out.
func TestNBWordModel(t *testing.T) {
	ex := readExamples(t, "small.jsonl")
	c, err := Train(t.Context(), ex, Options{})
	if err != nil {
		t.Fatal(err)
	}
	single, err := Train(t.Context(), ex, Options{SingleModel: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.m.nb == nil || single.m.nb != nil {
		t.Fatalf("NB-LR model: default %v, SingleModel %v; want one and none", c.m.nb != nil, single.m.nb != nil)
	}
	// The NB-LR model reads the word block only.
	for j, name := range c.m.feats {
		if got, want := c.m.nb.r[j] != nil, !charFeature(name); got != want {
			t.Errorf("feature %q: NB-LR row %v, want %v", name, got, want)
		}
	}
	// A word in the examples of one class only leans towards that class.
	only := map[string]string{}
	for _, e := range ex {
		for _, n := range c.m.spec.names(e.Text) {
			if l, ok := only[n]; ok && l != e.Label {
				only[n] = ""
			} else if !ok {
				only[n] = e.Label
			}
		}
	}
	checked := 0
	for name, label := range only {
		if label == "" || charFeature(name) {
			continue
		}
		j, y := c.m.vocab[name], slices.Index(c.m.labels, label)
		for k, r := range c.m.nb.r[j] {
			if k != y && r >= c.m.nb.r[j][y] {
				t.Errorf("%q, seen in %s only: ratio %.3f for %s ≥ %.3f", name, label, r, c.m.labels[k], c.m.nb.r[j][y])
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no word belongs to one class only")
	}
	// The probabilities are the softmax of the mean of the two models' logits.
	for _, text := range []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang"} {
		x := c.m.vectorize(text, false)
		z := slices.Clone(c.m.bias)
		for _, f := range x {
			for j, w := range c.m.w[f.i] {
				z[j] += w * f.v
			}
		}
		nb := make([]float64, len(z))
		c.m.nb.logits(x, nb)
		var sum float64
		for j := range z {
			z[j] = math.Exp((z[j] + nb[j]) / 2)
			sum += z[j]
		}
		p := make([]float64, len(z))
		c.m.probs(x, p)
		for j := range p {
			if math.Abs(p[j]-z[j]/sum) > 1e-12 {
				t.Errorf("%q: p[%s] = %v, want %v", text, c.m.labels[j], p[j], z[j]/sum)
			}
		}
		if a, b := classify(t, c, text), classify(t, single, text); a.Confidence == b.Confidence {
			t.Errorf("%q: the same confidence %v with and without NB-LR", text, a.Confidence)
		}
	}
}
