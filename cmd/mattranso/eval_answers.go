package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/retrieval"
)

// evalAnswers runs `mattranso eval answers`: every query of a BEIR set
// with a metadata.answer is asked through the extractive assistant.
func evalAnswers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval answers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataset := fs.String("dataset", "", "BEIR dataset directory (corpus.jsonl, queries.jsonl with metadata.answer, qrels/)")
	split := fs.String("split", "", "qrels split (default: test, else the only one)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	mode := fs.String("mode", "hybrid", `retrieval under the assistant: "keyword" or "hybrid"`)
	verbose := fs.Bool("v", false, "print every question with the gold and the given answer on stderr")
	data := fs.String("data", "", "an ingested data directory whose library answers: --questions (latency only), or a --dataset written against the library (eval/testdata/realq)")
	half := fs.String("half", "", `ask only the questions whose metadata.half is this ("tune" or "check")`)
	questions := fs.String("questions", "", "with --data: a file of questions, one a line (default: 50 built-in staff questions)")
	rounds := fs.Int("rounds", 3, "with --data: timed passes over the questions after the first")
	pairs := fs.String("train-pairs", "library", trainPairsUsage)
	reranker := fs.String("reranker", eval.RerankLibrary, `"library", "competition" (research and evaluation only), "none" or a model file`)
	ownFolds := fs.Bool("own-folds", false, ownFoldsUsage)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *data != "" {
		if *dataset != "" {
			if *questions != "" {
				return exitError{2, errors.New("eval answers: --dataset and --questions exclude each other")}
			}
			if eval.HasCorpus(*dataset) {
				return exitError{2, fmt.Errorf("eval answers: %s has a corpus of its own: without --data it is indexed and asked; --data asks the library a set written against it (no corpus.jsonl)", *dataset)}
			}
			return libraryAnswers(ctx, *data, *dataset, *split, *half, *verbose, *asJSON, stdout, stderr)
		}
		return askLatency(ctx, *data, *questions, *rounds, *asJSON, stdout, stderr)
	}
	if *dataset == "" {
		return exitError{2, errors.New("eval answers: --dataset DIR (a BEIR set) or --data DIR (an ingested library) is required")}
	}
	m, err := retrieval.ParseMode(*mode)
	if err != nil || m == retrieval.ModeVector {
		return exitError{2, fmt.Errorf("eval answers: unknown --mode %q (keyword or hybrid)", *mode)}
	}
	from, library := pairSets(*pairs, *dataset)
	opts := eval.AnswersOptions{RetrievalOptions: eval.RetrievalOptions{Dataset: *dataset, Split: *split, Mode: m, PairsFrom: from, Library: library, Reranker: *reranker, OwnFolds: *ownFolds}, Half: *half}
	if *verbose {
		opts.Each = printAnswer(stderr)
	}
	res, err := eval.Answers(ctx, opts)
	if err != nil {
		return err
	}
	return printAnswers(stdout, *dataset, string(m), res, *asJSON)
}

// printAnswer writes one question's outcome, for -v.
func printAnswer(w io.Writer) func(eval.AnswerResult) {
	return func(r eval.AnswerResult) {
		fmt.Fprintf(w, "%s\tf1=%.2f\tcite=%v\tsupported=%v\tanswerable=%v\t%s\nQ: %s\nG: %q\nA: %q\nQuote: %q\nCited: %s\tjudged: %s\n\n", r.ID, r.F1, r.CitationOK, r.Supported, r.Answerable, r.Took.Round(time.Millisecond), r.Question, r.Gold, r.Short, r.Quote, r.Cited, strings.Join(r.Judged, ", "))
	}
}

// printAnswers writes the figures of an answers run.
func printAnswers(stdout io.Writer, dataset, mode string, res eval.AnswerMetrics, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "dataset            %s\nmode               %s (extractive)\nqueries            %d\nf1                 %.4f\nexact_match        %.4f\ncitation_accuracy  %.4f\nanswered_rate      %.4f\nunsupported        %d\n",
		dataset, mode, res.Queries, res.F1, res.ExactMatch, res.CitationAccuracy, res.AnsweredRate, res.Unsupported)
	if res.Unanswerable > 0 {
		fmt.Fprintf(stdout, "unanswerable       %d\nabstain_rate       %.4f\nfalse_support      %.4f\n", res.Unanswerable, *res.AbstainRate, *res.FalseSupport)
	}
	fmt.Fprintf(stdout, "latency_ms         p50 %.1f  p95 %.1f  max %.1f\n", res.LatencyP50, res.LatencyP95, res.LatencyMax)
	types := make([]string, 0, len(res.ByType))
	for t := range res.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		b := res.ByType[t]
		fmt.Fprintf(stdout, "  %-16s queries %d  f1 %.4f  exact_match %.4f  citation_accuracy %.4f  answered_rate %.4f\n", t, b.Queries, b.F1, b.ExactMatch, b.CitationAccuracy, b.AnsweredRate)
	}
	return nil
}
