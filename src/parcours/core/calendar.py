"""Working days per department: weekends and the department's public holidays.

La Réunion (974) has its own days (20 December, abolition of slavery), Moselle and Alsace
theirs; the `holidays` package knows them by subdivision.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays as holidays_lib
from django.utils import timezone

from parcours.core.models import Department


@lru_cache(maxsize=256)
def _holidays(subdivision: str, year: int) -> dict[date, str]:
    calendar = holidays_lib.France(subdiv=subdivision or None, years=year, language="fr")
    return dict(calendar.items())


def _department(department: Department | str) -> Department:
    if isinstance(department, Department):
        return department
    return Department.objects.get(code=department)


def public_holidays(department: Department | str, year: int) -> dict[date, str]:
    dep = _department(department)
    return _holidays(dep.holiday_subdivision, year)


def is_working_day(department: Department | str, day: date) -> bool:
    dep = _department(department)
    return day.weekday() < 5 and day not in _holidays(dep.holiday_subdivision, day.year)


@lru_cache(maxsize=256)
def _working_days(subdivision: str, year: int) -> tuple[date, ...]:
    """The working days of `year`, in order."""
    holidays = _holidays(subdivision, year)
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


@lru_cache(maxsize=64)
def _working_days_before_year(subdivision: str, year: int) -> int:
    """Working days from 1 January 2000 to the end of `year - 1` (an origin for `working_day_number`)."""
    if year <= 2000:
        return 0
    return _working_days_before_year(subdivision, year - 1) + len(_working_days(subdivision, year - 1))


def working_day_number(subdivision: str, day: date) -> int:
    """The number of working days from 1 January 2000 up to `day` included: a difference of two
    numbers is `working_days_between` without walking the days (the bilan measures a million delays)."""
    return _working_days_before_year(subdivision, day.year) + bisect_right(
        _working_days(subdivision, day.year), day
    )


def add_working_days(department: Department | str, start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted); 0 gives `start`.

    Looked up in the year's list of working days rather than walked day by day: an import
    computes ~100,000 deadlines of 10 to 20 working days (a test compares both ways).
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    if days == 0:
        return start
    dep = _department(department)
    year = start.year
    working = _working_days(dep.holiday_subdivision, year)
    index = bisect_right(working, start) + days - 1  # bisect_right: the first working day after start
    while index >= len(working):
        index -= len(working)
        year += 1
        working = _working_days(dep.holiday_subdivision, year)
    return working[index]


def working_days_between(department: Department | str, start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    dep = _department(department)
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in _holidays(dep.holiday_subdivision, current.year):
            count += 1
    return sign * count


def local_date(department: Department | str, moment: datetime | None = None) -> date:
    """The calendar date in the department's time zone (it is already tomorrow in 974 at 21:00 in Paris)."""
    dep = _department(department)
    return timezone.localtime(moment or timezone.now(), dep.tzinfo).date()


def end_of_day(department: Department | str, day: date) -> datetime:
    """23:59:59 on `day` in the department's time zone, as an aware datetime."""
    dep = _department(department)
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dep.tzinfo)
