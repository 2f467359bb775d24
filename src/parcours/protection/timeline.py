"""The protected track on the household timeline: reports, checklist, referrals, AUU files.

Shown only to staff who may see the protected track (for a restricted household: its assigned staff).
Titles name what happened, never the free texts of the report.
"""

from __future__ import annotations

from parcours.core import policy
from parcours.core.templatetags.french_dates import date as french_date
from parcours.households import timeline
from parcours.protection import selectors
from parcours.protection.models import EmergencyAid, SafetyStep


def _deadline(aid: EmergencyAid) -> str:
    """What the request's entry says of the payment deadline, by outcome: only an aid still to
    pay is « à payer »; a refused one has no deadline left."""
    due = french_date(aid.due_on, "j F Y")
    if aid.status in EmergencyAid.OPEN_STATUSES:
        return f"À payer au plus tard le {due}"
    if aid.status == EmergencyAid.Status.PAID:
        return f"Délai légal de paiement : le {due}"
    return ""


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
    # Only what was recorded: the request's and the payment's days (dates, shown without a time),
    # the decision's and its correction's instants.
    for aid in selectors.household_aids(actor, household):
        yield timeline.on_day(
            aid.received_on,
            tz,
            kind="protection",
            title=f"Aide d'urgence {aid.reference} : demande reçue",
            detail=_deadline(aid),
            status=aid.status,
            extra={"aid_id": aid.pk},
        )
        if aid.decided_at:
            title = (
                f"Aide d'urgence {aid.reference} : refusée"
                if aid.status == EmergencyAid.Status.REFUSED
                else f"Aide d'urgence {aid.reference} : {aid.get_form_display().lower()} accordée"
            )
            yield timeline.TimelineEntry(
                at=aid.decided_at,
                kind="protection",
                title=title,
                status=aid.status,
                extra={"aid_id": aid.pk},
            )
        if aid.corrected_at:
            yield timeline.TimelineEntry(
                at=aid.corrected_at,
                kind="protection",
                title=f"Aide d'urgence {aid.reference} : décision corrigée",
                status=aid.status,
                extra={"aid_id": aid.pk},
            )
        if aid.paid_on:
            late = aid.paid_on > aid.due_on
            yield timeline.on_day(
                aid.paid_on,
                tz,
                late_in_day=True,
                kind="protection",
                title=f"Aide d'urgence {aid.reference} : payée"
                + (" après le délai" if late else " dans le délai"),
                status="late" if late else "paid",
                extra={"aid_id": aid.pk},
            )
