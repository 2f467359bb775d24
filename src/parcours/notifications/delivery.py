"""The worker's core: claim a due message, ask the chokepoint, hand it over, record the outcome.

Protocol, so that a worker killed at any instruction loses and duplicates nothing:
1. claim (one short transaction): `pending` → `sending`, with the worker's id and a lease; on
   PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` lets several workers share the queue, on SQLite the
   write lock taken at BEGIN (IMMEDIATE) serialises the claims;
2. the chokepoint decides; a refusal, a drop or a hold is recorded at once;
3. before the hand-over, what is about to be sent (channel, recipient, text) is committed;
4. the transport receives the message with its reference (the hashed idempotency key);
5. `sent` is committed.
A message left `sending` with an expired lease belongs to a dead worker. If the crash came before
step 3 nothing was sent and it goes back to `pending`; after step 3 the transport is asked whether
it already has that reference (file backends, locmem, letters: yes/no) — if so the message is marked
sent, otherwise it goes back to `pending`. A transport that cannot tell (SMTP, the SMS provider) gets
it again, with the same reference (Message-ID), and the event says so: at least once, never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from parcours.notifications import chokepoint
from parcours.notifications.backends import PermanentError
from parcours.notifications.backends import email as email_transport
from parcours.notifications.backends import letters as letter_transport
from parcours.notifications.backends import sms as sms_transport
from parcours.notifications.models import Message, MessageEvent
from parcours.notifications.signals import message_finished

logger = logging.getLogger("parcours.notifications")
S = Message.Status


@dataclass
class Report:
    sent: int = 0
    failed: int = 0
    refused: int = 0
    dropped: int = 0
    held: int = 0
    retried: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.refused + self.dropped + self.held + self.retried


def lease() -> timedelta:
    return timedelta(seconds=settings.PARCOURS_OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… times the base delay after the 1st, 2nd, 3rd… failed attempt, capped at 6 hours."""
    base = settings.PARCOURS_OUTBOX_BACKOFF_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _event(message_id: int, status: str, detail: str) -> None:
    MessageEvent.objects.create(message_id=message_id, status=status, detail=detail[:500])


def _owned(message: Message, claimed: bool):
    qs = Message.objects.filter(pk=message.pk)
    if claimed:
        # Only the worker holding the claim may record the outcome.
        qs = qs.filter(status=S.SENDING, claimed_by=message.claimed_by)
    return qs


@transaction.atomic
def finish(message: Message, status: str, reason: str = "", *, claimed: bool = True, **fields) -> bool:
    now = timezone.now()
    values = {"status": status, "reason": reason[:500], "lease_until": None, "updated_at": now, **fields}
    if status == S.SENT:
        values["sent_at"] = now
    done = _owned(message, claimed).update(**values) == 1
    if done:
        detail = reason or {S.SENT: "Envoyé"}.get(status, "")
        _event(message.pk, status, detail)
        message_finished.send(sender=Message, message=Message.objects.get(pk=message.pk), status=status)
    return done


@transaction.atomic
def release(message: Message, *, at, detail: str) -> bool:
    """Back to `pending`, due at `at` (held for safe hours, retry after a failure, recovery); the
    reason stays on the message so that staff see why it waits."""
    done = (
        _owned(message, True).update(
            status=S.PENDING,
            next_attempt_at=at,
            lease_until=None,
            claimed_by="",
            reason=detail[:500],
            updated_at=timezone.now(),
        )
        == 1
    )
    if done:
        _event(message.pk, S.PENDING, detail)
    return done


def claim_next(worker_id: str) -> Message | None:
    now = timezone.now()
    with transaction.atomic():
        qs = Message.objects.filter(status=S.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        pk = qs.values_list("pk", flat=True).first()
        if pk is None:
            return None
        claimed = Message.objects.filter(pk=pk, status=S.PENDING).update(
            status=S.SENDING, claimed_by=worker_id, lease_until=now + lease(), updated_at=now
        )
    if not claimed:
        return None
    return Message.objects.select_related("household__department", "person", "department").get(pk=pk)


def process(message: Message, report: Report) -> None:
    decision = chokepoint.decide(message)
    if decision.outcome == chokepoint.REFUSE:
        finish(message, S.REFUSED, decision.reason)
        report.refused += 1
        return
    if decision.outcome == chokepoint.DROP:
        finish(message, S.DROPPED, decision.reason)
        report.dropped += 1
        return
    if decision.outcome == chokepoint.HOLD:
        release(message, at=decision.hold_until, detail=decision.reason)
        report.held += 1
        return

    rendered = decision.rendered
    attempts = message.attempts + 1
    # Step 3: commit what is about to go out, so that a crash during the hand-over can be recognised.
    prepared = _owned(message, True).update(
        channel=decision.channel,
        recipient=decision.to[:200],
        protected_wording=rendered.protected,
        subject=rendered.subject[:200],
        body=decision.stored_text or rendered.text,
        attempts=F("attempts") + 1,
        lease_until=timezone.now() + lease(),
        updated_at=timezone.now(),
    )
    if not prepared:
        return  # the claim was lost (lease expired and another worker took it over)
    try:
        extra = hand_over(message, decision)
    except PermanentError as exc:
        finish(message, S.FAILED, f"Échec définitif : {exc}")
        report.failed += 1
    except Exception as exc:  # a passing fault of the transport: retry later, unless too many attempts
        logger.warning("Envoi du message n° %s : échec (%s)", message.pk, type(exc).__name__)
        reason = f"Tentative {attempts} : {type(exc).__name__} — {str(exc)[:200]}"
        if attempts >= settings.PARCOURS_OUTBOX_MAX_ATTEMPTS:
            finish(message, S.FAILED, f"Abandon après {attempts} tentatives. {reason}")
            report.failed += 1
        else:
            when = timezone.now() + backoff(attempts)
            release(message, at=when, detail=f"{reason} ; nouvel essai à {timezone.localtime(when):%H:%M}")
            report.retried += 1
    else:
        finish(message, S.SENT, "", **extra)
        report.sent += 1


def hand_over(message: Message, decision: chokepoint.Decision) -> dict:
    """Give the message to its transport; returns fields to record with the `sent` status."""
    rendered = decision.rendered
    if decision.channel == "email":
        return {
            "provider_id": email_transport.send(
                to=decision.to,
                sender_name=rendered.sender_name,
                subject=rendered.subject,
                body=rendered.text,
                reference=message.reference,
                attachments=list(message.attachments.all()),
            )[:100]
        }
    if decision.channel == "sms":
        limit = settings.PARCOURS_SMS_MAX_LENGTH
        if len(rendered.text) > limit:
            raise PermanentError(f"SMS trop long ({len(rendered.text)} caractères, {limit} au plus).")
        provider_id = sms_transport.get_backend().send(
            to=decision.to,
            text=rendered.text,
            sender=settings.PARCOURS_SMS_SENDER,
            reference=message.reference,
        )
        return {"provider_id": str(provider_id)[:100]}
    if decision.channel == "postal":
        path = letter_transport.store(
            html=rendered.html, department_code=_department_code(message), reference=message.reference
        )
        return {"letter_path": path}
    raise PermanentError(f"Canal inconnu : {decision.channel}")


def _department_code(message: Message) -> str:
    return message.policy_department() or ""


def already_delivered(message: Message) -> bool | None:
    if message.channel == "email":
        return email_transport.delivered(message.reference)
    if message.channel == "sms":
        return sms_transport.get_backend().delivered(message.reference)
    if message.channel == "postal":
        return letter_transport.delivered(
            department_code=_department_code(message), reference=message.reference
        )
    return False


def recover_stale(report: Report) -> None:
    """Messages left `sending` by a worker that died (lease expired): sent, or back to the queue."""
    now = timezone.now()
    stale = Message.objects.filter(status=S.SENDING, lease_until__lt=now).select_related(
        "household__department", "department"
    )
    for message in stale:
        if not message.channel:
            # Killed before step 3: nothing went out.
            release(
                message,
                at=now,
                detail="Reprise après l'arrêt d'un worker : pas encore envoyé, remis en file.",
            )
        else:
            known = already_delivered(message)
            if known:
                extra = {}
                if message.channel == "postal":
                    extra["letter_path"] = letter_transport.relative_path(
                        department_code=_department_code(message), reference=message.reference
                    )
                finish(
                    message,
                    S.SENT,
                    "Envoi constaté après l'arrêt d'un worker (pas de second envoi).",
                    **extra,
                )
            elif known is None:
                release(
                    message,
                    at=now,
                    detail="Reprise après l'arrêt d'un worker : le transport ne dit pas si l'envoi a eu lieu ; "
                    "renvoi avec la même référence.",
                )
            else:
                release(
                    message, at=now, detail="Reprise après l'arrêt d'un worker : pas envoyé, remis en file."
                )
        report.recovered += 1


def run_once(*, worker_id: str, limit: int | None = None, should_stop=lambda: False) -> Report:
    """Recover interrupted hand-overs, then process due messages until none is left (or `limit`)."""
    report = Report()
    recover_stale(report)
    processed = 0
    while (limit is None or processed < limit) and not should_stop():
        message = claim_next(worker_id)
        if message is None:
            break
        try:
            process(message, report)
        except Exception as exc:  # never let one message stop the queue: record it and go on
            logger.exception("Message n° %s : erreur inattendue", message.pk)
            report.errors.append(f"{message.pk}: {type(exc).__name__}")
            finish(message, S.FAILED, f"Erreur inattendue ({type(exc).__name__}) : à signaler.")
            report.failed += 1
        processed += 1
    return report
