"""Staff actions on messages: send again, cancel. Sending itself is the worker's (delivery.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, policy
from parcours.notifications.models import Message, MessageEvent
from parcours.notifications.signals import message_finished

RETRYABLE = (Message.Status.FAILED, Message.Status.REFUSED)


@transaction.atomic
def retry_message(*, actor, message: Message) -> Message:
    """Queue a failed or refused message again (e.g. once a safe channel has been confirmed).

    The chokepoint checks it again from scratch: a retry never bypasses a safety rule.
    """
    policy.require(actor, "notifications.manage", message)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in RETRYABLE:
        raise ValidationError("Seul un message en échec ou refusé peut être renvoyé.")
    now = timezone.now()
    message.status = Message.Status.PENDING
    message.next_attempt_at = now
    message.attempts = 0
    message.reason = ""
    message.channel = message.recipient = message.subject = message.body = ""
    message.save()
    MessageEvent.objects.create(
        message=message,
        at=now,
        status=Message.Status.PENDING,
        detail=f"Renvoi demandé par {actor.get_full_name()}",
    )
    audit.record(actor, "notifications.message.retried", message)
    return message


@transaction.atomic
def cancel_message(*, actor, message: Message, reason: str) -> Message:
    policy.require(actor, "notifications.manage", message)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif de l'annulation."})
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != Message.Status.PENDING:
        raise ValidationError("Seul un message en attente peut être annulé.")
    now = timezone.now()
    message.status = Message.Status.DROPPED
    message.reason = f"Annulé par {actor.get_full_name()} : {reason}"[:500]
    message.save()
    MessageEvent.objects.create(message=message, at=now, status=Message.Status.DROPPED, detail=message.reason)
    message_finished.send(sender=Message, message=message, status=Message.Status.DROPPED)
    audit.record(actor, "notifications.message.cancelled", message, reason=reason)
    return message
