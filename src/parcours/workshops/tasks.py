"""Background work of the workshops module (django-tasks; `parcours db_worker` runs them).

Offers and invitations lapse at a precise moment: a deferred task is queued for that moment when
the task backend supports it, and `parcours workshops_housekeeping` (cron, every few minutes)
sweeps whatever is left, so nothing depends on a single path.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

logger = logging.getLogger("parcours.workshops")


@task()
def expire_offers_task() -> int:
    from parcours.workshops.services import expire_offers

    return expire_offers()


@task()
def housekeeping_task() -> dict:
    return housekeeping()


@task()
def poll_room_attendance(workshop_id: int) -> int:
    from django.core.exceptions import ValidationError

    from parcours.workshops.models import RoomKind, Workshop
    from parcours.workshops.services import fill_attendance_from_room

    workshop = Workshop.objects.select_related("department").filter(pk=workshop_id).first()
    if workshop is None or workshop.room_kind != RoomKind.BBB or workshop.status != Workshop.Status.PUBLISHED:
        return 0
    try:
        return fill_attendance_from_room(actor=None, workshop=workshop)
    except ValidationError as error:
        logger.warning("Relevé de présence impossible pour la séance %s : %s", workshop_id, error.messages)
        return 0


def housekeeping(now=None) -> dict:
    from parcours.workshops.services import expire_invitations, expire_offers

    now = now or timezone.now()
    return {"offers_expired": expire_offers(now=now), "invitations_expired": expire_invitations(now=now)}


def _defer(task_obj, run_after, *args) -> None:
    """Queue a task for later, once the transaction commits; nothing if the backend cannot defer."""
    if not default_task_backend.supports_defer or run_after <= timezone.now():
        return
    transaction.on_commit(lambda: task_obj.using(run_after=run_after).enqueue(*args))


def schedule_offer_expiry(registration) -> None:
    _defer(expire_offers_task, registration.offer_expires_at + timedelta(seconds=5))


def schedule_attendance_polls(workshop) -> None:
    """Read who is in the BigBlueButton room a few times during the session."""
    for minutes in (20, 60, workshop.duration_minutes - 10):
        _defer(poll_room_attendance, workshop.starts_at + timedelta(minutes=max(5, minutes)), workshop.pk)
