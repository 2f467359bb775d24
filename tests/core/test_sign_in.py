"""Staff sign-in: password then TOTP, enrolment, throttling, session renewal and timeouts."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.core import services
from parcours.core.models import AuditEntry, UserSession
from parcours.notifications import outbox
from tests import factories

LOGIN = reverse("backoffice:login")
OTP = reverse("backoffice:login-otp")
ENROL = reverse("backoffice:login-enrol")
HOME = reverse("backoffice:home")


def code(key_hex: str = factories.TOTP_KEY_HEX, offset: int = 0) -> str:
    return f"{totp(bytes.fromhex(key_hex), drift=offset):06d}"


def password_step(client, email, password=factories.PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password})


@pytest.fixture
def user(db):
    return factories.make_user("social_worker", "92")


def test_password_alone_does_not_sign_in(client, user):
    response = password_step(client, user.email)
    assert response.status_code == 302 and response["Location"] == OTP
    assert client.get(HOME).status_code == 302  # still sent to the sign-in page
    assert "_auth_user_id" not in client.session


def test_password_and_totp_sign_in_with_a_new_session_id(client, user):
    client.get(LOGIN)
    password_step(client, user.email)
    key_before_second_factor = client.session.session_key
    response = client.post(OTP, {"otp_token": code()})
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.session.session_key != key_before_second_factor
    assert client.get(HOME).status_code == 200
    assert UserSession.objects.filter(user=user, session_key=client.session.session_key).exists()
    assert AuditEntry.objects.filter(action="core.session.signed_in", object_id=str(user.pk)).exists()


def test_wrong_totp_code_is_refused(client, user):
    password_step(client, user.email)
    wrong = "000000" if code() != "000000" else "111111"
    response = client.post(OTP, {"otp_token": wrong})
    assert response.status_code == 200
    assert "Code incorrect" in response.content.decode()
    assert client.get(HOME).status_code == 302


def test_the_second_factor_step_expires(client, user):
    password_step(client, user.email)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(OTP, {"otp_token": code()})
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_a_user_without_device_enrols_by_qr_code_at_first_sign_in(client, db):
    user = factories.make_user("benefits_officer", "974", with_device=False)
    response = password_step(client, user.email)
    assert response["Location"] == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"otp_token": code(device.key)})
    assert response.status_code == 302 and response["Location"] == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200


def test_unknown_and_known_emails_get_the_same_answer(client, user):
    known = password_step(client, user.email, "a wrong password for sure")
    unknown = password_step(Client(), "nobody@exemple.fr", "a wrong password for sure")
    assert known.status_code == unknown.status_code == 200
    assert "E-mail ou mot de passe incorrect." in known.content.decode()
    assert "E-mail ou mot de passe incorrect." in unknown.content.decode()


def test_repeated_failures_are_throttled_for_that_account_and_address_only(user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, user.email, "wrong password attempt")
    throttled = password_step(attacker, user.email)
    assert throttled.status_code == 429
    assert "Trop de tentatives" in throttled.content.decode()
    # The real owner, from another address, still signs in: no hard lock an attacker could impose.
    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert password_step(owner, user.email)["Location"] == OTP
    # Unknown e-mails are throttled the same way.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, "nobody@exemple.fr", "wrong password attempt")
    assert password_step(attacker, "nobody@exemple.fr", "x" * 20).status_code == 429


def test_throttling_ends_after_the_cool_off(user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, user.email, "wrong password attempt")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert password_step(attacker, user.email)["Location"] == OTP


def test_idle_timeout_signs_out_after_15_minutes(client_for, user):
    client = client_for(user)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(HOME).status_code == 200
    with time_machine.travel(start + timedelta(minutes=14 + 16), tick=False):
        response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_absolute_timeout_signs_out_after_12_hours_even_when_active(client_for, user):
    client = client_for(user)
    start = timezone.now()
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(HOME).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        response = client.get(HOME)
    assert response.status_code == 302


def test_sign_out_ends_the_session(client_for, user):
    client = client_for(user)
    key = client.session.session_key
    response = client.post(reverse("backoffice:logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(HOME).status_code == 302


def test_sign_out_is_not_possible_by_get(client_for, user):
    client = client_for(user)
    assert client.get(reverse("backoffice:logout")).status_code == 405
    assert client.get(HOME).status_code == 200


def test_deactivating_an_account_ends_all_its_sessions(client, user):
    client.get(LOGIN)
    password_step(client, user.email)
    client.post(OTP, {"otp_token": code()})
    assert client.get(HOME).status_code == 200
    admin = factories.make_user("admin", None)
    services.set_active(actor=admin, user=user, active=False)
    assert client.get(HOME).status_code == 302
    assert not UserSession.objects.filter(user=user).exists()


def test_password_reset_never_signs_in_without_the_second_factor(client, user, mailoutbox):
    client.post(reverse("backoffice:password-reset"), {"email": user.email})
    outbox.deliver_due()  # the worker sends it
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/mot-de-passe-oublie/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_url = response.redirect_chain[-1][0]
    new_password = "trois chevaux bleus dans la prairie"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert client.get(HOME).status_code == 302  # not signed in
    assert password_step(client, user.email, new_password)["Location"] == OTP


def test_password_reset_answers_the_same_for_unknown_emails(client, user, mailoutbox):
    known = client.post(reverse("backoffice:password-reset"), {"email": user.email})
    unknown = client.post(reverse("backoffice:password-reset"), {"email": "nobody@exemple.fr"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    outbox.deliver_due()
    assert len(mailoutbox) == 1


def test_the_demo_password_is_refused_outside_demo_mode(client, db, settings):
    settings.DEMO_MODE = False
    user = factories.make_user("social_worker", "92")
    user.set_password(settings.DEMO_PASSWORD)
    user.save()
    response = password_step(client, user.email, settings.DEMO_PASSWORD)
    assert response.status_code == 200
    assert "E-mail ou mot de passe incorrect." in response.content.decode()


def test_the_demo_password_works_in_demo_mode(client, db, settings):
    settings.DEMO_MODE = True
    user = factories.make_user("social_worker", "92")
    user.set_password(settings.DEMO_PASSWORD)
    user.save()
    assert password_step(client, user.email, settings.DEMO_PASSWORD)["Location"] == OTP


def test_session_cookie_is_secure_httponly_and_samesite(client, user, settings):
    password_step(client, user.email)
    response = client.post(OTP, {"otp_token": code()})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"


def test_the_reauthentication_needs_password_and_a_code(client_for, user):
    client = client_for(user)
    url = reverse("backoffice:reauth")
    wrong = client.post(url, {"password": "not the password", "otp_token": code(), "next": HOME})
    assert wrong.status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        right = client.post(url, {"password": factories.PASSWORD, "otp_token": code(), "next": HOME})
    assert right.status_code == 302 and right["Location"] == HOME
    assert "parcours_reauth_at" in client.session


def test_next_cannot_send_to_another_site(client, user):
    client.get(LOGIN)
    client.post(LOGIN + "?next=https://evil.example/", {"email": user.email, "password": factories.PASSWORD})
    response = client.post(OTP, {"otp_token": code()})
    assert response["Location"] == HOME
