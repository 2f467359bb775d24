"""Staff actions on messages: send again, cancel. Sending itself is the worker's (delivery.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

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


@transaction.atomic
def queue_password_reset(*, user) -> Message:
    """A staff password-reset e-mail, through the outbox: the link is made by the worker at send time."""
    from uuid import uuid4

    from parcours.notifications import outbox

    message = outbox.enqueue(
        actor=None,
        template="notifications.staff_password_reset",
        key=f"notifications.password_reset.{user.pk}.{uuid4().hex}",
        address=outbox.DirectAddress("email", user.email, user.get_full_name()),
        context={"user_id": user.pk},
        department=user.department,
    )
    audit.record(None, "core.password.reset_requested", user)
    return message


@transaction.atomic
def queue_account_activation(*, actor, user) -> Message:
    """The e-mail that lets a new member of staff choose their password (the link is made at send time)."""
    from uuid import uuid4

    from parcours.notifications import outbox

    return outbox.enqueue(
        actor=actor,
        template="notifications.staff_account_activation",
        key=f"notifications.account_activation.{user.pk}.{uuid4().hex}",
        address=outbox.DirectAddress("email", user.email, user.get_full_name()),
        context={"user_id": user.pk},
        department=user.department,
    )


def alert_administrators(*, kind: str, account, detail: str, key: str) -> None:
    """core.alerts: one e-mail per active administrator and alert key, through the outbox."""
    from parcours.core.models import User
    from parcours.core.roles import Role
    from parcours.notifications import outbox

    admins = User.objects.filter(is_active=True, role_rows__role=Role.ADMIN).distinct()
    with transaction.atomic():
        for admin in admins:
            outbox.enqueue(
                actor=None,
                template="notifications.security_alert",
                key=f"{key}.to.{admin.pk}"[:200],
                address=outbox.DirectAddress("email", admin.email, admin.get_full_name()),
                context={"detail": detail, "account_id": getattr(account, "pk", None)},
            )


@task()
def password_reset_requested(email: str) -> int:
    """The worker's side of a reset request: one outbox e-mail per active account with this address
    (none for an unknown one). Run outside the request so that its time does not tell them apart."""
    from django.contrib.auth.forms import PasswordResetForm

    users = list(PasswordResetForm().get_users(email))
    for user in users:
        queue_password_reset(user=user)
    return len(users)
