package workday

import "time"

// The built-in holidays of Default: the law's rules, and the schedules the
// government announced.

// occurrence is one holiday of one year: its own days, whether its weekend
// days earn compensatory days, and the working days that come with it.
type occurrence struct {
	span
	compensate bool
	makeUp     []span
}

// announcement is a schedule the government announced for public bodies:
// the days off, from first to last inclusive as published (weekends
// included), and the Saturdays worked in exchange.
type announcement struct {
	first, last string
	name        string
	makeUp      []string
}

// announced holds the schedules announced for public bodies for 2021–2025.
// Where the law's days and the announcement give the same days off (Tết
// 2022, for example) the entry changes nothing but the names. The test
// checks that each announcement moves days off without adding or removing
// any, once its make-up Saturdays are counted.
var announced = []announcement{
	{first: "2021-02-10", last: "2021-02-16", name: "Tết Nguyên đán Tân Sửu"},
	{first: "2021-09-02", last: "2021-09-05", name: "Quốc khánh"},

	{first: "2022-01-29", last: "2022-02-06", name: "Tết Nguyên đán Nhâm Dần"},
	{first: "2022-09-01", last: "2022-09-04", name: "Quốc khánh"},

	{first: "2023-01-20", last: "2023-01-26", name: "Tết Nguyên đán Quý Mão"},
	{first: "2023-09-01", last: "2023-09-04", name: "Quốc khánh"},

	{first: "2024-02-08", last: "2024-02-14", name: "Tết Nguyên đán Giáp Thìn"},
	{first: "2024-04-27", last: "2024-05-01", name: "Ngày Chiến thắng và Ngày Quốc tế Lao động",
		makeUp: []string{"2024-05-04"}},
	{first: "2024-08-31", last: "2024-09-03", name: "Quốc khánh"},

	{first: "2025-01-25", last: "2025-02-02", name: "Tết Nguyên đán Ất Tỵ"},
	{first: "2025-04-30", last: "2025-05-04", name: "Ngày Chiến thắng và Ngày Quốc tế Lao động",
		makeUp: []string{"2025-04-26"}},
	{first: "2025-08-30", last: "2025-09-02", name: "Quốc khánh"},
}

// defaultOccurrences are year y's built-in holidays: the law's, with the
// announcements for y (when withAnnounced) in place of those they overlap.
func defaultOccurrences(y int, withAnnounced bool) []occurrence {
	occ := lawOccurrences(y)
	if !withAnnounced {
		return occ
	}
	for _, a := range announced {
		first, last := mustDay(a.first), mustDay(a.last)
		if fy, _ := yearDay(first); fy != y {
			continue
		}
		occ = dropOverlapping(occ, first, last)
		o := occurrence{span: span{first: first, last: last, name: a.name}}
		for _, m := range a.makeUp {
			d := mustDay(m)
			o.makeUp = append(o.makeUp, span{first: d, last: d,
				name: "Làm bù cho " + a.name})
		}
		occ = append(occ, o)
	}
	return occ
}

// lawOccurrences are year y's holidays as the Labour Code sets them, with
// the Prime Minister's choices made as Default describes.
func lawOccurrences(y int) []occurrence {
	one := func(d int, name string) occurrence {
		return occurrence{span: span{first: d, last: d, name: name}, compensate: true}
	}
	tet := tetDay(y)
	occ := []occurrence{
		one(civilDay(y, time.January, 1), "Tết Dương lịch"),
		{span: span{first: tet - 1, last: tet + 3, name: "Tết Nguyên đán " + canChi(y)}, compensate: true},
		one(lunarToDay(y, 3, 10), "Giỗ Tổ Hùng Vương"),
		one(civilDay(y, time.April, 30), "Ngày Chiến thắng"),
		one(civilDay(y, time.May, 1), "Ngày Quốc tế Lao động"),
	}
	nd := civilDay(y, time.September, 2)
	qk := occurrence{span: span{first: nd, last: nd, name: "Quốc khánh"}, compensate: true}
	if y >= 2021 {
		switch weekday(nd) {
		case time.Monday, time.Thursday, time.Sunday:
			qk.last = nd + 1
		default:
			qk.first = nd - 1
		}
	}
	return append(occ, qk)
}

// dropOverlapping removes the occurrences whose own days meet [first, last].
func dropOverlapping(occ []occurrence, first, last int) []occurrence {
	kept := occ[:0:0]
	for _, o := range occ {
		if o.last < first || o.first > last {
			kept = append(kept, o)
		}
	}
	return kept
}

func mustDay(s string) int {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic("workday: built-in date " + s + ": " + err.Error())
	}
	return civilDay(t.Year(), t.Month(), t.Day())
}
