package feedback

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/internal/sheet"
)

// The exports of the statistics: the same tables as CSV (one a file,
// chosen by ?table=) and as XLSX (every table, a sheet each). A cell of
// text that a spreadsheet would read as a formula (starting with = + - @,
// a tab or a carriage return) is written with a leading apostrophe, so
// that a commune or topic name can never run as one.

// exportTable is one table of the exports.
type exportTable struct {
	key   string // ?table=
	sheet string // the XLSX sheet's name (at most 31 characters)
	label string // how the page names it
	build func(f *Figures) table
}

// table is a header and rows; a cell is a string, an int, a float64, a
// *float64 (nil is empty) or a percent.
type table struct {
	header []string
	rows   [][]any
	// widths are the XLSX columns' widths, from the first.
	widths []float64
	// marked are the cells to highlight in XLSX, by row and column.
	marked map[[2]int]bool
}

// percent is a fraction shown as a percentage: 0.857 is 85.7 % (CSV
// writes 85.7).
type percent *float64

var exportTables = []exportTable{
	{"summary", "Tổng hợp", "tổng hợp", summaryTable},
	{"unit", "Theo đơn vị", "theo đơn vị", unitTable},
	{"topic", "Theo lĩnh vực", "theo lĩnh vực", topicTable},
	{"commune_topic", "Xã × lĩnh vực", "xã × lĩnh vực", areaExport},
	{"week", "Theo tuần", "theo tuần", weekTable},
}

// tallyHeader are the columns of a Tally.
var tallyHeader = []string{"Tiếp nhận (received)", "Đã trả lời (answered)", "Đến hạn (due)", "Đúng hạn (on time)",
	"Trễ hạn (late)", "Trễ hạn chưa trả lời (late, open)", "Chưa đến hạn (not yet due)", "Tỷ lệ đúng hạn % (on-time rate)",
	"Trung vị ngày làm việc (median working days)"}

func tallyCells(t Tally) []any {
	return []any{t.Received, t.Answered, t.Due, t.OnTime, t.Late, t.LateOpen, t.NotYetDue, percent(t.OnTimeRate), t.MedianDays}
}

func summaryTable(f *Figures) table {
	t := table{header: []string{"Chỉ tiêu (figure)", "Giá trị (value)"}, widths: []float64{44, 30}}
	add := func(k string, v any) { t.rows = append(t.rows, []any{k, v}) }
	add("Đơn vị (unit)", f.Unit.Name)
	add("Mã đơn vị (unit id)", f.Unit.ID)
	add("Từ ngày (from)", f.From)
	add("Đến ngày (to)", f.To)
	add("Tính lúc (computed at)", f.At.In(Vietnam).Format("2006-01-02 15:04:05 -07:00"))
	for i, h := range tallyHeader {
		add(h, tallyCells(f.Totals)[i])
	}
	for _, s := range f.ByState {
		add("Trạng thái (state): "+s.Label, s.Count)
	}
	return t
}

func unitTable(f *Figures) table {
	t := table{header: append([]string{"Mã đơn vị (unit id)", "Đơn vị (unit)"}, tallyHeader...), widths: []float64{14, 40}}
	for _, u := range f.ByUnit {
		name := u.Name
		if u.Own {
			name += " (tiếp nhận trực tiếp)"
		}
		t.rows = append(t.rows, append([]any{u.Unit, name}, tallyCells(u.Tally)...))
	}
	return t
}

func topicTable(f *Figures) table {
	t := table{header: []string{"Mã lĩnh vực (topic)", "Lĩnh vực (topic name)", "Tiếp nhận (received)"}, widths: []float64{22, 40, 12}}
	for _, c := range f.ByTopic {
		t.rows = append(t.rows, []any{c.Topic, c.Name, c.Count})
	}
	return t
}

// areaExport is the commune × topic table with its margins, and a last
// column naming the row's low spots (which XLSX also highlights).
func areaExport(f *Figures) table {
	a := f.Areas
	t := table{header: []string{"Mã xã (commune)", "Xã (commune name)", "Tổng (total)"}, widths: []float64{10, 30, 8},
		marked: map[[2]int]bool{}}
	for _, tp := range a.Topics {
		t.header = append(t.header, tp.Name)
	}
	t.header = append(t.header, "Điểm trũng (low spots)")
	for i, r := range a.Rows {
		row := []any{r.Commune, r.Name, r.Total}
		var low []string
		for j, c := range r.Cells {
			row = append(row, c.Count)
			if c.LowSpot {
				low = append(low, a.Topics[j].Name)
				t.marked[[2]int{i + 1, 3 + j}] = true
			}
		}
		t.rows = append(t.rows, append(row, strings.Join(low, "; ")))
	}
	total := []any{"", "Tổng (total)", a.Total}
	for _, n := range a.TopicTotals {
		total = append(total, n)
	}
	t.rows = append(t.rows, append(total, ""))
	return t
}

func weekTable(f *Figures) table {
	t := table{header: append([]string{"Tuần từ thứ Hai (week from Monday)"}, tallyHeader...), widths: []float64{16}}
	for _, w := range f.Weeks {
		t.rows = append(t.rows, append([]any{w.Start}, tallyCells(w.Tally)...))
	}
	return t
}

// cells are a row of t as the sheet writer takes them: a percent as a
// sheet.Percent (nothing when it has no value), a marked cell stands out.
func (t table) cells(r int, row []any) []any {
	out := make([]any, len(row))
	for c, v := range row {
		if p, ok := v.(percent); ok {
			v = nil
			if p != nil {
				v = sheet.Percent(*p)
			}
		}
		if t.marked[[2]int{r + 1, c}] {
			v = sheet.Styled{Value: v, Style: sheet.Alert}
		}
		out[c] = v
	}
	return out
}

// writeCSV writes t as a CSV file of one table.
func writeCSV(w io.Writer, t table, name string) error {
	sw, err := sheet.NewTable(w, sheet.CSV, name, t.header, t.widths...)
	if err != nil {
		return err
	}
	for r, row := range t.rows {
		sw.Row(t.cells(r, row)...)
	}
	return sw.Close()
}

// writeXLSX writes every table as a sheet.
func writeXLSX(w io.Writer, f *Figures) error {
	sw, err := sheet.NewWriter(w, sheet.XLSX)
	if err != nil {
		return err
	}
	for _, et := range exportTables {
		t := et.build(f)
		sw.Sheet(et.sheet, t.header, t.widths...)
		for r, row := range t.rows {
			sw.Row(t.cells(r, row)...)
		}
	}
	return sw.Close()
}

// exportName is the file name of an export: the unit and the period.
func exportName(f *Figures, table, ext string) string {
	name := "thong-ke-phan-anh_" + strings.ReplaceAll(f.Unit.ID, "/", "-") + "_" + f.From + "_" + f.To
	if table != "" {
		name += "_" + table
	}
	return name + "." + ext
}

func (s *Stats) exportCSV(w http.ResponseWriter, r *http.Request) {
	req, err := s.read(r)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	key := strings.TrimSpace(r.URL.Query().Get("table"))
	if key == "" {
		key = exportTables[0].key
	}
	var et *exportTable
	keys := make([]string, len(exportTables))
	for i := range exportTables {
		keys[i] = exportTables[i].key
		if exportTables[i].key == key {
			et = &exportTables[i]
		}
	}
	if et == nil {
		if len(key) > 40 {
			key = key[:40] + "…"
		}
		api.WriteError(w, http.StatusBadRequest, "invalid_table", "table", fmt.Sprintf(
			"Không có bảng %q; chọn một trong: %s (unknown table).", key, strings.Join(keys, ", ")))
		return
	}
	f, err := s.Figures(r.Context(), req.Unit, req.Period)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+exportName(&f, et.key, "csv")+`"`)
	h.Set("Cache-Control", "no-store")
	if err := writeCSV(w, et.build(&f), et.sheet); err != nil && r.Context().Err() == nil {
		s.log.ErrorContext(r.Context(), "feedback: statistics CSV", "err", err)
	}
}

func (s *Stats) exportXLSX(w http.ResponseWriter, r *http.Request) {
	f, ok := s.figuresFor(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+exportName(&f, "", "xlsx")+`"`)
	h.Set("Cache-Control", "no-store")
	if err := writeXLSX(w, &f); err != nil && r.Context().Err() == nil {
		s.log.ErrorContext(r.Context(), "feedback: statistics XLSX", "err", err)
	}
}
