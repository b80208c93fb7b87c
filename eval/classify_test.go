package eval

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/topic"
)

func TestClassifyTiny(t *testing.T) {
	dir := filepath.Join("testdata", "classify-tiny")
	m, err := Classify(t.Context(), ClassifyOptions{
		Train:      filepath.Join(dir, "train.jsonl"),
		Test:       filepath.Join(dir, "test.jsonl"),
		Classifier: topic.Options{Epochs: 30},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Examples != 6 || m.Accuracy != 1 || m.MacroF1 != 1 || len(m.PerLabel) != 3 {
		t.Errorf("metrics = %+v, want 6 examples all right over 3 labels", m)
	}
}

func TestClassifyErrors(t *testing.T) {
	dir := filepath.Join("testdata", "classify-tiny")
	cases := []struct {
		name        string
		train, test string
		want        string
	}{
		{"no files", "", "", "both a train and a test file"},
		{"missing train", filepath.Join(dir, "nope.jsonl"), filepath.Join(dir, "test.jsonl"), "train:"},
		{"malformed test", filepath.Join(dir, "train.jsonl"), filepath.Join("..", "topic", "testdata", "malformed.jsonl"), "test:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Classify(t.Context(), ClassifyOptions{Train: c.train, Test: c.test})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestScoreClassification(t *testing.T) {
	gold := []string{"a", "a", "a", "b", "b", "c"}
	pred := []string{"a", "a", "b", "b", "c", "c"}
	m := ScoreClassification(gold, pred)
	// a: P 1, R 2/3, F1 0.8; b: P 1/2, R 1/2, F1 0.5; c: P 1/2, R 1, F1 2/3.
	want := (0.8 + 0.5 + 2.0/3) / 3
	if m.Examples != 6 || math.Abs(m.Accuracy-4.0/6) > 1e-9 || math.Abs(m.MacroF1-want) > 1e-9 {
		t.Errorf("metrics = %+v, want accuracy %.4f, macro-F1 %.4f", m, 4.0/6, want)
	}
	if z := ScoreClassification(nil, nil); z.Examples != 0 || z.Accuracy != 0 {
		t.Errorf("empty: %+v", z)
	}
}

func TestCrossValidateClassifier(t *testing.T) {
	train := filepath.Join("testdata", "classify-tiny", "train.jsonl")
	opts := topic.Options{Epochs: 30}
	cv, err := CrossValidateClassifier(t.Context(), train, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(cv.Folds) != 3 || cv.Pooled.Examples != 15 {
		t.Fatalf("%d folds, %d pooled examples; want 3 folds over 15", len(cv.Folds), cv.Pooled.Examples)
	}
	var n int
	var correct, acc, f1 float64
	for i, f := range cv.Folds {
		if f.Examples != 5 {
			t.Errorf("fold %d holds %d examples, want 5", i+1, f.Examples)
		}
		n += f.Examples
		correct += f.Accuracy * float64(f.Examples)
		acc += f.Accuracy / 3
		f1 += f.MacroF1 / 3
	}
	if n != 15 || math.Abs(correct/15-cv.Pooled.Accuracy) > 1e-9 {
		t.Errorf("folds hold %d examples, %.0f right; pooled %+v", n, correct, cv.Pooled)
	}
	if math.Abs(cv.Mean.Accuracy-acc) > 1e-9 || math.Abs(cv.Mean.MacroF1-f1) > 1e-9 {
		t.Errorf("mean = %+v, want accuracy %.4f, macro-F1 %.4f", cv.Mean, acc, f1)
	}
	// Ten phrases a class teach enough to beat a guess among three.
	if cv.Pooled.Accuracy <= 0.5 {
		t.Errorf("pooled accuracy %.3f", cv.Pooled.Accuracy)
	}
	again, err := CrossValidateClassifier(t.Context(), train, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cv, again) {
		t.Errorf("two runs differ: %+v and %+v", cv, again)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := CrossValidateClassifier(ctx, train, 3, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	for _, c := range []struct {
		train string
		k     int
		want  string
	}{
		{"", 3, "a train file is needed"},
		{train, 1, "at least 2 folds, got 1"},
		{train, 16, "15 examples, fewer than the 16 folds"},
		{filepath.Join("testdata", "classify-tiny", "nope.jsonl"), 3, "train:"},
	} {
		if _, err := CrossValidateClassifier(t.Context(), c.train, c.k, opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s, %d folds: err = %v, want %q", c.train, c.k, err, c.want)
		}
	}
}
