"""Rate limiting of the public forms: the counters of `core.ratelimit` (one upsert per check)."""

from __future__ import annotations

from parcours.core import ratelimit as core_ratelimit

# The client's address as far as the deployment's proxies are trusted (PARCOURS_TRUSTED_PROXIES).
client_ip = core_ratelimit.client_ip


def hit(scope: str, identity: str, *, limit: int, period: int) -> bool:
    """Count one attempt; True when it is within `limit` per `period` seconds, False when over."""
    return core_ratelimit.hit(scope, identity, limit=limit, period=period)


def hit_all(checks) -> bool:
    """Count one attempt against each (scope, identity, limit, period) in one statement; True when all within."""
    return core_ratelimit.hit_all(checks)
