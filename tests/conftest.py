import os

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


# .ci/run sets PARCOURS_REQUIRE_POSTGRES_TESTS when a PostgreSQL server answers: the run then fails
# if no PostgreSQL-only test passed (all deselected by a wrong DATABASE_URL, or none collected).
_POSTGRES_PASSED: list[str] = []


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _POSTGRES_PASSED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if not os.environ.get("PARCOURS_REQUIRE_POSTGRES_TESTS") or hasattr(session.config, "workerinput"):
        return  # the xdist workers report to the controller, which decides
    if exitstatus == 0 and not _POSTGRES_PASSED:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "ÉCHEC : aucun test réservé à PostgreSQL (@pytest.mark.postgres) n'a tourné."
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = 1
