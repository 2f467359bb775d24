"""The figures of the dashboard and of the bilan PDF, as text ready to show (one builder for both)."""

from __future__ import annotations

from parcours.core import indicators, secrecy
from parcours.evaluation import charts, publication, tables
from parcours.evaluation.publication import TOTAL

TITLES = {
    "pathways": "Parcours séparation",
    "workshops": "Séances « Parents après la séparation »",
    "protection": "Aide universelle d'urgence",
}


def _modules() -> list[tuple[str, str]]:
    """The modules that registered indicators, in the registry's order (MAP, doctrine… as they land)."""
    from django.apps import apps

    seen: list[str] = []
    for indicator in indicators.all_indicators():
        if indicator.module not in seen:
            seen.append(indicator.module)
    return [(m, TITLES.get(m) or apps.get_app_config(m).verbose_name) for m in seen]


def _label(name: str, value: str) -> str:
    if value == TOTAL:
        return "Ensemble"
    return indicators.VALUE_LABELS.get(name, {}).get(value, value)


def _text(figure, unit: str, value_unit: str = "") -> dict:
    """A cell as shown: its text, its interval, whether secrecy hides it."""
    if figure.hidden:
        return {"hidden": True, "text": secrecy.hidden_label()}
    if figure.value is None:
        return {"text": "—"}
    text = charts.number(figure.value, unit)
    interval = ""
    if figure.low is not None and figure.high is not None:
        interval = f"{charts.number(figure.low, unit)} à {charts.number(figure.high, unit)}"
    detail = ""
    if unit == indicators.SHARE and figure.denominator:
        detail = f"{charts.number(figure.numerator, indicators.COUNT)} / {charts.number(figure.denominator, indicators.COUNT)}"
    return {"text": text, "interval": interval, "detail": detail}


def _columns(pub) -> list[tuple[dict, str]]:
    return [
        (combo, ", ".join(_label(name, value) for name, value in combo.items()) or "Ensemble")
        for combo in pub.columns()
    ]


def _figure(pub, scope: str, department_names: dict, previous) -> dict:
    indicator = pub.indicator
    department = TOTAL if scope == tables.NATIONAL else scope
    columns = _columns(pub)
    unit = indicator.unit

    def row(label, dep, month):
        return {"label": label, "cells": [_text(pub.get(dep, month, **combo), unit) for combo, _ in columns]}

    month_rows = [row(f"{charts.MONTHS[m.month - 1]} {m.year}", department, m) for m in pub.months]
    month_rows.append(row(f"Année {pub.year}", department, TOTAL))
    department_rows = [row(department_names.get(d, d), d, TOTAL) for d in pub.departments]
    department_rows.append(row("Ensemble des départements", TOTAL, TOTAL))
    scope_name = "France entière" if scope == tables.NATIONAL else department_names.get(scope, scope)
    return {
        "indicator": indicator,
        "headline": _text(pub.get(department), unit),
        "chart": charts.monthly(pub, department, f"{indicator.label}, par mois, {scope_name}, {pub.year}"),
        "columns": [label for _, label in columns],
        "month_rows": month_rows,
        "department_rows": department_rows,
        "comparisons": [
            {"label": c["label"], **_text_interval(c["interval"])}
            for c in publication.comparisons(pub, department, previous)
        ],
        "hidden_primary": pub.hidden_primary,
        "hidden_secondary": pub.hidden_secondary,
    }


def _text_interval(interval) -> dict:
    points = lambda v: f"{v * 100:+.0f} points".replace("+", "+\u202f").replace("-", "−\u202f")  # noqa: E731
    return {
        "text": points(interval.estimate),
        "interval": f"{points(interval.low)} à {points(interval.high)}",
    }


def dashboard_sections(scope: str, year: int, years: list[int], names: dict) -> list[dict]:
    sections = []
    for module, title in _modules():
        figures = []
        for indicator in indicators.all_indicators():
            if indicator.module != module:
                continue
            pub = publication.publication(indicator.code, year)
            previous = publication.publication(indicator.code, year - 1) if year - 1 in years else None
            figures.append(_figure(pub, scope, names, previous))
        sections.append({"id": module, "title": title, "figures": figures})
    return sections


def dashboard_fragments(
    *, scope: str, year: int, years: list[int], names: dict, scope_name: str
) -> list[dict]:
    """The dashboard's sections, each indicator as HTML rendered once per refresh × scope × year
    and kept in the cache (the page then costs one cache read, not ~3,000 table cells)."""
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    refresh = publication.latest_refresh()
    version = publication.refresh_version(refresh)
    modules = _modules()
    wanted = {
        indicator.code: f"evaluation.fragment.{version}.{indicator.code}.{year}.{scope}"
        for indicator in indicators.all_indicators()
    }
    cached = cache.get_many(list(wanted.values()))
    fresh = {}
    sections = []
    for module, title in modules:
        fragments = []
        position = 0
        for indicator in indicators.all_indicators():
            if indicator.module != module:
                continue
            position += 1
            key = wanted[indicator.code]
            html = cached.get(key)
            if html is None:
                pub = publication.publication(indicator.code, year)
                previous = publication.publication(indicator.code, year - 1) if year - 1 in years else None
                html = str(
                    render_to_string(
                        "backoffice/evaluation/_indicator.html",
                        {
                            "f": _figure(pub, scope, names, previous),
                            "section_id": module,
                            "position": str(position),
                            "scope_name": scope_name,
                            "year": year,
                            "threshold": secrecy.threshold(),
                        },
                    )
                )
                fresh[key] = html
            fragments.append(mark_safe(html))  # noqa: S308  (our own template's output, escaped when rendered)
        sections.append({"id": module, "title": title, "fragments": fragments})
    if fresh:
        cache.set_many(fresh, publication.CACHE_SECONDS)
    return sections
