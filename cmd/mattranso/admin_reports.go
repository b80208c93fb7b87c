package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/report/reporttest"
	"github.com/mattranso/mattranso/store"
)

const genReportsUsage = `mattranso admin gen-reports — fill a database with reports, to measure

  admin gen-reports [--data DIR] [--villages N] [--weeks W] [--last 2026-W47]
                    [--synthetic PxC] [--seed S] [--write-dataset FILE]

Adds N villages spread over the communes of the tree (import the official
list first with admin import-units, or make a tree with --synthetic 34x98:
34 provinces of 98 communes), then W weeks of weekly reports ending last
week from every commune and village of the six organisations, 90 % of
them reporting. The reports are filed at commune and village level: serve
them with MATTRANSO_REPORT_DATASETS naming the file --write-dataset writes.
The full scale is --villages 90000 --weeks 52 (about 28 million reports).
--last ends the weeks earlier, to add older history to a database already
filled (then --villages 0 and another --seed).
The benchmarks of package report run on the result with
MATTRANSO_BENCH_REPORT_DB set to the database.
`

// adminGenReports runs "admin gen-reports".
func adminGenReports(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-reports", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, genReportsUsage) }
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database)")
	villages := fs.Int("villages", 0, "villages to add")
	weeks := fs.Int("weeks", 1, "weeks of reports")
	synthetic := fs.String("synthetic", "", "make a tree of PxC provinces × communes first")
	seed := fs.Int64("seed", 1, "random seed")
	last := fs.String("last", "", "the last week of reports (default: last week)")
	dsFile := fs.String("write-dataset", "", "write the data set the reports are filed in, for MATTRANSO_REPORT_DATASETS")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *villages < 0 || *villages > 1000000 || *weeks < 1 || *weeks > 520 {
		fmt.Fprint(stderr, genReportsUsage)
		return exitError{2, errors.New("admin gen-reports: --villages 0 to 1000000, --weeks 1 to 520, no other arguments")}
	}
	if *dsFile != "" {
		b, _ := json.MarshalIndent([]report.Dataset{reporttest.Dataset()}, "", "  ")
		if err := os.WriteFile(*dsFile, append(b, '\n'), 0o644); err != nil {
			return exitError{1, fmt.Errorf("admin gen-reports: %w", err)}
		}
	}
	var lastP report.Period
	if *last != "" {
		if lastP, err = report.ParsePeriod(report.Weekly, *last); err != nil {
			return exitError{2, fmt.Errorf("admin gen-reports: --last %q: want a week such as 2026-W47", *last)}
		}
	}
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return err
	}
	defer db.Close()
	tree := org.NewStore(db)
	svc, err := report.NewService(report.Options{DB: db, Tree: tree, Datasets: []report.Dataset{reporttest.Dataset()}})
	if err != nil {
		return err
	}
	if err := svc.Migrate(ctx); err != nil {
		return err
	}
	if *synthetic != "" {
		var p, c int
		if _, err := fmt.Sscanf(*synthetic, "%dx%d", &p, &c); err != nil {
			return exitError{2, fmt.Errorf("admin gen-reports: --synthetic %q: want PxC, e.g. 34x98", *synthetic)}
		}
		if err := reporttest.SyntheticTree(ctx, tree, p, c); err != nil {
			return exitError{1, fmt.Errorf("admin gen-reports: %w", err)}
		}
	}
	start := time.Now()
	sum, err := reporttest.Generate(ctx, db, reporttest.Options{Villages: *villages, Weeks: *weeks, Last: lastP, Seed: *seed, Progress: stdout})
	if err != nil {
		return exitError{1, fmt.Errorf("admin gen-reports: %w", err)}
	}
	fmt.Fprintf(stdout, "%d communes, %d villages, %d units; %d reports over %d weeks in %s\n",
		sum.Communes, sum.Villages, sum.Units, sum.Reports, sum.Weeks, time.Since(start).Round(time.Second))
	return nil
}
