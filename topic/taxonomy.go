package topic

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/mattranso/mattranso/corpus"
)

// Taxonomy is the set of topics citizen feedback is classified into. It is
// configuration: the default ships embedded (taxonomy/default.json), and a
// deployment may load its own with LoadTaxonomy.
type Taxonomy struct {
	Version int     `json:"version"`
	Topics  []Topic `json:"topics"`
	// Fallback is the topic for feedback that fits no other ("khac").
	Fallback string `json:"fallback,omitempty"`
}

// Topic is one class of feedback.
type Topic struct {
	ID         string   `json:"id"`         // stable key, e.g. "giao_thong"
	Name       string   `json:"name"`       // Vietnamese display name
	Definition string   `json:"definition"` // what belongs here; also shown to the LLM
	Examples   []string `json:"examples"`   // realistic phrases citizens write
}

var topicIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Limits on a taxonomy file.
const (
	maxTaxonomyBytes = 4 << 20
	maxTopics        = 200
)

//go:embed taxonomy/default.json
var defaultTaxonomyJSON []byte

// DefaultTaxonomy returns the embedded taxonomy for citizen feedback.
func DefaultTaxonomy() *Taxonomy {
	t, err := ParseTaxonomy(defaultTaxonomyJSON, "json")
	if err != nil {
		panic("topic: embedded default taxonomy is invalid: " + err.Error())
	}
	return t
}

// LoadTaxonomy reads a taxonomy from a .json, .yaml or .yml file.
func LoadTaxonomy(path string) (*Taxonomy, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	if st.Size() > maxTaxonomyBytes {
		return nil, fmt.Errorf("taxonomy %s: %d bytes, more than the %d allowed", path, st.Size(), maxTaxonomyBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	t, err := ParseTaxonomy(data, format)
	if err != nil {
		return nil, fmt.Errorf("taxonomy %s: %w", path, err)
	}
	return t, nil
}

// ParseTaxonomy decodes and validates a taxonomy; format is "json", "yaml"
// or "yml". Unknown fields are errors, so that a misspelt key is not
// silently ignored.
func ParseTaxonomy(data []byte, format string) (*Taxonomy, error) {
	switch format {
	case "json":
	case "yaml", "yml":
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		var err error
		if data, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown taxonomy format %q (json, yaml or yml)", format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Taxonomy
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("invalid taxonomy: %w", err)
	}
	t.normalize()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

func (t *Taxonomy) normalize() {
	t.Fallback = strings.TrimSpace(t.Fallback)
	for i := range t.Topics {
		tp := &t.Topics[i]
		tp.ID = strings.TrimSpace(tp.ID)
		tp.Name = corpus.NFC(strings.TrimSpace(tp.Name))
		tp.Definition = corpus.NFC(strings.TrimSpace(tp.Definition))
		for j := range tp.Examples {
			tp.Examples[j] = corpus.NFC(strings.TrimSpace(tp.Examples[j]))
		}
	}
}

// Validate reports every problem of the taxonomy, each naming its field.
func (t *Taxonomy) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case len(t.Topics) < 2:
		bad("topics: need at least two topics, got %d", len(t.Topics))
	case len(t.Topics) > maxTopics:
		bad("topics: %d topics, at most %d allowed", len(t.Topics), maxTopics)
	}
	ids := map[string]int{}
	for i, tp := range t.Topics {
		f := fmt.Sprintf("topics[%d]", i)
		switch {
		case tp.ID == "":
			bad("%s.id: missing", f)
		case !topicIDPattern.MatchString(tp.ID):
			bad("%s.id: %q must be lower-case ASCII letters, digits, '_' or '-'", f, tp.ID)
		default:
			if j, dup := ids[tp.ID]; dup {
				bad("%s.id: %q already used by topics[%d]", f, tp.ID, j)
			}
			ids[tp.ID] = i
		}
		if tp.Name == "" {
			bad("%s.name: missing (topic %q)", f, tp.ID)
		}
		if tp.Definition == "" {
			bad("%s.definition: missing (topic %q)", f, tp.ID)
		}
		if len(tp.Examples) == 0 {
			bad("%s.examples: need at least one example phrase (topic %q)", f, tp.ID)
		}
		for j, ex := range tp.Examples {
			if ex == "" {
				bad("%s.examples[%d]: empty (topic %q)", f, j, tp.ID)
			}
		}
	}
	if t.Fallback != "" {
		if _, ok := ids[t.Fallback]; !ok {
			bad("fallback: %q is not the id of a topic", t.Fallback)
		}
	}
	return errors.Join(errs...)
}

// Topic returns the topic with id.
func (t *Taxonomy) Topic(id string) (Topic, bool) {
	for _, tp := range t.Topics {
		if tp.ID == id {
			return tp, true
		}
	}
	return Topic{}, false
}

// IDs returns the topic ids in order.
func (t *Taxonomy) IDs() []string {
	out := make([]string, len(t.Topics))
	for i, tp := range t.Topics {
		out[i] = tp.ID
	}
	return out
}

// Names maps each topic id to its Vietnamese name.
func (t *Taxonomy) Names() map[string]string {
	out := make(map[string]string, len(t.Topics))
	for _, tp := range t.Topics {
		out[tp.ID] = tp.Name
	}
	return out
}

// Examples returns the taxonomy as training examples: each topic's name,
// definition, each item its definition lists (definitionItems) and its
// example phrases, and each phrase again with its diacritics removed,
// since citizens often type without them.
func (t *Taxonomy) Examples() []Example {
	var out []Example
	for _, tp := range t.Topics {
		out = append(out, Example{Text: tp.Name, Label: tp.ID}, Example{Text: tp.Definition, Label: tp.ID})
		for _, item := range definitionItems(tp.Definition) {
			out = append(out, Example{Text: item, Label: tp.ID})
		}
		for _, ex := range tp.Examples {
			out = append(out, Example{Text: ex, Label: tp.ID})
			if f := corpus.Fold(ex); f != strings.ToLower(ex) {
				out = append(out, Example{Text: f, Label: tp.ID})
			}
		}
	}
	return out
}

// definitionItems returns the items a definition lists after its colon,
// separated by commas ("Đường sá và an toàn giao thông: đường hư hỏng, ổ
// gà, …" gives "đường hư hỏng", "ổ gà", …). Each is learnt as an example
// of its own: within the whole definition a word counts for as little as
// the definition is long, and citizens name one of them in a sentence
// about something else ("… ổ gà trước cổng trường"). On the development
// set of citizen submissions (EVAL.md) this raised macro-F1 by 1.5 points.
func definitionItems(def string) []string {
	_, list, ok := strings.Cut(def, ":")
	if !ok {
		return nil
	}
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(item), "."))
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

// taxonomyOptions are the training options for a taxonomy's few phrases:
// every topic equally weighted whatever its number of phrases, and the
// features of taxonomyFeatures. L2 penalties from 1e-6 to 3e-4, 20 to 300
// iterations, other character n-gram ranges and weights, and either model
// alone did no better on the development set of citizen submissions
// (EVAL.md): from 1.6 points of macro-F1 worse to 0.8 better, mostly
// unchanged.
func taxonomyOptions(t *Taxonomy) Options {
	spec := taxonomyFeatures
	return Options{Epochs: 40, L2: 1e-5, ClassWeight: 1, Labels: t.IDs(), Names: t.Names(), features: &spec}
}

// TrainTaxonomy trains a classifier for t from its definitions and example
// phrases, plus any labelled examples (whose labels must be topic ids).
func TrainTaxonomy(ctx context.Context, t *Taxonomy, labelled []Example) (*Classifier, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, id := range t.IDs() {
		ids[id] = true
	}
	for i, e := range labelled {
		if !ids[e.Label] {
			return nil, fmt.Errorf("topic: example %d: label %q is not a topic id of the taxonomy", i+1, e.Label)
		}
	}
	opts := taxonomyOptions(t)
	if len(labelled) > 0 {
		opts.Epochs = 15
	}
	return Train(ctx, append(t.Examples(), labelled...), opts)
}

// TrainDefault trains a new classifier from the default taxonomy; it is
// the caller's own, so its corrections affect no other.
func TrainDefault(ctx context.Context) (*Classifier, error) {
	return TrainTaxonomy(ctx, DefaultTaxonomy(), nil)
}
