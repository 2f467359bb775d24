"""The API's one place where the domain's refusals become HTTP answers.

Services raise typed errors (`core.errors`) and Django's own; views let them through, and this
handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]) answers with the status their type implies and a
French `detail`, plus the per-line `errors` when the refusal carries some.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from parcours.core.errors import Invalid, NotYours, Refused

# Most specific first: a NotYours is also a Refused, which is also a PermissionDenied.
STATUS = (
    (NotYours, 403),
    (Refused, 403),
    (PermissionDenied, 403),
    (Invalid, 400),
    (ValidationError, 400),
)
DEFAULT_DETAIL = {403: "Ce jeton n'a pas le droit de faire cette opération.", 400: "Requête invalide."}


def status_for(exc: Exception) -> int | None:
    return next((code for kind, code in STATUS if isinstance(exc, kind)), None)


def _detail(exc: Exception, code: int) -> str:
    if isinstance(exc, Refused):
        return str(exc)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages) or DEFAULT_DETAIL[code]
    return str(exc) or DEFAULT_DETAIL[code]


def exception_handler(exc, context):
    code = status_for(exc)
    if code is None:
        return drf_exception_handler(exc, context)
    body = {"detail": _detail(exc, code)}
    errors = getattr(exc, "errors", None)
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    set_rollback()
    return Response(body, status=code)


def error_response(code: int, detail: str) -> Response:
    """For the few refusals decided by the API itself (an unreadable body, too many events)."""
    return Response({"detail": detail}, status=code)
