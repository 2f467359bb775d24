"""Working days per department: weekends, national holidays, and each department's own."""

from datetime import UTC, date, datetime, timedelta

import pytest

from parcours.core import calendar


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("department", "start", "days", "expected"),
    [
        # 974: 20 December 2026 (abolition of slavery) is a Sunday; 2027's falls on a Monday and is skipped.
        ("974", date(2027, 12, 17), 1, date(2027, 12, 21)),
        ("974", date(2027, 12, 17), 3, date(2027, 12, 23)),
        # The same dates in 92: 20 December is an ordinary Monday there.
        ("92", date(2027, 12, 17), 1, date(2027, 12, 20)),
        # 92 across 14 July 2026 (a Tuesday): 3 working days after Friday 10 July is Wednesday 15.
        ("92", date(2026, 7, 10), 3, date(2026, 7, 16)),
        ("92", date(2026, 7, 13), 1, date(2026, 7, 15)),
        # 0 days: the day itself.
        ("92", date(2026, 7, 14), 0, date(2026, 7, 14)),
        # Moselle keeps Good Friday and St Stephen's Day (26 December).
        ("57", date(2026, 12, 24), 1, date(2026, 12, 28)),
        ("92", date(2026, 12, 24), 1, date(2026, 12, 28)),
        ("57", date(2026, 4, 2), 1, date(2026, 4, 7)),
        ("92", date(2026, 4, 2), 1, date(2026, 4, 3)),
    ],
)
def test_add_working_days(department, start, days, expected):
    assert calendar.add_working_days(department, start, days) == expected


@pytest.mark.django_db
def test_la_reunion_has_20_december_and_the_mainland_does_not():
    assert date(2027, 12, 20) in calendar.public_holidays("974", 2027)
    assert date(2027, 12, 20) not in calendar.public_holidays("92", 2027)
    assert not calendar.is_working_day("974", date(2027, 12, 20))
    assert calendar.is_working_day("92", date(2027, 12, 20))


@pytest.mark.django_db
def test_the_date_is_taken_in_the_department_time_zone():
    # 22:30 in Paris on 17 December is already 01:30 on the 18th in La Réunion (UTC+4).
    moment = datetime(2026, 12, 17, 21, 30, tzinfo=UTC)
    assert calendar.local_date("92", moment) == date(2026, 12, 17)
    assert calendar.local_date("974", moment) == date(2026, 12, 18)


@pytest.mark.django_db
def test_working_days_between_counts_both_ways():
    assert calendar.working_days_between("92", date(2026, 7, 10), date(2026, 7, 16)) == 3
    assert calendar.working_days_between("92", date(2026, 7, 16), date(2026, 7, 10)) == -3


@pytest.mark.django_db
def test_end_of_day_is_in_the_department_time_zone():
    end = calendar.end_of_day("974", date(2026, 12, 18))
    assert end.utcoffset().total_seconds() == 4 * 3600


@pytest.mark.django_db
def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        calendar.add_working_days("92", date(2026, 1, 5), -1)


@pytest.mark.django_db
@pytest.mark.parametrize("department", ["92", "974", "57"])
def test_add_working_days_agrees_with_counting_day_by_day(department):
    from parcours.core.models import Department

    department = Department.objects.get(code=department)

    def reference(start, days):
        current, remaining = start, days
        while remaining:
            current += timedelta(days=1)
            if calendar.is_working_day(department, current):
                remaining -= 1
        return current

    start = date(2025, 11, 1)
    for offset in range(0, 430, 3):
        day = start + timedelta(days=offset)
        for days in (0, 1, 2, 5, 10, 15, 20, 30, 60):
            assert calendar.add_working_days(department, day, days) == reference(day, days)
