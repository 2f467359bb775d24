"""Factories for the workshops module: places, sessions (in the department's local time), registrations."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from itertools import count

from django.utils import timezone

from parcours.core.policy import THE_PUBLIC
from parcours.workshops import services
from parcours.workshops.models import Facilitation, Venue, Workshop
from tests import factories

_n = count(1)


def venue(code: str = "92", **extra) -> Venue:
    return Venue.objects.create(
        department=factories.department(code),
        name=extra.pop("name", f"Maison des familles {next(_n)}"),
        line=extra.pop("line", "4 place de la Mairie"),
        postal_code=extra.pop("postal_code", "97400" if code == "974" else "92000"),
        city=extra.pop("city", "Saint-Denis" if code == "974" else "Nanterre"),
        **extra,
    )


def local(code: str, day, hour: int = 18, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=factories.department(code).tzinfo)


def working_day(code: str, day):
    """`day`, or the next day that is not a public holiday of the department: a page test creating a
    session at "today + N" must not meet the holiday confirmation on the few days a year it would."""
    from parcours.core import calendar

    while day in calendar.public_holidays(factories.department(code), day.year):
        day += timedelta(days=1)
    return day


def workshop(
    code: str = "92",
    *,
    format: str = "in_person",
    days: int = 10,
    hour: int = 18,
    capacity: int = 12,
    status: str = Workshop.Status.PUBLISHED,
    starts_at: datetime | None = None,
    facilitators=(),
    **extra,
) -> Workshop:
    department = factories.department(code)
    if starts_at is None:
        day = timezone.localtime(timezone.now(), department.tzinfo).date() + timedelta(days=days)
        starts_at = local(code, day, hour)
    if format != "webinar" and "venue" not in extra:
        extra["venue"] = venue(code)
    w = Workshop.objects.create(
        department=department,
        format=format,
        starts_at=starts_at,
        capacity=capacity,
        # The eve at the same hour: a session `days=1` ahead is closed to the public from that hour
        # today on, so a test that registers publicly takes `days` of 2 or more.
        registration_deadline=extra.pop("registration_deadline", starts_at - timedelta(days=1)),
        status=status,
        languages=extra.pop("languages", ["fr"]),
        **extra,
    )
    for user, role in facilitators:
        Facilitation.objects.create(workshop=w, user=user, role=role)
    return Workshop.objects.select_related("department", "venue").get(pk=w.pk)


def public_registration(
    workshop: Workshop, *, first_name: str = "Camille", email: str | None = None, party_size: int = 1
):
    email = email or f"parent{next(_n)}@exemple.fr"
    return services.register(
        actor=THE_PUBLIC,
        workshop=workshop,
        first_name=first_name,
        party_size=party_size,
        contact_kind="email",
        contact_value=email,
    ).registration


def household_with_parents(code: str = "92", *, restricted: bool = False):
    """A household with two parents, each with a safe e-mail channel."""
    household = factories.HouseholdFactory(department_code=code, restricted=restricted)
    mother = factories.PersonFactory(household=household, first_name="Nadia", is_declarant=True)
    father = factories.PersonFactory(household=household, first_name="Julien")
    factories.ContactFactory(person=mother)
    factories.ContactFactory(person=father)
    factories.PersonFactory(household=household, role="child", first_name="Emma")
    return household, mother, father
