"""The protection data in a person's access file (core/subject_access.py): the violence reports that
name HER, her safety checklist, her referrals and her emergency-aid requests. Never a report naming
someone else, never a « signalement croisé », never the staff's notes, nor what concerns the author
(the recovery from him).

A household with a report naming another member makes the file `withheld` (the pathway's steps,
which the protected track changes, are left out of this person's file).
"""

from __future__ import annotations

from parcours.core import subject_access
from parcours.core.subject_access import Entry, Section
from parcours.protection.models import EmergencyAid, Referral, SafetyStep, ViolenceReport


def reports(subject) -> list[Entry]:
    return [
        Entry(
            f"Signalement du {report.reported_at:%d/%m/%Y}",
            [("Origine", report.get_source_display()), ("Signalé le", report.reported_at)],
        )
        for report in ViolenceReport.objects.filter(person=subject.person)
    ]


def safety_steps(subject) -> list[Entry]:
    return [
        Entry(step.get_kind_display(), [("État", step.get_status_display()), ("Fait le", step.done_on)])
        for step in SafetyStep.objects.filter(person=subject.person)
    ]


def referrals(subject) -> list[Entry]:
    return [
        Entry(
            referral.partner.name,
            [
                ("Modalité", referral.get_mode_display()),
                ("Orientée le", referral.referred_at),
                ("Suivi", referral.get_status_display()),
            ],
        )
        for referral in Referral.objects.filter(person=subject.person).select_related("partner")
    ]


def aids(subject) -> list[Entry]:
    entries = []
    for aid in EmergencyAid.objects.filter(person=subject.person).select_related("household__department"):
        entries.append(
            Entry(
                f"Aide universelle d'urgence {aid.reference}",
                [
                    ("Demande reçue le", aid.received_on),
                    ("Justificatif", aid.get_proof_kind_display()),
                    ("Date du justificatif", aid.proof_date),
                    ("Justificatifs déposés", aid.proofs.count()),
                    ("État", aid.get_status_display()),
                    ("Forme de l'aide", aid.get_form_display() if aid.form else ""),
                    ("Montant (€)", aid.amount),
                    ("Décision du", aid.decided_on),
                    ("Motif du refus", aid.refusal_reason),
                    ("Payée le", aid.paid_on),
                    ("Remboursement demandé le", aid.repayment_claimed_on),
                ],
            )
        )
    return entries


def named_someone_else(person) -> bool:
    """A report names another member of the household: what would reveal it stays out of this file."""
    return ViolenceReport.objects.filter(household_id=person.household_id).exclude(person=person).exists()


def register() -> None:
    for key, title, order, collect, empty in (
        ("protection.reports", "Violences signalées vous concernant", 40, reports, "Aucun signalement."),
        ("protection.safety", "Mise en sécurité", 41, safety_steps, "Aucune étape."),
        ("protection.referrals", "Orientations vers des partenaires", 42, referrals, "Aucune orientation."),
        ("protection.aids", "Aide universelle d'urgence", 43, aids, "Aucune demande."),
    ):
        subject_access.register(Section(key=key, title=title, order=order, collect=collect, empty=empty))
    subject_access.register_withholding(named_someone_else)
