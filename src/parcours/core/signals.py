"""Sign-in bookkeeping: which sessions a user holds, and an audit line per sign-in and sign-out."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from parcours.core import audit
from parcours.core.models import UserSession


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        if not request.session.session_key:
            request.session.save()
        UserSession.objects.update_or_create(session_key=request.session.session_key, defaults={"user": user})
    audit.record(user, "core.session.signed_in", user)


@receiver(user_logged_out)
def forget_session(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    if user is not None:
        audit.record(user, "core.session.signed_out", user)
