package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/mattranso/mattranso/eval"
)

// defaultProcedureDump is the national portal's procedures in the shared data.
const defaultProcedureDump = "../shared/corpus/procedures/dichvucong-procedures.jsonl"

// evalProcedures reads every procedure of the portal dump into rows and
// prints the share read cleanly as JSON; -v lists the failures on stderr.
func evalProcedures(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval procedures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dump := fs.String("dump", defaultProcedureDump, "the portal's procedures, one JSON object a line")
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
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}
