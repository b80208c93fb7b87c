package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/topic"
)

// evalClassify trains the feedback topic classifier on --train and scores
// it on --test, or cross-validates it on --train alone (--cv K), which is
// how its options are tuned without touching a held-out set. With
// --taxonomy it trains the classifier from a taxonomy alone, as serve
// does, and --corrections replays a share of --test as officers'
// corrections before scoring the rest.
func evalClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	train := fs.String("train", "", `labelled training examples, one {"text","label"} a line`)
	test := fs.String("test", "", `labelled test examples, one {"text","label"} a line`)
	folds := fs.Int("cv", 0, "cross-validate on --train in K folds instead of scoring --test (5 chose the defaults)")
	var opts topic.Options
	fs.Float64Var(&opts.L2, "l2", 0, "L2 penalty of training (0: the default, 1e-4; negative: none)")
	fs.Float64Var(&opts.ClassWeight, "class-weight", 0, "exponent of the class weights (n/(k·n_class))^w (0: the default, 0.5; negative: none)")
	fs.BoolVar(&opts.SingleModel, "single-model", false, "the tf-idf logistic regression alone, without the NB-LR word model")
	fs.BoolVar(&opts.WordsOnly, "words-only", false, "no character n-grams")
	taxonomy := fs.String("taxonomy", "", `train from a taxonomy alone, as serve does: "default" (the embedded one) or a .json/.yaml file; instead of --train`)
	corrections := fs.Float64("corrections", 0, "with --taxonomy: replay this share of --test (a seeded shuffle) as officers' corrections, then score the rest before and after")
	routing := fs.Bool("routing", false, `with --taxonomy: route each predicted topic by the default routing rules and compare the receiving unit with each line's "unit"`)
	confirmed := fs.Bool("confirmed", false, "with --corrections: teach the classifier the replayed examples it had right too (the officer confirmed the topic), not only the wrong ones")
	half := fs.String("half", "", "with --taxonomy: score only the odd (1st, 3rd, …) or the even examples of --test")
	verbose := fs.Bool("v", false, "with --taxonomy: list the examples it gets wrong (after the corrections, with --corrections)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *taxonomy != "" {
		var trainingFlag string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "train", "cv", "l2", "class-weight", "single-model", "words-only":
				trainingFlag = f.Name
			}
		})
		switch {
		case trainingFlag != "":
			return exitError{2, fmt.Errorf("eval classify: --taxonomy trains as serve does: leave out --%s", trainingFlag)}
		case *test == "":
			return exitError{2, errors.New("eval classify: --taxonomy needs --test FILE")}
		case *half != "" && *half != "odd" && *half != "even":
			return exitError{2, fmt.Errorf("eval classify: --half %q: odd or even", *half)}
		case !(*corrections >= 0 && *corrections < 1):
			return exitError{2, fmt.Errorf("eval classify: --corrections %v: a share from 0 up to (not including) 1", *corrections)}
		case *confirmed && *corrections == 0:
			return exitError{2, errors.New("eval classify: --confirmed goes with --corrections F")}
		}
		opts := eval.TaxonomyClassifyOptions{Test: *test, Half: *half, Corrections: *corrections, Confirmed: *confirmed}
		if *routing {
			opts.Route = routeByDefaultRules
		}
		return evalClassifyTaxonomy(ctx, *taxonomy, opts, *verbose, *asJSON, stdout)
	}
	if *corrections != 0 || *half != "" || *verbose || *confirmed || *routing {
		return exitError{2, errors.New("eval classify: --corrections, --confirmed, --half, --routing and -v go with --taxonomy")}
	}
	if *folds != 0 {
		switch {
		case *train == "":
			return exitError{2, errors.New("eval classify: --cv K needs --train FILE")}
		case *test != "":
			return exitError{2, errors.New("eval classify: --cv K cross-validates on --train alone: leave out --test")}
		case *folds < 2:
			return exitError{2, fmt.Errorf("eval classify: --cv: %d folds, at least 2 needed", *folds)}
		}
		return evalClassifyCV(ctx, *train, *folds, opts, *asJSON, stdout)
	}
	if *train == "" || *test == "" {
		return exitError{2, errors.New("eval classify: --train FILE and --test FILE are required")}
	}
	m, err := eval.Classify(ctx, eval.ClassifyOptions{Train: *train, Test: *test, Classifier: opts})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(m)
	}
	fmt.Fprintf(stdout, "train      %s\ntest       %s\nexamples   %d\naccuracy   %.4f\nmacro_f1   %.4f\n\n", *train, *test, m.Examples, m.Accuracy, m.MacroF1)
	printPerLabel(stdout, m)
	return nil
}

// routeByDefaultRules routes as serve does when no rules are configured.
func routeByDefaultRules(level, topic, commune, province string) (string, error) {
	l, err := feedback.ParseLevel(level)
	if err != nil {
		return "", err
	}
	return feedback.DefaultRules().Route(l, topic, commune, province), nil
}

func evalClassifyTaxonomy(ctx context.Context, name string, opts eval.TaxonomyClassifyOptions, verbose, asJSON bool, stdout io.Writer) error {
	if name == "default" {
		opts.Taxonomy = topic.DefaultTaxonomy()
	} else {
		var err error
		if opts.Taxonomy, err = topic.LoadTaxonomy(name); err != nil {
			return fmt.Errorf("eval classify: %w", err)
		}
	}
	res, err := eval.ClassifyTaxonomy(ctx, opts)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	if verbose {
		for _, m := range res.Misses {
			next := ""
			if len(m.Got.RunnersUp) > 0 {
				next = fmt.Sprintf(" (then %s %.2f)", m.Got.RunnersUp[0].Topic, m.Got.RunnersUp[0].Score)
			}
			fmt.Fprintf(stdout, "%-19s → %-19s %.2f%s  %s\n", m.Label, m.Got.Topic, m.Got.Confidence, next, m.Text)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "taxonomy   %s (%d topics)\ntest       %s", name, res.Topics, opts.Test)
	if opts.Half != "" {
		fmt.Fprintf(stdout, " (%s examples)", opts.Half)
	}
	fmt.Fprintf(stdout, "\nexamples   %d\n", res.Examples)
	if res.Retrained == nil {
		fmt.Fprintf(stdout, "accuracy   %.4f\nmacro_f1   %.4f\n", res.Before.Accuracy, res.Before.MacroF1)
		if res.RoutingGold != nil {
			fmt.Fprintf(stdout, "routing    %.4f (receiving unit; %.4f with the right topics)\n", *res.Before.Routing, *res.RoutingGold)
		}
		fmt.Fprintln(stdout)
		printPerLabel(stdout, res.Before.ClassifyMetrics)
		return nil
	}
	fmt.Fprintf(stdout, "replayed   %d (%.2f), %d of them corrected", res.Replayed, opts.Corrections, res.Corrected)
	if opts.Confirmed {
		fmt.Fprintf(stdout, " and %d confirmed", res.Confirmed)
	}
	fmt.Fprintf(stdout, " (Learn), then Retrain\nscored     %d others\n\n", res.Before.Examples)
	fmt.Fprintf(stdout, "%-20s %9s %9s", "", "accuracy", "macro_f1")
	if res.RoutingGold != nil {
		fmt.Fprintf(stdout, " %9s", "routing")
	}
	fmt.Fprintln(stdout)
	for _, r := range []struct {
		name string
		m    eval.LabelledMetrics
	}{{"before", res.Before}, {"after learning", *res.Learnt}, {"after retraining", *res.Retrained}} {
		fmt.Fprintf(stdout, "%-20s %9.4f %9.4f", r.name, r.m.Accuracy, r.m.MacroF1)
		if r.m.Routing != nil {
			fmt.Fprintf(stdout, " %9.4f", *r.m.Routing)
		}
		fmt.Fprintln(stdout)
	}
	if res.RoutingGold != nil {
		fmt.Fprintf(stdout, "routing with the right topics: %.4f\n", *res.RoutingGold)
	}
	fmt.Fprintln(stdout, "\nbefore, per label:")
	printPerLabel(stdout, res.Before.ClassifyMetrics)
	fmt.Fprintln(stdout, "\nafter retraining, per label:")
	printPerLabel(stdout, res.Retrained.ClassifyMetrics)
	return nil
}

func evalClassifyCV(ctx context.Context, train string, folds int, opts topic.Options, asJSON bool, stdout io.Writer) error {
	cv, err := eval.CrossValidateClassifier(ctx, train, folds, opts)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(cv)
	}
	fmt.Fprintf(stdout, "train      %s\nfolds      %d\nexamples   %d\n\n", train, folds, cv.Pooled.Examples)
	fmt.Fprintf(stdout, "%-8s %8s %9s %9s\n", "fold", "examples", "accuracy", "macro_f1")
	for i, f := range cv.Folds {
		fmt.Fprintf(stdout, "%-8d %8d %9.4f %9.4f\n", i+1, f.Examples, f.Accuracy, f.MacroF1)
	}
	fmt.Fprintf(stdout, "%-8s %8s %9.4f %9.4f\n", "mean", "", cv.Mean.Accuracy, cv.Mean.MacroF1)
	fmt.Fprintf(stdout, "%-8s %8d %9.4f %9.4f\n\n", "pooled", cv.Pooled.Examples, cv.Pooled.Accuracy, cv.Pooled.MacroF1)
	fmt.Fprintln(stdout, "pooled out-of-fold predictions, per label:")
	printPerLabel(stdout, cv.Pooled)
	return nil
}

func printPerLabel(w io.Writer, m eval.ClassifyMetrics) {
	fmt.Fprintf(w, "%-20s %9s %9s %9s %8s\n", "label", "precision", "recall", "f1", "support")
	for _, l := range m.PerLabel {
		fmt.Fprintf(w, "%-20s %9.4f %9.4f %9.4f %8d\n", l.Label, l.Precision, l.Recall, l.F1, l.Support)
	}
}
