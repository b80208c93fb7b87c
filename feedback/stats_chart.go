package feedback

import (
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-analyze/charts"

	"github.com/mattranso/mattranso/internal/svgchart"
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
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: svgchart.WholeNumber}}
	opt.Legend = charts.LegendOption{SeriesNames: []string{"Tiếp nhận", "Đã trả lời"}, FontStyle: chartFont}
	opt.LineStrokeWidth = 2
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: chartHeight})
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("feedback: weekly chart: %w", err)
	}
	return svgchart.Render(p, "bieu-do-tuan", "Số phản ánh tiếp nhận và đã trả lời theo tuần", "tk-chart")
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
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: svgchart.WholeNumber}}
	opt.ValueFormatter = svgchart.WholeNumber
	opt.SeriesLabelPosition = charts.PositionRight
	opt.SeriesList[0].Label.Show = charts.Ptr(true)
	opt.SeriesList[0].Label.FontStyle = chartFont
	height := max(120, 48+26*len(topics))
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: height})
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("feedback: topic chart: %w", err)
	}
	return svgchart.Render(p, "bieu-do-linh-vuc", "Số phản ánh theo lĩnh vực", "tk-chart")
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}
