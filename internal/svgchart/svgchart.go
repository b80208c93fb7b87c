// Package svgchart fits the charts that github.com/go-analyze/charts
// draws on the server to go inside a page: the site's
// Content-Security-Policy (style-src 'self') refuses style attributes,
// so each becomes the presentation attributes it holds; the root gets an
// accessible name (role img and a title), a class and an id, and loses
// its fixed size; anything that is not then one well-formed svg element
// is refused. The feedback statistics and the congress dashboard share it.
package svgchart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"regexp"
	"strings"

	"github.com/go-analyze/charts"
)

var (
	styleAttr = regexp.MustCompile(` style="([^"]*)"`)
	sizeAttr  = regexp.MustCompile(` (width|height)="[^"]*"`)
)

// properties are the style properties of the charts that SVG also takes
// as presentation attributes; any other is dropped.
var properties = map[string]bool{
	"fill": true, "fill-opacity": true, "stroke": true, "stroke-width": true, "stroke-opacity": true,
	"stroke-dasharray": true, "stroke-linecap": true, "stroke-linejoin": true, "opacity": true,
	"font-size": true, "font-family": true, "font-weight": true, "font-style": true, "text-anchor": true,
	"dominant-baseline": true,
}

// Render draws p's chart and inlines it (see Inline).
func Render(p *charts.Painter, id, title, class string) (template.HTML, error) {
	b, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("chart %s: %w", id, err)
	}
	return Inline(b, id, title, class)
}

// Inline makes svg fit to put inside a page, named by title, with the
// given id and class (see the package doc).
func Inline(svg []byte, id, title, class string) (template.HTML, error) {
	s := styleAttr.ReplaceAllStringFunc(string(svg), func(m string) string {
		var b strings.Builder
		for _, decl := range strings.Split(html.UnescapeString(styleAttr.FindStringSubmatch(m)[1]), ";") {
			k, v, ok := strings.Cut(decl, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if ok && properties[k] && v != "" {
				b.WriteString(" " + k + `="` + html.EscapeString(v) + `"`)
			}
		}
		return b.String()
	})
	end := strings.IndexByte(s, '>')
	if !strings.HasPrefix(s, "<svg ") || end < 0 {
		return "", errors.New("chart: not an SVG document")
	}
	s = sizeAttr.ReplaceAllString(s[:end], "") + ` role="img" aria-labelledby="` + html.EscapeString(id) + `-t" class="` +
		html.EscapeString(class) + `" id="` + html.EscapeString(id) + `"><title id="` + html.EscapeString(id) + `-t">` +
		html.EscapeString(title) + `</title>` + s[end+1:]
	if err := oneSVG(s); err != nil {
		return "", fmt.Errorf("chart %s: %w", id, err)
	}
	return template.HTML(s), nil
}

// WholeNumber labels an axis of counts: no fractions of an item.
func WholeNumber(v float64) string {
	if v != float64(int64(v)) {
		return ""
	}
	return fmt.Sprintf("%d", int64(v))
}

// oneSVG checks that s is one whole XML element named svg.
func oneSVG(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; t.Name.Local != "svg" {
					return fmt.Errorf("root element %s, want svg", t.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text outside the svg element")
			}
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("%d root elements", roots)
	}
	return nil
}
