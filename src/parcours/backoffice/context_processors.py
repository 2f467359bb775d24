from parcours.backoffice import navigation
from parcours.core import policy


def staff(request):
    if not request.path.startswith("/gestion/") or not policy.is_staff_verified(
        getattr(request, "user", None)
    ):
        return {}
    # Each household panel renders with the request context: compute the menu (and its counts,
    # which query the database) once per request, not once per panel.
    if not hasattr(request, "_staff_nav"):
        request._staff_nav = navigation.items_for(request)
    return {"staff_nav": request._staff_nav}
