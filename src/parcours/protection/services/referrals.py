"""The partner directory of a department, and referrals of a person at risk to a partner."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, calendar, policy
from parcours.households import services as household_services
from parcours.households.models import Consent, Person
from parcours.protection.models import Partner, Referral, ViolenceReport
from parcours.protection.services.track import tick_referrals_step

PARTNER_FIELDS = (
    "name",
    "kind",
    "phone",
    "email",
    "address",
    "hours",
    "note",
    "accepts_referrals",
    "is_active",
    "organisation",
)


@transaction.atomic
def save_partner(*, actor, partner: Partner | None = None, **values) -> Partner:
    """Create a partner of the actor's department, or change one (local pilot)."""
    policy.require(actor, "protection.manage_partners", partner)
    values = {k: v for k, v in values.items() if k in PARTNER_FIELDS}
    values["name"] = (values.get("name") if "name" in values else getattr(partner, "name", "")).strip()
    if not values["name"]:
        raise ValidationError({"name": "Indiquez le nom du partenaire."})
    department = partner.department if partner is not None else actor.department
    if department is None:
        raise PermissionError("Un partenaire appartient au département d'une Caf.")
    organisation = values.get("organisation")
    if organisation is not None and (
        organisation.kind != organisation.Kind.PARTNER or organisation.department_id != department.pk
    ):
        # Its accounts would read the referrals: only a partner organisation of the department.
        raise ValidationError({"organisation": "Choisissez une organisation partenaire du département."})
    duplicate = Partner.objects.filter(department=department, name__iexact=values["name"])
    if partner is not None:
        duplicate = duplicate.exclude(pk=partner.pk)
    if duplicate.exists():
        raise ValidationError({"name": "Un partenaire porte déjà ce nom dans votre département."})
    if partner is None:
        partner = Partner(department=department, **values)
        partner.full_clean()
        partner.save()
        audit.record(actor, "protection.partner.created", partner)
        return partner
    stored = Partner.objects.filter(pk=partner.pk).values(*values).first() or {}
    changed = [field for field, value in values.items() if stored.get(field) != value]
    for field, value in values.items():
        setattr(partner, field, value)
    if changed:
        partner.full_clean()
        partner.save()
        audit.record(actor, "protection.partner.changed", partner, data={"fields": changed})
    return partner


@transaction.atomic
def refer(
    *,
    actor,
    person: Person,
    partner: Partner,
    mode: str,
    need: str,
    consent_given: bool = False,
    follow_up_on: date | None = None,
) -> Referral:
    """Orient a person at risk to a partner of the department.

    Passing her details on ("transmission") needs her consent, recorded as a `households.Consent`
    (purpose: partner referral); giving her the partner's details ("information") does not.
    """
    policy.require(actor, "protection.refer", person)
    need = (need or "").strip()
    if not ViolenceReport.objects.filter(person=person).exists():
        raise ValidationError(
            "Cette personne n'est pas suivie au titre de la protection : signalez d'abord les violences."
        )
    if partner.department_id != person.household.department_id or not partner.is_active:
        raise ValidationError({"partner": "Choisissez un partenaire actif de votre département."})
    if mode not in Referral.Mode.values:
        raise ValidationError({"mode": "Indiquez la modalité de l'orientation."})
    if not need:
        raise ValidationError(
            {"need": "Indiquez le besoin de la personne (hébergement, conseil juridique…)."}
        )
    if follow_up_on is not None and follow_up_on < calendar.local_date(person.household.department):
        raise ValidationError({"follow_up_on": "La date de relance ne peut pas être passée."})
    consent = None
    if mode == Referral.Mode.TRANSMISSION:
        if not partner.accepts_referrals:
            raise ValidationError(
                {"mode": "Ce partenaire ne reçoit pas de coordonnées : remettez-lui plutôt ses coordonnées."}
            )
        if not consent_given:
            raise ValidationError(
                {
                    "consent_given": "Sans l'accord de la personne, ses coordonnées ne peuvent pas être "
                    "transmises : remettez-lui plutôt les coordonnées du partenaire."
                }
            )
        consent = household_services.record_consent(
            actor=actor,
            person=person,
            purpose=Consent.Purpose.PARTNER_REFERRAL,
            given=True,
            note=f"Transmission de ses coordonnées à : {partner.name}"[:200],
        )
    referral = Referral.objects.create(
        person=person,
        partner=partner,
        mode=mode,
        consent=consent,
        need=need,
        follow_up_on=follow_up_on,
        referred_by=actor,
    )
    tick_referrals_step(actor, person)
    audit.record(
        actor, "protection.referral.created", referral, data={"partner_id": partner.pk, "mode": mode}
    )
    return referral


@transaction.atomic
def update_referral(
    *, actor, referral: Referral, status: str, status_note: str = "", follow_up_on: date | None = None
) -> Referral:
    policy.require(actor, "protection.refer", referral)
    if status not in Referral.Status.values:
        raise ValidationError({"status": "État de suivi inconnu."})
    status_note = (status_note or "").strip()
    if status == Referral.Status.DECLINED and not status_note:
        raise ValidationError({"status_note": "Indiquez pourquoi l'orientation est sans suite."})
    if follow_up_on is not None and status not in Referral.OPEN_STATUSES:
        follow_up_on = None  # nothing to follow up once the referral is over
    previous = referral.status
    referral.status, referral.status_note, referral.follow_up_on = status, status_note, follow_up_on
    referral.status_changed_at, referral.status_changed_by = timezone.now(), actor
    referral.save()
    audit.record(
        actor, "protection.referral.followed_up", referral, data={"from": previous, "status": status}
    )
    return referral


PARTNER_STATUSES = (
    Referral.Status.CONTACTED,
    Referral.Status.IN_PROGRESS,
    Referral.Status.COMPLETED,
    Referral.Status.DECLINED,
)


@transaction.atomic
def partner_follow_up(*, actor, referral: Referral, status: str, status_note: str = "") -> Referral:
    """The partner acknowledges a referral it received and records what follows."""
    policy.require(actor, "protection.partner_inbox")
    if (
        referral.partner.organisation_id != actor.organisation_id
        or referral.mode != Referral.Mode.TRANSMISSION
    ):
        raise PermissionDenied
    if status not in PARTNER_STATUSES:
        raise ValidationError({"status": "Choisissez où en est l'accompagnement."})
    status_note = (status_note or "").strip()[:300]
    if status == Referral.Status.DECLINED and not status_note:
        raise ValidationError({"status_note": "Indiquez pourquoi l'orientation est sans suite."})
    previous = referral.status
    referral.status, referral.status_note = status, status_note
    referral.status_changed_at, referral.status_changed_by = timezone.now(), actor
    if status not in Referral.OPEN_STATUSES:
        referral.follow_up_on = None
    referral.save()
    audit.record(
        actor,
        "protection.referral.followed_up",
        referral,
        data={"from": previous, "status": status, "by": "partenaire"},
    )
    return referral
