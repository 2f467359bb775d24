"""Periodic jobs (core.schedule): due times, one claim per run, failures recorded."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from parcours.core import schedule
from parcours.core.models import PeriodicRun


def _at(hour, minute=0, day=7):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_an_interval_job_is_due_once_its_interval_has_passed():
    job = schedule.Periodic(name="x", func=lambda: None, every=timedelta(minutes=10))
    assert job.due_after(None, _at(3))
    assert not job.due_after(_at(3), _at(3, 9))
    assert job.due_after(_at(3), _at(3, 10))


def test_a_daily_job_runs_once_after_its_paris_hour():
    job = schedule.Periodic(name="x", func=lambda: None, every=timedelta(days=1), at=time(2, 30))
    # 02:30 in Paris is 01:30 UTC in winter.
    assert not job.due_after(None, _at(1, 0))
    assert job.due_after(None, _at(1, 30))
    assert not job.due_after(_at(1, 31), _at(23, 0))
    assert job.due_after(_at(1, 31), _at(1, 30, day=8))


@pytest.fixture
def counting_job():
    calls = []

    @schedule.periodic("tests.count", every=timedelta(minutes=5))
    def count():
        calls.append(1)
        return len(calls)

    yield calls
    schedule._JOBS.pop("tests.count")


@pytest.mark.django_db
def test_a_due_job_is_claimed_by_one_run_only(counting_job):
    now = _at(3)
    assert "tests.count" in schedule.run_due(now)
    assert "tests.count" not in schedule.run_due(now + timedelta(minutes=1))
    assert counting_job == [1]
    row = PeriodicRun.objects.get(name="tests.count")
    assert row.last_status == "done" and row.last_message == "1"


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_does_not_stop_the_others():
    @schedule.periodic("tests.fail", every=timedelta(minutes=5))
    def fail():
        raise RuntimeError("boom")

    try:
        assert "tests.fail" in schedule.run_due(_at(3))
        assert PeriodicRun.objects.get(name="tests.fail").last_status == "failed"
    finally:
        schedule._JOBS.pop("tests.fail")
