"""What the foundation adds to the back office besides its fixed menu (navigation.NAV): the national
overview home card. Imported by BackofficeConfig.ready(), like every extensions_<module>.py."""

from django.template.loader import render_to_string

from parcours.backoffice import home_cards, household_panels
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


@household_panels.register("contact-proposals", order=5)
def contact_proposals_panel(request, household):
    """Contacts that came with a declaration for a family with violence on record: the assigned
    social worker confirms or rejects each (never attached to anyone before)."""
    proposals = list(selectors.pending_contact_proposals(request.user, household))
    if not proposals:
        return None
    from parcours.households.models import Person

    parents = [m for m in household.members.all() if m.role == Person.Role.PARENT]
    return render_to_string(
        "backoffice/households/contact_proposals_panel.html",
        {"proposals": proposals, "parents": parents, "household": household},
        request=request,
    )
