"""Step 1 of the pathway: the information on the offer, sent to the declarant through the outbox.

The staff form enqueues it in its own transaction. Files and API batches leave it to a
background sweep (`send_information_offers`, queued when the import commits): a hundred thousand
messages are not queued one by one inside the import. The sweep is idempotent (one message per
pathway, by its key) and only informs declarations of the last days: a file of old declarations
sends nothing. When the message is sent, the step is done; refused or failed, it stays to do and
the message's page says why.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from parcours.core import audit
from parcours.notifications import outbox
from parcours.notifications.models import Message
from parcours.pathways.models import Pathway, PathwayStep, StepKind
from parcours.pathways.selectors import forget_counts

logger = logging.getLogger("parcours.pathways")
TEMPLATE = "pathways.information_offer"


def information_key(pathway_id: int) -> str:
    return f"pathways.pathway.{pathway_id}.information_offer"


def max_age() -> timedelta:
    return timedelta(days=getattr(settings, "PATHWAYS_INFORMATION_MAX_AGE_DAYS", 7))


def offer_information(*, actor, pathway: Pathway) -> Message | None:
    """Queue the day-0 information for this pathway (in the caller's transaction); None when not due."""
    if pathway.declarant_id is None or pathway.status != Pathway.Status.OPEN:
        return None
    if not PathwayStep.objects.filter(
        pathway=pathway, kind=StepKind.INFORMATION_OFFER, status="open"
    ).exists():
        return None
    return outbox.enqueue(
        actor=actor,
        template=TEMPLATE,
        key=information_key(pathway.pk),
        person=pathway.declarant,
        household=pathway.household,
        context={
            "pathway_id": pathway.pk,
            "declared_on": pathway.declared_on,
            "has_children": pathway.children_count > 0,
            "mediation": pathway.steps.filter(kind=StepKind.MEDIATION_OFFER, status="open").exists(),
        },
    )


def send_information_offers(*, chunk: int = 200) -> int:
    """Queue the information of every recent pathway that has none yet; returns how many were queued."""
    since = timezone.localdate() - max_age()
    candidates = list(
        PathwayStep.objects.filter(
            kind=StepKind.INFORMATION_OFFER,
            status=PathwayStep.Status.OPEN,
            pathway__status=Pathway.Status.OPEN,
            pathway__declared_on__gte=since,
            pathway__declarant__isnull=False,
        )
        .order_by("pathway_id")
        .values_list("pathway_id", flat=True)
    )
    queued = 0
    for start in range(0, len(candidates), chunk):
        ids = candidates[start : start + chunk]
        known = set(
            Message.objects.filter(key__in=[information_key(i) for i in ids]).values_list("key", flat=True)
        )
        todo = [i for i in ids if information_key(i) not in known]
        with transaction.atomic():
            for pathway in Pathway.objects.filter(pk__in=todo).select_related(
                "declarant__household", "household__department"
            ):
                if offer_information(actor=None, pathway=pathway) is not None:
                    queued += 1
    return queued


@task()
def sweep_information_offers() -> int:
    """Queue, through the outbox, the day-0 information of recent pathways opened by a file or the API."""
    return send_information_offers()


def information_sent(message: Message) -> None:
    """The outbox sent the information (signal `message_finished`): step 1 is done."""
    pathway_id = int(message.key.split(".")[2])
    step = (
        PathwayStep.objects.select_for_update()
        .select_related("household__department")
        .filter(pathway_id=pathway_id, kind=StepKind.INFORMATION_OFFER, status=PathwayStep.Status.OPEN)
        .first()
    )
    if step is None:
        return
    step.status = PathwayStep.Status.CLOSED
    step.outcome = PathwayStep.Outcome.DONE
    step.note = f"Information envoyée par {message.get_channel_display().lower() or 'message'} (message {message.reference})."
    step.closed_at = timezone.now()
    step.save(update_fields=["status", "outcome", "note", "closed_at"])
    audit.record(
        None,
        "pathways.step.completed",
        step,
        data={"kind": step.kind, "outcome": "done", "message": message.reference},
    )
    forget_counts(step.assignee)
