"""Indicators of the doctrine for the bilan (core/indicators.py). Counts of practices and amounts:
not people, so no statistical secrecy. A practice is placed in the month it was created; a funding
row in January of its year."""

from __future__ import annotations

from collections import Counter
from datetime import date

from parcours.core import indicators
from parcours.doctrine.models import Dimension, Funding, Practice

indicators.breakdown("state", "État de la fiche", dict(Practice.State.choices))
indicators.breakdown("dimension", "Dimension", dict(Dimension.choices))
indicators.breakdown("theme", "Thème")
indicators.breakdown("year", "Année de mise en place")
indicators.breakdown("source", "Source de financement", dict(Funding.Source.choices))


def _month(value) -> date:
    return date(value.year, value.month, 1)


def _practices(window: indicators.Window):
    qs = Practice.objects.select_related("department").filter(
        created_at__date__gte=window.start, created_at__date__lt=_after(window.end)
    )
    if window.departments:
        qs = qs.filter(department__code__in=window.departments)
    return qs


def _after(end: date) -> date:
    return date(end.year + (end.month == 12), end.month % 12 + 1, 1)


@indicators.register(
    code="doctrine.practices",
    label="Fiches pratiques",
    definition=(
        "Nombre de fiches pratiques de la Caf (doctrine contre les violences conjugales), placées dans le mois de "
        "leur création, par état actuel (brouillon, soumise, à revoir, validée, publiée, archivée)."
    ),
    unit=indicators.COUNT,
    breakdowns=("state",),
    people=False,
    value_unit="fiches",
    order=600,
)
def practices_by_state(window):
    counts = Counter((p.department.code, _month(p.created_at), p.state) for p in _practices(window))
    for (department, month, state), n in sorted(counts.items()):
        yield indicators.Cell(department, month, {"state": state}, numerator=n)


@indicators.register(
    code="doctrine.practices_by_dimension",
    label="Fiches pratiques par dimension renseignée",
    definition=(
        "Nombre de fiches pratiques (hors brouillons) qui renseignent chaque dimension : rôle de la Caf, moyens, "
        "partenaires, financement, innovation et résultats ; une fiche compte dans chaque dimension qu'elle renseigne."
    ),
    unit=indicators.COUNT,
    breakdowns=("dimension",),
    people=False,
    value_unit="fiches",
    order=601,
)
def practices_by_dimension(window):
    counts = Counter()
    for p in _practices(window).exclude(state=Practice.State.DRAFT):
        for dimension in p.dimensions:
            counts[(p.department.code, _month(p.created_at), dimension)] += 1
    for (department, month, dimension), n in sorted(counts.items()):
        yield indicators.Cell(department, month, {"dimension": dimension}, numerator=n)


@indicators.register(
    code="doctrine.practices_by_theme",
    label="Fiches pratiques publiées par thème",
    definition="Nombre de fiches publiées portant chaque thème de la doctrine (une fiche peut en porter plusieurs).",
    unit=indicators.COUNT,
    breakdowns=("theme",),
    people=False,
    value_unit="fiches",
    order=602,
)
def practices_by_theme(window):
    counts = Counter()
    for p in _practices(window).filter(state=Practice.State.PUBLISHED).prefetch_related("themes"):
        for theme in p.themes.all():
            counts[(p.department.code, _month(p.created_at), theme.code)] += 1
    for (department, month, theme), n in sorted(counts.items()):
        yield indicators.Cell(department, month, {"theme": theme}, numerator=n)


@indicators.register(
    code="doctrine.practices_by_year",
    label="Fiches pratiques par année de mise en place",
    definition="Nombre de fiches pratiques (hors brouillons) par année de mise en place de la pratique.",
    unit=indicators.COUNT,
    breakdowns=("year",),
    people=False,
    value_unit="fiches",
    order=603,
)
def practices_by_year(window):
    counts = Counter(
        (p.department.code, _month(p.created_at), str(p.started_year))
        for p in _practices(window).exclude(state=Practice.State.DRAFT).exclude(started_year=None)
    )
    for (department, month, year), n in sorted(counts.items()):
        yield indicators.Cell(department, month, {"year": year}, numerator=n)


@indicators.register(
    code="doctrine.funding",
    label="Financement des pratiques",
    definition=(
        "Somme des montants de financement déclarés sur les fiches pratiques validées ou publiées, placée en "
        "janvier de l'année du financement, par source (prestation de service, fonds locaux, État, collectivité, autre)."
    ),
    unit=indicators.COUNT,
    breakdowns=("source",),
    people=False,
    value_unit="€",
    order=604,
)
def funding_by_source(window):
    qs = Funding.objects.select_related("practice__department").filter(
        practice__state__in=(Practice.State.VALIDATED, Practice.State.PUBLISHED),
        year__gte=window.start.year,
        year__lte=window.end.year,
    )
    if window.departments:
        qs = qs.filter(practice__department__code__in=window.departments)
    totals = Counter()
    for f in qs:
        month = date(f.year, 1, 1)
        if window.start <= month <= window.end:
            totals[(f.practice.department.code, month, f.source)] += float(f.amount)
    for (department, month, source), amount in sorted(totals.items()):
        yield indicators.Cell(department, month, {"source": source}, numerator=amount)
