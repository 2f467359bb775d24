"""The staff navigation: each module adds its entries here; the policy decides who sees them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
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
    # Every staff page shows the badges: a count is kept this many seconds per user (0: the count
    # function caches itself, as the worklists do, or must be exact).
    count_ttl: int = 30


NAV: list[NavItem] = [
    NavItem("Accueil", "backoffice:home", policy.SIGNED_IN, order=0),
    NavItem("Foyers", "backoffice:household-search", "households.view", order=10),
    NavItem(
        "Dossiers et affectations",
        "backoffice:household-reference-list",
        "households.view_reference",
        order=80,
    ),
    NavItem("Journal d'accès", "backoffice:audit-department", "audit.view_department", order=85),
    NavItem("Accès refusés", "backoffice:denied-accesses", "audit.view_denied", order=86),
    NavItem("Comptes", "backoffice:user-list", "accounts.manage", order=90),
]


def register(item: NavItem) -> None:
    NAV.append(item)


def items_for(request) -> list[dict]:
    user = request.user
    current = policy.url_name(getattr(request, "resolver_match", None))
    shown = [item for item in sorted(NAV, key=lambda i: i.order) if policy.has_perm(user, item.permission)]
    # The badges kept in the cache are read at once: the cache is shared by the server's processes
    # (the database by default), and each read is a round trip.
    kept = cache.get_many([_key(item, user) for item in shown if item.count and item.count_ttl])
    return [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "current": current == item.url_name,
            "count": _count(item, user, kept) if item.count else None,
        }
        for item in shown
    ]


def _key(item: NavItem, user) -> str:
    # The account's creation instant too: a reused id (a test base, a restored copy) gets no stale count.
    return f"nav-count:{item.url_name}:{user.pk}:{user.date_joined.timestamp()}"


def _count(item: NavItem, user, kept: dict):
    if not item.count_ttl:
        return item.count(user)
    key = _key(item, user)
    if key in kept:  # a count may be None (no badge)
        return kept[key]
    found = item.count(user)
    cache.set(key, found, item.count_ttl)
    return found
