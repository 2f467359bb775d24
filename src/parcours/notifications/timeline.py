"""The messages of a household on its timeline: what was sent, held, refused, dropped, and why."""

from __future__ import annotations

from parcours.households import timeline
from parcours.notifications import selectors
from parcours.notifications.models import Message


@timeline.register("notifications")
def messages_on_timeline(actor, household):
    for message in selectors.messages_for_household(actor, household):
        channel = message.get_channel_display() if message.channel else "canal à choisir"
        title = f"Message « {message.template_label} » à {message.recipient_label} ({channel})"
        if message.status == Message.Status.PENDING and message.next_attempt_at > message.created_at:
            detail = message.reason or "En attente d'envoi"
        else:
            detail = message.reason
        yield timeline.TimelineEntry(
            at=message.sent_at or message.updated_at,
            kind="message",
            title=title,
            detail=detail,
            status=message.status,
            extra={"message_id": message.pk, "status_label": message.get_status_display()},
        )
