"""Staff sign-in: e-mail + password, then a TOTP code (enrolled by QR code at first sign-in).

The password step only remembers a pending user in the session; the user is signed in
(new session id) once the second factor is checked. A password reset leads back here.
"""

from __future__ import annotations

import base64
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.backoffice.forms import (
    LoginForm,
    OtpForm,
    ParcoursPasswordChangeForm,
    ParcoursPasswordResetForm,
    ParcoursSetPasswordForm,
    ReauthForm,
)
from parcours.core import audit, otp_throttle, services
from parcours.core.middleware import start_session_clock
from parcours.core.models import User

PENDING_USER = "parcours_pending_user"
PENDING_AT = "parcours_pending_at"
PENDING_NEXT = "parcours_pending_next"
REAUTH_AT = "parcours_reauth_at"
GENERIC_FAILURE = "E-mail ou mot de passe incorrect."
THROTTLED = (
    "Trop de tentatives depuis ce poste pour ce compte. Réessayez dans quelques minutes "
    "ou réinitialisez votre mot de passe."
)


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("backoffice:home")


def _pending_user(request) -> User | None:
    user_id, started = request.session.get(PENDING_USER), request.session.get(PENDING_AT)
    if not user_id or not started:
        return None
    if timezone.now() - datetime.fromisoformat(started) > settings.PENDING_LOGIN_TIMEOUT:
        _clear_pending(request)
        return None
    return User.objects.filter(pk=user_id, is_active=True).select_related("organisation").first()


def _clear_pending(request) -> None:
    for key in (PENDING_USER, PENDING_AT, PENDING_NEXT):
        request.session.pop(key, None)


def _complete_login(request, user: User, device: TOTPDevice):
    next_url = request.session.get(PENDING_NEXT)
    _clear_pending(request)
    auth.login(request, user, backend="parcours.core.auth.EmailBackend")  # new session id
    otp_login(request, device)
    start_session_clock(request)
    return HttpResponseRedirect(_safe_next(request, next_url))


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """django-axes: the throttled answer is the sign-in page itself, the same for every e-mail."""
    form = LoginForm(initial={"email": (credentials or {}).get("email", "")})
    return render(request, "backoffice/auth/login.html", {"form": form, "throttled": THROTTLED}, status=429)


@sensitive_post_parameters("password")
@never_cache
def login(request):
    if request.user.is_authenticated and getattr(request.user, "is_verified", lambda: False)():
        return redirect("backoffice:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = auth.authenticate(
            request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request, credentials={"email": form.cleaned_data["email"]})
        if user is None:
            form.add_error(None, GENERIC_FAILURE)
        else:
            request.session.cycle_key()
            request.session[PENDING_USER] = user.pk
            request.session[PENDING_AT] = timezone.now().isoformat()
            request.session[PENDING_NEXT] = request.GET.get("next", "")
            if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                return redirect("backoffice:login-otp")
            return redirect("backoffice:login-enrol")
    return render(request, "backoffice/auth/login.html", {"form": form})


@sensitive_post_parameters("otp_token")
@never_cache
def login_otp(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, "Saisissez d'abord votre e-mail et votre mot de passe.")
        return redirect("backoffice:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("backoffice:login-enrol")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verdict = _check_code(request, user, device, form.cleaned_data["otp_token"])
        if verdict is True:
            return _complete_login(request, user, device)
        if verdict is False:
            audit.record(user, "core.session.second_factor_failed", user)
            verdict = "Code incorrect ou expiré. Saisissez le code affiché maintenant par votre application."
        form.add_error("otp_token", verdict)
    return render(request, "backoffice/auth/otp.html", {"form": form})


def _check_code(request, user: User, device: TOTPDevice | None, token: str) -> bool | str:
    """True (right code), False (wrong code, counted), or the French reason it was not even tried."""
    waiting = otp_throttle.wait_seconds(user, request)
    if waiting:
        return otp_throttle.message(waiting)
    with otp_throttle.attempt(user, request) as mine:
        if not mine:
            return otp_throttle.message(1)
        if device is not None and device.verify_token(token):
            otp_throttle.succeeded(user, request)
            return True
        otp_throttle.failed(user, request)
        return False


def _qr_svg(config_url: str) -> str:
    image = qrcode.make(config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    return image.to_string(encoding="unicode")


@sensitive_post_parameters("otp_token")
@never_cache
def login_enrol(request):
    """First sign-in: the second factor is mandatory, so it is set up before anything else."""
    user = _pending_user(request)
    if user is None:
        messages.info(request, "Saisissez d'abord votre e-mail et votre mot de passe.")
        return redirect("backoffice:login")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("backoffice:login-otp")
    device = services.enrolment_device(user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_enrolment(user=user, device=device, token=form.cleaned_data["otp_token"]):
            messages.success(request, "Votre application d'authentification est enregistrée.")
            return _complete_login(request, user, device)
        form.add_error(
            "otp_token", "Code incorrect. Vérifiez l'heure de votre téléphone et saisissez le code affiché."
        )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "backoffice/auth/enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@never_cache
def logout(request):
    auth.logout(request)
    messages.success(request, "Vous êtes déconnecté(e).")
    return redirect("backoffice:login")


@sensitive_post_parameters("password", "otp_token")
@never_cache
def reauth(request):
    """Re-authentication before a sensitive read (protected address): password and a fresh code."""
    form = ReauthForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        user = request.user
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        password_ok = user.check_password(form.cleaned_data["password"])
        verdict = _check_code(request, user, device, form.cleaned_data["otp_token"])
        if password_ok and verdict is True:
            request.session[REAUTH_AT] = timezone.now().isoformat()
            audit.record(user, "core.session.reauthenticated", user)
            return HttpResponseRedirect(_safe_next(request, next_url))
        if isinstance(verdict, str):
            form.add_error(None, verdict)
        else:
            audit.record(user, "core.session.reauthentication_failed", user)
            form.add_error(None, "Mot de passe ou code incorrect.")
    return render(request, "backoffice/auth/reauth.html", {"form": form, "next": next_url})


def reauthenticated_at(request) -> datetime | None:
    raw = request.session.get(REAUTH_AT)
    return datetime.fromisoformat(raw) if raw else None


class PasswordResetView(auth_views.PasswordResetView):
    """The e-mail itself goes through the outbox (ParcoursPasswordResetForm.save)."""

    template_name = "backoffice/auth/password_reset.html"
    form_class = ParcoursPasswordResetForm
    success_url = reverse_lazy("backoffice:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "backoffice/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "backoffice/auth/password_reset_confirm.html"
    form_class = ParcoursSetPasswordForm
    post_reset_login = False  # the second factor is still required: back to the sign-in page
    success_url = reverse_lazy("backoffice:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(form.user, "core.password.reset", form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "backoffice/auth/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "backoffice/auth/password_change.html"
    form_class = ParcoursPasswordChangeForm
    success_url = reverse_lazy("backoffice:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.request.user, "core.password.changed", self.request.user)
        messages.success(self.request, "Votre mot de passe est modifié.")
        return response
