"""The public session list and the registration form are rendered once, then served from the
fragment cache until what they show changes (seats, the session, its venue, the clock's verdict)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.test import Client
from django.urls import reverse

from parcours.portal import fragments
from parcours.workshops.models import Workshop
from tests.workshops import factories as wf

SENTINEL = "FRAGMENT-SERVI-DEPUIS-LE-CACHE"


@pytest.fixture(autouse=True)
def _empty_fragments():
    caches["fragments"].clear()
    fragments.forget_pages()
    yield
    caches["fragments"].clear()
    fragments.forget_pages()


def _department_url(code="974"):
    return reverse("portal:workshop-department", kwargs={"code": code})


def _register_url(workshop):
    return reverse("portal:workshop-register", kwargs={"code": workshop.department.code, "pk": workshop.pk})


def _plant(name: str, *vary_on) -> None:
    """Replace a cached fragment: the next page shows whether it was reused or rendered again."""
    key = make_template_fragment_key(name, vary_on)
    assert caches["fragments"].get(key) is not None  # the first rendering was kept
    caches["fragments"].set(key, SENTINEL)
    # The whole form page is kept too (test_public_page_holes.py): forget it, so that the next page
    # is assembled from the fragments again, as in a process that has not rendered it yet.
    fragments.forget_pages()


def _row_key(response, workshop) -> str:
    (row,) = [w for w in response.context["workshops"] if w.pk == workshop.pk]
    return row.fragment_key


def test_a_session_row_is_reused_while_its_seats_are_shown_live(client):
    workshop = wf.workshop("974", format="webinar", capacity=20)
    first = client.get(_department_url())
    assert "20 places" in first.content.decode()
    _plant("workshop-row", _row_key(first, workshop))
    html = client.get(_department_url()).content.decode()
    assert SENTINEL in html and "20 places" in html
    wf.public_registration(workshop)  # a registration changes the seats, not the session's description
    html = client.get(_department_url()).content.decode()
    assert SENTINEL in html and "19 places" in html


def test_a_session_row_is_rendered_again_when_the_session_or_its_venue_changes(client):
    workshop = wf.workshop("974", format="in_person", capacity=20)
    _plant("workshop-row", _row_key(client.get(_department_url()), workshop))
    venue = workshop.venue
    venue.name = "Maison des familles du Port"
    venue.save()
    response = client.get(_department_url())
    html = response.content.decode()
    assert SENTINEL not in html and "Maison des familles du Port" in html
    _plant("workshop-row", _row_key(response, workshop))
    # Any writer (here a bare UPDATE, as the admin or a script would do): the key follows the row.
    Workshop.objects.filter(pk=workshop.pk).update(starts_at=workshop.starts_at + timedelta(hours=1))
    html = client.get(_department_url()).content.decode()
    assert SENTINEL not in html
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.CANCELLED)
    assert f"/seances/974/{workshop.pk}/" not in client.get(_department_url()).content.decode()


def test_a_session_row_says_closed_once_the_deadline_passes(client):
    workshop = wf.workshop("974", format="webinar", capacity=20)
    first = client.get(_department_url())
    _plant("workshop-row-action", _row_key(first, workshop), True)
    assert SENTINEL in client.get(_department_url()).content.decode()
    with time_machine.travel(workshop.registration_deadline + timedelta(minutes=1)):
        html = client.get(_department_url()).content.decode()
    assert SENTINEL not in html and "Inscriptions closes" in html


def test_the_registration_form_is_reused_while_the_seats_change_and_shown_live(client):
    workshop = wf.workshop(capacity=30)
    first = client.get(_register_url(workshop))
    assert "30 places restantes" in first.content.decode()
    _plant("workshop-register-form", first.context["form_key"])
    second = client.get(_register_url(workshop))
    assert SENTINEL in second.content.decode()
    # The fields were not rendered again: no widget template ran for the second page.
    assert not any(t.name.startswith("django/forms/") for t in second.templates)
    wf.public_registration(workshop)
    html = client.get(_register_url(workshop)).content.decode()
    assert SENTINEL in html and "29 places restantes" in html


def test_the_session_summary_is_rendered_again_when_the_venue_changes(client):
    workshop = wf.workshop(capacity=30)
    first = client.get(_register_url(workshop))
    _plant("workshop-summary", first.context["summary_key"])
    assert SENTINEL in client.get(_register_url(workshop)).content.decode()
    venue = workshop.venue
    venue.access_notes = "Entrée par la cour, interphone « Familles »"
    venue.save()
    html = client.get(_register_url(workshop)).content.decode()
    assert SENTINEL not in html and "Entrée par la cour" in html


def test_a_smaller_session_gets_its_own_party_sizes(client):
    workshop = wf.workshop(capacity=30)
    _plant("workshop-register-form", client.get(_register_url(workshop)).context["form_key"])
    Workshop.objects.filter(pk=workshop.pk).update(capacity=2)
    html = client.get(_register_url(workshop)).content.decode()
    assert SENTINEL not in html
    assert 'value="2"' in html and 'value="3"' not in html


def test_a_post_with_errors_shows_its_own_answers_and_errors_never_the_cached_form(client):
    workshop = wf.workshop(capacity=30)
    _plant("workshop-register-form", client.get(_register_url(workshop)).context["form_key"])
    response = client.post(_register_url(workshop), {"first_name": "Nadia", "contact_kind": "email",
                                                     "email": "", "phone": "", "party_size": 1})  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and SENTINEL not in html
    assert 'value="Nadia"' in html and "Saisissez votre adresse e-mail" in html


def test_each_visitor_gets_a_csrf_token_of_her_own_that_the_post_accepts():
    workshop = wf.workshop(capacity=30)
    tokens = []
    for n in range(2):
        client = Client(enforce_csrf_checks=True)
        html = client.get(_register_url(workshop)).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append(client.cookies["csrftoken"].value)
        response = client.post(_register_url(workshop), {
            "csrfmiddlewaretoken": token, "first_name": "Awa", "contact_kind": "email",
            "email": f"awa{n}@exemple.fr", "phone": "", "party_size": 1,
        })  # fmt: skip
        assert response.status_code == 302
    assert tokens[0] != tokens[1]


def test_the_registration_page_reads_the_session_in_one_query(client, django_assert_num_queries):
    workshop = wf.workshop(capacity=30)
    client.get(_register_url(workshop))
    with django_assert_num_queries(1):
        client.get(_register_url(workshop))
