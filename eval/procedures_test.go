package eval

import (
	"strings"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
)

// TestProceduresParsedIntoTables parses every procedure of the shared
// portal dump and holds the shares to their targets: at least 95 % of the
// legal bases and 90 % of the document lists read entirely into rows.
// Every failure is listed in the log.
func TestProceduresParsedIntoTables(t *testing.T) {
	if testing.Short() {
		t.Skip("reads and parses the whole portal dump: not under -short")
	}
	path := testenv.SharedPath(t, "corpus", "procedures", "dichvucong-procedures.jsonl")
	var failures []ProcedureFailure
	m, err := Procedures(path, func(f ProcedureFailure) { failures = append(failures, f) })
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Logf("%s %s: %s", f.Code, f.Field, f.Problem)
	}
	t.Logf("%+v", m)
	if m.Procedures != 2642 {
		t.Errorf("procedures read: %d, want 2642", m.Procedures)
	}
	for _, c := range []struct {
		name        string
		share, want float64
	}{
		{"legal bases", m.LegalBasesShare, 0.95},
		{"document lists", m.DocumentsShare, 0.90},
		{"channels", m.ChannelsShare, 0.90},
	} {
		if c.share < c.want {
			t.Errorf("%s parsed cleanly: %.4f, want ≥ %.2f", c.name, c.share, c.want)
		}
	}
	// Rows must carry what a row is for, not merely exist.
	if m.LegalBaseLinked < m.LegalBaseRows*95/100 {
		t.Errorf("legal-basis rows with a number: %d of %d", m.LegalBaseLinked, m.LegalBaseRows)
	}
	byField := map[string]int{}
	for _, f := range failures {
		byField[f.Field]++
		if f.Code == "" || strings.TrimSpace(f.Problem) == "" {
			t.Errorf("failure without a code or a problem: %+v", f)
		}
	}
	if n := byField["legal_basis"]; n != m.LegalBases-m.LegalBasesClean {
		t.Errorf("legal-basis failures listed: %d, counted %d", n, m.LegalBases-m.LegalBasesClean)
	}
	if n := byField["documents"]; n != m.Documents-m.DocumentsClean {
		t.Errorf("document-list failures listed: %d, counted %d", n, m.Documents-m.DocumentsClean)
	}
}
