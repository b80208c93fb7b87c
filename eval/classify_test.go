package eval

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/assistant"
)

func TestClassifyTiny(t *testing.T) {
	dir := filepath.Join("testdata", "classify-tiny")
	m, err := Classify(ClassifyOptions{
		Train:      filepath.Join(dir, "train.jsonl"),
		Test:       filepath.Join(dir, "test.jsonl"),
		Classifier: assistant.ClassifierOptions{Epochs: 30},
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
		{"malformed test", filepath.Join(dir, "train.jsonl"), filepath.Join("..", "assistant", "testdata", "classify_malformed.jsonl"), "test:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Classify(ClassifyOptions{Train: c.train, Test: c.test})
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
