"""The MAP measures where the person is a parent, in her access file (core/subject_access.py): the
frame of the judge's decision and its dates. Never the other parent, the places, the handovers'
times (private to the parent they protect) nor the narratives.
"""

from __future__ import annotations

from django.db.models import Q

from parcours.accompaniment.models import Measure
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
