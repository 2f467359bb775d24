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

Batches (`run_once`): the worker claims up to `PARCOURS_OUTBOX_BATCH_SIZE` messages in one short
transaction, asks the chokepoint for all of them at once (`chokepoint.decide_batch`: the same rules,
the batch's data read in a few queries), and records the steps of the whole batch together: one
transaction for the refusals, drops and holds with the step 3 of every message to send, one for the
outcomes after the hand-overs. This is safe only where the transport can say afterwards whether it
already has a reference (files, locmem, letters): a worker killed between the hand-overs and the
last commit leaves messages that the recovery finds delivered, so nothing goes twice. A transport
that cannot tell (SMTP, the SMS provider) keeps the one-message steps above, committed around each
hand-over, so that a crash repeats at most the message in hand. E-mails of a batch go through one
connection of the e-mail backend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from parcours.core import bulk
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


def process(
    message: Message, report: Report, decision: chokepoint.Decision | None = None, *, email_connection=None
) -> None:
    decision = decision or chokepoint.decide(message)
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
    status, reason, fields = _hand_over_outcome(message, decision, attempts, email_connection)
    if status == S.PENDING:
        release(message, at=fields["next_attempt_at"], detail=reason)
        report.retried += 1
    else:
        finish(message, status, reason, **fields)
        report.sent += status == S.SENT
        report.failed += status == S.FAILED


def _hand_over_outcome(message: Message, decision, attempts: int, email_connection) -> tuple[str, str, dict]:
    """Hand over and say what to record: (status, reason, fields); `pending` is a retry later."""
    try:
        extra = hand_over(message, decision, email_connection=email_connection)
    except PermanentError as exc:
        return S.FAILED, f"Échec définitif : {exc}", {}
    except Exception as exc:  # a passing fault of the transport: retry later, unless too many attempts
        logger.warning("Envoi du message n° %s : échec (%s)", message.pk, type(exc).__name__)
        reason = f"Tentative {attempts} : {type(exc).__name__} — {str(exc)[:200]}"
        if attempts >= settings.PARCOURS_OUTBOX_MAX_ATTEMPTS:
            return S.FAILED, f"Abandon après {attempts} tentatives. {reason}", {}
        when = timezone.now() + backoff(attempts)
        detail = f"{reason} ; nouvel essai à {timezone.localtime(when):%H:%M}"
        return S.PENDING, detail, {"next_attempt_at": when}
    return S.SENT, "", extra


def hand_over(message: Message, decision: chokepoint.Decision, *, email_connection=None) -> dict:
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
                connection=email_connection,
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


def can_tell(channel: str) -> bool:
    """Whether the channel's transport can say afterwards if it already has a reference."""
    if channel == "email":
        return email_transport.can_tell()
    if channel == "sms":
        return getattr(sms_transport.get_backend(), "can_tell", False)
    return channel == "postal"


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


def claim_batch(worker_id: str, size: int) -> list[Message]:
    """Claim up to `size` due messages in one short transaction (same protocol as `claim_next`)."""
    now = timezone.now()
    with transaction.atomic():
        qs = Message.objects.filter(status=S.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        pks = list(qs.values_list("pk", flat=True)[:size])
        if not pks:
            return []
        Message.objects.filter(pk__in=pks, status=S.PENDING).update(
            status=S.SENDING, claimed_by=worker_id, lease_until=now + lease(), updated_at=now
        )
    return list(
        Message.objects.filter(pk__in=pks, status=S.SENDING, claimed_by=worker_id)
        .select_related(
            "household__department", "person__household", "person__address", "person__protected_address",
            "department",
        )
        .order_by("next_attempt_at", "id")
    )  # fmt: skip


def _still_owned(messages: list[Message], worker_id: str) -> set[int]:
    """Inside the caller's transaction: which of these messages this worker still holds (locked)."""
    qs = Message.objects.filter(pk__in=[m.pk for m in messages], status=S.SENDING, claimed_by=worker_id)
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return set(qs.values_list("pk", flat=True))


OUTCOME_FIELDS = ["status", "reason", "lease_until", "updated_at", "sent_at", "next_attempt_at",
                  "claimed_by", "provider_id", "letter_path"]  # fmt: skip
PREPARED_FIELDS = ["channel", "recipient", "protected_wording", "subject", "body", "attempts",
                   "lease_until", "updated_at"]  # fmt: skip


def _record_outcomes(outcomes: list[tuple[Message, str, str, dict]], worker_id: str, report: Report) -> None:
    """The outcomes of a batch in one transaction: the same rows, events and signals as `finish` and
    `release` write one by one, for the messages this worker still holds."""
    if not outcomes:
        return
    now = timezone.now()
    with transaction.atomic():
        owned = _still_owned([m for m, *_ in outcomes], worker_id)
        rows, events, finished = [], [], []
        for message, status, reason, fields in outcomes:
            if message.pk not in owned:
                continue  # the claim was lost (lease expired): the other worker records it
            message.status, message.lease_until, message.updated_at = status, None, now
            if status == S.PENDING:  # held for safe hours, or a retry later
                message.next_attempt_at, message.claimed_by = fields["next_attempt_at"], ""
                message.reason = reason[:500]
                detail = reason
            else:
                message.reason = reason[:500]
                if status == S.SENT:
                    message.sent_at = now
                for name, value in fields.items():
                    setattr(message, name, value)
                detail = reason or {S.SENT: "Envoyé"}.get(status, "")
                finished.append(message)
            rows.append(message)
            events.append(MessageEvent(message_id=message.pk, at=now, status=status, detail=detail[:500]))
            _count(report, status, fields)
        bulk.update_rows(Message, rows, OUTCOME_FIELDS)
        MessageEvent.objects.bulk_create(events)
        for message in finished:
            message_finished.send(sender=Message, message=message, status=message.status)


def _count(report: Report, status: str, fields: dict) -> None:
    if status == S.PENDING:
        if fields.get("held"):
            report.held += 1
        else:
            report.retried += 1
        return
    name = {S.SENT: "sent", S.FAILED: "failed", S.REFUSED: "refused", S.DROPPED: "dropped"}[status]
    setattr(report, name, getattr(report, name) + 1)


def _prepare(items: list[tuple[Message, chokepoint.Decision]], worker_id: str) -> list:
    """Step 3 for a batch, in the caller's transaction: what is about to go out, for the messages this
    worker still holds; returns those."""
    if not items:
        return []
    now = timezone.now()
    owned = _still_owned([m for m, _ in items], worker_id)
    kept = []
    for message, decision in items:
        if message.pk not in owned:
            continue
        rendered = decision.rendered
        message.channel, message.recipient = decision.channel, decision.to[:200]
        message.protected_wording, message.subject = rendered.protected, rendered.subject[:200]
        message.body = decision.stored_text or rendered.text
        message.attempts += 1
        message.lease_until, message.updated_at = now + lease(), now
        kept.append((message, decision))
    bulk.update_rows(Message, [m for m, _ in kept], PREPARED_FIELDS)
    return kept


def process_batch(messages: list[Message], worker_id: str, report: Report) -> None:
    """One batch: decisions at once, refusals/drops/holds and step 3 in one transaction, hand-overs
    (one e-mail connection), then the outcomes in one transaction."""
    try:
        decisions = chokepoint.decide_batch(messages)
    except Exception:  # a rule that fails on the batch: decide (and record) each message alone
        logger.exception("Décision par lot impossible : messages décidés un par un")
        decisions = [None] * len(messages)
    pairs = list(zip(messages, decisions, strict=True))
    settled, to_send, one_by_one = [], [], []
    for message, decision in pairs:
        if decision is None:
            one_by_one.append((message, None))
        elif decision.outcome == chokepoint.REFUSE:
            settled.append((message, S.REFUSED, decision.reason, {}))
        elif decision.outcome == chokepoint.DROP:
            settled.append((message, S.DROPPED, decision.reason, {}))
        elif decision.outcome == chokepoint.HOLD:
            settled.append(
                (message, S.PENDING, decision.reason, {"next_attempt_at": decision.hold_until, "held": True})
            )
        elif can_tell(decision.channel):
            to_send.append((message, decision))
        else:
            one_by_one.append((message, decision))
    with transaction.atomic():
        _record_outcomes(settled, worker_id, report)
        prepared = _prepare(to_send, worker_id)
    email_connection = None
    if any(d is not None and d.outcome == chokepoint.SEND and d.channel == "email" for _, d in pairs):
        email_connection = email_transport.connection()
    try:
        outcomes = []
        for message, decision in prepared:
            status, reason, fields = _hand_over_outcome(message, decision, message.attempts, email_connection)
            outcomes.append((message, status, reason, fields))
        _record_outcomes(outcomes, worker_id, report)
        for message, decision in one_by_one:
            _guarded(
                message,
                report,
                lambda m=message, d=decision: process(m, report, d, email_connection=email_connection),
            )
    finally:
        if email_connection is not None:
            email_connection.close()


def _guarded(message: Message, report: Report, step) -> None:
    try:
        step()
    except Exception as exc:  # never let one message stop the queue: record it and go on
        logger.exception("Message n° %s : erreur inattendue", message.pk)
        report.errors.append(f"{message.pk}: {type(exc).__name__}")
        finish(message, S.FAILED, f"Erreur inattendue ({type(exc).__name__}) : à signaler.")
        report.failed += 1


def run_once(
    *, worker_id: str, limit: int | None = None, should_stop=lambda: False, batch_size: int | None = None
) -> Report:
    """Recover interrupted hand-overs, then process due messages by batches until none is left (or
    `limit`). A batch in hand is finished before `should_stop` is looked at again."""
    report = Report()
    recover_stale(report)
    size = batch_size or settings.PARCOURS_OUTBOX_BATCH_SIZE
    processed = 0
    while (limit is None or processed < limit) and not should_stop():
        messages = claim_batch(worker_id, size if limit is None else min(size, limit - processed))
        if not messages:
            break
        try:
            process_batch(messages, worker_id, report)
        except Exception:  # the batch's own writes failed: each message alone, as the worker always did
            logger.exception("Lot de messages : repris un par un")
            for message in messages:
                if Message.objects.filter(
                    pk=message.pk, status=S.SENDING, claimed_by=worker_id, channel=""
                ).exists():
                    _guarded(message, report, lambda m=message: process(m, report))
        processed += len(messages)
    return report
