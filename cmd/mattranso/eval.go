package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/eval"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return exitError{2, errors.New("eval: name what to evaluate: retrieval (measurement peers: fts5-serve, query-mix)")}
	}
	switch args[0] {
	case "retrieval":
		return evalRetrieval(ctx, args[1:], stdout, stderr)
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
	mode := fs.String("mode", "keyword", `index to evaluate: "keyword" (ours) or "fts5" (the SQLite FTS5 peer)`)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *dataset == "" {
		return exitError{2, errors.New("eval retrieval: --dataset DIR is required")}
	}
	opts := eval.RetrievalOptions{Dataset: *dataset, Split: *split, StripDiacritics: *strip}
	var m eval.Metrics
	var err error
	switch *mode {
	case "keyword":
		m, err = eval.Retrieval(ctx, opts)
	case "fts5":
		m, err = eval.RetrievalFTS5(ctx, opts)
	default:
		return exitError{2, fmt.Errorf("eval retrieval: unknown --mode %q (keyword or fts5)", *mode)}
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
