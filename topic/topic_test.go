package topic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// classifier is what the tests classify with: the trained classifier and
// the one that asks a language model first.
type classifier interface {
	Classify(ctx context.Context, text string) (Result, error)
}

// sharedDefault is one classifier trained from the default taxonomy, for
// the tests that only classify with it: a training takes a second or two.
var sharedDefault = sync.OnceValues(func() (*Classifier, error) { return TrainDefault(context.Background()) })

func defaultClassifier(t *testing.T) *Classifier {
	t.Helper()
	c, err := sharedDefault()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func classify(t *testing.T, c classifier, text string) Result {
	t.Helper()
	r, err := c.Classify(t.Context(), text)
	if err != nil {
		t.Fatalf("Classify(%q): %v", text, err)
	}
	return r
}

// Every answer of the default classifier is a topic of the taxonomy, named
// by its Vietnamese name, with probabilities that order and sum as they
// should.
func TestClassifyReturnsTaxonomyTopics(t *testing.T) {
	tax := DefaultTaxonomy()
	names := tax.Names()
	c := defaultClassifier(t)
	if got := c.Labels(); !reflect.DeepEqual(got, tax.IDs()) {
		t.Errorf("labels = %v, want the taxonomy's ids %v", got, tax.IDs())
	}
	for _, text := range []string{"Đường ngập nước, ổ gà nhiều", "tram y te xa thieu thuoc", "Xin cảm ơn cán bộ phường"} {
		r := classify(t, c, text)
		if r.Source != "local" {
			t.Errorf("Classify(%q): source %q, want local", text, r.Source)
		}
		all := append([]Scored{{Topic: r.Topic, Label: r.Label, Score: r.Confidence}}, r.RunnersUp...)
		if len(r.RunnersUp) != 3 {
			t.Errorf("Classify(%q): %d runners-up, want 3", text, len(r.RunnersUp))
		}
		sum := 0.0
		for i, s := range all {
			if name, ok := names[s.Topic]; !ok || s.Label != name {
				t.Errorf("Classify(%q): topic %q labelled %q, want a taxonomy topic with its name %q", text, s.Topic, s.Label, name)
			}
			if s.Score <= 0 || s.Score > 1 || i > 0 && s.Score > all[i-1].Score {
				t.Errorf("Classify(%q): score %v of %s out of range or order", text, s.Score, s.Topic)
			}
			sum += s.Score
		}
		if sum > 1+1e-9 {
			t.Errorf("Classify(%q): the scores shown sum to %v > 1", text, sum)
		}
	}
}

func TestClassifyRefuses(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "small.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", " \n\t"} {
		if _, err := c.Classify(t.Context(), text); !errors.Is(err, ErrEmptyText) {
			t.Errorf("Classify(%q): err = %v, want ErrEmptyText", text, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Classify(ctx, "thầy giảng hay"); !errors.Is(err, context.Canceled) {
		t.Errorf("Classify with a cancelled context: err = %v", err)
	}
	if err := c.Learn(ctx, "thầy giảng hay", "lecturer"); !errors.Is(err, context.Canceled) {
		t.Errorf("Learn with a cancelled context: err = %v", err)
	}
	if err := c.Learn(t.Context(), "thầy giảng hay", "nonsense"); !errors.Is(err, ErrUnknownLabel) || !strings.Contains(err.Error(), `"nonsense"`) {
		t.Errorf("Learn with an unknown label: err = %v", err)
	}
	if err := c.Learn(t.Context(), "  ", "lecturer"); !errors.Is(err, ErrEmptyText) {
		t.Errorf("Learn of blank text: err = %v", err)
	}
	if n := len(c.Corrections()); n != 0 {
		t.Errorf("refused corrections were kept: %d", n)
	}
}

func TestLearnChangesPrediction(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "train.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := "thư viện thiếu sách tham khảo"
	before := classify(t, c, text)
	target := "facility"
	if before.Topic == target {
		target = "training_program"
	}
	if err := c.Learn(t.Context(), text, target); err != nil {
		t.Fatal(err)
	}
	after := classify(t, c, text)
	if after.Topic != target || after.Confidence < learnTarget {
		t.Errorf("after Learn: %s (%.2f), want %s with ≥ %.1f (before: %s)", after.Topic, after.Confidence, target, learnTarget, before.Topic)
	}
	// The correction generalises to the same words unaccented.
	if got := classify(t, c, "thu vien thieu sach tham khao").Topic; got != target {
		t.Errorf("unaccented after Learn: %s, want %s", got, target)
	}
	// Other predictions stay.
	for _, e := range readExamples(t, "test.jsonl") {
		if got := classify(t, c, e.Text).Topic; got != e.Label {
			t.Errorf("after Learn, Classify(%q) = %s, want %s", e.Text, got, e.Label)
		}
	}
	// Retrain folds the correction in and keeps it.
	if err := c.Retrain(t.Context(), readExamples(t, "train.jsonl")); err != nil {
		t.Fatal(err)
	}
	if got := classify(t, c, text).Topic; got != target {
		t.Errorf("after Retrain: %s, want %s", got, target)
	}
	if got := c.Corrections(); len(got) != 1 || got[0] != (Example{Text: text, Label: target}) {
		t.Errorf("after Retrain, corrections = %+v, want the one learnt", got)
	}
}

// Retrain gives the model a fresh training on the examples given, with the
// same options and labels: the same as training anew on them plus the
// corrections.
func TestRetrainIsTraining(t *testing.T) {
	small := readExamples(t, "small.jsonl")
	c, err := Train(t.Context(), readExamples(t, "train.jsonl"), Options{Epochs: 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Learn(t.Context(), "phòng máy thiếu máy tính", "facility"); err != nil {
		t.Fatal(err)
	}
	if err := c.Retrain(t.Context(), small); err != nil {
		t.Fatal(err)
	}
	want, err := Train(t.Context(), append(slices.Clone(small), Example{Text: "phòng máy thiếu máy tính", Label: "facility"}),
		Options{Epochs: 20, Labels: []string{"facility", "lecturer", "training_program"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang", "phòng máy"} {
		if a, b := classify(t, c, text), classify(t, want, text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after Retrain: %+v, trained anew: %+v", text, a, b)
		}
	}
	// A retraining that cannot finish leaves the model as it was.
	var before bytes.Buffer
	if err := c.Save(&before); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Retrain(ctx, readExamples(t, "train.jsonl")); !errors.Is(err, context.Canceled) {
		t.Errorf("Retrain with a cancelled context: err = %v", err)
	}
	var after bytes.Buffer
	if err := c.Save(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("a cancelled Retrain changed the model")
	}
	if err := c.Retrain(t.Context(), nil); err != nil {
		t.Errorf("Retrain on the corrections alone: %v", err)
	}
}

// Classify, Learn, Retrain and Save run at once (go test -race finds any
// unguarded access); no correction is lost, not even one learnt while a
// retraining ran.
func TestConcurrentUse(t *testing.T) {
	train := readExamples(t, "train.jsonl")
	c, err := Train(t.Context(), train, Options{Epochs: 20})
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 4, 20
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range rounds {
				if _, err := c.Classify(t.Context(), "máy chiếu mờ"); err != nil {
					t.Error(err)
				}
				if err := c.Learn(t.Context(), fmt.Sprintf("máy chiếu mờ quá %d %d", i, j), "facility"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 3 {
			if err := c.Retrain(t.Context(), train); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Go(func() {
		for range 5 {
			if err := c.Save(new(bytes.Buffer)); err != nil {
				t.Error(err)
			}
			_ = c.Labels()
		}
	})
	wg.Wait()
	got := c.Corrections()
	if len(got) != writers*rounds {
		t.Fatalf("%d corrections, want %d", len(got), writers*rounds)
	}
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.Text] = true
	}
	if len(seen) != writers*rounds {
		t.Errorf("%d distinct corrections, want %d", len(seen), writers*rounds)
	}
	if r := classify(t, c, "máy chiếu mờ quá"); r.Topic != "facility" {
		t.Errorf("after the corrections: %s, want facility", r.Topic)
	}
}
