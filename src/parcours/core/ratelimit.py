"""Rate limits shared by every server process, at a constant cost per request.

Each check is a single `INSERT … ON CONFLICT (key, window) DO UPDATE SET count = count + 1
RETURNING count` on a unique index: atomic under concurrency on PostgreSQL and SQLite alike, one
statement whatever the history (Django's database cache counted its whole table on every write).
Expired windows are deleted by the periodic job `core.purge_rate_counters`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from parcours.core.models import RateCounter

UNKNOWN_IP = "0.0.0.0"  # noqa: S104  (a value stored, never an address to bind)


def client_ip(request) -> str:
    """The client's address, trusting X-Forwarded-For exactly as far as the deployment says.

    With N trusted proxies (PARCOURS_TRUSTED_PROXIES) in front of the app, each appends the address it
    received the request from: the Nth hop from the right is the client as the outermost trusted proxy
    saw it. Hops further left were written by the client and are ignored (anyone can forge them). A
    header shorter than N means the request did not come through the proxies: its connection counts.
    """
    trusted = settings.PARCOURS_TRUSTED_PROXIES
    # No connection address (a request built in-process): a valid "unknown" address, since axes
    # stores it in an IP column that PostgreSQL checks.
    remote = request.META.get("REMOTE_ADDR", "") or UNKNOWN_IP
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    if len(hops) < trusted:
        return remote
    try:  # a hop that is not an address (a misconfigured proxy) must not reach axes' IP column
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return remote


def _key(scope: str, identity: str) -> str:
    # The identity (an IP address, an e-mail) is hashed: the table keeps no personal data.
    return hashlib.sha256(f"{scope}:{identity}".encode()).hexdigest()


def hit(scope: str, identity: str, *, limit: int, period: int, now: float | None = None) -> bool:
    """Count one attempt; True when it is within `limit` per `period` seconds, False when over."""
    return hit_all([(scope, identity, limit, period)], now=now)


def hit_all(checks: Sequence[tuple[str, str, int, int]], *, now: float | None = None) -> bool:
    """Count one attempt against each (scope, identity, limit, period), all in ONE statement (a
    multi-row upsert); True when every one is within its limit. The scopes must differ."""
    now = time.time() if now is None else now
    rows, limits = [], {}
    for scope, identity, limit, period in checks:
        if limit <= 0:
            continue
        window = int(now // period)
        key = _key(scope, identity)
        if key in limits:
            raise ValueError(f"Deux limites pour la même clé dans un seul comptage : {scope}")
        limits[key] = limit
        rows.append((key, window, int((window + 2) * period)))
    if not rows:
        return True
    q = connection.ops.quote_name
    table, key, win, count, expires = (
        q(n) for n in (RateCounter._meta.db_table, "key", "window", "count", "expires_at")
    )
    values = ", ".join(["(%s, %s, 1, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {win}, {count}, {expires}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({key}, {win}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {key}, {count}",
            [value for row in rows for value in row],
        )
        counts = dict(cursor.fetchall())
    return all(counts[k] <= limit for k, limit in limits.items())


def purge(now: float | None = None) -> int:
    """Delete the counters of windows that can no longer be checked."""
    now = time.time() if now is None else now
    deleted, _ = RateCounter.objects.filter(expires_at__lt=int(now)).delete()
    return deleted
