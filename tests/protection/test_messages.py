"""The protected track at the chokepoint: neutral wording for the person at risk, nothing that tips
the other parent off, and her channels private to her."""

from datetime import UTC, datetime

import pytest
import time_machine

from parcours.notifications import outbox, templates
from parcours.notifications.models import Message
from tests import factories
from tests.notifications.factories import family
from tests.protection.factories import protected_family

pytestmark = pytest.mark.django_db
NOON_PARIS = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def transports(settings, tmp_path):
    settings.PARCOURS_SMS_FILE_PATH = tmp_path / "sms"
    settings.PARCOURS_LETTERS_DIR = tmp_path / "letters"


@pytest.fixture
def test_template():
    added = []

    def add(**fields):
        fields.setdefault("label", "Message de test")
        added.append(templates.register(templates.MessageTemplate(**fields)).key)
        return added[-1]

    yield add
    for key in added:
        templates.REGISTRY.pop(key, None)


def send(person, key, template="notifications.callback_request", channel="email", context=None):
    with time_machine.travel(NOON_PARIS, tick=False):
        message = outbox.enqueue(
            actor=None, template=template, key=key, person=person, channel=channel,
            context=context if context is not None else {"agent_name": "Mme Payet"},
        )  # fmt: skip
        outbox.deliver_due()
    message.refresh_from_db()
    return message


def test_the_person_at_risk_gets_the_neutral_wording():
    household, mother, _, _ = protected_family("92", assignee=factories.make_user("social_worker", "92"))
    message = send(mother, "m-1")
    assert message.status == Message.Status.SENT and message.protected_wording
    assert message.subject == "Message de votre Caf"


def test_the_other_parent_keeps_the_wording_he_had_before_the_report():
    factories.caf("92")
    _, _, father_before, _ = family("92")
    _, _, father_after, _ = protected_family("92", assignee=factories.make_user("social_worker", "92"))
    before, after = send(father_before, "b-1"), send(father_after, "a-1")
    assert after.status == before.status == Message.Status.SENT
    assert not after.protected_wording
    assert (after.subject, after.body) == (before.subject, before.body)


@pytest.mark.parametrize("channel", ["email", "sms", "postal"])
def test_every_registered_message_to_the_other_parent_is_unchanged_by_the_report(channel):
    """Same template, same context, same names: what the other parent receives does not tell him."""
    factories.caf("92")
    _, _, father_before, _ = family("92")
    _, _, father_after, _ = protected_family("92", assignee=factories.make_user("social_worker", "92"))
    compared = 0
    for template in templates.all_templates():
        if channel not in template.available_channels:
            continue
        context = dict(template.example_context)
        before = send(father_before, f"b-{template.key}-{channel}", template.key, channel, context)
        after = send(father_after, f"a-{template.key}-{channel}", template.key, channel, context)
        if before.status == Message.Status.SENT:
            # Sent unchanged, or refused (never sent at all) when it would mention violence.
            assert after.status in (Message.Status.SENT, Message.Status.REFUSED), after.reason
            if after.status == Message.Status.SENT:
                assert (after.subject, after.body, after.protected_wording) == (
                    before.subject, before.body, before.protected_wording,
                ), template.key  # fmt: skip
                compared += 1
    assert compared >= 3  # at least the templates of notifications and protection on this channel


def test_a_restricted_household_without_a_report_keeps_the_neutral_wording_for_both():
    household, mother, father, _ = family("92", restricted=True)
    assert send(mother, "r-1").protected_wording and send(father, "r-2").protected_wording


def test_a_message_to_the_other_parent_never_contains_her_channels(test_template):
    _, mother, father, _ = protected_family("92", assignee=factories.make_user("social_worker", "92"))
    her_email = mother.contacts.get(kind="email").value
    key = test_template(
        key="tests.contact_info",
        email_subject="Coordonnées",
        email_body="Vous pouvez écrire à {{ address }}.",
        example_context={"address": "x@exemple.fr"},
    )
    message = send(father, "c-1", key, "email", {"address": her_email})
    assert message.status == Message.Status.REFUSED
    assert "donnée privée de l'autre parent" in message.reason
    # Her own address in a message to herself is fine.
    assert send(mother, "c-2", key, "email", {"address": her_email}).status == Message.Status.SENT


def test_no_message_about_the_household_mentions_violence_even_to_the_other_parent(test_template):
    _, _, father, _ = protected_family("92", assignee=factories.make_user("social_worker", "92"))
    key = test_template(
        key="tests.vocabulary",
        email_subject="Information",
        email_body="Une aide existe pour les victimes de violences conjugales.",
    )
    message = send(father, "v-1", key, "email", {})
    assert message.status == Message.Status.REFUSED and "violences" in message.reason
