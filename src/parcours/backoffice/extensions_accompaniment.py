"""What the MAP module adds to the back office: its menu entries (measures for the referent and the
organisation, "Mes remises" for accompanists, the pilot's figures) and the household's panel.
Imported by BackofficeConfig.ready()."""

from __future__ import annotations

from django.template.loader import render_to_string

from parcours.accompaniment import selectors
from parcours.backoffice import household_panels, navigation
from parcours.core import policy

navigation.register(
    navigation.NavItem("Accompagnement protégé", "backoffice:map-list", "accompaniment.view", order=45)
)
navigation.register(
    navigation.NavItem("Mes remises", "backoffice:map-mine", "accompaniment.my_handovers", order=45)
)
navigation.register(
    navigation.NavItem(
        "Accompagnement protégé", "backoffice:map-overview", "accompaniment.overview", order=85
    )
)


@household_panels.register("accompaniment", order=40)
def _panel(request, household):
    user = request.user
    if not (
        policy.has_perm(user, "accompaniment.view") or policy.has_perm(user, "accompaniment.record_order")
    ):
        return ""
    measures = (
        selectors.measures_for(user).filter(household=household)
        if policy.has_perm(user, "accompaniment.view")
        else []
    )
    return render_to_string(
        "backoffice/accompaniment/household_panel.html",
        {
            "household": household,
            "measures": measures,
            "can_record": policy.can(user, "accompaniment.record_order", household),
        },
        request=request,
    )
