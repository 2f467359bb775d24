"""The registration form's page is rendered once per session version and process; each GET only
fills in the visitor's own CSRF token and the seats left now (portal.fragments.page)."""

import re
from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from parcours.portal import fragments
from parcours.workshops.models import Workshop
from tests.workshops import factories as wf

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _no_kept_pages():
    fragments.forget_pages()
    yield
    fragments.forget_pages()


def _url(workshop):
    return reverse("portal:workshop-register", kwargs={"code": workshop.department.code, "pk": workshop.pk})


def test_the_second_visit_runs_no_template_and_shows_the_same_page():
    workshop = wf.workshop(capacity=30)
    first = Client().get(_url(workshop))
    second = Client().get(_url(workshop))
    assert first.templates and second.templates == []
    one, two = first.content.decode(), second.content.decode()
    assert fragments.CSRF_HOLE not in two and fragments.SEATS_HOLE not in two
    # Byte for byte the same page, but for each visitor's own token.
    assert TOKEN.sub("", one) == TOKEN.sub("", two)
    assert TOKEN.search(one).group(1) != TOKEN.search(two).group(1)


def test_the_token_filled_in_is_the_visitors_own_and_the_post_accepts_it():
    workshop = wf.workshop(capacity=30)
    Client().get(_url(workshop))  # the page is kept
    client = Client(enforce_csrf_checks=True)
    response = client.get(_url(workshop))
    assert response.templates == [] and "csrftoken" in response.cookies  # the cookie is still set
    token = TOKEN.search(response.content.decode()).group(1)
    posted = client.post(_url(workshop), {
        "csrfmiddlewaretoken": token, "first_name": "Awa", "contact_kind": "email",
        "email": "awa@exemple.fr", "phone": "", "party_size": 1,
    })  # fmt: skip
    assert posted.status_code == 302
    forged = Client(enforce_csrf_checks=True).post(_url(workshop), {
        "csrfmiddlewaretoken": "x" * 64, "first_name": "Awa", "contact_kind": "email",
        "email": "eve@exemple.fr", "phone": "", "party_size": 1,
    })  # fmt: skip
    assert forged.status_code == 403


def test_the_seats_are_filled_in_live_from_the_kept_page(client):
    workshop = wf.workshop(capacity=2)
    assert "2 places restantes" in client.get(_url(workshop)).content.decode()
    wf.public_registration(workshop)
    response = client.get(_url(workshop))
    assert response.templates == [] and "1 place restante" in response.content.decode()
    wf.public_registration(workshop)
    html = client.get(_url(workshop)).content.decode()
    assert "Complet : inscription possible sur la liste d'attente" in html


def test_a_change_of_the_session_renders_the_page_again(client):
    workshop = wf.workshop(capacity=30)
    client.get(_url(workshop))
    # Any writer (a bare UPDATE, as the admin or a script would do): the key follows the row.
    Workshop.objects.filter(pk=workshop.pk).update(starts_at=workshop.starts_at + timedelta(hours=1))
    assert client.get(_url(workshop)).templates
    venue = workshop.venue
    venue.name = "Maison des familles du Port"
    venue.save()
    response = client.get(_url(workshop))
    assert response.templates and "Maison des familles du Port" in response.content.decode()


def test_a_visitor_with_a_message_waiting_gets_the_page_rendered_for_her():
    workshop = wf.workshop(capacity=30)
    Client().get(_url(workshop))  # the page is kept, without any message
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(messages.INFO, "Votre session a expiré. Merci de vous reconnecter.")
    carrier = HttpResponse()
    storage.update(carrier)
    client = Client()
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    response = client.get(_url(workshop))
    assert response.templates and "Votre session a expiré" in response.content.decode()
    # And the next visitor does not see her message.
    assert "Votre session a expiré" not in Client().get(_url(workshop)).content.decode()


def _landing(workshop, outcome: str) -> str:
    return reverse(
        "portal:workshop-registered",
        kwargs={"code": workshop.department.code, "pk": workshop.pk, "outcome": outcome},
    )


@pytest.mark.parametrize("outcome", ["confirmee", "liste-attente", "en-attente"])
def test_the_confirmation_page_is_rendered_once_per_session_and_outcome(outcome):
    workshop = wf.workshop(capacity=30)
    first = Client().get(_landing(workshop, outcome))
    second = Client().get(_landing(workshop, outcome))
    assert first.templates and second.templates == []
    assert first.content == second.content
    # Each outcome its own page: a kept page never tells another outcome.
    others = {
        o: Client().get(_landing(workshop, o)).content for o in ("confirmee", "liste-attente", "en-attente")
    }
    assert len(set(others.values())) == 3 and others[outcome] == first.content


def test_the_confirmation_page_follows_a_change_of_the_session_and_a_message_waiting(client):
    workshop = wf.workshop(capacity=30)
    client.get(_landing(workshop, "confirmee"))
    Workshop.objects.filter(pk=workshop.pk).update(starts_at=workshop.starts_at + timedelta(days=1))
    assert client.get(_landing(workshop, "confirmee")).templates
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(messages.INFO, "Votre session a expiré. Merci de vous reconnecter.")
    carrier = HttpResponse()
    storage.update(carrier)
    visitor = Client()
    visitor.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    response = visitor.get(_landing(workshop, "confirmee"))
    assert response.templates and "Votre session a expiré" in response.content.decode()
    assert "Votre session a expiré" not in Client().get(_landing(workshop, "confirmee")).content.decode()
