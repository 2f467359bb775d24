"""Household rules held by the domain, whatever the door (staff form, service, API, import)."""

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from parcours.core.models import AuditEntry
from parcours.households import services
from parcours.households.models import ContactChannel, ProtectedAddress
from tests import factories

ELECTED = {"elected_kind": "lawyer", "elected_name": "Cabinet Leclerc", "elected_line": "5 place Carnot",
           "elected_postal_code": "27000", "elected_city": "Évreux"}  # fmt: skip


@pytest.fixture
def person(db):
    household = factories.HouseholdFactory(department_code="92")
    return factories.PersonFactory(household=household, is_declarant=True)


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [("sms", "06 12 34 56 78", "+33612345678"), ("phone", "0692 12 34 56", "+262692123456"),
     ("email", "  nadia@exemple.fr ", "nadia@exemple.fr"), ("postal", "", "")],
)  # fmt: skip
def test_the_model_stores_contact_values_in_their_normal_form(person, kind, raw, stored):
    contact = ContactChannel(person=person, kind=kind, value=raw)
    contact.full_clean()
    assert contact.value == stored


@pytest.mark.parametrize(
    ("kind", "raw"), [("sms", "12 34"), ("phone", "+44 20 7946 0958"), ("email", "nadia@"), ("email", "")]
)
def test_the_model_refuses_a_value_that_is_not_a_contact_of_its_kind(person, kind, raw):
    with pytest.raises(ValidationError) as refused:
        ContactChannel(person=person, kind=kind, value=raw).full_clean()
    assert set(refused.value.message_dict) == {"value"}


@pytest.mark.parametrize(("start", "end"), [(time(18), None), (None, time(20))])
def test_safe_hours_come_in_pairs(person, start, end):
    contact = ContactChannel(
        person=person, kind="email", value="a@exemple.fr", safe_from=start, safe_until=end
    )
    with pytest.raises(ValidationError) as refused:
        contact.full_clean()
    assert refused.value.message_dict == {
        "safe_until": ["Indiquez le début et la fin de la plage horaire, ou aucun des deux."]
    }


def test_the_service_normalises_and_checks_contacts_for_every_caller(person, make_user):
    worker = make_user("social_worker", "92")
    contact = services.add_contact(
        actor=worker, person=person, kind="sms", value="06 12 34 56 78", is_safe=True
    )
    assert ContactChannel.objects.get(pk=contact.pk).value == "+33612345678"
    with pytest.raises(ValidationError):
        services.add_contact(actor=worker, person=person, kind="sms", value="12", is_safe=True)
    with pytest.raises(ValidationError):
        services.update_contact(actor=worker, contact=contact, safe_from=time(18))
    assert ContactChannel.objects.get(pk=contact.pk).safe_from is None


def test_the_same_number_written_differently_is_no_change(person, make_user):
    worker = make_user("social_worker", "92")
    contact = services.add_contact(actor=worker, person=person, kind="sms", value="0612345678")
    services.update_contact(actor=worker, contact=contact, kind="sms", value="06 12 34 56 78")
    assert not AuditEntry.objects.filter(action="households.contact.changed").exists()


def test_only_a_social_worker_changes_a_protected_address(person, make_user):
    worker, advisor = make_user("social_worker", "92"), make_user("service_advisor", "92")
    factories.AddressFactory(person=person, line="8 rue Secrète")
    services.protect_address(actor=worker, person=person, reason="Violences", **ELECTED)
    with pytest.raises(services.AddressProtected) as refused:
        services.set_address(
            actor=advisor, person=person, line="1 rue Neuve", postal_code="92000", city="Nanterre"
        )
    assert isinstance(refused.value, PermissionDenied)
    assert str(refused.value) == "Cette adresse est protégée : seul un travailleur social peut la modifier."
    before = ProtectedAddress.objects.get(person=person).ciphertext
    services.set_address(
        actor=worker, person=person, line="1 rue Neuve", postal_code="92000", city="Nanterre"
    )
    assert ProtectedAddress.objects.get(person=person).ciphertext != before


def test_an_unprotected_address_is_edited_by_any_caseworker(person, make_user):
    advisor = make_user("service_advisor", "92")
    services.check_address_editable(advisor, person)
    services.set_address(
        actor=advisor, person=person, line="1 rue Neuve", postal_code="92000", city="Nanterre"
    )
    assert person.address.line == "1 rue Neuve"
