"""Records of the notifications module for the authorization matrix and the canary test."""

from parcours.households.models import ContactChannel
from parcours.notifications import outbox
from tests.authz.registry import kind


@kind("message")
def message(world, variant):
    """A letter sent to the declarant of the variant's household (a PDF exists: the download page works)."""

    def build():
        household = world.household(variant)
        person = household.members.filter(is_declarant=True).first()
        ContactChannel.objects.get_or_create(person=person, kind="postal", defaults={"is_safe": True})
        message = outbox.enqueue(
            actor=None,
            template="notifications.callback_request",
            key=f"authz.message.{variant}.{household.pk}",
            person=person,
            channel="postal",
            context={"agent_name": "Mme Payet"},
        )
        outbox.deliver_due()
        message.refresh_from_db()
        assert message.letter_path, message.reason
        return message

    return {"pk": world.memo(("message", variant), build).pk}
