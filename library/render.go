package library

import (
	"html"
	"html/template"
	"net/url"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// The body of a law is written here rather than by html/template: a code
// of 700 articles has some 5,000 elements, and walking them by reflection
// took most of a page's time. Every piece of text goes through
// html.EscapeString; anchors are made by corpus and checked by fragment.

// lawBody renders the structure of a law: every element under its anchor,
// with a "§" link to itself.
func lawBody(ns []corpus.Node) template.HTML {
	var b strings.Builder
	b.Grow(estimate(ns))
	writeNodes(&b, ns)
	return template.HTML(b.String())
}

func estimate(ns []corpus.Node) int {
	n := 0
	for i := range ns {
		n += 200 + len(ns[i].Text) + len(ns[i].Heading) + estimate(ns[i].Children)
	}
	return n
}

func writeNodes(b *strings.Builder, ns []corpus.Node) {
	for i := range ns {
		writeNode(b, &ns[i])
	}
}

func writeNode(b *strings.Builder, n *corpus.Node) {
	esc := html.EscapeString
	switch n.Kind {
	case corpus.NodeDieu:
		b.WriteString(`<article class="dieu" id="`)
		b.WriteString(esc(n.Anchor))
		b.WriteString(`"><h3 class="dieu__title">`)
		writeSelf(b, n)
		b.WriteString(esc(corpus.NodeTitle(n)))
		b.WriteString(`</h3>`)
		if n.Text != "" {
			b.WriteString(`<p class="txt">`)
			b.WriteString(esc(n.Text))
			b.WriteString(`</p>`)
		}
		writeNodes(b, n.Children)
		b.WriteString("</article>\n")
	case corpus.NodeKhoan, corpus.NodeDiem:
		class, sep := "khoan", "."
		if n.Kind == corpus.NodeDiem {
			class, sep = "diem", ")"
		}
		b.WriteString(`<div class="` + class + `" id="`)
		b.WriteString(esc(n.Anchor))
		b.WriteString(`">`)
		writeSelf(b, n)
		b.WriteString(`<p class="txt"><span class="num">`)
		b.WriteString(esc(n.Label))
		b.WriteString(sep + `</span> `)
		b.WriteString(esc(n.Text))
		b.WriteString(`</p>`)
		writeNodes(b, n.Children)
		b.WriteString("</div>\n")
	case corpus.NodePreamble:
		b.WriteString(`<section class="mo-dau" id="`)
		b.WriteString(esc(n.Anchor))
		b.WriteString(`"><p class="txt">`)
		b.WriteString(esc(n.Text))
		b.WriteString("</p></section>\n")
	default: // phần, chương, mục
		b.WriteString(`<section class="part part--`)
		b.WriteString(esc(string(n.Kind)))
		b.WriteString(`" id="`)
		b.WriteString(esc(n.Anchor))
		b.WriteString(`"><h2 class="part__title">`)
		writeSelf(b, n)
		b.WriteString(esc(corpus.NodeTitle(n)))
		b.WriteString(`</h2>`)
		if n.Text != "" {
			b.WriteString(`<p class="txt">`)
			b.WriteString(esc(n.Text))
			b.WriteString(`</p>`)
		}
		b.WriteString("\n")
		writeNodes(b, n.Children)
		b.WriteString("</section>\n")
	}
}

func writeSelf(b *strings.Builder, n *corpus.Node) {
	name := html.EscapeString(nodeName(*n))
	b.WriteString(`<a class="self" href="`)
	b.WriteString(html.EscapeString(string(fragment(n.Anchor))))
	b.WriteString(`" title="Đường dẫn tới ` + name + `" aria-label="Đường dẫn tới ` + name + `">§</a>`)
}

// tocBody renders the table of contents: parts, chapters and sections as
// nested collapsible groups, articles as links.
func tocBody(entries []tocEntry) template.HTML {
	var b strings.Builder
	writeTOC(&b, entries)
	return template.HTML(b.String())
}

func writeTOC(b *strings.Builder, entries []tocEntry) {
	b.WriteString(`<ol class="toc__list">`)
	for _, e := range entries {
		if e.Article {
			b.WriteString(`<li><a href="`)
			b.WriteString(html.EscapeString(string(fragment(e.Anchor))))
			b.WriteString(`">`)
			b.WriteString(html.EscapeString(e.Title))
			b.WriteString("</a></li>\n")
			continue
		}
		b.WriteString(`<li class="toc__group"><details><summary>`)
		b.WriteString(html.EscapeString(e.Title))
		b.WriteString(`</summary>`)
		writeTOC(b, e.Children)
		b.WriteString("</details></li>\n")
	}
	b.WriteString("</ol>")
}

// fragment is the href of an anchor on the same page. html/template would
// escape the slashes of "#dieu-418/khoan-1"; browsers would still find the
// element, but the address bar and shared links would read %2f.
func fragment(anchor string) template.URL {
	if reAnchor.MatchString(anchor) {
		return template.URL("#" + anchor)
	}
	return template.URL("#" + url.PathEscape(anchor))
}
