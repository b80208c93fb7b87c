package workday

import "math"

// The Vietnamese lunisolar calendar, reckoned as the official calendar has
// been since 1968: months begin on the local day (UTC+7) of an astronomical
// new moon; the eleventh month is the one in which the winter solstice falls;
// a span of thirteen months between two eleventh months has a leap month,
// the first of them in which no major solar term (a multiple of 30° of the
// Sun's longitude) begins. Before 1968 the calendar followed China's (UTC+8),
// and dates then may differ by a day or a month; deadlines never reach back
// that far.
//
// New moons are computed from Jean Meeus's method (Astronomical Algorithms,
// 2nd ed., ch. 49, with the additional planetary corrections) and the Sun's
// longitude from his low-accuracy solar theory (ch. 25). The new-moon times
// are good to a minute or so and the Sun's longitude to about 0.01° (a
// quarter of an hour of its motion), which matters only when a new moon or a
// solar term falls within minutes of local midnight; the tests compare the
// result with dates computed from a full ephemeris.

const (
	// synodicMonth is the mean length of a lunation in days.
	synodicMonth = 29.530588861
	// jdUnixEpoch is the Julian date of 1970-01-01 00:00 UT.
	jdUnixEpoch = 2440587.5
	// vnOffset is UTC+7 as a fraction of a day.
	vnOffset = 7.0 / 24
	rad      = math.Pi / 180
)

// newMoonTT is the Julian Ephemeris Day (Terrestrial Time) of lunation k,
// counted from the new moon of 6 January 2000.
func newMoonTT(k float64) float64 {
	t := k / 1236.85
	t2, t3, t4 := t*t, t*t*t, t*t*t*t
	jde := 2451550.09766 + synodicMonth*k + 0.00015437*t2 - 0.000000150*t3 + 0.00000000073*t4
	e := 1 - 0.002516*t - 0.0000074*t2
	m := rad * (2.5534 + 29.10535670*k - 0.0000014*t2 - 0.00000011*t3)                      // Sun's mean anomaly
	mm := rad * (201.5643 + 385.81693528*k + 0.0107582*t2 + 0.00001238*t3 - 0.000000058*t4) // Moon's mean anomaly
	f := rad * (160.7108 + 390.67050284*k - 0.0016118*t2 - 0.00000227*t3 + 0.000000011*t4)  // Moon's argument of latitude
	om := rad * (124.7746 - 1.56375588*k + 0.0020672*t2 + 0.00000215*t3)                    // longitude of the ascending node

	s := math.Sin
	jde += -0.40720*s(mm) +
		0.17241*e*s(m) +
		0.01608*s(2*mm) +
		0.01039*s(2*f) +
		0.00739*e*s(mm-m) -
		0.00514*e*s(mm+m) +
		0.00208*e*e*s(2*m) -
		0.00111*s(mm-2*f) -
		0.00057*s(mm+2*f) +
		0.00056*e*s(2*mm+m) -
		0.00042*s(3*mm) +
		0.00042*e*s(m+2*f) +
		0.00038*e*s(m-2*f) -
		0.00024*e*s(2*mm-m) -
		0.00017*s(om) -
		0.00007*s(mm+2*m) +
		0.00004*s(2*mm-2*f) +
		0.00004*s(3*m) +
		0.00003*s(mm+m-2*f) +
		0.00003*s(2*mm+2*f) -
		0.00003*s(mm+m+2*f) +
		0.00003*s(mm-m+2*f) -
		0.00002*s(mm-m-2*f) -
		0.00002*s(3*mm+m) +
		0.00002*s(4*mm)

	// Planetary arguments: amplitude, then the argument's constant and rate
	// in k (degrees); the first also has a T² term.
	planetary := [14][3]float64{
		{0.000325, 299.77, 0.107408},
		{0.000165, 251.88, 0.016321},
		{0.000164, 251.83, 26.651886},
		{0.000126, 349.42, 36.412478},
		{0.000110, 84.66, 18.206239},
		{0.000062, 141.74, 53.303771},
		{0.000060, 207.14, 2.453732},
		{0.000056, 154.84, 7.306860},
		{0.000047, 34.52, 27.261239},
		{0.000042, 207.19, 0.121824},
		{0.000040, 291.34, 1.844379},
		{0.000037, 161.72, 24.198154},
		{0.000035, 239.56, 25.513099},
		{0.000023, 331.55, 3.592518},
	}
	for i, p := range planetary {
		arg := p[1] + p[2]*k
		if i == 0 {
			arg -= 0.009173 * t2
		}
		jde += p[0] * s(rad*arg)
	}
	return jde
}

// deltaT is TT − UT in days at Julian date jd: the polynomial fits by
// Espenak and Meeus for 1900–2150, and Morrison and Stephenson's long-term
// parabola outside them. A few seconds of error here move nothing.
func deltaT(jd float64) float64 {
	y := 2000 + (jd-2451545)/365.25
	var sec float64
	switch {
	case y < 1900 || y >= 2150:
		u := (y - 1820) / 100
		sec = -20 + 32*u*u
	case y < 1920:
		t := y - 1900
		sec = -2.79 + 1.494119*t - 0.0598939*t*t + 0.0061966*t*t*t - 0.000197*t*t*t*t
	case y < 1941:
		t := y - 1920
		sec = 21.20 + 0.84493*t - 0.076100*t*t + 0.0020936*t*t*t
	case y < 1961:
		t := y - 1950
		sec = 29.07 + 0.407*t - t*t/233 + t*t*t/2547
	case y < 1986:
		t := y - 1975
		sec = 45.45 + 1.067*t - t*t/260 - t*t*t/718
	case y < 2005:
		t := y - 2000
		sec = 63.86 + 0.3345*t - 0.060374*t*t + 0.0017275*t*t*t + 0.000651814*t*t*t*t + 0.00002373599*t*t*t*t*t
	case y < 2050:
		t := y - 2000
		sec = 62.92 + 0.32217*t + 0.005589*t*t
	default:
		u := (y - 1820) / 100
		sec = -20 + 32*u*u - 0.5628*(2150-y)
	}
	return sec / 86400
}

// newMoonDay is the local day (days since 1970-01-01) on which lunation k
// begins.
func newMoonDay(k int) int {
	jde := newMoonTT(float64(k))
	ut := jde - deltaT(jde)
	return int(math.Floor(ut + vnOffset - jdUnixEpoch))
}

// sunLongitude is the Sun's apparent geometric longitude in degrees,
// [0, 360), at Julian date jd (UT).
func sunLongitude(jd float64) float64 {
	t := (jd + deltaT(jd) - 2451545) / 36525
	l0 := 280.46646 + 36000.76983*t + 0.0003032*t*t
	m := rad * (357.52911 + 35999.05029*t - 0.0001537*t*t)
	c := (1.914602-0.004817*t-0.000014*t*t)*math.Sin(m) +
		(0.019993-0.000101*t)*math.Sin(2*m) +
		0.000289*math.Sin(3*m)
	om := rad * (125.04 - 1934.136*t)
	l := l0 + c - 0.00569 - 0.00478*math.Sin(om)
	l = math.Mod(l, 360)
	if l < 0 {
		l += 360
	}
	return l
}

// termSector is which 30° sector of longitude the Sun is in at the local
// midnight that begins day d: a month contains a major solar term exactly
// when the sector at its first day differs from the sector at the next
// month's first day.
func termSector(d int) int {
	return int(sunLongitude(float64(d)+jdUnixEpoch-vnOffset) / 30)
}

// lunationBefore is the index of the last lunation that begins on or before
// local day d.
func lunationBefore(d int) int {
	k := int(math.Floor((float64(d) + jdUnixEpoch - 2451550.09766) / synodicMonth))
	for newMoonDay(k) > d {
		k--
	}
	for newMoonDay(k+1) <= d {
		k++
	}
	return k
}

// month11 is the lunation of the eleventh lunar month that holds the winter
// solstice of Gregorian year y.
func month11(y int) int {
	k := lunationBefore(civilDay(y, 12, 31))
	// The solstice (270°) comes around 21–22 December; if the Sun has
	// already passed it when month k begins, it fell in the month before.
	if termSector(newMoonDay(k)) >= 9 {
		k--
	}
	return k
}

// lunarYear is how the months run from the eleventh month of the lunar year
// before year y to the eleventh month of year y (where y is the Gregorian
// year in which the lunar year begins).
type lunarYear struct {
	start int // lunation of the eleventh month of the year before
	leap  int // months after start of the leap month; 0 when there is none
}

func lunarYearOf(y int) lunarYear {
	a, b := month11(y-1), month11(y)
	ly := lunarYear{start: a}
	if b-a == 13 {
		prev := termSector(newMoonDay(a + 1))
		for i := 1; i <= 12; i++ {
			next := termSector(newMoonDay(a + i + 1))
			if next == prev {
				ly.leap = i
				break
			}
			prev = next
		}
	}
	return ly
}

// lunarToDay is the local day of day d of lunar month m (not the leap month
// of that number) of the lunar year that begins in Gregorian year y; months
// 11 and 12 are those at the end of that lunar year.
func lunarToDay(y, m, d int) int {
	if m >= 11 {
		y++
	}
	ly := lunarYearOf(y)
	i := (m + 1) % 12 // months after the eleventh: 11→0, 12→1, 1→2, …, 10→11
	if ly.leap != 0 && ly.leap <= i {
		i++
	}
	return newMoonDay(ly.start+i) + d - 1
}

// tetDay is the local day of Tết Nguyên đán, the first day of the first
// lunar month, in Gregorian year y.
func tetDay(y int) int { return lunarToDay(y, 1, 1) }

// canChi is the sexagenary name of the lunar year that begins in Gregorian
// year y, as Tết is named ("Đinh Mùi" for 2027).
func canChi(y int) string {
	stems := [10]string{"Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý"}
	branches := [12]string{"Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"}
	return stems[mod(y+6, 10)] + " " + branches[mod(y+8, 12)]
}

func mod(a, n int) int {
	r := a % n
	if r < 0 {
		r += n
	}
	return r
}
