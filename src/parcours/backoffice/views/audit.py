from django.core.paginator import Paginator
from django.shortcuts import render

from parcours.core import audit, denials
from parcours.core.models import AuditEntry
from parcours.households import selectors


def household_audit(request, pk: int):
    """Who opened or changed a household: for the local pilot of its department."""
    household = selectors.household_reference_for(request.user, pk)
    # Recorded first: the page then lists this consultation too, and its counts stay consistent.
    audit.record(request.user, "audit.household_log.viewed", household)
    entries = (
        AuditEntry.objects.filter(scope=f"household:{household.pk}").select_related("actor").order_by("-id")
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/audit/household.html", {"household": household, "page": page})


def denied_accesses(request):
    """The department's accounts with the most denied accesses to personal-data pages (30 days)."""
    rows = denials.top_deniers(request.user)
    return render(request, "backoffice/audit/denied.html", {"rows": rows, "days": 30})
