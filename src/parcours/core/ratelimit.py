"""Rate limiting (public forms, sign-in, password reset), shared by every server process through a cache.

Each allowed request takes one numbered slot `key:window:i` with `cache.add`, which is atomic on
the database cache (the insert of an existing key fails) as on Memcached or Redis: the count is
exact even with simultaneous requests in several processes, which `incr` on the database cache
would not be (it reads then writes). A hint remembers the next free slot so that a request
usually costs one or two cache operations.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches


def _cache():
    return caches[settings.PARCOURS_RATELIMIT_CACHE]


def client_ip(request) -> str:
    """The client's address, trusting X-Forwarded-For exactly as far as the deployment says.

    With N trusted proxies (PARCOURS_TRUSTED_PROXIES) in front of the app, each appends the address it
    received the request from: the Nth hop from the right is the client as the outermost trusted proxy
    saw it. Hops further left were written by the client and are ignored (anyone can forge them). A
    header shorter than N means the request did not come through the proxies: its connection counts.
    """
    trusted = settings.PARCOURS_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "") or "inconnue"
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    return hops[-trusted][:64]


def hit(scope: str, identity: str, *, limit: int, period: int) -> bool:
    """Count one attempt; True when it is within `limit` per `period` seconds, False when over."""
    if limit <= 0:
        return True
    # The identity (an IP address, an e-mail) is hashed: the cache keeps no personal data.
    digest = hashlib.sha256(f"{scope}:{identity}".encode()).hexdigest()[:32]
    window = int(time.time() // period)
    base = f"rl:{scope}:{digest}:{window}"
    cache = _cache()
    start = cache.get(f"{base}:next", 0)
    for slot in range(start, limit):
        if cache.add(f"{base}:{slot}", 1, timeout=period * 2):
            cache.set(f"{base}:next", slot + 1, timeout=period * 2)
            return True
    return False
