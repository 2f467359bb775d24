"""The calendar invitation (ICS) of a registration, in the department's own time zone.

DTSTART/DTEND carry the department's TZID (Indian/Reunion for 974) and the calendar embeds the
matching VTIMEZONE, so that any calendar shows the session at the right local time. The UID is
stable per registration and SEQUENCE follows the workshop's changes: a moved session updates the
event already in the person's calendar instead of adding a second one.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from django.utils import timezone
from icalendar import Calendar, Event, Timezone

from parcours.workshops.models import Format, Registration

PRODID = "-//Caf//Parcours//FR"  # neutral: the calendar file itself must not name the topic


def needs_neutral_wording(registration: Registration) -> bool:
    """A parent of a restricted household, or with a protected address: nothing may name the topic."""
    person = registration.person
    if person is None:
        return False
    return bool(person.household.restricted or person.is_address_protected)


@lru_cache(maxsize=16)
def _vtimezone(tzid: str, year: int) -> bytes:
    # Computing a VTIMEZONE walks the offsets: cached per zone and year.
    from zoneinfo import ZoneInfo

    first, last = date(year - 1, 1, 1), date(year + 2, 1, 1)
    component = Timezone.from_tzinfo(ZoneInfo(tzid), tzid=tzid, first_date=first, last_date=last)
    # icalendar writes an English comment; the files people receive are in French.
    component.pop("COMMENT", None)
    component.add("comment", f"Fuseau horaire valable du {first:%d/%m/%Y} au {last:%d/%m/%Y}.")
    return component.to_ical()


def registration_calendar(
    registration: Registration, *, manage_url: str = "", join_url: str = "", neutral: bool = False
) -> bytes:
    """The ICS of a registration. `neutral` (the person is on the protected track): the event says
    "Rendez-vous Caf" and nothing about its topic, as every message to that person does."""
    workshop = registration.workshop
    department = workshop.department
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    cancelled = not registration.is_active or workshop.status == workshop.Status.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")

    event = Event()
    event.add("uid", f"registration-{registration.public_id}@parcours.caf.fr")
    event.add("sequence", workshop.sequence + (1 if cancelled else 0))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", workshop.local_start())
    event.add("dtend", workshop.local_end())
    event.add("summary", "Rendez-vous Caf" if neutral else f"{workshop.title} (Caf)")
    if workshop.format == Format.WEBINAR:
        location = "En ligne (lien de connexion dans votre espace d'inscription)"
    elif workshop.venue_id:
        location = ", ".join(workshop.venue.lines())
        if workshop.format == Format.HYBRID:
            location += " — ou en ligne"
    else:
        location = "Lieu communiqué par la Caf"
    event.add("location", location)
    hours, minutes = divmod(workshop.duration_minutes, 60)
    duration = f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    lines = [
        "Rendez-vous d'information de la Caf" if neutral else f"Séance d'information de la Caf, {duration}",
        f"Nombre de personnes : {registration.party_size}",
    ]
    if join_url and workshop.is_online:
        lines.append(f"Rejoindre le webinaire : {join_url}")
    if manage_url:
        lines.append(f"Voir, modifier ou annuler votre inscription : {manage_url}")
    event.add("description", "\n".join(lines))
    if manage_url:
        event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if not cancelled:
        alarm_at = timedelta(hours=-2)
        from icalendar import Alarm

        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add(
            "description", "Rendez-vous Caf dans 2 heures" if neutral else f"{workshop.title} dans 2 heures"
        )
        alarm.add("trigger", alarm_at)
        event.add_component(alarm)
    calendar.add_component(event)
    # The VTIMEZONE is computed once per zone and year and spliced in as text: re-serialising it
    # for every message was a fifth of the cost of a registration.
    head, sep, tail = calendar.to_ical().partition(b"BEGIN:VEVENT")
    return head + _vtimezone(department.timezone, workshop.local_start().year) + sep + tail
