"""End-to-end tests in Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""

import os
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests import factories

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PARCOURS_CHROMIUM", "/usr/bin/chromium")
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            # One browser at a time: the journeys share the live server's worker.
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"Chromium absent ({CHROMIUM}) : `make test` l'installe (apt-get install chromium)."
    )
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def current_totp() -> str:
    return f"{totp(bytes.fromhex(factories.TOTP_KEY_HEX)):06d}"


def sign_in(page, user, password: str = factories.PASSWORD) -> None:
    """The real journey: e-mail + password, then the TOTP code."""
    page.goto("/gestion/connexion/")
    page.get_by_label("Adresse e-mail professionnelle").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code à 6 chiffres").fill(current_totp())
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/gestion/")


def axe_violations(page) -> list[dict]:
    """axe-core 4.14 run in the page (evaluate is not subject to the page's CSP)."""
    page.wait_for_load_state("load")
    page.evaluate(AXE_JS)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
