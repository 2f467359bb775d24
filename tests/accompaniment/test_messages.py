"""Messages of the MAP module: each parent is told only their own times and places (the chokepoint
refuses anything else), a violent incident alerts the referent, the end of a measure is announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import formats, timezone

from parcours.accompaniment import messaging, services
from parcours.accompaniment.models import Handover
from parcours.notifications import outbox
from parcours.notifications.models import Message
from tests.accompaniment import factories as af

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def running(db):
    with time_machine.travel(NOW, tick=False):
        org = af.map_organisation("92")
        m = af.measure("92", map_org=org)
        af.calendar(m)
        yield m


def _times(m, parent):
    tz = m.tzinfo
    found = set()
    for h in Handover.objects.filter(measure=m):
        for pid, at in ((h.from_parent_id, h.from_at), (h.to_parent_id, h.to_at)):
            if pid == parent.pk:
                found.add(formats.date_format(timezone.localtime(at, tz), "j/m H\\hi"))
    return found


def test_each_parent_receives_only_their_own_times_and_places(running):
    m = running
    with time_machine.travel(NOW, tick=False):
        messaging.send_schedule(actor=af.coordinator_of(m.map_organisation), measure=m)
        outbox.deliver_due()
    schedules = {msg.person_id: msg for msg in Message.objects.filter(template="accompaniment.schedule")}
    assert {msg.status for msg in schedules.values()} == {Message.Status.SENT}
    mother, father = m.residential_parent, m.visiting_parent
    to_mother, to_father = schedules[mother.pk].body, schedules[father.pk].body
    assert "Domicile de la mère" in to_mother and "Point rencontre" not in to_mother
    assert "Point rencontre Caf de Nanterre" in to_father and "Domicile" not in to_father
    assert "impasse des Roses" not in to_father
    # the other parent's times (as an SMS writes them) appear in neither
    assert not any(t in schedules[mother.pk].body for t in _times(m, father) - _times(m, mother))


def test_the_chokepoint_refuses_a_message_carrying_the_other_parents_place(running):
    m = running
    theirs = Handover.objects.filter(measure=m, to_parent=m.visiting_parent).first()
    with time_machine.travel(NOW, tick=False):
        message = outbox.enqueue(
            actor=None, template="accompaniment.schedule", key="test.leak", person=m.residential_parent,
            context={"measure_id": m.pk, "items": [{"at": theirs.to_at, "place": theirs.to_place.label}]},
        )  # fmt: skip
        outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    assert "autre parent" in message.reason


def test_a_reminder_is_queued_for_the_day_before_and_dropped_if_the_handover_is_cancelled(running):
    m = running
    with time_machine.travel(NOW, tick=False):
        messaging.send_schedule(actor=None, measure=m)
    reminder = Message.objects.filter(template="accompaniment.reminder").order_by("not_before").first()
    handover = Handover.objects.get(pk=reminder.decoded_context["handover_id"])
    assert reminder.not_before == reminder.decoded_context["item"]["at"] - timedelta(days=1)
    services.record_outcome(
        actor=af.coordinator_of(m.map_organisation),
        handover=handover,
        outcome="cancelled",
        cancelled_by="visiting",
        notice_hours=48,
    )
    with time_machine.travel(reminder.not_before + timedelta(minutes=1), tick=False):
        outbox.deliver_due()
    reminder.refresh_from_db()
    assert reminder.status == Message.Status.DROPPED


def test_a_threat_alerts_the_referent_by_email_without_the_narrative(running):
    m = running
    handover = m.handovers.order_by("from_at").first()
    services.record_outcome(
        actor=af.coordinator_of(m.map_organisation), handover=handover, outcome="done",
        incidents=[services.IncidentInput("address", "A demandé où habite l'enfant, rue Victor Hugo")],
    )  # fmt: skip
    with time_machine.travel(NOW + timedelta(hours=12), tick=False):
        outbox.deliver_due()
    alerts = [e for e in mail.outbox if "incident" in e.subject]
    assert [e.to for e in alerts] == [[m.referent.email]]
    assert "Victor Hugo" not in alerts[0].body and m.reference in alerts[0].body


def test_end_alerts_30_and_7_days_before_once_each(running, capsys):
    m = running
    coordinator = af.coordinator_of(m.map_organisation)
    for days in (30, 29, 7):
        with time_machine.travel(
            datetime.combine(m.ends_on - timedelta(days=days), datetime.min.time(), tzinfo=UTC)
            + timedelta(hours=8)
        ):
            call_command("map-remind")
    keys = sorted(
        Message.objects.filter(template="accompaniment.staff_end").values_list("direct_value", "key")
    )
    assert {v for v, _ in keys} == {m.referent.email, coordinator.email}
    assert (
        len(keys) == 4
    )  # 30 days and 7 days, to each of the two; the second run at 29 days sent nothing new
