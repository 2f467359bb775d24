"""Wrong second-factor codes: a capped delay per account *and source*, and an alert past a threshold.

django-otp's own throttle doubles without bound and lives on the device, so anyone who knows the
password could freeze the victim's code step (sign-in and re-authentication) for hours from anywhere.
Here the delay after n wrong codes from one source (client address) is 2^(n-1) s, capped at
PARCOURS_OTP_MAX_DELAY_SECONDS (15 min); the owner, from her own address, is not slowed down by an
attacker's failures. Past PARCOURS_OTP_ALERT_THRESHOLD wrong codes for one account in 24 h (all
sources), the administrators are alerted once (core.alerts).

State lives in the default cache, shared by every server process. One attempt at a time per
account and source: a concurrent burst cannot test several codes during one delay.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from parcours.core import alerts, ratelimit

DAY = 24 * 3600


def _base(user, source: str) -> str:
    digest = hashlib.sha256(f"otp:{user.pk}:{source}".encode()).hexdigest()[:32]
    return f"otp:{digest}"


def delay_for(failures: int) -> int:
    if failures <= 0:
        return 0
    return min(2 ** min(failures - 1, 30), settings.PARCOURS_OTP_MAX_DELAY_SECONDS)


def wait_seconds(user, request) -> int:
    """Seconds before this source may try a code for this account again (0: now)."""
    state = cache.get(_base(user, ratelimit.client_ip(request)))
    if not state:
        return 0
    failures, last = state
    return max(0, int(last + delay_for(failures) - time.time() + 0.999))


@contextmanager
def attempt(user, request):
    """Hold the single attempt slot of (account, source); yields False when another one is running."""
    lock = _base(user, ratelimit.client_ip(request)) + ":busy"
    if not cache.add(lock, 1, timeout=10):
        yield False
        return
    try:
        yield True
    finally:
        cache.delete(lock)


def failed(user, request) -> None:
    base = _base(user, ratelimit.client_ip(request))
    failures = (cache.get(base) or (0, 0))[0] + 1
    cache.set(base, (failures, time.time()), timeout=settings.PARCOURS_OTP_MAX_DELAY_SECONDS + DAY)
    threshold = settings.PARCOURS_OTP_ALERT_THRESHOLD
    # Every source counts towards the account's alert; hit() answers False from the threshold on.
    if threshold > 0 and not ratelimit.hit("otp-alert", str(user.pk), limit=threshold - 1, period=DAY):
        marker = f"otp-alerted:{user.pk}:{int(time.time() // DAY)}"
        if cache.add(marker, 1, timeout=DAY * 2):
            alerts.raise_alert(
                "second_factor_failures",
                account=user,
                detail=f"{threshold} codes de second facteur erronés ou plus en 24 h pour ce compte.",
            )


def succeeded(user, request) -> None:
    cache.delete(_base(user, ratelimit.client_ip(request)))


def message(seconds: int) -> str:
    if seconds >= 60:
        minutes = (seconds + 59) // 60
        return f"Trop de codes erronés. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}."
    return f"Trop de codes erronés. Réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}."
