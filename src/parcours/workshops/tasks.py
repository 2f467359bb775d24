"""Background work of the workshops module (django-tasks; `parcours worker` runs them).

Offers and invitations lapse at a precise moment: a deferred task is queued for that moment when
the task backend supports it (declared beside its service: `expire_offers_task` in
services/registrations.py, `poll_room_attendance` in services/workshops.py), and
`parcours workshops_housekeeping` (cron, every few minutes) sweeps whatever is left, so nothing
depends on a single path. This module imports the services, never the other way round.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from parcours.workshops.services import expire_invitations, expire_offers
from parcours.workshops.services.registrations import expire_offers_task
from parcours.workshops.services.workshops import poll_room_attendance

# Named here too, so that a job queued under these paths before they moved still runs.
__all__ = ["expire_offers_task", "housekeeping", "housekeeping_task", "poll_room_attendance"]


@task()
def housekeeping_task() -> dict:
    return housekeeping()


def housekeeping(now=None) -> dict:
    now = now or timezone.now()
    return {"offers_expired": expire_offers(now=now), "invitations_expired": expire_invitations(now=now)}
