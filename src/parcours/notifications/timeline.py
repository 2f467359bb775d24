"""The messages of a household on its timeline: what was sent, held, refused, dropped, and why."""

from __future__ import annotations

from parcours.households import timeline
from parcours.notifications import selectors


@timeline.register("notifications")
def messages_on_timeline(actor, household):
    for message in selectors.household_messages(actor, household):
        channel = message.get_channel_display() if message.channel else "canal à choisir"
        title = f"Message « {message.template_label} » à {message.recipient_label} ({channel})"
        yield timeline.TimelineEntry(
            at=message.sent_at or message.updated_at,
            kind="message",
            title=title,
            detail=message.reason,
            status=message.status,
            extra={"message_id": message.pk, "status_label": message.get_status_display()},
        )
