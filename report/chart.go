package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-analyze/charts"
)

// The roll-up page's charts, drawn on the server as SVG by go-analyze/
// charts: no script and no network, on a phone too. Each SVG is rebuilt
// token by token before it goes into the page (safeSVG): only drawing
// elements and attributes pass, and style attributes, which the site's
// Content-Security-Policy (style-src 'self') refuses inline, become the
// presentation attributes they hold.

// The charts' width in SVG units: a phone's, so that their text reads at
// about its size there.
const (
	chartWidth = 360
	// maxBars bounds the bars of the completion chart: past it, the units
	// with the lowest completion are shown (the table holds them all).
	maxBars = 40
	// maxBarLabel bounds a unit's name on the chart, in characters.
	maxBarLabel = 20
	// trendLabels is how many weeks' labels fit across the chart.
	trendLabels = 8
)

var chartFont = charts.FontStyle{FontSize: 11}

// barItem is one bar of the completion chart: a unit below and the share
// of its expected reports received, in percent.
type barItem struct {
	Label   string
	Percent float64
}

// trendPoint is one period of the trend chart: completeness and
// timeliness in percent.
type trendPoint struct {
	Label           string
	Percent, OnTime float64
}

// completionChart draws the completion of each unit below as horizontal
// bars, 0 to 100 %; "" when there is none. Past maxBars, the lowest are
// kept (the second result says so).
func completionChart(items []barItem) (template.HTML, bool, error) {
	if len(items) == 0 {
		return "", false, nil
	}
	cut := false
	if len(items) > maxBars {
		items = slices.Clone(items)
		slices.SortStableFunc(items, func(a, b barItem) int {
			switch {
			case a.Percent < b.Percent:
				return -1
			case a.Percent > b.Percent:
				return 1
			}
			return 0
		})
		items, cut = items[:maxBars], true
	}
	// The chart draws its first category at the bottom: the list is
	// turned over so that it reads from the top as the table does.
	values := make([]float64, len(items))
	labels := make([]string, len(items))
	for i, it := range items {
		j := len(items) - 1 - i
		values[j] = clampPercent(it.Percent)
		labels[j] = shorten(it.Label, maxBarLabel)
	}
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Horizontal = true
	// Room on the right for a full bar's label, 100.
	opt.Padding = charts.Box{Top: 8, Right: 40, Bottom: 8, Left: 8}
	opt.CategoryAxis.Labels = labels
	opt.CategoryAxis.LabelFontStyle = chartFont
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(100.0), Unit: 50,
		LabelFontStyle: chartFont, ValueFormatter: percentLabel}}
	opt.ValueFormatter = percentLabel
	opt.SeriesLabelPosition = charts.PositionRight
	opt.SeriesList[0].Label.Show = charts.Ptr(true)
	opt.SeriesList[0].Label.FontStyle = chartFont
	opt.SeriesList[0].Label.ValueFormatter = percentLabel
	height := max(120, 48+22*len(items))
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: height})
	if err := p.BarChart(opt); err != nil {
		return "", false, fmt.Errorf("report: completion chart: %w", err)
	}
	svg, err := p.Bytes()
	if err != nil {
		return "", false, fmt.Errorf("report: completion chart: %w", err)
	}
	title := "Tỷ lệ báo cáo của các đơn vị cấp dưới (%)"
	if cut {
		title = fmt.Sprintf("Tỷ lệ báo cáo của %d đơn vị cấp dưới thấp nhất (%%)", maxBars)
	}
	h, err := safeSVG(svg, "bieu-do-ty-le", title)
	return h, cut, err
}

// trendChart draws completeness and timeliness period by period, 0 to
// 100 %; "" for fewer than two periods, which make no line.
func trendChart(points []trendPoint) (template.HTML, error) {
	if len(points) < 2 {
		return "", nil
	}
	done := make([]float64, len(points))
	onTime := make([]float64, len(points))
	labels := make([]string, len(points))
	for i, pt := range points {
		done[i], onTime[i], labels[i] = clampPercent(pt.Percent), clampPercent(pt.OnTime), pt.Label
	}
	opt := charts.NewLineChartOptionWithData([][]float64{done, onTime})
	opt.Padding = charts.Box{Top: 8, Right: 12, Bottom: 8, Left: 8}
	opt.XAxis.Labels = labels
	opt.XAxis.LabelFontStyle = chartFont
	if len(labels) <= trendLabels {
		opt.XAxis.LabelCount = len(labels)
	}
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(100.0), Unit: 25,
		LabelFontStyle: chartFont, ValueFormatter: percentLabel}}
	opt.Legend = charts.LegendOption{SeriesNames: []string{"Đã báo cáo", "Đúng hạn"}, FontStyle: chartFont}
	opt.LineStrokeWidth = 2
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: 240})
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("report: trend chart: %w", err)
	}
	svg, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("report: trend chart: %w", err)
	}
	return safeSVG(svg, "bieu-do-xu-huong", "Tỷ lệ báo cáo và báo cáo đúng hạn theo kỳ (%)")
}

func clampPercent(x float64) float64 {
	if x != x || x < 0 { // NaN too
		return 0
	}
	return min(x, 100)
}

// percentLabel labels a percentage as Vietnamese writes it: 33,3.
func percentLabel(v float64) string { return vnDecimal(v, 1) }

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}

// svgElements are the elements a chart may hold; anything else (a script,
// a foreignObject, an image that would fetch) ends the rebuild with an
// error rather than being dropped unseen.
var svgElements = map[string]bool{
	"svg": true, "g": true, "path": true, "rect": true, "circle": true, "ellipse": true, "line": true,
	"polyline": true, "polygon": true, "text": true, "tspan": true, "title": true, "desc": true,
}

// svgAttributes are the geometry and presentation attributes kept;
// others are dropped.
var svgAttributes = map[string]bool{
	"viewBox": true, "d": true, "x": true, "y": true, "x1": true, "y1": true, "x2": true, "y2": true,
	"cx": true, "cy": true, "r": true, "rx": true, "ry": true, "width": true, "height": true, "points": true,
	"dx": true, "dy": true, "transform": true,
	"fill": true, "fill-opacity": true, "stroke": true, "stroke-width": true, "stroke-opacity": true,
	"stroke-dasharray": true, "stroke-linecap": true, "stroke-linejoin": true, "opacity": true,
	"font-size": true, "font-family": true, "font-weight": true, "font-style": true, "text-anchor": true,
	"dominant-baseline": true,
}

// plainValue reports whether an attribute's value is geometry, a number,
// a colour or a font: no reference to anything outside (url(…)), no
// escapes.
func plainValue(v string) bool {
	if strings.Contains(strings.ToLower(v), "url") {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" \n.,-#%'()", r)) {
			return false
		}
	}
	return true
}

// safeSVG rebuilds a chart's SVG for the page: the kept elements and
// attributes only, every style attribute turned into the presentation
// attributes it holds, text escaped anew; the root without its fixed
// size (the page's CSS fits it to the column, by its viewBox), named for
// assistive technology by a title.
func safeSVG(svg []byte, id, title string) (template.HTML, error) {
	d := xml.NewDecoder(bytes.NewReader(svg))
	var b strings.Builder
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("report: chart %s: %w", id, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if depth == 0 {
				roots++
			}
			if !svgElements[name] || (depth == 0) != (name == "svg") || roots > 1 {
				return "", fmt.Errorf("report: chart %s: element %s not allowed here", id, name)
			}
			b.WriteString("<" + name)
			if depth == 0 {
				b.WriteString(` xmlns="http://www.w3.org/2000/svg"`)
			}
			attrs := map[string]string{}
			var order []string
			set := func(k, v string) {
				if !svgAttributes[k] || v == "" || !plainValue(v) {
					return
				}
				if _, ok := attrs[k]; !ok {
					order = append(order, k)
				}
				attrs[k] = v
			}
			for _, a := range t.Attr {
				k := a.Name.Local
				if a.Name.Space != "" && a.Name.Space != "xmlns" {
					continue
				}
				if k == "style" {
					for _, decl := range strings.Split(a.Value, ";") {
						pk, pv, ok := strings.Cut(decl, ":")
						if ok && plainValue(pv) {
							set(strings.TrimSpace(pk), strings.TrimSpace(pv))
						}
					}
					continue
				}
				if depth == 0 && (k == "width" || k == "height") {
					continue
				}
				set(k, a.Value)
			}
			for _, k := range order {
				b.WriteString(" " + k + `="` + template.HTMLEscapeString(attrs[k]) + `"`)
			}
			if depth == 0 {
				b.WriteString(` role="img" aria-labelledby="` + id + `-t" class="bc-chart" id="` + id + `"><title id="` +
					id + `-t">` + template.HTMLEscapeString(title) + `</title>`)
			} else {
				b.WriteString(">")
			}
			depth++
		case xml.EndElement:
			depth--
			b.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			if depth == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return "", fmt.Errorf("report: chart %s: text outside the svg element", id)
				}
				continue
			}
			b.WriteString(template.HTMLEscapeString(string(t)))
		case xml.ProcInst, xml.Comment, xml.Directive:
			// The XML declaration and comments are not part of the drawing.
		}
	}
	if depth != 0 || b.Len() == 0 {
		return "", errors.New("report: chart " + id + ": not one whole svg element")
	}
	return template.HTML(b.String()), nil
}
