"""What the MAP services send, always through the outbox (and so the chokepoint).

- each parent: their own appointments, when the calendar is confirmed or changed, and a reminder the
  day before each one; never the other parent's time, place or address;
- the referent social worker: an alert when an incident of a violent category is recorded;
- the referent and the organisation's coordinators: the end of the measure, 30 and 7 days before.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from parcours.accompaniment.models import Handover, Measure
from parcours.core.roles import Role
from parcours.notifications import outbox

MAX_ITEMS = 6


def _absolute(path: str) -> str:
    return f"{settings.PARCOURS_SITE_URL.rstrip('/')}{path}"


def _measure_url(measure: Measure) -> str:
    return _absolute(reverse("backoffice:map-measure", kwargs={"pk": measure.pk}))


def own_items(person, handovers) -> list[dict]:
    """The person's own appointments among these handovers: time and place label, nothing else."""
    items = []
    for handover in handovers:
        if handover.from_parent_id == person.pk:
            items.append(
                {"at": handover.from_at, "place": handover.from_place.label, "handover_id": handover.pk}
            )
        elif handover.to_parent_id == person.pk:
            items.append({"at": handover.to_at, "place": handover.to_place.label, "handover_id": handover.pk})
    return sorted(items, key=lambda i: i["at"])


def _parents(measure: Measure):
    return (measure.residential_parent, measure.visiting_parent)


def send_schedule(*, actor, measure: Measure, handovers=None, purpose: str = "confirmed") -> list:
    """Each parent's next appointments (their own only), one message each."""
    now = timezone.now()
    if handovers is None:
        handovers = Handover.objects.filter(
            measure=measure, outcome=Handover.Outcome.PLANNED, from_at__gte=now
        )
    handovers = list(
        handovers.select_related("from_place", "to_place")
        if hasattr(handovers, "select_related")
        else handovers
    )
    sent = []
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    for parent in _parents(measure):
        items = own_items(parent, handovers)[:MAX_ITEMS]
        if not items:
            continue
        sent.append(
            outbox.enqueue(
                actor=actor,
                template="accompaniment.schedule",
                key=f"accompaniment.measure.{measure.pk}.{purpose}.{parent.pk}.{stamp}",
                person=parent,
                context={
                    "measure_id": measure.pk,
                    "items": [{"at": i["at"], "place": i["place"]} for i in items],
                },
            )
        )
        for item in items:
            _reminder(actor, parent, item)
    return sent


def _reminder(actor, parent, item) -> None:
    not_before = item["at"] - timedelta(days=1)
    if not_before <= timezone.now():
        return
    outbox.enqueue(
        actor=actor,
        template="accompaniment.reminder",
        key=f"accompaniment.handover.{item['handover_id']}.reminder.{parent.pk}.{item['at']:%Y%m%d%H%M}",
        person=parent,
        context={"handover_id": item["handover_id"], "item": {"at": item["at"], "place": item["place"]}},
        not_before=not_before,
    )


def calendar_changed(*, actor, measure: Measure, handovers) -> None:
    """The parents concerned by moved handovers get their new times (reminders of the old ones drop)."""
    handovers = [h for h in handovers if h.from_at > timezone.now()]
    if handovers:
        send_schedule(actor=actor, measure=measure, handovers=handovers, purpose="changed")


def cancel_reminders(measure: Measure) -> None:
    outbox.cancel(key_prefix=f"accompaniment.measure.{measure.pk}.", reason="Mesure terminée")


def _staff_recipients(measure: Measure, *, coordinators: bool) -> list:
    users = [measure.referent]
    if coordinators and measure.map_organisation_id:
        users += list(
            measure.map_organisation.organisation.users.filter(is_active=True, role_rows__role=Role.PARTNER)
        )
    return [u for u in dict.fromkeys(users) if u.is_active]


def alert_referent(*, actor, measure: Measure, handover: Handover) -> None:
    for user in _staff_recipients(measure, coordinators=False):
        outbox.enqueue(
            actor=actor,
            template="accompaniment.staff_incident",
            key=f"accompaniment.handover.{handover.pk}.incident-alert.{user.pk}",
            address=outbox.DirectAddress("email", user.email, user.first_name),
            department=measure.household.department,
            context={"reference": measure.reference, "url": _measure_url(measure)},
        )


def end_alerts(*, measure: Measure, days: int) -> int:
    count = 0
    for user in _staff_recipients(measure, coordinators=True):
        outbox.enqueue(
            actor=None,
            template="accompaniment.staff_end",
            key=f"accompaniment.measure.{measure.pk}.end-{days}d.{measure.ends_on:%Y%m%d}.{user.pk}",
            address=outbox.DirectAddress("email", user.email, user.first_name),
            department=measure.household.department,
            context={
                "reference": measure.reference,
                "ends_on": measure.ends_on,
                "days": days,
                "url": _measure_url(measure),
            },
        )
        count += 1
    return count
