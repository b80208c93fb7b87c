package workday_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/feedback/workday"
)

// at is a time of day on a date in Asia/Ho_Chi_Minh.
func at(date, clock string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly+" 15:04", date+" "+clock, workday.Location())
	if err != nil {
		panic(err)
	}
	return t
}

func on(date string) time.Time { return at(date, "10:00") }

// endOf is the deadline Add gives for a day.
func endOf(date string) time.Time {
	return at(date, "23:59").Add(59*time.Second + 999*time.Millisecond)
}

func TestIsWorkday(t *testing.T) {
	cal := workday.Default()
	for _, c := range []struct {
		date string
		want bool
		why  string
	}{
		{"2026-03-04", true, "an ordinary Wednesday"},
		{"2026-03-07", false, "Saturday"},
		{"2026-03-08", false, "Sunday"},
		{"2027-01-01", false, "Tết Dương lịch"},
		{"2027-02-04", true, "the day before the last day of Bính Ngọ"},
		{"2027-02-05", false, "Tết: the last day of the lunar year"},
		{"2027-02-08", false, "Tết: 3rd day of Đinh Mùi"},
		{"2027-02-09", false, "Tết: 4th day"},
		{"2027-02-10", false, "compensatory for Tết on Saturday 6/2"},
		{"2027-02-11", false, "compensatory for Tết on Sunday 7/2"},
		{"2027-02-12", true, "back at work after Tết Đinh Mùi"},
		{"2026-02-13", true, "Friday before Tết Bính Ngọ"},
		{"2026-02-16", false, "Tết: the last day of Ất Tỵ"},
		{"2026-02-20", false, "Tết: 4th day of Bính Ngọ"},
		{"2026-02-23", true, "back at work after Tết Bính Ngọ"},
		{"2026-04-27", false, "compensatory for Giỗ Tổ on Sunday 26/4"},
		{"2027-04-16", false, "Giỗ Tổ Hùng Vương"},
		{"2026-04-30", false, "Ngày Chiến thắng"},
		{"2026-05-01", false, "Ngày Quốc tế Lao động"},
		{"2027-05-03", false, "compensatory for 1/5 on Saturday"},
		{"2028-05-02", false, "compensatory for 30/4 on Sunday"},
		{"2026-09-01", false, "Quốc khánh: 2/9 is a Wednesday, 1/9 by the stated default"},
		{"2026-09-02", false, "Quốc khánh"},
		{"2026-09-03", true, "the day after Quốc khánh 2026"},
		{"2027-09-03", false, "Quốc khánh: 2/9 a Thursday, so 3/9"},
		{"2028-09-01", false, "Quốc khánh: 2/9 a Saturday, so 1/9"},
		{"2028-09-04", false, "compensatory for 2/9 on Saturday"},
		{"2024-02-08", false, "Tết 2024 as announced begins on 8/2"},
		{"2024-02-15", true, "Tết 2024 as announced: the law's second compensatory day moved to 8/2"},
		{"2025-02-03", true, "Tết 2025 as announced ends on Sunday 2/2"},
		{"2024-05-04", true, "Saturday worked for Monday 29/4/2024"},
		{"2024-04-29", false, "Monday off in exchange"},
		{"2025-04-26", true, "Saturday worked for Friday 2/5/2025"},
		{"2025-05-02", false, "Friday off in exchange"},
		{"2020-09-01", true, "before 2021 Quốc khánh was one day"},
		// Far outside the kept years Tết is still computed, not lost.
		{"2250-02-17", false, "Tết Canh Thân 2250"},
	} {
		if got := cal.IsWorkday(on(c.date)); got != c.want {
			t.Errorf("IsWorkday(%s) = %v, want %v (%s)", c.date, got, c.want, c.why)
		}
	}
}

// The day is the one in Asia/Ho_Chi_Minh, whatever zone the time is in.
func TestIsWorkdayZone(t *testing.T) {
	cal := workday.Default()
	// 17:30 UTC on Friday 5 March 2027 is 00:30 on Saturday in Hà Nội.
	fri := time.Date(2027, time.March, 5, 17, 30, 0, 0, time.UTC)
	if cal.IsWorkday(fri) {
		t.Errorf("IsWorkday(%v) = true, want false: it is Saturday in Asia/Ho_Chi_Minh", fri)
	}
	if !cal.IsWorkday(fri.Add(-time.Hour)) {
		t.Errorf("IsWorkday(%v) = false, want true", fri.Add(-time.Hour))
	}
}

func TestAdd(t *testing.T) {
	cal := workday.Default()
	for _, c := range []struct {
		from time.Time
		days int
		want string
		why  string
	}{
		// Without Tết the 10th working day after Thursday 4/2/2027 would be
		// 18/2; the five weekdays off (5, 8, 9/2 and the compensatory 10,
		// 11/2) push it a full week later.
		{on("2027-02-04"), 10, "2027-02-25", "across Tết Đinh Mùi"},
		{on("2027-02-04"), 1, "2027-02-12", "the first working day after Tết 2027"},
		{on("2027-02-06"), 1, "2027-02-12", "from the first day of Tết"},
		// Without Tết, 27/2/2026; Tết Bính Ngọ takes 16–20/2.
		{on("2026-02-13"), 10, "2026-03-06", "across Tết Bính Ngọ"},
		{on("2026-02-17"), 1, "2026-02-23", "from inside Tết"},
		{on("2026-04-29"), 1, "2026-05-04", "across 30/4–1/5 2026"},
		{on("2026-04-24"), 3, "2026-05-04", "across Giỗ Tổ's compensatory day and 30/4–1/5"},
		{on("2027-04-29"), 1, "2027-05-04", "across 30/4 and 1/5 on a Saturday, compensated on Monday"},
		{on("2027-09-01"), 1, "2027-09-06", "across Quốc khánh 2–3/9/2027"},
		{on("2028-08-31"), 1, "2028-09-05", "across Quốc khánh 1–2/9/2028 and Monday's compensatory day"},
		{on("2026-03-06"), 1, "2026-03-09", "Friday to Monday"},
		{on("2026-03-07"), 1, "2026-03-09", "from a Saturday"},
		{on("2026-03-08"), 1, "2026-03-09", "from a Sunday"},
		{on("2026-03-02"), 5, "2026-03-09", "a week"},
		{on("2024-05-03"), 1, "2024-05-04", "to the Saturday worked for 29/4/2024"},
		{on("2025-04-25"), 1, "2025-04-26", "to the Saturday worked for 2/5/2025"},
		{on("2024-02-07"), 1, "2024-02-15", "Tết 2024 as announced"},
		{on("2026-12-31"), 1, "2027-01-04", "into the next year across Tết Dương lịch"},
		{on("2026-12-30"), 30, "2027-02-18", "a month into the next year, across Tết"},
		// The hour does not matter, only the day in Asia/Ho_Chi_Minh.
		{at("2026-03-02", "00:00"), 1, "2026-03-03", "from midnight"},
		{at("2026-03-02", "23:59"), 1, "2026-03-03", "from the last minute"},
		{time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), 1, "2026-03-04", "17:00 UTC is the next day in Hà Nội"},
		{on("2026-03-07"), 0, "2026-03-07", "zero days: the end of the same day"},
		{on("2027-02-12"), -1, "2027-02-04", "back across Tết"},
		{on("2026-03-09"), -1, "2026-03-06", "back across a weekend"},
	} {
		got := cal.Add(c.from, c.days)
		if want := endOf(c.want); !got.Equal(want) {
			t.Errorf("Add(%v, %d) = %v, want %v (%s)", c.from, c.days, got, want, c.why)
		}
		if got.Location() != workday.Location() {
			t.Errorf("Add(%v, %d) is in %v, want %v", c.from, c.days, got.Location(), workday.Location())
		}
	}
}

// The deadline is the last millisecond of its day: an answer at 23:59:59.999
// is on time, one a millisecond later is not.
func TestAddDeadlineBoundary(t *testing.T) {
	cal := workday.Default()
	d := cal.Add(on("2027-02-04"), 10)
	if h, m, s := d.Clock(); h != 23 || m != 59 || s != 59 || d.Nanosecond() != 999_000_000 {
		t.Fatalf("deadline %v: want 23:59:59.999", d)
	}
	if onTime := at("2027-02-25", "23:59").Add(59*time.Second + 999*time.Millisecond); onTime.After(d) {
		t.Errorf("%v is after the deadline %v", onTime, d)
	}
	if late := at("2027-02-26", "00:00"); !late.After(d) {
		t.Errorf("%v is not after the deadline %v", late, d)
	}
	if got := d.Truncate(time.Millisecond); !got.Equal(d) {
		t.Errorf("the deadline %v does not survive millisecond storage", d)
	}
}

func TestBetween(t *testing.T) {
	cal := workday.Default()
	for _, c := range []struct {
		a, b time.Time
		want int
	}{
		{on("2027-02-04"), on("2027-02-25"), 10},
		{on("2027-02-25"), on("2027-02-04"), -10},
		{on("2027-02-04"), at("2027-02-04", "23:00"), 0},
		{on("2027-02-04"), on("2027-02-11"), 0},
		{on("2027-02-04"), on("2027-02-12"), 1},
		{on("2026-03-06"), on("2026-03-08"), 0},
		{on("2026-12-31"), on("2027-01-04"), 1},
		// 261 weekdays in 2026 and in 2027, less 11 weekday holidays in each.
		{on("2025-12-31"), on("2027-12-31"), 250 + 250},
	} {
		if got := cal.Between(c.a, c.b); got != c.want {
			t.Errorf("Between(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// Add and Between agree, and agree with counting IsWorkday day by day,
// over a dozen years of start days.
func TestAddBetweenIsWorkdayAgree(t *testing.T) {
	cal := workday.Default()
	start := on("2020-01-01")
	for t0 := start; t0.Year() < 2032; t0 = t0.AddDate(0, 0, 1) {
		for _, n := range []int{0, 1, 2, 5, 10, 15, 30, 60} {
			d := cal.Add(t0, n)
			if got := cal.Between(t0, d); got != n {
				t.Fatalf("Between(%v, Add(…, %d)) = %d", t0, n, got)
			}
			if got := cal.Between(d, t0); got != -n {
				t.Fatalf("Between(Add(%v, %d), …) = %d, want %d", t0, n, got, -n)
			}
			if n > 0 {
				if !cal.IsWorkday(d) {
					t.Fatalf("Add(%v, %d) = %v, not a working day", t0, n, d)
				}
				// One day fewer is one working day fewer.
				if cal.Between(t0, d.AddDate(0, 0, -1)) != n-1 {
					t.Fatalf("Add(%v, %d) = %v is not the first day with %d working days", t0, n, d, n)
				}
			}
		}
	}
	// Counting by hand across three year boundaries.
	a, b := on("2025-06-15"), on("2028-03-10")
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if cal.IsWorkday(d) {
			n++
		}
	}
	if got := cal.Between(a, b); got != n {
		t.Errorf("Between(%v, %v) = %d, counting gives %d", a, b, got, n)
	}
}

func TestHolidays2027(t *testing.T) {
	want := []string{
		"2027-01-01 Tết Dương lịch",
		"2027-02-05 Tết Nguyên đán Đinh Mùi",
		"2027-02-06 Tết Nguyên đán Đinh Mùi",
		"2027-02-07 Tết Nguyên đán Đinh Mùi",
		"2027-02-08 Tết Nguyên đán Đinh Mùi",
		"2027-02-09 Tết Nguyên đán Đinh Mùi",
		"2027-02-10 Nghỉ bù Tết Nguyên đán Đinh Mùi",
		"2027-02-11 Nghỉ bù Tết Nguyên đán Đinh Mùi",
		"2027-04-16 Giỗ Tổ Hùng Vương",
		"2027-04-30 Ngày Chiến thắng",
		"2027-05-01 Ngày Quốc tế Lao động",
		"2027-05-03 Nghỉ bù Ngày Quốc tế Lao động",
		"2027-09-02 Quốc khánh",
		"2027-09-03 Quốc khánh",
	}
	checkDays(t, "Holidays(2027)", workday.Default().Holidays(2027), want)
}

func TestMakeUpDays(t *testing.T) {
	cal := workday.Default()
	checkDays(t, "MakeUpDays(2024)", cal.MakeUpDays(2024), []string{
		"2024-05-04 Làm bù cho Ngày Chiến thắng và Ngày Quốc tế Lao động",
	})
	checkDays(t, "MakeUpDays(2027)", cal.MakeUpDays(2027), nil)
}

func checkDays(t *testing.T, what string, got []workday.Holiday, want []string) {
	t.Helper()
	var g []string
	for _, h := range got {
		if h.Date.Location() != workday.Location() || h.Date.Hour() != 0 {
			t.Errorf("%s: %v is not midnight in Asia/Ho_Chi_Minh", what, h.Date)
		}
		g = append(g, h.Date.Format(time.DateOnly)+" "+h.Name)
	}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %q\nwant %q", what, g, want)
	}
}

// Tết is never lost: every year has the five days of the Labour Code (or
// an announced schedule that holds them) and mùng 1 is one of them.
func TestEveryYearHasTet(t *testing.T) {
	cal := workday.Default()
	for y := 1970; y <= 2260; y++ {
		tet := 0
		for _, h := range cal.Holidays(y) {
			if len(h.Name) >= len("Tết Nguyên đán") && h.Name[:len("Tết Nguyên đán")] == "Tết Nguyên đán" {
				tet++
			}
		}
		if tet < 5 {
			t.Errorf("%d: %d days of Tết Nguyên đán", y, tet)
		}
	}
}

func TestHolidaysIsACopy(t *testing.T) {
	cal := workday.Default()
	h := cal.Holidays(2027)
	h[0].Name = "changed"
	if cal.Holidays(2027)[0].Name == "changed" {
		t.Error("Holidays returned the calendar's own slice")
	}
}

// Many goroutines filling the year cache at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	cal := workday.Default()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for y := 2030 + g; y < 2060; y++ {
				_ = cal.Add(on(fmt.Sprintf("%d-02-01", y)), 20)
				_ = cal.Holidays(y)
			}
		})
	}
	wg.Wait()
}

func BenchmarkAdd(b *testing.B) {
	cal := workday.Default()
	starts := make([]time.Time, 365)
	for i := range starts {
		starts[i] = on("2026-01-01").AddDate(0, 0, i)
	}
	cal.Add(starts[0], 400) // fill the cache
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = cal.Add(starts[i%len(starts)], 10)
	}
}

// The first question about a year computes it: about twenty new moons and
// solar longitudes.
func BenchmarkFirstYear(b *testing.B) {
	for b.Loop() {
		cal, err := workday.Parse(strings.NewReader(""))
		if err != nil {
			b.Fatal(err)
		}
		_ = cal.IsWorkday(on("2027-02-08"))
	}
}

func BenchmarkBetween(b *testing.B) {
	cal := workday.Default()
	a, c := on("2026-01-15"), on("2027-03-20")
	cal.Between(a, c)
	for b.Loop() {
		_ = cal.Between(a, c)
	}
}

func ExampleCalendar_Add() {
	cal := workday.Default()
	received := time.Date(2027, time.February, 4, 9, 30, 0, 0, workday.Location())
	due := cal.Add(received, 10)
	fmt.Println(due.Format("Mon 2006-01-02 15:04:05.000 -07:00"))
	fmt.Println(cal.Between(received, due))
	// Output:
	// Thu 2027-02-25 23:59:59.999 +07:00
	// 10
}
