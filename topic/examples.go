package topic

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/jsonl"
)

// ReadExamples reads labelled examples, one JSON object {"text","label"} a
// line; blank lines are skipped. Every malformed line is reported with its
// number (up to 20 of them).
func ReadExamples(r io.Reader) ([]Example, error) {
	var out []Example
	var errs []error
	err := jsonl.Each(r, func(line int, b []byte) error {
		var e struct {
			Text  *string `json:"text"`
			Label *string `json:"label"`
		}
		var err error
		switch {
		case json.Unmarshal(b, &e) != nil:
			err = fmt.Errorf("line %d: not a JSON object {\"text\",\"label\"}: %.60q", line, b)
		case e.Text == nil || strings.TrimSpace(*e.Text) == "":
			err = fmt.Errorf("line %d: missing or empty \"text\"", line)
		case e.Label == nil || strings.TrimSpace(*e.Label) == "":
			err = fmt.Errorf("line %d: missing or empty \"label\"", line)
		}
		if err != nil {
			if len(errs) < 20 {
				errs = append(errs, err)
			}
			return nil
		}
		out = append(out, Example{Text: corpus.NFC(*e.Text), Label: strings.TrimSpace(*e.Label)})
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ReadExamplesFile reads labelled examples from a JSONL file.
func ReadExamplesFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}
