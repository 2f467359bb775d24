"""RGPD art. 18 on the pathways: while a declarant's processing is limited, the open steps of her
pathways pause — out of the worklists and the late lists, their deadline frozen — and resume, each
with the time it had left, when the limitation is lifted (households.services.set_processing_limitation
calls `on_limitation` in its transaction)."""

from __future__ import annotations

from parcours.core import audit
from parcours.pathways.models import Pathway, PathwayStep
from parcours.pathways.selectors import forget_counts


def on_limitation(*, actor, person, limited: bool, reason: str, now) -> int:
    pathways = list(
        Pathway.objects.filter(declarant=person, status=Pathway.Status.OPEN).select_related("household")
    )
    changed = 0
    for pathway in pathways:
        steps = PathwayStep.objects.filter(pathway=pathway)
        if limited:
            count = steps.filter(status=PathwayStep.Status.OPEN).update(
                status=PathwayStep.Status.PAUSED, paused_at=now
            )
            action = "pathways.pathway.paused"
        else:
            # The deadline moves by the time spent in pause: the step has what it had left.
            count = 0
            for step in steps.filter(status=PathwayStep.Status.PAUSED).only("pk", "due_at", "paused_at"):
                PathwayStep.objects.filter(pk=step.pk).update(
                    status=PathwayStep.Status.OPEN,
                    due_at=step.due_at + (now - step.paused_at),
                    paused_at=None,
                )
                count += 1
            action = "pathways.pathway.resumed"
        if count:
            audit.record(actor, action, pathway, reason=reason, data={"steps": count})
            changed += count
    if changed:
        forget_counts(actor)
    return changed
