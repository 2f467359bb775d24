"""Where workshops meet the pathway module, kept in one small place.

The pathway module lists the due steps "Invitation Parents après la séparation" and marks them
done; the violence flag lives on the pathway. The imports are direct (import-linter checks that
workshops sits above pathways): a rename in pathways breaks the import at start-up, loudly, instead
of turning a safety rule (never the other parent's session) silently into "no violence reported".
A restricted household is treated as one where violence is reported (the safe assumption).
"""

from __future__ import annotations

from parcours.pathways.models import PathwayStep
from parcours.pathways.selectors import due_workshop_invitation_steps
from parcours.pathways.selectors import violence_reported as pathway_violence_reported
from parcours.pathways.services import complete_step


def violence_reported(household) -> bool:
    if household is None:
        return False
    return household.restricted or pathway_violence_reported(household)


def due_invitation_steps(actor, *, pks=None) -> list:
    """The pathway steps of kind `workshop_invitation` due and visible to the actor.

    `pks` keeps only those steps, in the database (a department has tens of thousands due).
    """
    steps = due_workshop_invitation_steps(actor)
    return list(steps if pks is None else steps.filter(pk__in=pks))


def step_household(step):
    return step.pathway.household


def complete_invitation_step(*, actor, step_id: int | None, note: str) -> None:
    """Mark the pathway step done once the invitation is sent."""
    if step_id is None:
        return
    step = PathwayStep.objects.filter(pk=step_id).first()
    if step is not None:
        complete_step(actor=actor, step=step, outcome="done", note=note)
