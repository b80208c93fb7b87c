package library

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// A code of 700 articles is a megabyte of HTML, too much for a phone on a
// slow line. A long law is therefore served a chapter at a time
// (?chuong=II), or, for a law the sources give without chapters, a run of
// articles at a time (?dieu=41 serves the run holding Điều 41); the table of
// contents links every part. ?toan-van=1 serves the whole text, to print
// or to search in the page. A link to a clause elsewhere in the law
// ("#dieu-418/khoan-1", as search and the assistant make them) is taken to
// its run by law.js, or by the table of contents without script.

// longLaw is the number of articles above which a law is served in parts.
const longLaw = 80

// runLength is how many articles a part of a law without chapters holds.
const runLength = 40

// Query parameters of the law page.
const (
	paramChapter = "chuong"
	paramArticle = "dieu"
	paramWhole   = "toan-van"
)

// lawPart is one part of a long law as the page serves it.
type lawPart struct {
	Title string // "Chương II. Cá nhân", "Điều 41–80"
	// Param and Value select it: chuong=II, or dieu=<its first article>.
	Param, Value string
	Nodes        []corpus.Node // what to render, within its part (phần) heading
	articles     map[string]bool
}

// href is the address of the part, at anchor.
func (p *lawPart) href(anchor string) string {
	u := "?" + p.Param + "=" + url.QueryEscape(p.Value)
	if anchor != "" {
		u += string(fragment(anchor))
	}
	return u
}

// lawParts cuts ns into the parts a long law is served in: each chương
// (inside its phần, whose heading it keeps), and runs of runLength articles
// where articles stand outside any chapter. What precedes the first
// article goes with the first part, and what follows the last (the
// closing, annexes) with the last.
func lawParts(ns []corpus.Node) []*lawPart {
	var parts []*lawPart
	var run *lawPart
	var lead []corpus.Node // preamble waiting for the first part
	endRun := func() { run = nil }
	add := func(p *lawPart) {
		if len(parts) == 0 && len(lead) > 0 {
			p.Nodes = append(lead, p.Nodes...)
			lead = nil
		}
		parts = append(parts, p)
	}
	addArticle := func(n corpus.Node) {
		if run == nil || len(run.articles) >= runLength {
			run = &lawPart{Param: paramArticle, Value: articleParam(n.Anchor), articles: map[string]bool{}}
			add(run)
		}
		run.articles[n.Anchor] = true
		run.Nodes = append(run.Nodes, n)
	}
	chapter := func(wrap func([]corpus.Node) []corpus.Node, n corpus.Node) {
		endRun()
		p := &lawPart{Title: corpus.NodeTitle(&n), Param: paramChapter, Value: n.Label, articles: map[string]bool{}}
		for _, a := range articlesOf(n) {
			p.articles[a] = true
		}
		p.Nodes = wrap([]corpus.Node{n})
		add(p)
	}
	for _, n := range ns {
		switch n.Kind {
		case corpus.NodeChuong:
			chapter(func(c []corpus.Node) []corpus.Node { return c }, n)
		case corpus.NodePhan:
			shell := n
			shell.Children = nil
			first := true
			// Each chapter keeps its part's heading; the part's own id
			// goes with its first chapter only, so that ids stay unique.
			wrap := func(c []corpus.Node) []corpus.Node {
				s := shell
				s.Children = c
				if !first {
					s.Anchor, s.Text = "", ""
				}
				first = false
				return []corpus.Node{s}
			}
			for _, c := range n.Children {
				switch c.Kind {
				case corpus.NodeChuong:
					chapter(wrap, c)
				default:
					// Articles of a part without chapters: a run of
					// their own, under the part's heading.
					if run == nil || run.Param != paramArticle || len(run.articles) >= runLength {
						endRun()
						run = &lawPart{Param: paramArticle, Value: articleParam(firstAnchor(c)), articles: map[string]bool{}}
						add(run)
						run.Nodes = wrap(nil)
					}
					for _, a := range articlesOf(c) {
						run.articles[a] = true
					}
					last := &run.Nodes[len(run.Nodes)-1]
					last.Children = append(last.Children, c)
				}
			}
			endRun()
		case corpus.NodeDieu:
			addArticle(n)
		case corpus.NodePreamble:
			if len(parts) == 0 {
				lead = append(lead, n)
			} else {
				parts[len(parts)-1].Nodes = append(parts[len(parts)-1].Nodes, n)
			}
		default: // the closing and annexes, a mục outside chapters
			if len(parts) == 0 {
				lead = append(lead, n)
				continue
			}
			last := parts[len(parts)-1]
			last.Nodes = append(last.Nodes, n)
			for _, a := range articlesOf(n) {
				last.articles[a] = true
			}
		}
	}
	if len(lead) > 0 { // nothing but a preamble and a closing
		parts = append(parts, &lawPart{Param: paramArticle, Nodes: lead, articles: map[string]bool{}})
	}
	for _, p := range parts {
		if p.Param == paramArticle {
			p.Title = runTitle(p.Nodes)
		}
	}
	return parts
}

// articleParam is the ?dieu= value of an article anchor: "dieu-41" → "41".
func articleParam(anchor string) string {
	return strings.TrimPrefix(corpus.ArticleAnchor(anchor), "dieu-")
}

func firstAnchor(n corpus.Node) string {
	if n.Kind == corpus.NodeDieu {
		return n.Anchor
	}
	for _, c := range n.Children {
		if a := firstAnchor(c); a != "" {
			return a
		}
	}
	return n.Anchor
}

// articlesOf lists the anchors of the articles in n.
func articlesOf(n corpus.Node) []string {
	if n.Kind == corpus.NodeDieu {
		return []string{n.Anchor}
	}
	var out []string
	for _, c := range n.Children {
		out = append(out, articlesOf(c)...)
	}
	return out
}

// runTitle names a run of articles by its first and last: "Điều 1–40".
func runTitle(ns []corpus.Node) string {
	var labels []string
	var walk func(ns []corpus.Node)
	walk = func(ns []corpus.Node) {
		for _, n := range ns {
			if n.Kind == corpus.NodeDieu {
				labels = append(labels, n.Label)
				continue
			}
			walk(n.Children)
		}
	}
	walk(ns)
	switch len(labels) {
	case 0:
		return "Phần mở đầu"
	case 1:
		return "Điều " + labels[0]
	}
	return fmt.Sprintf("Điều %s–%s", labels[0], labels[len(labels)-1])
}

// partFor picks the part a request asks for: by chapter label, by an
// article it holds, else the first. ok is false when the request names a
// chapter or article the law does not have.
func partFor(parts []*lawPart, chapter, article string) (p *lawPart, ok bool) {
	switch {
	case chapter != "":
		for _, p := range parts {
			if p.Param == paramChapter && strings.EqualFold(p.Value, chapter) {
				return p, true
			}
		}
		return parts[0], false
	case article != "":
		anchor := "dieu-" + strings.ToLower(strings.TrimSpace(article))
		for _, p := range parts {
			if p.articles[anchor] {
				return p, true
			}
		}
		return parts[0], false
	}
	return parts[0], true
}

// partTOC renders the table of contents of a law served in parts: parts,
// chapters and sections as collapsible groups, the one on the page open;
// articles link into the page when they are on it, else to their part.
func partTOC(ns []corpus.Node, parts []*lawPart, cur *lawPart) template.HTML {
	partOf := map[string]*lawPart{}
	for _, p := range parts {
		for a := range p.articles {
			partOf[a] = p
		}
	}
	chapterPart := map[string]*lawPart{}
	for _, p := range parts {
		if p.Param == paramChapter {
			chapterPart[p.Value] = p
		}
	}
	var b strings.Builder
	var write func(ns []corpus.Node)
	write = func(ns []corpus.Node) {
		b.WriteString(`<ol class="toc__list">`)
		for i := range ns {
			n := &ns[i]
			switch n.Kind {
			case corpus.NodeDieu:
				href := string(fragment(n.Anchor))
				if p := partOf[n.Anchor]; p != nil && p != cur {
					href = "?" + paramArticle + "=" + url.QueryEscape(articleParam(n.Anchor)) + href
				}
				b.WriteString(`<li><a href="`)
				b.WriteString(html.EscapeString(href))
				b.WriteString(`">`)
				b.WriteString(html.EscapeString(corpus.NodeTitle(n)))
				b.WriteString("</a></li>\n")
			case corpus.NodePhan, corpus.NodeChuong, corpus.NodeMuc:
				open := false
				for _, a := range articlesOf(*n) {
					if partOf[a] == cur {
						open = true
						break
					}
				}
				b.WriteString(`<li class="toc__group"><details`)
				if open {
					b.WriteString(` open`)
				}
				b.WriteString(`><summary>`)
				b.WriteString(html.EscapeString(corpus.NodeTitle(n)))
				b.WriteString(`</summary>`)
				if p := chapterPart[n.Label]; n.Kind == corpus.NodeChuong && p != nil && p != cur {
					b.WriteString(`<p class="toc__open"><a href="`)
					b.WriteString(html.EscapeString(p.href(n.Anchor)))
					b.WriteString(`">Đọc `)
					b.WriteString(html.EscapeString(nodeName(*n)))
					b.WriteString(`</a></p>`)
				}
				write(n.Children)
				b.WriteString("</details></li>\n")
			}
		}
		b.WriteString("</ol>")
	}
	// Articles outside any chapter are grouped by run, as the page serves
	// them.
	if !hasChapters(ns) {
		b.WriteString(`<ol class="toc__list">`)
		for _, p := range parts {
			b.WriteString(`<li class="toc__group"><details`)
			if p == cur {
				b.WriteString(` open`)
			}
			b.WriteString(`><summary>`)
			b.WriteString(html.EscapeString(p.Title))
			b.WriteString(`</summary>`)
			var arts []corpus.Node
			for _, n := range p.Nodes {
				if n.Kind == corpus.NodeDieu {
					arts = append(arts, n)
				}
			}
			write(arts)
			b.WriteString("</details></li>\n")
		}
		b.WriteString("</ol>")
		return template.HTML(b.String())
	}
	write(ns)
	return template.HTML(b.String())
}

func hasChapters(ns []corpus.Node) bool {
	for _, n := range ns {
		if n.Kind == corpus.NodeChuong || n.Kind == corpus.NodePhan {
			return true
		}
	}
	return false
}
