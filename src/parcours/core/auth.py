"""Authentication backend: e-mail + password; the demo password only works in demo mode."""

import hmac

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def normalise_identifier(value) -> str:
    """The one form of a sign-in e-mail, for the backend, the throttle and the password reset."""
    return str(value or "").strip().lower()


def axes_username(request, credentials=None) -> str:
    """django-axes: count failures on the normalised e-mail, as the backend looks it up."""
    if credentials:
        raw = credentials.get("email") or credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("email")
    return normalise_identifier(raw)


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        identifier = normalise_identifier(email or username)
        if not identifier or password is None:
            return None
        if not settings.DEMO_MODE and hmac.compare_digest(password.encode(), settings.DEMO_PASSWORD.encode()):
            # Still run the hasher so that timing does not tell the demo password apart.
            super().authenticate(request, username=identifier, password=password + "\0", **kwargs)
            return None
        return super().authenticate(request, username=identifier, password=password, **kwargs)

    def get_user(self, user_id):
        from parcours.core.models import User

        user = User.objects.select_related("organisation__department").filter(pk=user_id).first()
        # A deactivated account is signed out of every session at its next request.
        return user if user is not None and self.user_can_authenticate(user) else None
