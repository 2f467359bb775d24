"""The protected track: a violence report, and the safety checklist it opens."""

from __future__ import annotations

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, calendar, crypto, policy
from parcours.households import services as household_services
from parcours.households.models import (
    ContactChannel,
    Household,
    HouseholdAssignment,
    Person,
    ProtectedAddress,
)
from parcours.pathways.hooks import ViolenceSignal
from parcours.pathways.services import update_situation
from parcours.protection.models import Referral, SafetyStep, ViolenceReport

SWITCH_REASON = "Violences signalées : parcours protégé"


def _parent_of(household: Household, person: Person | None) -> Person:
    if person is None:
        person = household.members.filter(role=Person.Role.PARENT, is_declarant=True).first()
        if person is None:
            raise ValidationError({"person": "Indiquez la personne exposée aux violences."})
    if person.household_id != household.pk or person.role != Person.Role.PARENT:
        raise ValidationError({"person": "La personne exposée doit être un parent de ce foyer."})
    return person


def _switch_pathway(actor, household: Household) -> bool:
    """Put the household's pathway in progress on the protected deadlines (False: no pathway in progress)."""
    pathway = update_situation(actor=actor, household=household, reason=SWITCH_REASON, violence_reported=True)
    return pathway is not None


def _open_checklist(actor, person: Person) -> list[SafetyStep]:
    steps = []
    created_any = False
    for kind in SafetyStep.Kind.values:
        step, created = SafetyStep.objects.get_or_create(
            person=person, kind=kind, defaults={"position": SafetyStep.ORDER[kind]}
        )
        if created and kind == SafetyStep.Kind.PROTECTED_ADDRESS and person.is_address_protected:
            step.status = SafetyStep.Status.DONE
            step.done_on = calendar.local_date(
                person.household.department, person.protected_address.protected_at
            )
            step.note = "Adresse déjà protégée au moment du signalement."
            step.save(update_fields=["status", "done_on", "note"])
        created_any = created_any or created
        steps.append(step)
    if created_any:
        audit.record(actor, "protection.checklist.opened", person)
    return steps


def recorded_victims_against(person: Person) -> list[Person]:
    """The recorded victims for whom `person` is the other parent: the parents of the household named
    in a violence report, when `person` is not named in one himself."""
    named = set(
        ViolenceReport.objects.filter(household_id=person.household_id).values_list("person_id", flat=True)
    )
    if not named or person.pk in named:
        return []
    return list(Person.objects.filter(pk__in=named, role=Person.Role.PARENT))


def flag_cross_claim(actor, *, person: Person, kind: str, source: str = "", aid=None, request=None):
    """« Signalement croisé »: recorded, audited, shown to the family's assigned staff and alerted to
    the local pilot; nothing is done for the claimant until a social worker decides
    (`decide_cross_claim`). `request`: what a held request asked for, kept encrypted until then."""
    from parcours.protection.models import CrossClaim

    claim = CrossClaim.objects.create(
        household=person.household, person=person, kind=kind, source=source, aid=aid,
        created_by=actor if getattr(actor, "pk", None) else None,
        request_ciphertext=crypto.encrypt(json.dumps(request, ensure_ascii=False)) if request else None,
    )  # fmt: skip
    audit.record(actor, "protection.cross_claim.flagged", claim, data={"kind": kind})
    return claim


@transaction.atomic
def decide_cross_claim(*, actor, claim, confirm: bool, reason: str):
    """A social worker assigned to the family decides, with a reason. Confirmed: the claimant is
    recorded as a person at risk too (report, checklist); the first victim's protection is unchanged."""
    from parcours.protection.models import CrossClaim

    policy.require(actor, "protection.decide_cross_claim", claim)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez la décision (10 caractères au moins)."})
    claim = CrossClaim.objects.select_for_update().get(pk=claim.pk)
    if not claim.is_pending:
        raise ValidationError("Ce signalement croisé a déjà été décidé.")
    request = json.loads(crypto.decrypt(claim.request_ciphertext)) if claim.request_ciphertext else None
    claim.decision = CrossClaim.Decision.CONFIRMED if confirm else CrossClaim.Decision.DISMISSED
    claim.decided_at, claim.decided_by, claim.reason = timezone.now(), actor, reason
    claim.request_ciphertext = None  # what a held request asked for is kept no longer than needed
    claim.save(update_fields=["decision", "decided_at", "decided_by", "reason", "request_ciphertext"])
    audit.record(actor, "protection.cross_claim.decided", claim, reason=reason, data={"confirmed": confirm})
    if confirm:
        _record(actor, claim.household, claim.person, claim.source or ViolenceReport.Source.PERSON, "")
        if claim.kind == CrossClaim.Kind.ADDRESS_PROTECTION and request:
            # He is now a recorded person at risk himself: the request goes through the ordinary
            # service (its checks, its audit entry), no longer held.
            household_services.protect_address(
                actor=actor, person=claim.person, reason=request["reason"], address=request["address"],
                **request["elected"],
            )  # fmt: skip
    return claim


def hold_address_protection(*, actor, person: Person, reason: str, address: dict, elected: dict):
    """`households.hooks.address_protection_hold`: a protected-address request for the other parent of
    a recorded victim is a « signalement croisé ». Nothing is protected for him until a social worker
    decides with a reason; the request waits, encrypted, in the flag. None: not a counter-claim."""
    from parcours.protection.models import CrossClaim

    if not recorded_victims_against(person):
        return None
    return flag_cross_claim(
        actor, person=person, kind=CrossClaim.Kind.ADDRESS_PROTECTION, source=ViolenceReport.Source.PERSON,
        request={"reason": reason, "address": address, "elected": elected},
    )  # fmt: skip


@transaction.atomic
def record_violence_report(
    *, actor, household: Household, source: str, person: Person | None = None, note: str = ""
):
    """See `_record`. A report naming the other parent of a recorded victim is a « signalement
    croisé »: flagged for a human decision (the CrossClaim is returned), nothing recorded for him."""
    policy.require(actor, "protection.report_violence", household)
    if source not in ViolenceReport.Source.values:
        raise ValidationError({"source": "Indiquez l'origine du signalement."})
    person = _parent_of(household, person)
    if recorded_victims_against(person):
        from parcours.protection.models import CrossClaim

        return flag_cross_claim(actor, person=person, kind=CrossClaim.Kind.VIOLENCE_REPORT, source=source)
    return _record(actor, household, person, source, note)


def _record(actor, household: Household, person: Person, source: str, note: str) -> ViolenceReport:
    """Violence is reported for a person of the household (default: the declarant), at any step.

    In one transaction: the report, the household restricted to its assigned staff (the actor is
    assigned), the pathway in progress switched to the protected deadlines, the safety checklist of
    the person opened, and the audit entries. The note stays in the report: never in the audit trail,
    never in a message.
    """
    now = timezone.now()
    report = ViolenceReport.objects.create(
        household=household, person=person, source=source, note=(note or "").strip(), reported_by=actor,
        reported_at=now, confirmed_at=now, confirmed_by=actor,
    )  # fmt: skip
    household_services.restrict_household(actor=actor, household=household, reason="Violences signalées")
    report.pathway_switched = _switch_pathway(actor, household)
    report.save(update_fields=["pathway_switched"])
    _open_checklist(actor, person)
    audit.record(
        actor,
        "protection.violence.reported",
        report,
        data={"source": source, "person_id": person.pk, "pathway_switched": report.pathway_switched},
    )
    return report


_STEP_CHECKS = {
    SafetyStep.Kind.SAFE_CONTACT: (
        lambda person: ContactChannel.objects.filter(person=person, is_safe=True).exists(),
        "Aucun canal de contact n'est marqué sûr pour cette personne : confirmez-le avec elle et "
        "enregistrez-le sur sa fiche (canal, plage horaire) avant de cocher cette étape.",
    ),
    SafetyStep.Kind.PROTECTED_ADDRESS: (
        lambda person: person.is_address_protected,
        "L'adresse de cette personne n'est pas encore protégée : protégez-la (avec l'adresse élue) "
        "depuis la fiche du foyer, ou indiquez que l'étape est sans objet.",
    ),
    SafetyStep.Kind.REFERRALS: (
        lambda person: Referral.objects.filter(person=person).exists(),
        "Aucune orientation n'est enregistrée : orientez la personne, ou indiquez que l'étape est sans objet.",
    ),
}


def _step_problem(step: SafetyStep) -> str | None:
    """Why this step cannot be ticked "done" yet (the checklist reflects the file, not a wish)."""
    check = _STEP_CHECKS.get(step.kind)
    if check is not None and not check[0](step.person):
        return check[1]
    return None


@transaction.atomic
def update_safety_step(
    *, actor, step: SafetyStep, status: str, done_on: date | None = None, note: str = ""
) -> SafetyStep:
    policy.require(actor, "protection.manage_checklist", step)
    note = (note or "").strip()
    if status not in SafetyStep.Status.values:
        raise ValidationError({"status": "État inconnu."})
    today = calendar.local_date(step.person.household.department)
    if status == SafetyStep.Status.DONE:
        if done_on is None:
            label = "la date de révocation" if step.kind == SafetyStep.Kind.ONLINE_ACCOUNT else "la date"
            raise ValidationError({"done_on": f"Indiquez {label}."})
        if done_on > today:
            raise ValidationError({"done_on": "La date ne peut pas être dans le futur."})
        problem = _step_problem(step)
        if problem:
            raise ValidationError({"status": problem})
    elif status == SafetyStep.Status.NOT_APPLICABLE:
        if not note:
            raise ValidationError({"note": "Indiquez pourquoi cette étape est sans objet."})
        done_on = None
    else:
        done_on = None
    step.status, step.done_on, step.note = status, done_on, note
    step.updated_at, step.updated_by = timezone.now(), actor
    step.save()
    audit.record(actor, "protection.safety_step.updated", step, data={"kind": step.kind, "status": status})
    return step


def tick_referrals_step(actor, person: Person) -> None:
    """A referral made: the checklist's referral step is done (if it was still to do)."""
    step = SafetyStep.objects.filter(
        person=person, kind=SafetyStep.Kind.REFERRALS, status=SafetyStep.Status.TODO
    ).first()
    if step is None:
        return
    step.status = SafetyStep.Status.DONE
    step.done_on = calendar.local_date(person.household.department)
    step.updated_at, step.updated_by = timezone.now(), actor
    step.save()
    audit.record(
        actor, "protection.safety_step.updated", step, data={"kind": step.kind, "status": step.status}
    )


# --- violence signalled by a declaration (form, file, API), in bulk ------------------------------

DOOR_SOURCES = {
    "form": ViolenceReport.Source.DECLARATION,
    "demo": ViolenceReport.Source.DECLARATION,
    "file": ViolenceReport.Source.IMPORT,
    "api": ViolenceReport.Source.API,
}
DECLARED_REASON = "Violences signalées dans la déclaration de séparation"


def _batches(items, size: int = 900):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def households_with_violence(household_ids: list[int]) -> set[int]:
    """The households with a violence report on record (`pathways.hooks.known_violence`)."""
    found: set[int] = set()
    for batch in _batches(household_ids):
        found.update(
            ViolenceReport.objects.filter(household_id__in=batch).values_list("household_id", flat=True)
        )
    return found


def record_declared_violence(*, actor, source: str, signals: list[ViolenceSignal]) -> list[ViolenceReport]:
    """Every declaration that reports violence becomes a violence report, whatever its door.

    Called by the opening of pathways (`pathways.hooks.violence_signalled`) inside its transaction,
    once per batch, with a fixed number of queries per 900 signals: the import keeps its speed.
    For each signal: a report naming the declarant as the presumed person at risk (to confirm at the
    72 h contact), the file restricted to its assigned staff — the pathway's social worker, and the
    agent who typed the form — and the person's safety checklist opened. Audited like the one-by-one
    `record_violence_report`. The declaration's door was authorised by the opening itself.
    """
    if not signals:
        return []
    now = timezone.now()
    report_source = DOOR_SOURCES.get(source, ViolenceReport.Source.DECLARATION)
    user = actor if getattr(actor, "pk", None) and hasattr(actor, "organisation_id") else None
    form_user = user if source == "form" else None
    # One report per person and household of the batch (a file may declare the same family twice).
    firsts: dict[tuple[int, int], ViolenceSignal] = {}
    for signal in signals:
        firsts.setdefault((signal.household_id, signal.person_id), signal)
    household_ids = sorted({h for h, _ in firsts})
    households: dict[int, tuple[str, str, bool]] = {}
    for batch in _batches(household_ids):
        for pk, code, file_number, restricted in Household.objects.filter(pk__in=batch).values_list(
            "pk", "department__code", "file_number", "restricted"
        ):
            households[pk] = (code, file_number, restricted)
    reports = ViolenceReport.objects.bulk_create(
        [
            ViolenceReport(
                household_id=h,
                person_id=p,
                source=report_source,
                reported_at=now,
                reported_by=user,
                pathway_switched=signal.pathway_open,
            )  # fmt: skip
            for (h, p), signal in firsts.items()
        ],
        batch_size=500,
    )
    to_restrict = [pk for pk in household_ids if not households[pk][2]]
    for batch in _batches(to_restrict):
        Household.objects.filter(pk__in=batch, restricted=False).update(
            restricted=True, restricted_at=now, updated_at=now
        )
    staff = {(s.household_id, s.social_worker_id) for s in signals if s.social_worker_id}
    if form_user is not None:
        staff |= {(h, form_user.pk) for h in household_ids}
    known = set()
    for batch in _batches(household_ids):
        known.update(
            HouseholdAssignment.objects.filter(household_id__in=batch).values_list("household_id", "user_id")
        )
    assignments = HouseholdAssignment.objects.bulk_create(
        [
            HouseholdAssignment(household_id=h, user_id=u, assigned_by=user, assigned_at=now)
            for h, u in sorted(staff - known)
        ],
        batch_size=500,
    )
    _open_checklists(sorted({p for _, p in firsts}), now)

    def ref(pk: int) -> str:
        code, file_number, _ = households[pk]
        return Household.reference_for(code, file_number)

    audit.record_described(
        actor, "households.household.restricted", Household._meta.label_lower,
        ((str(pk), f"Dossier {ref(pk)}", households[pk][0], f"household:{pk}") for pk in to_restrict),
        data={"reason": DECLARED_REASON},
    )  # fmt: skip
    audit.record_described(
        actor, "households.assignment.created", HouseholdAssignment._meta.label_lower,
        ((str(a.pk or ""), f"Affectation de l'agent n° {a.user_id} au dossier {ref(a.household_id)}",
          households[a.household_id][0], f"household:{a.household_id}") for a in assignments),
        data={"reason": "Violences signalées : le travailleur social du parcours est affecté d'office"},
    )  # fmt: skip
    audit.record_described(
        actor, "protection.violence.reported", ViolenceReport._meta.label_lower,
        ((str(r.pk), ViolenceReport.audit_ref_for(r.pk, ref(r.household_id)), households[r.household_id][0],
          f"household:{r.household_id}") for r in reports),
        data={"source": report_source, "presumed": True},
    )  # fmt: skip
    return reports


def _open_checklists(person_ids: list[int], now) -> None:
    """The safety checklist of each person, in bulk (steps already open stay as they are)."""
    protected = {}
    for batch in _batches(person_ids):
        for person_id, protected_at, code in ProtectedAddress.objects.filter(person_id__in=batch).values_list(
            "person_id", "protected_at", "person__household__department__code"
        ):
            protected[person_id] = (protected_at, code)
    departments = {}
    steps = []
    for person_id in person_ids:
        for kind in SafetyStep.Kind.values:
            step = SafetyStep(person_id=person_id, kind=kind, position=SafetyStep.ORDER[kind], opened_at=now)
            if kind == SafetyStep.Kind.PROTECTED_ADDRESS and person_id in protected:
                protected_at, code = protected[person_id]
                if code not in departments:
                    from parcours.core.models import Department

                    departments[code] = Department.objects.get(code=code)
                step.status = SafetyStep.Status.DONE
                step.done_on = calendar.local_date(departments[code], protected_at)
                step.note = "Adresse déjà protégée au moment du signalement."
            steps.append(step)
    SafetyStep.objects.bulk_create(steps, batch_size=500, ignore_conflicts=True)


@transaction.atomic
def confirm_report(*, actor, report: ViolenceReport, person: Person | None = None) -> ViolenceReport:
    """The social worker confirms (or corrects) the person at risk of a report that a declaration
    presumed (the declarant). A correction opens the right person's checklist."""
    policy.require(actor, "protection.report_violence", report)
    person = _parent_of(report.household, person or report.person)
    previous = report.person_id
    report.person, report.confirmed_at, report.confirmed_by = person, timezone.now(), actor
    report.save(update_fields=["person", "confirmed_at", "confirmed_by"])
    if person.pk != previous:
        _open_checklist(actor, person)
        if not ViolenceReport.objects.filter(person_id=previous).exists():
            # The presumption was wrong: the declarant's untouched checklist goes.
            SafetyStep.objects.filter(person_id=previous, status=SafetyStep.Status.TODO).delete()
    audit.record(
        actor,
        "protection.violence.confirmed",
        report,
        data={"person_id": person.pk, "corrected": person.pk != previous},
    )
    return report
