"""Working days, checked against a day-by-day walk for many dates, spans and departments."""

from datetime import UTC, date, datetime, timedelta

import holidays as holidays_lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.core.calendar import add_working_days, end_of_day, local_date, working_days_between
from tests import factories

# Mainland, Moselle (its own Good Friday and 26 December), La Réunion (20 December, UTC+4),
# Guadeloupe (UTC-4): holidays and time zones both differ.
CODES = ("92", "57", "974", "971")
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@pytest.fixture
def departments(db):
    return {code: factories.department(code) for code in CODES}


def _walk(department, start: date, n: int) -> date:
    """The obvious definition: step one day at a time, count the weekdays that are not holidays."""
    calendar = holidays_lib.France(subdiv=department.holiday_subdivision or None, language="fr")
    day = start
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            n -= 1
    return day


@SETTINGS
@given(code=st.sampled_from(CODES), start=dates, n=st.integers(min_value=0, max_value=400))
def test_adding_working_days_matches_walking_day_by_day(departments, code, start, n):
    department = departments[code]
    assert add_working_days(department, start, n) == _walk(department, start, n)


@SETTINGS
@given(code=st.sampled_from(CODES), start=dates, n=st.integers(min_value=1, max_value=400))
def test_the_days_added_are_the_working_days_counted_between(departments, code, start, n):
    department = departments[code]
    end = add_working_days(department, start, n)
    assert working_days_between(department, start, end) == n
    assert working_days_between(department, end, start) == -n


@SETTINGS
@given(
    code=st.sampled_from(CODES),
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
)
def test_the_local_date_is_the_departments_wall_calendar(departments, code, moment):
    department = departments[code]
    day = local_date(department, moment)
    assert day == moment.astimezone(department.tzinfo).date()
    # The day's end, in the department's zone, still belongs to that day; a second later does not.
    assert local_date(department, end_of_day(department, day)) == day
    assert local_date(department, end_of_day(department, day) + timedelta(seconds=1)) == day + timedelta(
        days=1
    )
