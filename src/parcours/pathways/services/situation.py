"""When the situation changes (violence reported, children count corrected), the open steps follow.

Re-evaluation against the pathway's own template version:
- an open step the situation no longer calls for is withdrawn, with the reason in the timeline
  (mediation is never offered where violence is alleged);
- an open step that still applies gets its deadline recomputed (protected deadlines count from
  the moment violence became known and apply when earlier);
- a step the new situation calls for is added, its deadline counted from today, or reopened
  when it had been withdrawn by an earlier change;
- what is done (closed steps, contact attempts) is never touched.

While the declarant's processing is limited (RGPD art. 18, services/limitation.py) her open steps are
paused: a step the change adds or reopens is created paused too, a paused step the situation no longer
calls for is withdrawn (it would otherwise resume when the limitation is lifted: a mediation after a
violence report), and a paused step's new deadline is kept as the time it has left, which the lifting
adds to its own moment.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, policy
from parcours.households.models import Household, Person
from parcours.pathways import rules
from parcours.pathways.models import Pathway, PathwayStep, SituationChange, StepKind
from parcours.pathways.selectors import forget_counts
from parcours.pathways.services.planning import Assigner, due_for, local_date, normal_due, protected_due

FIELDS = ("violence_reported", "children_count", "shared_home")
MEDIATION_WITHDRAWN = "La médiation familiale n'est pas proposée quand des violences sont signalées"


PAUSABLE = (PathwayStep.Status.OPEN, PathwayStep.Status.PAUSED)


def _paused_due(calculator, department, template_step, step: PathwayStep, pathway: Pathway):
    """(due instant, protected) of a paused step, kept so that `due_at - paused_at` is the time it has
    left — what the lifting of the limitation adds to its own moment (limitation.on_limitation).

    Its clock stopped at `paused_at`: the normal deadline had `normal - paused_at` left then; the
    protected deadline runs from the moment the Caf learned of the violence, and has run only until
    the pause (learned before it) or not at all (learned during it, as on a switch to the protected
    track while the declarant is limited). The shorter applies, as for an open step.
    """
    paused_at = step.paused_at
    left = normal_due(calculator, department, template_step, base_on=step.base_on) - paused_at
    protected = False
    if pathway.violence_reported:
        moment = pathway.violence_reported_at or timezone.now()
        due = protected_due(calculator, department, template_step, moment)
        if due is not None and due - max(moment, paused_at) < left:
            left, protected = due - max(moment, paused_at), True
    return paused_at + left, protected


def _withdraw_reason(step: PathwayStep, before: dict, after: dict, reason: str) -> str:
    if (
        step.kind == StepKind.MEDIATION_OFFER
        and after["violence_reported"]
        and not before["violence_reported"]
    ):
        why = MEDIATION_WITHDRAWN
    else:
        changed = [
            rules.FLAG_LABELS[f] + (" : oui" if after[f] else " : non")
            for f in after
            if after[f] != before[f]
        ]
        why = "La situation ne prévoit plus cette étape (" + ", ".join(changed) + ")"
    return f"{why} — {reason}"[:300]


@transaction.atomic
def update_situation(
    *,
    actor,
    household: Household,
    reason: str,
    violence_reported: bool | None = None,
    children_count: int | None = None,
    shared_home: bool | None = None,
) -> Pathway | None:
    """Change the situation of the household's current pathway and re-evaluate its open steps.

    Returns the pathway, or None when the household has no pathway in progress.
    """
    policy.require(actor, "pathways.update_situation", household)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif du changement de situation."})
    if children_count is not None and not 0 <= children_count <= 20:
        raise ValidationError({"children_count": "Le nombre d'enfants est compris entre 0 et 20."})
    pathway = (
        Pathway.objects.select_for_update(of=("self",))
        .select_related("household__department", "department", "template")
        .filter(household=household, status=Pathway.Status.OPEN)
        .order_by("-declared_on", "-pk")
        .first()
    )
    if pathway is None:
        return None
    now = timezone.now()
    wanted = {
        "violence_reported": violence_reported,
        "children_count": children_count,
        "shared_home": shared_home,
    }
    changes = {
        name: [getattr(pathway, name), value]
        for name, value in wanted.items()
        if value is not None and getattr(pathway, name) != value
    }
    if not changes:
        return pathway
    before = pathway.situation()
    for name, (_, value) in changes.items():
        setattr(pathway, name, value)
    if "violence_reported" in changes:
        pathway.violence_reported_at = now if pathway.violence_reported else None
    pathway.save(update_fields=[*changes, "violence_reported_at"])
    after = pathway.situation()
    effects = _reevaluate(actor, pathway, before, after, reason, now)
    forget_counts(actor)
    change = SituationChange.objects.create(
        pathway=pathway, household=pathway.household, changed_at=now, changed_by=actor if getattr(actor, "pk", None) else None,
        reason=reason[:300], changes=changes, effects=effects,
    )  # fmt: skip
    # The audit names the fields, never their values (a violence report is sensitive).
    audit.record(
        actor,
        "pathways.situation.changed",
        change,
        reason=reason,
        data={"fields": sorted(changes), **{k: len(v) for k, v in effects.items()}},
    )
    return pathway


def _reevaluate(actor, pathway: Pathway, before: dict, after: dict, reason: str, now) -> dict[str, list[str]]:
    department = pathway.department
    calculator = rules.DeadlineCalculator()
    today = local_date(department, now)
    # Locked before the steps, as the limitation does (person, then steps): a limitation set meanwhile
    # waits for this change and then pauses the steps it adds.
    limited = (
        Person.objects.select_for_update()
        .filter(pk=pathway.declarant_id)
        .values_list("processing_limited", flat=True)
        .first()
    )
    paused_at = now if limited else None
    steps = {s.template_step_id: s for s in pathway.steps.select_for_update().all() if s.template_step_id}
    effects: dict[str, list[str]] = {"withdrawn": [], "added": [], "rescheduled": []}
    assigner = None
    for template_step in pathway.template.steps.order_by("position"):
        applies = rules.step_applies(template_step.kind, template_step.conditions, after)
        step = steps.get(template_step.pk)
        if step is not None and step.status == PathwayStep.Status.CLOSED:
            continue  # done is done
        if step is not None and step.status in PAUSABLE and not applies:
            step.status = PathwayStep.Status.WITHDRAWN
            step.closed_at = now
            step.paused_at = None
            step.withdrawn_reason = _withdraw_reason(step, before, after, reason)
            step.save(update_fields=["status", "closed_at", "paused_at", "withdrawn_reason"])
            effects["withdrawn"].append(step.label)
            continue
        if not applies:
            continue
        if step is None or step.status == PathwayStep.Status.WITHDRAWN:
            base_on = max(today, pathway.declared_on)
        else:
            base_on = step.base_on
        due_at, protected = due_for(
            calculator, department, template_step, base_on=base_on,
            violence_reported=pathway.violence_reported, violence_reported_at=pathway.violence_reported_at,
        )  # fmt: skip
        if step is None:
            assigner = assigner or Assigner([department.pk])
            allowed = (
                set(pathway.household.assignments.values_list("user_id", flat=True))
                if pathway.household.restricted
                else None
            )
            chosen = assigner.pick(
                department.pk, template_step.responsible_role, site_id=pathway.site_id, allowed=allowed
            )
            PathwayStep.objects.create(
                pathway=pathway, household=pathway.household, department=department, template_step=template_step,
                position=template_step.position, kind=template_step.kind, label=template_step.label,
                responsible_role=template_step.responsible_role,
                assignee_id=chosen.user_id if chosen else None,
                site_id=(chosen.site_id if chosen else None) or pathway.site_id,
                base_on=base_on, due_at=due_at, protected_deadline=protected, opened_at=now,
                status=PathwayStep.Status.PAUSED if limited else PathwayStep.Status.OPEN, paused_at=paused_at,
            )  # fmt: skip
            effects["added"].append(template_step.label)
        elif step.status == PathwayStep.Status.WITHDRAWN:
            step.status = PathwayStep.Status.PAUSED if limited else PathwayStep.Status.OPEN
            step.paused_at = paused_at
            step.closed_at = None
            step.withdrawn_reason = ""
            step.base_on, step.due_at, step.protected_deadline, step.opened_at = (
                base_on,
                due_at,
                protected,
                now,
            )
            step.save(
                update_fields=[
                    "status",
                    "paused_at",
                    "closed_at",
                    "withdrawn_reason",
                    "base_on",
                    "due_at",
                    "protected_deadline",
                    "opened_at",
                ]
            )
            effects["added"].append(step.label)
        elif step.status == PathwayStep.Status.PAUSED:
            due_at, protected = _paused_due(calculator, department, template_step, step, pathway)
            if (step.due_at, step.protected_deadline) != (due_at, protected):
                step.due_at, step.protected_deadline = due_at, protected
                step.save(update_fields=["due_at", "protected_deadline"])
                effects["rescheduled"].append(step.label)
        elif (step.due_at, step.protected_deadline) != (due_at, protected):
            step.due_at, step.protected_deadline = due_at, protected
            step.save(update_fields=["due_at", "protected_deadline"])
            effects["rescheduled"].append(step.label)
    return {k: v for k, v in effects.items() if v}
