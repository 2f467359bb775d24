"""Security alerts for the administrators: logged at WARNING, audited, and announced by a signal.

`core` sends nothing itself (every message goes through the notifications outbox, a layer above):
the notifications app listens to `security_alert` and e-mails the active administrators. Each alert
has a key (kind, account, day): it is raised once per key, however often the threshold is crossed.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal
from django.utils import timezone

from parcours.core import audit

logger = logging.getLogger("parcours.security")

# Sent with kind (str), account (the User concerned), detail (French, no personal data), key (str).
security_alert = Signal()


def raise_alert(kind: str, *, account, detail: str) -> str:
    key = f"core.alert.{kind}.{getattr(account, 'pk', account)}.{timezone.localdate():%Y%m%d}"
    logger.warning("Alerte de sécurité %s : compte n° %s — %s", kind, getattr(account, "pk", "?"), detail)
    audit.record(None, "core.security.alert", account, data={"kind": kind, "detail": detail})
    security_alert.send(sender=None, kind=kind, account=account, detail=detail, key=key)
    return key
