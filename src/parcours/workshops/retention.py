"""Retention of the workshop registrations (core/retention.py): 1 year after the session."""

from __future__ import annotations

from parcours.core import retention
from parcours.workshops.models import Registration

ERASED = {
    "first_name": retention.ANONYMISED,
    "contact_value": "",
    "search_name": "",
    "birth_date": None,
    "accessibility_needs": "",
    "cancel_reason": "",
}


def keeps(now, cutoff):
    return Registration.objects.filter(workshop__starts_at__gte=cutoff, household__isnull=False).values(
        "household_id"
    )


def erase(household_ids: list[int]) -> int:
    """Name, channel and needs blanked; status, attendance, party size (the indicators) kept."""
    return Registration.objects.filter(household_id__any_of=household_ids).update(**ERASED)


def keeps_person(now):
    # A session still to come where she is registered: the reminders and the attendance list need her.
    return Registration.objects.filter(workshop__starts_at__gte=now, person__isnull=False).values("person_id")


def erase_person(person_ids: list[int]) -> int:
    return Registration.objects.filter(person_id__in=person_ids).update(**ERASED)


def erase_unlinked(now, cutoff, batch_size: int = 1000) -> int:
    """Registrations made on the public page, tied to no household: anonymised by batches of their own."""
    expired = Registration.objects.filter(household__isnull=True, workshop__starts_at__lt=cutoff).exclude(
        first_name=retention.ANONYMISED, contact_value="", accessibility_needs=""
    )
    done = 0
    while True:
        ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        done += Registration.objects.filter(pk__in=ids).update(**ERASED)


def register() -> None:
    retention.register(
        retention.Holding(
            key="workshops.registration",
            label="Inscriptions aux séances « Parents après la séparation »",
            setting="PARCOURS_RETENTION_REGISTRATION_DAYS",
            default_days=365,
            justification="Relances, présence et enquête de satisfaction ; l'enquête elle-même est "
            "anonyme dès la réponse.",
            keeps=keeps,
            erase=erase,
            erase_unlinked=erase_unlinked,
            order=40,
            open_label="une inscription à une séance à venir",
            keeps_person=keeps_person,
            person_open_label="une inscription à une séance à venir",
            erase_person=erase_person,
        )
    )
