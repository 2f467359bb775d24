from django.core.paginator import Paginator
from django.shortcuts import render

from parcours.core import denials, exports, journal
from parcours.households import selectors


def household_audit(request, pk: int):
    """Who opened or changed a household: for the local pilot of its department."""
    household, entries = selectors.household_log_for(request.user, pk)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/audit/household.html", {"household": household, "page": page})


def department_journal(request):
    """Every audited access of the department, filtered, for its local pilot (and exported)."""
    form = journal.JournalFilterForm(request.GET or None, actor=request.user)
    flt = form.to_filter()
    page = Paginator(journal.consult(request.user, flt), 50).get_page(request.GET.get("page"))
    exporter = exports.get("audit.department_journal")
    return render(
        request,
        "backoffice/audit/department.html",
        {"form": form, "page": page, "exporter": exporter, "query": request.GET.urlencode()},
    )


def denied_accesses(request):
    """The department's accounts with the most denied accesses to personal-data pages (30 days)."""
    rows = denials.top_deniers(request.user)
    return render(request, "backoffice/audit/denied.html", {"rows": rows, "days": 30})
