"""Issue 15, rule 6: every public page fits a phone (320 and 375 px) without horizontal scrolling,
the quick-exit button stays inside the viewport, and Shift ×3 still leaves in under a second."""

import time

import pytest

from tests.workshops import factories as wf

NEUTRAL = "https://meteo.test/"


def _public_pages(workshop_92, workshop_974, workshop_27):
    pages = [
        "/",
        "/seances/",
        "/accessibilite/",
        "/mentions-legales/",
        "/donnees-personnelles/",
        "/sortie-rapide/",
    ]
    for w in (workshop_92, workshop_974, workshop_27):
        code = w.department.code
        pages += [f"/seances/{code}/", f"/seances/{code}/{w.pk}/", f"/seances/{code}/{w.pk}/inscription/"]
    pages.append(f"/seances/92/{workshop_92.pk}/inscription/en-attente/")
    return pages


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [320, 375])
def test_every_public_page_fits_a_phone_and_keeps_the_quick_exit_on_screen(
    browser, live_server, settings, width
):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    settings.PARCOURS_QUICK_EXIT_URL = NEUTRAL
    sessions = {}
    for code in ("92", "974", "27"):
        for days in (3, 5, 8, 12):  # several sessions, in person and online, as the lists of the issue
            sessions.setdefault(
                code, wf.workshop(code, days=days, format="webinar" if days % 2 else "in_person")
            )
    context = browser.new_context(
        locale="fr-FR", base_url=live_server.url, viewport={"width": width, "height": 640}
    )
    page = context.new_page()
    page.route(
        f"{NEUTRAL}**", lambda route: route.fulfill(status=200, content_type="text/html", body="Météo")
    )
    problems = []
    for url in _public_pages(sessions["92"], sessions["974"], sessions["27"]):
        response = page.goto(url)
        assert response.status < 400, url
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{url} : {overflow} px de trop en largeur")
        exit_button = page.get_by_role("link", name="Quitter le site")
        box = exit_button.bounding_box()
        if box is None or not exit_button.is_visible():
            problems.append(f"{url} : bouton « Quitter le site » absent")
        elif (
            box["x"] < 0 or box["y"] < 0 or box["x"] + box["width"] > width or box["y"] + box["height"] > 640
        ):
            problems.append(f"{url} : bouton « Quitter le site » hors de l'écran ({box})")
    # Shift ×3 still leaves in under a second on a phone.
    page.goto(f"/seances/974/{sessions['974'].pk}/")
    page.locator("body").click(position={"x": 5, "y": 300})
    started = time.perf_counter()
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(NEUTRAL)
    elapsed = time.perf_counter() - started
    context.close()
    assert problems == [], problems
    assert elapsed < 1.0, f"sortie rapide en {elapsed:.2f} s"
