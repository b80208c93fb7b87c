package eval

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
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

// TestProcedureLinksIn counts, over a library in SQLite, the legal bases
// that name a law the library holds by its number, spelled as the portal
// spells it.
func TestProcedureLinksIn(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "library.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	proc := func(code string, numbers ...string) *corpus.Document {
		p := &corpus.Procedure{Code: code}
		for _, n := range numbers {
			p.Bases = append(p.Bases, corpus.LegalBase{Title: "Văn bản " + n, Number: n})
		}
		return &corpus.Document{ID: code, Kind: corpus.KindProcedure, Title: "Thủ tục " + code, Procedure: p}
	}
	for _, d := range []*corpus.Document{
		{ID: "68-2020-qh14", Kind: corpus.KindLaw, Number: "68/2020/QH14", Title: "Luật Cư trú 2020"},
		{ID: "91-2015-qh13", Kind: corpus.KindLaw, Number: "91/2015/QH13", Title: "Bộ luật Dân sự 2015"},
		proc("9.000001", "68/2020/QH14", "62/2021/NĐ-CP", ""),
		proc("9.000002", "68/2020/qh14", "91/2015/QH13"),
		proc("9.000003", "55/2021/TT-BCA"),
	} {
		if err := docs.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ProcedureLinksIn(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	want := ProcedureLinks{Procedures: 3, Bases: 6, Linked: 3, LinkedProcedures: 2, Laws: 2}
	if got != want {
		t.Errorf("links = %+v, want %+v", got, want)
	}
}
