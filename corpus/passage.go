package corpus

import (
	"strings"
	"unicode/utf8"
)

// LongArticle is the length (in characters) above which an article with
// clauses is indexed clause by clause rather than whole.
const LongArticle = 2500

// Passages cuts d into the passages the indexes hold.
func Passages(d *Document) []Passage {
	switch d.Kind {
	case KindProcedure:
		return procedurePassages(d)
	default:
		return lawPassages(d)
	}
}

func (d *Document) passage(anchor, heading, text, context string) Passage {
	ctx := strings.Join(append([]string{d.Number}, d.Aliases...), " ")
	if context != "" {
		ctx = context + "\n" + ctx
	}
	id := d.ID
	if anchor != "" {
		id += "#" + anchor
	}
	return Passage{
		ID: id, DocID: d.ID, Kind: d.Kind, Anchor: anchor, Title: d.Title,
		Heading: heading, Text: text, Context: strings.TrimSpace(ctx),
		Number: d.Number, Issuer: d.Issuer, Status: d.Status,
	}
}

func lawPassages(d *Document) []Passage {
	var out []Passage
	var walk func(ns []Node, context string)
	walk = func(ns []Node, context string) {
		for i := range ns {
			n := &ns[i]
			switch n.Kind {
			case NodeDieu:
				out = append(out, articlePassages(d, n, context)...)
			case NodePreamble:
				if n.Text != "" {
					out = append(out, d.passage(n.Anchor, "Phần mở đầu", n.Text, context))
				}
			default:
				walk(n.Children, joinPara(context, NodeTitle(n)))
			}
		}
	}
	walk(d.Nodes, "")
	return out
}

func articlePassages(d *Document, a *Node, context string) []Passage {
	heading := NodeTitle(a)
	full := NodeText(a)
	if utf8.RuneCountInString(full) <= LongArticle || len(a.Children) < 2 {
		return []Passage{d.passage(a.Anchor, heading, full, context)}
	}
	// A long article: one passage per clause, each carrying the article's
	// lead-in so that "the following cases" keep their subject.
	var out []Passage
	if a.Text != "" {
		out = append(out, d.passage(a.Anchor, heading, a.Text, context))
	}
	for i := range a.Children {
		c := &a.Children[i]
		text := NodeText(c)
		out = append(out, d.passage(c.Anchor, heading+" — "+NodeTitle(c), text, joinPara(context, a.Text)))
	}
	return out
}

// NodeTitle renders a node's label and heading the way the law writes them:
// "Điều 418. Tội chiếm đoạt…", "Chương II. …", "Khoản 1", "Điểm a".
func NodeTitle(n *Node) string {
	var s string
	switch n.Kind {
	case NodePhan:
		s = "Phần " + n.Label
	case NodeChuong:
		s = "Chương " + n.Label
	case NodeMuc:
		s = "Mục " + n.Label
	case NodeDieu:
		s = "Điều " + n.Label
	case NodeKhoan:
		s = "Khoản " + n.Label
	case NodeDiem:
		s = "Điểm " + n.Label
	case NodePreamble:
		return "Phần mở đầu"
	}
	if n.Heading != "" {
		s += ". " + n.Heading
	}
	return s
}

// NodeText renders a node's text with its children's, numbered as in the
// law ("1. …", "a) …"), one paragraph a line.
func NodeText(n *Node) string {
	var b strings.Builder
	var walk func(n *Node, self bool)
	walk = func(n *Node, self bool) {
		line := n.Text
		if self {
			switch n.Kind {
			case NodeKhoan:
				line = n.Label + ". " + n.Text
			case NodeDiem:
				line = n.Label + ") " + n.Text
			}
		}
		if strings.TrimSpace(line) != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(line)
		}
		for i := range n.Children {
			walk(&n.Children[i], true)
		}
	}
	walk(n, false)
	return b.String()
}

// ProcedureSections lists a procedure's fields with their Vietnamese names
// and anchors, in the order the library shows them.
func ProcedureSections(p *Procedure) []struct{ Anchor, Name, Text string } {
	return []struct{ Anchor, Name, Text string }{
		{"trinh-tu", "Trình tự thực hiện", p.Steps},
		{"thanh-phan-ho-so", "Thành phần hồ sơ", p.Documents},
		{"cach-thuc", "Cách thức thực hiện", p.Methods},
		{"phi-le-phi", "Phí, lệ phí", p.Fees},
		{"yeu-cau", "Yêu cầu, điều kiện", p.Requirements},
		{"co-quan", "Cơ quan thực hiện", p.Agency},
		{"ket-qua", "Kết quả thực hiện", p.Result},
		{"can-cu-phap-ly", "Căn cứ pháp lý", p.LegalBasis},
	}
}

func procedurePassages(d *Document) []Passage {
	p := d.Procedure
	if p == nil {
		return nil
	}
	// The whole procedure is one passage: its name and field carry most of
	// what citizens search for, and its sections are short once cleaned.
	var b strings.Builder
	for _, s := range ProcedureSections(p) {
		if s.Text == "" || s.Anchor == "can-cu-phap-ly" {
			continue
		}
		b.WriteString(s.Name)
		b.WriteString(": ")
		b.WriteString(s.Text)
		b.WriteString("\n")
	}
	ctx := strings.Join([]string{p.Field, p.Level, p.Subjects, p.Code}, "\n")
	return []Passage{d.passage("", p.Field, strings.TrimSpace(b.String()), ctx)}
}
