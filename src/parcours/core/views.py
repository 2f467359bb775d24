"""Technical views: health check and error pages (no stack trace, no personal data)."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
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
    return render(request, "error.html", {"status": status, "title": title, "text": text}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "Requête invalide", "La demande n'a pas pu être comprise.")


def permission_denied(request, exception=None):
    return _error(request, 403, "Accès refusé", "Votre rôle ne donne pas accès à cette page.")


def page_not_found(request, exception=None):
    return _error(request, 404, "Page introuvable", "Cette page n'existe pas ou vous n'y avez pas accès.")


def server_error(request):
    return _error(
        request, 500, "Erreur du service", "Une erreur est survenue. L'équipe technique en est informée."
    )
