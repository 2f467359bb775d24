"""What the evaluation publishes: for one indicator and one calendar year, the cube department ×
month × breakdown(s) with every margin (department "total", month "total", a breakdown's
"total"), read from the pre-aggregates only, with statistical secrecy applied (core.secrecy) and
intervals computed (evaluation.stats).

Every page, chart, export and the PDF read a `Publication`: they cannot show a cell the secrecy
hid. The period is always a whole calendar year: two overlapping periods (January–June and
January–July) would let anyone subtract their totals and rebuild a hidden month.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.core.cache import cache

from parcours.core import indicators, secrecy
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.evaluation import stats
from parcours.evaluation.models import Aggregate, Refresh

TOTAL = "total"
CACHE_SECONDS = 7 * 24 * 3600


@dataclass
class Figure:
    """One published cell."""

    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    low: float | None = None
    high: float | None = None
    hidden: bool = False
    primary: bool = False  # hidden because it rests on too few people (else: to protect another cell)
    people: float = 0

    @property
    def empty(self) -> bool:
        return not self.hidden and not self.people and self.value is None


@dataclass
class Publication:
    code: str
    year: int
    departments: list[str]
    months: list[date]
    dimensions: list[tuple[str, list[str]]]  # breakdown name → its values (without the total)
    cells: dict[tuple, Figure] = field(default_factory=dict)
    hidden_primary: int = 0
    hidden_secondary: int = 0
    # The additive tables behind the cells (margins last on each axis) and the hidden mask: what
    # an attacker would work from, kept for the attacker test.
    tables: list = field(default_factory=list)
    hidden: object = None

    @property
    def indicator(self) -> indicators.Indicator:
        return indicators.get(self.code)

    def axes(self) -> list[list]:
        return [self.departments + [TOTAL], self.months + [TOTAL]] + [
            values + [TOTAL] for _, values in self.dimensions
        ]

    def get(self, department=TOTAL, month=TOTAL, **breakdown) -> Figure:
        key = (department, month) + tuple(breakdown.get(name, TOTAL) for name, _ in self.dimensions)
        return self.cells.get(key, Figure())

    def columns(self) -> list[dict[str, str]]:
        """Each combination of breakdown values (totals included), first dimension outermost."""
        combos = itertools.product(*[values + [TOTAL] for _, values in self.dimensions])
        return [dict(zip([name for name, _ in self.dimensions], combo, strict=True)) for combo in combos]


def _values_of(name: str, observed: set[str]) -> list[str]:
    declared = list(indicators.VALUE_LABELS.get(name, {}))
    return declared + sorted(observed - set(declared))


def _months(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


def latest_refresh() -> Refresh | None:
    return Refresh.objects.filter(status=Refresh.Status.DONE).order_by("-pk").first()


def refresh_version(refresh: Refresh | None) -> str:
    """The cache version of a refresh: its number and when it started (a restored or reset database
    may give a number again; never the same instant), so a stale publication is never served."""
    if refresh is None:
        return "0"
    return f"{refresh.pk}-{int(refresh.started_at.timestamp() * 1_000_000)}"


def _cache_key(code: str, year: int, version: str) -> str:
    return f"evaluation.publication.{version}.{code}.{year}"


def forget() -> None:
    """Nothing to purge: publications are cached under the refresh's number (a new refresh, new keys)."""


def publication(code: str, year: int, *, use_cache: bool = True) -> Publication:
    refresh = latest_refresh()
    key = _cache_key(code, year, refresh_version(refresh))
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = build(code, year)
    if use_cache:
        cache.set(key, result, CACHE_SECONDS)
    return result


def build(code: str, year: int, rows=None) -> Publication:
    """The cube of one indicator for one year, from the stored rows (or the given ones, for tests)."""
    indicator = indicators.get(code)
    months = _months(year)
    if rows is None:
        rows = Aggregate.objects.filter(indicator=code, month__gte=months[0], month__lte=months[-1]).values(
            "department", "month", "breakdown", "numerator", "denominator", "distribution"
        )
    rows = list(rows)
    departments = sorted({r["department"] for r in rows} | set(PILOT_DEPARTMENTS))
    observed: dict[str, set[str]] = {name: set() for name in indicator.breakdowns}
    for row in rows:
        for name in indicator.breakdowns:
            if name in row["breakdown"]:
                observed[name].add(row["breakdown"][name])
    dimensions = [(name, _values_of(name, observed[name])) for name in indicator.breakdowns]
    pub = Publication(code, year, departments, months, dimensions)
    shape = [len(departments), len(months)] + [len(values) for _, values in dimensions]
    numerators, denominators = np.zeros(shape), np.zeros(shape)
    histograms: dict[tuple, Counter] = {}
    index_of = [
        {d: i for i, d in enumerate(departments)},
        {m: i for i, m in enumerate(months)},
    ] + [{v: i for i, v in enumerate(values)} for _, values in dimensions]
    for row in rows:
        key = (row["department"], row["month"]) + tuple(row["breakdown"].get(name) for name, _ in dimensions)
        position = tuple(index_of[axis][value] for axis, value in enumerate(key))
        numerators[position] += row["numerator"]
        denominators[position] += row["denominator"] or 0
        if row["distribution"]:
            histograms.setdefault(position, Counter()).update(
                {int(k): v for k, v in row["distribution"].items()}
            )
    numerators, denominators = secrecy.with_margins(numerators), secrecy.with_margins(denominators)
    full_shape = numerators.shape
    unit = indicator.unit
    people = denominators if unit == indicators.SHARE else numerators
    if indicator.people:
        sensitive = np.vectorize(secrecy.too_small)(people)
        if unit == indicators.SHARE:
            sensitive |= np.vectorize(secrecy.too_small)(numerators)
        tables = [numerators, denominators] if unit == indicators.SHARE else [numerators]
        hidden = secrecy.protect(tables, sensitive)
    else:
        sensitive = hidden = np.zeros(full_shape, dtype=bool)
    if indicator.people:
        pub.tables, pub.hidden = tables, hidden
    pub.hidden_primary = int(sensitive.sum())
    pub.hidden_secondary = int(hidden.sum() - sensitive.sum())
    distributions = (
        _margin_histograms(histograms, full_shape) if unit in (indicators.MEDIAN, indicators.P90) else {}
    )
    axes = pub.axes()
    quantile = 0.9 if unit == indicators.P90 else 0.5
    for position in itertools.product(*[range(n) for n in full_shape]):
        key = tuple(axes[axis][i] for axis, i in enumerate(position))
        figure = Figure(people=float(people[position]))
        if hidden[position]:
            figure.hidden, figure.primary = True, bool(sensitive[position])
        elif unit == indicators.COUNT:
            figure.value = figure.numerator = float(numerators[position])
        elif unit == indicators.SHARE:
            figure.numerator, figure.denominator = float(numerators[position]), float(denominators[position])
            interval = stats.wilson(figure.numerator, figure.denominator)
            if interval is not None:
                figure.value, figure.low, figure.high = interval.estimate, interval.low, interval.high
        else:
            figure.numerator = float(numerators[position])
            histogram = distributions.get(position)
            if histogram:
                interval = stats.bootstrap(histogram, quantile)
                figure.value, figure.low, figure.high = interval.estimate, interval.low, interval.high
        pub.cells[key] = figure
    return pub


def _margin_histograms(histograms: dict[tuple, Counter], shape) -> dict[tuple, Counter]:
    """The histogram of every cell of the cube, margins included (a margin merges its line's people)."""
    result: dict[tuple, Counter] = {}
    for position, histogram in histograms.items():
        # each interior cell contributes to every cell obtained by replacing any subset of its
        # coordinates with the margin index
        for mask in itertools.product((False, True), repeat=len(shape)):
            target = tuple(shape[a] - 1 if m else position[a] for a, m in enumerate(mask))
            result.setdefault(target, Counter()).update(histogram)
    return result


def comparisons(pub: Publication, department: str, previous: Publication | None) -> list[dict]:
    """Differences of shares, with Newcombe's interval: each breakdown value against the first one,
    and the year against the previous year (only between two visible cells)."""
    if pub.indicator.unit != indicators.SHARE:
        return []
    result = []
    for name, values in pub.dimensions:
        if len(values) < 2:
            continue
        reference = pub.get(department, **{name: values[0]})
        for value in values[1:]:
            other = pub.get(department, **{name: value})
            if reference.hidden or other.hidden or not reference.denominator or not other.denominator:
                continue
            diff = stats.newcombe(
                other.numerator, other.denominator, reference.numerator, reference.denominator
            )
            result.append(
                {
                    "label": f"{indicators.VALUE_LABELS.get(name, {}).get(value, value)} − "
                    f"{indicators.VALUE_LABELS.get(name, {}).get(values[0], values[0])}",
                    "interval": diff,
                }
            )
    if previous is not None:
        now, before = pub.get(department), previous.get(department)
        if not now.hidden and not before.hidden and now.denominator and before.denominator:
            result.append(
                {
                    "label": f"{pub.year} − {previous.year}",
                    "interval": stats.newcombe(
                        now.numerator, now.denominator, before.numerator, before.denominator
                    ),
                }
            )
    return result


def years_available() -> list[int]:
    months = Aggregate.objects.dates("month", "year")
    return sorted({m.year for m in months}, reverse=True)


def warm(years: list[int] | None = None) -> int:
    """Compute and cache every indicator's publication for the given years (after a refresh)."""
    count = 0
    for year in years or years_available()[:2]:
        for indicator in indicators.all_indicators():
            publication(indicator.code, year)
            count += 1
    return count
