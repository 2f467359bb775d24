"""The outbox: how every module sends a message to a person. Nothing else sends anything.

    from parcours.notifications import outbox

    # inside the service's own @transaction.atomic function, after the change that causes it:
    outbox.enqueue(
        actor=actor,
        template="workshops.confirmation",
        key=f"workshops.registration.{registration.pk}.confirmation",
        person=person,                       # or address=outbox.DirectAddress("email", "a@b.fr", "Awa")
        context={"registration_id": registration.pk, "starts_at": workshop.starts_at},
        household=household,                 # defaults to the person's household
        attachments=[("seance.ics", ics_bytes, "text/calendar")],
    )
    outbox.enqueue(..., key=f"workshops.registration.{pk}.reminder-7d.{starts_at:%Y%m%d%H%M}",
                   not_before=starts_at - timedelta(days=7))
    # the session moved or the registration was cancelled:
    outbox.cancel(key_prefix=f"workshops.registration.{pk}.reminder", reason="Inscription annulée")

Guarantees:
- the message is a row written in the caller's transaction: it exists only if that transaction
  commits (no `on_commit` needed, nothing is sent before the commit);
- one message per idempotency key: enqueueing the same key again returns the first message unchanged
  (so a retried request, import or task never sends twice). Keys are "<app>.<object>.<id>.<purpose>";
  put in the key whatever makes a new message necessary (e.g. the session's new date);
- the worker (`parcours worker`) sends it at most once per key, retries with exponential backoff,
  and records every outcome; the chokepoint (`chokepoint.py`, rules in `safety.py`) decides at send
  time which safe channel is used, holds it until the person's safe hours, drops it when the
  template's relevance hook says so, refuses anything unsafe — never silently.

To follow a message (mark a step done once it is sent, flag a refusal), connect to
`parcours.notifications.signals.message_finished` (message, status) or read `Message` by its key.

`enqueue` does not check the actor's permission: it is called from services that already did. In
tests, `outbox.deliver_due()` runs the worker once, synchronously.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from parcours.core import bulk
from parcours.core.models import Department
from parcours.households.models import Household, Person
from parcours.notifications import context as context_codec
from parcours.notifications import delivery, safety, templates
from parcours.notifications.models import Message, MessageAttachment, MessageEvent, reference_for
from parcours.notifications.signals import message_finished

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class DirectAddress:
    """A channel a member of the public gave herself (public registration): kind "email" or "sms"."""

    kind: str
    value: str
    name: str = ""

    def __post_init__(self):
        if self.kind not in ("email", "sms"):
            raise ValueError("DirectAddress.kind vaut « email » ou « sms ».")
        normalised = safety.usable_value(self.kind, self.value)
        if not normalised:
            raise ValueError(
                "Adresse e-mail invalide." if self.kind == "email" else "Numéro de téléphone mobile invalide."
            )
        object.__setattr__(self, "value", normalised)


def enqueue(
    *,
    actor,
    template: str,
    key: str,
    person: Person | None = None,
    address: DirectAddress | None = None,
    channel: str | None = None,
    context: dict | None = None,
    household: Household | None = None,
    attachments=(),
    not_before: datetime | None = None,
    department: Department | str | None = None,
) -> Message:
    """Queue one message in the caller's transaction and return it (the existing one if `key` is known).

    actor: the staff user causing it, or None (public page, system job).
    template: key of a registered `MessageTemplate`.
    key: idempotency key (≤ 200 characters); the same key twice gives one message.
    person: a household member: the chokepoint picks one of her SAFE channels at send time.
    address: or a `DirectAddress` for someone without a record (exactly one of person / address).
    channel: force "email", "sms" or "postal"; refused (recorded) if not safe for the person.
    context: template context: ids and plain values (text, numbers, dates, aware datetimes); a person
        id goes under a key ending in `person_id` / `parent_id` and must be the recipient's (or a child's).
    household: for the timeline and the access policy; defaults to the person's household.
    attachments: [(filename, bytes, mimetype)], e-mail only (an ICS invitation…).
    not_before: aware datetime before which it is not sent (reminders).
    department: for a message without household (public registration): the department whose staff
        see it and whose time zone dates are shown in; defaults to the household's, then the actor's.
    Raises ValueError / TypeError for a programming error (unknown template, bad context…).
    """
    found = templates.get(template)
    if found is None:
        raise ValueError(f"Modèle de message inconnu : {template!r} (enregistrez-le dans <app>/messages.py).")
    if not key or len(key) > 200:
        raise ValueError("La clé d'idempotence est obligatoire (200 caractères au plus).")
    if (person is None) == (address is None):
        raise ValueError("Donnez soit `person`, soit `address` (et pas les deux).")
    if channel is not None and channel not in templates.CHANNELS:
        raise ValueError(f"Canal inconnu : {channel!r}.")
    if address is not None:
        if channel not in (None, address.kind):
            raise ValueError("Le canal d'une DirectAddress est le sien.")
        if address.kind not in found.available_channels:
            raise ValueError(f"Le modèle {template!r} n'existe pas sur le canal {address.kind}.")
    if not_before is not None and timezone.is_naive(not_before):
        raise ValueError("not_before doit être une date et heure avec fuseau horaire.")
    if person is not None:
        if household is None:
            household = person.household
        elif person.household_id != household.pk:
            raise ValueError("La personne n'appartient pas à ce foyer.")
    if isinstance(department, str):
        department = Department.objects.get(code=department)
    if department is None:
        department = household.department if household is not None else getattr(actor, "department", None)
    encoded = context_codec.encode(context or {})
    files = [_attachment(item) for item in attachments]

    now = timezone.now()
    message = Message(
        key=key,
        template=template,
        department=department,
        household=household,
        person=person,
        direct_kind=address.kind if address else "",
        direct_value=address.value if address else "",
        direct_name=address.name if address else "",
        requested_channel=channel or "",
        context=encoded,
        not_before=not_before,
        next_attempt_at=max(now, not_before) if not_before else now,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    detail = "Mis en file d'attente"
    if not_before and not_before > now:
        tz = department.tzinfo if department is not None else timezone.get_default_timezone()
        detail += f", pas avant le {timezone.localtime(not_before, tz):%d/%m/%Y à %H:%M}"
    pending = _DEFERRED.get()
    if pending is not None:
        # The structural rule, now as below; the rows are written with the batch's (`deferred`).
        problem = safety.check_context(context_codec.decode(encoded), person=person, household=household)
        pending.add(message, files, detail, problem)
        return message
    with transaction.atomic():
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            existing = Message.objects.filter(key=key).first()
            if existing is None:
                raise
            return existing
        for filename, content, mimetype in files:
            MessageAttachment.objects.create(
                message=message, filename=filename, content=content, mimetype=mimetype
            )
        MessageEvent.objects.create(message=message, at=now, status=Message.Status.PENDING, detail=detail)
        # The structural rule does not depend on time: a context about the other parent is refused now.
        problem = safety.check_context(context_codec.decode(encoded), person=person, household=household)
        if problem:
            delivery.finish(message, Message.Status.REFUSED, problem, claimed=False)
            message.refresh_from_db()
    return message


_DEFERRED: contextvars.ContextVar[Deferred | None] = contextvars.ContextVar("outbox_deferred", default=None)


class Deferred:
    """`with outbox.deferred():` — the messages enqueued inside are written together when it ends, in
    a few statements for all of them (the worker's batches of tasks: `core.task_batches`), in the
    caller's transaction, with exactly the rows `enqueue` writes one by one: the message, its
    attachments, its "queued" event, and a refusal at once when the context names another person.

    A key already in the table, or enqueued twice, gives one message (the first), as `enqueue` does;
    a key written meanwhile by another transaction makes the write fail (IntegrityError) and the
    caller starts again without deferring. `checkpoint()` / `rollback(mark)` forget what a failed
    part of the batch enqueued (its savepoint was rolled back). `enqueue` returns the message not yet
    written (no primary key until the end).
    """

    def __init__(self):
        self.items: list[tuple[Message, list, str, str | None]] = []

    def add(self, message, files, detail, problem) -> None:
        self.items.append((message, files, detail, problem))

    def checkpoint(self) -> int:
        return len(self.items)

    def rollback(self, mark: int) -> None:
        del self.items[mark:]

    def __enter__(self):
        self._token = _DEFERRED.set(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        _DEFERRED.reset(self._token)
        if exc_type is None:
            self.flush()
        return False

    def flush(self) -> None:
        items, self.items = self.items, []
        if not items:
            return
        existing = set(
            Message.objects.filter(key__in={m.key for m, *_ in items}).values_list("key", flat=True)
        )
        new = []
        for item in items:
            if item[0].key not in existing:
                existing.add(item[0].key)
                new.append(item)
        if not new:
            return
        with transaction.atomic():
            ids = bulk.reserve_ids(Message, len(new))
            for pk, (message, _files, _detail, problem) in zip(ids, new, strict=True):
                message.pk = pk
                message.reference = reference_for(message.key)
                if problem:
                    message.status, message.reason = Message.Status.REFUSED, problem[:500]
                    message.lease_until, message.updated_at = None, message.created_at
            Message.objects.bulk_create([m for m, *_ in new])
            MessageAttachment.objects.bulk_create(
                MessageAttachment(message=m, filename=f, content=c, mimetype=t)
                for m, files, *_ in new
                for f, c, t in files
            )
            events = []
            for message, _files, detail, problem in new:
                at = message.created_at
                events.append(
                    MessageEvent(message=message, at=at, status=Message.Status.PENDING, detail=detail)
                )
                if problem:
                    events.append(
                        MessageEvent(
                            message=message, at=at, status=Message.Status.REFUSED, detail=problem[:500]
                        )
                    )
            MessageEvent.objects.bulk_create(events)
            for message, *_, problem in new:
                if problem:
                    message_finished.send(sender=Message, message=message, status=Message.Status.REFUSED)


def deferred() -> Deferred:
    return Deferred()


def _attachment(item) -> tuple[str, bytes, str]:
    try:
        filename, content, mimetype = item
    except (TypeError, ValueError) as exc:
        raise TypeError("Une pièce jointe s'écrit (nom du fichier, contenu en octets, type MIME).") from exc
    if isinstance(content, str):
        content = content.encode("utf-8")
    if not isinstance(content, bytes | bytearray):
        raise TypeError("Le contenu d'une pièce jointe est en octets.")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValueError("Pièce jointe trop volumineuse (2 Mo au plus).")
    return str(filename)[:120], bytes(content), str(mimetype)


def cancel(*, key: str | None = None, key_prefix: str | None = None, reason: str) -> int:
    """Drop the pending messages with this key (or key prefix), recording the reason; returns how many.

    Runs in the caller's transaction. A message already handed to the transport is not recalled; the
    template's relevance hook covers the case where a message is claimed just before the change.
    """
    if (key is None) == (key_prefix is None):
        raise ValueError("Donnez soit `key`, soit `key_prefix`.")
    if not (reason or "").strip():
        raise ValueError("Le motif d'annulation est obligatoire.")
    if key_prefix is not None and len(key_prefix) < 3:
        raise ValueError("Préfixe de clé trop court.")
    with transaction.atomic():
        qs = Message.objects.filter(status=Message.Status.PENDING)
        qs = qs.filter(key=key) if key is not None else qs.filter(key__startswith=key_prefix)
        ids = list(qs.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        now = timezone.now()
        count = Message.objects.filter(pk__in=ids, status=Message.Status.PENDING).update(
            status=Message.Status.DROPPED, reason=reason[:500], lease_until=None, updated_at=now
        )
        MessageEvent.objects.bulk_create(
            MessageEvent(message_id=pk, at=now, status=Message.Status.DROPPED, detail=reason[:500])
            for pk in ids
        )
        for message in Message.objects.filter(pk__in=ids):
            message_finished.send(sender=Message, message=message, status=Message.Status.DROPPED)
    return count


def recipient_is_protected(*, person: Person | None = None, household: Household | None = None) -> bool:
    """Whether messages to this person (or about this household) use the neutral wording.

    Callers that build attachments themselves (an ICS invitation) use it to keep them neutral too:
    the chokepoint refuses a protected-track message whose text attachment names the topic.
    """
    return safety.on_protected_track(person, household)


def deliver_due(*, limit: int | None = None, worker_id: str = "inline") -> delivery.Report:
    """Run the worker once, synchronously: recover interrupted hand-overs, then send what is due."""
    return delivery.run_once(worker_id=worker_id, limit=limit)
