"""Request-level guards: session timeouts, no caching of personal data, and the access policy."""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone

from parcours.core import denials, policy

logger = logging.getLogger("parcours.policy")

LOGIN_AT = "parcours_login_at"
LAST_SEEN = "parcours_last_seen"


def _read(session, key):
    raw = session.get(key)
    return datetime.fromisoformat(raw) if raw else None


class SessionTimeoutMiddleware:
    """Signs out after 15 minutes without activity and 12 hours after sign-in, whatever happens."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            login_at = _read(request.session, LOGIN_AT)
            last_seen = _read(request.session, LAST_SEEN)
            expired = (
                login_at is None
                or last_seen is None
                or now - last_seen > settings.SESSION_IDLE_TIMEOUT
                or now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT
            )
            if expired:
                logout(request)
                messages.info(request, "Votre session a expiré. Merci de vous reconnecter.")
            elif (now - last_seen).total_seconds() >= 30:
                # Written at most every 30 s: the idle timeout needs no more precision than that.
                request.session[LAST_SEEN] = now.isoformat()
        return self.get_response(request)


def start_session_clock(request) -> None:
    now = timezone.now().isoformat()
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now


class NoStoreMiddleware:
    """Pages carry personal data or are read by victims on shared devices: never cache them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response


class AccessPolicyMiddleware:
    """Applies `core.policy.URLS` to every routed request before its view runs (deny by default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404) and getattr(request, "resolver_match", None) is not None:
            # Every denied access to a personal-data URL by a signed-in agent is traced (core.denials).
            access = policy.access_for(policy.url_name(request.resolver_match))
            if denials.is_personal_data_url(access) and policy.is_staff_verified(request.user):
                denials.record(request, response.status_code)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = policy.url_name(request.resolver_match)
        access = policy.access_for(name)
        if access is None:
            logger.error("URL absente de la politique d'accès : %s", name)
            raise PermissionDenied
        allowed = set(access.methods) | ({"HEAD"} if "GET" in access.methods else set()) | {"OPTIONS"}
        if request.method not in allowed:
            return HttpResponseNotAllowed(sorted(allowed - {"OPTIONS"}))
        if access.permission in (policy.PUBLIC, policy.SIGN_IN, policy.API_TOKEN):
            return None
        if not policy.is_staff_verified(request.user):
            return self._sign_in_first(request)
        if access.permission == policy.SIGNED_IN:
            return None
        if not policy.has_perm(request.user, access.permission):
            raise PermissionDenied
        return None

    def _sign_in_first(self, request):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Authentification requise."}, status=401)
        login_url = resolve_url(settings.LOGIN_URL)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = login_url
            return response
        return redirect_to_login(request.get_full_path(), login_url)
