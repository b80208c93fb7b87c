package feedback

import (
	"context"
	"fmt"
	"slices"

	"github.com/mattranso/mattranso/topic"
)

// Learner is a classifier that learns from officers' corrections;
// *topic.Classifier is one. The classifier in service (SetClassifier)
// learns when it is one.
type Learner interface {
	Classifier
	Learn(ctx context.Context, text, label string) error
	Retrain(ctx context.Context, examples []topic.Example) error
	Corrections() []topic.Example
	Labels() []string
}

// learntState is which stored corrections the classifier in service
// has learnt. A classifier loaded at start learnt the first ones stored,
// as many as it holds (that is how serve brings a saved model up to
// date); the others are learnt as officers make them on this instance,
// or at the next Retrain when another instance stored them.
type learntState struct {
	c     Learner
	known map[int64]bool
	// retrained is how many corrections c held when it was last
	// retrained or adopted: it is retrained once it learnt more.
	retrained int
}

// learner is the classifier in service when it learns, else nil.
func (h *Handling) learner() Learner {
	l, _ := h.svc.Classifier().(Learner)
	return l
}

// learnCorrection teaches the classifier in service the correction id
// just stored. Without a classifier nothing is lost: the correction is
// stored, and the classifier made at the next start learns it.
func (h *Handling) learnCorrection(ctx context.Context, id int64, text, label string) {
	c := h.learner()
	if c == nil {
		return
	}
	h.learnMu.Lock()
	defer h.learnMu.Unlock()
	if err := h.adopt(ctx, c); err != nil {
		h.log.ErrorContext(ctx, "feedback: reading the corrections for the classifier", "err", err)
		return
	}
	if h.learnt.known[id] {
		return
	}
	if err := c.Learn(ctx, text, label); err != nil {
		h.log.ErrorContext(ctx, "feedback: the classifier did not learn a correction", "correction", id, "err", err)
		return
	}
	h.learnt.known[id] = true
}

// adopt makes c the classifier the learnt set is about, if it is not yet:
// it knows the first stored corrections, as many as it holds.
func (h *Handling) adopt(ctx context.Context, c Learner) error {
	if h.learnt.c == c {
		return nil
	}
	all, err := h.usable(ctx, c)
	if err != nil {
		return err
	}
	held := len(c.Corrections())
	h.learnt = learntState{c: c, known: map[int64]bool{}, retrained: held}
	for _, k := range all[:min(held, len(all))] {
		h.learnt.known[k.ID] = true
	}
	return nil
}

// usable are the stored corrections c can learn: those to one of its
// labels (a topic the taxonomy no longer has teaches nothing).
func (h *Handling) usable(ctx context.Context, c Learner) ([]Correction, error) {
	all, err := h.st.Corrections(ctx)
	if err != nil {
		return nil, err
	}
	labels := c.Labels()
	out := all[:0]
	for _, k := range all {
		if slices.Contains(labels, k.Topic) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Retrain brings the classifier in service up to every stored correction
// — those made on other instances too — and, when it learnt any since its
// last retraining, retrains it from the taxonomy and all its corrections
// (topic.Classifier.Retrain: it keeps classifying meanwhile). It reports
// whether it retrained, for the caller to save the model. Without a
// classifier that learns it does nothing.
func (h *Handling) Retrain(ctx context.Context) (bool, error) {
	c := h.learner()
	if c == nil {
		return false, nil
	}
	h.learnMu.Lock()
	if err := h.adopt(ctx, c); err != nil {
		h.learnMu.Unlock()
		return false, err
	}
	all, err := h.usable(ctx, c)
	if err != nil {
		h.learnMu.Unlock()
		return false, err
	}
	for _, k := range all {
		if h.learnt.known[k.ID] {
			continue
		}
		if err := c.Learn(ctx, k.Text, k.Topic); err != nil {
			h.learnMu.Unlock()
			return false, fmt.Errorf("feedback: learn correction %d: %w", k.ID, err)
		}
		h.learnt.known[k.ID] = true
	}
	held := len(c.Corrections())
	due := held != h.learnt.retrained
	h.learnMu.Unlock()
	if !due {
		return false, nil
	}
	// Corrections learnt meanwhile are carried into the new model by
	// Retrain itself.
	if err := c.Retrain(ctx, h.svc.tax.Examples()); err != nil {
		return false, fmt.Errorf("feedback: retrain the classifier: %w", err)
	}
	h.learnMu.Lock()
	if h.learnt.c == c {
		h.learnt.retrained = held
	}
	h.learnMu.Unlock()
	return true, nil
}
