"""Working a step: contact attempts, completion with an outcome, (re)assignment."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, policy
from parcours.core.models import Organisation, User
from parcours.core.roles import Role
from parcours.households.models import HouseholdAssignment
from parcours.pathways.models import ContactAttempt, Pathway, PathwayStep, StepKind
from parcours.pathways.selectors import forget_counts

CLOSED_AT_REVIEW = "Parcours clôturé au bilan"


def unreachable_after() -> int:
    return getattr(settings, "PATHWAYS_UNREACHABLE_AFTER", 3)


def _lock(step: PathwayStep) -> PathwayStep:
    """Re-read the step under a row lock so that two agents cannot close it twice."""
    return (
        PathwayStep.objects.select_for_update(of=("self",))
        .select_related("household__department", "pathway")
        .get(pk=step.pk)
    )


def _require_open(step: PathwayStep) -> None:
    if step.status == PathwayStep.Status.PAUSED:
        raise ValidationError(
            f"L'étape « {step.label} » est en pause : le traitement de la personne est limité "
            "(RGPD art. 18) jusqu'à ce que la limitation soit levée."
        )
    if step.status != PathwayStep.Status.OPEN:
        raise ValidationError(
            f"L'étape « {step.label} » n'est plus à faire (elle est {step.get_status_display().lower()})."
        )


@transaction.atomic
def record_contact_attempt(
    *,
    actor,
    step: PathwayStep,
    channel: str,
    result: str,
    attempted_at: datetime | None = None,
    note: str = "",
) -> ContactAttempt:
    policy.require(actor, "pathways.work_steps", step)
    step = _lock(step)
    _require_open(step)
    if channel not in ContactAttempt.Channel.values:
        raise ValidationError({"channel": "Canal de contact inconnu."})
    if result not in ContactAttempt.Result.values:
        raise ValidationError({"result": "Résultat de la tentative inconnu."})
    attempted_at = attempted_at or timezone.now()
    if attempted_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError(
            {"attempted_at": "Une tentative de contact ne peut pas être datée dans le futur."}
        )
    if attempted_at.date() < step.pathway.declared_on - timedelta(days=1):
        raise ValidationError(
            {"attempted_at": "La tentative ne peut pas précéder la déclaration de séparation."}
        )
    attempt = ContactAttempt.objects.create(
        step=step,
        household=step.household,
        attempted_at=attempted_at,
        channel=channel,
        result=result,
        note=note.strip(),
        recorded_by=actor,
    )
    audit.record(
        actor, "pathways.contact_attempt.recorded", attempt, data={"channel": channel, "result": result}
    )
    return attempt


@transaction.atomic
def complete_step(*, actor, step: PathwayStep, outcome: str, note: str = "") -> PathwayStep:
    """Close a step with its outcome; closing the review step closes the pathway."""
    policy.require(actor, "pathways.work_steps", step)
    step = _lock(step)
    _require_open(step)
    if outcome not in PathwayStep.Outcome.values:
        raise ValidationError({"outcome": "Résultat inconnu."})
    if outcome == PathwayStep.Outcome.UNREACHABLE:
        needed = unreachable_after()
        failed = step.attempts.filter(result__in=ContactAttempt.NOT_REACHED).count()
        if failed < needed:
            raise ValidationError(
                {
                    "outcome": f"« Famille injoignable » demande au moins {needed} tentatives de contact "
                    f"sans succès ; {failed} enregistrée{'s' if failed > 1 else ''}."
                }
            )
    if outcome in (PathwayStep.Outcome.DECLINED, PathwayStep.Outcome.NOT_APPLICABLE) and not note.strip():
        raise ValidationError(
            {"note": "Précisez en quelques mots pourquoi (refus de la famille, sans objet)."}
        )
    now = timezone.now()
    step.status = PathwayStep.Status.CLOSED
    step.outcome = outcome
    step.note = note.strip()
    step.closed_at = now
    step.closed_by = actor
    step.save(update_fields=["status", "outcome", "note", "closed_at", "closed_by"])
    audit.record(actor, "pathways.step.completed", step, data={"kind": step.kind, "outcome": outcome})
    forget_counts(actor, step.assignee)
    if step.kind == StepKind.REVIEW_CLOSURE:
        _close_pathway(actor, step.pathway, now)
    return step


def _close_pathway(actor, pathway: Pathway, now) -> None:
    open_steps = PathwayStep.objects.filter(pathway=pathway, status=PathwayStep.Status.OPEN)
    open_steps.update(status=PathwayStep.Status.WITHDRAWN, closed_at=now, withdrawn_reason=CLOSED_AT_REVIEW)
    pathway.status = Pathway.Status.CLOSED
    pathway.closed_at = now
    pathway.closed_reason = CLOSED_AT_REVIEW
    pathway.save(update_fields=["status", "closed_at", "closed_reason"])
    audit.record(actor, "pathways.pathway.closed", pathway)


def assignable_users(step: PathwayStep):
    """Active staff of the step's Caf holding its role (assigned to the file when it is restricted)."""
    users = User.objects.filter(
        is_active=True,
        organisation__kind=Organisation.Kind.CAF,
        organisation__department_id=step.department_id,
        role_rows__role=step.responsible_role,
    )
    if step.household.restricted:
        users = users.filter(
            pk__in=HouseholdAssignment.objects.filter(household_id=step.household_id).values("user_id")
        )
    return users.select_related("site").order_by("last_name", "first_name").distinct()


@transaction.atomic
def assign_step(*, actor, step: PathwayStep, assignee: User) -> PathwayStep:
    policy.require(actor, "pathways.work_steps", step)
    step = _lock(step)
    _require_open(step)
    if not assignable_users(step).filter(pk=assignee.pk).exists():
        role = Role(step.responsible_role).label.lower()
        raise ValidationError(
            {"assignee": f"Cette étape revient à un agent actif de la Caf ayant le rôle « {role} »"
             + (" et affecté à ce dossier restreint." if step.household.restricted else ".")}
        )  # fmt: skip
    forget_counts(actor, step.assignee, assignee)
    step.assignee = assignee
    step.site_id = assignee.site_id or step.pathway.site_id
    step.save(update_fields=["assignee", "site"])
    audit.record(actor, "pathways.step.assigned", step, data={"assignee": assignee.pk})
    return step
