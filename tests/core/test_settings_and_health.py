import os
import subprocess
import sys

import pytest
from django.db import OperationalError
from django.test import Client

TEST_ONLY = (
    "DEBUG",
    "PARCOURS_DEMO",
    "SECRET_KEY",
    "PARCOURS_ENCRYPTION_KEYS",
    "SECURE_SSL_REDIRECT",
    "PARCOURS_STATIC_STORAGE",
)
ENV = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}


def load_settings(**env):
    code = "import parcours.settings as s; print('DEMO', s.DEMO_MODE)"
    return subprocess.run(
        [sys.executable, "-c", code], env={**ENV, **env}, capture_output=True, text=True, check=False
    )


def test_demo_mode_is_refused_when_debug_is_off():
    result = load_settings(DEBUG="0", PARCOURS_DEMO="1", SECRET_KEY="x" * 50, PARCOURS_ENCRYPTION_KEYS="k")
    assert result.returncode != 0
    assert "mode démo" in result.stderr


def test_production_requires_a_secret_key_and_an_encryption_key():
    no_secret = load_settings(DEBUG="0", PARCOURS_ENCRYPTION_KEYS="k")
    assert no_secret.returncode != 0 and "SECRET_KEY" in no_secret.stderr
    no_key = load_settings(DEBUG="0", SECRET_KEY="x" * 50)
    assert no_key.returncode != 0 and "PARCOURS_ENCRYPTION_KEYS" in no_key.stderr


def test_demo_mode_loads_with_debug():
    result = load_settings(DEBUG="1", PARCOURS_DEMO="1")
    assert result.returncode == 0 and "DEMO True" in result.stdout


def test_check_deploy_is_clean_for_production_settings(tmp_path):
    env = {
        **ENV,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
        "PARCOURS_ENCRYPTION_KEYS": "aW5zZWN1cmUtdGVzdC1rZXktZm9yLXBhcmNvdXJzISE=",
        "ALLOWED_HOSTS": "parcours.caf.fr",
        "DJANGO_SETTINGS_MODULE": "parcours.settings",
        "PARCOURS_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "parcours", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class DownConnection:
    def cursor(self):
        raise OperationalError("connection refused")


def test_healthz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    monkeypatch.setattr("parcours.core.views.connection", DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_a_page_answers_503_cleanly_when_the_database_is_down(db, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    client = Client(raise_request_exception=False)
    client.cookies["parcours_session"] = "a" * 32

    def down(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", down)
    response = client.get("/gestion/")
    monkeypatch.undo()
    assert response.status_code == 503
    assert "momentanément indisponible" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert client.get("/healthz").status_code == 200  # and it recovers by itself


@pytest.mark.parametrize("path", ["/", "/gestion/connexion/", "/healthz", "/accessibilite/"])
def test_security_headers(client, db, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_parcours_command_runs_django_commands():
    result = subprocess.run(
        [sys.executable, "-m", "parcours", "help", "audit"],
        env={**ENV, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "verify" in result.stdout


@pytest.mark.parametrize("path", ["/", "/gestion/connexion/"])
def test_every_asset_a_page_loads_is_served_by_the_app_itself(client, db, path):
    import re

    html = client.get(path).content.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(assets) >= 4
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert not re.search(
        r'(?:href|src)="(?:https?:)?//', html.replace('href="https://www.meteofrance.com/"', "")
    )


def test_a_public_error_page_keeps_the_quick_exit_and_a_staff_one_does_not(
    client, db, monkeypatch, make_user
):
    from tests.conftest import sign_in

    public = client.get("/seances/adresse-qui-n-existe-pas/")
    assert public.status_code == 404
    assert "data-quick-exit" in public.content.decode()
    staff = sign_in(Client(), make_user("social_worker", "92")).get("/gestion/adresse-qui-n-existe-pas/")
    assert staff.status_code == 404
    assert "data-quick-exit" not in staff.content.decode()

    from django.db.backends.utils import CursorWrapper

    def down(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    outage = Client(raise_request_exception=False)
    monkeypatch.setattr(CursorWrapper, "execute", down)
    response = outage.get("/seances/")
    monkeypatch.undo()
    assert response.status_code == 503
    assert "data-quick-exit" in response.content.decode()
