"""Who acts, and on which workshops: staff through the policy, the public through private links.

Partners (juriste, médiateur… from a partner organisation) see only the sessions they facilitate;
the policy's department scope is narrowed here for them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from parcours.core import policy
from parcours.core.roles import Role


class PublicActor:
    """A member of the public on the public pages (no account)."""

    pk = None
    is_authenticated = False
    is_active = False
    department_code = None

    def __str__(self) -> str:
        return "Public (pages publiques)"


class LinkHolder:
    """Whoever holds a registration's (or invitation's) private link: may act on that one only."""

    pk = None
    is_authenticated = False
    is_active = False
    department_code = None

    def __init__(self, *, registration=None, invitation=None):
        self.registration = registration
        self.invitation = invitation

    def __str__(self) -> str:
        if self.invitation is not None:
            return f"Lien privé de l'invitation n° {self.invitation.pk}"
        return f"Lien privé de l'inscription n° {self.registration.pk}"


PUBLIC = PublicActor()


def is_staff(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None))


def partner_only(user) -> bool:
    roles = getattr(user, "roles", frozenset())
    return Role.PARTNER in roles and not (roles - {Role.PARTNER})


def require_workshop(actor, permission: str, workshop) -> None:
    """policy.require on the workshop, plus: a partner only reaches the sessions they facilitate."""
    policy.require(actor, permission, workshop, restricted="reference")
    if partner_only(actor) and not workshop.facilitations.filter(user=actor).exists():
        raise Http404


def require_registration(actor, permission: str, registration) -> None:
    if isinstance(actor, LinkHolder):
        if actor.registration is None or actor.registration.pk != registration.pk:
            raise PermissionDenied
        return
    policy.require(actor, permission, registration)
    if partner_only(actor) and not registration.workshop.facilitations.filter(user=actor).exists():
        raise Http404
