"""Technical views: health check and error pages (no stack trace, no personal data)."""

import sys

from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _error(request, status: int, title: str, text: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": title}, status=status)
    public = not request.path.startswith("/gestion/")
    context = {"status": status, "title": title, "text": text, "public": public}
    if status >= 500:
        # No request context: context processors would read the session, i.e. the database that may be down.
        return HttpResponse(loader.render_to_string("error.html", context), status=status)
    return render(request, "error.html", context, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "Requête invalide", "La demande n'a pas pu être comprise.")


def permission_denied(request, exception=None):
    return _error(request, 403, "Accès refusé", "Votre rôle ne donne pas accès à cette page.")


def page_not_found(request, exception=None):
    return _error(request, 404, "Page introuvable", "Cette page n'existe pas ou vous n'y avez pas accès.")


def _caused_by(exc, kinds) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kinds):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def server_error(request):
    # Called while the exception is being handled: a database outage is a 503, and it passes by itself.
    from django.db import InterfaceError, OperationalError

    if _caused_by(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response = _error(
            request, 503, "Service momentanément indisponible", "Réessayez dans quelques instants."
        )
        response["Retry-After"] = "30"
        return response
    return _error(
        request, 500, "Erreur du service", "Une erreur est survenue. L'équipe technique en est informée."
    )
