"""Demo data of the MAP module (92 and 974), through the real services (audit and messages included).

In each of the two departments: the partner account's organisation (`partner.<dép>@demo.parcours.fr`
coordinates it) becomes a MAP organisation of the directory, with an accompanist account
(`accompanist.<dép>@demo.parcours.fr`, same password and TOTP as every demo account), a funding
convention and the school holidays of its zone (bundled extract of the official file); a measure in
progress for a season of handovers (some cancelled, one incident), ending within a month; a measure
referred and waiting for the organisation's answer; in 92, a measure in a prison context.
"""

from __future__ import annotations

import contextlib
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from parcours.accompaniment import services
from parcours.accompaniment.models import Accompanist, Handover, MapOrganisation, Measure
from parcours.core import demo
from parcours.core.models import User, UserRole
from parcours.core.roles import Role
from parcours.households.models import Household, Person
from parcours.protection.models import Partner

DEPARTMENTS = {"92": "Tribunal judiciaire de Nanterre", "974": "Tribunal judiciaire de Saint-Denis"}
PLACES = {
    "92": ("Point rencontre de la Caf, Nanterre", "70 rue Salvador Allende, 92000 Nanterre"),
    "974": ("Point rencontre de la Caf, Saint-Denis", "4 rue Champ Fleuri, 97490 Sainte-Clotilde"),
}
HOLIDAYS_FILE = Path(__file__).parent / "data" / "calendrier-scolaire-extrait.csv"


def _accompanist(code: str, organisation, map_org) -> Accompanist:
    from django.conf import settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    email = demo.demo_email(Role.ACCOMPANIST, code)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(
            email=email,
            first_name="Nora" if code == "92" else "Johan",
            last_name="Accompagnante" if code == "92" else "Accompagnant",
            organisation=organisation,
            password=make_password(settings.DEMO_PASSWORD),
        )
        UserRole.objects.create(user=user, role=Role.ACCOMPANIST)
        TOTPDevice.objects.create(user=user, name="Démo", key=demo.demo_totp_key_hex(), confirmed=True)
    return Accompanist.objects.get_or_create(user=user, defaults={"map_organisation": map_org})[0]


def _families(code: str, worker: User) -> list[Household]:
    found = []
    for household in Household.objects.filter(department__code=code, assignments__user=worker).order_by(
        "-restricted", "pk"
    ):
        parents = household.members.filter(role=Person.Role.PARENT).count()
        if parents == 2 and household.members.filter(role=Person.Role.CHILD).exists():
            found.append(household)
    return found


def _order(worker, household, court, **terms) -> Measure:
    mother = household.members.get(role=Person.Role.PARENT, is_declarant=True)
    father = household.members.filter(role=Person.Role.PARENT).exclude(pk=mother.pk).first()
    children = list(household.members.filter(role=Person.Role.CHILD))
    values = {"court": court, "case_number": f"26/{household.pk:05d}", **terms}
    return services.record_order(
        actor=worker,
        household=household,
        residential_parent=mother,
        visiting_parent=father,
        children=children,
        values=values,
    )


def _season(rng, coordinator, accompanist, measure, today) -> tuple[int, int]:
    """Outcomes of the handovers already past: most done, a few cancelled, one incident."""
    cancelled = incidents = 0
    handovers = list(measure.handovers.order_by("from_at"))
    for handover in handovers:
        # Another measure's handover at that time is left for the coordinator to assign.
        with contextlib.suppress(ValidationError):
            services.assign(actor=coordinator, handovers=[handover], accompanist=accompanist)
    past = [h for h in handovers if h.to_at.astimezone(measure.tzinfo).date() < today]
    for index, handover in enumerate(past):
        if index % 7 == 3:
            services.record_outcome(
                actor=coordinator, handover=handover, outcome=Handover.Outcome.CANCELLED,
                cancelled_by=rng.choice([Handover.CancelledBy.VISITING, Handover.CancelledBy.RESIDENTIAL]),
                notice_hours=rng.choice([2, 24, 48]),
            )  # fmt: skip
            cancelled += 1
        elif index == 4 and not incidents:
            services.record_outcome(
                actor=coordinator, handover=handover, outcome=Handover.Outcome.DONE,
                incidents=[services.IncidentInput(
                    "verbal", "Le parent visiteur a haussé le ton et interrogé l'enfant sur son école.", measure.visiting_parent,
                )],
                child_words="A dit qu'il était content de voir son père mais fatigué du trajet.",
            )  # fmt: skip
            incidents += 1
        else:
            services.record_outcome(actor=coordinator, handover=handover, outcome=Handover.Outcome.DONE)
    return cancelled, incidents


@demo.register("Accompagnement protégé (MAP)", order=50)
def seed_accompaniment(*, rng, scale, stdout):
    measures = cancelled = incidents = 0
    content = HOLIDAYS_FILE.read_bytes()
    for code, court in DEPARTMENTS.items():
        pilot = User.objects.get(email=demo.demo_email("local_pilot", code))
        worker = User.objects.get(email=demo.demo_email("social_worker", code))
        coordinator = User.objects.get(email=demo.demo_email("partner", code))
        organisation = coordinator.organisation
        partner = Partner.objects.filter(department__code=code, name=organisation.name).first()
        if partner is None:
            partner = Partner.objects.create(
                department=pilot.department, name=organisation.name, kind=Partner.Kind.OTHER
            )
        map_org = MapOrganisation.objects.get_or_create(
            organisation=organisation,
            defaults={"partner": partner, "report_header": f"{partner.address}\n{partner.phone}".strip()},
        )[0]
        accompanist = _accompanist(code, organisation, map_org)
        services.load_school_holidays(actor=pilot, content=content)
        today = pilot.department.local_today()
        services.save_convention(
            actor=pilot, map_organisation=map_org, year=today.year, amount=Decimal("48000.00"), measures_planned=12,
            reference=f"COF-{code}-{today.year}",
        )  # fmt: skip
        families = _families(code, worker)
        label, address = PLACES[code]
        # 1. In progress for a season, ending within the month (the 30-day alert).
        if families:
            start = today - timedelta(days=120)
            measure = _order(
                worker, families[0], court, order_date=start - timedelta(days=20), starts_on=start,
                ends_on=today + timedelta(days=25), first_visit_on=start + timedelta(days=(5 - start.weekday()) % 7),
                visit_days=0, pickup_time=time(10), return_time=time(17), holidays=Measure.Holidays.FIRST_HALF,
                context=Measure.Context.VIOLENCE, meeting_place="Espace de rencontre de la Caf",
            )  # fmt: skip
            services.refer(actor=worker, measure=measure, map_organisation=map_org)
            services.answer_referral(actor=coordinator, measure=measure, accept=True)
            home = services.add_place(
                actor=coordinator,
                measure=measure,
                label="Domicile de la mère",
                address="(adresse communiquée à l'association)",
                is_home=True,
            )
            neutral = services.add_place(actor=coordinator, measure=measure, label=label, address=address)
            services.generate_calendar(
                actor=coordinator,
                measure=measure,
                residential_place=home,
                visiting_place=neutral,
                from_day=start,
            )
            c, i = _season(rng, coordinator, accompanist, measure, today)
            cancelled, incidents, measures = cancelled + c, incidents + i, measures + 1
        # 2. Referred, waiting for the organisation's answer.
        if len(families) > 1:
            measure = _order(
                worker, families[1], court, order_date=today - timedelta(days=6), starts_on=today + timedelta(days=7),
                ends_on=today + timedelta(days=190), first_visit_on=today + timedelta(days=7 + (2 - today.weekday()) % 7),
                rhythm=Measure.Rhythm.FORTNIGHTLY, pickup_time=time(14), return_time=time(18),
            )  # fmt: skip
            services.refer(actor=worker, measure=measure, map_organisation=map_org)
            measures += 1
        # 3. In 92: one parent in prison; visits on the slots the establishment grants.
        if code == "92" and len(families) > 2:
            start = today - timedelta(days=40)
            measure = _order(
                worker, families[2], court, order_date=start - timedelta(days=15), starts_on=start,
                ends_on=today + timedelta(days=140), first_visit_on=start, rhythm=Measure.Rhythm.PRISON,
                context=Measure.Context.INCARCERATION, prison_name="Maison d'arrêt des Hauts-de-Seine (Nanterre)",
                visit_kind=Measure.VisitKind.FAMILY, visit_permit="PV-2026-0412",
            )  # fmt: skip
            services.refer(actor=worker, measure=measure, map_organisation=map_org)
            services.answer_referral(actor=coordinator, measure=measure, accept=True)
            home = services.add_place(
                actor=coordinator,
                measure=measure,
                label="Domicile de l'enfant",
                address="(adresse communiquée à l'association)",
                is_home=True,
            )
            prison = services.add_place(
                actor=coordinator,
                measure=measure,
                label="Maison d'arrêt (accueil des familles)",
                address="133 avenue de la Commune de Paris, 92000 Nanterre",
            )
            tz = measure.tzinfo
            from datetime import datetime

            slots = []
            for week in range(0, 10, 2):
                day = start + timedelta(days=week * 7 + (2 - start.weekday()) % 7)
                begins = datetime.combine(day, time(14, 30), tzinfo=tz)
                slots.append(services.PrisonSlot(begins, begins + timedelta(hours=1), f"RES-{week:02d}"))
            services.add_prison_slots(
                actor=coordinator, measure=measure, slots=slots, residential_place=home, prison_place=prison
            )
            past = [h for h in measure.handovers.order_by("from_at") if h.to_at.astimezone(tz).date() < today]
            for index, handover in enumerate(past):
                services.record_outcome(
                    actor=coordinator, handover=handover,
                    outcome=Handover.Outcome.CANCELLED if index in (2, 3) else Handover.Outcome.DONE,
                    cancelled_by=Handover.CancelledBy.ESTABLISHMENT if index in (2, 3) else "",
                )  # fmt: skip
            measures += 1
    return (
        f"{measures} mesures d'accompagnement protégé, {cancelled} remises annulées, {incidents} incident(s)"
    )
