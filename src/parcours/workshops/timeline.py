"""The household timeline: invitations and registrations of the household's parents."""

from __future__ import annotations

from django.utils import formats

from parcours.core import policy
from parcours.households.timeline import TimelineEntry, register
from parcours.workshops import selectors


def _when(workshop) -> str:
    return formats.date_format(workshop.local_start(), "j F Y à H\\hi")


@register("workshops")
def workshop_entries(actor, household):
    if not policy.can(actor, "workshops.view"):
        return []
    entries = []
    activity = selectors.household_activity(actor, household)
    for invitation in activity["invitations"]:
        entries.append(
            TimelineEntry(
                at=invitation.sent_at,
                kind="event",
                title=f"Invitation « Parents après la séparation » envoyée à {invitation.person.first_name}",
                detail=invitation.get_status_display(),
                status=invitation.status,
            )
        )
    for registration in activity["registrations"]:
        entries.append(
            TimelineEntry(
                at=registration.created_at,
                kind="event",
                title=f"Inscription de {registration.first_name} à la séance du {_when(registration.workshop)}",
                detail=f"{registration.workshop.get_format_display()} — {registration.get_status_display()}"
                + (f", {registration.get_attendance_display().lower()}" if registration.attendance else ""),
                status=registration.status,
            )
        )
    return entries
