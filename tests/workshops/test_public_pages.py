"""Public pages: find, register without an account, manage through the private link; safe by design."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from parcours.workshops import links
from parcours.workshops.models import Registration, Workshop
from tests.workshops import factories as wf


def _form(**overrides):
    return {"first_name": "Nadia", "contact_kind": "email", "email": "nadia@exemple.fr", "phone": "",
            "party_size": 1, "accessibility_needs": "", **overrides}  # fmt: skip


def _register_url(workshop):
    return reverse("portal:workshop-register", kwargs={"code": workshop.department.code, "pk": workshop.pk})


def test_the_home_page_lists_departments_with_sessions_and_their_webinars(db, client):
    wf.workshop("974", format="webinar")
    wf.workshop("974", format="in_person")
    html = client.get("/").content.decode()
    assert "La Réunion (974) — 2 séances, dont 1 en ligne" in html


def test_the_department_page_lists_upcoming_published_sessions_with_seats_left(db, client):
    published = wf.workshop("974", format="webinar", capacity=20)
    wf.public_registration(published, party_size=3)
    draft = wf.workshop("974", status=Workshop.Status.DRAFT)
    html = client.get(reverse("portal:workshop-department", kwargs={"code": "974"})).content.decode()
    assert "17 places" in html and "En ligne" in html
    assert f"/seances/974/{draft.pk}/" not in html
    only_webinars = client.get(
        reverse("portal:workshop-department", kwargs={"code": "974"}), {"format": "in_person"}
    )
    assert f"/seances/974/{published.pk}/" not in only_webinars.content.decode()


def test_a_draft_session_does_not_exist_publicly(db, client):
    draft = wf.workshop("92", status=Workshop.Status.DRAFT)
    assert (
        client.get(reverse("portal:workshop-detail", kwargs={"code": "92", "pk": draft.pk})).status_code
        == 404
    )
    assert (
        client.get(reverse("portal:workshop-detail", kwargs={"code": "974", "pk": draft.pk})).status_code
        == 404
    )


def test_registering_reserves_a_seat_and_then_the_waiting_list(db, client):
    workshop = wf.workshop(capacity=1)
    response = client.post(_register_url(workshop), _form())
    assert response.status_code == 302 and response["Location"].endswith("/inscription/confirmee/")
    assert "Votre place est réservée" in client.get(response["Location"]).content.decode()
    response = client.post(_register_url(workshop), _form(email="autre@exemple.fr"))
    assert response["Location"].endswith("/inscription/liste-attente/")
    assert list(Registration.objects.values_list("status", flat=True).order_by("pk")) == [
        "confirmed",
        "waiting",
    ]


def test_bad_input_gets_clear_french_errors_and_changes_nothing(db, client):
    workshop = wf.workshop()
    response = client.post(_register_url(workshop), _form(first_name="", email="", contact_kind="email"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez votre adresse e-mail, ou choisissez le SMS." in html
    assert 'aria-invalid="true"' in html or "invalid-feedback" in html
    response = client.post(_register_url(workshop), _form(contact_kind="sms", phone="01 23 45 67 89"))
    assert "pas un mobile" in response.content.decode()
    assert Registration.objects.count() == 0


def test_an_sms_registration_stores_the_number_in_international_form(db, client):
    workshop = wf.workshop("974")
    client.post(_register_url(workshop), _form(contact_kind="sms", phone="0692 12 34 56", email=""))
    assert Registration.objects.get().contact_value == "+262692123456"


def test_the_honeypot_records_nothing_but_answers_as_usual(db, client):
    workshop = wf.workshop()
    response = client.post(_register_url(workshop), _form(site_web="http://spam.exemple"))
    assert response.status_code == 302
    assert Registration.objects.count() == 0


def test_the_honeypot_is_out_of_sight_and_out_of_the_keyboard_path(db, client):
    html = client.get(_register_url(wf.workshop())).content.decode()
    hidden = re.search(r'<div class="visually-hidden" aria-hidden="true">(.*?)</div>', html, re.S).group(1)
    assert 'name="site_web"' in hidden and 'tabindex="-1"' in hidden


def test_a_repeated_registration_looks_like_a_new_one_and_creates_nothing(db, client):
    """The page never tells whether an e-mail address is already registered (an ex-partner could try hers)."""
    workshop = wf.workshop(capacity=5)
    first = client.post(_register_url(workshop), _form(email="victime@exemple.fr"))
    second = client.post(_register_url(workshop), _form(email="Victime@Exemple.fr", first_name="X"))
    assert first["Location"] == second["Location"]
    assert Registration.objects.count() == 1


def test_too_many_attempts_from_one_address_are_refused(db, client, settings):
    settings.PARCOURS_WORKSHOP_RATE_PER_IP_HOUR = 3
    workshop = wf.workshop(capacity=50)
    codes = [
        client.post(_register_url(workshop), _form(email=f"p{i}@exemple.fr")).status_code for i in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    assert Registration.objects.count() == 3


def test_one_contact_cannot_be_flooded_with_confirmations(db, client, settings):
    settings.PARCOURS_WORKSHOP_RATE_PER_CONTACT_DAY = 2
    workshops = [wf.workshop(days=d) for d in (5, 6, 7)]
    codes = [
        client.post(_register_url(w), _form(email="cible@exemple.fr"), REMOTE_ADDR=f"10.0.0.{i}").status_code
        for i, w in enumerate(workshops)
    ]
    assert codes == [302, 302, 429]


def test_public_pages_send_no_store_and_set_no_cookie_but_the_form_one(db, client):
    workshop = wf.workshop()
    for url in (
        "/",
        reverse("portal:workshop-index"),
        reverse("portal:workshop-department", kwargs={"code": "92"}),
        reverse("portal:workshop-detail", kwargs={"code": "92", "pk": workshop.pk}),
    ):
        response = client.get(url)
        assert response["Cache-Control"] == "no-store"
        assert not response.cookies, url
    form_page = client.get(_register_url(workshop))
    assert set(form_page.cookies) <= {"csrftoken"}
    assert form_page.cookies["csrftoken"]["httponly"]


def test_public_pages_load_nothing_from_another_origin(db, client):
    workshop = wf.workshop("974", format="webinar")
    registration = wf.public_registration(workshop)
    token = links.registration_token(registration)
    for url in (
        reverse("portal:workshop-detail", kwargs={"code": "974", "pk": workshop.pk}),
        _register_url(workshop),
        reverse("portal:registration-manage", kwargs={"token": token}),
    ):
        html = client.get(url).content.decode()
        sources = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        # The only absolute link is the quick exit's destination (a navigation, not a load).
        assert sources == [settings.PARCOURS_QUICK_EXIT_URL], (url, sources)
        assert "Quitter le site" in html


def test_cancelling_through_the_private_link_makes_the_seat_reappear(db, client):
    workshop = wf.workshop(capacity=1)
    registration = wf.public_registration(workshop)
    detail = reverse("portal:workshop-detail", kwargs={"code": "92", "pk": workshop.pk})
    assert "Complet" in client.get(detail).content.decode()
    token = links.registration_token(registration)
    cancel = reverse("portal:registration-cancel", kwargs={"token": token})
    assert "Oui, annuler mon inscription" in client.get(cancel).content.decode()
    response = client.post(cancel)
    assert response.status_code == 302
    assert "Annulée" in client.get(response["Location"]).content.decode()
    assert "1 place restante" in client.get(detail).content.decode()


def test_the_private_page_changes_the_number_of_people(db, client):
    workshop = wf.workshop(capacity=5)
    registration = wf.public_registration(workshop)
    url = reverse("portal:registration-manage", kwargs={"token": links.registration_token(registration)})
    response = client.post(url, {"party_size": 3, "accessibility_needs": "Fauteuil roulant"})
    assert "Vos changements sont enregistrés" in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.seats_taken == 3


def test_the_private_page_moves_to_another_session(db, client):
    workshop = wf.workshop(capacity=5)
    other = wf.workshop(days=20)
    registration = wf.public_registration(workshop)
    url = reverse("portal:registration-move", kwargs={"token": links.registration_token(registration)})
    response = client.post(url, {"workshop": other.pk})
    assert response.status_code == 302
    assert Registration.objects.get(workshop=other).status == "confirmed"


def test_the_offer_page_accepts_a_freed_seat(db, client):
    workshop = wf.workshop(capacity=1)
    holder = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    client.post(reverse("portal:registration-cancel", kwargs={"token": links.registration_token(holder)}))
    url = reverse("portal:registration-offer", kwargs={"token": links.registration_token(waiting)})
    assert "Une place s'est libérée" in client.get(url).content.decode()
    client.post(url, {"reponse": "accepter"})
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


@pytest.mark.parametrize("name", ["portal:workshop-index", "portal:quick-exit-help"])
def test_the_quick_exit_help_is_linked_from_every_public_page(db, client, name):
    assert "Sortie rapide : mode d'emploi" in client.get(reverse(name)).content.decode()


def test_pages_show_the_time_of_la_reunion_not_of_paris(db, client):
    from datetime import date, timedelta

    day = date.today() + timedelta(days=15)
    workshop = wf.workshop("974", format="webinar", starts_at=wf.local("974", day, 18))
    listing = client.get(reverse("portal:workshop-department", kwargs={"code": "974"})).content.decode()
    detail = client.get(
        reverse("portal:workshop-detail", kwargs={"code": "974", "pk": workshop.pk})
    ).content.decode()
    assert "18h00" in listing and "15h00" not in listing and "14h00" not in listing
    assert "de 18h00 à 20h00" in detail
