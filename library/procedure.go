package library

import (
	"context"
	_ "embed"
	"net/http"
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// LawLookup finds the stored document that owns one of keys (corpus
// identity keys, "no:91/2015/QH13"); the corpus store satisfies it.
// Documents that also implement it get the legal bases of a procedure
// linked to the library's laws; others show them without links.
type LawLookup interface {
	Lookup(ctx context.Context, keys []string) (string, error)
}

// maxBaseLinks bounds the look-ups one procedure page makes.
const maxBaseLinks = 60

// channelRow is one line of the ways-to-submit table: the channels that
// share a time, a fee and a description are one line.
type channelRow struct {
	Channels, Time, Fee string
	Note                string
}

// paperGroup is one table of the application file with its caption, and
// the remarks the portal lists among its rows.
type paperGroup struct {
	Caption string
	Papers  []corpus.ProcedurePaper
	Notes   []string
}

type baseRow struct {
	Title, Number, URL string
}

// procedureTables are the parts of the procedure page read from the
// procedure's rows; each is empty when the procedure has no rows for it,
// and the page then shows the field's text.
type procedureTables struct {
	Channels []channelRow
	Notes    []string // descriptions of the ways to submit, once each
	Groups   []paperGroup
	Bases    []baseRow
	Linked   int // bases linked to a law of the library
	Results  []corpus.ProcedureResult
	Steps    string
	Require  string
}

func (h *Handler) procedureTables(ctx context.Context, p *corpus.Procedure) procedureTables {
	t := procedureTables{Steps: p.Steps, Require: p.Requirements, Results: p.Results}
	t.Channels, t.Notes = channelRows(p.Channels)
	t.Groups = paperGroups(p.Papers)
	lookup, _ := h.docs.(LawLookup)
	for i, b := range p.Bases {
		r := baseRow{Title: b.Title, Number: b.Number}
		if lookup != nil && b.Number != "" && i < maxBaseLinks {
			if id, err := lookup.Lookup(ctx, []string{"no:" + corpus.NormalizeNumber(b.Number)}); err == nil {
				r.URL = URL(corpus.KindLaw, id, "")
				t.Linked++
			}
		}
		t.Bases = append(t.Bases, r)
	}
	// What the reader can open here comes first.
	slices.SortStableFunc(t.Bases, func(a, b baseRow) int {
		switch {
		case a.URL != "" && b.URL == "":
			return -1
		case a.URL == "" && b.URL != "":
			return 1
		}
		return 0
	})
	return t
}

// channelRows merges the channels that the portal lists with the same
// time, fee and description — most procedures repeat one line three
// times — and takes the descriptions out of the table.
func channelRows(cs []corpus.ProcedureChannel) ([]channelRow, []string) {
	var rows []channelRow
	var notes []string
	for _, c := range cs {
		merged := false
		for i := range rows {
			if rows[i].Time == c.Time && rows[i].Fee == c.Fee && rows[i].Note == c.Note {
				rows[i].Channels += ", " + strings.ToLower(c.Channel)
				merged = true
				break
			}
		}
		if !merged {
			rows = append(rows, channelRow{Channels: c.Channel, Time: c.Time, Fee: c.Fee, Note: c.Note})
		}
	}
	for _, r := range rows {
		if r.Note != "" && !contains(notes, r.Note) {
			notes = append(notes, r.Note)
		}
	}
	return rows, notes
}

func paperGroups(ps []corpus.ProcedurePaper) []paperGroup {
	var out []paperGroup
	for i, p := range ps {
		if i == 0 || p.Group != ps[i-1].Group {
			out = append(out, paperGroup{Caption: p.Group})
		}
		g := &out[len(out)-1]
		p.Name = strings.TrimLeft(p.Name, "-–+•* ")
		if p.IsNote() {
			g.Notes = append(g.Notes, p.Name)
			continue
		}
		g.Papers = append(g.Papers, p)
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// procedureCSS is the procedure page's own style sheet.
//
//go:embed static/thu-tuc.css
var procedureCSS []byte

// ProcedureStylePath is where the procedure page's style sheet is served.
const ProcedureStylePath = "/thu-tuc/tep/thu-tuc.css"

func (h *Handler) procedureStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(procedureCSS)
}

// foldAt is the length, in characters, past which a section's text is
// folded; leadLen how much of it the fold shows.
const foldAt, leadLen = 320, 110

// foldText says whether text is long enough to fold, and what the fold
// shows: its first words.
func foldText(text string) (long bool, lead string) {
	r := []rune(text)
	if len(r) <= foldAt {
		return false, ""
	}
	first := strings.SplitN(text, "\n", 2)[0]
	if fr := []rune(first); len(fr) > leadLen {
		cut := leadLen
		for cut > leadLen/2 && fr[cut] != ' ' {
			cut--
		}
		first = string(fr[:cut]) + "…"
	}
	return true, first
}

// sectionOrder puts first what a citizen asks first: how, how long and
// how much, then what to bring and what comes out.
var sectionOrder = map[string]int{"cach-thuc": 1, "phi-le-phi": 2, "thanh-phan-ho-so": 3, "ket-qua": 4, "trinh-tu": 5, "yeu-cau": 6, "can-cu-phap-ly": 7}

func orderSections(ss []sectionView) {
	slices.SortStableFunc(ss, func(a, b sectionView) int { return sectionOrder[a.Anchor] - sectionOrder[b.Anchor] })
}
