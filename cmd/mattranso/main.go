// Command mattranso is the Mặt trận số platform in one binary: serve the
// site and API, ingest documents, evaluate retrieval, administer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `mattranso — Mặt trận số

Usage:
  mattranso serve  [--addr :8080] [--data DIR] [--ingest SRC,…|none]
  mattranso ingest [--data DIR] [--rate N] [--max-pages N] [--wait D] SOURCE…
  mattranso migrate [--data DIR]
  mattranso eval retrieval --dataset DIR [--split NAME] [--mode hybrid|keyword|vector|fts5] [--reranker library|competition|competition-as-is|cross|none|FILE] [--train-pairs library|competition|none|DIR,…] [--competition] [--teach-from DIR] [--teach-strip X] [--teach-questions N] [--own-folds] [--ablation] [--strip-diacritics] [--question-only] [-v] [--json]
  mattranso eval answers --dataset DIR [--split NAME] [--mode hybrid|keyword] [--train-pairs library|competition|none|DIR,…] [--reranker library|competition|none|FILE] [--own-folds] [-v] [--json]
  mattranso eval answers --data DIR [--questions FILE] [--rounds N] [--json]
  mattranso eval classify --train FILE --test FILE [--json]
  mattranso eval classify --train FILE --cv K [--json]
  mattranso eval classify --taxonomy default|FILE --test FILE [--corrections F [--confirmed]] [--half odd|even] [--routing] [-v] [--json]
  mattranso eval train-reranker --dataset DIR [--dataset DIR…] [--out FILE]
  mattranso eval fts5-serve [--data DIR] [--addr 127.0.0.1:8081]
  mattranso eval query-mix --dataset DIR [--split NAME] [--limit N]
  mattranso eval feedback-load --url URL [--data DIR] [--clients N] [--duration D] [--drain D] [--photos SHARE] [--seed N] [--json]
  mattranso eval congress-load --url URL --token TOKEN [--term T] [--territory CODE] [--clients N] [--puts N] [--interval D] [--connect-rate N] [--settle D] [--json]
  mattranso eval procedures [--dump FILE] [--data DIR] [-v]
  mattranso admin import-units [--data DIR] FILE
  mattranso admin units show [--data DIR] CODE
  mattranso admin grant [--data DIR] [--remove] --email E --role R --unit U
  mattranso admin grant list [--data DIR]
  mattranso admin token create [--data DIR] --email E --role R --unit U [--ttl D]
  mattranso admin token list [--data DIR]
  mattranso admin token revoke [--data DIR] ID
  mattranso admin reindex
  mattranso admin delete-doc [--data DIR] [--wait D] ID…
  mattranso admin backup [--data DIR] OUT
  mattranso admin gen-reports [--data DIR] [--villages N] [--weeks W] [--synthetic PxC]
  mattranso admin gen-corpus --passages N [--seed S] [--source DIR] OUT_DIR
  mattranso help

"mattranso admin help" explains roles, units and tokens; each command takes
-h for its flags. Settings come from the environment (MATTRANSO_DATA,
DATABASE_URL, LOG_LEVEL, …), each command reading those it uses: see the
Configuration section of README.md.
`

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		code := 1
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if ee.err == nil || ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "mattranso:", err)
		}
		os.Exit(code)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{2, errors.New("no command given")}
	}
	// Each command loads the settings it uses (config.Load), and no other.
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stderr)
	case "ingest":
		return cmdIngest(ctx, args[1:], stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout, stderr)
	case "eval":
		return cmdEval(ctx, args[1:], stdout, stderr)
	case "admin":
		return cmdAdmin(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return exitError{2, fmt.Errorf("unknown command %q", args[0])}
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// parseInterleaved parses flags that may stand before, between or after
// the positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, exitError{2, err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
