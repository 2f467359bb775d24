"""Private links for people without an account: signed, expiring, revocable, with no personal data.

A link carries the registration's (or invitation's) random public id and its link version,
signed with the SECRET_KEY and a purpose-specific salt. It expires after
PARCOURS_WORKSHOP_LINK_DAYS days; bumping `link_version` revokes every link already sent.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

REGISTRATION_SALT = "parcours.workshops.registration"
INVITATION_SALT = "parcours.workshops.invitation"


class LinkError(Exception):
    """The link cannot be used; `expired` tells an old link from a forged or revoked one."""

    def __init__(self, *, expired: bool = False):
        super().__init__("lien expiré" if expired else "lien invalide")
        self.expired = expired


def max_age() -> timedelta:
    return timedelta(days=settings.PARCOURS_WORKSHOP_LINK_DAYS)


def _dump(public_id, version: int, salt: str) -> str:
    return signing.dumps([public_id.hex, version], salt=salt, compress=False)


def _load(token: str, salt: str, age: timedelta) -> tuple[str, int]:
    try:
        public_id, version = signing.loads(token, salt=salt, max_age=age)
    except signing.SignatureExpired as exc:
        raise LinkError(expired=True) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkError() from exc
    if not isinstance(public_id, str) or not isinstance(version, int):
        raise LinkError()
    return public_id, version


def registration_token(registration) -> str:
    return _dump(registration.public_id, registration.link_version, REGISTRATION_SALT)


def read_registration_token(token: str):
    """The registration the token designates, or LinkError."""
    from parcours.workshops.models import Registration

    public_id, version = _load(token, REGISTRATION_SALT, max_age())
    registration = (
        Registration.objects.select_related("workshop__department", "workshop__venue")
        .filter(public_id=public_id)
        .first()
    )
    if registration is None or registration.link_version != version:
        raise LinkError()
    return registration


def invitation_token(invitation) -> str:
    return _dump(invitation.public_id, invitation.link_version, INVITATION_SALT)


def read_invitation_token(token: str):
    from parcours.workshops.models import Invitation

    days = settings.PARCOURS_WORKSHOP_INVITATION_DAYS + 1
    public_id, version = _load(token, INVITATION_SALT, timedelta(days=days))
    invitation = (
        Invitation.objects.select_related("household__department", "person")
        .filter(public_id=public_id)
        .first()
    )
    if invitation is None or invitation.link_version != version:
        raise LinkError()
    return invitation


def absolute(path: str) -> str:
    return f"{settings.PARCOURS_SITE_URL.rstrip('/')}{path}"
