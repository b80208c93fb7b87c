package feedback

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/internal/sheet"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{nil, "none"},
		{[]int{3}, "3"},
		{[]int{7, 0}, "3.5"},
		{[]int{11, 3, 4}, "4"},
		{[]int{7, 1, 11, 3, 7}, "7"},
		{[]int{5, 1, 2, 9}, "3.5"},
	} {
		got := "none"
		if m := median(append([]int(nil), c.in...)); m != nil {
			got = fmt.Sprint(*m)
		}
		if got != c.want {
			t.Errorf("median %v = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestWeekStart(t *testing.T) {
	for _, c := range []struct{ at, want string }{
		{"2026-03-12T10:00:00+07:00", "2026-03-09"}, // Thursday
		{"2026-03-09T00:00:00+07:00", "2026-03-09"}, // Monday's first second
		{"2026-03-08T23:59:59+07:00", "2026-03-02"}, // Sunday's last
		{"2026-03-08T17:30:00Z", "2026-03-09"},      // Sunday in UTC, Monday in Vietnam
		{"2026-01-01T08:00:00+07:00", "2025-12-29"}, // across a year
	} {
		at, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := weekStart(at); got.Format(time.DateOnly) != c.want || got.Location() != Vietnam || got.Hour() != 0 {
			t.Errorf("weekStart(%s) = %s, want %s 00:00 in Vietnam", c.at, got, c.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 3, 12, 10, 0, 0, 0, Vietnam)
	for _, c := range []struct {
		from, to         string
		wantFrom, wantTo string
		code, field      string
	}{
		{"", "", "2025-12-22", "2026-03-12", "", ""},
		{"", "2026-02-15", "2025-11-24", "2026-02-15", "", ""},
		{"2026-03-01", "", "2026-03-01", "2026-03-12", "", ""},
		{"2026-03-12", "2026-03-12", "2026-03-12", "2026-03-12", "", ""}, // one day
		{"2024-03-12", "2026-03-12", "2024-03-12", "2026-03-12", "", ""}, // two years to the day
		{"2024-02-29", "2026-02-28", "2024-02-29", "2026-02-28", "", ""},
		{"2024-03-12", "2026-03-13", "", "", "period_too_long", "to"},
		{"2026-03-13", "", "", "", "invalid_period", "from"}, // after today, the default to
		{"2026-03-02", "2026-03-01", "", "", "invalid_period", "from"},
		{"2026-02-29", "", "", "", "invalid_date", "from"},
		{"2026-3-1", "", "", "", "invalid_date", "from"},
		{" 2026-03-01", "", "", "", "invalid_date", "from"},
		{"", "01/03/2026", "", "", "invalid_date", "to"},
		{"", "2026-03-01T00:00:00Z", "", "", "invalid_date", "to"},
		{"", strings.Repeat("9", 500), "", "", "invalid_date", "to"},
	} {
		p, e := parsePeriod(c.from, c.to, now)
		if c.code != "" {
			if e == nil || e.Code != c.code || e.Field != c.field || len(e.Message) > 300 {
				t.Errorf("from %q to %q: %v, want %s naming %s", c.from, c.to, e, c.code, c.field)
			}
			continue
		}
		if e != nil || p.From.Format(time.DateOnly) != c.wantFrom || p.To.Format(time.DateOnly) != c.wantTo {
			t.Errorf("from %q to %q: %s–%s %v, want %s–%s", c.from, c.to, p.From, p.To, e, c.wantFrom, c.wantTo)
		}
	}
	// The period covers whole days in Vietnam.
	p, _ := parsePeriod("2026-03-01", "2026-03-01", now)
	if p.start().Format(time.RFC3339) != "2026-03-01T00:00:00+07:00" || p.end().Format(time.RFC3339) != "2026-03-02T00:00:00+07:00" {
		t.Errorf("one day is %s to %s", p.start(), p.end())
	}
}

func TestGuardFormula(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1:A9)":   "'=SUM(A1:A9)",
		"+84912345678":  "'+84912345678",
		"-1":            "'-1",
		"@cmd":          "'@cmd",
		"\t=1":          "'\t=1",
		"\r=1":          "'\r=1",
		"Đất đai":       "Đất đai",
		"26734/MTTQ":    "26734/MTTQ",
		"a=b":           "a=b",
		"":              "",
		"'=already":     "'=already",
		"Tổng (total)":  "Tổng (total)",
		"2026-02-02":    "2026-02-02",
		"Xã × lĩnh vực": "Xã × lĩnh vực",
	} {
		if got := sheet.Neutralise(in); got != want {
			t.Errorf("sheet.Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
	// A count, a rate of 2/3, no rate, no median.
	r := 2.0 / 3
	var b strings.Builder
	tb := table{header: []string{"n", "rate", "none", "median"}, rows: [][]any{{3, percent(&r), percent(nil), (*float64)(nil)}}}
	if err := writeCSV(&b, tb, "t"); err != nil {
		t.Fatal(err)
	}
	if want := "\ufeffn,rate,none,median\r\n3,66.67,,\r\n"; b.String() != want {
		t.Errorf("CSV = %q, want %q", b.String(), want)
	}
}

func TestCharts(t *testing.T) {
	weeks := []WeekTally{{Start: "2026-02-02"}, {Start: "2026-02-09"}}
	if got, err := weeklyChart(weeks); got != "" || err != nil {
		t.Errorf("a period without items has a chart: %v", err)
	}
	weeks[1].Received, weeks[1].Answered = 4, 2
	got, err := weeklyChart(weeks)
	if err != nil || !strings.Contains(string(got), ">02/02<") || !strings.Contains(string(got), ">09/02<") ||
		!strings.Contains(string(got), ">Tiếp nhận<") || !strings.Contains(string(got), ">4<") {
		t.Errorf("weekly chart: %v\n%s", err, got)
	}
	if got, err := topicChart(nil); got != "" || err != nil {
		t.Errorf("no topic, a chart: %v", err)
	}
	var topics []TopicCount
	for i := range 10 {
		topics = append(topics, TopicCount{Topic: fmt.Sprint("t", i), Name: fmt.Sprintf("Lĩnh vực số %d rất dài dòng", i), Count: 10 - i})
	}
	got, err = topicChart(topics)
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	if !strings.Contains(s, ">Lĩnh vực số 0 rất…<") || !strings.Contains(s, ">Lĩnh vực số 7 rất…<") || strings.Contains(s, "số 8") {
		t.Errorf("the topic chart shows the first %d topics, shortened:\n%s", topicBars, s)
	}
}

func TestVNDecimal(t *testing.T) {
	for _, c := range []struct {
		x    float64
		n    int
		want string
	}{{85.714, 1, "85,7"}, {60, 1, "60"}, {3.5, 1, "3,5"}, {0, 1, "0"}, {2.08, 1, "2,1"}, {100, 1, "100"}} {
		if got := vnDecimal(c.x, c.n); got != c.want {
			t.Errorf("vnDecimal(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}
