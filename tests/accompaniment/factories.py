"""MAP organisations, accompanists and measures for the accompaniment tests."""

from __future__ import annotations

from datetime import date, time

from parcours.accompaniment import services
from parcours.accompaniment.models import Accompanist, MapOrganisation, Measure, SchoolHolidayPeriod
from parcours.core.models import Organisation
from parcours.households.models import HouseholdAssignment, Person
from parcours.protection.models import Partner
from tests import factories
from tests.protection import factories as pf


def map_organisation(
    code: str = "92", *, organisation: Organisation | None = None, name: str = ""
) -> MapOrganisation:
    if organisation is None:
        organisation = Organisation.objects.create(
            name=name or f"Association MAP {code} {Organisation.objects.count()}",
            kind=Organisation.Kind.PARTNER,
            department=factories.department(code),
            parent=factories.caf(code),
        )
    found = MapOrganisation.objects.filter(organisation=organisation).first()
    if found:
        return found
    partner = pf.partner(code, name=name or f"MAP {organisation.name}", kind=Partner.Kind.OTHER)
    return MapOrganisation.objects.create(
        partner=partner, organisation=organisation, report_header="1 place de la Gare"
    )


def coordinator(map_org: MapOrganisation):
    user = factories.make_user("partner", map_org.policy_department())
    user.organisation = map_org.organisation
    user.save(update_fields=["organisation"])
    return user


def accompanist(map_org: MapOrganisation, user=None) -> Accompanist:
    if user is None:
        user = factories.make_user("accompanist", map_org.policy_department())
    user.organisation = map_org.organisation
    user.save(update_fields=["organisation"])
    return Accompanist.objects.create(user=user, map_organisation=map_org)


def family(code: str = "92", *, restricted: bool = False):
    household = factories.HouseholdFactory(department_code=code, restricted=restricted)
    mother = factories.PersonFactory(
        household=household, is_declarant=True, first_name="Camille", last_name="Martin"
    )
    factories.ContactFactory(person=mother)
    father = factories.PersonFactory(household=household, first_name="Julien", last_name="Durand")
    factories.ContactFactory(person=father)
    child = factories.PersonFactory(
        household=household, role=Person.Role.CHILD, first_name="Emma", last_name="Martin"
    )
    return household, mother, father, child


TERMS = {
    "court": "Tribunal judiciaire de Nanterre",
    "order_date": date(2026, 2, 2),
    "case_number": "26/01234",
    "judge_kind": Measure.JudgeKind.JAF,
    "context": Measure.Context.VIOLENCE,
    "starts_on": date(2026, 3, 1),
    "ends_on": date(2026, 8, 31),
    "rhythm": Measure.Rhythm.FORTNIGHTLY,
    "first_visit_on": date(2026, 3, 14),
    "visit_days": 1,
    "pickup_time": time(10),
    "return_time": time(18),
    "holidays": Measure.Holidays.KEEP,
    "meeting_place": "Espace de rencontre de Nanterre",
}


def measure(
    code: str = "92",
    *,
    referent=None,
    map_org: MapOrganisation | None = None,
    accept: bool = True,
    restricted: bool = False,
    **terms,
) -> Measure:
    household, mother, father, child = family(code, restricted=restricted)
    referent = referent or factories.make_user("social_worker", code)
    if restricted:
        HouseholdAssignment.objects.get_or_create(household=household, user=referent)
    m = services.record_order(
        actor=referent,
        household=household,
        residential_parent=mother,
        visiting_parent=father,
        children=[child],
        values={**TERMS, **terms},
    )
    if map_org is not None:
        services.refer(actor=referent, measure=m, map_organisation=map_org)
        if accept:
            services.answer_referral(actor=coordinator_of(map_org), measure=m, accept=True)
    m.refresh_from_db()
    return m


def coordinator_of(map_org: MapOrganisation):
    from parcours.core.models import User

    found = User.objects.filter(organisation=map_org.organisation, role_rows__role="partner").first()
    return found or coordinator(map_org)


def places(m: Measure, actor=None, *, same: bool = False):
    actor = actor or coordinator_of(m.map_organisation)
    home = services.add_place(
        actor=actor,
        measure=m,
        label="Domicile de la mère",
        address="5 impasse des Roses, 92000 Nanterre",
        is_home=True,
    )
    if same:
        return home, home
    neutral = services.add_place(
        actor=actor,
        measure=m,
        label="Point rencontre Caf de Nanterre",
        address="70 rue Salvador Allende, 92000 Nanterre",
    )
    return home, neutral


def calendar(m: Measure, *, same: bool = False, from_day=None):
    actor = coordinator_of(m.map_organisation)
    home, neutral = places(m, actor, same=same)
    return services.generate_calendar(
        actor=actor,
        measure=m,
        residential_place=home,
        visiting_place=neutral,
        from_day=from_day or m.starts_on,
    )


def holidays(zone: str, *periods: tuple[date, date]):
    for start, end in periods:
        SchoolHolidayPeriod.objects.create(
            zone=zone, description=f"Vacances {start}", school_year="2025-2026", starts_on=start, ends_on=end
        )
