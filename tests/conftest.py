import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.core.middleware import start_session_clock
from tests import factories


def sign_in(client: Client, user) -> Client:
    """Sign in as after password + TOTP, without going through the forms (tested on their own)."""
    client.force_login(user, backend="parcours.core.auth.EmailBackend")
    session = client.session
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id

    class _Req:
        pass

    fake = _Req()
    fake.session = session
    start_session_clock(fake)
    session.save()
    return client


@pytest.fixture
def client_for(db):
    """client_for(user) -> a test client signed in with both factors."""

    def make(user):
        return sign_in(Client(), user)

    return make


@pytest.fixture
def make_user(db):
    return factories.make_user


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only behaviours (triggers, row locks) run when the suite runs on PostgreSQL (.ci/run does both)."""
    if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    selected = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
