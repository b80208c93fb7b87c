package congress

import (
	"fmt"
	"html/template"
	"time"

	"github.com/go-analyze/charts"

	"github.com/mattranso/mattranso/internal/svgchart"
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
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: svgchart.WholeNumber}}
	opt.ValueFormatter = svgchart.WholeNumber
	opt.SeriesLabelPosition = charts.PositionRight
	opt.SeriesList[0].Label.Show = charts.Ptr(true)
	opt.SeriesList[0].Label.FontStyle = chartFont
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: 180})
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("congress: status chart: %w", err)
	}
	return svgchart.Render(p, "bieu-do-trang-thai", "Số đại hội theo trạng thái", "dh-chart")
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
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0), LabelFontStyle: chartFont, ValueFormatter: svgchart.WholeNumber}}
	opt.LineStrokeWidth = 2
	opt.Symbol = charts.Symbol{Shape: charts.SymbolNone}
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: chartHeight})
	if err := p.LineChart(opt); err != nil {
		return "", fmt.Errorf("congress: timeline chart: %w", err)
	}
	return svgchart.Render(p, "bieu-do-tien-do", "Số đại hội đã tổ chức, cộng dồn theo ngày", "dh-chart")
}
