package congress

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

	"github.com/go-analyze/charts"
)

// The dashboard's charts, drawn on the server as SVG (go-analyze/charts)
// and put in the page itself: no script, no network, sized to a phone's
// column by their viewBox.

const (
	chartWidth  = 360
	chartHeight = 220
	// timelineLabels is how many dates fit under the timeline.
	timelineLabels = 6
)

var chartFont = charts.FontStyle{FontSize: 11}

// statusChart draws the congresses of a scope by status, as bars.
func statusChart(sum Summary) (template.HTML, error) {
	if sum.Expected == 0 {
		return "", nil
	}
	// The chart draws its first category at the bottom.
	labels := []string{Postponed.Label(), Planned.Label(), Preparing.Label(), Held.Label()}
	values := []float64{float64(sum.Postponed), float64(sum.Planned), float64(sum.Preparing), float64(sum.Held)}
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Horizontal = true
	opt.Padding = charts.Box{Top: 8, Right: 24, Bottom: 8, Left: 8}
	opt.CategoryAxis.Labels = labels
	opt.CategoryAxis.LabelFontStyle = chartFont
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: wholeNumber}}
	opt.ValueFormatter = wholeNumber
	opt.SeriesLabelPosition = charts.PositionRight
	opt.SeriesList[0].Label.Show = charts.Ptr(true)
	opt.SeriesList[0].Label.FontStyle = chartFont
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: 180})
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("congress: status chart: %w", err)
	}
	return renderSVG(p, "bieu-do-trang-thai", "Số đại hội theo trạng thái")
}

// timelineChart draws the congresses held so far, added up day by day
// from the first.
func timelineChart(days []DayCount) (template.HTML, error) {
	if len(days) == 0 {
		return "", nil
	}
	first, err := time.Parse(dateLayout, days[0].Date)
	if err != nil {
		return "", err
	}
	last, err := time.Parse(dateLayout, days[len(days)-1].Date)
	if err != nil {
		return "", err
	}
	held := map[string]int{}
	for _, d := range days {
		held[d.Date] = d.Held
	}
	var values []float64
	var labels []string
	total := 0
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		total += held[d.Format(dateLayout)]
		values = append(values, float64(total))
		labels = append(labels, d.Format("02/01"))
	}
	if len(values) == 1 {
		// A line needs two points: the day before, with none.
		values = append([]float64{0}, values...)
		labels = append([]string{first.AddDate(0, 0, -1).Format("02/01")}, labels...)
	}
	opt := charts.NewLineChartOptionWithData([][]float64{values})
	opt.Padding = charts.Box{Top: 8, Right: 16, Bottom: 8, Left: 8}
	opt.XAxis.Labels = labels
	opt.XAxis.LabelFontStyle = chartFont
	if len(labels) <= timelineLabels {
		opt.XAxis.LabelCount = len(labels)
	} else {
		opt.XAxis.LabelCount = timelineLabels
	}
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: wholeNumber}}
	opt.LineStrokeWidth = 2
	opt.Symbol = charts.Symbol{Shape: charts.SymbolNone}
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: chartHeight})
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("congress: timeline chart: %w", err)
	}
	return renderSVG(p, "bieu-do-tien-do", "Số đại hội đã tổ chức, cộng dồn theo ngày")
}

// wholeNumber labels an axis of counts.
func wholeNumber(v float64) string {
	if v != float64(int64(v)) {
		return ""
	}
	return fmt.Sprintf("%d", int64(v))
}

func renderSVG(p *charts.Painter, id, title string) (template.HTML, error) {
	b, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("congress: chart %s: %w", id, err)
	}
	return inlineSVG(b, id, title)
}

var (
	styleAttr = regexp.MustCompile(` style="([^"]*)"`)
	sizeAttr  = regexp.MustCompile(` (width|height)="[^"]*"`)
)

// svgProperties are the style properties of the charts that SVG also
// takes as presentation attributes.
var svgProperties = map[string]bool{
	"fill": true, "fill-opacity": true, "stroke": true, "stroke-width": true, "stroke-opacity": true,
	"stroke-dasharray": true, "stroke-linecap": true, "stroke-linejoin": true, "opacity": true,
	"font-size": true, "font-family": true, "font-weight": true, "font-style": true, "text-anchor": true,
	"dominant-baseline": true,
}

// inlineSVG fits a chart to go inside a page under the site's
// Content-Security-Policy, which refuses style attributes: each becomes
// the presentation attributes it holds. The root gets a name (role img
// and a title) and loses its fixed size; anything that is not then one
// well-formed svg element is refused.
func inlineSVG(svg []byte, id, title string) (template.HTML, error) {
	s := styleAttr.ReplaceAllStringFunc(string(svg), func(m string) string {
		var b strings.Builder
		for _, decl := range strings.Split(html.UnescapeString(styleAttr.FindStringSubmatch(m)[1]), ";") {
			k, v, ok := strings.Cut(decl, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if ok && svgProperties[k] && v != "" {
				b.WriteString(" " + k + `="` + html.EscapeString(v) + `"`)
			}
		}
		return b.String()
	})
	end := strings.IndexByte(s, '>')
	if !strings.HasPrefix(s, "<svg ") || end < 0 {
		return "", errors.New("congress: chart: not an SVG document")
	}
	s = sizeAttr.ReplaceAllString(s[:end], "") + ` role="img" aria-labelledby="` + id + `-t" class="dh-chart" id="` + id + `"><title id="` +
		id + `-t">` + html.EscapeString(title) + `</title>` + s[end+1:]
	if err := oneSVG(s); err != nil {
		return "", fmt.Errorf("congress: chart %s: %w", id, err)
	}
	return template.HTML(s), nil
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
