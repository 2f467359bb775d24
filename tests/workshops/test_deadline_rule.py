"""The default registration deadline is the domain's: the eve at 23:59 local time, never after the start."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from parcours.workshops import services
from parcours.workshops.models import Workshop
from tests import factories


@pytest.mark.parametrize("code", ["92", "974"])
def test_the_default_deadline_is_the_eve_at_23_59_local_time(db, code):
    tz = factories.department(code).tzinfo
    starts = datetime(2026, 6, 10, 18, 0, tzinfo=tz)
    assert Workshop.closing_time(starts, tz) == datetime(2026, 6, 9, 23, 59, tzinfo=tz)


def test_a_chosen_day_closes_at_23_59_but_never_after_the_start(db):
    tz = factories.department("92").tzinfo
    morning = datetime(2026, 6, 10, 10, 0, tzinfo=tz)
    assert Workshop.closing_time(morning, tz, date(2026, 6, 8)) == datetime(2026, 6, 8, 23, 59, tzinfo=tz)
    assert Workshop.closing_time(morning, tz, date(2026, 6, 10)) == morning


@time_machine.travel("2026-06-01 09:00 +02:00", tick=False)
def test_a_session_created_without_a_deadline_gets_the_default_at_every_door(db, make_user):
    pilot = make_user("local_pilot", "974")
    tz = pilot.department.tzinfo
    starts = datetime(2026, 6, 10, 18, 0, tzinfo=tz)
    workshop = services.create_workshop(
        actor=pilot, format="webinar", starts_at=starts, capacity=10, languages=["fr"]
    )
    assert workshop.registration_deadline == datetime(2026, 6, 9, 23, 59, tzinfo=tz)
    services.update_workshop(
        actor=pilot, workshop=workshop, starts_at=starts + timedelta(days=7), registration_deadline=None
    )
    workshop.refresh_from_db()
    assert workshop.registration_deadline == datetime(2026, 6, 16, 23, 59, tzinfo=tz)


@time_machine.travel("2026-06-01 09:00 +02:00", tick=False)
def test_the_sessions_of_a_series_follow_the_same_default(db, make_user):
    pilot = make_user("local_pilot", "92")
    _, workshops = services.create_series(
        actor=pilot, format="webinar", frequency="weekly", interval=1, weekday=2, start_time=time(18),
        duration_minutes=120, capacity=10, languages=["fr"], first_date=date(2026, 6, 2), last_date=date(2026, 6, 20),
    )  # fmt: skip
    assert [w.local_deadline().time() for w in workshops] == [time(23, 59)] * len(workshops)
    assert all(w.local_deadline().date() == w.local_start().date() - timedelta(days=1) for w in workshops)
