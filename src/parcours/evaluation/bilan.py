"""The bilan as a PDF (WeasyPrint): method, definitions, figures with intervals, suppressed cells
explained, national context. Built from the same publications as the dashboard."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from parcours.core import indicators, secrecy
from parcours.core.models import Department
from parcours.evaluation import publication, tables
from parcours.evaluation.dashboard import dashboard_sections
from parcours.evaluation.models import ContextFigure


def bilan_html(*, scope: str, year: int) -> str:
    names = dict(Department.objects.values_list("code", "name"))
    years = publication.years_available()
    sections = dashboard_sections(scope, year, years, names)
    return render_to_string(
        "evaluation/bilan.html",
        {
            "scope_name": "France entière"
            if scope == tables.NATIONAL
            else f"{names.get(scope, scope)} ({scope})",
            "year": year,
            "sections": sections,
            "indicators": indicators.all_indicators(),
            "units": tables.UNIT_LABELS,
            "context": ContextFigure.objects.all(),
            "threshold": secrecy.threshold(),
            "refresh": publication.latest_refresh(),
            "now": timezone.now(),
            "hidden_primary": sum(f["hidden_primary"] for s in sections for f in s["figures"]),
            "hidden_secondary": sum(f["hidden_secondary"] for s in sections for f in s["figures"]),
        },
    )


def render_pdf(*, actor, scope: str, year: int, progress=None) -> bytes:
    from weasyprint import HTML

    if progress:
        progress(0, 2)
    html = bilan_html(scope=scope, year=year)
    if progress:
        progress(1, 2)
    return HTML(string=html).write_pdf()
