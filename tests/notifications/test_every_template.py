"""Every registered template (this module's and every other module's) × channel × unsafe situation.

The list is read from the registry when the tests are collected, so a template added by another
module is covered as soon as it is registered in its `messages.py`.
"""

from datetime import UTC, datetime, time

import pytest
import time_machine

from parcours.households.models import ContactChannel
from parcours.notifications import outbox, safety, templates
from parcours.notifications.models import Message
from tests.notifications.factories import add_channel, family, nothing_sent

pytestmark = pytest.mark.django_db

CASES = [(t.key, channel) for t in templates.all_templates() for channel in t.available_channels]
UNSAFE = (
    "channel_not_marked_safe",
    "no_channel_of_this_kind",
    "outside_safe_hours",
    "context_about_other_parent",
)
# A letter is printed, not read on arrival: safe hours do not apply to it; a missing address does.
UNSAFE_CASES = [
    (
        key,
        channel,
        "no_postal_address" if (channel == "postal" and unsafe == "outside_safe_hours") else unsafe,
    )
    for key, channel in CASES
    for unsafe in UNSAFE
]


def test_the_registry_is_not_empty():
    assert CASES, "aucun modèle de message enregistré"


@pytest.mark.parametrize(("key", "channel", "unsafe"), UNSAFE_CASES)
def test_an_unsafe_situation_sends_nothing(key, channel, unsafe):
    template = templates.get(key)
    _, mother, father, _ = family("974", channels=())
    context = dict(template.example_context)
    if unsafe == "channel_not_marked_safe":
        add_channel(mother, channel, safe=False)
    elif unsafe == "no_channel_of_this_kind":
        for other in set(templates.CHANNELS) - {channel}:
            add_channel(mother, other, safe=True)
    elif unsafe == "outside_safe_hours":
        add_channel(mother, channel, safe=True, safe_from=time(18), safe_until=time(20))
    elif unsafe == "no_postal_address":
        add_channel(mother, channel, safe=True)
        mother.address.delete()
    else:
        add_channel(mother, channel, safe=True)
        context["other_parent_id"] = father.pk
    # 10:00 in La Réunion: outside an 18:00–20:00 window.
    with time_machine.travel(datetime(2026, 6, 10, 6, 0, tzinfo=UTC), tick=False):
        message = outbox.enqueue(
            actor=None,
            template=key,
            key=f"t-{key}-{channel}-{unsafe}",
            person=mother,
            channel=channel,
            context=context,
        )
        outbox.deliver_due()
    message.refresh_from_db()
    assert nothing_sent()
    if unsafe == "outside_safe_hours":
        assert message.status == Message.Status.PENDING
        assert "Hors des heures sûres" in message.events.last().detail
    else:
        assert message.status == Message.Status.REFUSED
        assert message.reason


@pytest.mark.parametrize(("key", "channel"), CASES)
@pytest.mark.parametrize("wording", ["ordinary", "protected"])
def test_every_template_renders_and_its_neutral_wording_passes_the_checks(key, channel, wording):
    template = templates.get(key)
    household, mother, _, _ = family("974", restricted=wording == "protected", channels=())
    add_channel(mother, channel, safe=True)
    with time_machine.travel(datetime(2026, 6, 10, 6, 0, tzinfo=UTC), tick=False):
        message = outbox.enqueue(
            actor=None, template=key, key=f"r-{key}-{channel}-{wording}", person=mother, channel=channel,
            context=dict(template.example_context),
        )  # fmt: skip
        outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.reason
    assert message.protected_wording is (wording == "protected")
    if wording == "protected":
        assert safety.violence_term(message.subject + message.body) is None
        assert safety.separation_term(message.subject + message.body) is None
        assert message.subject in ("", "Message de votre Caf")
    assert ContactChannel.objects.filter(person=mother, is_safe=True).count() == 1
