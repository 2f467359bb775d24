"""What the workshops module adds to the back office: menu entries, the household panel, a home card."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from parcours.backoffice import home_cards, household_panels, navigation
from parcours.core import policy
from parcours.households.models import Person
from parcours.workshops import integrations, selectors
from parcours.workshops.models import Registration, Workshop


def _upcoming_count(user) -> int:
    return (
        selectors.workshops_visible_to(user)
        .filter(status=Workshop.Status.PUBLISHED, starts_at__gte=timezone.now())
        .count()
    )


navigation.register(
    navigation.NavItem(
        "Séances", "backoffice:workshop-list", "workshops.view", order=40, count=_upcoming_count
    )
)
navigation.register(
    navigation.NavItem("Invitations aux séances", "backoffice:invitation-list", "workshops.invite", order=41)
)
navigation.register(
    navigation.NavItem(
        "Comparaison des formats", "backoffice:workshop-comparison", "workshops.compare", order=42
    )
)
navigation.register(
    navigation.NavItem("Visioconférence", "backoffice:webinar-server", "workshops.configure", order=43)
)


@household_panels.register("workshops", order=40)
def household_panel(request, household):
    user = request.user
    if not policy.has_perm(user, "workshops.view"):
        return None
    activity = selectors.household_activity(user, household)
    can_register = policy.can(user, "workshops.register", household)
    return render_to_string(
        "backoffice/workshops/household_panel.html",
        {
            "household": household,
            "invitations": activity["invitations"],
            "registrations": activity["registrations"],
            "can_invite": policy.can(user, "workshops.invite", household),
            "can_register": can_register,
            "parents": [m for m in household.members.all() if m.role == Person.Role.PARENT]
            if can_register
            else [],
            "violence": integrations.violence_reported(household),
            "statuses": Registration.Status,
        },
        request=request,
    )


@home_cards.register("held-registrations", order=12)
def held_registrations_card(request):
    """The family's assigned staff are alerted: a registration would put both parents in one session."""
    if not policy.has_perm(request.user, "workshops.register"):
        return None
    held = list(selectors.held_registrations(request.user)[:20])
    if not held:
        return None
    return render_to_string("backoffice/workshops/held_card.html", {"registrations": held}, request=request)


@home_cards.register("workshops", order=40)
def home_card(request):
    if not policy.has_perm(request.user, "workshops.view"):
        return None
    return render_to_string(
        "backoffice/workshops/home_card.html",
        {"workshops": selectors.upcoming_for_home(request.user)},
        request=request,
    )
