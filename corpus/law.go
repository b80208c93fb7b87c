package corpus

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NodePreamble holds the text before a law's first structural element.
const NodePreamble NodeKind = "mo-dau"

// NodeClosing holds what follows a text's last article before any annex:
// the adoption formula ("Bộ luật này đã được Quốc hội … thông qua ngày …"),
// the recipients (Nơi nhận) and the signature.
const NodeClosing NodeKind = "ket-thuc"

// NodeAppendix holds what follows the signature: annexes, forms, the lists
// of procedures a decision publishes — kept whole, as text.
const NodeAppendix NodeKind = "phu-luc"

var (
	reClause  = regexp.MustCompile(`^(\d{1,3})\s*\.\s*(.*)$`)
	rePoint   = regexp.MustCompile(`^([a-zđ])\s*\)\s*(.*)$`)
	reArticle = regexp.MustCompile(`^(?i:điều)\s+(\d{1,4}[a-zđ]?)\s*[.:]?\s*(.*)$`)
	reChapter = regexp.MustCompile(`^(?i:chương)\s+([IVXLCDM]+|\d+)\b\s*[.:\-–]?\s*(.*)$`)
	reSection = regexp.MustCompile(`^(?i:mục)\s+(\d+|[IVXLCDM]+)\b\s*[.:\-–]?\s*(.*)$`)
	rePart    = regexp.MustCompile(`^(?i:phần)\s+(thứ\s+\S+|[IVXLCDM]+|\d+)\s*[.:\-–]?\s*(.*)$`)
)

// pointOrder is the Vietnamese order of point letters (no f, j, w, z).
const pointOrder = "a b c d đ e g h i k l m n o p q r s t u v x y"

var pointRank = func() map[string]int {
	m := map[string]int{}
	for i, l := range strings.Fields(pointOrder) {
		m[l] = i + 1
	}
	return m
}()

// ParseArticle builds an article node from a dump's article: label "418"
// and text whose first paragraph is the heading when it reads like one.
func ParseArticle(label, text string) Node {
	lines := splitLines(NFC(text))
	heading := ""
	if len(lines) > 0 && looksLikeHeading(lines[0]) {
		heading, lines = lines[0], lines[1:]
	}
	n := Node{Kind: NodeDieu, Label: strings.TrimSpace(label), Heading: heading}
	n.Anchor = "dieu-" + anchorLabel(n.Label)
	fillArticle(&n, lines)
	return n
}

// looksLikeHeading tells a heading line ("Phạm vi điều chỉnh") from a body
// line: headings are short, do not start a clause or point and do not end a
// sentence.
func looksLikeHeading(s string) bool {
	if s == "" || reClause.MatchString(s) || rePoint.MatchString(s) {
		return false
	}
	if utf8.RuneCountInString(s) > 250 {
		return false
	}
	switch s[len(s)-1] {
	case '.', ':', ';', ',':
		return false
	}
	return true
}

// fillArticle reads an article's body lines into its lead text, clauses
// and points. Clause numbers must run 1, 2, 3… and point letters a, b, c…
// so that a sentence that happens to begin with a number stays text.
func fillArticle(art *Node, lines []string) {
	var lead []string
	var clause *Node
	var point *Node
	addText := func(s string) {
		switch {
		case point != nil:
			point.Text = joinPara(point.Text, s)
		case clause != nil:
			clause.Text = joinPara(clause.Text, s)
		default:
			lead = append(lead, s)
		}
	}
	nextClause := 1
	for _, ln := range lines {
		if m := reClause.FindStringSubmatch(ln); m != nil {
			if num, _ := strconv.Atoi(m[1]); num == nextClause {
				flushPoint(clauseOrArticle(art, clause), &point)
				flushClause(art, &clause)
				nextClause++
				clause = &Node{Kind: NodeKhoan, Label: m[1], Text: m[2], Anchor: ClauseAnchor(art.Anchor, m[1])}
				continue
			}
		}
		if m := rePoint.FindStringSubmatch(ln); m != nil {
			parent := clauseOrArticle(art, clause)
			if pointRank[m[1]] == lastPointRank(parent, point)+1 {
				flushPoint(parent, &point)
				point = &Node{Kind: NodeDiem, Label: m[1], Text: m[2], Anchor: PointAnchor(parent.Anchor, m[1])}
				continue
			}
		}
		addText(ln)
	}
	flushPoint(clauseOrArticle(art, clause), &point)
	flushClause(art, &clause)
	art.Text = strings.Join(lead, "\n")
}

func clauseOrArticle(art, clause *Node) *Node {
	if clause != nil {
		return clause
	}
	return art
}

func lastPointRank(parent, open *Node) int {
	if open != nil {
		return pointRank[open.Label]
	}
	if n := len(parent.Children); n > 0 && parent.Children[n-1].Kind == NodeDiem {
		return pointRank[parent.Children[n-1].Label]
	}
	return 0
}

func flushPoint(parent *Node, p **Node) {
	if *p != nil {
		parent.Children = append(parent.Children, **p)
		*p = nil
	}
}

func flushClause(art *Node, c **Node) {
	if *c != nil {
		art.Children = append(art.Children, **c)
		*c = nil
	}
}

func joinPara(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// lookAlikes are letters that typists use for Vietnamese ones: the
// Icelandic eth (Ð U+00D0) looks like Đ (U+0110) but is another letter, so
// "Ðiều 317" would not be read as an article.
var lookAlikes = strings.NewReplacer("\u00d0", "Đ", "\u00f0", "đ", "\r", "")

func splitLines(s string) []string {
	var out []string
	for _, ln := range strings.Split(lookAlikes.Replace(s), "\n") {
		ln = strings.Join(strings.Fields(ln), " ")
		if ln != "" {
			out = append(out, ln)
		}
	}
	return out
}

// ClauseAnchor is the anchor of clause label under an article's anchor:
// "dieu-5/khoan-2".
func ClauseAnchor(article, label string) string { return article + "/khoan-" + label }

// PointAnchor is the anchor of point label under a clause's (or an
// article's) anchor: "dieu-5/khoan-2/diem-dd" for point đ).
func PointAnchor(parent, label string) string { return parent + "/diem-" + anchorLabel(label) }

// ArticleAnchor is the article part of an anchor: "dieu-5" of
// "dieu-5/khoan-2/diem-a".
func ArticleAnchor(anchor string) string {
	article, _, _ := strings.Cut(anchor, "/")
	return article
}

// anchorLabel makes a label safe for an anchor. "đ" becomes "dd" so that
// point đ) does not share point d)'s anchor.
func anchorLabel(l string) string {
	return Slug(strings.NewReplacer("đ", "dd", "Đ", "dd").Replace(l))
}

// ParseLawText parses the full text of a law — as a crawler reads it from a
// page, one paragraph a line — into its structure: parts, chapters,
// sections, articles, clauses and points. Text before the first element
// becomes the preamble; an error is returned when no article is found.
//
// What follows the last article — the adoption formula, recipients and
// signature, then any annex — becomes a NodeClosing and a NodeAppendix at
// the end, so that the signature is not read as part of the last clause.
func ParseLawText(text string) ([]Node, error) {
	var lines []string
	for _, ln := range splitLines(NFC(text)) {
		if !reSeparator.MatchString(ln) {
			lines = append(lines, ln)
		}
	}
	lines, closing, appendix := splitClosing(lines)
	var (
		root     []Node
		preamble []string
		part     *Node
		chapter  *Node
		section  *Node
		article  *Node
		artLines []string
		pending  *Node // a structural node whose heading is on the next line
		seen     = map[string]int{}
		articles int
	)
	unique := func(a string) string {
		seen[a]++
		if seen[a] > 1 {
			return fmt.Sprintf("%s-%d", a, seen[a])
		}
		return a
	}
	closeArticle := func() {
		if article == nil {
			return
		}
		fillArticle(article, artLines)
		artLines = nil
		dst := &root
		switch {
		case section != nil:
			dst = &section.Children
		case chapter != nil:
			dst = &chapter.Children
		case part != nil:
			dst = &part.Children
		}
		*dst = append(*dst, *article)
		article = nil
	}
	closeSection := func() {
		closeArticle()
		if section == nil {
			return
		}
		if chapter != nil {
			chapter.Children = append(chapter.Children, *section)
		} else if part != nil {
			part.Children = append(part.Children, *section)
		} else {
			root = append(root, *section)
		}
		section = nil
	}
	closeChapter := func() {
		closeSection()
		if chapter == nil {
			return
		}
		if part != nil {
			part.Children = append(part.Children, *chapter)
		} else {
			root = append(root, *chapter)
		}
		chapter = nil
	}
	closePart := func() {
		closeChapter()
		if part != nil {
			root = append(root, *part)
			part = nil
		}
	}
	for _, ln := range lines {
		if pending != nil {
			p := pending
			pending = nil
			if !isStructural(ln) {
				p.Heading = ln
				continue
			}
		}
		// Once an article stands outside any part or chapter, the text has
		// none: a later "Chương I" is a heading inside an annexed table.
		flat := articles > 0 && part == nil && chapter == nil
		if m := rePart.FindStringSubmatch(ln); m != nil && !flat && isHeadingCase(m[2]) {
			closePart()
			part = &Node{Kind: NodePhan, Label: m[1], Heading: m[2]}
			part.Anchor = unique("phan-" + anchorLabel(m[1]))
			if m[2] == "" {
				pending = part
			}
			continue
		}
		if m := reChapter.FindStringSubmatch(ln); m != nil && !flat && isHeadingCase(m[2]) {
			closeChapter()
			chapter = &Node{Kind: NodeChuong, Label: m[1], Heading: m[2]}
			chapter.Anchor = unique("chuong-" + anchorLabel(m[1]))
			if m[2] == "" {
				pending = chapter
			}
			continue
		}
		if m := reSection.FindStringSubmatch(ln); m != nil && chapter != nil && isHeadingCase(m[2]) {
			closeSection()
			section = &Node{Kind: NodeMuc, Label: m[1], Heading: m[2]}
			section.Anchor = unique(chapter.Anchor + "/muc-" + anchorLabel(m[1]))
			if m[2] == "" {
				pending = section
			}
			continue
		}
		if m := reArticle.FindStringSubmatch(ln); m != nil {
			closeArticle()
			articles++
			article = &Node{Kind: NodeDieu, Label: m[1], Heading: m[2]}
			article.Anchor = unique("dieu-" + anchorLabel(m[1]))
			if m[2] != "" && !looksLikeHeading(m[2]) {
				// A decision's article has no heading: "Điều 1. Phê duyệt …
				// như sau:" starts its text.
				article.Heading = ""
				artLines = append(artLines, m[2])
			}
			continue
		}
		if article != nil {
			artLines = append(artLines, ln)
		} else if part == nil && chapter == nil {
			preamble = append(preamble, ln)
		} else {
			// Text between a heading and the first article: keep it with
			// the innermost open element.
			for _, n := range []*Node{section, chapter, part} {
				if n != nil {
					n.Text = joinPara(n.Text, ln)
					break
				}
			}
		}
	}
	closePart()
	if articles == 0 {
		return nil, fmt.Errorf("corpus: no article (Điều) found in %d lines of text", len(lines))
	}
	if len(preamble) > 0 {
		root = append([]Node{{Kind: NodePreamble, Anchor: "mo-dau", Text: strings.Join(preamble, "\n")}}, root...)
	}
	if len(closing) > 0 {
		root = append(root, Node{Kind: NodeClosing, Anchor: "ket-thuc", Text: strings.Join(closing, "\n")})
	}
	if len(appendix) > 0 {
		root = append(root, Node{Kind: NodeAppendix, Anchor: "phu-luc", Text: strings.Join(appendix, "\n")})
	}
	return root, nil
}

var (
	// reSeparator is a rule drawn with characters: "____", "-------".
	reSeparator = regexp.MustCompile(`^[_\-–—=*~]{2,}$`)
	// reAdoption is the formula closing a law: "Bộ luật này đã được Quốc
	// hội … thông qua ngày …".
	reAdoption   = regexp.MustCompile(`^(?i:bản\s+)?(?i:hiến pháp|bộ luật|luật|pháp lệnh|nghị quyết)\s+này\s+(?:đã\s+)?được\s+.{0,300}thông qua`)
	reRecipients = regexp.MustCompile(`^(?i:nơi nhận)\s*:?`)
	// reSignature starts a signature block: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH".
	reSignature = regexp.MustCompile(`^(?:TM|KT|TL|TUQ|Q)\.?\s+\p{Lu}`)
	reListLine  = regexp.MustCompile(`^[-+•*]\s*`)
	reSigned    = regexp.MustCompile(`^\((?i:đã ký|đã ký và đóng dấu)\)$`)
)

// splitClosing cuts off what follows the last article: it starts at the
// first adoption formula, recipients list or signature after the last
// "Điều" line, and runs to the signer's name; what comes after the name is
// the appendix.
func splitClosing(lines []string) (body, closing, appendix []string) {
	last := -1
	for i, ln := range lines {
		if reArticle.MatchString(ln) {
			last = i
		}
	}
	if last < 0 {
		return lines, nil, nil
	}
	start := -1
	for i := last + 1; i < len(lines); i++ {
		ln := lines[i]
		if reAdoption.MatchString(ln) || reRecipients.MatchString(ln) || reSignature.MatchString(ln) {
			start = i
			break
		}
	}
	if start < 0 {
		return lines, nil, nil
	}
	end := len(lines)
	upperBefore := false
	for i := start; i < len(lines); i++ {
		ln := lines[i]
		switch {
		case i == start, reAdoption.MatchString(ln), reRecipients.MatchString(ln), reSignature.MatchString(ln),
			reListLine.MatchString(ln), reSigned.MatchString(ln):
			upperBefore = isUpperLine(ln)
			continue
		case isUpperLine(ln) && len(strings.Fields(ln)) <= 12:
			upperBefore = true
			continue
		case upperBefore && isPersonName(ln):
			end = i + 1
		default:
			end = i
		}
		break
	}
	return lines[:start], lines[start:end], lines[end:]
}

func isUpperLine(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters > 0
}

// isPersonName tells a signer's name ("Nguyễn Sinh Hùng"): two to six
// capitalised words and nothing else.
func isPersonName(s string) bool {
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 6 {
		return false
	}
	for _, w := range words {
		for i, r := range w {
			if !unicode.IsLetter(r) || (i == 0) != unicode.IsUpper(r) {
				return false
			}
		}
	}
	return true
}

func isStructural(ln string) bool {
	return reArticle.MatchString(ln) || reChapter.MatchString(ln) || rePart.MatchString(ln) || reSection.MatchString(ln)
}

// isHeadingCase guards against sentences that begin with "Chương" or "Phần":
// a real heading's rest is empty or starts with a capital letter.
func isHeadingCase(rest string) bool {
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}
