"""Households: the access policy on records, the protected address, search, forms and audit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from parcours.core.models import AuditEntry
from parcours.core.phones import normalize_french_phone
from parcours.households import selectors, services
from parcours.households.models import Address, HouseholdAssignment, ProtectedAddress
from tests import factories

ELECTED = {
    "elected_kind": "lawyer",
    "elected_name": "Cabinet Maître Leclerc",
    "elected_line": "5 place du Général de Gaulle",
    "elected_postal_code": "27000",
    "elected_city": "Évreux",
}


@pytest.fixture
def social_worker(db):
    return factories.make_user("social_worker", "92")


@pytest.fixture
def household(db):
    household = factories.HouseholdFactory(department_code="92", file_number="1234567")
    parent = factories.PersonFactory(
        household=household, first_name="Hélène", last_name="Lefèvre", is_declarant=True
    )
    factories.AddressFactory(person=parent, line="8 rue Secrète")
    return household


def test_restricted_household_is_visible_only_to_assigned_staff(social_worker, household):
    colleague = factories.make_user("benefits_officer", "92")
    services.restrict_household(actor=social_worker, household=household, reason="Violences signalées")
    assert selectors.household_for(social_worker, household.pk) == household
    with pytest.raises(Http404):
        selectors.household_for(colleague, household.pk)
    assert household not in selectors.households_visible_to(colleague)


def test_staff_of_another_department_get_404(household):
    stranger = factories.make_user("social_worker", "974")
    with pytest.raises(Http404):
        selectors.household_for(stranger, household.pk)


def test_national_pilot_and_admin_see_no_family(household):
    for role in ("national_pilot", "admin"):
        user = factories.make_user(role, None)
        with pytest.raises(PermissionDenied):
            selectors.household_for(user, household.pk)
        assert not selectors.households_visible_to(user).exists()


def test_local_pilot_sees_the_reference_of_restricted_households_but_not_their_content(
    social_worker, household
):
    pilot = factories.make_user("local_pilot", "92")
    services.restrict_household(actor=social_worker, household=household, reason="Violences signalées")
    assert selectors.household_reference_for(pilot, household.pk) == household
    with pytest.raises(PermissionDenied):
        selectors.household_for(pilot, household.pk)


def test_local_pilot_assigns_staff_of_the_department_only(social_worker, household):
    pilot = factories.make_user("local_pilot", "92")
    colleague = factories.make_user("service_advisor", "92")
    services.restrict_household(actor=social_worker, household=household, reason="Violences signalées")
    services.assign_staff(actor=pilot, household=household, user=colleague)
    assert selectors.household_for(colleague, household.pk) == household
    with pytest.raises(ValidationError):
        services.assign_staff(
            actor=pilot, household=household, user=factories.make_user("social_worker", "974")
        )
    assignment = HouseholdAssignment.objects.get(household=household, user=colleague)
    services.unassign_staff(actor=pilot, assignment=assignment)
    with pytest.raises(Http404):
        selectors.household_for(colleague, household.pk)
    assert AuditEntry.objects.filter(action="households.assignment.created").count() == 1
    assert AuditEntry.objects.filter(action="households.assignment.deleted").count() == 1


def test_protecting_an_address_encrypts_it_and_shows_the_elected_one(social_worker, household):
    person = household.members.get()
    services.protect_address(actor=social_worker, person=person, reason="Danger", **ELECTED)
    protected = ProtectedAddress.objects.get(person=person)
    assert b"Secr" not in bytes(protected.ciphertext)
    assert not Address.objects.filter(person=person).exists()
    person.refresh_from_db()
    shown = person.display_address()
    assert shown.is_elected and "Cabinet Maître Leclerc" in str(shown) and "Secrète" not in str(shown)
    assert AuditEntry.objects.filter(action="households.address.protected", reason="Danger").exists()


def test_only_social_workers_protect_addresses(household):
    advisor = factories.make_user("service_advisor", "92")
    with pytest.raises(PermissionDenied):
        services.protect_address(actor=advisor, person=household.members.get(), reason="x", **ELECTED)


def test_reveal_needs_a_reason_and_a_recent_reauthentication_and_is_audited(social_worker, household):
    person = household.members.get()
    services.protect_address(actor=social_worker, person=person, reason="Danger", **ELECTED)
    now = timezone.now()
    with pytest.raises(ValidationError):
        services.reveal_protected_address(
            actor=social_worker, person=person, reason="", reauthenticated_at=now
        )
    with pytest.raises(PermissionDenied):
        services.reveal_protected_address(
            actor=social_worker, person=person, reason="Convocation au tribunal", reauthenticated_at=None
        )
    with pytest.raises(PermissionDenied):
        services.reveal_protected_address(
            actor=social_worker,
            person=person,
            reason="Convocation au tribunal",
            reauthenticated_at=now - timedelta(minutes=6),
        )
    revealed = services.reveal_protected_address(
        actor=social_worker, person=person, reason="Convocation au tribunal", reauthenticated_at=now
    )
    assert revealed.line == "8 rue Secrète"
    entry = AuditEntry.objects.get(action="households.protected_address.revealed")
    assert entry.reason == "Convocation au tribunal" and "Secrète" not in entry.object_ref


def test_other_roles_cannot_reveal(social_worker, household):
    person = household.members.get()
    services.protect_address(actor=social_worker, person=person, reason="Danger", **ELECTED)
    officer = factories.make_user("benefits_officer", "92")
    with pytest.raises(PermissionDenied):
        services.reveal_protected_address(
            actor=officer, person=person, reason="Convocation au tribunal", reauthenticated_at=timezone.now()
        )


def test_reveal_page_sends_to_reauthentication_first(client_for, social_worker, household):
    person = household.members.get()
    services.protect_address(actor=social_worker, person=person, reason="Danger", **ELECTED)
    response = client_for(social_worker).get(reverse("backoffice:address-reveal", kwargs={"pk": person.pk}))
    assert response.status_code == 302 and response["Location"].startswith(reverse("backoffice:reauth"))


def test_search_ignores_accents_and_case_and_never_matches_protected_addresses(social_worker, household):
    assert list(selectors.search_households(social_worker, "lefevre")) == [household]
    assert list(selectors.search_households(social_worker, "HÉLÈNE")) == [household]
    assert list(selectors.search_households(social_worker, "12345")) == [household]
    person = household.members.get()
    services.protect_address(actor=social_worker, person=person, reason="Danger", **ELECTED)
    assert not selectors.search_households(social_worker, "Secrète").exists()


def test_opening_a_household_is_audited_and_the_local_pilot_sees_who_did(
    client_for, social_worker, household
):
    assert (
        client_for(social_worker)
        .get(reverse("backoffice:household-detail", kwargs={"pk": household.pk}))
        .status_code
        == 200
    )
    pilot = factories.make_user("local_pilot", "92")
    page = client_for(pilot).get(reverse("backoffice:audit-household", kwargs={"pk": household.pk}))
    content = page.content.decode()
    assert page.status_code == 200
    assert (
        social_worker.email in content
        and "Consultation — dossier du foyer" in content
        and "households.household.viewed" not in content
    )


def test_household_form_errors_are_in_french_and_change_nothing(client_for, social_worker, household):
    client = client_for(social_worker)
    response = client.post(reverse("backoffice:household-create"), {"file_number": "1234567"})
    assert response.status_code == 200
    assert "Un dossier porte déjà ce numéro" in response.content.decode()
    person = household.members.get()
    response = client.post(
        reverse("backoffice:address-edit", kwargs={"pk": person.pk}),
        {"line": "1 rue Neuve", "postal_code": "9200", "city": "Nanterre"},
    )
    assert "Le code postal compte 5 chiffres." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert Address.objects.get(person=person).line == "8 rue Secrète"


def test_contact_numbers_are_checked_and_normalised_overseas_included(client_for, social_worker, household):
    person = household.members.get()
    client = client_for(social_worker)
    url = reverse("backoffice:contact-create", kwargs={"pk": person.pk})
    bad = client.post(url, {"kind": "sms", "value": "12 34", "is_safe": "on"})
    assert "Numéro de téléphone français invalide" in bad.content.decode()
    assert client.post(url, {"kind": "sms", "value": "0692 12 34 56", "is_safe": "on"}).status_code == 302
    assert person.contacts.get().value == "+262692123456"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 1 47 20 00 00", "+33147200000"),
        ("0692 12 34 56", "+262692123456"),
        ("0590 12 34 56", "+590590123456"),
        ("not a number", None),
        ("+44 20 7946 0958", None),
    ],
)
def test_normalize_french_phone(raw, expected):
    assert normalize_french_phone(raw) == expected


def test_services_refuse_other_departments_records(household):
    stranger = factories.make_user("social_worker", "974")
    with pytest.raises(Http404):
        services.update_household(actor=stranger, household=household, file_number="999")


def test_the_national_pilot_sees_aggregates_with_small_counts_hidden(client_for, db):
    for _ in range(12):
        factories.HouseholdFactory(department_code="92")
    factories.HouseholdFactory(department_code="974", file_number="9000001")
    pilot = factories.make_user("national_pilot", None)
    rows = {r["code"]: r for r in selectors.national_counts(pilot)}
    assert rows["92"]["total"] == 12 and rows["92"]["restricted"] is None
    assert rows["974"]["total"] is None
    page = client_for(pilot).get(reverse("backoffice:home")).content.decode()
    assert "Vue nationale" in page and "&lt; 11" in page
    with pytest.raises(PermissionDenied):
        selectors.national_counts(factories.make_user("local_pilot", "92"))


def test_reading_a_person_form_is_audited(client_for, social_worker, household):
    person = household.members.get()
    client_for(social_worker).get(reverse("backoffice:person-edit", kwargs={"pk": person.pk}))
    assert AuditEntry.objects.filter(action="households.person.viewed", object_id=str(person.pk)).exists()


def test_editing_through_the_forms_saves_and_audits_the_change(client_for, social_worker, household):
    client = client_for(social_worker)
    person = household.members.get()
    contact = factories.ContactFactory(person=person, kind="email", value="avant@exemple.fr", is_safe=False)
    response = client.post(
        reverse("backoffice:contact-edit", kwargs={"pk": contact.pk}),
        {"kind": "email", "value": "apres@exemple.fr", "is_safe": "on"},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.value == "apres@exemple.fr" and contact.is_safe
    client.post(
        reverse("backoffice:person-edit", kwargs={"pk": person.pk}),
        {"role": "parent", "first_name": "Hélène", "last_name": "Durand", "is_declarant": "on"},
    )
    person.refresh_from_db()
    assert person.last_name == "Durand"
    client.post(reverse("backoffice:household-edit", kwargs={"pk": household.pk}), {"file_number": "7654321"})
    household.refresh_from_db()
    assert household.file_number == "7654321" and not household.is_allocataire
    changes = AuditEntry.objects.filter(action__endswith=".changed").values_list("action", flat=True)
    assert set(changes) == {
        "households.contact.changed",
        "households.person.changed",
        "households.household.changed",
    }
