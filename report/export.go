package report

import (
	"context"
	"net/http"
	"strings"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/internal/sheet"
	"github.com/mattranso/mattranso/org"
)

// The roll-up's exports (GET …/rollup?format=csv|xlsx): the same figures
// as the JSON roll-up, in the sheets a reporter one level up works with —
//
//	Tổng hợp      the unit, the period, completeness and timeliness
//	Số liệu       each numeric field's total (the JSON's totals)
//	Theo đơn vị   the completion table: one row per territory directly below
//	Chưa báo cáo  every unit that has not reported, with the person to
//	              call when contacts are wired and the sender may read staff data
//	Nội dung      the texts gathered from the reports below
//
// XLSX has a sheet each (streamed, so that a national list stays small);
// CSV has them one after the other, each under a row naming it. Text that
// a spreadsheet would run as a formula is neutralised (internal/sheet).

// exportSheets names the sheets, in order.
var exportSheets = struct{ summary, totals, children, missing, texts string }{
	"Tổng hợp", "Số liệu", "Theo đơn vị", "Chưa báo cáo", "Nội dung"}

// writeRollupExport answers roll-up ru as a CSV or XLSX file (format "csv"
// or "xlsx"); ru holds the full missing list. The completion table is
// read here, as the JSON has it with children=1.
func (h *Handler) writeRollupExport(w http.ResponseWriter, r *http.Request, ru Rollup, format string) {
	f, ok := sheet.ParseFormat(format)
	if !ok {
		api.WriteError(w, http.StatusBadRequest, "invalid_parameter", "format", "format chỉ nhận csv hoặc xlsx (format: csv or xlsx).")
		return
	}
	ctx := r.Context()
	d, err := h.svc.Dataset(ru.Dataset)
	if err != nil {
		api.Fail(w, r, h.log, err)
		return
	}
	p, err := ParsePeriod(d.PeriodType, ru.Period)
	if err != nil {
		api.Fail(w, r, h.log, err)
		return
	}
	u, err := org.ParseUnit(ru.Unit)
	if err != nil {
		api.Fail(w, r, h.log, err)
		return
	}
	all := len(ru.Orgs) > 1
	children, err := h.svc.Children(ctx, d.Key, u, all, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var contacts map[org.Unit]org.Contact
	source := h.contacts
	if source == nil {
		source = h.svc.tree.Contacts
	}
	if len(ru.Missing) > 0 && canQuietly(r, h.authz, h.svc.tree, ActionStaffRead, u, false) {
		if contacts, err = missingContacts(ctx, source, ru.Missing); err != nil {
			h.log.WarnContext(ctx, "report: contacts of missing units", "err", err)
			contacts = nil
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType())
	hd.Set("Content-Disposition", `attachment; filename="`+exportName(ru, string(f))+`"`)
	hd.Set("Cache-Control", "no-store")
	sw, err := sheet.NewWriter(w, f)
	if err == nil {
		err = writeRollupSheets(sw, d, p, ru, children, contacts)
	}
	if cerr := sw.Close(); err == nil {
		err = cerr
	}
	if err != nil && ctx.Err() == nil {
		h.log.ErrorContext(ctx, "report: roll-up export", "format", format, "unit", ru.Unit, "err", err)
	}
}

// exportName is the export's file name: the unit, the period and the
// organisations, in ASCII.
func exportName(ru Rollup, ext string) string {
	name := "bao-cao_" + strings.ReplaceAll(ru.Unit, "/", "-") + "_" + ru.Period
	if len(ru.Orgs) > 1 {
		name += "_tat-ca-to-chuc"
	}
	return name + "." + ext
}

func missingContacts(ctx context.Context, contacts ContactsFunc, ids []string) (map[org.Unit]org.Contact, error) {
	units := make([]org.Unit, 0, len(ids))
	for _, id := range ids {
		if u, err := org.ParseUnit(id); err == nil {
			units = append(units, u)
		}
	}
	return contacts(ctx, units)
}

// writeRollupSheets writes the sheets of roll-up ru; contacts nil leaves
// their columns out.
func writeRollupSheets(sw *sheet.Writer, d Dataset, p Period, ru Rollup, children []ChildRow, contacts map[org.Unit]org.Contact) error {
	orgs := make([]string, len(ru.Orgs))
	for i, o := range ru.Orgs {
		orgs[i] = string(o)
	}
	if err := sw.Sheet(exportSheets.summary, []string{"Chỉ tiêu (figure)", "Giá trị (value)"}, 44, 36); err != nil {
		return err
	}
	rows := [][]any{
		{"Đơn vị (unit)", ru.Name},
		{"Mã đơn vị (unit id)", ru.Unit},
		{"Tổ chức (organisations)", strings.Join(orgs, ", ")},
		{"Biểu mẫu (data set)", d.Name},
		{"Kỳ báo cáo (period)", ru.Period + " · " + PeriodLabel(p)},
		{"Từ ngày (from)", p.Start.In(Vietnam).Format("2006-01-02")},
		{"Đến ngày (to)", p.LastDay().In(Vietnam).Format("2006-01-02")},
		{"Hạn gửi (deadline)", ru.Deadline.In(Vietnam)},
		{"Tính lúc (computed at)", ru.At.In(Vietnam)},
		{"Đã báo cáo (reported)", ru.Reported},
		{"Phải báo cáo (expected)", ru.Expected},
		{"Đúng hạn (on time)", ru.OnTime},
		{"Tỷ lệ báo cáo, % (completeness)", sheet.Percent(ru.Percent / 100)},
		{"Tỷ lệ đúng hạn, % (timeliness)", sheet.Percent(ru.OnTimePercent / 100)},
		{"Chưa báo cáo (missing)", ru.MissingCount},
		{"Báo cáo ngoài danh sách (extra)", ru.Extra},
	}
	for _, row := range rows {
		if err := sw.Row(row...); err != nil {
			return err
		}
	}

	var numeric []Field
	for _, f := range d.Fields {
		if f.Type.Numeric() {
			numeric = append(numeric, f)
		}
	}
	if err := sw.Sheet(exportSheets.totals, []string{"Mã chỉ tiêu (field)", "Chỉ tiêu (label)", "Tổng (total)"}, 22, 40, 14); err != nil {
		return err
	}
	for _, f := range numeric {
		if err := sw.Row(f.Key, f.Label, ru.Totals[f.Key]); err != nil {
			return err
		}
	}

	header := []string{"Mã địa bàn (territory)", "Đơn vị (unit)", "Đã báo cáo (reported)", "Phải báo cáo (expected)",
		"Đúng hạn (on time)", "Tỷ lệ báo cáo, % (completeness)", "Tỷ lệ đúng hạn, % (timeliness)", "Ngoài danh sách (extra)"}
	for _, f := range numeric {
		header = append(header, f.Label+" ("+f.Key+")")
	}
	if err := sw.Sheet(exportSheets.children, header, 14, 36); err != nil {
		return err
	}
	for _, c := range children {
		name := c.Name
		if c.Retired {
			name += " (đã ngừng hoạt động)"
		}
		row := []any{c.Territory, name, c.Reported, c.Expected, c.OnTime, sheet.Percent(c.Percent / 100),
			sheet.Percent(c.OnTimePercent / 100), c.Extra}
		for _, f := range numeric {
			row = append(row, c.Totals[f.Key])
		}
		if err := sw.Row(row...); err != nil {
			return err
		}
	}

	header = []string{"Mã đơn vị (unit id)", "Đơn vị (unit)"}
	if contacts != nil {
		header = append(header, "Người liên hệ (contact)", "Chức vụ (position)", "Điện thoại (phone)", "Thư điện tử (e-mail)")
	}
	if err := sw.Sheet(exportSheets.missing, header, 16, 40, 26, 22, 16, 28); err != nil {
		return err
	}
	names := map[string]string{}
	for _, m := range ru.MissingUnits {
		names[m.ID] = m.Name
	}
	for _, id := range ru.Missing {
		row := []any{id, names[id]}
		if contacts != nil {
			u, _ := org.ParseUnit(id)
			c := contacts[u]
			row = append(row, c.Name, c.Position, c.Phone, c.Email)
		}
		if err := sw.Row(row...); err != nil {
			return err
		}
	}

	if err := sw.Sheet(exportSheets.texts, []string{"Chỉ tiêu (field)", "Mã đơn vị (unit id)", "Đơn vị (unit)", "Nội dung (text)"}, 24, 16, 36, 80); err != nil {
		return err
	}
	for _, f := range d.Fields {
		for _, e := range ru.Texts[f.Key] {
			if err := sw.Row(f.Label, e.Unit, e.Name, e.Text); err != nil {
				return err
			}
		}
	}
	return nil
}

// canQuietly says whether the sender of r holds action at unit u or
// above (higherOnly: at a higher territory), from the Authorizer's scopes
// when it can tell them, without the refusal being recorded: it decides
// what a page or a file shows, not whether a request is allowed.
func canQuietly(r *http.Request, authz Authorizer, tree *org.Store, action string, u org.Unit, higherOnly bool) bool {
	sc, ok := authz.(scoper)
	if !ok {
		return false
	}
	return canIn(r, sc.Scopes, tree, action, u, higherOnly)
}

// scoper is an Authorizer that can tell the units at which the sender
// holds a role allowing action (auth.Check).
type scoper interface {
	Scopes(r *http.Request, action string) ([]string, error)
}

func canIn(r *http.Request, scopesOf func(*http.Request, string) ([]string, error), tree *org.Store, action string, u org.Unit, higherOnly bool) bool {
	if scopesOf == nil {
		return false
	}
	scopes, err := scopesOf(r, action)
	if err != nil {
		return false
	}
	for _, s := range scopes {
		su, err := org.ParseUnit(s)
		if err != nil || (higherOnly && su.Territory == u.Territory) {
			continue
		}
		if ok, err := tree.Contains(r.Context(), su, u); err == nil && ok {
			return true
		}
	}
	return false
}
