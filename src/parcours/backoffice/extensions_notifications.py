"""What the notifications module adds to the back office: the outbox in the menu (with the count of
failed messages), the household's "Messages" panel, the home card of messages to review.
Imported by BackofficeConfig.ready()."""

from __future__ import annotations

from django.template.loader import render_to_string

from parcours.backoffice import home_cards, household_panels, navigation
from parcours.core import policy
from parcours.notifications import selectors

navigation.register(
    navigation.NavItem(
        "Messages",
        "backoffice:outbox",
        "notifications.view_outbox",
        order=70,
        count=lambda user: selectors.failed_count(user) or None,
    )
)


@household_panels.register("messages", order=60)
def household_messages_panel(request, household):
    if not policy.can(request.user, "notifications.view", household):
        return None
    items = selectors.household_messages(request.user, household)[:20]
    return render_to_string(
        "backoffice/notifications/household_panel.html",
        {"items": items, "household": household},
        request=request,
    )


@home_cards.register("messages-to-review", order=40)
def messages_to_review_card(request):
    if not policy.has_perm(request.user, "notifications.view"):
        return None
    to_review = selectors.messages_to_review(request.user)
    items = list(to_review[:5])
    if not items:
        return None
    return render_to_string(
        "backoffice/notifications/review_card.html",
        {"items": items, "count": to_review.count()},
        request=request,
    )
