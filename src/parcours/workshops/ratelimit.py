"""Rate limiting of the public forms: the counters of `core.ratelimit` (one upsert per check)."""

from __future__ import annotations

from django.conf import settings

from parcours.core import ratelimit as core_ratelimit


def client_ip(request) -> str:
    # Behind the project's reverse proxy, the last X-Forwarded-For hop is the one it added.
    if settings.PARCOURS_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "inconnue"


def hit(scope: str, identity: str, *, limit: int, period: int) -> bool:
    """Count one attempt; True when it is within `limit` per `period` seconds, False when over."""
    return core_ratelimit.hit(scope, identity, limit=limit, period=period)
