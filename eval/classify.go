package eval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"

	"github.com/mattranso/mattranso/topic"
)

// ClassifyOptions names the labelled files of a classification run.
type ClassifyOptions struct {
	Train, Test string // JSONL files of {"text","label"}
	Classifier  topic.Options
}

// ClassMetrics are one label's scores on the test set.
type ClassMetrics struct {
	Label     string  `json:"label"`
	Support   int     `json:"support"` // test examples with this label
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// ClassifyMetrics are the scores of a classification run.
type ClassifyMetrics struct {
	Examples int            `json:"examples"`
	Accuracy float64        `json:"accuracy"`
	MacroF1  float64        `json:"macro_f1"`
	PerLabel []ClassMetrics `json:"-"`
}

// Classify trains the topic classifier on the train file and scores it on
// the test file.
func Classify(ctx context.Context, opts ClassifyOptions) (ClassifyMetrics, error) {
	if opts.Train == "" || opts.Test == "" {
		return ClassifyMetrics{}, errors.New("eval classify: both a train and a test file are needed")
	}
	train, err := topic.ReadExamplesFile(opts.Train)
	if err != nil {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: train: %w", err)
	}
	test, err := topic.ReadExamplesFile(opts.Test)
	if err != nil {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: test: %w", err)
	}
	if len(test) == 0 {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: test: %s has no examples", opts.Test)
	}
	c, err := topic.Train(ctx, train, opts.Classifier)
	if err != nil {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: %w", err)
	}
	gold := make([]string, len(test))
	pred := make([]string, len(test))
	for i, e := range test {
		gold[i] = e.Label
		r, err := c.Classify(ctx, e.Text)
		if err != nil {
			return ClassifyMetrics{}, fmt.Errorf("eval classify: test example %d: %w", i+1, err)
		}
		pred[i] = r.Topic
	}
	return ScoreClassification(gold, pred), nil
}

// CrossValidation are the scores of a k-fold cross-validation: each fold
// scored by a classifier trained on the other folds.
type CrossValidation struct {
	Folds []ClassifyMetrics `json:"folds"`
	// Mean is the unweighted mean of the folds' scores.
	Mean struct {
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
	} `json:"mean"`
	// Pooled scores every example's out-of-fold prediction at once.
	Pooled ClassifyMetrics `json:"pooled"`
}

// cvSeed fixes the shuffle that deals the examples into folds, so that
// runs with different options compare on the same folds.
const cvSeed = 7

// CrossValidateClassifier cuts the examples of the train file into k folds
// and scores each fold with the topic classifier trained on the others,
// with opts. It is how the classifier's options are tuned without looking
// at a held-out set. Folds are trained side by side, as many at once as
// there are processors.
func CrossValidateClassifier(ctx context.Context, train string, k int, opts topic.Options) (CrossValidation, error) {
	if train == "" {
		return CrossValidation{}, errors.New("eval classify: a train file is needed")
	}
	if k < 2 {
		return CrossValidation{}, fmt.Errorf("eval classify: cross-validation needs at least 2 folds, got %d", k)
	}
	ex, err := topic.ReadExamplesFile(train)
	if err != nil {
		return CrossValidation{}, fmt.Errorf("eval classify: train: %w", err)
	}
	if len(ex) < k {
		return CrossValidation{}, fmt.Errorf("eval classify: train: %s has %d examples, fewer than the %d folds", train, len(ex), k)
	}
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	rand.New(rand.NewPCG(cvSeed, cvSeed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	pred := make([]string, len(ex))
	errs := make([]error, k)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for fold := range k {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var learn []topic.Example
			var held []int
			for p, i := range order {
				if p%k == fold {
					held = append(held, i)
				} else {
					learn = append(learn, ex[i])
				}
			}
			c, err := topic.Train(ctx, learn, opts)
			if err != nil {
				errs[fold] = fmt.Errorf("eval classify: fold %d: %w", fold+1, err)
				return
			}
			for _, i := range held {
				r, err := c.Classify(ctx, ex[i].Text)
				if err != nil {
					errs[fold] = fmt.Errorf("eval classify: fold %d: %w", fold+1, err)
					return
				}
				pred[i] = r.Topic
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return CrossValidation{}, err
	}
	if err := errors.Join(errs...); err != nil {
		return CrossValidation{}, err
	}
	var cv CrossValidation
	gold := make([]string, len(ex))
	for i, e := range ex {
		gold[i] = e.Label
	}
	for fold := range k {
		var g, p []string
		for pos, i := range order {
			if pos%k == fold {
				g, p = append(g, gold[i]), append(p, pred[i])
			}
		}
		m := ScoreClassification(g, p)
		cv.Folds = append(cv.Folds, m)
		cv.Mean.Accuracy += m.Accuracy
		cv.Mean.MacroF1 += m.MacroF1
	}
	cv.Mean.Accuracy /= float64(k)
	cv.Mean.MacroF1 /= float64(k)
	cv.Pooled = ScoreClassification(gold, pred)
	return cv, nil
}

// ScoreClassification computes accuracy, and precision, recall and F1 per
// label and their unweighted mean (macro-F1) over the labels that occur in
// gold or pred.
func ScoreClassification(gold, pred []string) ClassifyMetrics {
	type counts struct{ tp, fp, fn, support int }
	by := map[string]*counts{}
	get := func(l string) *counts {
		if by[l] == nil {
			by[l] = &counts{}
		}
		return by[l]
	}
	correct := 0
	for i := range gold {
		get(gold[i]).support++
		if gold[i] == pred[i] {
			correct++
			get(gold[i]).tp++
		} else {
			get(gold[i]).fn++
			get(pred[i]).fp++
		}
	}
	m := ClassifyMetrics{Examples: len(gold)}
	if len(gold) == 0 {
		return m
	}
	m.Accuracy = float64(correct) / float64(len(gold))
	labels := make([]string, 0, len(by))
	for l := range by {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		c := by[l]
		cm := ClassMetrics{Label: l, Support: c.support}
		if c.tp+c.fp > 0 {
			cm.Precision = float64(c.tp) / float64(c.tp+c.fp)
		}
		if c.tp+c.fn > 0 {
			cm.Recall = float64(c.tp) / float64(c.tp+c.fn)
		}
		if cm.Precision+cm.Recall > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / (cm.Precision + cm.Recall)
		}
		m.PerLabel = append(m.PerLabel, cm)
		m.MacroF1 += cm.F1
	}
	m.MacroF1 /= float64(len(labels))
	return m
}
