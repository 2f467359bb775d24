"""Registrations: capacity, waiting list, offers of a freed seat, changes and cancellations.

Every change of seats happens with the workshop's row locked (`select_for_update`; SQLite
serialises write transactions, which are IMMEDIATE), and `seats_taken` is bounded by a database
constraint. A freed seat goes to the head of the waiting list as a time-limited offer; a
registration is offered a seat at most once (waiting → offered, never back).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, Subquery, Value
from django.utils import timezone
from django_tasks import task

from parcours.core import audit, compiled, policy, schedule, task_batches
from parcours.core.compiled import CompiledRead
from parcours.notifications import outbox
from parcours.workshops import messaging
from parcours.workshops.models import Registration, Workshop

Status = Registration.Status


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    created: bool
    # What the page may say: "confirmed" or "waiting" (for a repeated public request, what a new
    # one would have got, so that the page never tells whether someone is already registered).
    shown_status: str


# Built once per process (core.compiled): the ORM took longer to build this read than the database
# to run it, and it is the statement that takes the lock — every registration waits behind it.
_LOCKED = CompiledRead(
    lambda pk: (
        Workshop.objects.select_for_update(of=("self",)).select_related("department", "venue").filter(pk=pk)
    ),
    pk=-739_100_318,
)


def lock_workshop(pk: int) -> Workshop:
    """The session's row, locked until the transaction ends, with its department and venue."""
    if not connection.in_atomic_block:  # as the ORM's select_for_update says
        raise transaction.TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    workshop = _LOCKED.first(pk=pk)
    if workshop is None:
        raise Workshop.DoesNotExist("Workshop matching query does not exist.")
    return workshop


# The caller holds the workshop's row lock and loaded `workshop` under it (`lock_workshop`): nobody
# else can change `seats_taken` until the commit, so the instance follows the UPDATE without reading
# the row back. The database's check constraint still bounds the column.
# One plain statement, inside the lock of every registration: the ORM's UPDATE building cost four
# times its run. `seats_taken` is still bounded by the table's check constraint.
_SEATS_SQL = "UPDATE {table} SET {seats} = {seats} + %s WHERE {pk} = %s"


def _add_seats(workshop: Workshop, count: int) -> None:
    q = connection.ops.quote_name
    meta = Workshop._meta
    sql = _SEATS_SQL.format(
        table=q(meta.db_table), seats=q(meta.get_field("seats_taken").column), pk=q(meta.pk.column)
    )
    with connection.cursor() as cursor:
        compiled.execute(cursor, sql, [count, workshop.pk])
    workshop.seats_taken += count


def _take_seats(workshop: Workshop, count: int) -> None:
    _add_seats(workshop, count)


def _release_seats(workshop: Workshop, count: int) -> None:
    _add_seats(workshop, -count)


def _queue(workshop: Workshop):
    return workshop.registrations.filter(status=Status.WAITING).order_by("waitlisted_at", "pk")


def _normalise_contact(kind: str, value: str) -> str:
    value = (value or "").strip()
    return value.lower() if kind == Registration.Channel.EMAIL else value


def _check_party(workshop: Workshop, party_size: int) -> None:
    maximum = min(settings.PARCOURS_WORKSHOP_MAX_PARTY, workshop.capacity)
    if not 1 <= party_size <= maximum:
        raise ValidationError(
            {"party_size": f"Le nombre de personnes va de 1 à {maximum} pour cette séance."}
        )


def _check_open(workshop: Workshop, *, staff: bool, now) -> None:
    if workshop.status != Workshop.Status.PUBLISHED:
        raise ValidationError("Cette séance n'est pas ouverte aux inscriptions.")
    if now >= workshop.starts_at:
        raise ValidationError("Cette séance a déjà commencé ou est passée.")
    # Staff may still register someone after the public deadline, until the start.
    if not staff and now >= workshop.registration_deadline:
        raise ValidationError("Les inscriptions à cette séance sont closes.")


def with_other_parent(
    workshop: Workshop, *, person=None, contact_kind: str = "", contact_value: str = "", search_name: str = "",
    birth_date=None, exclude_pk=None,
) -> bool:  # fmt: skip
    """Violence on record: never both parents of the family in the same session, from any door
    (staff, invitation, public page by e-mail, phone or name with birth date, waiting list, move).
    The one selector."""
    from parcours.workshops.selectors import other_parent_sessions

    return workshop.pk in other_parent_sessions(
        [workshop.pk],
        person=person,
        contact_kind=contact_kind,
        contact_value=contact_value,
        search_name=search_name,
        birth_date=birth_date,
        exclude_pk=exclude_pk,
    )


def _hold_for_review(actor, registration: Registration, *, why: str) -> None:
    """A registration that would put both parents in one session: held without telling the
    registrant why; the family's assigned staff see it on their home page and decide."""
    from parcours.workshops.selectors import sensitive_household_of

    if registration.household_id is None:
        registration.household = sensitive_household_of(
            contact_kind=registration.contact_kind, contact_value=registration.contact_value,
            search_name=registration.search_name, birth_date=registration.birth_date,
        )  # fmt: skip
        registration.save(update_fields=["household"])
    audit.record(actor, "workshops.registration.held", registration, reason=why)


def check_not_with_other_parent(workshop: Workshop, person, *, exclude_pk: int | None = None) -> None:
    """Staff and invitations: refuse, with the reason (staff may know it), a session with the other parent."""
    if person is None:
        return
    if with_other_parent(workshop, person=person, exclude_pk=exclude_pk):
        raise ValidationError(
            "Un autre parent du foyer est inscrit à cette séance ; les deux parents ne peuvent pas "
            "participer à la même séance. Proposez une autre séance (un webinaire de préférence)."
        )


def _identity(person, last_name: str, first_name: str, birth_date, now) -> tuple[str, object]:
    """A public registrant's folded name and birth date (both or neither: a name alone proves
    nothing); a birth date in the future or before 1900 is refused in French."""
    from parcours.workshops.selectors import identity_key

    if person is not None or not birth_date or not (last_name or "").strip():
        return "", None
    if birth_date.year < 1900 or birth_date >= timezone.localdate(now):
        raise ValidationError({"birth_date": "Indiquez une date de naissance valide."})
    return identity_key(last_name[:80], first_name), birth_date


def _would_be(workshop: Workshop, party_size: int, *, queue: bool | None = None) -> str:
    """Confirmed if the party fits and nobody waits (`queue`: already known to the caller)."""
    if workshop.seats_left < party_size:
        return Status.WAITING
    if queue is None:
        queue = _queue(workshop).exists()
    return Status.WAITING if queue else Status.CONFIRMED


@dataclass(frozen=True)
class _Facts:
    lapsed_offers: bool
    queue: bool
    existing_id: int | None
    other_parent: bool


def _facts_query(
    workshop_pk,
    *,
    now,
    contact_kind: str,
    contact_value: str,
    search_name: str,
    birth_date,
    variants: list[str],
):
    from parcours.workshops.selectors import other_parent_registrations

    mine = Registration.objects.filter(workshop_id=workshop_pk)
    same_contact = mine.filter(
        contact_kind=contact_kind, contact_value=contact_value, status__in=Registration.ACTIVE
    ).order_by("created_at", "pk")
    other = other_parent_registrations(
        [workshop_pk], contact_kind=contact_kind, contact_value=contact_value, search_name=search_name,
        birth_date=birth_date, variants=variants,
    )  # fmt: skip
    return (
        Workshop.objects.filter(pk=workshop_pk)
        .annotate(
            lapsed=Exists(mine.filter(status=Status.OFFERED, offer_expires_at__lte=now)),
            queue=Exists(mine.filter(status=Status.WAITING)),
            existing=Subquery(same_contact.values("pk")[:1]),
            other_parent=Exists(other) if other is not None else Value(False),
        )
        .values_list("lapsed", "queue", "existing", "other_parent")
    )


class _Slot(str):
    """A parameter of a compiled statement, filled in at each run."""


_COMPILED: dict[tuple, tuple[str, list]] = {}
_SENTINEL_PK = -739_100_317
_SENTINEL_NOW = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def _compiled_facts(n_variants: int, identity: bool) -> tuple[str, list] | None:
    """The facts statement compiled once per database and number of contact variants: the ORM
    took longer to build its nested subqueries than the database to run them. Built from the one
    query above with marker values, then each marker's positions are recorded (None: a marker was
    not found, and the caller builds the query each time)."""
    shape = (connection.vendor, n_variants, identity)
    if shape not in _COMPILED:
        markers = {"pk": _SENTINEL_PK, "now": connection.ops.adapt_datetimefield_value(_SENTINEL_NOW),
                   "kind": "\x00kind", "value": "\x00value"}  # fmt: skip
        markers.update({f"v{i}": f"\x00variant{i}" for i in range(n_variants)})
        if identity:
            markers["name"] = "\x00name"
            markers["born"] = connection.ops.adapt_datefield_value(_SENTINEL_NOW.date())
        query = _facts_query(
            _SENTINEL_PK, now=_SENTINEL_NOW, contact_kind=markers["kind"], contact_value=markers["value"],
            search_name=markers["name"] if identity else "", birth_date=_SENTINEL_NOW.date() if identity else None,
            variants=[markers[f"v{i}"] for i in range(n_variants)],
        )  # fmt: skip
        sql, params = query.query.sql_with_params()
        by_value = {value: name for name, value in markers.items()}
        slots = [_Slot(by_value[p]) if p in by_value else p for p in params]
        # Every marker must be found (the statement repeats some, e.g. the contact's variants).
        ok = all(_Slot(name) in slots for name in markers)
        _COMPILED[shape] = (sql, slots) if ok else None
    return _COMPILED[shape]


def _facts_statement(
    workshop_pk: int, *, now, contact_kind: str, contact_value: str, search_name: str = "", birth_date=None
) -> tuple[str, list] | None:
    """The facts' SQL and parameters, ready before the lock is taken (None: the query is built at
    each run, see `_compiled_facts`)."""
    from parcours.workshops.selectors import contact_variants

    variants = contact_variants(contact_kind, contact_value)
    identity = bool(search_name and birth_date)
    statement = _compiled_facts(len(variants), identity)
    if statement is None:
        return None
    sql, slots = statement
    values = {"pk": workshop_pk, "now": connection.ops.adapt_datetimefield_value(now),
              "kind": contact_kind, "value": contact_value}  # fmt: skip
    values.update({f"v{i}": v for i, v in enumerate(variants)})
    if identity:
        values.update({"name": search_name, "born": connection.ops.adapt_datefield_value(birth_date)})
    return sql, [values[p] if isinstance(p, _Slot) else p for p in slots]


def _facts(
    workshop: Workshop, *, now, contact_kind: str, contact_value: str, search_name: str = "", birth_date=None,
    statement: tuple[str, list] | None = None,
) -> _Facts:  # fmt: skip
    """What a public registration must know of the session's registrations, in ONE statement run
    after the row lock is taken (not inside the locking SELECT: on PostgreSQL a SELECT … FOR UPDATE
    that waited re-reads the locked row, but its subqueries keep the snapshot of before the wait):
    offers that lapsed, the waiting list, the same contact already registered, and the other parent
    of a family with violence on record in the session (the one selector, nested).

    `statement`: the same, from `_facts_statement`, built by the caller before it took the lock."""
    who = {"contact_kind": contact_kind, "contact_value": contact_value, "search_name": search_name,
           "birth_date": birth_date}  # fmt: skip
    if statement is None:
        statement = _facts_statement(workshop.pk, now=now, **who)
    if statement is None:
        from parcours.workshops.selectors import contact_variants

        variants = contact_variants(contact_kind, contact_value)
        row = _facts_query(workshop.pk, now=now, variants=variants, **who).get()
    else:
        with connection.cursor() as cursor:  # prepared once per connection on PostgreSQL
            compiled.execute(cursor, *statement)
            row = cursor.fetchone()
    return _Facts(bool(row[0]), bool(row[1]), row[2], bool(row[3]))


def _authorize_new(actor, workshop: Workshop, person, invitation) -> bool:
    """True for staff. Public and link holders need no right, but only for what their link allows."""
    if policy.is_staff(actor):
        policy.require(actor, "workshops.register", workshop, restricted="reference")
        if person is not None:
            policy.require(actor, "workshops.register", person)
        return True
    if person is not None and not (
        isinstance(actor, policy.LinkHolder) and invitation is not None and actor.invitation == invitation
    ):
        raise ValidationError("Inscription impossible.")
    return False


@transaction.atomic
def register(
    *,
    actor,
    workshop: Workshop,
    first_name: str = "",
    party_size: int = 1,
    accessibility_needs: str = "",
    contact_kind: str = "",
    contact_value: str = "",
    last_name: str = "",
    birth_date=None,
    person=None,
    invitation=None,
) -> RegistrationOutcome:
    """Register someone: a confirmed seat if there is room and nobody waits, else the waiting list.

    `person` (a household member) for staff and invitations: messages then go to that person's
    safe channel. Otherwise the registrant's own e-mail or mobile number (`contact_kind/value`), and
    optionally their last name and birth date: with the first name, they recognise the other parent
    of a family with violence on record as surely as his e-mail or phone would.
    """
    staff = _authorize_new(actor, workshop, person, invitation)
    now = timezone.now()
    if person is None:
        # Everything that does not depend on the session's registrations is worked out before the
        # lock, which every other registration to the session waits on: the contact, the identity,
        # the facts statement's parameters.
        contact_ok = contact_kind in Registration.Channel.values and (contact_value or "").strip()
        contact_value = _normalise_contact(contact_kind, contact_value) if contact_ok else ""
        # The name with birth date (optional) recognises the other parent too: the facts need it.
        search_name, birth_date = _identity(None, last_name, (first_name or "").strip(), birth_date, now)
        who = {"contact_kind": contact_kind, "contact_value": contact_value, "search_name": search_name,
               "birth_date": birth_date}  # fmt: skip
        statement = _facts_statement(workshop.pk, now=now, **who)
    audit_id = audit.reserve_id()  # PostgreSQL: the entry's id from its sequence, before the lock
    workshop = lock_workshop(workshop.pk)
    if person is not None:
        expire_offers(workshop=workshop, now=now)
        facts, search_name, birth_date = None, "", None
    else:
        facts = _facts(workshop, now=now, statement=statement, **who)
        if facts.lapsed_offers:  # rare: lapse them (their seats go to the waiting list), then look again
            expire_offers(workshop=workshop, now=now)
            facts = _facts(workshop, now=now, statement=statement, **who)
    _check_open(workshop, staff=staff, now=now)
    _check_party(workshop, party_size)
    if person is not None:
        first_name = first_name or person.first_name
        contact_kind, contact_value = "", ""
        if workshop.registrations.filter(person=person, status__in=Registration.ACTIVE).exists():
            raise ValidationError("Cette personne est déjà inscrite à cette séance.")
        check_not_with_other_parent(workshop, person)
    else:
        if not contact_ok:
            raise ValidationError("Indiquez une adresse e-mail ou un numéro de mobile pour la confirmation.")
        if facts.existing_id is not None:
            existing = Registration.objects.get(pk=facts.existing_id)
            existing.workshop = workshop
            # Never tell the page who is registered: the owner of the contact gets a message instead.
            shown = _would_be(workshop, party_size, queue=facts.queue)
            messaging.already_registered(existing, actor=actor)
            audit.record(actor, "workshops.registration.repeated", existing, reserved_id=audit_id)
            return RegistrationOutcome(existing, created=False, shown_status=shown)
    first_name = (first_name or "").strip()
    if not first_name:
        raise ValidationError({"first_name": "Indiquez votre prénom."})
    status = _would_be(workshop, party_size, queue=facts.queue if facts is not None else None)
    held = facts is not None and facts.other_parent
    if held:
        status = Status.PENDING_REVIEW
    source = (
        Registration.Source.INVITATION
        if invitation is not None
        else (Registration.Source.STAFF if staff else Registration.Source.PUBLIC)
    )
    # The INSERT built once (core.compiled.insert): it runs inside the session's lock.
    registration = compiled.insert(
        Registration(
            workshop=workshop,
            status=status,
            source=source,
            first_name=first_name[:80],
            contact_kind=contact_kind,
            contact_value=contact_value,
            search_name=search_name,
            birth_date=birth_date,
            person=person,
            household=person.household if person is not None else None,
            party_size=party_size,
            accessibility_needs=(accessibility_needs or "").strip()[:500],
            created_by=actor if staff else None,
            created_at=now,
            confirmed_at=now if status == Status.CONFIRMED else None,
            waitlisted_at=now if status == Status.WAITING else None,
        )
    )
    if status == Status.CONFIRMED:
        _take_seats(workshop, party_size)
    audit.record(
        actor,
        "workshops.registration.created",
        registration,
        data={"status": status, "source": source, "party_size": party_size},
        reserved_id=audit_id,
    )
    if held:
        _hold_for_review(
            actor, registration, why="Correspond à l'autre parent d'une famille protégée inscrite"
        )
        return RegistrationOutcome(registration, created=True, shown_status=status)
    # Inside the workshop's lock, only what capacity needs: the messages (the confirmation with its
    # calendar file, the reminders) are written by the worker, from one task row committed with the
    # registration — never lost, and never holding the seats of everyone else while they render.
    registration_messages_task.enqueue(registration.pk, status, getattr(actor, "pk", None))
    return RegistrationOutcome(registration, created=True, shown_status=status)


def _lock_registration(registration: Registration) -> tuple[Workshop, Registration]:
    workshop = lock_workshop(registration.workshop_id)
    fresh = Registration.objects.select_related("workshop__department").get(pk=registration.pk)
    fresh.workshop = workshop
    return workshop, fresh


def promote_waiting_list(workshop: Workshop, now, *, actor=None) -> list[Registration]:
    """Offer freed seats to the head of the waiting list, in order, while the head's party fits.

    The caller holds the workshop's lock (`lock_workshop`)."""
    offered = []
    if workshop.status != Workshop.Status.PUBLISHED or now >= workshop.starts_at:
        return offered
    while True:
        head = _queue(workshop).first()
        if head is None or head.party_size > workshop.seats_left:
            return offered
        if with_other_parent(workshop, **head.identity(), exclude_pk=head.pk):
            # Never offer a seat next to the other parent: held for the family's staff to decide.
            head.status = Status.PENDING_REVIEW
            head.save(update_fields=["status"])
            _hold_for_review(actor, head, why="Place libérée : l'autre parent de la famille est inscrit")
            continue
        head.status = Status.OFFERED
        head.offered_at = now
        head.offer_expires_at = min(
            now + timedelta(hours=settings.PARCOURS_WORKSHOP_OFFER_HOURS), workshop.starts_at
        )
        head.save(update_fields=["status", "offered_at", "offer_expires_at"])
        _take_seats(workshop, head.party_size)
        head.workshop = workshop
        audit.record(
            actor, "workshops.registration.offered", head, data={"until": head.offer_expires_at.isoformat()}
        )
        messaging.offer_made(head, actor=actor)
        schedule_offer_expiry(head)
        offered.append(head)


def _end(registration: Registration, workshop: Workshop, status: str, *, now, reason: str = "") -> None:
    held = registration.holds_seats
    registration.status = status
    registration.cancelled_at = now
    registration.cancel_reason = reason[:300]
    registration.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    if held:
        _release_seats(workshop, registration.party_size)


@transaction.atomic
def cancel_registration(*, actor, registration: Registration, reason: str = "") -> Registration:
    """Cancel a registration or a place on the waiting list; a held seat is offered on at once."""
    policy.require_holder_or_staff(actor, "workshops.register", registration)
    now = timezone.now()
    workshop, registration = _lock_registration(registration)
    if not registration.is_active:
        raise ValidationError("Cette inscription est déjà annulée.")
    if now >= workshop.starts_at:
        raise ValidationError("La séance a commencé : l'inscription ne peut plus être annulée.")
    _end(registration, workshop, Status.CANCELLED, now=now, reason=reason or "Annulée")
    audit.record(
        actor,
        "workshops.registration.cancelled",
        registration,
        reason=reason,
        data={"by_link": isinstance(actor, policy.LinkHolder)},
    )
    messaging.registration_cancelled(registration, actor=actor)
    promote_waiting_list(workshop, now, actor=actor)
    return registration


@transaction.atomic
def update_registration(
    *, actor, registration: Registration, party_size: int, accessibility_needs: str
) -> Registration:
    """Change the number of people or the accessibility needs; more people need free seats."""
    policy.require_holder_or_staff(actor, "workshops.register", registration)
    now = timezone.now()
    workshop, registration = _lock_registration(registration)
    if not registration.is_active or now >= workshop.starts_at:
        raise ValidationError("Cette inscription ne peut plus être modifiée.")
    _check_party(workshop, party_size)
    delta = party_size - registration.party_size
    if registration.holds_seats and delta > 0 and workshop.seats_left < delta:
        raise ValidationError(
            {
                "party_size": f"Il ne reste que {workshop.seats_left} place(s) : impossible d'ajouter {delta} personne(s)."
            }
        )
    changed = []
    if delta:
        registration.party_size = party_size
        changed.append("party_size")
        if registration.holds_seats:
            (_take_seats if delta > 0 else _release_seats)(workshop, abs(delta))
    needs = (accessibility_needs or "").strip()[:500]
    if needs != registration.accessibility_needs:
        registration.accessibility_needs = needs
        changed.append("accessibility_needs")
    if changed:
        registration.save(update_fields=changed)
        audit.record(actor, "workshops.registration.changed", registration, data={"fields": changed})
        if registration.status == Status.CONFIRMED:
            messaging.registration_changed(registration, actor=actor)
        if delta < 0:
            promote_waiting_list(workshop, now, actor=actor)
    return registration


@transaction.atomic
def move_registration(*, actor, registration: Registration, target: Workshop) -> RegistrationOutcome:
    """Move to another session: the old place is released (and offered on), a new one is taken."""
    policy.require_holder_or_staff(actor, "workshops.register", registration)
    if target.pk == registration.workshop_id:
        raise ValidationError("Choisissez une autre séance.")
    if target.department_id != registration.workshop.department_id:
        raise ValidationError("La nouvelle séance doit être organisée par la même Caf.")
    now = timezone.now()
    # Lock both sessions in a fixed order: two moves in opposite directions cannot deadlock.
    first, second = sorted([registration.workshop_id, target.pk])
    lock_workshop(first)
    lock_workshop(second)
    workshop, registration = _lock_registration(registration)
    if not registration.is_active or now >= workshop.starts_at:
        raise ValidationError("Cette inscription ne peut plus être modifiée.")
    target = lock_workshop(target.pk)
    staff = policy.is_staff(actor)
    _check_open(target, staff=staff, now=now)
    _check_party(target, registration.party_size)
    check_not_with_other_parent(target, registration.person)
    status = _would_be(target, registration.party_size)
    identity = registration.identity()
    held = registration.person is None and with_other_parent(target, **{**identity, "person": None})
    if held:
        status = Status.PENDING_REVIEW
    new = Registration.objects.create(
        workshop=target,
        status=status,
        source=registration.source,
        first_name=registration.first_name,
        contact_kind=registration.contact_kind,
        contact_value=registration.contact_value,
        search_name=registration.search_name,
        birth_date=registration.birth_date,
        person=registration.person,
        household=registration.household,
        party_size=registration.party_size,
        accessibility_needs=registration.accessibility_needs,
        created_by=actor if staff else None,
        created_at=now,
        confirmed_at=now if status == Status.CONFIRMED else None,
        waitlisted_at=now if status == Status.WAITING else None,
    )
    if status == Status.CONFIRMED:
        _take_seats(target, new.party_size)
    if hasattr(registration, "invitation"):
        invitation = registration.invitation
        invitation.registration = new
        invitation.save(update_fields=["registration"])
    _end(registration, workshop, Status.CANCELLED, now=now, reason=f"Remplacée par l'inscription n° {new.pk}")
    audit.record(actor, "workshops.registration.moved", new, data={"from": registration.pk, "status": status})
    messaging.registration_cancelled(registration, actor=actor, replaced=True)
    if held:
        _hold_for_review(actor, new, why="Changement de séance : l'autre parent de la famille est inscrit")
    elif status == Status.CONFIRMED:
        messaging.registration_confirmed(new, actor=actor)
    else:
        messaging.registration_waitlisted(new, actor=actor)
    promote_waiting_list(workshop, now, actor=actor)
    return RegistrationOutcome(new, created=True, shown_status=status)


@transaction.atomic
def review_held_registration(
    *, actor, registration: Registration, confirm: bool, reason: str
) -> Registration:
    """The family's staff decide on a registration held for review, with a reason (audited):
    confirmed (a seat, or the waiting list, and its message) or cancelled."""
    policy.require_holder_or_staff(actor, "workshops.register", registration)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez la décision (10 caractères au moins)."})
    now = timezone.now()
    workshop, registration = _lock_registration(registration)
    if registration.status != Status.PENDING_REVIEW:
        raise ValidationError("Cette inscription n'est pas en attente de confirmation.")
    if confirm:
        status = _would_be(workshop, registration.party_size)
        registration.status = status
        registration.confirmed_at = now if status == Status.CONFIRMED else None
        registration.waitlisted_at = now if status == Status.WAITING else None
        registration.save(update_fields=["status", "confirmed_at", "waitlisted_at"])
        if status == Status.CONFIRMED:
            _take_seats(workshop, registration.party_size)
        registration_messages_task.enqueue(registration.pk, status, getattr(actor, "pk", None))
    else:
        _end(registration, workshop, Status.CANCELLED, now=now, reason="Annulée par la Caf")
    audit.record(
        actor, "workshops.registration.reviewed", registration, reason=reason, data={"confirmed": confirm}
    )
    return registration


def accept_offer(*, actor, registration: Registration) -> Registration:
    policy.require_holder_or_staff(actor, "workshops.register", registration)
    # A lapsed offer is recorded as lapsed (and passed on) even though accepting it then fails.
    with transaction.atomic():
        expire_offers(workshop=lock_workshop(registration.workshop_id))
    return _accept(actor, registration)


@transaction.atomic
def _accept(actor, registration: Registration) -> Registration:
    now = timezone.now()
    workshop, registration = _lock_registration(registration)
    if registration.status != Status.OFFERED:
        raise ValidationError("Cette proposition de place n'est plus valable.")
    registration.status = Status.CONFIRMED
    registration.confirmed_at = now
    registration.save(update_fields=["status", "confirmed_at"])
    audit.record(actor, "workshops.registration.offer_accepted", registration)
    messaging.registration_confirmed(registration, actor=actor)
    return registration


@transaction.atomic
def decline_offer(*, actor, registration: Registration) -> Registration:
    policy.require_holder_or_staff(actor, "workshops.register", registration)
    now = timezone.now()
    workshop, registration = _lock_registration(registration)
    if registration.status != Status.OFFERED:
        raise ValidationError("Cette proposition de place n'est plus valable.")
    _end(registration, workshop, Status.OFFER_DECLINED, now=now, reason="Place proposée refusée")
    audit.record(actor, "workshops.registration.offer_declined", registration)
    promote_waiting_list(workshop, now, actor=actor)
    return registration


def expire_offers(*, workshop: Workshop | None = None, now=None) -> int:
    """Offers not taken in time lapse; their seats go to the next person waiting. Returns how many lapsed.

    With `workshop`, the caller holds its lock; without, each workshop with lapsed offers is locked in turn.
    """
    now = now or timezone.now()
    if workshop is None:
        count = 0
        ids = (
            Registration.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
            .values_list("workshop_id", flat=True)
            .distinct()
        )
        for workshop_id in list(ids):
            with transaction.atomic():
                count += expire_offers(workshop=lock_workshop(workshop_id), now=now)
        return count
    lapsed = list(
        workshop.registrations.filter(status=Status.OFFERED, offer_expires_at__lte=now).order_by(
            "offered_at", "pk"
        )
    )
    for registration in lapsed:
        _end(
            registration,
            workshop,
            Status.OFFER_EXPIRED,
            now=now,
            reason="Place proposée non confirmée à temps",
        )
        audit.record(None, "workshops.registration.offer_expired", registration)
    if lapsed:
        promote_waiting_list(workshop, now)
    return len(lapsed)


@task()
def registration_messages_task(registration_id: int, status: str, actor_id: int | None) -> str:
    """The messages of a new registration, built by the worker (idempotent: outbox keys)."""
    from parcours.core.models import User

    prepared = _PREPARED.get()
    if prepared is not None and registration_id in prepared:
        registration = prepared.pop(registration_id)  # a second task for it reads it afresh
    else:
        registration = _registrations_for_messages().filter(pk=registration_id).first()
    if registration is None or registration.status != status:
        return "inscription changée depuis : rien à envoyer"  # a later change sent its own message
    if status == Status.PENDING_REVIEW:
        return "en attente de confirmation : rien à envoyer"
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    if status == Status.CONFIRMED:
        messaging.registration_confirmed(registration, actor=actor)
    else:
        messaging.registration_waitlisted(registration, actor=actor)
    return status


def _registrations_for_messages():
    return Registration.objects.select_related("workshop__department", "workshop__venue", "person__household")


# The registrations of a batch of `registration_messages_task`, read in one query (task_batches).
_PREPARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "registrations_prepared", default=None
)


@contextmanager
def _prepare_registrations(calls):
    """Inside the batch's transaction: the batch's registrations, read at once, each task taking its
    own once (a second task for the same one reads it afresh); an id missing is read by the task."""
    ids = {args[0] for args, _kwargs in calls if args}
    token = _PREPARED.set({r.pk: r for r in _registrations_for_messages().filter(pk__in=ids)})
    try:
        yield
    finally:
        _PREPARED.reset(token)


# Its only effect is outbox rows with idempotency keys: the worker may run many in one transaction.
task_batches.batchable(registration_messages_task, around=outbox.deferred, prepare=_prepare_registrations)


@task()
def expire_offers_task() -> int:
    return expire_offers()


def schedule_offer_expiry(registration: Registration) -> None:
    """The offer lapses at a precise moment: a deferred task then (the housekeeping sweeps the rest)."""
    schedule.defer(expire_offers_task, registration.offer_expires_at + timedelta(seconds=5))
