"""Reads of the protection module. Every function takes the acting user; the policy decides.

Violence data lives in restricted households: `policy.scope` shows them to their assigned staff
only, and a record of another department (or of a file the user is not assigned to) answers 404.
Opening a protected track, an AUU file or a proof is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from parcours.core import audit, calendar, page_memo, policy
from parcours.core.models import User
from parcours.core.roles import Role
from parcours.households.models import Household, Person
from parcours.protection import rules
from parcours.protection.models import (
    EmergencyAid,
    Partner,
    ProofDocument,
    Referral,
    ResourceCeiling,
    SafetyStep,
    ViolenceReport,
)


@dataclass
class PersonTrack:
    """The protected track of one person at risk: her reports, checklist, referrals and aids."""

    person: Person
    reports: list[ViolenceReport] = field(default_factory=list)
    steps: list[SafetyStep] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    aids: list[EmergencyAid] = field(default_factory=list)

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps if not s.is_open)


@dataclass
class HouseholdTrack:
    household: Household
    persons: list[PersonTrack]

    @property
    def reported(self) -> bool:
        return bool(self.persons)

    @property
    def aids(self) -> list[EmergencyAid]:
        return [aid for track in self.persons for aid in track.aids]


def household_reports(actor, household: Household) -> list[ViolenceReport]:
    """The household's violence reports, oldest first; read once per household page (panel, timeline).
    Not audited: they are part of the household page, audited once when the household is opened."""
    policy.require(actor, "protection.view", household)
    return _reports(household)


def _reports(household: Household) -> list[ViolenceReport]:
    return page_memo.shared(
        household,
        "violence_reports",
        lambda: page_memo.rows(
            household,
            "protection:reports",
            ViolenceReport.objects.filter(household=household)
            .select_related("person", "reported_by")
            .order_by("reported_at"),
        ),
    )


def household_aids(actor, household: Household) -> list[EmergencyAid]:
    """The household's AUU files, newest first; read once per household page (panel, timeline)."""
    policy.require(actor, "protection.view", household)
    return _aids(household)


def _aids(household: Household) -> list[EmergencyAid]:
    return page_memo.shared(
        household,
        "emergency_aids",
        lambda: page_memo.rows(
            household,
            "protection:aids",
            EmergencyAid.objects.filter(household=household)
            .select_related("household__department")
            .order_by("-received_on", "-id"),
        ),
    )


def register_probes() -> None:
    """Most households have no violence report and no AUU file (see page_memo)."""
    page_memo.register_probe(Household, "protection:reports", ViolenceReport, "household")
    page_memo.register_probe(Household, "protection:aids", EmergencyAid, "household")


def household_safety(actor, household: Household) -> tuple[list[SafetyStep], list[Referral]]:
    """Safety checklists and referrals of the persons named in the household's violence reports.

    Both exist only for such persons (a report opens the checklist; a referral needs a report):
    a household without report needs no query. Read once per household page."""
    policy.require(actor, "protection.view", household)
    return _safety(household)


def _safety(household: Household) -> tuple[list[SafetyStep], list[Referral]]:
    def read():
        persons = {report.person_id for report in _reports(household)}
        if not persons:
            return [], []
        steps = list(SafetyStep.objects.filter(person_id__in=persons).select_related("updated_by"))
        referrals = list(Referral.objects.filter(person_id__in=persons).select_related("partner", "person"))
        return steps, referrals

    return page_memo.shared(household, "safety", read)


def track_for(actor, household: Household, *, audited: bool = False) -> HouseholdTrack:
    """The protected track of a household the actor has already opened (the caller checked the scope)."""
    policy.require(actor, "protection.view", household)
    reports = _reports(household)
    persons: dict[int, PersonTrack] = {}
    for report in reports:
        persons.setdefault(report.person_id, PersonTrack(report.person)).reports.append(report)
    if persons:
        steps, referrals = _safety(household)
        for step in steps:
            persons[step.person_id].steps.append(step)
        for referral in referrals:
            persons[referral.person_id].referrals.append(referral)
        for aid in _aids(household):
            if aid.person_id in persons:
                persons[aid.person_id].aids.append(aid)
    if audited:
        audit.record(actor, "protection.track.viewed", household)
    return HouseholdTrack(household, list(persons.values()))


def household_for(actor, pk: int, permission: str) -> Household:
    """A household in the actor's scope for a protection permission (404 otherwise), not audited."""
    from parcours.households import selectors as household_selectors

    return household_selectors.household_for(actor, pk, permission=permission, audited=False)


def parents_of(actor, household: Household) -> QuerySet[Person]:
    """The parents a report or an AUU file may name (every protection form is casework: protection.view)."""
    policy.require(actor, "protection.view", household)
    return household.members.filter(role=Person.Role.PARENT).select_related("protected_address")


def persons_at_risk(actor, household: Household) -> QuerySet[Person]:
    """The parents named in a violence report (the safety rule itself is protection.safety's)."""
    return parents_of(actor, household).filter(violence_reports__isnull=False).distinct()


# --- safety checklist -----------------------------------------------------------------------------


def safety_step_for(actor, pk: int, permission: str = "protection.manage_checklist") -> SafetyStep:
    return get_object_or_404(
        policy.scope(
            actor,
            SafetyStep.objects.select_related("person__household__department", "person__protected_address"),
            permission,
        ),
        pk=pk,
    )


def cross_claim_for(actor, pk: int, permission: str = "protection.decide_cross_claim"):
    from parcours.protection.models import CrossClaim

    return get_object_or_404(
        policy.scope(actor, CrossClaim.objects.select_related("household__department", "person"), permission),
        pk=pk,
    )


def pending_cross_claims(actor):
    """« Signalements croisés » to decide, in the files the actor is assigned to (home card)."""
    from parcours.protection.models import CrossClaim

    return (
        policy.scope(
            actor,
            CrossClaim.objects.filter(decision=CrossClaim.Decision.PENDING),
            "protection.decide_cross_claim",
        )
        .select_related("household__department")
        .order_by("created_at")
    )


def pilot_cross_claims(actor):
    """The local pilot is alerted too: the department's « signalements croisés » still to decide, as
    file references only (she may assign another social worker; she never reads the content)."""
    from parcours.protection.models import CrossClaim

    return (
        policy.scope(
            actor,
            CrossClaim.objects.filter(decision=CrossClaim.Decision.PENDING),
            "households.view_reference",
            restricted="reference",
        )
        .select_related("household__department")
        .order_by("created_at")
    )


# --- partners and referrals -----------------------------------------------------------------------


def partners_visible_to(actor, permission: str = "protection.view_partners") -> QuerySet[Partner]:
    """The actor's department's directory (partners are not personal data: no household scope)."""
    if not policy.can(actor, permission) or actor.department_code is None:
        return Partner.objects.none()
    return Partner.objects.filter(department__code=actor.department_code).select_related("department")


def partner_for(actor, pk: int, permission: str = "protection.manage_partners") -> Partner:
    policy.require(actor, permission)
    return get_object_or_404(partners_visible_to(actor, permission), pk=pk)


def partners_for_referral(actor, household: Household) -> QuerySet[Partner]:
    policy.require(actor, "protection.refer", household)
    return Partner.objects.filter(department=household.department, is_active=True).order_by("kind", "name")


def referral_for(actor, pk: int, permission: str = "protection.refer", *, audited: bool = True) -> Referral:
    referral = get_object_or_404(
        policy.scope(
            actor,
            Referral.objects.select_related(
                "person__household__department", "person__protected_address", "partner", "consent"
            ),
            permission,
        ),
        pk=pk,
    )
    if audited:
        audit.record(actor, "protection.referral.viewed", referral)
    return referral


# --- emergency aid --------------------------------------------------------------------------------


def aids_visible_to(actor, permission: str = "protection.view_aid") -> QuerySet[EmergencyAid]:
    return policy.scope(
        actor,
        EmergencyAid.objects.select_related("household__department", "person", "officer"),
        permission,
    )


def aid_for(actor, pk: int, permission: str = "protection.view_aid", *, audited: bool = True) -> EmergencyAid:
    aid = get_object_or_404(
        aids_visible_to(actor, permission).prefetch_related(
            Prefetch("proofs", queryset=ProofDocument.objects.select_related("uploaded_by"))
        ),
        pk=pk,
    )
    if audited:
        audit.record(actor, "protection.emergency_aid.viewed", aid)
    return aid


@dataclass(frozen=True)
class WorklistRow:
    aid: EmergencyAid
    time_left: rules.TimeLeft


def aid_worklist(actor, *, mine_only: bool = False) -> list[WorklistRow]:
    """Open AUU files (received or granted, not paid) by time left, the late ones first."""
    qs = aids_visible_to(actor, "protection.process_aid").filter(status__in=EmergencyAid.OPEN_STATUSES)
    if mine_only:
        qs = qs.filter(officer=actor)
    rows = []
    today = {}
    for aid in qs.select_related("person", "household__department", "officer").order_by(
        "due_on", "received_on", "id"
    ):
        department = aid.household.department
        if department.code not in today:
            today[department.code] = calendar.local_date(department)
        rows.append(WorklistRow(aid, rules.time_left(department, aid.due_on, today[department.code])))
    return rows


def open_aid_count(actor) -> int:
    return (
        aids_visible_to(actor, "protection.process_aid").filter(status__in=EmergencyAid.OPEN_STATUSES).count()
    )


def late_aid_count(actor) -> int:
    if actor.department is None:
        return 0
    today = calendar.local_date(actor.department)
    return (
        aids_visible_to(actor, "protection.process_aid")
        .filter(status__in=EmergencyAid.OPEN_STATUSES, due_on__lt=today)
        .count()
    )


def proof_for_download(actor, pk: int) -> tuple[ProofDocument, bytes]:
    """The proof's content, for authorised staff only; every download is audited."""
    proof = get_object_or_404(
        policy.scope(
            actor,
            ProofDocument.objects.select_related("aid__household__department"),
            "protection.download_proof",
        ),
        pk=pk,
    )
    try:
        with proof.file.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit.record(actor, "protection.proof.downloaded", proof)
    return proof, content


def benefits_officers(actor, household: Household) -> QuerySet[User]:
    """Who may be put in charge of an AUU file of this household."""
    policy.require(actor, "protection.register_aid", household)
    return (
        User.objects.filter(
            is_active=True,
            organisation__department=household.department,
            organisation__kind="caf",
            role_rows__role=Role.BENEFITS_OFFICER,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def ceilings_in_force(on) -> list[ResourceCeiling]:
    """The four lines of the scale in force on that day (none before the first scale)."""
    return [
        c for c in (ResourceCeiling.in_force(on, n) for n in range(ResourceCeiling.MAX_CHILDREN + 1)) if c
    ]


def ceiling_scales(actor) -> list[tuple[object, list[ResourceCeiling]]]:
    policy.require(actor, "protection.view_ceilings")
    scales: dict = {}
    for row in ResourceCeiling.objects.order_by("-valid_from", "children"):
        scales.setdefault(row.valid_from, []).append(row)
    return list(scales.items())


# --- home cards -----------------------------------------------------------------------------------


def open_steps_for(actor, *, limit: int = 5) -> tuple[int, list[SafetyStep]]:
    """Safety steps still to do in the households the actor may open (assigned, for restricted ones)."""
    qs = policy.scope(
        actor, SafetyStep.objects.filter(status=SafetyStep.Status.TODO), "protection.manage_checklist"
    ).select_related("person__household__department")
    return qs.count(), list(qs.order_by("opened_at", "person_id", "position")[:limit])


def aid_deadlines(actor, *, today=None) -> dict:
    """Emergency aids of the department against their legal payment deadline (pilot's dashboard)."""
    from datetime import timedelta

    from django.db.models import Count, F, Q

    policy.require(actor, "pathways.pilot_dashboard")
    today = today or actor.department.local_today()
    aids = EmergencyAid.objects.filter(household__department__code=actor.department_code)
    to_pay = aids.filter(status__in=(EmergencyAid.Status.RECEIVED, EmergencyAid.Status.GRANTED))
    paid = aids.filter(status=EmergencyAid.Status.PAID, paid_on__gte=today - timedelta(days=90)).aggregate(
        paid=Count("pk"), on_time=Count("pk", filter=Q(paid_on__lte=F("due_on")))
    )
    return {
        "to_pay": to_pay.count(),
        "late": to_pay.filter(due_on__lt=today).count(),
        "due_soon": to_pay.filter(due_on__gte=today, due_on__lte=today + timedelta(days=2)).count(),
        "paid": paid["paid"],
        "paid_on_time": paid["on_time"],
        "paid_percent": round(100 * paid["on_time"] / paid["paid"]) if paid["paid"] else None,
    }


# ?statut= values of the emergency-aid history, in French.
HISTORY_FILTERS = {
    "payees": ("Payées", {"status": EmergencyAid.Status.PAID}),
    "refusees": ("Refusées", {"status": EmergencyAid.Status.REFUSED}),
    "en-cours": ("En cours (à décider ou à payer)", {"status__in": EmergencyAid.OPEN_STATUSES}),
    "prets-a-recouvrer": (
        "Prêts à recouvrer (payés, remboursement non demandé)",
        {
            "status": EmergencyAid.Status.PAID,
            "form": EmergencyAid.Form.LOAN,
            "repayment_claimed_on__isnull": True,
        },
    ),
}


def aid_history(actor, *, query: str = "", state: str = "", start=None, end=None) -> QuerySet[EmergencyAid]:
    """Every emergency aid of the officer's scope, newest first, filtered in the database.

    The search is audited once, with the filters used but never the text typed (it may be a name).
    """
    qs = aids_visible_to(actor, "protection.process_aid")
    if state in HISTORY_FILTERS:
        qs = qs.filter(**HISTORY_FILTERS[state][1])
    query = " ".join(query.split())[:80]
    if query:
        from django.db.models import Q

        digits = query.split("-")[-1]
        qs = qs.filter(
            Q(household__file_number=digits) | Q(person__last_name__icontains=query)
            | Q(person__first_name__icontains=query)
        )  # fmt: skip
    if start:
        qs = qs.filter(received_on__gte=start)
    if end:
        qs = qs.filter(received_on__lte=end)
    audit.record(
        actor,
        "protection.emergency_aid.searched",
        data={"statut": state, "texte": bool(query), "du": str(start or ""), "au": str(end or "")},
        department=actor.department_code,
    )
    return qs.order_by("-received_on", "-pk")


# --- the partner's inbox --------------------------------------------------------------------------


def inbox_referrals(actor) -> QuerySet[Referral]:
    """Referrals sent to the actor's organisation with the person's consent to pass her details on.

    The only door of a partner to a household's data: scoped by the receiving organisation and the
    consent (a person who agreed to be contacted by this partner), not by the household's
    restriction, which keeps out the Caf's own staff — never the partner she chose.
    """
    policy.require(actor, "protection.partner_inbox")
    if actor.organisation_id is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            partner__organisation_id=actor.organisation_id,
            mode=Referral.Mode.TRANSMISSION,
            consent__given=True,
        )
        .select_related("person__household__department", "partner", "referred_by")
        .order_by("-referred_at", "-pk")
    )


def inbox_referral_for(actor, pk: int) -> Referral:
    referral = get_object_or_404(inbox_referrals(actor), pk=pk)
    audit.record(actor, "protection.referral.viewed", referral)
    return referral


def inbox_referral_contacts(actor, referral: Referral) -> list:
    """How the partner may reach the person: her safe channels and safe hours, nothing else."""
    if not inbox_referrals(actor).filter(pk=referral.pk).exists():
        raise Http404
    return referral.person.safe_channels()
