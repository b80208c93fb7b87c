package feedback

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
	"time"
	"unicode/utf8"

	"github.com/go-analyze/charts"
)

// The statistics page's charts, drawn on the server as SVG (go-analyze/
// charts): no script and no network, on a phone too. The SVG is put in
// the page itself, sized by its viewBox to the width of the column.

// The charts' size in SVG units: the width of a phone, so that their text
// is read at about its size there.
const (
	chartWidth  = 360
	chartHeight = 240
	// topicBars bounds the topics the chart shows, the most items first.
	topicBars = 8
	// weekLabels is how many weeks' labels fit across the chart: up to
	// it every week is labelled, past it the chart chooses.
	weekLabels = 8
	// maxChartLabel bounds a topic's label on the chart, in characters.
	maxChartLabel = 18
)

var chartFont = charts.FontStyle{FontSize: 11}

// weeklyChart draws the items received and answered week by week; "" when
// the period holds nothing at all.
func weeklyChart(weeks []WeekTally) (template.HTML, error) {
	received := make([]float64, len(weeks))
	answered := make([]float64, len(weeks))
	labels := make([]string, len(weeks))
	any := false
	for i, w := range weeks {
		received[i], answered[i] = float64(w.Received), float64(w.Answered)
		any = any || w.Received > 0 || w.Answered > 0
		if t, err := time.Parse(time.DateOnly, w.Start); err == nil {
			labels[i] = t.Format("02/01")
		}
	}
	if !any {
		return "", nil
	}
	opt := charts.NewLineChartOptionWithData([][]float64{received, answered})
	opt.Padding = charts.Box{Top: 8, Right: 12, Bottom: 8, Left: 8}
	opt.XAxis.Labels = labels
	opt.XAxis.LabelFontStyle = chartFont
	if len(labels) <= weekLabels {
		opt.XAxis.LabelCount = len(labels)
	}
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: wholeNumber}}
	opt.Legend = charts.LegendOption{SeriesNames: []string{"Tiếp nhận", "Đã trả lời"}, FontStyle: chartFont}
	opt.LineStrokeWidth = 2
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: chartHeight})
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("feedback: weekly chart: %w", err)
	}
	return renderSVG(p, "bieu-do-tuan", "Số phản ánh tiếp nhận và đã trả lời theo tuần")
}

// topicChart draws the topics with the most items received, as bars;
// topics comes sorted, the most first, and without the empty ones.
func topicChart(topics []TopicCount) (template.HTML, error) {
	if len(topics) == 0 {
		return "", nil
	}
	topics = topics[:min(len(topics), topicBars)]
	// The chart draws its first category at the bottom: the largest goes
	// last, to stand on top.
	values := make([]float64, len(topics))
	labels := make([]string, len(topics))
	for i, t := range topics {
		j := len(topics) - 1 - i
		values[j] = float64(t.Count)
		labels[j] = shorten(t.Name, maxChartLabel)
	}
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Horizontal = true
	opt.Padding = charts.Box{Top: 8, Right: 16, Bottom: 8, Left: 8}
	opt.CategoryAxis.Labels = labels
	opt.CategoryAxis.LabelFontStyle = chartFont
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: wholeNumber}}
	opt.ValueFormatter = wholeNumber
	opt.SeriesLabelPosition = charts.PositionRight
	opt.SeriesList[0].Label.Show = charts.Ptr(true)
	opt.SeriesList[0].Label.FontStyle = chartFont
	height := max(120, 48+26*len(topics))
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: height})
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("feedback: topic chart: %w", err)
	}
	return renderSVG(p, "bieu-do-linh-vuc", "Số phản ánh theo lĩnh vực")
}

// wholeNumber labels an axis of counts: no fractions of an item.
func wholeNumber(v float64) string {
	if v != float64(int64(v)) {
		return ""
	}
	return fmt.Sprintf("%d", int64(v))
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}

func renderSVG(p *charts.Painter, id, title string) (template.HTML, error) {
	b, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("feedback: chart %s: %w", id, err)
	}
	return inlineSVG(b, id, title)
}

// styleAttr is a style attribute of the charts' SVG.
var styleAttr = regexp.MustCompile(` style="([^"]*)"`)

// presentation are the style properties the charts use that SVG also takes
// as attributes.
var presentation = map[string]bool{
	"fill": true, "fill-opacity": true, "stroke": true, "stroke-width": true, "stroke-opacity": true,
	"stroke-dasharray": true, "stroke-linecap": true, "stroke-linejoin": true, "opacity": true,
	"font-size": true, "font-family": true, "font-weight": true, "font-style": true, "text-anchor": true,
	"dominant-baseline": true,
}

// inlineSVG makes the charts' SVG fit to put inside a page: the site's
// Content-Security-Policy (style-src 'self') refuses style attributes, so
// each becomes the presentation attributes it holds, which are not
// styles; the root gets an accessible name (role img, a title) and no
// fixed size. It refuses anything that is not then well-formed XML with
// an svg root.
func inlineSVG(svg []byte, id, title string) (template.HTML, error) {
	s := styleAttr.ReplaceAllStringFunc(string(svg), func(m string) string {
		decl := styleAttr.FindStringSubmatch(m)[1]
		var b strings.Builder
		for _, d := range strings.Split(html.UnescapeString(decl), ";") {
			k, v, ok := strings.Cut(d, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || !presentation[k] || v == "" {
				continue
			}
			b.WriteString(" " + k + `="` + html.EscapeString(v) + `"`)
		}
		return b.String()
	})
	open := strings.Index(s, "<svg ")
	end := strings.IndexByte(s, '>')
	if open != 0 || end < 0 {
		return "", errors.New("feedback: chart: not an SVG document")
	}
	head := s[:end]
	head = regexp.MustCompile(` (width|height)="[^"]*"`).ReplaceAllString(head, "")
	s = head + ` role="img" aria-labelledby="` + id + `-t" class="tk-chart" id="` + id + `"><title id="` + id + `-t">` +
		html.EscapeString(title) + `</title>` + s[end+1:]
	if err := wellFormed(s); err != nil {
		return "", fmt.Errorf("feedback: chart %s: %w", id, err)
	}
	return template.HTML(s), nil
}

// wellFormed checks that s is one XML element named svg, whole.
func wellFormed(s string) error {
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
				roots++
				if t.Name.Local != "svg" {
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
