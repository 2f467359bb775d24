"""Public journeys in Chromium: find a webinar in La Réunion, register with the keyboard only, cancel
through the private link; axe-core on every public page; the quick exit."""

import re
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from parcours.core.policy import LinkHolder
from parcours.workshops import links, services
from parcours.workshops.models import Registration
from tests.e2e.conftest import axe_violations
from tests.workshops import factories as wf

NEUTRAL = "https://meteo.test/"  # reserved name (RFC 6761), answered by the browser route below: no network


@pytest.fixture
def neutral_site(page, settings):
    settings.PARCOURS_QUICK_EXIT_URL = NEUTRAL
    page.route(
        f"{NEUTRAL}**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Météo</title>Météo"),
    )
    return page


def _tab_until(page, selector: str, most: int = 6):
    """Press Tab (the keyboard only) until the focused element matches `selector`."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} jamais atteint par Tab")


def _assert_accessible(page, where: str):
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


@pytest.mark.django_db(transaction=True)
def test_a_newcomer_registers_to_a_reunion_webinar_with_the_keyboard_and_cancels(page, neutral_site):
    day = date.today() + timedelta(days=12)
    webinar = wf.workshop("974", format="webinar", capacity=5, starts_at=wf.local("974", day, 18))
    wf.workshop("92", format="in_person")

    page.goto("/")
    _assert_accessible(page, "accueil")
    page.get_by_role("link", name=re.compile(r"La Réunion \(974\)")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("La Réunion")
    _assert_accessible(page, "séances du département")
    expect(page.get_by_role("cell", name="5 places")).to_be_visible()
    page.get_by_role(
        "link", name=re.compile(r"vendredi|lundi|mardi|mercredi|jeudi|samedi|dimanche")
    ).first.click()
    expect(page.get_by_text("de 18h00 à 20h00")).to_be_visible()
    _assert_accessible(page, "page de la séance")
    page.get_by_role("link", name="S'inscrire à cette séance").click()
    expect(page).to_have_url(re.compile(r"/inscription/$"))
    _assert_accessible(page, "formulaire d'inscription")

    # Keyboard only: focus the first field, then Tab / type / Space / arrows / Enter.
    page.get_by_label("Votre prénom").focus()
    page.keyboard.type("Nadia")
    page.keyboard.press("Tab")  # last name (optional)
    page.keyboard.type("Demo")
    # The optional birth date is left empty: Tab walks its day / month / year parts, then the channels.
    _tab_until(page, "input[type=radio]:checked")  # the channel radio group (e-mail is checked)
    page.keyboard.press("Tab")  # e-mail field
    page.keyboard.type("nadia.demo@exemple.fr")
    page.keyboard.press("Tab")  # phone
    page.keyboard.press("Tab")  # number of people
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # accessibility needs
    page.keyboard.type("Sous-titrage")
    page.keyboard.press("Tab")  # "Données personnelles" link
    page.keyboard.press("Tab")  # submit
    expect(page.locator(":focus")).to_have_text("Confirmer mon inscription")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre place est réservée")
    _assert_accessible(page, "inscription enregistrée")

    registration = Registration.objects.get(workshop=webinar)
    assert (registration.first_name, registration.party_size, registration.accessibility_needs) == (
        "Nadia",
        2,
        "Sous-titrage",
    )
    webinar.refresh_from_db()
    assert webinar.seats_left == 3

    token = links.registration_token(registration)
    page.goto(f"/inscription/{token}/")
    expect(page.get_by_text("Inscription confirmée")).to_be_visible()
    _assert_accessible(page, "mon inscription")
    page.get_by_role("link", name="Annuler mon inscription").click()
    expect(page.get_by_role("button", name="Oui, annuler mon inscription")).to_be_visible()
    _assert_accessible(page, "annulation")
    page.get_by_role("button", name="Oui, annuler mon inscription").click()
    expect(page.get_by_role("status")).to_contain_text("Annulée")
    page.goto(f"/seances/974/{webinar.pk}/")
    expect(page.get_by_text("5 places restantes")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_every_other_public_page_has_no_axe_violation(page, neutral_site, make_user):
    workshop = wf.workshop("92", capacity=1)
    holder = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    household, mother, _ = wf.household_with_parents("92")
    invitation = services.invite_household(
        actor=make_user("service_advisor", "92"), household=household
    ).invitations[0]
    from parcours.workshops.models import SurveyToken
    from parcours.workshops.services.survey import token_hash

    SurveyToken.objects.create(
        token_hash=token_hash("ticket-e2e"),
        workshop=workshop,
        expires_at=workshop.starts_at + timedelta(days=30),
    )
    token = links.registration_token(waiting)
    pages = {
        "index": "/seances/",
        "place proposée": f"/inscription/{token}/place-proposee/",
        "changer de séance": f"/inscription/{token}/changer-de-seance/",
        "webinaire fermé": f"/inscription/{token}/rejoindre/",
        "invitation": f"/invitation/{links.invitation_token(invitation)}/",
        "décliner": f"/invitation/{links.invitation_token(invitation)}/decliner/",
        "enquête": "/enquete/ticket-e2e/",
        "lien non valide": "/inscription/abc/",
        "sortie rapide": "/sortie-rapide/",
        "liste d'attente": f"/seances/92/{workshop.pk}/inscription/liste-attente/",
    }
    for name, url in pages.items():
        page.goto(url)
        _assert_accessible(page, name)
    # A form with errors is accessible too (error summary, aria-invalid).
    page.goto(f"/seances/92/{workshop.pk}/inscription/")
    page.get_by_role("button", name="Confirmer mon inscription").click()
    expect(page.get_by_role("alert")).to_contain_text("erreur")
    _assert_accessible(page, "formulaire en erreur")
    page.goto("/enquete/ticket-e2e/")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    # Wait for the answer page: axe on a page still navigating finds no document.
    expect(page.get_by_role("alert")).to_be_visible()
    _assert_accessible(page, "enquête en erreur")


@pytest.mark.django_db(transaction=True)
def test_shift_three_times_leaves_in_under_a_second_and_back_does_not_return(page, neutral_site):
    workshop = wf.workshop("974", format="webinar")
    page.goto(f"/seances/974/{workshop.pk}/")  # opened straight from a message: the tab's first page
    page.locator("body").click(position={"x": 5, "y": 300})
    started = time.perf_counter()
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(NEUTRAL)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"sortie rapide en {elapsed:.2f} s"
    page.go_back()
    assert "/seances/" not in page.url


@pytest.mark.django_db(transaction=True)
def test_the_quick_exit_button_leaves_and_typing_capitals_does_not(page, neutral_site):
    workshop = wf.workshop("92")
    page.goto(f"/seances/92/{workshop.pk}/inscription/")
    field = page.get_by_label("Votre prénom")
    field.focus()
    for letter in "ABC":  # Shift + letter three times: a name, not an exit
        page.keyboard.press(f"Shift+{letter}")
    page.wait_for_timeout(300)
    assert page.url.endswith("/inscription/")
    expect(field).to_have_value("ABC")
    page.get_by_role("link", name=re.compile("Quitter le site")).click()
    page.wait_for_url(NEUTRAL)
    page.go_back()
    assert "/inscription/" not in page.url
