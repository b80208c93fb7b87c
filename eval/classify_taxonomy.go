package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/mattranso/mattranso/internal/jsonl"
	"github.com/mattranso/mattranso/topic"
)

// TaxonomyClassifyOptions describe a run of the topic classifier as
// `serve` trains it: from a taxonomy alone, then taught by officers'
// corrections.
type TaxonomyClassifyOptions struct {
	Taxonomy *topic.Taxonomy
	Test     string // JSONL of {"text","label"}; other fields are ignored
	// Half keeps only the "odd" (1st, 3rd, …) or "even" examples of Test;
	// "" keeps all. A development set is tuned on one half and checked on
	// the other.
	Half string
	// Corrections is the share of the test examples replayed as officers'
	// corrections before the rest is scored (0 ≤ Corrections < 1).
	Corrections float64
	// Confirmed also teaches the classifier the replayed examples it had
	// right, as if the officer's confirmation of a topic were kept like a
	// correction; otherwise only the wrong ones are.
	Confirmed bool
	// Route, when set, gives the unit that receives an item addressed to
	// level about topic from commune of province; each scored line's
	// predicted topic is then routed and the unit compared with the line's
	// "unit" (the test lines must carry "commune", "province", "level" and
	// "unit").
	Route func(level, topic, commune, province string) (string, error)
}

// correctionSeed fixes the shuffle that picks the corrections, so that
// runs compare on the same examples.
const correctionSeed = 14

// LabelledMetrics are a run's scores with each label's, and with Route,
// the share of lines routed to their receiving unit.
type LabelledMetrics struct {
	ClassifyMetrics
	Routing  *float64       `json:"routing_accuracy,omitempty"`
	PerLabel []ClassMetrics `json:"per_label"`
}

func labelled(m ClassifyMetrics) LabelledMetrics {
	return LabelledMetrics{ClassifyMetrics: m, PerLabel: m.PerLabel}
}

// TaxonomyClassification are the scores of a taxonomy run. Without
// corrections only Before is set, over every test example.
type TaxonomyClassification struct {
	Topics int `json:"topics"` // of the taxonomy
	// Examples is the number of test examples (after Half).
	Examples int `json:"examples"`
	// Replayed is how many of them were replayed as corrections; the
	// scores are over the others. Corrected is how many of the replayed
	// ones the classifier had wrong when the officer saw them, each of
	// which it was taught (Learn); Confirmed, with the option of that
	// name, how many it had right and was taught all the same.
	Replayed  int `json:"replayed,omitempty"`
	Corrected int `json:"corrected,omitempty"`
	Confirmed int `json:"confirmed,omitempty"`
	// Before scores the classifier trained from the taxonomy alone;
	// Learnt the same after learning the corrections online; Retrained
	// after a retraining on the taxonomy and the corrections.
	Before    LabelledMetrics  `json:"before"`
	Learnt    *LabelledMetrics `json:"learnt,omitempty"`
	Retrained *LabelledMetrics `json:"retrained,omitempty"`
	// RoutingGold is, with Route, the share of the scored lines routed to
	// their unit when their topic is the right one: how far the set's
	// units agree with the routing rules.
	RoutingGold *float64 `json:"routing_accuracy_gold_topics,omitempty"`
	// Misses are the scored examples the classifier got wrong at the end
	// (after the retraining, with corrections), in file order.
	Misses []Miss `json:"-"`
}

// Miss is one misclassified example.
type Miss struct {
	Text, Label string
	Got         topic.Result
}

// ClassifyTaxonomy trains the topic classifier from the taxonomy alone, as
// `serve` does at its first start (topic.TrainTaxonomy), and scores it on
// the test file. With Corrections F, a seeded shuffle of the test examples
// picks round(F·n) of them to replay, in the shuffled order, as an officer
// would handle them: each is classified by the classifier as it stands,
// and when its topic is wrong the officer's correction is learnt
// (Classifier.Learn) — and, with Confirmed, when it is right too; then the
// classifier is retrained on the taxonomy and what it learnt
// (Classifier.Retrain), as `serve` does periodically. The other examples
// are scored three times: before any correction, after the corrections
// were learnt, and after the retraining.
func ClassifyTaxonomy(ctx context.Context, opts TaxonomyClassifyOptions) (TaxonomyClassification, error) {
	var res TaxonomyClassification
	switch {
	case opts.Taxonomy == nil:
		return res, errors.New("eval classify: no taxonomy")
	case opts.Test == "":
		return res, errors.New("eval classify: a test file is needed")
	case math.IsNaN(opts.Corrections) || opts.Corrections < 0 || opts.Corrections >= 1:
		return res, fmt.Errorf("eval classify: corrections: %v is not a share from 0 up to (not including) 1", opts.Corrections)
	}
	test, err := topic.ReadExamplesFile(opts.Test)
	if err != nil {
		return res, fmt.Errorf("eval classify: test: %w", err)
	}
	var routes []routeFields
	if opts.Route != nil {
		if routes, err = readRoutes(opts.Test); err != nil {
			return res, fmt.Errorf("eval classify: test: %w", err)
		}
		if len(routes) != len(test) {
			return res, fmt.Errorf("eval classify: test: %d examples but %d lines with routing fields", len(test), len(routes))
		}
	}
	switch opts.Half {
	case "":
	case "odd", "even":
		keep := 0 // the odd examples are at even indexes
		if opts.Half == "even" {
			keep = 1
		}
		var h []topic.Example
		var r []routeFields
		for i, e := range test {
			if i%2 == keep {
				h = append(h, e)
				if routes != nil {
					r = append(r, routes[i])
				}
			}
		}
		test, routes = h, r
	default:
		return res, fmt.Errorf("eval classify: half: %q, want odd or even", opts.Half)
	}
	if len(test) == 0 {
		return res, fmt.Errorf("eval classify: test: %s has no examples", opts.Test)
	}
	for i, e := range test {
		if _, ok := opts.Taxonomy.Topic(e.Label); !ok {
			return res, fmt.Errorf("eval classify: test example %d: label %q is not a topic of the taxonomy", i+1, e.Label)
		}
	}
	res.Topics = len(opts.Taxonomy.Topics)
	res.Examples = len(test)

	replay := make([]bool, len(test))
	order := make([]int, len(test))
	for i := range order {
		order[i] = i
	}
	rand.New(rand.NewPCG(correctionSeed, correctionSeed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	order = order[:int(math.Round(opts.Corrections*float64(len(test))))]
	for _, i := range order {
		replay[i] = true
	}
	if len(order) == len(test) {
		return res, fmt.Errorf("eval classify: corrections: %v of %d examples leaves none to score", opts.Corrections, len(test))
	}
	res.Replayed = len(order)

	c, err := topic.TrainTaxonomy(ctx, opts.Taxonomy, nil)
	if err != nil {
		return res, fmt.Errorf("eval classify: %w", err)
	}
	// routed says whether line i goes to its unit when its topic is t.
	routed := func(i int, t string) (bool, error) {
		f := routes[i]
		unit, err := opts.Route(f.Level, t, f.Commune, f.Province)
		if err != nil {
			return false, fmt.Errorf("eval classify: test example %d: route: %w", i+1, err)
		}
		return unit == f.Unit, nil
	}
	score := func() (LabelledMetrics, error) {
		var gold, pred []string
		res.Misses = nil
		right := 0
		for i, e := range test {
			if replay[i] {
				continue
			}
			r, err := c.Classify(ctx, e.Text)
			if err != nil {
				return LabelledMetrics{}, fmt.Errorf("eval classify: test example %d: %w", i+1, err)
			}
			gold, pred = append(gold, e.Label), append(pred, r.Topic)
			if r.Topic != e.Label {
				res.Misses = append(res.Misses, Miss{Text: e.Text, Label: e.Label, Got: r})
			}
			if opts.Route != nil {
				ok, err := routed(i, r.Topic)
				if err != nil {
					return LabelledMetrics{}, err
				}
				if ok {
					right++
				}
			}
		}
		m := labelled(ScoreClassification(gold, pred))
		if opts.Route != nil {
			a := float64(right) / float64(len(gold))
			m.Routing = &a
		}
		return m, nil
	}
	if res.Before, err = score(); err != nil {
		return res, err
	}
	if opts.Route != nil {
		right, n := 0, 0
		for i, e := range test {
			if replay[i] {
				continue
			}
			ok, err := routed(i, e.Label)
			if err != nil {
				return res, err
			}
			n++
			if ok {
				right++
			}
		}
		a := float64(right) / float64(n)
		res.RoutingGold = &a
	}
	if len(order) == 0 {
		return res, nil
	}
	for _, i := range order {
		e := test[i]
		r, err := c.Classify(ctx, e.Text)
		if err != nil {
			return res, fmt.Errorf("eval classify: test example %d: %w", i+1, err)
		}
		if r.Topic == e.Label && !opts.Confirmed {
			continue
		}
		if err := c.Learn(ctx, e.Text, e.Label); err != nil {
			return res, fmt.Errorf("eval classify: test example %d: %w", i+1, err)
		}
		if r.Topic == e.Label {
			res.Confirmed++
		} else {
			res.Corrected++
		}
	}
	learnt, err := score()
	if err != nil {
		return res, err
	}
	res.Learnt = &learnt
	if err := c.Retrain(ctx, opts.Taxonomy.Examples()); err != nil {
		return res, fmt.Errorf("eval classify: retrain: %w", err)
	}
	retrained, err := score()
	if err != nil {
		return res, err
	}
	res.Retrained = &retrained
	return res, nil
}

// routeFields are what routing reads of a test line.
type routeFields struct {
	Commune  string `json:"commune"`
	Province string `json:"province"`
	Level    string `json:"level"`
	Unit     string `json:"unit"`
}

// readRoutes reads the routing fields of each example of a JSONL file,
// skipping blank lines as topic.ReadExamples does, so that the two line
// up.
func readRoutes(path string) ([]routeFields, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []routeFields
	if err := jsonl.Each(f, func(_ int, b []byte) error {
		var r routeFields
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		if r.Commune == "" || r.Province == "" || r.Unit == "" {
			return errors.New(`routing needs "commune", "province" and "unit"`)
		}
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
