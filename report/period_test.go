package report_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattranso/mattranso/report"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		typ        report.PeriodType
		key        string
		start, end time.Time
	}{
		{report.Weekly, "2026-W47", vn(2026, 11, 16, 0, 0), vn(2026, 11, 23, 0, 0)},
		{report.Weekly, "2026-W01", vn(2025, 12, 29, 0, 0), vn(2026, 1, 5, 0, 0)},
		{report.Weekly, "2026-W53", vn(2026, 12, 28, 0, 0), vn(2027, 1, 4, 0, 0)},
		{report.Weekly, "2027-W01", vn(2027, 1, 4, 0, 0), vn(2027, 1, 11, 0, 0)},
		{report.Monthly, "2026-11", vn(2026, 11, 1, 0, 0), vn(2026, 12, 1, 0, 0)},
		{report.Monthly, "2026-12", vn(2026, 12, 1, 0, 0), vn(2027, 1, 1, 0, 0)},
		{report.Quarterly, "2026-Q4", vn(2026, 10, 1, 0, 0), vn(2027, 1, 1, 0, 0)},
	} {
		p, err := report.ParsePeriod(tc.typ, tc.key)
		if err != nil {
			t.Errorf("%s: %v", tc.key, err)
			continue
		}
		if p.Key != tc.key || !p.Start.Equal(tc.start) || !p.End.Equal(tc.end) {
			t.Errorf("%s: %s %v – %v, want %v – %v", tc.key, p.Key, p.Start, p.End, tc.start, tc.end)
		}
		if n := p.Next(); !n.Start.Equal(p.End) || !n.Prev().Start.Equal(p.Start) {
			t.Errorf("%s: next %s, its previous %s", tc.key, n.Key, n.Prev().Key)
		}
		if c := report.CurrentPeriod(tc.typ, p.End.Add(-time.Second)); c.Key != tc.key {
			t.Errorf("%s: the period of its last second is %s", tc.key, c.Key)
		}
	}
	for _, bad := range []struct {
		typ report.PeriodType
		key string
	}{
		{report.Weekly, "2026-47"}, {report.Weekly, "2026-W7"}, {report.Weekly, "2026-W00"}, {report.Weekly, "2025-W53"},
		{report.Weekly, "2026-W54"}, {report.Weekly, "1999-W10"}, {report.Weekly, "2026-w47"}, {report.Weekly, ""},
		{report.Monthly, "2026-13"}, {report.Monthly, "2026-1"}, {report.Monthly, "2026-W47"},
		{report.Quarterly, "2026-Q5"}, {report.Quarterly, "2026-Q0"}, {report.Quarterly, "2026-4"},
	} {
		if _, err := report.ParsePeriod(bad.typ, bad.key); !errors.Is(err, report.ErrPeriod) {
			t.Errorf("%s %q: %v, want ErrPeriod", bad.typ, bad.key, err)
		}
	}
	// Sunday 23:30 in Vietnam is still the week, though Monday in UTC is
	// not yet.
	if c := report.CurrentPeriod(report.Weekly, time.Date(2026, 11, 22, 16, 59, 0, 0, time.UTC)); c.Key != "2026-W47" {
		t.Errorf("Sunday 23:59 in Vietnam: %s", c.Key)
	}
	if c := report.CurrentPeriod(report.Weekly, time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC)); c.Key != "2026-W48" {
		t.Errorf("Monday 00:00 in Vietnam: %s", c.Key)
	}
}

func TestDeadline(t *testing.T) {
	d := report.DefaultDatasets()[0]
	p, _ := report.ParsePeriod(report.Weekly, "2026-W47")
	if got := d.Deadline(p); !got.Equal(vn(2026, 11, 23, 17, 0)) {
		t.Errorf("deadline %v, want Monday 23 November 17:00", got)
	}
	if got := d.LockAt(p); !got.Equal(vn(2026, 11, 30, 17, 0)) {
		t.Errorf("lock %v", got)
	}
}

func TestLoadDatasets(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		path := filepath.Join(dir, "ds.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := `[{"key":"monthly","name":"Báo cáo tháng","period_type":"monthly","levels":["commune","village"],"orgs":["MTTQ"],
		"deadline_days":5,"deadline_hour":17,"lock_days":10,
		"fields":[{"key":"staff","label":"Cán bộ","type":"integer","min":0},
		          {"key":"full_time","label":"Chuyên trách","type":"integer","less_or_equal":"staff"},
		          {"key":"mood","label":"Tình hình","type":"choice","choices":["ổn định","phức tạp"]}]}]`
	ds, err := report.LoadDatasets(write(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].PeriodType != report.Monthly || len(ds[0].Fields) != 3 || ds[0].Fields[0].Min == nil {
		t.Fatalf("%+v", ds)
	}
	for name, body := range map[string]string{
		"unknown key":         `[{"key":"x","name":"X","period_type":"weekly","levels":["commune"],"orgs":["MTTQ"],"fields":[{"key":"a","label":"A","type":"integer","maxdrop":3}]}]`,
		"bad type":            `[{"key":"x","name":"X","period_type":"weekly","levels":["commune"],"orgs":["MTTQ"],"fields":[{"key":"a","label":"A","type":"float"}]}]`,
		"bad period type":     `[{"key":"x","name":"X","period_type":"daily","levels":["commune"],"orgs":["MTTQ"],"fields":[{"key":"a","label":"A","type":"integer"}]}]`,
		"less_or_equal text":  `[{"key":"x","name":"X","period_type":"weekly","levels":["commune"],"orgs":["MTTQ"],"fields":[{"key":"a","label":"A","type":"integer","less_or_equal":"b"},{"key":"b","label":"B","type":"text"}]}]`,
		"drop without note":   `[{"key":"x","name":"X","period_type":"weekly","levels":["commune"],"orgs":["MTTQ"],"fields":[{"key":"a","label":"A","type":"integer","max_drop_percent":20}]}]`,
		"unknown org":         `[{"key":"x","name":"X","period_type":"weekly","levels":["commune"],"orgs":["ABC"],"fields":[{"key":"a","label":"A","type":"integer"}]}]`,
		"choice without list": `[{"key":"x","name":"X","period_type":"weekly","levels":["commune"],"orgs":["MTTQ"],"fields":[{"key":"a","label":"A","type":"choice"}]}]`,
		"empty":               `[]`,
	} {
		if _, err := report.LoadDatasets(write(body)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	for _, d := range report.DefaultDatasets() {
		if err := d.Check(); err != nil {
			t.Errorf("default: %v", err)
		}
	}
}
