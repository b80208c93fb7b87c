package workday

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func date(s string) int { return mustDay(s) }

func show(d int) string { return dayStart(d).Format(time.DateOnly) }

// Meeus, Astronomical Algorithms, Example 49.a: the new moon of February
// 1977, k = −283, at JDE 2443192.65118.
func TestNewMoonMeeusExample(t *testing.T) {
	if got := newMoonTT(-283); math.Abs(got-2443192.65118) > 0.00001 {
		t.Errorf("newMoonTT(-283) = %.5f, want 2443192.65118", got)
	}
}

// Meeus, Example 25.a: the Sun's apparent longitude on 1992 October 13.0 TD
// is 199.90895°.
func TestSunLongitudeMeeusExample(t *testing.T) {
	jde := 2448908.5
	if got := sunLongitude(jde - deltaT(jde)); math.Abs(got-199.90895) > 0.0001 {
		t.Errorf("sunLongitude = %.5f°, want 199.90895°", got)
	}
}

func TestTet(t *testing.T) {
	for _, c := range []struct {
		year int
		tet  string
		name string
	}{
		{2024, "2024-02-10", "Giáp Thìn"},
		{2025, "2025-01-29", "Ất Tỵ"},
		{2026, "2026-02-17", "Bính Ngọ"},
		{2027, "2027-02-06", "Đinh Mùi"},
		{2028, "2028-01-26", "Mậu Thân"},
		{2029, "2029-02-13", "Kỷ Dậu"},
		// The new moon is at 16:07 UT on 2 February: 23:07 in Hà Nội, so
		// Tết Canh Tuất is on the 2nd in Vietnam and on the 3rd in China
		// (UTC+8), as in 2007.
		{2030, "2030-02-02", "Canh Tuất"},
		{2007, "2007-02-17", "Đinh Hợi"},
		// UTC+7 also moved the winter solstice into a different month:
		// Vietnam kept Tết Ất Sửu a month before China (20 February).
		{1985, "1985-01-21", "Ất Sửu"},
		{1968, "1968-01-29", "Mậu Thân"},
	} {
		if got := show(tetDay(c.year)); got != c.tet {
			t.Errorf("Tết %d = %s, want %s", c.year, got, c.tet)
		}
		if got := canChi(c.year); got != c.name {
			t.Errorf("canChi(%d) = %q, want %q", c.year, got, c.name)
		}
	}
}

// Giỗ Tổ Hùng Vương, 10/3 of the lunar calendar; 2020 and 2023 have a leap
// month before the third (4 and 2), which must not be counted.
func TestHungKings(t *testing.T) {
	for y, want := range map[int]string{
		2020: "2020-04-02",
		2021: "2021-04-21",
		2022: "2022-04-10",
		2023: "2023-04-29",
		2024: "2024-04-18",
		2025: "2025-04-07",
		2026: "2026-04-26",
		2027: "2027-04-16",
	} {
		if got := show(lunarToDay(y, 3, 10)); got != want {
			t.Errorf("10/3 âm lịch %d = %s, want %s", y, got, want)
		}
	}
}

// Every month start from 1968 to 2200, and every leap month, against
// testdata/lunar.txt, made with another ephemeris (see gen_lunar.py).
func TestLunarAgainstEphemeris(t *testing.T) {
	f, err := os.Open("testdata/lunar.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	years := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		y, err1 := strconv.Atoi(fields[0])
		leap, err2 := strconv.Atoi(fields[1])
		if err1 != nil || err2 != nil || len(fields) < 14 {
			t.Fatalf("bad line %q", line)
		}
		ly := lunarYearOf(y)
		if ly.leap != leap {
			t.Errorf("%d: leap month at %d, want %d", y, ly.leap, leap)
		}
		months := fields[2:]
		if n := month11(y) - ly.start; n != len(months) {
			t.Errorf("%d: %d months, want %d", y, n, len(months))
			continue
		}
		for i, want := range months {
			if got := show(newMoonDay(ly.start + i)); got != want {
				t.Errorf("%d: month %d after the 11th begins %s, want %s", y, i, got, want)
			}
		}
		years++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if years != 2200-1968+1 {
		t.Errorf("read %d years, want %d", years, 2200-1968+1)
	}
}

// Each announcement only moves days off: in its year, the weekdays off less
// the Saturdays worked are as many as the law's days give.
func TestAnnouncementsMoveDaysOff(t *testing.T) {
	for y := 2021; y <= 2025; y++ {
		law, ann := weekdaysOff(defaultOccurrences(y, false)), weekdaysOff(defaultOccurrences(y, true))
		makeUp := 0
		for _, o := range defaultOccurrences(y, true) {
			makeUp += len(o.makeUp)
		}
		if ann-makeUp != law {
			t.Errorf("%d: announced %d weekdays off less %d make-up days, law %d", y, ann, makeUp, law)
		}
	}
}

func weekdaysOff(occ []occurrence) int {
	off := map[int]bool{}
	for _, o := range occ {
		for d := o.first; d <= o.last; d++ {
			off[d] = !isWeekend(d)
		}
	}
	for _, c := range compensatory(occ) {
		off[c.first] = true
	}
	n := 0
	for _, v := range off {
		if v {
			n++
		}
	}
	return n
}

// The rule for the day beside 2/9 gives the days announced in 2021–2025.
func TestNationalDayRuleMatchesAnnouncements(t *testing.T) {
	for _, a := range announced {
		if a.name != "Quốc khánh" {
			continue
		}
		first, last := mustDay(a.first), mustDay(a.last)
		y, _ := yearDay(first)
		var qk []occurrence
		for _, o := range lawOccurrences(y) {
			if o.name == "Quốc khánh" {
				qk = append(qk, o)
			}
		}
		law := map[int]bool{}
		for _, o := range qk {
			for d := o.first; d <= o.last; d++ {
				law[d] = true
			}
		}
		for _, c := range compensatory(qk) {
			law[c.first] = true
		}
		for d := first; d <= last; d++ {
			if !isWeekend(d) && !law[d] {
				t.Errorf("%d: %s announced off, not given by the rule", y, show(d))
			}
			delete(law, d)
		}
		if len(law) != 0 {
			t.Errorf("%d: the rule gives days off outside %s..%s: %v", y, a.first, a.last, law)
		}
	}
}
