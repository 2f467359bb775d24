"""The indicator registry: each module declares the figures the evaluation (bilan) publishes.

An indicator is documented (French label and written definition: what is counted, numerator,
denominator, unit, the date that places a fact in a month) and computed by **one function from the
raw tables**. Each module registers its own from `<app>/indicators.py`, imported by its
`AppConfig.ready()`:

    from parcours.core import indicators

    @indicators.register(
        code="pathways.opened",
        label="Séparations déclarées",
        definition="Nombre de déclarations de séparation reçues, placées dans le mois de leur date de déclaration…",
        unit=indicators.COUNT,
        breakdowns=("track",),
    )
    def opened(window: indicators.Window):
        for department, month, track, n in ...:
            yield indicators.Cell(department, month, {"track": track}, numerator=n)

The function yields `Cell`s for every department × month of the window and every combination of
the declared breakdowns it has facts for (the evaluation app adds the totals: department "total",
month "total", a breakdown left out = all its values). The evaluation app stores them
(pre-aggregates), applies statistical secrecy and computes intervals; nothing here shows a person.

Units: COUNT (numerator only, a number of people or facts), SHARE (numerator / denominator, a
proportion of people), and the distributions MEDIAN / P90 (the cell carries `distribution`, a
histogram {value: number of people}, so that medians of any total are exact and bootstrappable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

COUNT = "count"
SHARE = "share"
MEDIAN = "median"
P90 = "p90"
UNITS = (COUNT, SHARE, MEDIAN, P90)


@dataclass(frozen=True)
class Window:
    """The months to compute: first days of months, inclusive; and the departments (codes) wanted.

    `memo` lets indicators that share a costly read (the median and the 90th percentile of one
    delay) compute it once per refresh: `window.shared("key", compute)`.
    """

    start: date
    end: date
    departments: tuple[str, ...] = ()
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def shared(self, key: str, compute: Callable[[], object]):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def end_exclusive(self) -> date:
        """The first day after the window's last month."""
        return date(self.end.year + self.end.month // 12, self.end.month % 12 + 1, 1)

    def months(self) -> list[date]:
        months, current = [], self.start
        while current <= self.end:
            months.append(current)
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
        return months


@dataclass
class Cell:
    department: str
    month: date  # first day of the month
    breakdown: dict[str, str] = field(default_factory=dict)
    numerator: float = 0
    denominator: float | None = None
    # For MEDIAN/P90: {value: count}; the numerator is then the number of people measured.
    distribution: dict[int, int] | None = None


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    definition: str
    unit: str
    compute: Callable[[Window], Iterable[Cell]]
    breakdowns: tuple[str, ...] = ()
    module: str = ""
    # Counts of individuals are subject to statistical secrecy; counts of practices or amounts are not.
    people: bool = True
    # Unit of the values of a distribution, or of a count ("jours ouvrés", "€", "personnes").
    value_unit: str = ""
    order: int = 100


_REGISTRY: dict[str, Indicator] = {}

# French labels of the breakdowns and of their values, declared by the modules that use them.
BREAKDOWN_LABELS: dict[str, str] = {}
VALUE_LABELS: dict[str, dict[str, str]] = {}


def register(
    *,
    code: str,
    label: str,
    definition: str,
    unit: str,
    breakdowns: tuple[str, ...] = (),
    people: bool = True,
    value_unit: str = "",
    order: int = 100,
):
    if unit not in UNITS:
        raise ValueError(f"{code}: unité inconnue {unit}")

    def decorator(func):
        module = func.__module__.split(".")[1] if func.__module__.startswith("parcours.") else ""
        _REGISTRY[code] = Indicator(
            code=code,
            label=label,
            definition=definition,
            unit=unit,
            compute=func,
            breakdowns=tuple(breakdowns),
            module=module,
            people=people,
            value_unit=value_unit,
            order=order,
        )
        return func

    return decorator


def breakdown(name: str, label: str, values: dict[str, str] | None = None) -> None:
    """Declare a breakdown's French label (and of its values): "track" → "Parcours", "protected" → "protégé"."""
    BREAKDOWN_LABELS[name] = label
    if values:
        VALUE_LABELS.setdefault(name, {}).update(values)


def get(code: str) -> Indicator:
    return _REGISTRY[code]


def all_indicators() -> list[Indicator]:
    return sorted(_REGISTRY.values(), key=lambda i: (i.order, i.code))
