// Package workday owns the working-day calendar by which deadlines for
// citizen feedback are counted in Vietnam: weekends, the public holidays of
// the Labour Code 2019 (Tết Nguyên đán from a computed lunar calendar, with
// compensatory days and the government's announced schedules), and the
// holidays and make-up working days a deployment lists in a plain text file.
//
// Every date is a calendar day in Asia/Ho_Chi_Minh, whatever zone a
// time.Time given to the package carries.
package workday

import (
	"sort"
	"sync"
	"time"
)

// Holiday is a day of a calendar, named in Vietnamese.
type Holiday struct {
	// Date is midnight at the start of the day in Asia/Ho_Chi_Minh.
	Date time.Time
	// Name is e.g. "Tết Nguyên đán Đinh Mùi" or "Nghỉ bù Quốc khánh".
	Name string
}

// Calendar says which days are working days. The public sector's week is
// Monday to Friday; a day is a working day when it is a weekday and not a
// holiday, or when it is declared a working day ("làm bù", typically a
// Saturday worked in exchange for a weekday off), which overrides both.
//
// A Calendar is immutable and safe for concurrent use; it computes each
// year's days when first asked and keeps them. The zero Calendar has
// weekends only; Default and Parse make the useful ones.
type Calendar struct {
	defaults bool     // the built-in holidays apply (no "replace" line)
	extra    []span   // holidays listed in a file, in file order
	work     []span   // working days listed in a file
	years    sync.Map // int → *yearTable, for years in [cacheFrom, cacheTo]
}

// span is a run of days [first, last] (days since 1970-01-01) with a name.
type span struct {
	first, last int
	name        string
}

// Years outside these are computed on every call rather than kept, so that
// odd timestamps cannot fill memory.
const (
	cacheFrom = 1900
	cacheTo   = 2199
)

var (
	defaultOnce sync.Once
	defaultCal  *Calendar
)

// Default is Vietnam's calendar for public bodies (cán bộ, công chức, viên
// chức), whose week is Monday to Friday, with the holidays of the Labour
// Code 2019 (Art. 112(1)), in force since 2021:
//   - Tết Dương lịch: 1 January;
//   - Tết Nguyên đán: five days, which the Prime Minister fixes each year;
//     unless an announcement is built in, the last day of the lunar year
//     and the first four days of the new one;
//   - Giỗ Tổ Hùng Vương: the 10th day of the 3rd lunar month;
//   - Ngày Chiến thắng: 30 April;
//   - Ngày Quốc tế Lao động: 1 May;
//   - Quốc khánh: 2 September and one day next to it, which the Prime
//     Minister chooses. Unless an announcement is built in, it is the
//     neighbour that is a weekday on the side of the nearer weekend, so
//     that the holiday joins a weekend, as 2021–2025 were chosen: 3/9 when
//     2/9 is a Monday, Thursday or Sunday, 1/9 when it is a Tuesday, Friday
//     or Saturday; when 2/9 is a Wednesday neither side joins a weekend
//     and 1/9 is taken.
//
// A holiday that falls on a Saturday or Sunday gives a compensatory day off
// ("nghỉ bù") on the next weekday that is not itself a holiday (Art.
// 111(3)). Lunar dates come from the Vietnamese calendar computed by its
// astronomical rules (new moons and solar terms at UTC+7) for any year, so
// no year lacks Tết.
//
// For 2021–2025 the schedules the government announced for public bodies
// are built in: Tết, 30/4–1/5 and Quốc khánh where they moved days off
// (with the Saturdays worked in exchange, in 2024 and 2025). Each takes the
// place of the holidays it overlaps, compensatory days included, since an
// announcement places those itself. Later announcements go in a deployment's
// file (see Parse).
//
// Years before 2021 follow the Labour Code 2012, whose only difference here
// is a single day for Quốc khánh; older codes are not modelled.
func Default() *Calendar {
	defaultOnce.Do(func() { defaultCal = &Calendar{defaults: true} })
	return defaultCal
}

// IsWorkday reports whether the day on which t falls in Asia/Ho_Chi_Minh is
// a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	y, i := yearDay(dayOf(t))
	return c.table(y).isWork(i)
}

// Add is the deadline days working days after t. The day on which t falls
// never counts, at whatever hour t is and whether or not it is a working
// day: the first day counted is the next working day, as the Civil Code
// counts periods in days (Art. 147–148). The deadline is the end of the
// last working day counted: 23:59:59.999 in Asia/Ho_Chi_Minh, a time that
// survives millisecond storage unchanged; an answer is on time when it is
// not After the deadline.
//
// Add(t, 0) is the end of t's own day. A negative days counts back: the
// end of the |days|-th working day before t's day.
func (c *Calendar) Add(t time.Time, days int) time.Time {
	y, i := yearDay(dayOf(t))
	tab := c.table(y)
	for days > 0 {
		i++
		if i == tab.length() {
			y, i = y+1, 0
			tab = c.table(y)
		}
		if tab.isWork(i) {
			days--
		}
	}
	for days < 0 {
		i--
		if i < 0 {
			y--
			tab = c.table(y)
			i = tab.length() - 1
		}
		if tab.isWork(i) {
			days++
		}
	}
	return time.Date(y, time.January, 1+i, 23, 59, 59, 999_000_000, Location())
}

// Between is the number of working days after the day of a up to and
// including the day of b (in Asia/Ho_Chi_Minh), the inverse of Add:
// Between(t, c.Add(t, n)) == n for every n ≥ 0. It is 0 when both fall on
// the same day, and negative when b's day comes before a's.
func (c *Calendar) Between(a, b time.Time) int {
	da, db := dayOf(a), dayOf(b)
	if da > db {
		return -c.Between(b, a)
	}
	ya, ia := yearDay(da)
	yb, ib := yearDay(db)
	ta := c.table(ya)
	if ya == yb {
		return ta.upTo(ib) - ta.upTo(ia)
	}
	n := ta.total() - ta.upTo(ia)
	for y := ya + 1; y < yb; y++ {
		n += c.table(y).total()
	}
	return n + c.table(yb).upTo(ib)
}

// Holidays are year's days off other than plain weekends, in date order:
// the holidays themselves (also when they fall on a weekend), compensatory
// days, and the days a configured or announced schedule gives off. Days
// declared working days are left out.
func (c *Calendar) Holidays(year int) []Holiday {
	return append([]Holiday(nil), c.table(year).holidays...)
}

// MakeUpDays are year's days declared working days that would otherwise be
// off, in date order: Saturdays worked in exchange for a weekday off, or a
// holiday a deployment cancelled.
func (c *Calendar) MakeUpDays(year int) []Holiday {
	return append([]Holiday(nil), c.table(year).makeUp...)
}

// yearTable is one year's working days.
type yearTable struct {
	// upto[i] is the number of working days among the first i days of the
	// year; len(upto) is the length of the year plus one.
	upto     []uint16
	holidays []Holiday
	makeUp   []Holiday
}

func (t *yearTable) length() int { return len(t.upto) - 1 }

// isWork reports whether day i (0 is 1 January) is a working day.
func (t *yearTable) isWork(i int) bool { return t.upto[i+1] > t.upto[i] }

// upTo is the number of working days from 1 January to day i included.
func (t *yearTable) upTo(i int) int { return int(t.upto[i+1]) }

func (t *yearTable) total() int { return int(t.upto[len(t.upto)-1]) }

func (c *Calendar) table(y int) *yearTable {
	if y < cacheFrom || y > cacheTo {
		return c.build(y)
	}
	if t, ok := c.years.Load(y); ok {
		return t.(*yearTable)
	}
	t, _ := c.years.LoadOrStore(y, c.build(y))
	return t.(*yearTable)
}

// build works out year y: the built-in holidays (unless replaced), less
// those a configured span overlaps, with their compensatory days; then the
// configured spans; then the declared working days over all of it.
func (c *Calendar) build(y int) *yearTable {
	first, next := civilDay(y, 1, 1), civilDay(y+1, 1, 1)
	n := next - first

	var occ []occurrence
	if c.defaults {
		occ = defaultOccurrences(y, true)
	}
	for _, e := range c.extra {
		if e.last < first || e.first >= next {
			continue
		}
		occ = dropOverlapping(occ, e.first, e.last)
	}
	comp := compensatory(occ)

	off := make([]bool, n)
	name := make([]string, n)
	mark := func(d int, s string) {
		if d < first || d >= next || off[d-first] {
			return
		}
		off[d-first], name[d-first] = true, s
	}
	for _, o := range occ {
		for d := o.first; d <= o.last; d++ {
			mark(d, o.name)
		}
	}
	for _, cd := range comp {
		mark(cd.first, cd.name)
	}
	for _, e := range c.extra {
		for d := max(e.first, first); d <= min(e.last, next-1); d++ {
			mark(d, e.name)
		}
	}

	work := make([]string, n)
	declare := func(s span) {
		for d := max(s.first, first); d <= min(s.last, next-1); d++ {
			if work[d-first] == "" {
				work[d-first] = s.name
			}
		}
	}
	for _, o := range occ {
		for _, w := range o.makeUp {
			declare(w)
		}
	}
	for _, w := range c.work {
		declare(w)
	}

	t := &yearTable{upto: make([]uint16, n+1)}
	for i := range n {
		d := first + i
		weekend := isWeekend(d)
		isWork := work[i] != "" || (!weekend && !off[i])
		t.upto[i+1] = t.upto[i]
		if isWork {
			t.upto[i+1]++
		}
		switch {
		case work[i] != "" && (weekend || off[i]):
			t.makeUp = append(t.makeUp, Holiday{Date: dayStart(d), Name: work[i]})
		case off[i] && !isWork:
			t.holidays = append(t.holidays, Holiday{Date: dayStart(d), Name: name[i]})
		}
	}
	return t
}

// compensatory gives, for each day of a compensating occurrence that falls
// on a weekend, a day off on the next weekday that is not itself a holiday
// or already a compensatory day (Labour Code 2019, Art. 111(3)).
func compensatory(occ []occurrence) []span {
	holiday := map[int]bool{}
	for _, o := range occ {
		for d := o.first; d <= o.last; d++ {
			holiday[d] = true
		}
	}
	sorted := append([]occurrence(nil), occ...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].first < sorted[j].first })
	var out []span
	for _, o := range sorted {
		if !o.compensate {
			continue
		}
		for d := o.first; d <= o.last; d++ {
			if !isWeekend(d) {
				continue
			}
			cd := d + 1
			for isWeekend(cd) || holiday[cd] {
				cd++
			}
			holiday[cd] = true
			out = append(out, span{first: cd, last: cd, name: "Nghỉ bù " + o.name})
		}
	}
	return out
}

// isWeekend reports whether day d is a Saturday or a Sunday; 1970-01-01 was
// a Thursday.
func isWeekend(d int) bool {
	wd := mod(d+4, 7) // 0 is Sunday, as in time.Weekday
	return wd == 0 || wd == 6
}

func weekday(d int) time.Weekday { return time.Weekday(mod(d+4, 7)) }

var (
	locOnce sync.Once
	loc     *time.Location
)

// Location is Asia/Ho_Chi_Minh from the system's time zone database, or,
// where there is none, a fixed UTC+7, which is the same for every date since
// 1975.
func Location() *time.Location {
	locOnce.Do(func() {
		l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
		if err != nil {
			l = time.FixedZone("+07", 7*60*60)
		}
		loc = l
	})
	return loc
}

// dayOf is the day (since 1970-01-01) on which t falls in Asia/Ho_Chi_Minh.
func dayOf(t time.Time) int {
	_, off := t.In(Location()).Zone()
	s := t.Unix() + int64(off)
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int(d)
}

// civilDay is the day number of a date of the proleptic Gregorian calendar.
func civilDay(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// yearDay is the year of day d and its index in that year (0 is 1 January).
func yearDay(d int) (year, index int) {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return t.Year(), t.YearDay() - 1
}

// dayStart is midnight at the start of day d in Asia/Ho_Chi_Minh.
func dayStart(d int) time.Time {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Location())
}
