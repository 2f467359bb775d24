"""Records of the MAP module for the authorization matrix and the canaries.

On each variant's household, a measure referred to and accepted by a MAP organisation, with places, a
short calendar, a handover assigned to an accompanist, an incident with a narrative, and a signed report:
- own: the referent is the social-worker principal, the organisation is the partner principal's, the
  accompanist principal does the handover — they all open it;
- restricted: same department, another referent (the assignee), another organisation and accompanist;
- other: another department.
"""

from __future__ import annotations

from datetime import date, time

from parcours.accompaniment import ics, services
from parcours.accompaniment.models import Accompanist, Measure
from parcours.households.models import Person
from tests.accompaniment import factories as af
from tests.authz.registry import kind, url_kwargs
from tests.authz.world import OTHER, OWN
from tests.protection import factories as pf

NARRATIVE = "CANARY-recit-incident-5c2e"
TERMS = {
    **af.TERMS,
    "starts_on": date(2026, 3, 1),
    "ends_on": date(2026, 3, 31),
    "first_visit_on": date(2026, 3, 14),
    "pickup_time": time(10),
}


def map_records(world, variant: str) -> dict:
    def build():
        household = world.household(variant)
        code = OTHER if variant == "other" else OWN
        if variant == "own":
            org = af.map_organisation(code, organisation=world.users["partner"].organisation)
            # In a world where a violence report restricted the household, the principals stay unassigned.
            referent = world.assignee if household.restricted else world.users["social_worker"]
            coordinator = world.users["partner"]
            accompanist = Accompanist.objects.get_or_create(
                user=world.users["accompanist"], map_organisation=org
            )[0]
        else:
            org = af.map_organisation(code)
            referent = world.assignee if variant == "restricted" else world.other_department_user
            coordinator = af.coordinator(org)
            accompanist = af.accompanist(org)
        mother = household.members.get(role=Person.Role.PARENT, is_declarant=True)
        father = household.members.filter(role=Person.Role.PARENT).exclude(pk=mother.pk).first()
        child = household.members.filter(role=Person.Role.CHILD).first()
        measure = services.record_order(
            actor=referent, household=household, residential_parent=mother, visiting_parent=father,
            children=[child], values=TERMS, order_file=pf.upload("ordonnance.png", pf.png_bytes()),
        )  # fmt: skip
        services.refer(actor=referent, measure=measure, map_organisation=org)
        services.answer_referral(actor=coordinator, measure=measure, accept=True)
        home = services.add_place(
            actor=coordinator, measure=measure, label="Domicile A", address="2 allée du Parc", is_home=True
        )
        neutral = services.add_place(
            actor=coordinator, measure=measure, label="Point rencontre", address="1 place de la Gare"
        )
        handovers = services.generate_calendar(
            actor=coordinator,
            measure=measure,
            residential_place=home,
            visiting_place=neutral,
            from_day=TERMS["starts_on"],
        )
        first = min(handovers, key=lambda h: h.from_at)
        services.assign(actor=coordinator, handovers=[first], accompanist=accompanist)
        services.record_outcome(
            actor=coordinator, handover=first, outcome="done",
            incidents=[services.IncidentInput("threat", f"{NARRATIVE} menace à la remise", father)],
            child_words=f"{NARRATIVE} paroles",
        )  # fmt: skip
        report = services.draft_report(
            actor=coordinator, measure=measure, period_start=TERMS["starts_on"], period_end=TERMS["ends_on"],
            observations="Remises régulières.",
        )  # fmt: skip
        services.sign_report(actor=coordinator, report=report)
        accompanist.feed_enabled = True
        accompanist.save()
        return {
            "measure": Measure.objects.get(pk=measure.pk),
            "handover": first,
            "report": report,
            "accompanist": accompanist,
            "coordinator": coordinator,
        }

    return world.memo(("accompaniment", variant), build)


@kind("measure")
def measure(world, variant):
    return {"pk": map_records(world, variant)["measure"].pk}


@kind("handover")
def handover(world, variant):
    return {"pk": map_records(world, variant)["handover"].pk}


@kind("judge_report")
def judge_report(world, variant):
    return {"pk": map_records(world, variant)["report"].pk}


@url_kwargs("backoffice:map-agenda")
def agenda(world):
    return {"token": ics.token_for(map_records(world, "own")["accompanist"])}
