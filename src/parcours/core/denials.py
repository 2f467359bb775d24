"""Denied accesses to personal-data URLs: traced, logged, rated, and alerted past a threshold.

A 403 or 404 on a staff URL that points to a record (`Access.obj`) or needs a data permission is
recorded in the audit trail as "core.access.denied": who (the account), which URL name, which object
reference (the URL's arguments: numbers and codes), the status — never any data of the record. It is
logged at WARNING (logger `parcours.security`). The local pilot sees the department's top deniers
(/gestion/acces-refuses/); past PARCOURS_DENIED_ALERT_PER_HOUR denials in an hour by one account, the
administrators are alerted (once a day per account).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from parcours.core import alerts, audit, policy, ratelimit
from parcours.core.models import AuditEntry

logger = logging.getLogger("parcours.security")
ACTION = "core.access.denied"
_NOT_DATA = {policy.PUBLIC, policy.SIGN_IN, policy.SIGNED_IN, policy.API_TOKEN}


def is_personal_data_url(access) -> bool:
    return access is not None and (access.obj is not None or access.permission not in _NOT_DATA)


def _reference(kwargs: dict) -> str:
    # The URL's own arguments (record numbers, codes), cut short: never the content of the record.
    return " ".join(f"{key}={str(value)[:40]}" for key, value in sorted(kwargs.items()))[:150]


def record(request, status: int) -> None:
    user = request.user
    match = request.resolver_match
    name = policy.url_name(match)
    reference = _reference(match.kwargs)
    audit.record(
        user,
        ACTION,
        reason=f"{name} {reference}".strip()[:200],
        data={"url": name, "ref": reference, "status": status, "method": request.method},
    )
    logger.warning("Accès refusé (%s) : compte n° %s, %s %s", status, user.pk, name, reference)
    limit = settings.PARCOURS_DENIED_ALERT_PER_HOUR
    if limit > 0 and not ratelimit.hit("denied-access", str(user.pk), limit=limit, period=3600):
        from django.core.cache import cache

        marker = f"denied-alerted:{user.pk}:{timezone.localdate():%Y%m%d}"
        if cache.add(marker, 1, timeout=2 * 24 * 3600):
            alerts.raise_alert(
                "denied_accesses",
                account=user,
                detail=f"plus de {limit} accès refusés en une heure à des pages de données personnelles.",
            )


def top_deniers(actor, *, days: int = 30, limit: int = 20) -> list[dict]:
    """The accounts of the actor's department with the most denied accesses over `days` days."""
    policy.require(actor, "audit.view_denied")
    since = timezone.now() - timedelta(days=days)
    rows = (
        AuditEntry.objects.filter(
            action=ACTION, department=actor.department_code or "", created_at__gte=since
        )
        .values("actor_id", "actor_label")
        .annotate(count=Count("id"), last=Max("created_at"))
        .order_by("-count", "actor_label")[:limit]
    )
    return list(rows)
