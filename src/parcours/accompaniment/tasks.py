"""Periodic job of the MAP module: end-of-measure alerts (30 and 7 days before, setting).

Reminders to the parents the day before each handover are queued with the calendar (`not_before`),
so the worker sends them on time; this job adds what depends on today's date. Run by `parcours
worker` (core.schedule) and on demand by `parcours map-remind`.
"""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings
from django.db import transaction

from parcours.core import calendar, schedule


def remind(today_by_department=None) -> int:
    """Queue the end-of-measure alerts due today in each department; idempotent (keys per day count)."""
    from parcours.accompaniment import messaging
    from parcours.accompaniment.models import Measure

    sent = 0
    measures = Measure.objects.filter(status=Measure.Status.ACTIVE).select_related(
        "household__department", "referent", "map_organisation__organisation"
    )
    for measure in measures:
        department = measure.household.department
        today = (today_by_department or {}).get(department.code) or calendar.local_date(department)
        days = (measure.ends_on - today).days
        # The nearest threshold not yet passed (a missed day is caught up); the outbox key per threshold
        # makes running it every day (or twice) send each alert once.
        due = [t for t in settings.PARCOURS_MAP_END_ALERT_DAYS if 0 <= days <= t]
        if due:
            with transaction.atomic():
                sent += messaging.end_alerts(measure=measure, days=min(due))
    return sent


@schedule.periodic("accompaniment.remind", every=timedelta(days=1), at=time(7, 0))
def remind_job():
    """Alertes de fin de mesure d'accompagnement protégé (30 et 7 jours avant)."""
    return f"{remind()} alerte(s) de fin de mesure"
