"""Writes lunar.txt: the Vietnamese lunar calendar's month starts, 1968-2200.

The same rules as lunar.go (months begin on the UTC+7 day of a new moon; the
11th month holds the winter solstice; in a 13-month span the first month
without a major solar term is the leap month), but with PyEphem's new moons
and apparent solar longitudes, so that the package's own astronomy is
checked against another ephemeris. Needs python3-ephem:

    python3 gen_lunar.py > lunar.txt   (then put the header back)
"""
import datetime
import math

import ephem

TZ = 7 * ephem.hour
ONE_DAY = datetime.timedelta(days=1)


def local_day(d):
    return ephem.Date(d + TZ).datetime().date()


def local_midnight(day):
    return ephem.Date(datetime.datetime(day.year, day.month, day.day)) - TZ


def sector(day):
    """The Sun's 30-degree sector of apparent longitude as day begins."""
    d = local_midnight(day)
    sun = ephem.Sun(d)
    ecl = ephem.Ecliptic(ephem.Equatorial(sun.ra, sun.dec, epoch=d), epoch=d)
    return int(math.degrees(ecl.lon) // 30)


def month11(y):
    nm = ephem.previous_new_moon(local_midnight(datetime.date(y, 12, 31) + ONE_DAY))
    if sector(local_day(nm)) >= 9:
        nm = ephem.previous_new_moon(ephem.Date(nm - 1))
    return ephem.Date(nm)


def lunar_year(y):
    a, b = month11(y - 1), month11(y)
    moons = [a]
    while local_day(moons[-1]) < local_day(b):
        moons.append(ephem.Date(ephem.next_new_moon(ephem.Date(moons[-1] + 1))))
    starts = [local_day(m) for m in moons]
    leap = 0
    if len(starts) == 14:
        for i in range(1, 13):
            if sector(starts[i]) == sector(starts[i + 1]):
                leap = i
                break
    return starts[:-1], leap


for year in range(1968, 2201):
    starts, leap = lunar_year(year)
    print(year, leap, " ".join(s.isoformat() for s in starts))
