"""API tokens: one per organisation and use, stored hashed, shown once at creation.

A token reads `pct_<prefix>_<secret>`: the prefix is stored in clear (to name the token in
logs and lists without revealing it), the whole token only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from parcours.core.models import Organisation

TOKEN_PREFIX = "pct"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField("usage", max_length=120)
    prefix = models.CharField("préfixe", max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "-created_at"]
        verbose_name = "jeton d'API"

    def __str__(self) -> str:
        return f"Jeton {self.prefix} ({self.organisation})"

    @classmethod
    def issue(cls, *, organisation: Organisation, name: str, created_by=None) -> tuple[ApiToken, str]:
        """Create a token; the clear value is returned once and never stored."""
        prefix = secrets.token_hex(4)
        clear = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        token = cls.objects.create(
            organisation=organisation,
            name=name,
            prefix=prefix,
            token_hash=hash_token(clear),
            created_by=created_by,
        )
        return token, clear

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.organisation.is_active

    def audit_ref(self) -> str:
        return f"Jeton d'API {self.prefix}"

    def audit_department(self) -> str:
        return self.organisation.department.code if self.organisation.department_id else ""
