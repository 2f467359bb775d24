"""Periodic jobs: each module registers its own; `parcours worker` runs the due ones between batches.

    from parcours.core import schedule

    @schedule.periodic("evaluation.refresh", every=timedelta(days=1), at=time(2, 30))
    def refresh_indicators():
        ...

`every` is the interval; `at` (optional, Europe/Paris wall-clock time) pins a daily job to an hour
of the night. A job is claimed by one conditional UPDATE of its own row in `PeriodicRun` (no global
lock: two workers never run the same job twice, and different jobs never wait on each other). A job
that fails is logged and retried at its next due time; `parcours periodic` lists the jobs and runs
one on demand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger("parcours.schedule")
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[[], object]
    every: timedelta
    at: time | None = None
    description: str = ""

    def due_after(self, last_started: datetime | None, now: datetime) -> bool:
        if last_started is None:
            return self.at is None or now.astimezone(PARIS).time() >= self.at
        if self.at is None:
            return now - last_started >= self.every
        # A daily job at a fixed hour: due once the hour has passed on a day it has not run yet.
        local_now = now.astimezone(PARIS)
        today_slot = datetime.combine(local_now.date(), self.at, tzinfo=PARIS)
        return local_now >= today_slot and last_started < today_slot


_JOBS: dict[str, Periodic] = {}


def periodic(name: str, *, every: timedelta, at: time | None = None, description: str = ""):
    def decorator(func):
        _JOBS[name] = Periodic(
            name=name,
            func=func,
            every=every,
            at=at,
            description=description or (func.__doc__ or "").strip().split("\n")[0],
        )
        return func

    return decorator


def jobs() -> list[Periodic]:
    return sorted(_JOBS.values(), key=lambda j: j.name)


def get(name: str) -> Periodic:
    return _JOBS[name]


def _claim(job: Periodic, now: datetime) -> bool:
    """Take the job for this run if it is due: one conditional UPDATE of its own row."""
    from parcours.core.models import PeriodicRun

    row = PeriodicRun.objects.filter(name=job.name).first()
    if row is None:
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=job.name)
        except IntegrityError:
            pass  # another worker created it first
        row = PeriodicRun.objects.get(name=job.name)
    if not job.due_after(row.last_started_at, now):
        return False
    stale = (
        Q(last_started_at__isnull=True)
        if row.last_started_at is None
        else Q(last_started_at=row.last_started_at)
    )
    return bool(
        PeriodicRun.objects.filter(Q(name=job.name) & stale).update(
            last_started_at=now, last_status="running"
        )
    )


def _finish(job: Periodic, status: str, message: str) -> None:
    from parcours.core.models import PeriodicRun

    PeriodicRun.objects.filter(name=job.name).update(
        last_finished_at=timezone.now(), last_status=status, last_message=message[:300]
    )


def run(job: Periodic) -> object:
    """Run one job now (claimed or on demand), recording its outcome; exceptions are logged, not raised."""
    try:
        result = job.func()
    except Exception as error:  # a failing job must not stop the worker; it is retried when next due
        logger.exception("Tâche périodique %s en échec", job.name)
        _finish(job, "failed", f"{type(error).__name__}")
        return None
    _finish(job, "done", "" if result is None else str(result))
    return result


def run_now(name: str) -> object:
    """Run a job on demand (`parcours periodic run NAME`), whether due or not."""
    from parcours.core.models import PeriodicRun

    job = get(name)
    PeriodicRun.objects.update_or_create(
        name=job.name, defaults={"last_started_at": timezone.now(), "last_status": "running"}
    )
    return run(job)


def run_due(now: datetime | None = None) -> list[str]:
    """Run every job that is due (called by the worker between batches); returns their names."""
    now = now or timezone.now()
    ran = []
    for job in jobs():
        if _claim(job, now):
            run(job)
            ran.append(job.name)
    return ran


def defer(task_obj, run_after: datetime, *args) -> None:
    """Queue a task for a later moment, once the transaction commits; nothing if the backend cannot
    defer (a periodic sweep then does the work: nothing relies on this path alone)."""
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer or run_after <= timezone.now():
        return
    transaction.on_commit(lambda: task_obj.using(run_after=run_after).enqueue(*args))
