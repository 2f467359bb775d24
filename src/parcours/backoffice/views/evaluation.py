"""The evaluation's staff pages: the bilan's dashboard, the definitions, the national context.

Aggregates only: every figure comes from a `Publication` (pre-aggregates, statistical secrecy
applied); nothing here reads a household.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from parcours.core import indicators, policy, secrecy
from parcours.core.models import Department
from parcours.evaluation import publication, tables
from parcours.evaluation.dashboard import dashboard_fragments
from parcours.evaluation.forms import ContextFigureForm
from parcours.evaluation.models import ContextFigure, Refresh


def dashboard(request):
    actor = request.user
    scope = tables.allowed_scope(actor, request.GET.get("perimetre"))
    years = publication.years_available()
    year = tables.clean_year(request.GET.get("annee") or (years[0] if years else None))
    names = dict(Department.objects.values_list("code", "name"))
    scope_name = "France entière" if scope == tables.NATIONAL else f"{names.get(scope, scope)} ({scope})"
    sections = dashboard_fragments(scope=scope, year=year, years=years, names=names, scope_name=scope_name)
    return render(
        request,
        "backoffice/evaluation/dashboard.html",
        {
            "scope": scope,
            "scope_name": "France entière"
            if scope == tables.NATIONAL
            else f"{names.get(scope, scope)} ({scope})",
            "scopes": [
                (s, "France entière" if s == tables.NATIONAL else f"{names.get(s, s)} ({s})")
                for s in tables.scopes_for(actor)
            ],
            "year": year,
            "years": years or [year],
            "sections": sections,
            "refresh": publication.latest_refresh(),
            "threshold": secrecy.threshold(),
            "can_refresh": policy.can(actor, "evaluation.refresh"),
            "can_export": policy.can(actor, "evaluation.export"),
        },
    )


def definitions(request):
    return render(
        request,
        "backoffice/evaluation/definitions.html",
        {
            "indicators": indicators.all_indicators(),
            "breakdowns": indicators.BREAKDOWN_LABELS,
            "values": indicators.VALUE_LABELS,
            "units": tables.UNIT_LABELS,
            "threshold": secrecy.threshold(),
        },
    )


def context(request):
    return render(
        request,
        "backoffice/evaluation/context.html",
        {
            "figures": ContextFigure.objects.all(),
            "can_manage": policy.can(request.user, "evaluation.manage_context"),
        },
    )


def context_edit(request):
    """Add an official figure, or update one (its number comes in the form, never in the address)."""
    from parcours.evaluation import services

    figure = None
    raw = request.POST.get("figure") or request.GET.get("figure")
    if raw:
        figure = get_object_or_404(ContextFigure, pk=int(raw) if str(raw).isdigit() else 0)
    form = ContextFigureForm(request.POST or None, instance=figure)
    if request.method == "POST" and form.is_valid():
        services.save_context_figure(actor=request.user, figure=form.save(commit=False))
        messages.success(request, "Chiffre de contexte enregistré.")
        return redirect("backoffice:evaluation-context")
    return render(request, "backoffice/evaluation/context_form.html", {"form": form, "figure": figure})


@require_POST
def refresh(request):
    if not policy.can(request.user, "evaluation.refresh"):
        raise PermissionDenied
    from parcours.evaluation.tasks import refresh_on_demand

    running = Refresh.objects.filter(status=Refresh.Status.RUNNING).exists()
    if running:
        messages.info(request, "Un calcul des indicateurs est déjà en cours.")
    else:
        refresh_on_demand.enqueue(request.user.pk)
        messages.success(
            request, "Le calcul des indicateurs est lancé ; les tableaux seront à jour à la fin du calcul."
        )
    return redirect("backoffice:evaluation-dashboard")
