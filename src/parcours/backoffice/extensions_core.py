"""What the foundation adds to the back office besides its fixed menu (navigation.NAV): the national
overview home card. Imported by BackofficeConfig.ready(), like every extensions_<module>.py."""

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
