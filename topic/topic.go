// Package topic owns the classification of citizen feedback by topic: the
// taxonomy of topics, training and the trained model, online learning from
// officers' corrections, the model file, and the classifier that asks a
// language model first and falls back to the trained one.
package topic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Example is one labelled text.
type Example struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// Scored is one topic and its probability.
type Scored struct {
	Topic string  `json:"topic"`
	Label string  `json:"label"` // the topic's Vietnamese name
	Score float64 `json:"score"`
}

// Result is the topic chosen for a text.
type Result struct {
	Topic      string   `json:"topic"`
	Label      string   `json:"label"` // the topic's Vietnamese name
	Confidence float64  `json:"confidence"`
	RunnersUp  []Scored `json:"runners_up,omitempty"`
	// Source says what decided: "local" (the trained classifier) or "llm".
	Source string `json:"source"`
	// Notice explains a fallback, e.g. the language model did not answer.
	Notice string `json:"notice,omitempty"`
}

// Errors a caller may turn into its own message (the text or the label
// came from a person).
var (
	ErrEmptyText    = errors.New("empty text")
	ErrUnknownLabel = errors.New("unknown label")
)

// Classifier assigns a topic to a text and learns from corrections. It is
// safe for concurrent use: classifications run side by side, a correction
// waits for them, and a retraining trains beside them and only swaps its
// model in at the end.
type Classifier struct {
	mu sync.RWMutex
	m  *model
}

// Train trains a classifier on examples. Training is deterministic: the
// same examples and options give the same model.
func Train(ctx context.Context, examples []Example, opts Options) (*Classifier, error) {
	m, err := train(ctx, examples, opts)
	if err != nil {
		return nil, err
	}
	return &Classifier{m: m}, nil
}

// Classify returns the most probable topic of text with its probability
// and the next most probable topics.
func (c *Classifier) Classify(ctx context.Context, text string) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if strings.TrimSpace(text) == "" {
		return Result{}, fmt.Errorf("topic: classify: %w", ErrEmptyText)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m.classify(text), nil
}

// Learn applies an officer's correction: text belongs to label. The model
// takes up to a few dozen deterministic gradient steps on that one example,
// stopping once label is the top topic with probability ≥ 0.6, and keeps
// the correction so that Save and Retrain carry it.
func (c *Classifier) Learn(ctx context.Context, text, label string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m.learn(text, label)
}

// Retrain trains a new model, with the same options and labels, on
// examples followed by the corrections learnt so far, and puts it in
// place of the current one, which keeps classifying meanwhile.
// Corrections learnt during the training are applied to the new model
// before it takes over, so none is lost. If ctx ends first, the current
// model stays.
func (c *Classifier) Retrain(ctx context.Context, examples []Example) error {
	c.mu.RLock()
	opts := c.m.retrainOptions()
	corr := slices.Clone(c.m.corrections)
	c.mu.RUnlock()
	n, err := train(ctx, append(slices.Clone(examples), corr...), opts)
	if err != nil {
		return err
	}
	n.corrections = corr
	c.mu.Lock()
	n.taxonomy = c.m.taxonomy
	defer c.mu.Unlock()
	// Every model's corrections begin with those of the model it was
	// retrained from, so the ones past len(corr) are the newer ones.
	for _, e := range c.m.corrections[min(len(corr), len(c.m.corrections)):] {
		if err := n.learn(e.Text, e.Label); err != nil {
			return fmt.Errorf("topic: retrain: correction learnt during the training: %w", err)
		}
	}
	c.m = n
	return nil
}

// Labels returns the classifier's labels in their fixed order.
func (c *Classifier) Labels() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.m.labels)
}

// Name returns the display name of label (itself when it has none).
func (c *Classifier) Name(label string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m.name(label)
}

// Corrections returns the corrections applied through Learn, oldest first.
func (c *Classifier) Corrections() []Example {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.m.corrections)
}
