"""The staff navigation: each module adds its entries here; the policy decides who sees them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from parcours.core import policy


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    order: int = 100
    # Optional badge: a count shown next to the label (e.g. overdue tasks), computed for the user.
    count: Callable | None = None


NAV: list[NavItem] = [
    NavItem("Accueil", "backoffice:home", policy.SIGNED_IN, order=0),
    NavItem("Foyers", "backoffice:household-search", "households.view", order=10),
    NavItem(
        "Dossiers et affectations",
        "backoffice:household-reference-list",
        "households.view_reference",
        order=80,
    ),
    NavItem("Comptes", "backoffice:user-list", "accounts.manage", order=90),
]


def register(item: NavItem) -> None:
    NAV.append(item)


def items_for(request) -> list[dict]:
    user = request.user
    current = policy.url_name(getattr(request, "resolver_match", None))
    items = []
    for item in sorted(NAV, key=lambda i: i.order):
        if not policy.has_perm(user, item.permission):
            continue
        items.append(
            {
                "label": item.label,
                "url": reverse(item.url_name),
                "current": current == item.url_name,
                "count": item.count(user) if item.count else None,
            }
        )
    return items
