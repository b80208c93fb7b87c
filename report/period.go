package report

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// PeriodType is how a data set's periods are cut.
type PeriodType string

// The period types and their keys' forms.
const (
	Weekly    PeriodType = "weekly"    // ISO weeks, Monday to Sunday: 2026-W47
	Monthly   PeriodType = "monthly"   // 2026-11
	Quarterly PeriodType = "quarterly" // 2026-Q4
)

func (t PeriodType) valid() bool { return t == Weekly || t == Monthly || t == Quarterly }

// Example is a key of the type's form, for messages.
func (t PeriodType) Example() string {
	switch t {
	case Monthly:
		return "2026-11"
	case Quarterly:
		return "2026-Q4"
	}
	return "2026-W47"
}

// Vietnam is the time zone periods, deadlines and locks are cut in:
// UTC+7 all year, fixed here so that no time zone database is needed.
var Vietnam = time.FixedZone("ICT", 7*3600)

// Period is one period of a type: it starts at Start (00:00 Vietnam time
// on its first day) and ends at End, the next period's Start, which is
// not in it.
type Period struct {
	Type  PeriodType `json:"type"`
	Key   string     `json:"key"`
	Start time.Time  `json:"start"`
	End   time.Time  `json:"end"`
}

// ErrPeriod is wrapped by the errors of ParsePeriod.
var ErrPeriod = errors.New("invalid period")

// ParsePeriod reads a period key of type t: 2026-W47 (ISO week), 2026-11,
// 2026-Q4. Years 2000 to 2100.
func ParsePeriod(t PeriodType, s string) (Period, error) {
	bad := func() (Period, error) {
		return Period{}, fmt.Errorf("report: %w %q: want the form %s", ErrPeriod, s, t.Example())
	}
	if len(s) < 7 || s[4] != '-' {
		return bad()
	}
	year, err := strconv.Atoi(s[:4])
	if err != nil || year < 2000 || year > 2100 {
		return bad()
	}
	rest := s[5:]
	num := func(prefix string, digits int, lo, hi int) (int, bool) {
		if len(rest) != len(prefix)+digits || rest[:len(prefix)] != prefix {
			return 0, false
		}
		for _, c := range rest[len(prefix):] {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		n, _ := strconv.Atoi(rest[len(prefix):])
		return n, n >= lo && n <= hi
	}
	switch t {
	case Weekly:
		w, ok := num("W", 2, 1, 53)
		if !ok {
			return bad()
		}
		p := week(year, w)
		if p.Key != s {
			// Week 53 of a year that has 52.
			return Period{}, fmt.Errorf("report: %w %q: năm %d không có tuần %d (year %d has no week %d)", ErrPeriod, s, year, w, year, w)
		}
		return p, nil
	case Monthly:
		m, ok := num("", 2, 1, 12)
		if !ok {
			return bad()
		}
		return month(year, m), nil
	case Quarterly:
		q, ok := num("Q", 1, 1, 4)
		if !ok {
			return bad()
		}
		return quarter(year, q), nil
	}
	return Period{}, fmt.Errorf("report: %w type %q", ErrPeriod, t)
}

// week is ISO week w of year: the week with the year's first Thursday is
// week 1. A w past the year's last week gives a week of the next year.
func week(year, w int) Period {
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, Vietnam)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	start := monday.AddDate(0, 0, 7*(w-1))
	return weekOf(start)
}

func weekOf(start time.Time) Period {
	y, w := start.ISOWeek()
	return Period{Type: Weekly, Key: fmt.Sprintf("%04d-W%02d", y, w), Start: start, End: start.AddDate(0, 0, 7)}
}

func month(year, m int) Period {
	start := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, Vietnam)
	return Period{Type: Monthly, Key: fmt.Sprintf("%04d-%02d", year, m), Start: start, End: start.AddDate(0, 1, 0)}
}

func quarter(year, q int) Period {
	start := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, Vietnam)
	return Period{Type: Quarterly, Key: fmt.Sprintf("%04d-Q%d", year, q), Start: start, End: start.AddDate(0, 3, 0)}
}

// CurrentPeriod is the period of type t that holds now (in Vietnam time).
func CurrentPeriod(t PeriodType, now time.Time) Period {
	v := now.In(Vietnam)
	day := time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, Vietnam)
	switch t {
	case Monthly:
		return month(day.Year(), int(day.Month()))
	case Quarterly:
		return quarter(day.Year(), (int(day.Month())-1)/3+1)
	}
	return weekOf(day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)))
}

// Prev is the period before p.
func (p Period) Prev() Period { return CurrentPeriod(p.Type, p.Start.Add(-time.Hour)) }

// Next is the period after p.
func (p Period) Next() Period { return CurrentPeriod(p.Type, p.End) }

// LastDay is the date of the period's last day, at 00:00 Vietnam time.
func (p Period) LastDay() time.Time { return p.End.AddDate(0, 0, -1) }

// Deadline is when reports of period p are due: DeadlineDays after its
// last day at DeadlineHour, Vietnam time. A first submission at or before
// it is on time.
func (d Dataset) Deadline(p Period) time.Time {
	return p.LastDay().AddDate(0, 0, d.DeadlineDays).Add(time.Duration(d.DeadlineHour) * time.Hour)
}

// LockAt is when period p locks for units without an exception:
// LockDays after the deadline.
func (d Dataset) LockAt(p Period) time.Time { return d.Deadline(p).AddDate(0, 0, d.LockDays) }
