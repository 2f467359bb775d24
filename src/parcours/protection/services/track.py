"""The protected track: a violence report, and the safety checklist it opens."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, calendar, policy
from parcours.households import services as household_services
from parcours.households.models import ContactChannel, Household, Person
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


@transaction.atomic
def record_violence_report(
    *, actor, household: Household, source: str, person: Person | None = None, note: str = ""
) -> ViolenceReport:
    """Violence is reported for a person of the household (default: the declarant), at any step.

    In one transaction: the report, the household restricted to its assigned staff (the actor is
    assigned), the pathway in progress switched to the protected deadlines, the safety checklist of
    the person opened, and the audit entries. The note stays in the report: never in the audit trail,
    never in a message.
    """
    policy.require(actor, "protection.report_violence", household)
    if source not in ViolenceReport.Source.values:
        raise ValidationError({"source": "Indiquez l'origine du signalement."})
    person = _parent_of(household, person)
    report = ViolenceReport.objects.create(
        household=household, person=person, source=source, note=(note or "").strip(), reported_by=actor
    )
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
