"""The messages sent to a person, in her access file (core/subject_access.py): each went through the
safe-contact chokepoint for her, so its text is hers to read. Messages not sent (pending, refused)
are not in it, nor the chokepoint's reasons.

This module also gives the file's guard the texts private to each member (the chokepoint's private
fragments: addresses, elected address, the channels of the person at risk, MAP places and times…).
"""

from __future__ import annotations

from parcours.core import subject_access
from parcours.core.subject_access import Entry, Section
from parcours.notifications import safety
from parcours.notifications.models import Message


def messages(subject) -> list[Entry]:
    sent = Message.objects.filter(person=subject.person, status=Message.Status.SENT).order_by("sent_at", "pk")
    return [
        Entry(
            message.subject or "Message",
            [
                ("Canal", message.get_channel_display() if message.channel else ""),
                ("Envoyé le", message.sent_at),
                ("Contenu", message.body),
            ],
        )
        for message in sent
    ]


def private_fragments(person) -> list[str]:
    return [text for source in safety.PRIVATE_FRAGMENT_SOURCES for text in (source(person) or ())]


def register() -> None:
    subject_access.register(
        Section(
            key="notifications.messages",
            title="Messages qui vous ont été envoyés",
            order=30,
            collect=messages,
            empty="Aucun message envoyé.",
        )
    )
    subject_access.register_guard(private_fragments)
