package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/ingest/gencorpus"
)

const genCorpusUsage = `mattranso admin gen-corpus — write a synthetic library, to measure

  admin gen-corpus --passages N [--seed S] [--source DIR] OUT_DIR

Recombines the real laws and procedures of --source (default
../shared/corpus) into new laws (new titles, numbers and years, articles of
clauses drawn from real articles) and new procedures (sections drawn from
several real ones), about N passages in all, in the dump formats ingest
reads; the same seed writes the same files. Ingest them beside the real
corpus: mattranso ingest --data DIR ../shared/corpus OUT_DIR.
`

// adminGenCorpus runs "admin gen-corpus".
func adminGenCorpus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, genCorpusUsage) }
	passages := fs.Int("passages", 0, "passages to generate")
	seed := fs.Uint64("seed", 1, "random seed")
	source := fs.String("source", "../shared/corpus", "the real corpus to recombine")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *passages < 1 || *passages > 20000000 {
		fmt.Fprint(stderr, genCorpusUsage)
		return exitError{2, errors.New("admin gen-corpus: --passages 1 to 20000000 and one OUT_DIR")}
	}
	sum, err := gencorpus.Generate(gencorpus.Options{Source: *source, Out: pos[0], Passages: *passages, Seed: *seed})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "gen-corpus: %d laws (%d passages), %d procedures — %d passages in %d files, %.1f MiB, in %s\n",
		sum.Laws, sum.LawPassages, sum.Procedures, sum.Passages(), len(sum.Files), float64(sum.Bytes)/(1<<20), pos[0])
	return err
}
