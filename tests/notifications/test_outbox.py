"""The outbox: transactional enqueue, idempotency, channels, scheduling, retries, cancellation."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from parcours.notifications import outbox
from parcours.notifications.backends import PermanentError
from parcours.notifications.models import Message
from tests.notifications.factories import add_channel, family, letters_stored, pdf_text, sms_sent

pytestmark = pytest.mark.django_db

TEXTS = {
    "email_subject": "Votre rendez-vous du {{ day|date:'j F' }}",
    "email_body": "Bonjour {{ first_name }},\nrendez-vous le {{ day|date:'l j F Y' }}.",
    "sms_text": "Caf : rendez-vous le {{ day|date:'j F' }}.",
    "letter_body": "<p>Rendez-vous le {{ day|date:'j F Y' }}.</p>",
    "example_context": {"day": date(2026, 3, 12)},
}


@pytest.fixture
def rdv(template):
    return template(key="tests.rdv", **TEXTS)


def test_enqueue_writes_nothing_when_the_callers_transaction_rolls_back(rdv):
    _, mother, _, _ = family()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(
            actor=None,
            template="tests.rdv",
            key="k-rollback",
            person=mother,
            context={"day": date(2026, 3, 12)},
        )
        raise RuntimeError("the caller's change failed")
    assert not Message.objects.filter(key="k-rollback").exists()
    outbox.deliver_due()
    assert mail.outbox == []


def test_enqueue_twice_with_the_same_key_gives_one_message(rdv):
    _, mother, _, _ = family()
    first = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-same", person=mother, context={"day": date(2026, 3, 12)}
    )
    second = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-same", person=mother, context={"day": date(2027, 1, 1)}
    )
    assert second.pk == first.pk
    assert second.decoded_context == {"day": date(2026, 3, 12)}
    outbox.deliver_due()
    outbox.deliver_due()
    assert len(mail.outbox) == 1
    assert Message.objects.filter(key="k-same").count() == 1


def test_an_email_goes_to_the_safe_address_in_french_with_the_reference_as_message_id(rdv):
    _, mother, _, _ = family(channels=("email",))
    message = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-mail", person=mother, context={"day": date(2026, 3, 12)}
    )
    report = outbox.deliver_due()
    assert report.sent == 1
    (sent,) = mail.outbox
    assert sent.to == [mother.contacts.get().value]
    assert sent.subject == "Votre rendez-vous du 12 mars"
    assert "jeudi 12 mars 2026" in sent.body
    assert sent.from_email.startswith("Caf 92 <")
    assert sent.extra_headers["Message-ID"] == f"<{message.reference}@parcours.caf.fr>"
    assert "k-mail" not in str(sent.message())  # the key may name the topic: only its hash leaves
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.channel == "email" and message.sent_at is not None


def test_the_template_order_picks_the_first_safe_channel(rdv):
    _, mother, _, _ = family(channels=("sms", "postal"))
    outbox.enqueue(
        actor=None, template="tests.rdv", key="k-order", person=mother, context={"day": date(2026, 3, 12)}
    )
    outbox.deliver_due()
    assert mail.outbox == []
    (sms,) = sms_sent()
    assert sms["to"] == "+33612000001"
    assert sms["sender"] == "Caf"
    assert sms["text"] == "Caf : rendez-vous le 12 mars."


def test_a_letter_is_a_pdf_stored_for_printing_with_the_display_address(rdv):
    _, mother, _, _ = family(channels=("postal",))
    message = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-letter", person=mother, context={"day": date(2026, 3, 12)}
    )
    outbox.deliver_due()
    (path,) = letters_stored()
    text = pdf_text(path.read_bytes())
    assert "14 chemin des Goyaviers" in text
    assert "Rendez-vous le 12 mars 2026" in text
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.letter_path.endswith(f"{message.reference}.pdf")


def test_an_unsafe_channel_is_never_used_and_the_refusal_is_recorded(rdv):
    _, mother, _, _ = family(safe=False)
    message = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-unsafe", person=mother, context={"day": date(2026, 3, 12)}
    )
    report = outbox.deliver_due()
    assert report.refused == 1
    assert mail.outbox == [] and sms_sent() == [] and letters_stored() == []
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    assert "non confirmé sûr" in message.reason
    assert message.events.filter(status=Message.Status.REFUSED).exists()


def test_a_forced_channel_that_is_not_safe_is_refused_even_when_another_is_safe(rdv):
    _, mother, _, _ = family(channels=("email",))
    add_channel(mother, "sms", safe=False)
    message = outbox.enqueue(
        actor=None,
        template="tests.rdv",
        key="k-forced",
        person=mother,
        channel="sms",
        context={"day": date(2026, 3, 12)},
    )
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    assert "Canal demandé refusé" in message.reason
    assert mail.outbox == [] and sms_sent() == []


def test_a_channel_withdrawn_after_enqueue_is_not_used(rdv):
    _, mother, _, _ = family(channels=("email",))
    message = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-late", person=mother, context={"day": date(2026, 3, 12)}
    )
    mother.contacts.update(is_safe=False)  # the person said her mailbox is no longer safe
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    assert mail.outbox == []


def test_a_direct_address_from_a_public_registration_is_used_as_given(rdv):
    message = outbox.enqueue(
        actor=None,
        template="tests.rdv",
        key="k-direct",
        address=outbox.DirectAddress("sms", "06 92 12 34 56", "Awa"),
        context={"day": date(2026, 3, 12)},
        department="974",
    )
    outbox.deliver_due()
    (sms,) = sms_sent()
    assert sms["to"] == "+262692123456"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.department.code == "974"


@pytest.mark.parametrize(
    ("kind", "value"), [("sms", "01 23"), ("email", "pas-une-adresse"), ("fax", "0102030405")]
)
def test_a_bad_direct_address_is_rejected_at_once(kind, value):
    with pytest.raises(ValueError):
        outbox.DirectAddress(kind, value)


def test_enqueue_rejects_programming_errors(rdv):
    _, mother, _, _ = family()
    with pytest.raises(ValueError, match="inconnu"):
        outbox.enqueue(actor=None, template="tests.nope", key="k1", person=mother)
    with pytest.raises(TypeError, match="identifiant"):
        outbox.enqueue(actor=None, template="tests.rdv", key="k2", person=mother, context={"person": mother})
    with pytest.raises(ValueError, match="fuseau"):
        outbox.enqueue(
            actor=None, template="tests.rdv", key="k3", person=mother, not_before=datetime(2026, 1, 1)
        )
    with pytest.raises(ValueError):
        outbox.enqueue(actor=None, template="tests.rdv", key="k4")
    assert not Message.objects.exists()


def test_not_before_holds_a_reminder_until_its_day(rdv):
    _, mother, _, _ = family(channels=("email",))
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False):
        outbox.enqueue(
            actor=None,
            template="tests.rdv",
            key="k-reminder",
            person=mother,
            context={"day": date(2026, 3, 12)},
            not_before=datetime(2026, 3, 5, 8, tzinfo=UTC),
        )
        outbox.deliver_due()
        assert mail.outbox == []
    with time_machine.travel(datetime(2026, 3, 5, 8, 0, 1, tzinfo=UTC), tick=False):
        outbox.deliver_due()
        assert len(mail.outbox) == 1


def test_cancel_by_key_prefix_drops_pending_reminders_only(rdv):
    _, mother, _, _ = family(channels=("email",))
    later = datetime.now(UTC) + timedelta(days=7)
    sent = outbox.enqueue(
        actor=None,
        template="tests.rdv",
        key="ws.reg.7.confirmation",
        person=mother,
        context={"day": date(2026, 3, 12)},
    )
    outbox.deliver_due()
    for name in ("reminder-7d", "reminder-1d"):
        outbox.enqueue(
            actor=None,
            template="tests.rdv",
            key=f"ws.reg.7.{name}",
            person=mother,
            context={"day": date(2026, 3, 12)},
            not_before=later,
        )
    other = outbox.enqueue(
        actor=None,
        template="tests.rdv",
        key="ws.reg.70.reminder-1d",
        person=mother,
        context={"day": date(2026, 3, 12)},
        not_before=later,
    )
    assert outbox.cancel(key_prefix="ws.reg.7.reminder", reason="Inscription annulée") == 2
    dropped = Message.objects.filter(key__startswith="ws.reg.7.reminder")
    assert {m.status for m in dropped} == {Message.Status.DROPPED}
    assert {m.reason for m in dropped} == {"Inscription annulée"}
    sent.refresh_from_db()
    other.refresh_from_db()
    assert sent.status == Message.Status.SENT
    assert other.status == Message.Status.PENDING
    with pytest.raises(ValueError):
        outbox.cancel(key_prefix="ws.reg.7.reminder", reason="")


def test_the_relevance_hook_drops_a_reminder_whose_reason_disappeared(template):
    cancelled = {"registration": True}
    template(
        key="tests.reminder",
        **TEXTS | {"example_context": {"day": date(2026, 3, 12)}},
        is_relevant=lambda message: not cancelled["registration"] or "Inscription annulée entre-temps",
    )
    _, mother, _, _ = family(channels=("email",))
    message = outbox.enqueue(
        actor=None, template="tests.reminder", key="k-rel", person=mother, context={"day": date(2026, 3, 12)}
    )
    report = outbox.deliver_due()
    assert report.dropped == 1
    message.refresh_from_db()
    assert message.status == Message.Status.DROPPED
    assert message.reason == "Inscription annulée entre-temps"
    assert mail.outbox == []


class FlakySms:
    """An SMS backend that fails the first `failures` times, then works."""

    calls = 0
    failures = 2
    enabled = True
    error = RuntimeError

    def send(self, *, to, text, sender, reference):
        FlakySms.calls += 1
        if FlakySms.calls <= FlakySms.failures:
            raise FlakySms.error("passerelle indisponible")
        return "ok-1"

    def delivered(self, reference):
        return None


def test_a_passing_failure_is_retried_with_exponential_backoff(rdv, settings):
    settings.PARCOURS_SMS_BACKEND = "tests.notifications.test_outbox.FlakySms"
    settings.PARCOURS_OUTBOX_BACKOFF_SECONDS = 60
    FlakySms.calls, FlakySms.failures, FlakySms.error = 0, 2, RuntimeError
    _, mother, _, _ = family(channels=("sms",))
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        message = outbox.enqueue(
            actor=None, template="tests.rdv", key="k-retry", person=mother, context={"day": date(2026, 3, 12)}
        )
        assert outbox.deliver_due().retried == 1
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 1
    assert message.next_attempt_at == start + timedelta(seconds=60)
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert outbox.deliver_due().handled == 0  # not yet due
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        outbox.deliver_due()
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == start + timedelta(seconds=60 + 120)
    with time_machine.travel(start + timedelta(seconds=180), tick=False):
        assert outbox.deliver_due().sent == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 3 and message.provider_id == "ok-1"
    details = list(message.events.values_list("detail", flat=True))
    assert sum("passerelle indisponible" in d for d in details) == 2


def test_after_the_last_attempt_the_message_is_marked_failed_with_the_reason(rdv, settings):
    settings.PARCOURS_SMS_BACKEND = "tests.notifications.test_outbox.FlakySms"
    settings.PARCOURS_OUTBOX_MAX_ATTEMPTS = 2
    FlakySms.calls, FlakySms.failures, FlakySms.error = 0, 99, RuntimeError
    _, mother, _, _ = family(channels=("sms",))
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        message = outbox.enqueue(
            actor=None, template="tests.rdv", key="k-fail", person=mother, context={"day": date(2026, 3, 12)}
        )
        outbox.deliver_due()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert outbox.deliver_due().failed == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "Abandon après 2 tentatives" in message.reason


def test_a_permanent_error_fails_at_once(rdv, settings):
    settings.PARCOURS_SMS_BACKEND = "tests.notifications.test_outbox.FlakySms"
    FlakySms.calls, FlakySms.failures, FlakySms.error = 0, 99, PermanentError
    _, mother, _, _ = family(channels=("sms",))
    message = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-perm", person=mother, context={"day": date(2026, 3, 12)}
    )
    assert outbox.deliver_due().failed == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.attempts == 1


def test_without_sms_provider_sms_is_never_chosen_and_a_forced_sms_is_refused(rdv, settings):
    settings.PARCOURS_SMS_BACKEND = "parcours.notifications.backends.sms.DisabledBackend"
    _, mother, _, _ = family(channels=("sms", "postal"))
    auto = outbox.enqueue(
        actor=None, template="tests.rdv", key="k-auto", person=mother, context={"day": date(2026, 3, 12)}
    )
    forced = outbox.enqueue(
        actor=None,
        template="tests.rdv",
        key="k-forced-sms",
        person=mother,
        channel="sms",
        context={"day": date(2026, 3, 12)},
    )
    outbox.deliver_due()
    auto.refresh_from_db()
    forced.refresh_from_db()
    assert auto.status == Message.Status.SENT and auto.channel == "postal"
    assert forced.status == Message.Status.REFUSED and "fournisseur" in forced.reason


def test_an_ics_attachment_goes_with_the_email(rdv):
    _, mother, _, _ = family(channels=("email",))
    ics = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Rendez-vous\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    outbox.enqueue(
        actor=None,
        template="tests.rdv",
        key="k-ics",
        person=mother,
        context={"day": date(2026, 3, 12)},
        attachments=[("rendez-vous.ics", ics, "text/calendar")],
    )
    outbox.deliver_due()
    (sent,) = mail.outbox
    assert sent.attachments[0][0] == "rendez-vous.ics"
    assert "SUMMARY:Rendez-vous" in sent.attachments[0][1]


def test_modules_are_told_once_when_a_message_reaches_its_final_status(rdv):
    from parcours.notifications.signals import message_finished

    seen = []

    def receiver(sender, message, status, **kwargs):
        seen.append((message.key, status))

    message_finished.connect(receiver)
    try:
        _, mother, father, _ = family(channels=("email",))
        father.contacts.update(is_safe=False)
        outbox.enqueue(
            actor=None, template="tests.rdv", key="s-sent", person=mother, context={"day": date(2026, 3, 12)}
        )
        outbox.enqueue(
            actor=None,
            template="tests.rdv",
            key="s-refused",
            person=father,
            context={"day": date(2026, 3, 12)},
        )
        later = datetime.now(UTC) + timedelta(days=1)
        outbox.enqueue(
            actor=None,
            template="tests.rdv",
            key="s-dropped",
            person=mother,
            context={"day": date(2026, 3, 12)},
            not_before=later,
        )
        outbox.deliver_due()
        outbox.deliver_due()
        outbox.cancel(key="s-dropped", reason="Séance annulée")
    finally:
        message_finished.disconnect(receiver)
    assert sorted(seen) == [("s-dropped", "dropped"), ("s-refused", "refused"), ("s-sent", "sent")]
