from parcours.backoffice import navigation
from parcours.core import policy


def staff(request):
    if not request.path.startswith("/gestion/") or not policy.is_staff_verified(
        getattr(request, "user", None)
    ):
        return {}
    return {"staff_nav": navigation.items_for(request)}
