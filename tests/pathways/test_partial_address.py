"""Issue 23: a postal code and town without a street line is accepted at every door (form, file,
API — one validator), kept as a partial address, shown as such, never used for a letter, and still
places the family near a session (the invitation list filters by postal code)."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from parcours.api.models import ApiToken
from parcours.households.models import Address, ContactChannel
from parcours.notifications import safety
from parcours.pathways.models import PathwayStep, StepKind
from parcours.pathways.services import import_data
from tests import factories
from tests.pathways.factories import csv_bytes, open_pathway, row
from tests.pathways.test_pages import declaration


@pytest.fixture(autouse=True)
def setup(db):
    cache.clear()
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


def _only_address() -> Address:
    address = Address.objects.select_related("person").get()
    assert (address.line, address.postal_code, address.city) == ("", "92000", "Nanterre")
    assert address.is_partial
    display = address.person.display_address()
    assert display.is_partial and display.label == "Adresse partielle (sans rue)"
    assert display.lines == ["92000 Nanterre"]
    return address


def test_the_file_keeps_a_partial_address():
    importer = factories.make_user("service_advisor", "92")
    outcome = import_data(
        actor=importer,
        data=csv_bytes([row(address_line="", postal_code="92000", city="Nanterre")]),
        filename="declarations.csv",
    )
    assert not outcome.errors and outcome.created == 1
    _only_address()


def test_the_form_keeps_a_partial_address(client_for):
    client = client_for(factories.make_user("service_advisor", "92"))
    response = client.post(
        reverse("backoffice:pathway-record"), declaration(postal_code="92000", city="Nanterre")
    )
    assert response.status_code == 302
    address = _only_address()
    page = client.get(response["Location"]).content.decode()
    assert "Adresse partielle (sans rue)" in page and "92000 Nanterre" in page
    assert address.person.household_id


def test_the_api_keeps_a_partial_address(client):
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    payload = [row(address_line="", postal_code="92000", city="Nanterre")]
    payload[0]["children_count"] = int(payload[0]["children_count"])
    response = client.post(
        "/api/v1/separation-events",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (200, 201), response.json()
    _only_address()


def test_a_street_line_still_needs_its_postal_code_and_town(client_for):
    client = client_for(factories.make_user("service_advisor", "92"))
    response = client.post(reverse("backoffice:pathway-record"), declaration(address_line="3 rue Haute"))
    assert response.status_code == 200
    assert "« Code postal » est obligatoire quand « Adresse » est renseignée" in response.content.decode()
    assert not Address.objects.exists()


def test_no_letter_goes_to_a_partial_address():
    person = factories.PersonFactory(household=factories.HouseholdFactory(department_code="92"))
    Address.objects.create(person=person, line="", postal_code="92000", city="Nanterre")
    ContactChannel.objects.create(person=person, kind="postal", value="", is_safe=True)
    channel, _, problem = safety.choose_channel(("postal",), person, "", sms_enabled=False)
    assert channel == "" and "adresse partielle (sans rue)" in problem


def test_a_partial_address_places_the_family_on_the_invitation_list(client_for):
    near, far = open_pathway(department="92"), open_pathway(department="92")
    for pathway, postal_code in ((near, "92000"), (far, "92100")):
        person = pathway.household.members.first()
        Address.objects.update_or_create(
            person=person, defaults={"line": "", "postal_code": postal_code, "city": "Ville"}
        )
    assert PathwayStep.objects.filter(kind=StepKind.WORKSHOP_INVITATION, status="open").count() == 2
    client = client_for(factories.make_user("social_worker", "92"))
    page = client.get(reverse("backoffice:invitation-list"), {"postal_code": "92000"}).content.decode()
    assert page.count('name="step"') == 1
    assert near.household.reference in page and far.household.reference not in page
    refused = client.get(reverse("backoffice:invitation-list"), {"postal_code": "920"}).content.decode()
    assert "Le code postal compte 5 chiffres." in refused
