"""The pathway in a person's access file (core/subject_access.py): the pathways she declared and
their steps — statuses, deadlines, outcomes; the staff's observations and withdrawal reasons stay out.

When the household holds protected matters about someone else (`subject.withheld`), the steps are
left out: the protected track changes them, and the file would tell her that it exists.
"""

from __future__ import annotations

from parcours.core import subject_access
from parcours.core.subject_access import Entry, Section
from parcours.pathways.models import Pathway


def pathways(subject) -> list[Entry]:
    entries = []
    for pathway in Pathway.objects.filter(declarant=subject.person).prefetch_related("steps"):
        steps = []
        if not subject.withheld:
            for step in pathway.steps.all():
                steps.append(
                    Entry(
                        step.label or step.kind_label,
                        [
                            ("État", step.get_status_display()),
                            ("Ouverte le", step.opened_at),
                            ("Échéance", step.due_at),
                            ("Résultat", step.get_outcome_display() if step.outcome else ""),
                            ("Terminée le", step.closed_at),
                        ],
                    )
                )
        entries.append(
            Entry(
                f"Parcours séparation n° {pathway.pk}",
                [
                    ("Séparation déclarée le", pathway.declared_on),
                    ("Ouvert le", pathway.opened_at),
                    ("État", pathway.get_status_display()),
                    ("Clôturé le", pathway.closed_at),
                ],
                steps,
            )
        )
    return entries


def register() -> None:
    subject_access.register(
        Section(
            key="pathways.pathways",
            title="Parcours séparation et étapes",
            order=20,
            collect=pathways,
            empty="Aucun parcours ouvert à votre nom.",
        )
    )
