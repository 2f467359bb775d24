"""Every write to household data: permission check, invariants, audit entry, in one transaction."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, crypto, policy
from parcours.core.errors import Refused
from parcours.households import hooks
from parcours.households.models import (
    Address,
    Consent,
    ContactChannel,
    ContactProposal,
    Household,
    HouseholdAssignment,
    Person,
    ProtectedAddress,
)

HOUSEHOLD_FIELDS = ("file_number", "is_allocataire")
PERSON_FIELDS = ("role", "first_name", "last_name", "birth_date", "is_declarant")
CONTACT_FIELDS = ("kind", "value", "is_safe", "safe_from", "safe_until", "note")
ADDRESS_FIELDS = ("line", "complement", "postal_code", "city")
ELECTED_FIELDS = ("elected_kind", "elected_name", "elected_line", "elected_postal_code", "elected_city")


def _changed(instance, values: dict) -> list[str]:
    """Apply `values` and name the fields that differ from what is stored.

    Compared with the database, not with the instance: a bound ModelForm has already copied the
    new values onto the instance it was given.
    """
    stored = type(instance).objects.filter(pk=instance.pk).values(*values).first() or {}
    changed = [field for field, value in values.items() if stored.get(field) != value]
    for field, value in values.items():
        setattr(instance, field, value)
    return changed


@transaction.atomic
def create_household(*, actor, file_number: str, is_allocataire: bool = True) -> Household:
    policy.require(actor, "households.create")
    department = actor.department
    if Household.objects.filter(department=department, file_number=file_number).exists():
        raise ValidationError({"file_number": "Un dossier porte déjà ce numéro dans votre département."})
    household = Household.objects.create(
        department=department, file_number=file_number, is_allocataire=is_allocataire
    )
    audit.record(actor, "households.household.created", household)
    return household


@transaction.atomic
def update_household(*, actor, household: Household, **values) -> Household:
    policy.require(actor, "households.edit", household)
    unknown = set(values) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise ValueError(f"Champs non modifiables : {sorted(unknown)}")
    if (
        "file_number" in values
        and Household.objects.filter(department=household.department, file_number=values["file_number"])
        .exclude(pk=household.pk)
        .exists()
    ):
        raise ValidationError({"file_number": "Un dossier porte déjà ce numéro dans votre département."})
    changed = _changed(household, values)
    if changed:
        household.save()
        audit.record(actor, "households.household.changed", household, data={"fields": changed})
    return household


@transaction.atomic
def restrict_household(*, actor, household: Household, reason: str) -> Household:
    """Restrict access to the assigned staff; the actor is assigned so that the work can go on."""
    policy.require(actor, "households.edit", household)
    if not household.restricted:
        household.restricted = True
        household.restricted_at = timezone.now()
        household.save(update_fields=["restricted", "restricted_at", "updated_at"])
        audit.record(actor, "households.household.restricted", household, reason=reason)
    HouseholdAssignment.objects.get_or_create(
        household=household, user=actor, defaults={"assigned_by": actor}
    )
    return household


@transaction.atomic
def lift_restriction(*, actor, household: Household, reason: str) -> Household:
    """Open a restricted file to all the department's staff again: the local pilot's act, with a
    reason, audited. Who is at risk stays recorded (a violence report keeps her messages neutral and
    her family's pathways protected); the assignments stay for the day the file is restricted again."""
    policy.require(actor, "households.lift_restriction", household, restricted="reference")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez la levée de la restriction (10 caractères au moins)."})
    locked = Household.objects.select_for_update().get(pk=household.pk)
    if not locked.restricted:
        raise ValidationError("Ce dossier n'est pas restreint.")
    household.restricted, household.restricted_at = False, None
    household.save(update_fields=["restricted", "restricted_at", "updated_at"])
    audit.record(actor, "households.household.unrestricted", household, reason=reason)
    return household


@transaction.atomic
def set_legal_hold(*, actor, household: Household, hold: bool, reason: str) -> Household:
    """Keep a file from anonymisation (or let it go again): the local pilot's act, with a reason, audited.

    The reason is stored on the file (the retention job and the DPO read it) and in the audit entry.
    """
    policy.require(actor, "households.legal_hold", household, restricted="reference")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez le gel légal (10 caractères au moins)."})
    locked = Household.objects.select_for_update().get(pk=household.pk)
    if locked.anonymised_at is not None:
        raise ValidationError("Ce dossier est déjà anonymisé.")
    if locked.legal_hold == hold:
        raise ValidationError("Ce dossier est déjà gelé." if hold else "Ce dossier n'est pas gelé.")
    household.legal_hold = hold
    household.legal_hold_reason = reason if hold else ""
    household.legal_hold_at = timezone.now() if hold else None
    household.save(update_fields=["legal_hold", "legal_hold_reason", "legal_hold_at", "updated_at"])
    action = "households.household.legal_hold_set" if hold else "households.household.legal_hold_lifted"
    audit.record(actor, action, household, reason=reason)
    return household


@transaction.atomic
def erase_on_request(*, actor, household: Household, reason: str) -> Household:
    """Erase a file at the person's request (RGPD art. 17): the same anonymisation as the nightly job,
    now, whatever the retention durations — refused while something keeps the file alive (an open
    pathway, a MAP measure, an aid to decide or recover, a legal hold…). The local pilot's act, with
    the reason recorded in the audit trail (the file itself keeps no name to attach it to)."""
    from parcours.households import anonymisation

    policy.require(actor, "households.erase", household, restricted="reference")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez l'effacement (10 caractères au moins)."})
    locked = Household.objects.select_for_update().get(pk=household.pk)
    if locked.anonymised_at is not None:
        raise ValidationError("Ce dossier est déjà anonymisé.")
    if locked.legal_hold:
        raise ValidationError(
            "Effacement refusé : un gel légal est posé sur ce dossier. Il faut d'abord le lever, "
            "si la raison qui l'a fait poser a cessé."
        )
    now = timezone.now()
    keepers = anonymisation.still_kept_by(household.pk, now)
    if keepers:
        raise ValidationError(
            "Effacement refusé : le dossier est encore nécessaire (" + " ; ".join(keepers) + "). "
            "Il pourra être effacé quand ce sera terminé."
        )
    # Recorded first, under the reference the requester knows; the entry never holds a name.
    audit.record(actor, "households.household.erased", household, reason=reason)
    if not anonymisation.anonymise_household(household.pk, now, on_request=True):
        raise ValidationError("Effacement refusé : le dossier a changé entre-temps ; réessayez.")
    household.refresh_from_db()
    return household


@transaction.atomic
def erase_person_on_request(*, actor, person: Person, reason: str) -> Person:
    """Erase one member at her request (RGPD art. 17): a child come of age, a parent who left the file.
    The household's anonymisation restricted to her (each module's `Holding.erase_person`), now —
    refused, with why, while something still needs her (an open pathway she declared, a MAP
    measure, an aid to decide or recover, a legal hold on the file, her own limitation…). The local
    pilot's act, as for the whole file; the reason is kept in the audit entry, with counts, no name."""
    from parcours.households import anonymisation

    policy.require(actor, "households.erase", person, restricted="reference")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez l'effacement (10 caractères au moins)."})
    # The household's row first, as the nightly job does (one lock order: no deadlock with it), then hers.
    Household.objects.select_for_update().get(pk=person.household_id)
    locked = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    now = timezone.now()
    blockers = anonymisation.person_blockers(locked, now)
    if blockers:
        raise ValidationError(
            "Effacement refusé : " + " ; ".join(blockers) + ". Les données de cette personne pourront "
            "être effacées quand ce sera terminé."
        )
    counts = anonymisation.erase_person(locked.pk, now)
    # Under her number and the file's reference, with the rows erased per module: never a name.
    audit.record(actor, "households.person.erased", locked, reason=reason, data={"rows": counts})
    person.refresh_from_db()
    return person


@transaction.atomic
def set_processing_limitation(*, actor, person: Person, limited: bool, reason: str) -> Person:
    """Freeze (or release) the processing of one person (RGPD art. 18): no message leaves for her
    while it is set, no declaration changes her, her steps pause. The local pilot's act, with a
    reason, audited."""
    policy.require(actor, "households.limit_processing", person, restricted="reference")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez la limitation du traitement (10 caractères au moins)."})
    locked = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    if locked.erased_at is not None or locked.household.anonymised_at is not None:
        raise ValidationError(
            "Les données de cette personne sont déjà effacées : il n'y a plus rien à limiter."
        )
    if locked.processing_limited == limited:
        raise ValidationError(
            "Le traitement est déjà limité." if limited else "Le traitement n'est pas limité."
        )
    person.processing_limited = limited
    person.processing_limited_reason = reason if limited else ""
    person.processing_limited_at = timezone.now() if limited else None
    person.processing_limited_by = actor if limited else None
    person.save(
        update_fields=[
            "processing_limited", "processing_limited_reason", "processing_limited_at", "processing_limited_by",
        ]
    )  # fmt: skip
    action = "households.person.processing_limited" if limited else "households.person.processing_unlimited"
    audit.record(actor, action, person, reason=reason)
    hooks.processing_limitation_changed(actor=actor, person=person, limited=limited, reason=reason)
    return person


@transaction.atomic
def add_person(*, actor, household: Household, **values) -> Person:
    policy.require(actor, "households.edit", household)
    person = Person(household=household, **{k: v for k, v in values.items() if k in PERSON_FIELDS})
    person.full_clean(exclude=["search_name"])
    person.save()
    audit.record(actor, "households.person.created", person)
    return person


@transaction.atomic
def update_person(*, actor, person: Person, **values) -> Person:
    policy.require(actor, "households.edit", person)
    changed = _changed(person, {k: v for k, v in values.items() if k in PERSON_FIELDS})
    if changed:
        person.full_clean(exclude=["search_name"])
        person.save()
        audit.record(actor, "households.person.changed", person, data={"fields": changed})
    return person


class AddressProtected(Refused):
    default_message = "Cette adresse est protégée : seul un travailleur social peut la modifier."


def check_address_editable(actor, person: Person, *, protected: bool | None = None) -> None:
    """Once an address is protected, only a social worker changes it: raise AddressProtected otherwise.

    Asked by the page before it shows the form, and by `set_address` at every door.
    """
    if protected is None:
        protected = ProtectedAddress.objects.filter(person=person).exists()
    if protected and not policy.can(actor, "households.protect_address", person):
        raise AddressProtected


@transaction.atomic
def set_address(*, actor, person: Person, **values) -> None:
    """Set the person's address; once protected, it is the encrypted address that changes."""
    policy.require(actor, "households.edit", person)
    values = {k: v for k, v in values.items() if k in ADDRESS_FIELDS}
    protected = ProtectedAddress.objects.filter(person=person).first()
    check_address_editable(actor, person, protected=protected is not None)
    if protected is not None:
        protected.ciphertext = crypto.encrypt(json.dumps(values, ensure_ascii=False))
        protected.save(update_fields=["ciphertext"])
        audit.record(actor, "households.protected_address.changed", protected)
        return
    address, created = Address.objects.get_or_create(person=person, defaults=values)
    if not created:
        _changed(address, values)
        address.save()
    audit.record(actor, "households.address.changed", person)


@transaction.atomic
def protect_address(*, actor, person: Person, reason: str, address: dict | None = None, **elected):
    """Encrypt the person's real address and put the elected one in its place, everywhere.

    Returns the `ProtectedAddress`, or — when a registered rule holds the request for a human
    decision (`hooks.address_protection_hold`: the other parent of a recorded victim, a
    « signalement croisé ») — the object that holds it, with nothing protected yet."""
    policy.require(actor, "households.protect_address", person)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Indiquez le motif de la protection."})
    current = Address.objects.filter(person=person).first()
    real = address or ({f: getattr(current, f) for f in ADDRESS_FIELDS} if current else None)
    if not real or not (real.get("line") or real.get("postal_code")):  # a partial address is protected too
        raise ValidationError("Saisissez l'adresse réelle à protéger.")
    elected = {k: v for k, v in elected.items() if k in ELECTED_FIELDS}
    held = hooks.address_protection_hold(
        actor=actor, person=person, reason=reason.strip(),
        address={f: real.get(f, "") for f in ADDRESS_FIELDS}, elected=elected,
    )  # fmt: skip
    if held is not None:
        return held
    protected, _ = ProtectedAddress.objects.update_or_create(
        person=person,
        defaults={
            "ciphertext": crypto.encrypt(
                json.dumps({f: real.get(f, "") for f in ADDRESS_FIELDS}, ensure_ascii=False)
            ),
            "protected_by": actor,
            **elected,
        },
    )
    if current is not None:
        current.delete()
        transaction.on_commit(vacuum_addresses)
    audit.record(actor, "households.address.protected", protected, reason=reason)
    return protected


def vacuum_addresses() -> None:
    """After an address in clear is deleted (it became protected): on PostgreSQL, VACUUM the table so
    that its dead row is pruned and its space reused rather than kept until autovacuum passes.
    SQLite overwrites deleted rows itself (PRAGMA secure_delete=ON, settings). See docs/security.md
    for what VACUUM does not erase (WAL, backups) and the maintenance VACUUM FULL."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {connection.ops.quote_name(Address._meta.db_table)}")


@dataclass(frozen=True)
class RevealedAddress:
    line: str
    complement: str
    postal_code: str
    city: str

    def lines(self) -> list[str]:
        return [x for x in (self.line, self.complement, f"{self.postal_code} {self.city}") if x]


def is_recently_reauthenticated(reauthenticated_at: datetime | None) -> bool:
    return reauthenticated_at is not None and timezone.now() - reauthenticated_at <= settings.REAUTH_WINDOW


@transaction.atomic
def reveal_protected_address(
    *, actor, person: Person, reason: str, reauthenticated_at: datetime | None
) -> RevealedAddress:
    """The only way to read a protected address in clear: a reason, a fresh re-authentication, an audit line."""
    policy.require(actor, "households.reveal_address", person)
    if not (reason or "").strip() or len(reason.strip()) < 10:
        raise ValidationError(
            {"reason": "Indiquez précisément pourquoi vous devez voir l'adresse (10 caractères au moins)."}
        )
    if not is_recently_reauthenticated(reauthenticated_at):
        raise PermissionDenied("Une ré-authentification récente est nécessaire.")
    protected = ProtectedAddress.objects.select_related("person__household__department").get(person=person)
    values = json.loads(crypto.decrypt(protected.ciphertext))
    audit.record(actor, "households.protected_address.revealed", protected, reason=reason.strip())
    return RevealedAddress(**{f: values.get(f, "") for f in ADDRESS_FIELDS})


@transaction.atomic
def review_contact_proposal(
    *, actor, proposal: ContactProposal, confirm: bool, reason: str, person: Person | None = None
) -> ContactProposal:
    """The assigned social worker decides on a contact that came with a declaration for a family with
    violence on record, with a reason (audited). Confirmed: it is added to the person she names (by
    default the one the declaration named) through `add_contact` — or, a postal address, through
    `set_address` — with its checks; a value they refuse leaves the proposal pending, with the French
    error. Rejected: it is never used. A proposed address never becomes a protected address (it would
    replace the real one a person at risk gave): refused for a person whose address is protected.
    Once decided, the proposed address is erased from the proposal (it is on the record, or refused)."""
    policy.require(actor, "households.review_contact_proposal", proposal)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez la décision (10 caractères au moins)."})
    proposal = (
        ContactProposal.objects.select_for_update()
        .select_related("household__department")
        .get(pk=proposal.pk)
    )
    if not proposal.is_pending:
        raise ValidationError("Cette proposition de coordonnées a déjà été traitée.")
    if confirm:
        person = person or proposal.person
        if person.household_id != proposal.household_id:
            raise ValidationError({"person": "Choisissez une personne de ce foyer."})
        if proposal.is_address:
            if ProtectedAddress.objects.filter(person=person).exists():
                raise ValidationError(
                    {
                        "person": "L'adresse de cette personne est protégée : une adresse reçue avec une "
                        "déclaration ne la remplace jamais. Écartez la proposition ; si la personne a "
                        "déménagé, modifiez son adresse protégée avec elle."
                    }
                )
            values = proposal.address_values()
            set_address(actor=actor, person=person, complement="", **values)
        else:
            proposal.contact = add_contact(
                actor=actor, person=person, kind=proposal.kind, value=proposal.value
            )
    proposal.status = ContactProposal.Status.CONFIRMED if confirm else ContactProposal.Status.REJECTED
    proposal.decided_at, proposal.decided_by, proposal.reason = timezone.now(), actor, reason[:300]
    proposal.address_ciphertext = None
    proposal.save(
        update_fields=["status", "decided_at", "decided_by", "reason", "contact", "address_ciphertext"]
    )
    audit.record(
        actor,
        f"households.contact_proposal.{'confirmed' if confirm else 'rejected'}",
        proposal,
        reason=reason,
        data={"kind": proposal.kind, "person_id": person.pk if confirm else None},
    )
    return proposal


@transaction.atomic
def add_contact(*, actor, person: Person, **values) -> ContactChannel:
    policy.require(actor, "households.edit", person)
    contact = ContactChannel(person=person, **{k: v for k, v in values.items() if k in CONTACT_FIELDS})
    contact.full_clean()
    contact.save()
    audit.record(actor, "households.contact.created", contact, data={"safe": contact.is_safe})
    return contact


@transaction.atomic
def update_contact(*, actor, contact: ContactChannel, **values) -> ContactChannel:
    policy.require(actor, "households.edit", contact)
    values = {k: v for k, v in values.items() if k in CONTACT_FIELDS}
    if "value" in values:  # compared in its stored form: "06 12…" is no change from "+336 12…"
        with contextlib.suppress(ValidationError):  # full_clean() below reports it
            values["value"] = ContactChannel.normalised_value(
                values.get("kind", contact.kind), values["value"]
            )
    changed = _changed(contact, values)
    if changed:
        contact.full_clean()
        contact.save()
        audit.record(actor, "households.contact.changed", contact, data={"fields": changed})
    return contact


@transaction.atomic
def record_consent(*, actor, person: Person, purpose: str, given: bool, note: str = "") -> Consent:
    policy.require(actor, "households.edit", person)
    consent = Consent.objects.create(
        person=person, purpose=purpose, given=given, note=note, recorded_by=actor
    )
    audit.record(actor, "households.consent.recorded", consent, data={"purpose": purpose, "given": given})
    return consent


@transaction.atomic
def assign_staff(*, actor, household: Household, user) -> HouseholdAssignment:
    policy.require(actor, "households.assign", household, restricted="reference")
    if user.department_code != household.department.code or not user.is_active:
        raise ValidationError("Seul un agent actif de la Caf du département peut être affecté à ce dossier.")
    assignment, created = HouseholdAssignment.objects.get_or_create(
        household=household, user=user, defaults={"assigned_by": actor}
    )
    if created:
        audit.record(actor, "households.assignment.created", assignment)
    return assignment


@transaction.atomic
def unassign_staff(*, actor, assignment: HouseholdAssignment) -> None:
    policy.require(actor, "households.assign", assignment, restricted="reference")
    audit.record(actor, "households.assignment.deleted", assignment)
    assignment.delete()
