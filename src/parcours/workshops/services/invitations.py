"""Invitations from the pathway step "Invitation Parents après la séparation".

Each parent is invited through their own safe channel (the notifications outbox chooses it and
refuses unsafe ones). When violence is reported, the two parents are never offered the same
session: each gets their own sessions, webinars first, and registering checks it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from parcours.core import audit, policy
from parcours.households.models import ContactChannel, Person
from parcours.workshops import integrations, messaging
from parcours.workshops.models import Format, Invitation, Registration, Workshop
from parcours.workshops.services.registrations import RegistrationOutcome, register

SAFE_KINDS = (ContactChannel.Kind.EMAIL, ContactChannel.Kind.SMS)


@dataclass
class InvitationResult:
    invitations: list[Invitation] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)


def upcoming_open(department, now=None):
    now = now or timezone.now()
    return Workshop.objects.filter(
        department=department,
        status=Workshop.Status.PUBLISHED,
        registration_deadline__gt=now,
        starts_at__gt=now,
    ).order_by("starts_at")


def _split_sessions(parents: list[Person], sessions: list[Workshop]) -> dict[int, list[Workshop]]:
    """Disjoint sets of sessions, dealt in turn: parent A gets the 1st, 3rd…, parent B the 2nd, 4th…"""
    shares: dict[int, list[Workshop]] = {p.pk: [] for p in parents}
    for index, session in enumerate(sessions):
        shares[parents[index % len(parents)].pk].append(session)
    return shares


@transaction.atomic
def invite_household(*, actor, household, step_id: int | None = None) -> InvitationResult:
    """Invite each parent of the household who has a safe e-mail or SMS channel and no open invitation."""
    policy.require(actor, "workshops.invite", household)
    now = timezone.now()
    result = InvitationResult()
    candidates = []
    for parent in household.members.filter(role=Person.Role.PARENT).order_by("-is_declarant", "pk"):
        if not parent.contacts.filter(is_safe=True, kind__in=SAFE_KINDS).exclude(value="").exists():
            result.skipped.append((parent, "aucun canal sûr (e-mail ou SMS) confirmé"))
        elif Invitation.objects.filter(
            person=parent, status=Invitation.Status.PENDING, expires_at__gt=now
        ).exists():
            result.skipped.append((parent, "une invitation est déjà en attente de réponse"))
        else:
            candidates.append(parent)
    if not candidates:
        return result
    separate = integrations.violence_reported(household)
    sessions = list(upcoming_open(household.department, now))
    if not sessions:
        raise ValidationError("Aucune séance à venir n'est ouverte aux inscriptions dans votre département.")
    shares: dict[int, list[Workshop]] = {}
    if separate:
        # Sessions where a parent of this household is already registered are not offered again.
        taken = set(
            Registration.objects.filter(household=household, status__in=Registration.ACTIVE).values_list(
                "workshop_id", flat=True
            )
        )
        webinars = [s for s in sessions if s.format == Format.WEBINAR and s.pk not in taken]
        pool = webinars or [s for s in sessions if s.pk not in taken]
        all_parents = list(household.members.filter(role=Person.Role.PARENT).order_by("-is_declarant", "pk"))
        # Sessions already offered to the other parent by an open invitation stay theirs.
        reserved = set(
            Invitation.objects.filter(household=household, status=Invitation.Status.PENDING).values_list(
                "offered_workshops", flat=True
            )
        )
        pool = [s for s in pool if s.pk not in reserved]
        shares = _split_sessions(all_parents, pool)
    for parent in candidates:
        offered = shares.get(parent.pk, []) if separate else []
        # An invitation past its date but not yet swept by the periodic job is closed first.
        Invitation.objects.filter(
            person=parent, status=Invitation.Status.PENDING, expires_at__lte=now
        ).update(status=Invitation.Status.EXPIRED)
        if separate and not offered:
            result.skipped.append((parent, "pas assez de séances distinctes à proposer aux deux parents"))
            continue
        invitation = Invitation.objects.create(
            household=household,
            person=parent,
            step_id=step_id,
            separate_sessions=separate,
            preferred_format=Format.WEBINAR if separate else "",
            sent_at=now,
            expires_at=now + timedelta(days=settings.PARCOURS_WORKSHOP_INVITATION_DAYS),
            created_by=actor,
        )
        if offered:
            invitation.offered_workshops.set(offered)
        audit.record(actor, "workshops.invitation.sent", invitation, data={"separate_sessions": separate})
        messaging.invitation_sent(invitation, actor=actor)
        result.invitations.append(invitation)
    if result.invitations:
        integrations.complete_invitation_step(
            actor=actor, step_id=step_id, note=f"Invitation envoyée à {len(result.invitations)} parent(s)."
        )
    return result


@dataclass
class BulkInvitationResult:
    sent: int = 0
    skipped: list[tuple[Person, str]] = field(default_factory=list)
    # The refusal that stopped the batch (no session open, for example): the rest would get it too.
    error: ValidationError | None = None


def invite_households(*, actor, step_ids) -> BulkInvitationResult:
    """Send the invitations of the chosen due pathway steps, one household (one transaction) at a time.

    Only steps due and visible to the actor are taken, whatever ids are given. A refusal stops the
    batch; the households already invited keep their invitations.
    """
    chosen = {int(pk) for pk in step_ids if str(pk).isdigit()}
    outcome = BulkInvitationResult()
    for step in integrations.due_invitation_steps(actor, pks=chosen) if chosen else ():
        try:
            result = invite_household(
                actor=actor, household=integrations.step_household(step), step_id=step.pk
            )
        except ValidationError as error:
            outcome.error = error
            break
        outcome.sent += len(result.invitations)
        outcome.skipped.extend(result.skipped)
    return outcome


def sessions_for(invitation: Invitation, now=None) -> list[Workshop]:
    """The sessions the invited person may choose from (never the other parent's, if violence is reported)."""
    now = now or timezone.now()
    qs = upcoming_open(invitation.household.department, now).select_related("department", "venue")
    if invitation.separate_sessions:
        qs = qs.filter(pk__in=invitation.offered_workshops.values("pk"))
        others = Registration.objects.filter(
            household=invitation.household, status__in=Registration.ACTIVE
        ).exclude(person=invitation.person)
        qs = qs.exclude(pk__in=others.values("workshop_id"))
    sessions = list(qs)
    if invitation.preferred_format:
        sessions.sort(key=lambda w: (w.format != invitation.preferred_format, w.starts_at))
    return sessions


def _holder(actor, invitation: Invitation) -> None:
    policy.require_holder_or_staff(actor, "workshops.invite", invitation)


@transaction.atomic
def answer_invitation(
    *, actor, invitation: Invitation, workshop: Workshop, party_size: int, accessibility_needs: str = ""
) -> RegistrationOutcome:
    _holder(actor, invitation)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("person__household")
        .get(pk=invitation.pk)
    )
    if not invitation.is_open():
        raise ValidationError("Cette invitation n'est plus valable : contactez votre Caf.")
    if workshop.pk not in {w.pk for w in sessions_for(invitation)}:
        raise ValidationError({"workshop": "Cette séance ne fait pas partie des séances proposées."})
    holder = actor if isinstance(actor, policy.LinkHolder) else policy.LinkHolder(invitation=invitation)
    outcome = register(
        actor=holder,
        workshop=workshop,
        person=invitation.person,
        invitation=invitation,
        party_size=party_size,
        accessibility_needs=accessibility_needs,
    )
    invitation.status = Invitation.Status.REGISTERED
    invitation.answered_at = timezone.now()
    invitation.registration = outcome.registration
    invitation.save(update_fields=["status", "answered_at", "registration"])
    audit.record(actor, "workshops.invitation.answered", invitation, data={"answer": "registered"})
    messaging.invitation_closed(invitation)
    return outcome


@transaction.atomic
def decline_invitation(*, actor, invitation: Invitation) -> Invitation:
    _holder(actor, invitation)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise ValidationError("Cette invitation n'est plus valable.")
    invitation.status = Invitation.Status.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    audit.record(actor, "workshops.invitation.answered", invitation, data={"answer": "declined"})
    messaging.invitation_closed(invitation)
    return invitation


@transaction.atomic
def cancel_invitation(*, actor, invitation: Invitation, reason: str = "") -> Invitation:
    policy.require(actor, "workshops.invite", invitation)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError("Seule une invitation en attente peut être retirée.")
    invitation.status = Invitation.Status.CANCELLED
    invitation.answered_at = timezone.now()
    invitation.link_version += 1
    invitation.save(update_fields=["status", "answered_at", "link_version"])
    audit.record(actor, "workshops.invitation.cancelled", invitation, reason=reason)
    messaging.invitation_closed(invitation)
    return invitation


def expire_invitations(*, now=None) -> int:
    now = now or timezone.now()
    expired = 0
    for invitation in Invitation.objects.filter(Q(status=Invitation.Status.PENDING) & Q(expires_at__lte=now)):
        with transaction.atomic():
            invitation.status = Invitation.Status.EXPIRED
            invitation.save(update_fields=["status"])
            audit.record(None, "workshops.invitation.expired", invitation)
            messaging.invitation_closed(invitation)
            expired += 1
    return expired
