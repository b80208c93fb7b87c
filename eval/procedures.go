package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/jsonl"
)

// ProcedureMetrics are the figures of a procedures run: how much of the
// portal's flattened tables corpus.ParseProcedure reads into rows. A
// field counts when the procedure has it; it is clean when it was read
// entirely (no problem reported) into at least one row.
type ProcedureMetrics struct {
	Procedures int `json:"procedures"`

	LegalBases      int     `json:"legal_bases"`       // procedures with a legal basis
	LegalBasesClean int     `json:"legal_bases_clean"` // … read entirely into (title, number) rows
	LegalBasesShare float64 `json:"legal_bases_share"`
	LegalBaseRows   int     `json:"legal_base_rows"`
	LegalBaseLinked int     `json:"legal_base_numbers"` // rows with a document number

	Documents      int     `json:"documents"`       // procedures with a document list
	DocumentsClean int     `json:"documents_clean"` // … read entirely into document rows
	DocumentsShare float64 `json:"documents_share"`
	DocumentRows   int     `json:"document_rows"`
	DocumentForms  int     `json:"document_forms"` // rows naming a form

	Channels      int     `json:"channels"`       // procedures with ways to submit
	ChannelsClean int     `json:"channels_clean"` // … read entirely into channel / time / fee rows
	ChannelsShare float64 `json:"channels_share"`
	ChannelRows   int     `json:"channel_rows"`

	Results int `json:"results"` // procedures whose result was read
}

// ProcedureFailure is one field of one procedure that was not read
// entirely.
type ProcedureFailure struct {
	Code, Field, Problem string
}

// procedureRecord is the part of the portal dump that the parsers read.
type procedureRecord struct {
	Code       string `json:"ma_thu_tuc"`
	Methods    string `json:"cach_thuc_thuc_hien"`
	Documents  string `json:"thanh_phan_ho_so"`
	LegalBasis string `json:"can_cu_phap_ly"`
	Result     string `json:"ket_qua_xu_ly"`
}

// Procedures parses every procedure of the dump at path (one JSON object
// a line) and counts what was read; each failure goes to each, when set.
func Procedures(path string, each func(ProcedureFailure)) (ProcedureMetrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return ProcedureMetrics{}, err
	}
	defer f.Close()
	return ProceduresFrom(f, each)
}

// ProceduresFrom is Procedures over a reader.
func ProceduresFrom(r io.Reader, each func(ProcedureFailure)) (ProcedureMetrics, error) {
	if each == nil {
		each = func(ProcedureFailure) {}
	}
	var m ProcedureMetrics
	err := jsonl.Each(r, func(_ int, b []byte) error {
		var rec procedureRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		m.Procedures++
		p := corpus.ParseProcedure(corpus.ProcedureFields{
			Methods: rec.Methods, Documents: rec.Documents, LegalBasis: rec.LegalBasis, Result: rec.Result,
		})
		count := func(field, raw string, rows int, problem string, total, clean *int) {
			if corpus.EmptyProcedureField(raw) {
				return
			}
			*total++
			switch {
			case problem != "":
				each(ProcedureFailure{rec.Code, field, problem})
			case rows == 0:
				each(ProcedureFailure{rec.Code, field, "không có dòng nào (no rows)"})
			default:
				*clean++
			}
		}
		count("legal_basis", rec.LegalBasis, len(p.Bases), p.BasesProblem, &m.LegalBases, &m.LegalBasesClean)
		count("documents", rec.Documents, len(p.Papers), p.PapersProblem, &m.Documents, &m.DocumentsClean)
		count("channels", rec.Methods, len(p.Channels), p.ChannelsProblem, &m.Channels, &m.ChannelsClean)
		m.LegalBaseRows += len(p.Bases)
		for _, b := range p.Bases {
			if b.Number != "" {
				m.LegalBaseLinked++
			}
		}
		m.DocumentRows += len(p.Papers)
		for _, d := range p.Papers {
			if d.Form != "" {
				m.DocumentForms++
			}
		}
		m.ChannelRows += len(p.Channels)
		if len(p.Results) > 0 {
			m.Results++
		}
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("eval procedures: %w", err)
	}
	m.LegalBasesShare = share(m.LegalBasesClean, m.LegalBases)
	m.DocumentsShare = share(m.DocumentsClean, m.Documents)
	m.ChannelsShare = share(m.ChannelsClean, m.Channels)
	return m, nil
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(int(float64(n)/float64(of)*10000+0.5)) / 10000
}

// ProcedureLinks are how many of the stored procedures' legal bases name a
// law the library holds, found by its number as the procedure page finds it.
type ProcedureLinks struct {
	Procedures       int `json:"procedures"`        // stored procedures
	Bases            int `json:"bases"`             // their legal-basis rows
	Linked           int `json:"linked"`            // rows linked to a law of the library
	LinkedProcedures int `json:"linked_procedures"` // procedures with at least one such row
	Laws             int `json:"laws"`              // distinct laws linked to
}

// ProcedureLibrary is what ProcedureLinksIn reads; the corpus store
// satisfies it.
type ProcedureLibrary interface {
	All(ctx context.Context, kind corpus.Kind, fn func(*corpus.Document) error) error
	Lookup(ctx context.Context, keys []string) (string, error)
}

// ProcedureLinksIn counts the legal bases of the stored procedures that
// link to a law of the library.
func ProcedureLinksIn(ctx context.Context, lib ProcedureLibrary) (ProcedureLinks, error) {
	var l ProcedureLinks
	laws := map[string]bool{}
	known := map[string]string{} // number key → law id, "" for none
	err := lib.All(ctx, corpus.KindProcedure, func(d *corpus.Document) error {
		if d.Procedure == nil {
			return nil
		}
		l.Procedures++
		linked := false
		for _, b := range d.Procedure.Bases {
			l.Bases++
			if b.Number == "" {
				continue
			}
			key := "no:" + corpus.NormalizeNumber(b.Number)
			id, seen := known[key]
			if !seen {
				var err error
				id, err = lib.Lookup(ctx, []string{key})
				switch {
				case errors.Is(err, corpus.ErrNotFound):
					id = ""
				case err != nil:
					return err
				}
				known[key] = id
			}
			if id != "" {
				l.Linked++
				laws[id] = true
				linked = true
			}
		}
		if linked {
			l.LinkedProcedures++
		}
		return nil
	})
	l.Laws = len(laws)
	return l, err
}
