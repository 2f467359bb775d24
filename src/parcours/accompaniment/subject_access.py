"""The MAP measures where the person is a parent, and her own handovers, in her access file
(core/subject_access.py).

Each handover is told from her side only, as the messages tell it (messaging.own_items): her own
appointment — the time and the place's name where she hands the child over or receives them — its
outcome, and the incidents recorded about HER (category and date). Never the other parent's time,
place or absence, never a place's address (it may be the other parent's home), never an incident
narrative nor the child's words (the organisation's working notes, written about the family: internal
by nature), never an incident about the other parent.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from parcours.accompaniment.models import Handover, Incident, Measure
from parcours.core import subject_access
from parcours.core.subject_access import Entry, Section


def measures(subject) -> list[Entry]:
    person = subject.person
    rows = Measure.objects.filter(Q(residential_parent=person) | Q(visiting_parent=person))
    return [
        Entry(
            f"Mesure ordonnée le {measure.order_date:%d/%m/%Y}",
            [
                ("Juridiction", measure.court),
                ("Juge", measure.get_judge_kind_display()),
                ("Numéro RG", measure.case_number),
                (
                    "Votre place dans la mesure",
                    "parent chez qui l'enfant réside"
                    if measure.residential_parent_id == person.pk
                    else "parent qui rencontre l'enfant",
                ),
                ("Début", measure.starts_on),
                ("Fin", measure.ends_on),
                ("Rythme", measure.get_rhythm_display()),
                ("État", measure.get_status_display()),
                ("Terminée le", measure.ended_on),
            ],
        )
        for measure in rows.order_by("order_date", "pk")
    ]


def _cancelled_by(handover: Handover, own_side: str) -> str:
    """Who cancelled, seen from the person: herself, the organisation or the establishment; the other
    parent's cancellation is his data (the outcome « Annulée » says enough)."""
    if handover.outcome != Handover.Outcome.CANCELLED or not handover.cancelled_by:
        return ""
    if handover.cancelled_by == own_side:
        return "vous"
    if handover.cancelled_by in (Handover.CancelledBy.ORGANISATION, Handover.CancelledBy.ESTABLISHMENT):
        return handover.get_cancelled_by_display()
    return ""  # the other parent: not said


def handovers(subject) -> list[Entry]:
    person = subject.person
    rows = (
        Handover.objects.filter(Q(from_parent=person) | Q(to_parent=person))
        .select_related("measure", "from_place", "to_place")
        .prefetch_related(
            # Only the incidents about her: one query, whatever the number of handovers.
            Prefetch("incidents", queryset=Incident.objects.filter(by_parent=person), to_attr="hers")
        )
        .order_by("from_at", "pk")
    )
    entries = []
    for handover in rows:
        hands_over = handover.from_parent_id == person.pk
        at, place = (
            (handover.from_at, handover.from_place) if hands_over else (handover.to_at, handover.to_place)
        )
        own_side = (
            Handover.CancelledBy.RESIDENTIAL
            if handover.measure.residential_parent_id == person.pk
            else Handover.CancelledBy.VISITING
        )
        fields = [
            ("Mesure ordonnée le", handover.measure.order_date),
            ("Trajet", handover.get_leg_display()),
            ("Votre rôle", "vous confiez l'enfant" if hands_over else "vous accueillez l'enfant"),
            ("Votre rendez-vous", at),
            ("Lieu de votre rendez-vous", place.label),
            ("Issue", handover.get_outcome_display()),
            ("Annulée par", _cancelled_by(handover, own_side)),
        ]
        if handover.outcome == Handover.Outcome.CANCELLED and handover.cancelled_by == own_side:
            fields.append(("Prévenu (heures avant)", handover.notice_hours))
        if handover.absent_parent_id == person.pk:
            fields.append(("Absence", "vous ne vous êtes pas présenté(e)"))
        items = [
            Entry(
                "Incident vous concernant",
                [
                    ("Catégorie", incident.get_category_display()),
                    ("Consigné le", incident.recorded_at),
                    ("Retenu pour le rapport au juge", incident.flagged_for_report),
                ],
            )
            for incident in handover.hers
        ]
        entries.append(
            Entry(f"Remise n° {handover.visit_number} — {handover.get_leg_display()}", fields, items)
        )
    return entries


def register() -> None:
    subject_access.register(
        Section(
            key="accompaniment.measures",
            title="Mesures d'accompagnement protégé (MAP)",
            order=60,
            collect=measures,
            empty="Aucune mesure.",
        )
    )
    subject_access.register(
        Section(
            key="accompaniment.handovers",
            title="Remises accompagnées (MAP) : vos rendez-vous",
            order=61,
            collect=handovers,
            empty="Aucune remise.",
        )
    )
