"""Retention of the pathway data: 2 years after the pathway's last activity (core/retention.py)."""

from __future__ import annotations

from django.db.models import DateField, Q
from django.db.models.functions import TruncYear

from parcours.core import retention
from parcours.pathways.models import ContactAttempt, Pathway, PathwayStep, SeparationEvent, SituationChange


def keeps(now, cutoff):
    # An open pathway, or a pathway, a step or a declaration with activity since the cutoff.
    return (
        Pathway.objects.filter(
            Q(status=Pathway.Status.OPEN) | Q(opened_at__gte=cutoff) | Q(closed_at__gte=cutoff)
        ).values("household_id"),
        PathwayStep.objects.filter(closed_at__gte=cutoff).values("household_id"),
        SeparationEvent.objects.filter(received_at__gte=cutoff).values("household_id"),
    )


def erase(household_ids: list[int]) -> int:
    """Free text blanked; statuses, outcomes, dates and counts (the indicators' skeleton) kept."""
    # Only the rows holding text are rewritten: a step's row sits in every worklist index, and
    # most steps have no note (an UPDATE of a blank row would still write a new row version).
    changed = (
        PathwayStep.objects.filter(household_id__any_of=household_ids)
        .exclude(note="", withdrawn_reason="")
        .update(note="", withdrawn_reason="")
    )
    changed += (
        ContactAttempt.objects.filter(household_id__any_of=household_ids).exclude(note="").update(note="")
    )
    changed += (
        SituationChange.objects.filter(household_id__any_of=household_ids)
        .exclude(reason="")
        .update(reason="")
    )
    changed += (
        Pathway.objects.filter(household_id__any_of=household_ids)
        .exclude(closed_reason="")
        .update(closed_reason="")
    )
    # One UPDATE for the batch: the youngest child's birth date keeps its year (1 January).
    changed += SeparationEvent.objects.filter(household_id__any_of=household_ids).update(
        source_label="",
        youngest_child_birth_date=TruncYear("youngest_child_birth_date", output_field=DateField()),
    )
    return changed


def keeps_person(now):
    # The pathway she declared, still open: the Caf reaches out to her.
    return Pathway.objects.filter(status=Pathway.Status.OPEN, declarant__isnull=False).values("declarant_id")


def erase_person(person_ids: list[int]) -> int:
    """The free text of the (closed) pathways she declared; for a child, the youngest child's birth
    date of her household's declarations keeps its year (as the household's anonymisation does)."""
    from parcours.households.models import Person

    pathways = Pathway.objects.filter(declarant_id__in=person_ids)
    changed = (
        PathwayStep.objects.filter(pathway__in=pathways)
        .exclude(note="", withdrawn_reason="")
        .update(note="", withdrawn_reason="")
    )
    changed += ContactAttempt.objects.filter(step__pathway__in=pathways).exclude(note="").update(note="")
    changed += SituationChange.objects.filter(pathway__in=pathways).exclude(reason="").update(reason="")
    changed += pathways.exclude(closed_reason="").update(closed_reason="")
    changed += (
        SeparationEvent.objects.filter(pathway__in=pathways).exclude(source_label="").update(source_label="")
    )
    for household_id, birth_date in Person.objects.filter(
        pk__in=person_ids, role=Person.Role.CHILD, birth_date__isnull=False
    ).values_list("household_id", "birth_date"):
        changed += SeparationEvent.objects.filter(
            household_id=household_id, youngest_child_birth_date=birth_date
        ).update(youngest_child_birth_date=TruncYear("youngest_child_birth_date", output_field=DateField()))
    return changed


def register() -> None:
    retention.register(
        retention.Holding(
            key="pathways.pathway",
            label="Données du parcours séparation (étapes, tentatives de contact, déclarations)",
            setting="PARCOURS_RETENTION_PATHWAY_DAYS",
            default_days=730,
            justification="Durée de l'accompagnement et du bilan à 6 mois, plus le temps d'une "
            "nouvelle déclaration ; un parcours ouvert garde tout le foyer.",
            keeps=keeps,
            erase=erase,
            order=10,
            open_label="un parcours séparation en cours",
            keeps_person=keeps_person,
            person_open_label="un parcours séparation en cours qu'elle a déclaré",
            erase_person=erase_person,
        )
    )
