package assistant

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Procedure answers. "Đăng ký kết hôn cần giấy tờ gì?", "Xin giấy xác
// nhận tình trạng hôn nhân ở đâu?": the answer is a procedure's file,
// its office, its fee, not a sentence of the law behind it. When the
// question asks for a procedure and search put first a procedure the
// question names (retrieval.NamesProcedure), the answer quotes the
// sections of that procedure the question asks about, each once, with
// its link.

// procedureQuoteLen bounds one quoted section, in characters: a file of
// twenty papers is a page; the link shows the rest.
const procedureQuoteLen = 600

// sectionCues map folded word runs of a question to the procedure
// sections that answer them, by anchor (corpus.ProcedureSections).
var sectionCues = []struct {
	words   []string
	anchors []string
}{
	{[]string{"giay", "to"}, []string{"thanh-phan-ho-so"}},
	{[]string{"ho", "so"}, []string{"thanh-phan-ho-so"}},
	{[]string{"can", "nhung", "gi"}, []string{"thanh-phan-ho-so"}},
	{[]string{"o", "dau"}, []string{"co-quan", "cach-thuc"}},
	{[]string{"co", "quan", "nao"}, []string{"co-quan"}},
	{[]string{"le", "phi"}, []string{"phi-le-phi", "cach-thuc"}},
	{[]string{"bao", "nhieu", "tien"}, []string{"phi-le-phi", "cach-thuc"}},
	{[]string{"bao", "lau"}, []string{"cach-thuc"}},
	{[]string{"dieu", "kien"}, []string{"yeu-cau"}},
}

// procedureSections returns the anchors of the sections a question asks
// for, in the order corpus.ProcedureSections lists them; the steps and the
// file when it names none ("làm thủ tục gì", "thủ tục thế nào").
func procedureSections(question string) []string {
	qw := corpus.Terms(question)
	want := map[string]bool{}
	for _, c := range sectionCues {
		if holdsRun(qw, c.words) {
			for _, a := range c.anchors {
				want[a] = true
			}
		}
	}
	if len(want) == 0 {
		want["trinh-tu"], want["thanh-phan-ho-so"] = true, true
	}
	var out []string
	for _, s := range corpus.ProcedureSections(&corpus.Procedure{}) {
		if want[s.Anchor] {
			out = append(out, s.Anchor)
		}
	}
	return out
}

// holdsRun reports whether words holds run word for word.
func holdsRun(words, run []string) bool {
	for i := 0; i+len(run) <= len(words); i++ {
		ok := true
		for j, w := range run {
			if words[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// sectionQuote returns the section named name of a procedure passage
// ("Thành phần hồ sơ: …", up to the next section's line), cut to n
// characters: a verbatim run of the passage, as every quote is. Empty
// when the passage has no such section.
func sectionQuote(text, name string, n int) string {
	start := -1
	if strings.HasPrefix(text, name+": ") {
		start = 0
	} else if i := strings.Index(text, "\n"+name+": "); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		return ""
	}
	end := len(text)
	for _, s := range corpus.ProcedureSections(&corpus.Procedure{}) {
		if s.Name == name {
			continue
		}
		if i := strings.Index(text[start:], "\n"+s.Name+": "); i >= 0 && start+i < end {
			end = start + i
		}
	}
	return openingOf(text[start:end], n)
}

// procedureAnswer answers from the first procedure of the hits that the
// question names, when it asks for a procedure; ok is false otherwise.
// A hybrid search puts that procedure first; searched by keywords alone
// (the vector side down) it may come after the law's articles.
func procedureAnswer(ctx context.Context, docs Documents, question, query string, hits []retrieval.Hit) (Answer, bool) {
	if !retrieval.AsksProcedure(question) {
		return Answer{}, false
	}
	at := -1
	for i, h := range hits {
		if h.Kind == corpus.KindProcedure && retrieval.NamesProcedure(question, h.Title) {
			at = i
			break
		}
	}
	if at < 0 {
		return Answer{}, false
	}
	h := hits[at]
	names := map[string]string{}
	for _, s := range corpus.ProcedureSections(&corpus.Procedure{}) {
		names[s.Anchor] = s.Name
	}
	ans := Answer{Mode: "extractive", Query: query, Citations: []Citation{}}
	for _, anchor := range procedureSections(question) {
		quote := sectionQuote(h.Text, names[anchor], procedureQuoteLen)
		if quote == "" {
			continue
		}
		c := citationFor(len(ans.Citations)+1, h, anchor, quote)
		c.Label = names[anchor]
		ans.Citations = append(ans.Citations, c)
	}
	if len(ans.Citations) == 0 {
		// None of the sections asked for is stated: the procedure's
		// opening still tells what it is and where to read on.
		c := citationFor(1, h, "", openingOf(h.Text, procedureQuoteLen))
		ans.Citations = append(ans.Citations, c)
	}
	ans.Supported = true
	ans.Text = composeClauses(ans.Citations)
	if p := procedureOf(ctx, docs, h.DocID); p != nil {
		ans.Text = composeProcedure(ans.Citations, p)
	}
	return ans, true
}

// procedureOf returns the stored procedure of id, with the rows parsed
// from the portal's flattened tables; nil without a store or rows.
func procedureOf(ctx context.Context, docs Documents, id string) *corpus.Procedure {
	if docs == nil {
		return nil
	}
	d, err := docs.Get(ctx, id)
	if err != nil || d == nil {
		return nil
	}
	return d.Procedure
}

// procedureRows is how many rows of a table an answer lists, and
// procedureRowLen how many characters of a paper's name; the link shows
// the rest.
const (
	procedureRows   = 12
	procedureRowLen = 240
)

// rowsOf renders the parsed rows of a procedure's section, one a line
// ("– Tờ khai đăng ký kết hôn: 1 bản chính"); empty when the section has
// no rows, and the quote is shown instead.
func rowsOf(anchor string, p *corpus.Procedure) []string {
	var rows []string
	switch anchor {
	case "thanh-phan-ho-so":
		for _, r := range p.Papers {
			if r.IsNote() || strings.TrimSpace(r.Name) == "" {
				continue
			}
			name := strings.TrimRight(strings.TrimSpace(r.Name), ".;:, ")
			if short := openingOf(name, procedureRowLen); short != name {
				name = short + "…"
			}
			row := "– " + name + ": " + r.Quantity()
			if r.Form != "" {
				row += " (mẫu: " + strings.TrimSpace(r.Form) + ")"
			}
			rows = append(rows, row)
		}
	case "cach-thuc", "phi-le-phi":
		for _, c := range p.Channels {
			var parts []string
			for _, x := range []string{c.Time, c.Fee} {
				if x = strings.TrimSpace(x); x != "" {
					parts = append(parts, x)
				}
			}
			if len(parts) > 0 {
				rows = append(rows, "– "+c.Channel+": "+strings.Join(parts, "; "))
			}
		}
	}
	if len(rows) > procedureRows {
		rows = append(rows[:procedureRows], fmt.Sprintf("– và %d dòng khác (xem thủ tục)", len(rows)-procedureRows))
	}
	return rows
}

// composeProcedure writes a procedure answer: for each section asked, its
// rows as the library's procedure page shows them when they were parsed,
// else its quote.
func composeProcedure(cs []Citation, p *corpus.Procedure) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		rows := rowsOf(c.Anchor, p)
		if len(rows) == 0 {
			fmt.Fprintf(&b, "Theo %s — %s: “%s” [%d]", c.Title, c.Label, strings.TrimSpace(strings.TrimPrefix(c.Quote, c.Label+": ")), c.N)
			continue
		}
		fmt.Fprintf(&b, "Theo %s — %s [%d]:\n%s", c.Title, c.Label, c.N, strings.Join(rows, "\n"))
	}
	return b.String()
}
