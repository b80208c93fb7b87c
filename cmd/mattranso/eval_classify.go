package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/eval"
)

// evalClassify trains the feedback topic classifier on --train and scores
// it on --test.
func evalClassify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	train := fs.String("train", "", `labelled training examples, one {"text","label"} a line`)
	test := fs.String("test", "", `labelled test examples, one {"text","label"} a line`)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *train == "" || *test == "" {
		return exitError{2, errors.New("eval classify: --train FILE and --test FILE are required")}
	}
	m, err := eval.Classify(eval.ClassifyOptions{Train: *train, Test: *test})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(m)
	}
	fmt.Fprintf(stdout, "train      %s\ntest       %s\nexamples   %d\naccuracy   %.4f\nmacro_f1   %.4f\n\n", *train, *test, m.Examples, m.Accuracy, m.MacroF1)
	fmt.Fprintf(stdout, "%-20s %9s %9s %9s %8s\n", "label", "precision", "recall", "f1", "support")
	for _, l := range m.PerLabel {
		fmt.Fprintf(stdout, "%-20s %9.4f %9.4f %9.4f %8d\n", l.Label, l.Precision, l.Recall, l.F1, l.Support)
	}
	return nil
}
