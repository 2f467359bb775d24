"""Demo data: each app registers a seeder in its own `demo_data.py`; `parcours seed_demo` runs them in order.

Refused outside demo mode (which itself is refused without DEBUG): the demo accounts have a
public password and a public second factor.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from parcours.core.registry import OrderedRegistry

DEMO_DOMAIN = "demo.parcours.fr"


SEEDERS = OrderedRegistry()


def register(name: str, order: int):
    return SEEDERS.register(name, order)


def require_demo_mode() -> None:
    if not (settings.DEMO_MODE and settings.DEBUG):
        raise ImproperlyConfigured(
            "Les données de démonstration ne se chargent qu'en mode démo (DEBUG=1 PARCOURS_DEMO=1)."
        )


def demo_email(role: str, department: str | None = None) -> str:
    return f"{role}.{department}@{DEMO_DOMAIN}" if department else f"{role}@{DEMO_DOMAIN}"


def demo_totp_key_hex() -> str:
    return base64.b32decode(settings.DEMO_TOTP_SECRET).hex()
