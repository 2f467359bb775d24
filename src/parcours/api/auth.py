"""API authentication: an organisation's token (`Authorization: Bearer pct_…`), rate limited.

The token acts as an `ApiPrincipal`: a principal of its Caf's department holding the API
client role of the access policy (`policy.API_CLIENT`), never a staff account.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling

from parcours.api.models import TOKEN_PREFIX, ApiToken, hash_token
from parcours.core import policy


class ApiPrincipal:
    """Who is calling: the organisation behind a token."""

    is_authenticated = True
    is_active = True
    pk = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.organisation = token.organisation
        self.roles = frozenset({policy.API_CLIENT})

    @property
    def department(self):
        return self.organisation.department

    @property
    def department_code(self) -> str | None:
        return self.organisation.department.code if self.organisation.department_id else None

    def __str__(self) -> str:
        return f"API {self.organisation.name} (jeton {self.token.prefix})"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "En-tête Authorization invalide : « Bearer <jeton> » attendu."
            )
        try:
            clear = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Jeton invalide.") from exc
        if not clear.startswith(f"{TOKEN_PREFIX}_"):
            raise exceptions.AuthenticationFailed("Jeton invalide.")
        token = (
            ApiToken.objects.select_related("organisation__department")
            .filter(token_hash=hash_token(clear))
            .first()
        )
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed("Jeton invalide ou révoqué.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return ApiPrincipal(token), token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class ApiTokenThrottle(throttling.SimpleRateThrottle):
    """Requests per token (rate: PARCOURS_API_RATE, e.g. 600/min)."""

    scope = "api_token"

    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope, "600/min")

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "parcours.api.auth.ApiTokenAuthentication"
    name = "jetonOrganisation"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pct_<préfixe>_<secret>",
            "description": "Jeton de l'organisation (Caf), créé par `parcours create-api-token <département>`.",
        }
