package topic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// The classifier is a multinomial logistic regression trained in pure Go
// by full-batch L-BFGS, so the same examples always give the same model.
// Its features (features.go) are tf-idf weighted, with sublinear term
// frequency: the folded syllables (what a citizen typing without
// diacritics writes), the accented lower-case syllables (the diacritics
// carry meaning: "tệ" is not "tế"), folded syllable bigrams (compound
// words: "ổ gà", "đất đai") and folded character 2- to 6-grams across the
// syllables (variants, misspellings, and the look of a phrase). The word
// and character blocks are L2-normalised each on its own.
//
// Beside it stands a second model over the word features alone, NB-LR
// (Wang & Manning 2012, "Baselines and bigrams"): for each topic, a binary
// logistic regression on the presence of each word feature scaled by its
// naive Bayes log-count ratio (how much more often it occurs in the topic's
// examples than in the others'). The ratios let rare but telling words
// count from the start, which suits short texts; the two models err on
// different texts, and their product — the mean of their log-probabilities,
// renormalised — is the confidence. In 5-fold cross-validation on the
// UIT-VSFC training split it raised accuracy from 0.859 to 0.866 and
// macro-F1 from 0.747 to 0.759 (figures below).
//
// Officers' corrections (Learn) are applied online — a few deterministic
// gradient steps on the corrected example — and kept in the model, so a
// saved model carries them and a retraining (Retrain) folds them in with
// the original examples.
//
// Every default was chosen by 5-fold cross-validation on the UIT-VSFC
// training split alone (11,426 lines), so that its dev and test splits stay
// held out:
//
//	mattranso eval classify --train ../shared/eval/uit-vsfc/train.jsonl --cv 5 [--single-model] [--l2 X] [--class-weight X] [--words-only]
//
// Pooled out-of-fold accuracy / macro-F1, each line one change from the
// default (LR + NB-LR on words, L2 1e-4, class weight 0.5, character
// 2–6-grams):
//
//	default                                        0.866 / 0.759
//	class weight 0.3 / 0.7                         0.868 / 0.749, 0.860 / 0.758
//	L2 3e-5 / 3e-4                                 0.864 / 0.756, 0.863 / 0.753
//	the logistic regression alone (SingleModel)    0.859 / 0.747
//	  no character n-grams (WordsOnly)             0.856 / 0.739
//	  character 2–5 / 3–5 / 1–4-grams              0.856 / 0.744, 0.857 / 0.746, 0.854 / 0.742
//	  syllable trigrams too                        0.860 / 0.743
//	  class weight 0 / 1                           0.857 / 0.703, 0.824 / 0.728
//	NB-LR on words alone                           0.862 / 0.751
//	a second NB-LR, over words and characters      0.868 / 0.762 (three times the training time)
//
// Tried and dropped, alone or combined with the default by the geometric
// mean: multinomial and complement naive Bayes (0.799 / 0.687, 0.814 /
// 0.664; too sure of themselves to combine), cosine 20-nearest neighbours
// (0.817 / 0.633), a one-vs-rest linear SVM (0.858 / 0.747), shifts of the
// decision by class priors or by per-class offsets fitted for macro-F1 (no
// gain out of sample), a one-hidden-layer network over the same features
// (0.856 / 0.736; with the default 0.866 / 0.755), stacking the two models
// with a logistic regression (0.869 / 0.748 at best: a lower macro-F1 than
// the geometric mean), and a convolutional network over syllable embeddings
// (with the default 0.875 / 0.772, but 0.874 / 0.774 on dev against 0.873 /
// 0.773, for a minute and a half more training). "others" — feedback on no
// one topic — stays the weak class (F1 0.49): its texts share their words
// with the other classes', and many remaining errors read as label noise
// ("cô dạy nhiệt tình với sinh viên" labelled training_program).

// Options tunes training. The zero value gives the defaults, chosen by
// cross-validation as told above.
type Options struct {
	Epochs int // most L-BFGS iterations, each one pass over the examples; default 300
	// L2 is the penalty λ of the objective: mean (weighted) cross-entropy
	// + λ/2·‖weights‖². Default 1e-4; negative means none.
	L2 float64
	// ClassWeight weighs each class's examples by (n/(k·n_class))^ClassWeight:
	// 0 leaves them equal, 1 balances classes fully. Rare classes gain recall
	// (and macro-F1) as it grows, at some cost in accuracy. Default 0.5;
	// negative means 0.
	ClassWeight float64
	// WordsOnly leaves out the character n-grams (smaller model, for
	// callers that want only whole syllables to count).
	WordsOnly bool
	// SingleModel leaves out the NB-LR word model: the tf-idf logistic
	// regression decides alone (the behaviour before model version 3).
	// The NB-LR model shares L2 and ClassWeight.
	SingleModel bool
	// Names maps a label to its display name (a taxonomy's Vietnamese names).
	Names map[string]string
	// Labels lists the labels in a fixed order; labels seen only in examples
	// are added after them, sorted. A label listed here with no example is
	// still a class (it can be learnt later through Learn).
	Labels []string

	// features overrides the feature set (a retraining keeps its model's).
	features *featureSpec
}

func (o Options) withDefaults() Options {
	if o.Epochs <= 0 {
		o.Epochs = 300
	}
	if o.L2 < 0 {
		o.L2 = 0
	} else if o.L2 == 0 {
		o.L2 = 1e-4
	}
	if o.ClassWeight < 0 {
		o.ClassWeight = 0
	} else if o.ClassWeight == 0 {
		o.ClassWeight = 0.5
	}
	return o
}

func (o Options) spec() featureSpec {
	switch {
	case o.features != nil:
		return *o.features
	case o.WordsOnly:
		return featureSpec{}
	}
	return defaultFeatures
}

// Limits on what training and Learn accept.
const (
	maxExampleText = 10_000 // bytes of one example's text used for features
	learnSteps     = 25     // most gradient steps one correction takes
	learnRate      = 0.5
	learnTarget    = 0.6 // a correction stops once its label has this probability
)

// model is a trained classifier; Classifier guards it.
type model struct {
	labels []string
	names  map[string]string
	opts   Options
	spec   featureSpec
	vocab  map[string]int
	feats  []string    // index → feature
	idf    []float64   // feature → inverse document frequency
	docs   int         // training examples, for the idf of features met later
	w      [][]float64 // feature → per-class weight
	bias   []float64
	nb     *nbModel // nil with SingleModel
	// corrections are the officers' corrections applied through Learn, in
	// order; Retrain folds them into a fresh training.
	corrections []Example
	// taxonomy is the fingerprint of the taxonomy the model was trained
	// from (Taxonomy.Fingerprint), "" when it was trained from examples
	// alone.
	taxonomy string
}

// train trains a model on examples; it stops with ctx's error if ctx ends
// first.
func train(ctx context.Context, examples []Example, opts Options) (*model, error) {
	if len(examples) == 0 {
		return nil, errors.New("topic: train: no examples")
	}
	opts = opts.withDefaults()
	labels := slices.Clone(opts.Labels)
	seen := map[string]bool{}
	for i, l := range labels {
		if l == "" {
			return nil, fmt.Errorf("topic: train: options: labels[%d] is empty", i)
		}
		if seen[l] {
			return nil, fmt.Errorf("topic: train: options: label %q listed twice", l)
		}
		seen[l] = true
	}
	var extra []string
	for i, e := range examples {
		if strings.TrimSpace(e.Label) == "" {
			return nil, fmt.Errorf("topic: train: example %d: empty label", i+1)
		}
		if !seen[e.Label] {
			seen[e.Label] = true
			extra = append(extra, e.Label)
		}
	}
	sort.Strings(extra)
	labels = append(labels, extra...)
	if len(labels) < 2 {
		return nil, fmt.Errorf("topic: train: need at least two labels, got %q", labels)
	}
	c := &model{
		labels: labels,
		names:  map[string]string{},
		opts:   opts,
		spec:   opts.spec(),
		vocab:  map[string]int{},
		bias:   make([]float64, len(labels)),
	}
	for k, v := range opts.Names {
		c.names[k] = v
	}
	c.opts.Names, c.opts.Labels, c.opts.features = nil, nil, nil
	if err := c.train(ctx, examples); err != nil {
		return nil, fmt.Errorf("topic: train: %w", err)
	}
	return c, nil
}

// retrainOptions are the options that train a model like c: its options,
// feature set, labels and names.
func (c *model) retrainOptions() Options {
	opts := c.opts
	spec := c.spec
	opts.features = &spec
	opts.Labels = slices.Clone(c.labels)
	opts.Names = c.names
	return opts
}

type sample struct {
	x      []feat
	y      int
	weight float64
}

type feat struct {
	i int
	v float64
}

func (c *model) train(ctx context.Context, examples []Example) error {
	index := make(map[string]int, len(c.labels))
	for i, l := range c.labels {
		index[l] = i
	}
	names := make([][]string, len(examples))
	var df []int
	for i, e := range examples {
		names[i] = c.spec.names(e.Text)
		seen := make(map[int]bool, len(names[i]))
		for _, n := range names[i] {
			j, ok := c.vocab[n]
			if !ok {
				j = len(c.feats)
				c.vocab[n] = j
				c.feats = append(c.feats, n)
				df = append(df, 0)
			}
			if !seen[j] {
				seen[j] = true
				df[j]++
			}
		}
	}
	c.docs = len(examples)
	k := len(c.labels)
	c.idf = make([]float64, len(c.feats))
	for j, n := range df {
		c.idf[j] = idf(c.docs, n)
	}
	// theta holds the weights, feature after feature, then the biases; the
	// model's rows are views of it.
	theta := make([]float64, (len(c.feats)+1)*k)
	c.w = make([][]float64, len(c.feats))
	for j := range c.w {
		c.w[j] = theta[j*k : (j+1)*k : (j+1)*k]
	}
	samples := make([]sample, len(examples))
	counts := make([]int, k)
	for i, e := range examples {
		samples[i] = sample{x: c.vectorizeNames(names[i], false), y: index[e.Label], weight: 1}
		counts[samples[i].y]++
	}
	if c.opts.ClassWeight > 0 {
		present := 0
		for _, n := range counts {
			if n > 0 {
				present++
			}
		}
		// Weights are rescaled to average 1, so that L2 means the same
		// whatever the class weighting.
		var sum float64
		for i := range samples {
			n := counts[samples[i].y]
			samples[i].weight = math.Pow(float64(len(samples))/float64(present*n), c.opts.ClassWeight)
			sum += samples[i].weight
		}
		for i := range samples {
			samples[i].weight *= float64(len(samples)) / sum
		}
	}
	if err := lbfgs(ctx, theta, func(th, g []float64) float64 {
		return logLoss(th, g, samples, k, c.opts.L2)
	}, c.opts.Epochs, lbfgsTol); err != nil {
		return err
	}
	c.bias = slices.Clone(theta[len(c.feats)*k:])
	if !c.opts.SingleModel {
		nb, err := c.trainNB(ctx, samples)
		if err != nil {
			return err
		}
		c.nb = nb
	}
	return nil
}

// nbModel is the NB-LR word model: for each class c, a binary logistic
// regression (class c against the rest) over the word features present in
// a text, each scaled by its log-count ratio r[j][c], the vector scaled to
// unit length. Rows are indexed like the classifier's features; a
// character feature, or a feature met after training (Learn), has none.
type nbModel struct {
	r    [][]float64 // feature → per-class log-count ratio
	w    [][]float64 // feature → per-class weight
	bias []float64   // per-class
}

// nbAlpha is the smoothing count of the log-count ratios, Wang & Manning's
// choice; 0.5 did slightly worse in cross-validation.
const nbAlpha = 1

// trainNB trains the NB-LR model on the same samples (and sample weights)
// as the logistic regression; only which word features are present counts.
func (c *model) trainNB(ctx context.Context, samples []sample) (*nbModel, error) {
	k := len(c.labels)
	// words maps a compact index, for training, to a feature index.
	var words []int
	compact := make([]int, len(c.feats))
	for j, name := range c.feats {
		compact[j] = -1
		if !charFeature(name) {
			compact[j] = len(words)
			words = append(words, j)
		}
	}
	m := &nbModel{r: make([][]float64, len(c.feats)), w: make([][]float64, len(c.feats)), bias: make([]float64, k)}
	if len(words) == 0 {
		return m, nil
	}
	// count[y][j]: examples of class y in which word j occurs.
	count := make([][]float64, k)
	for y := range count {
		count[y] = make([]float64, len(words))
	}
	for _, s := range samples {
		for _, f := range s.x {
			if j := compact[f.i]; j >= 0 {
				count[s.y][j]++
			}
		}
	}
	total := make([]float64, len(words))
	for y := range count {
		for j, n := range count[y] {
			total[j] += n
		}
	}
	var all float64
	for _, n := range total {
		all += n
	}
	for _, j := range words {
		m.r[j] = make([]float64, k)
		m.w[j] = make([]float64, k)
	}
	theta := make([]float64, (len(words)+1)*2)
	bin := make([]sample, len(samples))
	for y := 0; y < k; y++ {
		var in float64
		for _, n := range count[y] {
			in += n
		}
		V := float64(len(words))
		for cj, j := range words {
			p := (count[y][cj] + nbAlpha) / (in + nbAlpha*V)
			q := (total[cj] - count[y][cj] + nbAlpha) / (all - in + nbAlpha*V)
			m.r[j][y] = math.Log(p / q)
		}
		for i, s := range samples {
			x := make([]feat, 0, len(s.x))
			for _, f := range s.x {
				if j := compact[f.i]; j >= 0 {
					x = append(x, feat{i: j, v: m.r[f.i][y]})
				}
			}
			unit(x)
			b := sample{x: x, weight: s.weight}
			if s.y == y {
				b.y = 1
			}
			bin[i] = b
		}
		// Two classes (rest, y) through the multinomial loss: the binary
		// weight is the difference of the two columns.
		clear(theta)
		if err := lbfgs(ctx, theta, func(th, g []float64) float64 {
			return logLoss(th, g, bin, 2, c.opts.L2)
		}, c.opts.Epochs, lbfgsTol); err != nil {
			return nil, err
		}
		for cj, j := range words {
			m.w[j][y] = theta[2*cj+1] - theta[2*cj]
		}
		nw := len(words)
		m.bias[y] = theta[2*nw+1] - theta[2*nw]
	}
	return m, nil
}

// unit scales x to unit Euclidean length (a zero vector stays zero).
func unit(x []feat) {
	var n float64
	for _, f := range x {
		n += f.v * f.v
	}
	if n > 0 {
		n = math.Sqrt(n)
		for i := range x {
			x[i].v /= n
		}
	}
}

// logits adds to z, for each class, the NB-LR log-odds of that class
// against the rest for the features of x.
func (m *nbModel) logits(x []feat, z []float64) {
	for y := range z {
		var s, n float64
		for _, f := range x {
			if f.i < len(m.r) && m.r[f.i] != nil {
				r := m.r[f.i][y]
				s += m.w[f.i][y] * r
				n += r * r
			}
		}
		if n > 0 { // the unit scaling of training
			s /= math.Sqrt(n)
		}
		z[y] += m.bias[y] + s
	}
}

// lbfgsTol ends training once an iteration lowers the objective by less
// than this fraction: beyond it the cross-validated scores no longer move.
const lbfgsTol = 1e-6

// logLoss is the training objective at th (weights feature after feature,
// then biases): the mean weighted cross-entropy of the samples plus
// l2/2·‖th‖². It writes the gradient into g.
func logLoss(th, g []float64, samples []sample, k int, l2 float64) float64 {
	clear(g)
	nb := len(th) - k
	bias, gb := th[nb:], g[nb:]
	z := make([]float64, k)
	var loss, total float64
	for _, s := range samples {
		total += s.weight
	}
	for _, s := range samples {
		copy(z, bias)
		for _, f := range s.x {
			row := th[f.i*k : f.i*k+k]
			for j, w := range row {
				z[j] += w * f.v
			}
		}
		max := z[0]
		for _, v := range z[1:] {
			max = math.Max(max, v)
		}
		zy := z[s.y] - max
		var sum float64
		for j, v := range z {
			z[j] = math.Exp(v - max)
			sum += z[j]
		}
		loss += s.weight * (math.Log(sum) - zy)
		scale := s.weight / total
		for j := range z {
			z[j] *= scale / sum
		}
		z[s.y] -= scale
		for j, gj := range z {
			gb[j] += gj
		}
		for _, f := range s.x {
			row := g[f.i*k : f.i*k+k]
			for j, gj := range z {
				row[j] += gj * f.v
			}
		}
	}
	loss /= total
	for i, w := range th {
		loss += l2 / 2 * w * w
		g[i] += l2 * w
	}
	return loss
}

// probs writes the class probabilities of x into p: the softmax of the
// logistic regression's logits, or, with the NB-LR model, the normalised
// geometric mean of the two models' probabilities (the softmax of the mean
// of their logits).
func (c *model) probs(x []feat, p []float64) {
	copy(p, c.bias)
	for _, f := range x {
		for j, w := range c.w[f.i] {
			p[j] += w * f.v
		}
	}
	if c.nb != nil {
		c.nb.logits(x, p)
		for j := range p {
			p[j] /= 2
		}
	}
	max := math.Inf(-1)
	for _, v := range p {
		max = math.Max(max, v)
	}
	var sum float64
	for j, v := range p {
		p[j] = math.Exp(v - max)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
}

// classify returns the most probable topic of text with its probability
// and the next most probable topics.
func (c *model) classify(text string) Result {
	p := make([]float64, len(c.labels))
	c.probs(c.vectorize(text, false), p)
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	// Ties go to the earlier label, so the answer never depends on map order.
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
	best := order[0]
	cl := Result{
		Topic:      c.labels[best],
		Label:      c.name(c.labels[best]),
		Confidence: p[best],
		Source:     "local",
	}
	for _, j := range order[1:min(len(order), 4)] {
		cl.RunnersUp = append(cl.RunnersUp, Scored{Topic: c.labels[j], Label: c.name(c.labels[j]), Score: p[j]})
	}
	return cl
}

func (c *model) name(label string) string {
	if n, ok := c.names[label]; ok {
		return n
	}
	return label
}

// learn applies a correction (Classifier.Learn).
func (c *model) learn(text, label string) error {
	y := slices.Index(c.labels, label)
	if y < 0 {
		return fmt.Errorf("topic: learn: %w %q (labels: %s)", ErrUnknownLabel, label, strings.Join(c.labels, ", "))
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("topic: learn: %w", ErrEmptyText)
	}
	x := c.vectorize(text, true)
	p := make([]float64, len(c.labels))
	for step := 0; step < learnSteps; step++ {
		c.probs(x, p)
		if p[y] >= learnTarget && argmaxProb(p) == y {
			break
		}
		for j := range p {
			g := p[j]
			if j == y {
				g -= 1
			}
			c.bias[j] -= learnRate * g * 0.1
			for _, f := range x {
				c.w[f.i][j] -= learnRate * g * f.v
			}
		}
	}
	c.corrections = append(c.corrections, Example{Text: text, Label: label})
	return nil
}

func argmaxProb(p []float64) int {
	best := 0
	for j, v := range p {
		if v > p[best] {
			best = j
		}
	}
	return best
}
