package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/eval"
)

// libraryAnswers asks the library in dataDir, searched and answered as
// serve does, the questions of a set written against the library (no
// corpus of its own), and scores them: answered_rate on the answerable
// ones, abstain_rate and false_support on those it marks unanswerable.
func libraryAnswers(ctx context.Context, dataDir, dataset, split, half string, verbose, asJSON bool, stdout, stderr io.Writer) error {
	ds, err := eval.LoadQuestions(dataset, split)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.Log, config.Data, config.Search)
	if err != nil {
		return err
	}
	cfg.DataDir = dataDir
	if _, err := os.Stat(cfg.KeywordDir()); err != nil {
		return exitError{2, fmt.Errorf("eval answers: no keyword index in %s (run mattranso ingest --data %s ../shared/corpus first): %w", dataDir, dataDir, err)}
	}
	log := newLogger(stderr, cfg.LogLevel)
	lib, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	if lib.Index.Fresh {
		return exitError{2, fmt.Errorf("eval answers: the keyword index in %s is empty: ingest the library first", dataDir)}
	}
	if err := checkJudged(ctx, ds, lib.Docs); err != nil {
		return err
	}
	if err := lib.SetupVectors(ctx, cfg, log); err != nil {
		return fmt.Errorf("eval answers: vectors of %s: %w", dataDir, err)
	}
	a := assistant.New(assistant.Options{Searcher: lib.Search, Documents: lib.Docs, Logger: log})
	o := eval.AnswersOptions{Half: half}
	if verbose {
		o.Each = printAnswer(stderr)
	}
	res, err := eval.LibraryAnswers(ctx, ds, a, o)
	if err != nil {
		return err
	}
	mode := string(cfg.Search.Mode)
	if lib.Vectors() == nil {
		mode += ", no vectors (keywords only)"
	}
	return printAnswers(stdout, dataset, mode, res, asJSON)
}

// checkJudged fails on a judged id the library does not hold, so that a
// renamed document or a mistyped article is noticed rather than scored
// as a wrong citation.
func checkJudged(ctx context.Context, ds *eval.Dataset, docs assistant.Documents) error {
	var missing []string
	for qid, judged := range ds.Qrels {
		for id := range judged {
			doc, art, isArticle := strings.Cut(id, "#")
			d, err := docs.Get(ctx, doc)
			if err != nil || d == nil || (isArticle && d.Find("dieu-"+art) == nil) {
				missing = append(missing, qid+": "+id)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("eval answers: %s judges what the library does not hold: %s", ds.Dir, strings.Join(missing, "; "))
	}
	return nil
}

var _ assistant.Documents = (*corpus.Store)(nil)
