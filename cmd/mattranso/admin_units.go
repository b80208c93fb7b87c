package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

const unitsUsage = `mattranso admin units — the unit tree

Commands:
  admin import-units FILE   load or update the provinces and communes of
                            vn_admin_units_flat.csv (idempotent)
  admin units show CODE     a territory (VN, 79, 26734, 26734-001) with its
                            ancestors, children and units
`

// openOrg opens the database and brings the org tables up to date.
func openOrg(ctx context.Context, cfg config.Config) (*store.DB, *org.Store, error) {
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return nil, nil, err
	}
	s := org.NewStore(db)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, s, nil
}

// adminImportUnits runs "admin import-units FILE".
func adminImportUnits(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import-units", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, unitsUsage)
		return exitError{2, errors.New("admin import-units: name one file, e.g. ../shared/data/admin-units/vn_admin_units_flat.csv")}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return exitError{1, fmt.Errorf("admin import-units: %w", err)}
	}
	defer f.Close()
	db, s, err := openOrg(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	sum, err := s.ImportTerritories(ctx, f)
	if err != nil {
		var ie *org.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintf(stderr, "%s: not imported, nothing changed:\n", pos[0])
			for _, p := range ie.Problems {
				field := ""
				if p.Field != "" {
					field = p.Field + ": "
				}
				fmt.Fprintf(stderr, "  %s:%d: %s%s\n", pos[0], p.Line, field, p.Message)
			}
			if ie.More > 0 {
				fmt.Fprintf(stderr, "  … and %d more\n", ie.More)
			}
			return exitError{1, fmt.Errorf("admin import-units: %s has %d bad rows", pos[0], len(ie.Problems)+ie.More)}
		}
		return err
	}
	fmt.Fprintln(stdout, sum)
	return nil
}

// adminUnits runs "admin units SUBCOMMAND".
func adminUnits(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stdout, unitsUsage)
		if len(args) == 0 {
			return exitError{2, errors.New("admin units: name a command")}
		}
		return nil
	}
	if args[0] != "show" {
		fmt.Fprint(stderr, unitsUsage)
		return exitError{2, fmt.Errorf("admin units: unknown command %q", args[0])}
	}
	fs := flag.NewFlagSet("units show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return exitError{2, errors.New("admin units show: name one territory code, e.g. 79 or 26734")}
	}
	code := strings.TrimSpace(pos[0])
	if strings.EqualFold(code, org.CentralCode) {
		code = org.CentralCode
	}
	if _, err := org.LevelOf(code); err != nil {
		return exitError{2, fmt.Errorf("admin units show: %w", err)}
	}
	db, s, err := openOrg(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := s.Territory(ctx, code)
	if errors.Is(err, org.ErrNotFound) {
		return exitError{1, fmt.Errorf("admin units show: no territory %s (has the list been imported? mattranso admin import-units FILE)", code)}
	}
	if err != nil {
		return err
	}
	anc, err := s.Ancestors(ctx, code)
	if err != nil {
		return err
	}
	counts, err := s.CountDescendants(ctx, code)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s  %s", t.Code, t.Name)
	if t.KindFull != "" && t.KindFull != t.Kind {
		fmt.Fprintf(stdout, " (%s)", t.KindFull)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "level      %s\npath       %s\n", t.Level, t.Path)
	if t.FormerName != "" {
		fmt.Fprintf(stdout, "former     %s\n", t.FormerName)
	}
	if t.AltCode != "" {
		fmt.Fprintf(stdout, "code 1027  %s\n", t.AltCode)
	}
	if t.Retired() {
		fmt.Fprintf(stdout, "retired    %s\n", t.RetiredAt.Format("2006-01-02"))
	}
	for i, a := range anc {
		label := "ancestors"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(stdout, "%-10s %s  %s\n", label, a.Code, a.Name)
	}
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{{counts.Provinces, "provinces"}, {counts.Communes, "communes"}, {counts.Villages, "villages"}} {
		if c.n > 0 || (c.name == "villages" && t.Level != org.Village) {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(stdout, "below      %s (active)\n", strings.Join(parts, ", "))
	}
	for i, o := range org.Orgs {
		label := "units"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(stdout, "%-10s %-16s %s\n", label, t.Unit(o), org.UnitName(t, o))
	}
	return nil
}
