"""The workshop registrations of a person, in her access file (core/subject_access.py)."""

from __future__ import annotations

from parcours.core import subject_access
from parcours.core.subject_access import Entry, Section
from parcours.workshops.models import Registration


def registrations(subject) -> list[Entry]:
    rows = Registration.objects.filter(person=subject.person).select_related("workshop__venue")
    return [
        Entry(
            f"{r.workshop.title} — {r.workshop.get_format_display()}",
            [
                ("Séance du", r.workshop.starts_at),
                ("Lieu", r.workshop.venue.name if r.workshop.venue else ""),
                ("Statut", r.get_status_display()),
                ("Inscription du", r.created_at),
                ("Personnes", r.party_size),
                ("Besoins d'accessibilité", r.accessibility_needs),
                ("Présence", r.get_attendance_display() if r.attendance else ""),
            ],
        )
        for r in rows.order_by("workshop__starts_at", "pk")
    ]


def register() -> None:
    subject_access.register(
        Section(
            key="workshops.registrations",
            title="Séances « Parents après la séparation »",
            order=50,
            collect=registrations,
            empty="Aucune inscription.",
        )
    )
