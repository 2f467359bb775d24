"""Retention of the protection data (core/retention.py): violence reports, safety steps and
referrals follow the pathway; emergency aids are kept for the limitation period of the recovery."""

from __future__ import annotations

from django.db.models import Q

from parcours.core import retention
from parcours.protection.models import (
    CrossClaim,
    EmergencyAid,
    ProofDocument,
    Referral,
    SafetyStep,
    ViolenceReport,
)


def keeps_protection(now, cutoff):
    return (
        ViolenceReport.objects.filter(reported_at__gte=cutoff).values("household_id"),
        Referral.objects.filter(
            Q(status__in=Referral.OPEN_STATUSES)
            | Q(referred_at__gte=cutoff)
            | Q(status_changed_at__gte=cutoff)
        ).values("person__household_id"),
        # A « signalement croisé » still to decide holds a request (and its encrypted address)
        # someone must answer: the household waits for the decision.
        CrossClaim.objects.filter(decision=CrossClaim.Decision.PENDING).values("household_id"),
    )


def erase_protection(household_ids: list[int]) -> int:
    changed = (
        ViolenceReport.objects.filter(household_id__any_of=household_ids).exclude(note="").update(note="")
    )
    changed += (
        SafetyStep.objects.filter(person__household_id__any_of=household_ids).exclude(note="").update(note="")
    )
    changed += (
        Referral.objects.filter(person__household_id__any_of=household_ids)
        .exclude(need="", status_note="")
        .update(need="", status_note="")
    )
    changed += (
        CrossClaim.objects.filter(household_id__any_of=household_ids)
        .exclude(reason="", request_ciphertext=None)
        .update(reason="", request_ciphertext=None)
    )
    return changed


def keeps_person_protection(now):
    # A referral in progress for her, or a « signalement croisé » about her still to decide.
    return (
        Referral.objects.filter(status__in=Referral.OPEN_STATUSES).values("person_id"),
        CrossClaim.objects.filter(decision=CrossClaim.Decision.PENDING).values("person_id"),
    )


def erase_person_protection(person_ids: list[int]) -> int:
    """The free text about her (report, safety steps, referrals, decided cross claims and the
    address they held); sources, dates, statuses and decisions kept."""
    changed = ViolenceReport.objects.filter(person_id__in=person_ids).exclude(note="").update(note="")
    changed += SafetyStep.objects.filter(person_id__in=person_ids).exclude(note="").update(note="")
    changed += (
        Referral.objects.filter(person_id__in=person_ids)
        .exclude(need="", status_note="")
        .update(need="", status_note="")
    )
    changed += CrossClaim.objects.filter(person_id__in=person_ids).update(reason="", request_ciphertext=None)
    return changed


def keeps_aid(now, cutoff):
    # An aid still to decide or pay, proceedings still pending (the loan may yet be claimed), or a
    # payment, a decision or a recovery step within the limitation period.
    day = cutoff.date()
    return EmergencyAid.objects.filter(
        Q(status__in=EmergencyAid.OPEN_STATUSES)
        | Q(proceedings=EmergencyAid.Proceedings.PENDING)
        | Q(received_on__gte=day)
        | Q(paid_on__gte=day)
        | Q(proceedings_updated_on__gte=day)
        | Q(perpetrator_recovery_on__gte=day)
        | Q(repayment_claimed_on__gte=day)
    ).values("household_id")


def keeps_person_aid(now):
    # As for the whole file on request: an aid to decide or pay, or criminal proceedings pending
    # (the loan may yet be recovered from the perpetrator).
    return EmergencyAid.objects.filter(
        Q(status__in=EmergencyAid.OPEN_STATUSES) | Q(proceedings=EmergencyAid.Proceedings.PENDING)
    ).values("person_id")


def erase_person_aid(person_ids: list[int]) -> int:
    """Her aids: proofs deleted (on commit), free text blanked; amounts, dates, forms kept."""
    proofs = ProofDocument.objects.filter(aid__person_id__in=person_ids)
    retention.delete_files_on_commit(
        list(proofs.values_list("file", flat=True)), storage=ProofDocument._meta.get_field("file").storage
    )
    changed = proofs.delete()[0]
    changed += EmergencyAid.objects.filter(person_id__in=person_ids).update(
        refusal_reason="", payment_reference="", intake_warnings=[]
    )
    return changed


def erase_aid(household_ids: list[int]) -> int:
    """Proof files deleted from disk (on commit), free text blanked; amounts, dates, forms kept."""
    proofs = ProofDocument.objects.filter(aid__household_id__any_of=household_ids)
    retention.delete_files_on_commit(
        list(proofs.values_list("file", flat=True)), storage=ProofDocument._meta.get_field("file").storage
    )
    changed = proofs.delete()[0]
    changed += EmergencyAid.objects.filter(household_id__any_of=household_ids).update(
        refusal_reason="", payment_reference="", intake_warnings=[]
    )
    return changed


def register() -> None:
    retention.register(
        retention.Holding(
            key="protection.track",
            label="Signalements de violences, mise en sécurité et orientations",
            setting="PARCOURS_RETENTION_PATHWAY_DAYS",
            default_days=730,
            justification="Suivent le parcours protégé ; une orientation en cours garde le foyer.",
            keeps=keeps_protection,
            erase=erase_protection,
            order=20,
            open_label="une orientation vers un partenaire en cours",
            keeps_person=keeps_person_protection,
            person_open_label="une orientation vers un partenaire en cours, ou une demande à décider",
            erase_person=erase_person_protection,
        )
    )
    retention.register(
        retention.Holding(
            key="protection.emergency_aid",
            label="Aide universelle d'urgence (décision, paiement, justificatifs)",
            setting="PARCOURS_RETENTION_EMERGENCY_AID_DAYS",
            default_days=1826,
            justification="Prescription de l'action en recouvrement du prêt (5 ans après le paiement) ; "
            "une procédure pénale en cours garde le dossier.",
            keeps=keeps_aid,
            erase=erase_aid,
            order=21,
            open_label="une aide d'urgence à décider, à payer ou à recouvrer, ou une procédure pénale en cours",
            keeps_person=keeps_person_aid,
            erase_person=erase_person_aid,
        )
    )
