"""The protected track on the household timeline: reports, checklist, referrals, AUU files.

Shown only to staff who may see the protected track (for a restricted household: its assigned staff).
Titles name what happened, never the free texts of the report.
"""

from __future__ import annotations

from datetime import datetime, time

from parcours.core import policy
from parcours.households import timeline
from parcours.protection import selectors
from parcours.protection.models import EmergencyAid, SafetyStep


def _at(day, tz) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=tz)


@timeline.register("protection")
def protection_on_timeline(actor, household):
    if not policy.can(actor, "protection.view", household):
        return
    tz = household.department.tzinfo
    for report in selectors.household_reports(actor, household):
        yield timeline.TimelineEntry(
            at=report.reported_at,
            kind="protection",
            title=f"Violences signalées ({report.get_source_display().lower()}) — {report.person.full_name}",
            detail="Dossier restreint, parcours protégé, liste de mise en sécurité ouverte.",
            extra={"report_id": report.pk},
        )
    steps, referrals = selectors.household_safety(actor, household)
    for step in steps:
        if step.status == SafetyStep.Status.TODO or step.updated_at is None:
            continue
        yield timeline.TimelineEntry(
            at=step.updated_at,
            kind="protection",
            title=f"Mise en sécurité : {step.get_kind_display()} — {step.get_status_display().lower()}",
            status=step.status,
        )
    for referral in referrals:
        yield timeline.TimelineEntry(
            at=referral.referred_at,
            kind="protection",
            title=f"Orientation vers {referral.partner.name} — {referral.person.full_name}",
            detail=referral.get_mode_display(),
            status=referral.status,
            extra={"referral_id": referral.pk, "status_label": referral.get_status_display()},
        )
    for aid in selectors.household_aids(actor, household):
        yield timeline.TimelineEntry(
            at=_at(aid.received_on, tz),
            kind="protection",
            title=f"Aide d'urgence {aid.reference} : demande reçue",
            detail=f"À payer au plus tard le {aid.due_on:%d/%m/%Y}",
            extra={"aid_id": aid.pk},
        )
        if aid.decided_at:
            title = (
                f"Aide d'urgence {aid.reference} : refusée"
                if aid.status == EmergencyAid.Status.REFUSED
                else f"Aide d'urgence {aid.reference} : {aid.get_form_display().lower()} accordée"
            )
            yield timeline.TimelineEntry(
                at=aid.decided_at, kind="protection", title=title, status=aid.status, extra={"aid_id": aid.pk}
            )
        if aid.paid_on:
            late = aid.paid_on > aid.due_on
            yield timeline.TimelineEntry(
                at=_at(aid.paid_on, tz),
                kind="protection",
                title=f"Aide d'urgence {aid.reference} : payée"
                + (" après le délai" if late else " dans le délai"),
                status="late" if late else "paid",
                extra={"aid_id": aid.pk},
            )
