package eval

import (
	"errors"
	"fmt"
	"sort"

	"github.com/mattranso/mattranso/assistant"
)

// ClassifyOptions names the labelled files of a classification run.
type ClassifyOptions struct {
	Train, Test string // JSONL files of {"text","label"}
	Classifier  assistant.ClassifierOptions
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
func Classify(opts ClassifyOptions) (ClassifyMetrics, error) {
	if opts.Train == "" || opts.Test == "" {
		return ClassifyMetrics{}, errors.New("eval classify: both a train and a test file are needed")
	}
	train, err := assistant.ReadExamplesFile(opts.Train)
	if err != nil {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: train: %w", err)
	}
	test, err := assistant.ReadExamplesFile(opts.Test)
	if err != nil {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: test: %w", err)
	}
	if len(test) == 0 {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: test: %s has no examples", opts.Test)
	}
	c, err := assistant.TrainClassifier(train, opts.Classifier)
	if err != nil {
		return ClassifyMetrics{}, fmt.Errorf("eval classify: %w", err)
	}
	gold := make([]string, len(test))
	pred := make([]string, len(test))
	for i, e := range test {
		gold[i] = e.Label
		pred[i] = c.Classify(e.Text).Topic
	}
	return ScoreClassification(gold, pred), nil
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
