package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/retrieval"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return exitError{2, errors.New("eval: name what to evaluate: retrieval (measurement peers: fts5-serve, query-mix)")}
	}
	switch args[0] {
	case "retrieval":
		return evalRetrieval(ctx, args[1:], stdout, stderr)
	case "answers":
		return evalAnswers(ctx, args[1:], stdout, stderr)
	case "classify":
		return evalClassify(args[1:], stdout, stderr)
	case "fts5-serve":
		return evalFTS5Serve(ctx, args[1:], stderr)
	case "query-mix":
		return evalQueryMix(args[1:], stdout, stderr)
	}
	return exitError{2, fmt.Errorf("eval: unknown evaluation %q (retrieval, fts5-serve, query-mix)", args[0])}
}

func evalRetrieval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval retrieval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataset := fs.String("dataset", "", "BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/)")
	split := fs.String("split", "", "qrels split (default: test, else the only one)")
	strip := fs.Bool("strip-diacritics", false, "remove diacritics from the queries")
	asJSON := fs.Bool("json", false, "print one JSON object")
	ablation := fs.Bool("ablation", false, "run every mode (keyword, vector, hybrid), with and without diacritics, on one index")
	mode := fs.String("mode", "hybrid", `what answers: "hybrid" (default), "keyword", "vector", or "fts5" (the SQLite FTS5 peer)`)
	pairs := fs.String("train-pairs", "", "comma-separated BEIR sets whose judged questions also train the local embedder (the evaluated set is always left out)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *dataset == "" {
		return exitError{2, errors.New("eval retrieval: --dataset DIR is required")}
	}
	opts := eval.RetrievalOptions{Dataset: *dataset, Split: *split, StripDiacritics: *strip, PairsFrom: splitList(*pairs)}
	if !*asJSON {
		opts.Log = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	}
	if *ablation {
		rows, err := eval.Ablation(ctx, opts)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(rows)
		}
		fmt.Fprintf(stdout, "| mode | diacritics | queries | R@1 | R@10 | MRR@10 | nDCG@10 | F2 |\n|---|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			d := "with"
			if r.StripDiacritics {
				d = "without"
			}
			fmt.Fprintf(stdout, "| %s | %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n", r.Mode, d, r.Queries, r.RecallAt1, r.RecallAt10, r.MRRAt10, r.NDCGAt10, r.F2)
		}
		return nil
	}
	var m eval.Metrics
	var err error
	switch *mode {
	case "fts5":
		m, err = eval.RetrievalFTS5(ctx, opts)
	default:
		if opts.Mode, err = retrieval.ParseMode(*mode); err != nil {
			return exitError{2, fmt.Errorf("eval retrieval: --mode: %w, or fts5", err)}
		}
		m, err = eval.Retrieval(ctx, opts)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(m)
	}
	fmt.Fprintf(stdout, "dataset    %s\nmode       %s\nqueries    %d\nRecall@1   %.4f\nRecall@10  %.4f\nMRR@10     %.4f\nnDCG@10    %.4f\nF2         %.4f\n",
		*dataset, *mode, m.Queries, m.RecallAt1, m.RecallAt10, m.MRRAt10, m.NDCGAt10, m.F2)
	return nil
}
