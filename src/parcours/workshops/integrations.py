"""Where workshops meet the pathway module (issue 3), kept in one small place.

The pathway module lists the due steps "Invitation Parents après la séparation" and marks them
done; the violence flag lives on the pathway. Until that module is installed, these functions
fall back on what the foundation knows: a restricted household is treated as one where violence
is reported (the safe assumption: its parents are never sent to the same session).
"""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger("parcours.workshops")


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def violence_reported(household) -> bool:
    if household is None:
        return False
    if household.restricted:
        return True
    selectors = _module("parcours.pathways.selectors")
    check = getattr(selectors, "violence_reported", None) if selectors else None
    return bool(check(household)) if check else False


def due_invitation_steps(actor, *, pks=None) -> list:
    """The pathway steps of kind `workshop_invitation` due and visible to the actor ([] without pathways).

    `pks` keeps only those steps, in the database (a department has tens of thousands due).
    """
    selectors = _module("parcours.pathways.selectors")
    due = getattr(selectors, "due_workshop_invitation_steps", None) if selectors else None
    if due is None:
        return []
    steps = due(actor)
    return list(steps if pks is None else steps.filter(pk__in=pks))


def step_household(step):
    return step.pathway.household


def complete_invitation_step(*, actor, step_id: int | None, note: str) -> None:
    """Mark the pathway step done once the invitation is sent (no-op without the pathway module)."""
    if step_id is None:
        return
    services = _module("parcours.pathways.services")
    models = _module("parcours.pathways.models")
    if services is None or models is None:
        return
    step = models.PathwayStep.objects.filter(pk=step_id).first()
    if step is not None:
        services.complete_step(actor=actor, step=step, outcome="done", note=note)
