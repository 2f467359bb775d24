"""Retention of the messages sent to a household (core/retention.py): they follow its pathway."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from parcours.core import retention
from parcours.notifications.backends import letters
from parcours.notifications.models import Message, MessageAttachment, MessageEvent


def keeps(now, cutoff):
    # A message not yet out keeps its household: the outbox must not send a blanked message.
    return Message.objects.filter(
        Q(status__in=(Message.Status.PENDING, Message.Status.SENDING)) | Q(created_at__gte=cutoff),
        household__isnull=False,
    ).values("household_id")


def keeps_person(now):
    # A message to her not yet out: the outbox must not send a blanked message.
    return Message.objects.filter(
        status__in=(Message.Status.PENDING, Message.Status.SENDING), person__isnull=False
    ).values("person_id")


def erase(household_ids: list[int]) -> int:
    """Recipient, content and letters erased; template, channel, status and dates (counts) kept."""
    return _erase_messages(Message.objects.filter(household_id__any_of=household_ids))


def erase_person(person_ids: list[int]) -> int:
    """The messages sent to her alone (the other members' messages untouched)."""
    return _erase_messages(Message.objects.filter(person_id__in=person_ids))


def _erase_messages(messages) -> int:
    paths = [
        letters.root() / p for p in messages.exclude(letter_path="").values_list("letter_path", flat=True)
    ]
    if paths:
        transaction.on_commit(lambda: [p.unlink(missing_ok=True) for p in paths])
    changed = MessageAttachment.objects.filter(message__in=messages).delete()[0]
    changed += MessageEvent.objects.filter(message__in=messages).exclude(detail="").update(detail="")
    changed += messages.update(
        recipient="",
        subject="",
        body="",
        direct_value="",
        direct_name="",
        context={},
        letter_path="",
        reason="",
    )
    return changed


def register() -> None:
    retention.register(
        retention.Holding(
            key="notifications.message",
            label="Messages envoyés aux personnes (courriels, SMS, courriers)",
            setting="PARCOURS_RETENTION_MESSAGE_DAYS",
            default_days=730,
            justification="Suivent le parcours ; un message encore à envoyer garde le foyer.",
            keeps=keeps,
            erase=erase,
            order=50,
            open_label="un message encore à envoyer",
            keeps_person=keeps_person,
            person_open_label="un message pour elle encore à envoyer",
            erase_person=erase_person,
        )
    )
