"""The published figures as rows (exports, the bilan) and the scopes a person may ask for.

Every row comes from a `Publication` (evaluation.publication): hidden cells are written as
"< 11" (the threshold's value) in every numeric column; nothing else can be read from them.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from parcours.core import exports, indicators, policy, secrecy
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.evaluation import publication as publications
from parcours.evaluation.publication import TOTAL

NATIONAL = "national"
UNIT_LABELS = {
    indicators.COUNT: "effectif",
    indicators.SHARE: "part",
    indicators.MEDIAN: "médiane",
    indicators.P90: "90e centile",
}


def clean_scope(scope: str) -> str:
    scope = (scope or NATIONAL).strip()
    if scope == NATIONAL:
        return scope
    from parcours.core.models import Department

    if not Department.objects.filter(code=scope).exists():
        raise ValueError(
            f"Périmètre inconnu « {scope} » : un code de département (92, 974…) ou « national »."
        )
    return scope


def scopes_for(actor) -> list[str]:
    """The scopes a person may choose: the national pilot every one, a local pilot their department."""
    if policy.can(actor, "evaluation.view_national"):
        return [NATIONAL, *PILOT_DEPARTMENTS]
    if policy.can(actor, "evaluation.view") and actor.department_code:
        return [actor.department_code]
    return []


def allowed_scope(actor, scope: str | None) -> str:
    scopes = scopes_for(actor)
    if not scopes:
        raise PermissionDenied
    return scope if scope in scopes else scopes[0]


def _month_text(value: str) -> date:
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"Mois « {value} » illisible : écrivez AAAA-MM (2026-01).") from None


def year_of(start: str, end: str) -> int:
    """The calendar year a --from/--to pair designates (publications are by whole calendar year:
    two overlapping periods would let anyone subtract their totals and rebuild a hidden month)."""
    if not start and not end:
        return timezone.localdate().year
    first = _month_text(start or end)
    last = _month_text(end or start)
    if first.month != 1 or last.month != 12 or first.year != last.year:
        raise ValueError(
            "Les chiffres se publient par année civile entière (--from AAAA-01 --to AAAA-12) : deux "
            "périodes qui se chevauchent permettraient de retrouver par différence une case masquée."
        )
    return first.year


def clean_year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def departments_of(pub, scope: str) -> list[str]:
    return [*pub.departments, TOTAL] if scope == NATIONAL else [scope]


def _value_text(figure, unit: str):
    if figure.hidden:
        return secrecy.hidden_label()
    if figure.value is None:
        return None
    return round(figure.value, 4) if unit == indicators.SHARE else figure.value


HEADERS_BEFORE = ["indicator", "label", "unit", "department", "month"]
HEADERS_AFTER = ["value", "numerator", "denominator", "low", "high"]


def breakdown_names() -> list[str]:
    names: list[str] = []
    for indicator in indicators.all_indicators():
        names += [n for n in indicator.breakdowns if n not in names]
    return names


def figure_rows(*, scope: str, year: int, progress=None):
    """One row per indicator × department × month × breakdown, totals included."""
    names = breakdown_names()
    all_indicators = indicators.all_indicators()
    hidden = secrecy.hidden_label()
    for done, indicator in enumerate(all_indicators):
        pub = publications.publication(indicator.code, year)
        months = [*pub.months, TOTAL]
        for department in departments_of(pub, scope):
            for month in months:
                for breakdown in pub.columns():
                    figure = pub.get(department, month, **breakdown)
                    if figure.empty and month != TOTAL:
                        continue  # a month without any fact
                    row = [
                        indicator.code,
                        indicator.label,
                        UNIT_LABELS[indicator.unit],
                        department,
                        month if month == TOTAL else month.strftime("%Y-%m"),
                    ]
                    row += [breakdown.get(name, "") for name in names]
                    if figure.hidden:
                        row += [hidden] * 5
                    else:
                        row += [
                            _value_text(figure, indicator.unit),
                            figure.numerator,
                            figure.denominator,
                            None if figure.low is None else round(figure.low, 4),
                            None if figure.high is None else round(figure.high, 4),
                        ]
                    yield row
        if progress:
            progress(done + 1, len(all_indicators))


def figures_table(*, scope: str, year: int, progress=None) -> exports.Table:
    return exports.Table(
        headers=HEADERS_BEFORE + breakdown_names() + HEADERS_AFTER,
        rows=list(figure_rows(scope=scope, year=year, progress=progress)),
        title=f"Bilan {scope} {year}",
    )
