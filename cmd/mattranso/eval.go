package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/retrieval"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return exitError{2, errors.New("eval: name what to evaluate: retrieval, answers, classify or procedures (and train-reranker; measurement peers: fts5-serve, query-mix; the load tests feedback-load, congress-load)")}
	}
	switch args[0] {
	case "retrieval":
		return evalRetrieval(ctx, args[1:], stdout, stderr)
	case "answers":
		return evalAnswers(ctx, args[1:], stdout, stderr)
	case "classify":
		return evalClassify(ctx, args[1:], stdout, stderr)
	case "train-reranker":
		return evalTrainReranker(ctx, args[1:], stdout, stderr)
	case "fts5-serve":
		return evalFTS5Serve(ctx, args[1:], stderr)
	case "query-mix":
		return evalQueryMix(args[1:], stdout, stderr)
	case "feedback-load":
		return evalFeedbackLoad(ctx, args[1:], stdout, stderr)
	case "procedures":
		return evalProcedures(ctx, args[1:], stdout, stderr)
	case "congress-load":
		return evalCongressLoad(ctx, args[1:], stdout, stderr)
	}
	return exitError{2, fmt.Errorf("eval: unknown evaluation %q (retrieval, answers, classify, procedures, train-reranker, fts5-serve, query-mix, feedback-load, congress-load)", args[0])}
}

func evalRetrieval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval retrieval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataset := fs.String("dataset", "", "BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/)")
	split := fs.String("split", "", "qrels split (default: test, else the only one)")
	stripDiacritics := fs.Bool("strip-diacritics", false, "remove diacritics from the queries")
	questionOnly := fs.Bool("question-only", false, "search a multiple-choice question without its options (metadata.choices), which the assistant searches with it")
	asJSON := fs.Bool("json", false, "print one JSON object")
	ablation := fs.Bool("ablation", false, "run every mode (keyword, vector, hybrid), with and without diacritics, on one index")
	mode := fs.String("mode", "hybrid", `what answers: "hybrid" (default), "keyword", "vector", or "fts5" (the SQLite FTS5 peer)`)
	reranker := fs.String("reranker", eval.RerankLibrary, `hybrid re-ranking: "library" (taught by the set's corpus, as serve does), "competition" (trained on the competition sets, research and evaluation only; cross-fitted on a set it learned from), "competition-as-is", "cross", "none", or a model file`)
	pairs := fs.String("train-pairs", "library", trainPairsUsage)
	competition := fs.Bool("competition", false, `the competition-trained pipeline, for research and evaluation: --train-pairs competition --reranker competition`)
	teachFrom := fs.String("teach-from", "", "cross-corpus check: the library re-ranker is taught by this BEIR set's corpus instead of --dataset's")
	teachQuestions := fs.Int("teach-questions", 0, "pseudo-questions that teach the library re-ranker (default 1500)")
	strip := fs.Float64("teach-strip", 0, "share of clause openings whose heading words are taken out of the pseudo-questions (default 0.5; negative: none)")
	ownFolds := fs.Bool("own-folds", false, ownFoldsUsage)
	verbose := fs.Bool("v", false, "print every question whose judged article is not ranked first on stderr, with its place in the first 50 and the first three ranked")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *dataset == "" {
		return exitError{2, errors.New("eval retrieval: --dataset DIR is required")}
	}
	if *competition {
		*pairs, *reranker = "competition", eval.RerankCompetition
	}
	from, library := pairSets(*pairs, *dataset)
	opts := eval.RetrievalOptions{Dataset: *dataset, Split: *split, StripDiacritics: *stripDiacritics, QuestionOnly: *questionOnly, PairsFrom: from, Library: library,
		Reranker: *reranker, OwnFolds: *ownFolds, TeachFrom: *teachFrom, TeachQuestions: *teachQuestions, Teach: retrieval.TeachOptions{StripShare: *strip}}
	if *verbose && *ablation {
		return exitError{2, errors.New("eval retrieval: -v lists the questions of one run; leave out --ablation")}
	}
	if *verbose {
		opts.Each = func(o eval.QueryOutcome) {
			if o.Rank == 1 {
				return
			}
			place := fmt.Sprintf("not in the first %d", eval.OutcomeDepth)
			if o.Rank > 0 {
				place = fmt.Sprintf("ranked %d", o.Rank)
			}
			fmt.Fprintf(stderr, "%s\t%s\tjudged %s\tranked %s\n\t%s\n", o.ID, place, strings.Join(o.Judged, " "), strings.Join(o.Ranked[:min(3, len(o.Ranked))], " | "), o.Text)
		}
	}
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
		fmt.Fprintf(stdout, "| mode | re-ranker | diacritics | queries | R@1 | R@10 | MRR@10 | nDCG@10 | F2 |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			d := "with"
			if r.StripDiacritics {
				d = "without"
			}
			fmt.Fprintf(stdout, "| %s | %s | %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n", r.Mode, cmp.Or(r.Reranker, "—"), d, r.Queries, r.RecallAt1, r.RecallAt10, r.MRRAt10, r.NDCGAt10, r.F2)
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
	if m.Reranker != "" {
		fmt.Fprintf(stdout, "re-ranker  %s\n", m.Reranker)
	}
	fmt.Fprintf(stdout, "dataset    %s\nmode       %s\nqueries    %d\nRecall@1   %.4f\nRecall@10  %.4f\nMRR@10     %.4f\nnDCG@10    %.4f\nF2         %.4f\n",
		*dataset, *mode, m.Queries, m.RecallAt1, m.RecallAt10, m.MRRAt10, m.NDCGAt10, m.F2)
	return nil
}

// evalTrainReranker trains the hybrid re-ranker on judged BEIR sets and
// writes the model (retrieval/reranker-competition.json is the one
// trained on the competition sets).
func evalTrainReranker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval train-reranker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dirs listFlag
	fs.Var(&dirs, "dataset", "BEIR dataset directory with judged questions (repeat, or comma-separated)")
	out := fs.String("out", "", "write the model here (default: standard output)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if len(dirs) == 0 {
		return exitError{2, errors.New("eval train-reranker: --dataset DIR is required")}
	}
	r, err := eval.TrainReranker(ctx, dirs, func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) })
	if err != nil {
		return err
	}
	b, err := r.Marshal()
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = stdout.Write(b)
		return err
	}
	return writeFileAtomic(*out, b)
}

// listFlag collects a repeated, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, config.SplitList(v)...)
	return nil
}

// writeFileAtomic writes b to path through a temporary file beside it, so
// that a failed write leaves the old file whole.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

const trainPairsUsage = `what teaches the local embedder beside the corpus itself: "library" (the pseudo-questions of the set's corpus, as serve does), "competition" (the judged questions of the sets beside --dataset; research and evaluation only), "none", or a comma-separated list of BEIR sets; the evaluated set's questions never`

const ownFoldsUsage = `cross-fit the local embedder on the set's own judged questions too: each of 5 folds is answered by an embedder that also learned from the other 4, as the shipped one learned from every judged set (false: from the other sets only)`

// pairSets resolves --train-pairs for dataset: the judged sets, and
// whether the library's pseudo-questions teach too.
func pairSets(spec, dataset string) (sets []string, library bool) {
	switch spec {
	case "library":
		return nil, true
	case "competition", "auto":
		return eval.SiblingSets(dataset), false
	case "none", "":
		return nil, false
	}
	return config.SplitList(spec), false
}
