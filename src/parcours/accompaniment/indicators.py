"""Counts of the MAP module for the bilan (core.indicators), computed from the raw tables, per
department, month and context (violence, incarceration, both)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from parcours.core import calendar, indicators

indicators.breakdown(
    "context",
    "Contexte de la mesure",
    {
        "violence": "violences conjugales",
        "incarceration": "incarcération",
        "both": "violences et incarcération",
    },
)
indicators.breakdown("end_reason", "Motif de fin")
indicators.breakdown("outcome", "Issue de la remise")
indicators.breakdown("cancelled_by", "Annulée par")


def _month(day: date) -> date:
    return day.replace(day=1)


def _in_window(window: indicators.Window, department: str, month: date) -> bool:
    if window.departments and department not in window.departments:
        return False
    return window.start <= month <= window.end


def _measures():
    from parcours.accompaniment.models import Measure

    return Measure.objects.select_related("household__department")


def _cells(counter: Counter, keys: tuple[str, ...]):
    for (department, month, *values), n in sorted(counter.items()):
        yield indicators.Cell(department, month, dict(zip(keys, values, strict=True)), numerator=n)


@indicators.register(
    code="accompaniment.measures_ordered",
    label="Mesures d'accompagnement protégé ordonnées",
    definition="Nombre de mesures enregistrées, placées dans le mois de la date de la décision du juge.",
    unit=indicators.COUNT,
    breakdowns=("context",),
    order=60,
)
def measures_ordered(window):
    counter = Counter()
    for m in _measures():
        key = (m.household.department.code, _month(m.order_date), m.context)
        if _in_window(window, key[0], key[1]):
            counter[key] += 1
    yield from _cells(counter, ("context",))


def _first_handovers() -> dict[int, date]:
    from django.utils import timezone

    from parcours.accompaniment.models import Handover

    first: dict[int, date] = {}
    for h in (
        Handover.objects.filter(outcome=Handover.Outcome.DONE)
        .select_related("measure__household__department")
        .order_by("from_at")
    ):
        first.setdefault(h.measure_id, timezone.localtime(h.from_at, h.measure.tzinfo).date())
    return first


@indicators.register(
    code="accompaniment.measures_started",
    label="Mesures d'accompagnement protégé commencées",
    definition="Nombre de mesures dont une première remise a été effectuée, placées dans le mois de cette remise.",
    unit=indicators.COUNT,
    breakdowns=("context",),
    order=61,
)
def measures_started(window):
    first = _first_handovers()
    counter = Counter()
    for m in _measures().filter(pk__in=first):
        key = (m.household.department.code, _month(first[m.pk]), m.context)
        if _in_window(window, key[0], key[1]):
            counter[key] += 1
    yield from _cells(counter, ("context",))


@indicators.register(
    code="accompaniment.measures_ended",
    label="Mesures d'accompagnement protégé terminées",
    definition="Nombre de mesures terminées, par motif de fin, placées dans le mois de leur fin.",
    unit=indicators.COUNT,
    breakdowns=("context", "end_reason"),
    order=62,
)
def measures_ended(window):
    counter = Counter()
    for m in _measures().filter(ended_on__isnull=False):
        key = (m.household.department.code, _month(m.ended_on), m.context, m.end_reason)
        if _in_window(window, key[0], key[1]):
            counter[key] += 1
    yield from _cells(counter, ("context", "end_reason"))


@indicators.register(
    code="accompaniment.delay_to_first_handover",
    label="Délai entre la décision et la première remise",
    definition=(
        "Jours ouvrés (calendrier du département) entre la date de la décision et la première remise "
        "effectuée, pour les mesures placées dans le mois de cette remise."
    ),
    unit=indicators.MEDIAN,
    breakdowns=("context",),
    value_unit="jours ouvrés",
    order=63,
)
def delay_to_first_handover(window):
    first = _first_handovers()
    histograms: dict[tuple, Counter] = {}
    for m in _measures().filter(pk__in=first):
        department = m.household.department
        key = (department.code, _month(first[m.pk]), m.context)
        if not _in_window(window, key[0], key[1]):
            continue
        days = calendar.working_days_between(department, m.order_date, first[m.pk])
        histograms.setdefault(key, Counter())[days] += 1
    for (department, month, context), histogram in sorted(histograms.items()):
        yield indicators.Cell(
            department,
            month,
            {"context": context},
            numerator=sum(histogram.values()),
            distribution=dict(histogram),
        )


@indicators.register(
    code="accompaniment.handovers",
    label="Remises accompagnées",
    definition=(
        "Nombre de remises prévues, par issue (effectuée, annulée et par qui, non-présentation, encore prévue), "
        "placées dans le mois de la prise en charge prévue."
    ),
    unit=indicators.COUNT,
    breakdowns=("context", "outcome", "cancelled_by"),
    people=False,
    order=64,
)
def handovers(window):
    from django.utils import timezone

    from parcours.accompaniment.models import Handover

    counter = Counter()
    for h in Handover.objects.select_related("measure__household__department"):
        department = h.measure.household.department
        month = _month(timezone.localtime(h.from_at, department.tzinfo).date())
        key = (department.code, month, h.measure.context, h.outcome, h.cancelled_by or "-")
        if _in_window(window, key[0], key[1]):
            counter[key] += 1
    yield from _cells(counter, ("context", "outcome", "cancelled_by"))


@indicators.register(
    code="accompaniment.incidents",
    label="Incidents lors des remises",
    definition="Nombre d'incidents enregistrés, par catégorie, placés dans le mois de la remise.",
    unit=indicators.COUNT,
    breakdowns=("context", "category"),
    people=False,
    order=65,
)
def incidents(window):
    from django.utils import timezone

    from parcours.accompaniment.models import Incident

    counter = Counter()
    for i in Incident.objects.select_related("handover__measure__household__department"):
        department = i.handover.measure.household.department
        month = _month(timezone.localtime(i.handover.from_at, department.tzinfo).date())
        key = (department.code, month, i.handover.measure.context, i.category)
        if _in_window(window, key[0], key[1]):
            counter[key] += 1
    yield from _cells(counter, ("context", "category"))
