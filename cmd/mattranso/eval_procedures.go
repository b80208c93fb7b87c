package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/eval"
)

// defaultProcedureDump is the national portal's procedures in the shared data.
const defaultProcedureDump = "../shared/corpus/procedures/dichvucong-procedures.jsonl"

// procedureFigures is what eval procedures prints: the parse over the dump
// and, with --data, the links of the stored procedures to the library's laws.
type procedureFigures struct {
	eval.ProcedureMetrics
	Links *eval.ProcedureLinks `json:"links,omitempty"`
}

// evalProcedures reads every procedure of the portal dump into rows and
// prints the share read cleanly as JSON; -v lists the failures on stderr.
// With --data it also counts, in that library, the legal bases that link
// to a law it holds.
func evalProcedures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval procedures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dump := fs.String("dump", defaultProcedureDump, "the portal's procedures, one JSON object a line")
	data := fs.String("data", "", "a library made by mattranso ingest: also count the legal bases linked to its laws")
	verbose := fs.Bool("v", false, "list every field that was not read entirely")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	var each func(eval.ProcedureFailure)
	if *verbose {
		each = func(f eval.ProcedureFailure) { fmt.Fprintf(stderr, "%s %s: %s\n", f.Code, f.Field, f.Problem) }
	}
	m, err := eval.Procedures(*dump, each)
	if err != nil {
		return exitError{1, fmt.Errorf("eval procedures: %w", err)}
	}
	out := procedureFigures{ProcedureMetrics: m}
	if *data != "" {
		cfg, err := config.Load(config.Log, config.Data, config.Search)
		if err != nil {
			return err
		}
		cfg.DataDir = *data
		lib, err := server.Open(ctx, cfg)
		if err != nil {
			return exitError{1, fmt.Errorf("eval procedures: --data %s: %w", *data, err)}
		}
		defer lib.Close()
		links, err := eval.ProcedureLinksIn(ctx, lib.Docs)
		if err != nil {
			return fmt.Errorf("eval procedures: links in %s: %w", *data, err)
		}
		out.Links = &links
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
