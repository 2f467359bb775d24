"""The worker by batches: the chokepoint decides a batch exactly as it decides each message alone, and
draining N messages costs a fixed number of queries per batch, not per message."""

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.households.models import ProtectedAddress
from parcours.notifications import chokepoint, delivery, outbox
from parcours.notifications.models import Message
from tests.notifications.factories import add_channel, family

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(template):
    return template(
        key="tests.note",
        email_subject="Information",
        email_body="Bonjour {{ first_name }},\n{{ text }}",
        sms_text="{{ text }}",
        letter_body="<p>{{ text }}</p>",
        protected_email_body="Bonjour,\n{{ text }}",
        protected_sms_text="{{ text }}",
        protected_letter_body="<p>{{ text }}</p>",
        example_context={"text": "Votre dossier est à jour."},
    )


def queue(key, text="Votre dossier est à jour.", **recipient):
    return outbox.enqueue(actor=None, template="tests.note", key=key, context={"text": text}, **recipient)


def mixed_batch() -> list[int]:
    """Every kind of situation the chokepoint answers differently, in one queue."""
    _, mother, father, _ = family()
    _, limited, _, _ = family("974")
    limited.processing_limited = True
    limited.save()
    _, victim, other_parent, _ = family(restricted=True)  # protected household
    _, opted_out, _, _ = family(channels=("email", "sms"), safe=False)  # no channel confirmed safe
    _, sheltered, sheltered_ex, _ = family(channels=("postal",))
    ProtectedAddress.objects.create(
        person=sheltered, ciphertext=b"x", elected_kind="association", elected_name="Maison des femmes",
        elected_line="2 rue Juliette Dodu", elected_postal_code="97400", elected_city="Saint-Denis",
    )  # fmt: skip
    sheltered.address.delete()
    _, night, _, _ = family(channels=())
    add_channel(night, "email", safe_from=time(18, 0), safe_until=time(20, 0))
    messages = [
        queue("m-ordinary", person=mother),
        queue("m-ordinary-father", person=father),
        queue("m-names-address", "Rendez-vous au 3 avenue de la Victoire.", person=mother),
        queue("m-limited", person=limited),
        queue("m-victim", person=victim),
        queue("m-victim-topic", "Votre médiation familiale.", person=victim),
        queue("m-other-parent-violence", "Votre plainte pour violences.", person=other_parent),
        queue("m-opted-out", person=opted_out),
        queue("m-sheltered", person=sheltered),
        queue("m-sheltered-ex", person=sheltered_ex),  # same household, ordinary wording
        queue("m-night", person=night),
        queue("m-sms-forced", person=mother, channel="sms"),
        queue("m-public", address=outbox.DirectAddress("email", "awa@exemple.fr", "Awa"), department="92"),
    ]
    return [m.pk for m in messages]


def loaded(pks):
    return list(
        Message.objects.filter(pk__in=pks)
        .select_related("household__department", "person__household", "department")
        .order_by("pk")
    )


def comparable(decision):
    rendered = decision.rendered
    return (
        decision.outcome, decision.reason, decision.channel, decision.to, decision.hold_until,
        decision.stored_text, rendered and (rendered.subject, rendered.text, rendered.protected),
    )  # fmt: skip


@time_machine.travel(datetime(2026, 3, 3, 8, 0, tzinfo=UTC), tick=False)
def test_a_batch_is_decided_exactly_as_each_message_alone(note):
    pks = mixed_batch()
    alone = [comparable(chokepoint.decide(m)) for m in loaded(pks)]
    together = [comparable(d) for d in chokepoint.decide_batch(loaded(pks))]
    assert together == alone
    outcomes = {pk: d[0] for pk, d in zip(pks, together, strict=True)}
    # The mixed set does cover each answer (else the comparison would prove little).
    assert set(outcomes.values()) == {chokepoint.SEND, chokepoint.REFUSE, chokepoint.HOLD}
    by_key = dict(zip([m.key for m in loaded(pks)], together, strict=True))
    assert by_key["m-limited"][0] == chokepoint.REFUSE and "limité" in by_key["m-limited"][1]
    assert by_key["m-opted-out"][0] == chokepoint.REFUSE
    assert by_key["m-names-address"][0] == chokepoint.REFUSE
    assert by_key["m-victim-topic"][0] == chokepoint.REFUSE
    assert by_key["m-other-parent-violence"][0] == chokepoint.REFUSE
    assert by_key["m-victim"][6][2] is True  # neutral wording
    assert by_key["m-sheltered"][6][2] is True and by_key["m-sheltered-ex"][6][2] is False
    assert by_key["m-night"][0] == chokepoint.HOLD


@time_machine.travel(datetime(2026, 3, 3, 8, 0, tzinfo=UTC), tick=False)
def test_the_worker_by_batches_records_what_it_records_one_by_one(note):
    pks = mixed_batch()
    report = outbox.deliver_due()
    statuses = dict(Message.objects.filter(pk__in=pks).values_list("key", "status"))
    assert statuses["m-ordinary"] == statuses["m-public"] == statuses["m-sheltered"] == "sent"
    assert statuses["m-limited"] == statuses["m-opted-out"] == statuses["m-victim-topic"] == "refused"
    assert statuses["m-night"] == "pending"
    assert report.sent == sum(1 for s in statuses.values() if s == "sent")
    assert report.refused == sum(1 for s in statuses.values() if s == "refused") and report.held == 1
    assert all(m.to[0] not in ("awa@exemple.fr",) or m.subject for m in mail.outbox)
    # Each message has its own history: queued, then its outcome.
    for message in Message.objects.filter(pk__in=pks):
        assert [e.status for e in message.events.all()][-1] == message.status


def public(n, start=0):
    for i in range(start, start + n):
        queue(
            f"public.{i}", address=outbox.DirectAddress("email", f"p{i}@exemple.fr", "Awa"), department="92"
        )


def drain_queries() -> int:
    with CaptureQueriesContext(connection) as captured:
        report = outbox.deliver_due()
    assert report.errors == []
    return len(captured.captured_queries)


def test_draining_costs_the_same_queries_for_ten_or_sixty_messages_of_a_batch(note, settings):
    settings.PARCOURS_OUTBOX_BATCH_SIZE = 100
    family()  # the Caf of the department
    public(10)
    ten = drain_queries()
    public(60, start=10)
    sixty = drain_queries()
    assert len(mail.outbox) == 70
    assert sixty == ten
    assert ten <= 20  # claim, load, prefetch, relevance, outcomes… and the test transaction's savepoints


def test_draining_costs_a_fixed_number_of_queries_per_batch(note, settings):
    settings.PARCOURS_OUTBOX_BATCH_SIZE = 20
    family()
    public(40)
    two_batches = drain_queries()
    public(80, start=40)
    four_batches = drain_queries()
    assert len(mail.outbox) == 120
    per_batch = (four_batches - two_batches) / 2
    assert four_batches == two_batches + 2 * per_batch and per_batch <= 16


def test_a_message_the_transport_refuses_is_retried_as_before_within_a_batch(note, settings, monkeypatch):
    family()
    public(3)
    failing = Message.objects.get(key="public.1")
    real = delivery.email_transport.send

    def flaky(**kwargs):
        if kwargs["reference"] == failing.reference:
            raise ConnectionError("serveur injoignable")
        return real(**kwargs)

    monkeypatch.setattr(delivery.email_transport, "send", flaky)
    report = outbox.deliver_due()
    assert report.sent == 2 and report.retried == 1
    failing.refresh_from_db()
    assert failing.status == Message.Status.PENDING and failing.attempts == 1
    assert failing.next_attempt_at > failing.updated_at
    assert "Tentative 1" in failing.reason
