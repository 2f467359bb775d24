"""Step 1: the information on the offer goes to the declarant through the outbox (safe channel only),
in neutral words when violence is reported, and the step is done once the message is sent."""

from datetime import timedelta

import pytest
from django.core import mail

from parcours.notifications import outbox
from parcours.notifications.models import Message
from parcours.pathways.models import Pathway
from parcours.pathways.services import import_data, record_separation
from parcours.pathways.services.information import information_key, send_information_offers
from tests import factories
from tests.notifications.factories import add_channel, family
from tests.pathways.factories import csv_bytes, event_input, row


@pytest.fixture
def advisor(db):
    return factories.make_user("service_advisor", "92")


def declare(advisor, household=None, **overrides):
    today = advisor.department.local_today()
    if household is not None:
        declarant = household.members.get(is_declarant=True)
        overrides.update(file_number=household.file_number, declarant_last_name=declarant.last_name,
                         declarant_first_name=declarant.first_name)  # fmt: skip
    event, _ = record_separation(actor=advisor, event=event_input(declared_on=today, **overrides))
    return event.pathway


def test_the_form_queues_the_information_and_the_step_is_done_once_it_is_sent(advisor):
    household, mother, _, _ = family("92", channels=("email",))
    pathway = declare(advisor, household, children_count=2)
    message = Message.objects.get(key=information_key(pathway.pk))
    assert (message.person, message.template, message.status) == (
        mother,
        "pathways.information_offer",
        "pending",
    )
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == "sent" and not message.protected_wording
    assert (
        "Parents après la séparation" in mail.outbox[0].body and "médiation familiale" in mail.outbox[0].body
    )
    step = pathway.steps.get(kind="information_offer")
    assert (step.status, step.outcome) == ("closed", "done")
    assert step.note.startswith("Information envoyée par e-mail")


def test_without_a_safe_channel_the_message_is_refused_and_the_step_stays_to_do(advisor):
    pathway = declare(
        advisor, email="camille@exemple.fr", phone="+33612345678"
    )  # declared channels: unconfirmed
    outbox.deliver_due()
    message = Message.objects.get(key=information_key(pathway.pk))
    assert message.status == "refused" and message.reason
    assert not mail.outbox
    assert pathway.steps.get(kind="information_offer").status == "open"


def test_violence_reported_gets_the_neutral_wording_and_the_file_is_restricted_at_once(advisor):
    household, _, _, _ = family("92", channels=("email",))
    pathway = declare(advisor, household, violence_reported=True)
    # Issue 15: any violence signal protects the file in the same transaction as the declaration.
    assert pathway.household.restricted
    outbox.deliver_due()
    message = Message.objects.get(key=information_key(pathway.pk))
    assert message.status == "sent" and message.protected_wording
    assert "séparation" not in (message.subject + mail.outbox[0].body).lower()
    assert "médiation" not in mail.outbox[0].body.lower()


def test_a_step_done_by_hand_drops_the_message_still_waiting(advisor):
    from parcours.pathways.services import complete_step

    household, _, _, _ = family("92", channels=("email",))
    pathway = declare(advisor, household)
    complete_step(
        actor=advisor, step=pathway.steps.get(kind="information_offer"), outcome="done", note="Au guichet"
    )
    outbox.deliver_due()
    message = Message.objects.get(key=information_key(pathway.pk))
    assert (message.status, message.reason) == ("dropped", "information déjà donnée")


def test_files_leave_the_information_to_a_sweep_of_recent_declarations(
    advisor, django_capture_on_commit_callbacks
):
    today = advisor.department.local_today()
    recent, old = (
        row(declared_on=today.isoformat()),
        row(declared_on=(today - timedelta(days=30)).isoformat()),
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = import_data(actor=None, data=csv_bytes([recent, old]), filename="x.csv")
    assert outcome.created == 2
    keys = set(Message.objects.values_list("key", flat=True))
    recent_pathway = Pathway.objects.get(event__external_id=recent["external_id"])
    old_pathway = Pathway.objects.get(event__external_id=old["external_id"])
    assert keys == {information_key(recent_pathway.pk)}
    assert information_key(old_pathway.pk) not in keys
    assert send_information_offers() == 0  # idempotent: one message per pathway


def test_the_sweep_reaches_the_declarant_on_file(advisor):
    household, mother, _, _ = family("92", channels=())
    add_channel(mother, "sms", safe=True)
    today = advisor.department.local_today()
    import_data(actor=None, data=csv_bytes([row(file_number=household.file_number, declarant_last_name="Hoarau",
                                                declarant_first_name="Nadia", declared_on=today.isoformat())]),
                filename="x.csv")  # fmt: skip
    assert send_information_offers() == 1
    outbox.deliver_due()
    message = Message.objects.get(template="pathways.information_offer")
    assert (message.person, message.status, message.channel) == (mother, "sent", "sms")
