package org

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/internal/sheet"
)

// RolloutRow is the rollout figures of one territory: how many of its
// communes have created their village list (at least one active village),
// how many active villages there are, how many communes have their
// Front's staff list updated (the commune's MTTQ unit's list has at least
// one person) and how many people those lists hold. Percentages are of
// Communes, rounded to two decimals.
type RolloutRow struct {
	Code                 string  `json:"code"`
	Name                 string  `json:"name"`
	Communes             int     `json:"communes"`
	CommunesWithVillages int     `json:"communes_with_villages"`
	VillagesPercent      float64 `json:"villages_percent"`
	Villages             int     `json:"villages"`
	CommunesWithStaff    int     `json:"communes_with_staff"`
	StaffPercent         float64 `json:"staff_percent"`
	StaffPeople          int     `json:"staff_people"`
}

// Rollout is the rollout table under a territory: a row per province under
// VN, a row per commune under a province, and their total.
type Rollout struct {
	Parent Territory    `json:"parent"`
	Rows   []RolloutRow `json:"rows"`
	Total  RolloutRow   `json:"total"`
	At     time.Time    `json:"at"`
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return math.Round(10000*float64(n)/float64(of)) / 100
}

func (r *RolloutRow) percents() {
	r.VillagesPercent = pct(r.CommunesWithVillages, r.Communes)
	r.StaffPercent = pct(r.CommunesWithStaff, r.Communes)
}

// Rollout computes the rollout figures under parent, VN or a province
// (another level is ErrInvalid). It reads one row per commune and the
// communes' counters of active villages, never the villages themselves:
// the whole country is 3,321 rows.
func (s *Store) Rollout(ctx context.Context, parent string) (Rollout, error) {
	fail := func(err error) (Rollout, error) {
		return Rollout{}, fmt.Errorf("org: rollout under %s: %w", parent, err)
	}
	t, err := s.territory(ctx, s.db, parent)
	if err != nil {
		return fail(err)
	}
	// Each row: the group (province or commune), its name, and per commune
	// its village counter and its Front list's size.
	var q string
	switch t.Level {
	case Central:
		q = `SELECT p.code, p.name, c.code, c.villages, COALESCE(l.people, 0)
			FROM org_territories p
			LEFT JOIN org_territories c ON c.parent_code = p.code AND c.level = 'commune' AND c.retired_at = ''
			LEFT JOIN org_staff_lists l ON l.territory = c.code AND l.org = 'MTTQ'
			WHERE p.parent_code = $1 AND p.level = 'province' AND p.retired_at = ''
			ORDER BY p.code, c.code`
	case Province:
		q = `SELECT c.code, c.name, c.code, c.villages, COALESCE(l.people, 0)
			FROM org_territories c
			LEFT JOIN org_staff_lists l ON l.territory = c.code AND l.org = 'MTTQ'
			WHERE c.parent_code = $1 AND c.level = 'commune' AND c.retired_at = ''
			ORDER BY c.code`
	default:
		return fail(fmt.Errorf("%w: %s is a %s; rollout figures are by province (under VN) or by commune (under a province)", ErrInvalid, parent, t.Level))
	}
	rows, err := s.db.QueryContext(ctx, q, parent)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	out := Rollout{Parent: t, Rows: []RolloutRow{}, At: s.now().UTC()}
	for rows.Next() {
		var code, name string
		var commune *string
		var villages *int
		var people int
		if err := rows.Scan(&code, &name, &commune, &villages, &people); err != nil {
			return fail(err)
		}
		if n := len(out.Rows); n == 0 || out.Rows[n-1].Code != code {
			out.Rows = append(out.Rows, RolloutRow{Code: code, Name: name})
		}
		r := &out.Rows[len(out.Rows)-1]
		if commune == nil {
			continue // a province without communes
		}
		r.Communes++
		if villages != nil && *villages > 0 {
			r.CommunesWithVillages++
			r.Villages += *villages
		}
		if people > 0 {
			r.CommunesWithStaff++
			r.StaffPeople += people
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	out.Total = RolloutRow{Code: t.Code, Name: "Tổng cộng"}
	for i := range out.Rows {
		r := &out.Rows[i]
		r.percents()
		out.Total.Communes += r.Communes
		out.Total.CommunesWithVillages += r.CommunesWithVillages
		out.Total.Villages += r.Villages
		out.Total.CommunesWithStaff += r.CommunesWithStaff
		out.Total.StaffPeople += r.StaffPeople
	}
	out.Total.percents()
	return out, nil
}

// rolloutHeader are the columns of the rollout exports.
var rolloutHeader = []string{"Mã (code)", "Địa bàn (territory)", "Số xã (communes)",
	"Xã đã tạo danh sách thôn (communes with villages)", "Tỷ lệ % (percent)", "Số thôn, tổ dân phố (villages)",
	"Xã đã cập nhật danh sách cán bộ (communes with staff list)", "Tỷ lệ % (percent)", "Số cán bộ trong danh sách MTTQ xã (people)"}

func rolloutCells(r RolloutRow) []any {
	return []any{r.Code, r.Name, r.Communes, r.CommunesWithVillages, r.VillagesPercent, r.Villages,
		r.CommunesWithStaff, r.StaffPercent, r.StaffPeople}
}

// rolloutTable is the rollout figures as exported: a row per territory
// and the total.
func rolloutTable(ro Rollout) [][]any {
	rows := make([][]any, 0, len(ro.Rows)+1)
	for _, r := range ro.Rows {
		rows = append(rows, rolloutCells(r))
	}
	return append(rows, rolloutCells(ro.Total))
}

// writeTable writes a table as one sheet of format f; booleans as "x"
// or nothing, as the import reads them, and the last row in bold when
// boldLast (a total).
func writeTable(w io.Writer, f sheet.Format, name string, header []string, rows [][]any, widths []float64, boldLast bool) error {
	sw, err := sheet.NewTable(w, f, name, header, widths...)
	if err != nil {
		return err
	}
	cells := []any{}
	for i, row := range rows {
		cells = cells[:0]
		for _, v := range row {
			if b, ok := v.(bool); ok {
				v = map[bool]string{true: "x", false: ""}[b]
			}
			if boldLast && i == len(rows)-1 {
				v = sheet.Styled{Value: v, Style: sheet.Strong}
			}
			cells = append(cells, v)
		}
		sw.Row(cells...)
	}
	return sw.Close()
}

// sendFile answers a table as a CSV or XLSX attachment named name, never
// cached.
func (h *Handler) sendFile(w http.ResponseWriter, r *http.Request, format, name, tab string, header []string, rows [][]any, widths []float64, boldLast bool) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	var err error
	if format == "csv" {
		hd.Set("Content-Type", "text/csv; charset=utf-8")
		hd.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		err = writeTable(w, sheet.CSV, tab, header, rows, widths, boldLast)
	} else {
		hd.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		hd.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = writeTable(w, sheet.XLSX, tab, header, rows, widths, boldLast)
	}
	if err != nil && r.Context().Err() == nil {
		h.log.ErrorContext(r.Context(), "org: export failed", "format", format, "err", err)
	}
}

// APIRollout answers GET /api/v1/org/rollout?parent=CODE[&format=csv|xlsx]:
// the rollout figures under parent (VN by default), for those allowed
// report.read on PARENT/MTTQ.
func (h *Handler) APIRollout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	parent := strings.TrimSpace(q.Get("parent"))
	if parent == "" {
		parent = CentralCode
	}
	if strings.EqualFold(parent, CentralCode) {
		parent = CentralCode
	}
	if !h.checkCode(w, "parent", parent) {
		return
	}
	if l, _ := levelOf(parent); l != Central && l != Province {
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "parent",
			"Số liệu triển khai tính theo tỉnh (parent=VN) hoặc theo xã của một tỉnh (parent=mã tỉnh 2 chữ số).")
		return
	}
	format := q.Get("format")
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "format",
			fmt.Sprintf("Định dạng %q không có: chọn json, csv hoặc xlsx.", clipText(format, 20)))
		return
	}
	if _, err := h.store.Territory(r.Context(), parent); err != nil {
		h.apiError(w, r, err, "parent")
		return
	}
	if !h.allowAPI(w, r, ActionReportRead, UnitOf(parent, MTTQ)) {
		return
	}
	ro, err := h.store.Rollout(r.Context(), parent)
	if err != nil {
		h.apiError(w, r, err, "parent")
		return
	}
	if format == "csv" || format == "xlsx" {
		name := "trien-khai_" + parent + "_" + ro.At.In(vietnam).Format("2006-01-02")
		h.sendFile(w, r, format, name, "Triển khai", rolloutHeader, rolloutTable(ro), []float64{10, 36, 10, 18, 10, 14, 18, 10, 16}, true)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, ro)
}

// vietnam is the time zone dates are shown in.
var vietnam = time.FixedZone("ICT", 7*3600)

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
