package topic

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The model file: a header line naming the format and version, a line with
// the SHA-256 of the payload, then the payload (JSON). A file whose
// checksum does not match, or of another version, is refused. Version 2
// added tf-idf and character n-grams (Features, IDF, Docs); version 3 the
// NB-LR word model (NB); version 4 the reading of abbreviations
// (feature_spec.expand), which an older program would silently skip. A
// version 2 or 3 file is still read, as it meant what it meant.
const (
	modelMagic     = "mattranso-classifier"
	modelVersion   = 4
	oldestReadable = 2
)

type modelFile struct {
	Labels      []string          `json:"labels"`
	Names       map[string]string `json:"names,omitempty"`
	Options     Options           `json:"options"`
	Spec        featureSpec       `json:"feature_spec"`
	Docs        int               `json:"docs"`
	Features    []string          `json:"features"`
	IDF         []float64         `json:"idf"`
	Weights     [][]float64       `json:"weights"`
	Bias        []float64         `json:"bias"`
	Corrections []Example         `json:"corrections,omitempty"`
	NB          *nbFile           `json:"nb,omitempty"`
}

// nbFile is the NB-LR model in a model file: its rows are aligned with
// Features, null for the features it does not read.
type nbFile struct {
	Ratios  [][]float64 `json:"ratios"`
	Weights [][]float64 `json:"weights"`
	Bias    []float64   `json:"bias"`
}

// Save writes the model, its corrections included, to w.
func (c *Classifier) Save(w io.Writer) error {
	c.mu.RLock()
	m := c.m
	mf := modelFile{
		Labels: m.labels, Names: m.names, Options: m.opts, Spec: m.spec, Docs: m.docs,
		Features: m.feats, IDF: m.idf, Weights: m.w, Bias: m.bias, Corrections: m.corrections,
	}
	if m.nb != nil {
		mf.NB = &nbFile{Ratios: m.nb.r, Weights: m.nb.w, Bias: m.nb.bias}
	}
	payload, err := json.Marshal(mf)
	c.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("topic: save: encode: %w", err)
	}
	sum := sha256.Sum256(payload)
	if _, err := fmt.Fprintf(w, "%s %d\nsha256 %s\n", modelMagic, modelVersion, hex.EncodeToString(sum[:])); err != nil {
		return fmt.Errorf("topic: save: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return fmt.Errorf("topic: save: %w", err)
	}
	return nil
}

// SaveFile writes the model to path atomically (a temporary file renamed
// into place), so a crash never leaves half a model.
func (c *Classifier) SaveFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".topic-model-*")
	if err != nil {
		return fmt.Errorf("topic: save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := c.Save(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("topic: save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("topic: save %s: %w", path, err)
	}
	return nil
}

// Load reads a model written by Save, checking its version, its checksum
// and that its parts agree.
func Load(r io.Reader) (*Classifier, error) {
	br := bufio.NewReader(r)
	head, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("topic: load: missing header: %w", err)
	}
	var magic string
	var version int
	if _, err := fmt.Sscanf(head, "%s %d\n", &magic, &version); err != nil || magic != modelMagic {
		return nil, fmt.Errorf("topic: load: not a classifier model (header %.40q)", head)
	}
	if version < oldestReadable || version > modelVersion {
		return nil, fmt.Errorf("topic: load: model version %d, this program reads versions %d to %d: retrain it", version, oldestReadable, modelVersion)
	}
	sumLine, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(sumLine, "sha256 ") {
		return nil, errors.New("topic: load: missing checksum line")
	}
	want := strings.TrimSpace(strings.TrimPrefix(sumLine, "sha256 "))
	payload, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("topic: load: %w", err)
	}
	sum := sha256.Sum256(payload)
	if hex.EncodeToString(sum[:]) != want {
		return nil, errors.New("topic: load: checksum mismatch: the model file is corrupted")
	}
	var m modelFile
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("topic: load: %w", err)
	}
	k := len(m.Labels)
	if k < 2 || len(m.Bias) != k || len(m.Weights) != len(m.Features) || len(m.IDF) != len(m.Features) {
		return nil, errors.New("topic: load: inconsistent model (labels, bias, idf and weights disagree)")
	}
	c := &model{
		labels: m.Labels, names: m.Names, opts: m.Options.withDefaults(), spec: m.Spec,
		vocab: make(map[string]int, len(m.Features)), feats: m.Features, idf: m.IDF, docs: m.Docs,
		w: m.Weights, bias: m.Bias, corrections: m.Corrections,
	}
	if nb := m.NB; nb != nil {
		if len(nb.Bias) != k || len(nb.Ratios) > len(m.Features) || len(nb.Weights) != len(nb.Ratios) {
			return nil, errors.New("topic: load: inconsistent NB-LR model (labels, features and its weights disagree)")
		}
		for i, r := range nb.Ratios {
			if (r == nil) != (nb.Weights[i] == nil) || r != nil && (len(r) != k || len(nb.Weights[i]) != k) {
				return nil, fmt.Errorf("topic: load: NB-LR feature %d has %d ratios and %d weights, want %d", i, len(r), len(nb.Weights[i]), k)
			}
		}
		c.nb = &nbModel{r: nb.Ratios, w: nb.Weights, bias: nb.Bias}
	}
	if c.names == nil {
		c.names = map[string]string{}
	}
	for i, f := range m.Features {
		if len(m.Weights[i]) != k {
			return nil, fmt.Errorf("topic: load: feature %d has %d weights, want %d", i, len(m.Weights[i]), k)
		}
		c.vocab[f] = i
	}
	return &Classifier{m: c}, nil
}

// LoadFile reads a model file written by SaveFile.
func LoadFile(path string) (*Classifier, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topic: load: %w", err)
	}
	defer f.Close()
	c, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// CheckTaxonomy reports, each by name, the topics of t the model has no
// class for and the model's labels that are not topics of t: a model
// saved before the taxonomy changed must be retrained before it serves it.
func (c *Classifier) CheckTaxonomy(t *Taxonomy) error {
	c.mu.RLock()
	labels := c.m.labels
	c.mu.RUnlock()
	var errs []error
	for _, id := range t.IDs() {
		if !slices.Contains(labels, id) {
			errs = append(errs, fmt.Errorf("topic: the model has no class for topic %q", id))
		}
	}
	for _, l := range labels {
		if _, ok := t.Topic(l); !ok {
			errs = append(errs, fmt.Errorf("topic: the model's label %q is not a topic of the taxonomy", l))
		}
	}
	return errors.Join(errs...)
}
