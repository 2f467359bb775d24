"""Writes on API tokens: issuing and revoking, each recorded in the audit trail.

Both are operator actions (management commands); the token's clear value never reaches the
audit trail, only its public prefix.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from parcours.api.models import TOKEN_PREFIX, ApiToken
from parcours.core import audit
from parcours.core.models import Organisation


class TokenError(Exception):
    """A token that cannot be found or revoked; the message is French and shown as is."""


@transaction.atomic
def issue_token(*, actor, organisation: Organisation, name: str) -> tuple[ApiToken, str]:
    """A new token for the organisation: (token, clear value shown once)."""
    token, clear = ApiToken.issue(
        organisation=organisation, name=name, created_by=actor if getattr(actor, "pk", None) else None
    )
    audit.record(actor, "api.token.created", token, data={"prefix": token.prefix, "name": name})
    return token, clear


def find_token(reference: str) -> ApiToken:
    """A token by its public prefix (`3f9a1c2e`, or the start `pct_3f9a1c2e_…` of the token) or its id."""
    reference = reference.strip()
    if reference.startswith(f"{TOKEN_PREFIX}_"):
        # Only the public part of a pasted token is read, and only it may be echoed back.
        reference = reference.split("_")[1]
    tokens = ApiToken.objects.select_related("organisation__department")
    token = tokens.filter(prefix=reference).first() if reference else None
    if token is None and reference.isdigit():
        token = tokens.filter(pk=int(reference)).first()
    if token is None:
        raise TokenError(
            f"Aucun jeton d'API « {reference[:20]} » : donnez son préfixe ou son numéro "
            "(voir `parcours list-api-tokens`)."
        )
    return token


@transaction.atomic
def revoke_token(*, actor, token: ApiToken, reason: str = "") -> ApiToken:
    """Revoke the token: the very next request made with it is refused (401)."""
    # Lock the token row only: PostgreSQL refuses FOR UPDATE on the nullable side of the join
    # (a national organisation has no department).
    token = (
        ApiToken.objects.select_for_update(of=("self",))
        .select_related("organisation__department")
        .get(pk=token.pk)
    )
    if token.revoked_at is not None:
        local = timezone.localtime(token.revoked_at)
        raise TokenError(f"Le jeton {token.prefix} est déjà révoqué (depuis le {local:%d/%m/%Y à %H:%M}).")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor, "api.token.revoked", token, reason=reason, data={"prefix": token.prefix, "name": token.name}
    )
    return token
