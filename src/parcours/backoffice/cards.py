"""Home-page cards of the foundation (modules add theirs with home_cards.register)."""

from django.template.loader import render_to_string

from parcours.backoffice import home_cards
from parcours.core import policy
from parcours.households import selectors


@home_cards.register("national-overview", order=90)
def national_overview(request):
    if not policy.has_perm(request.user, "evaluation.view_national"):
        return None
    from django.conf import settings

    return render_to_string(
        "backoffice/cards/national_overview.html",
        {
            "rows": selectors.national_counts(request.user),
            "threshold": settings.PARCOURS_STATISTICAL_SECRECY_THRESHOLD,
        },
        request=request,
    )
