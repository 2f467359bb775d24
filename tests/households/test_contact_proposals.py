"""Issue 15, rule 2: contact data arriving with a declaration (staff form, `import-events`, the
back-office import, `POST /api/v1/separation-events`) for a family with violence on record never
attaches itself to anyone of the family: it is held as a proposal that the assigned social worker
confirms (through the contact service and its checks) or rejects, with a reason, on the household
page. Nobody else sees it, and no message ever uses it before."""

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.api.models import ApiToken
from parcours.core.models import AuditEntry
from parcours.households import services
from parcours.households.models import ContactChannel, ContactProposal, Household
from parcours.pathways.models import SeparationEvent
from parcours.pathways.services import import_data, record_separations
from parcours.protection import services as protection_services
from tests import factories
from tests.notifications.factories import family
from tests.pathways.factories import csv_bytes, event_input, row

pytestmark = pytest.mark.django_db
Source = SeparationEvent.Source
EMAIL, PHONE = "nouvelle.adresse@exemple.fr", "06 98 76 54 32"


@pytest.fixture
def staff(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return {
        "worker": factories.make_user("social_worker", "92"),
        "advisor": factories.make_user("service_advisor", "92"),
    }


@pytest.fixture
def protected(staff):
    """Camille's family: a violence report names her, the file is restricted to her social worker."""
    household, mother, father, _ = family("92", restricted=True, assignee=staff["worker"])
    protection_services.record_violence_report(
        actor=staff["worker"], household=household, person=mother, source="police"
    )
    return household, mother, father


def _channels(household):
    return set(ContactChannel.objects.filter(person__household=household).values_list("value", flat=True))


def assert_held(household, before, person):
    """Nothing new on anyone of the family; both values proposed, pending, for the person named."""
    assert _channels(household) == before
    proposals = ContactProposal.objects.filter(household=household)
    assert {(p.kind, p.value, p.person_id, p.status) for p in proposals} == {
        ("email", EMAIL, person.pk, "pending"), ("sms", "+33698765432", person.pk, "pending"),
    }  # fmt: skip
    assert AuditEntry.objects.filter(
        action="households.contact_proposal.held", scope=f"household:{household.pk}"
    ).exists()


def _declaration(household, person, **extra):
    return event_input(
        file_number=household.file_number, declarant_last_name=person.last_name,
        declarant_first_name=person.first_name, children_count=2, email=EMAIL, phone="+33698765432",
        phone_is_mobile=True, **extra,
    )  # fmt: skip


@pytest.mark.parametrize("who", ["mother", "father"])
@pytest.mark.parametrize("door", [Source.FILE, Source.FORM])
def test_the_service_holds_the_contacts_of_a_declaration_for_a_protected_family(staff, protected, door, who):
    household, mother, father = protected
    person = {"mother": mother, "father": father}[who]
    before = _channels(household)
    actor = {Source.FILE: None, Source.FORM: staff["worker"]}[door]
    record_separations(actor=actor, events=[_declaration(household, person)], source=door)
    assert_held(household, before, person)


def test_an_ordinary_family_still_gets_its_contacts_at_once(staff):
    household, mother, _, _ = family("92")
    record_separations(actor=None, events=[_declaration(household, mother)], source=Source.FILE)
    assert {EMAIL, "+33698765432"} <= set(mother.contacts.values_list("value", flat=True))
    assert not ContactProposal.objects.exists()


def test_a_family_with_a_report_but_no_restriction_any_more_is_still_protected(staff, protected):
    household, mother, _ = protected
    household.restricted = False
    household.save(update_fields=["restricted"])
    before = _channels(household)
    record_separations(actor=None, events=[_declaration(household, mother)], source=Source.FILE)
    assert_held(household, before, mother)


def test_the_api_scenario_of_the_issue_an_unconfirmed_email_never_reaches_the_victim(
    staff, protected, client
):
    cache.clear()
    household, mother, father = protected
    before = _channels(household)
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    payload = row(file_number=household.file_number, declarant_last_name=father.last_name,
                  declarant_first_name=father.first_name, children_count=2, email=EMAIL, phone=PHONE)  # fmt: skip
    response = client.post(
        "/api/v1/separation-events", data=json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
    assert EMAIL not in response.content.decode()
    assert_held(household, before, father)
    assert ContactProposal.objects.filter(source="api").count() == 2


def test_the_import_command_holds_them(staff, protected, tmp_path):
    household, mother, _ = protected
    before = _channels(household)
    path = tmp_path / "declarations.csv"
    path.write_bytes(csv_bytes([row(file_number=household.file_number, declarant_last_name=mother.last_name,
                                    declarant_first_name=mother.first_name, email=EMAIL, phone=PHONE)]))  # fmt: skip
    call_command("import-events", str(path), verbosity=0)
    assert_held(household, before, mother)


def test_the_staff_form_holds_them(staff, protected, client_for):
    household, mother, _ = protected
    before = _channels(household)
    advisor = staff["advisor"]
    response = client_for(advisor).post(
        reverse("backoffice:pathway-record"),
        {
            "form_token": "a1b2c3d4", "file_number": household.file_number, "is_allocataire": "on",
            "declared_on": advisor.department.local_today().isoformat(), "declarant_last_name": mother.last_name,
            "declarant_first_name": mother.first_name, "children_count": "2", "email": EMAIL, "phone": PHONE,
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert_held(household, before, mother)


def test_a_repeated_declaration_proposes_nothing_twice(staff, protected):
    household, mother, _ = protected
    for _ in range(2):
        record_separations(actor=None, events=[_declaration(household, mother)], source=Source.FILE)
    assert ContactProposal.objects.count() == 2


def test_the_bulk_import_holds_them_in_a_fixed_number_of_queries(staff):
    """The import keeps its speed: 40 protected families cost the queries of 4, never one per line."""
    worker = staff["worker"]

    def queries(count):
        lines = []
        for _ in range(count):
            household, mother, _, _ = family("92", restricted=True, assignee=worker)
            lines.append(row(file_number=household.file_number, declarant_last_name=mother.last_name,
                             declarant_first_name=mother.first_name, email=f"m{household.pk}@exemple.fr"))  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            assert import_data(actor=None, data=csv_bytes(lines), filename="d.csv").created == count
        return len(captured)

    queries(2)  # warm caches (templates, calendars)
    assert queries(4) <= queries(40) <= queries(4) + 2
    assert ContactProposal.objects.count() == 2 + 4 + 40 + 4


# --- the social worker decides, on the household page ------------------------------------------------


def _held(staff, protected):
    household, mother, father = protected
    record_separations(actor=None, events=[_declaration(household, father)], source=Source.FILE)
    return ContactProposal.objects.get(kind="email")


def test_only_the_assigned_social_worker_sees_them_on_the_household_page(staff, protected, client_for):
    proposal = _held(staff, protected)
    household = proposal.household
    url = reverse("backoffice:household-detail", args=[household.pk])
    page = client_for(staff["worker"]).get(url).content.decode()
    assert "Coordonnées reçues avec une déclaration, à vérifier" in page and EMAIL in page
    # An assigned colleague who is no social worker sees the file, not the proposals.
    from parcours.households.models import HouseholdAssignment

    HouseholdAssignment.objects.create(household=household, user=staff["advisor"])
    assert EMAIL not in client_for(staff["advisor"]).get(url).content.decode()
    # A social worker who is not assigned does not even open the file.
    assert client_for(factories.make_user("social_worker", "92")).get(url).status_code == 404


def test_confirming_attaches_it_through_the_contact_service_with_a_reason(staff, protected, client_for):
    proposal = _held(staff, protected)
    household, mother, _ = protected
    client = client_for(staff["worker"])
    url = reverse("backoffice:contact-proposal-review", args=[proposal.pk])
    client.post(url, {"decision": "confirmer", "person": mother.pk, "reason": "court"})
    proposal.refresh_from_db()
    assert proposal.is_pending and not mother.contacts.filter(value=EMAIL).exists()
    client.post(
        url, {"decision": "confirmer", "person": mother.pk, "reason": "Confirmé par Mme au téléphone"}
    )
    proposal.refresh_from_db()
    contact = mother.contacts.get(value=EMAIL)
    assert (proposal.status, proposal.contact, proposal.decided_by) == ("confirmed", contact, staff["worker"])
    assert not contact.is_safe  # a channel is marked safe with the person, never by a declaration
    entry = AuditEntry.objects.get(action="households.contact_proposal.confirmed")
    assert entry.reason == "Confirmé par Mme au téléphone" and EMAIL not in json.dumps(entry.data)
    assert AuditEntry.objects.filter(action="households.contact.created").exists()
    # Decided: no longer on the list of proposals (the phone one still is).
    page = client.get(reverse("backoffice:household-detail", args=[household.pk])).content.decode()
    assert "+33698765432" in page.split("Coordonnées reçues avec une déclaration")[1]


def test_rejecting_keeps_it_off_every_record(staff, protected):
    proposal = _held(staff, protected)
    household = proposal.household
    before = _channels(household)
    services.review_contact_proposal(
        actor=staff["worker"], proposal=proposal, confirm=False, reason="Adresse de l'autre parent"
    )
    proposal.refresh_from_db()
    assert proposal.status == "rejected" and _channels(household) == before
    with pytest.raises(ValidationError, match="déjà été traitée"):
        services.review_contact_proposal(
            actor=staff["worker"], proposal=proposal, confirm=True, reason="Finalement oui"
        )


def test_the_contact_service_checks_still_apply_and_only_a_social_worker_decides(staff, protected):
    proposal = _held(staff, protected)
    household, mother, _ = protected
    from parcours.households.models import HouseholdAssignment

    HouseholdAssignment.objects.create(household=household, user=staff["advisor"])
    with pytest.raises(PermissionDenied):
        services.review_contact_proposal(
            actor=staff["advisor"], proposal=proposal, confirm=True, reason="Confirmé par téléphone"
        )
    # A value the contact service refuses is refused in French, and the proposal stays pending.
    ContactProposal.objects.filter(pk=proposal.pk).update(value="pas-une-adresse")
    proposal.refresh_from_db()
    with pytest.raises(ValidationError):
        services.review_contact_proposal(
            actor=staff["worker"],
            proposal=proposal,
            confirm=True,
            reason="Confirmé par téléphone",
            person=mother,
        )
    proposal.refresh_from_db()
    assert proposal.is_pending and not mother.contacts.filter(value="pas-une-adresse").exists()
    assert Household.objects.get(pk=household.pk).restricted


# --- the postal address of a declaration (issue 22, second round) --------------------------------

STREET = "12 rue des Proposées"
ADDRESS = {"address_line": STREET, "postal_code": "92000", "city": "Nanterre"}


def _homeless(person):
    """The bug's case: the person named has no address yet, so the declaration's would attach."""
    from parcours.households.models import Address

    Address.objects.filter(person=person).delete()
    return person


def _by_service(source):
    def door(staff, household, person, client_for, tmp_path):
        actor = staff["worker"] if source == Source.FORM else None
        event = event_input(file_number=household.file_number, declarant_last_name=person.last_name,
                            declarant_first_name=person.first_name, address_line=STREET, postal_code="92000",
                            city="Nanterre")  # fmt: skip
        record_separations(actor=actor, events=[event], source=source)

    return door


def _line(household, person) -> dict:
    return row(file_number=household.file_number, declarant_last_name=person.last_name,
               declarant_first_name=person.first_name, **ADDRESS)  # fmt: skip


def _by_import_page(staff, household, person, client_for, tmp_path):
    # The import page queues this very job (pathways.services.jobs), run by the worker.
    import_data(actor=staff["advisor"], data=csv_bytes([_line(household, person)]), filename="d.csv")


def _by_command(staff, household, person, client_for, tmp_path):
    path = tmp_path / "declarations.csv"
    path.write_bytes(csv_bytes([_line(household, person)]))
    call_command("import-events", str(path), verbosity=0)


def _by_api(staff, household, person, client_for, tmp_path):
    cache.clear()
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    from django.test import Client

    response = Client().post(
        "/api/v1/separation-events", data=json.dumps({**_line(household, person), "children_count": 1}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
    assert STREET not in response.content.decode()


def _by_staff_form(staff, household, person, client_for, tmp_path):
    advisor = staff["advisor"]
    response = client_for(advisor).post(
        reverse("backoffice:pathway-record"),
        {
            "form_token": "a1b2c3d5", "file_number": household.file_number, "is_allocataire": "on",
            "declared_on": advisor.department.local_today().isoformat(), "declarant_last_name": person.last_name,
            "declarant_first_name": person.first_name, "children_count": "2", "address_line": STREET,
            "postal_code": "92000", "city": "Nanterre",
        },
    )  # fmt: skip
    assert response.status_code == 302


DOORS = {
    "fichier": _by_service(Source.FILE),
    "formulaire (service)": _by_service(Source.FORM),
    "page d'import": _by_import_page,
    "import-events": _by_command,
    "api": _by_api,
    "formulaire": _by_staff_form,
}


@pytest.mark.parametrize("door", DOORS)
def test_a_declarations_address_for_a_protected_family_goes_on_no_record_and_is_held_encrypted(
    staff, protected, door, client_for, tmp_path
):
    from parcours.households.models import Address

    household, mother, father = protected
    _homeless(father)
    DOORS[door](staff, household, father, client_for, tmp_path)
    assert not Address.objects.filter(person=father).exists()
    assert not Address.objects.filter(person__household=household, line=STREET).exists()
    proposal = ContactProposal.objects.get(household=household, kind="address")
    assert (proposal.person, proposal.status) == (father, "pending")
    assert proposal.address_values() == {"line": STREET, "postal_code": "92000", "city": "Nanterre"}
    assert STREET.encode() not in bytes(proposal.address_ciphertext)  # encrypted at rest
    assert STREET not in proposal.value and proposal.value.startswith("empreinte:")
    assert AuditEntry.objects.filter(
        action="households.contact_proposal.held", scope=f"household:{household.pk}"
    ).exists()


def test_an_ordinary_family_still_gets_the_address_at_once(staff):
    household, mother, _, _ = family("92")
    _homeless(mother)
    DOORS["fichier"](staff, household, mother, None, None)
    assert mother.__class__.objects.get(pk=mother.pk).address.line == STREET
    assert not ContactProposal.objects.exists()


def test_the_same_address_is_not_proposed_twice(staff, protected):
    household, mother, _ = protected
    _homeless(mother)
    for _ in range(2):
        DOORS["fichier"](staff, household, mother, None, None)
    assert ContactProposal.objects.filter(kind="address").count() == 1


def test_the_bulk_import_holds_the_addresses_in_a_fixed_number_of_queries(staff):
    """40 protected families with an address cost the queries of 4."""
    worker = staff["worker"]

    def queries(count):
        lines = []
        for _ in range(count):
            household, mother, _, _ = family("92", restricted=True, assignee=worker)
            _homeless(mother)
            lines.append({**_line(household, mother), "email": f"m{household.pk}@exemple.fr"})
        with CaptureQueriesContext(connection) as captured:
            assert import_data(actor=None, data=csv_bytes(lines), filename="d.csv").created == count
        return len(captured)

    queries(2)
    assert queries(4) <= queries(40) <= queries(4) + 2
    assert ContactProposal.objects.filter(kind="address").count() == 2 + 4 + 40 + 4


def _held_address(staff, protected, who="mother"):
    household, mother, father = protected
    person = {"mother": mother, "father": father}[who]
    _homeless(person)
    DOORS["fichier"](staff, household, person, None, None)
    return ContactProposal.objects.get(kind="address")


def test_only_the_assigned_social_worker_sees_the_proposed_address(staff, protected, client_for):
    from parcours.households.models import HouseholdAssignment

    proposal = _held_address(staff, protected)
    url = reverse("backoffice:household-detail", args=[proposal.household_id])
    assert STREET in client_for(staff["worker"]).get(url).content.decode()
    HouseholdAssignment.objects.create(household=proposal.household, user=staff["advisor"])
    assert STREET not in client_for(staff["advisor"]).get(url).content.decode()


def test_confirming_an_address_sets_it_through_the_address_service_and_forgets_it(
    staff, protected, client_for
):
    proposal = _held_address(staff, protected)
    household, mother, _ = protected
    url = reverse("backoffice:contact-proposal-review", args=[proposal.pk])
    client_for(staff["worker"]).post(
        url, {"decision": "confirmer", "person": mother.pk, "reason": "Confirmée par Mme au téléphone"}
    )
    proposal.refresh_from_db()
    assert proposal.status == "confirmed" and proposal.address_ciphertext is None
    mother.refresh_from_db()
    assert (mother.address.line, mother.address.postal_code) == (STREET, "92000")
    assert AuditEntry.objects.filter(action="households.address.changed").exists()
    entry = AuditEntry.objects.get(action="households.contact_proposal.confirmed")
    assert STREET not in json.dumps(entry.data) + entry.reason


def test_rejecting_an_address_keeps_it_off_every_record_and_forgets_it(staff, protected):
    from parcours.households.models import Address

    proposal = _held_address(staff, protected, "father")
    services.review_contact_proposal(
        actor=staff["worker"], proposal=proposal, confirm=False, reason="Adresse de la mère, tapée par lui"
    )
    proposal.refresh_from_db()
    assert proposal.status == "rejected" and proposal.address_ciphertext is None
    assert not Address.objects.filter(line=STREET).exists()


def test_a_proposed_address_never_becomes_a_protected_address(staff, protected):
    from parcours.households.models import ProtectedAddress

    proposal = _held_address(staff, protected)
    household, mother, _ = protected
    worker = staff["worker"]
    factories.AddressFactory(person=mother, line="8 allée des Tilleuls")
    services.protect_address(
        actor=worker, person=mother, reason="Mise à l'abri", elected_kind="association", elected_name="CIDFF",
        elected_line="1 place de la Mairie", elected_postal_code="92000", elected_city="Nanterre",
    )  # fmt: skip
    before = bytes(ProtectedAddress.objects.get(person=mother).ciphertext)
    with pytest.raises(ValidationError, match="adresse de cette personne est protégée"):
        services.review_contact_proposal(
            actor=worker, proposal=proposal, confirm=True, reason="Confirmée par Mme au téléphone"
        )
    proposal.refresh_from_db()
    assert proposal.is_pending
    assert bytes(ProtectedAddress.objects.get(person=mother).ciphertext) == before


def test_anonymisation_erases_the_proposed_address(staff, protected):
    from parcours.households import anonymisation

    proposal = _held_address(staff, protected)
    anonymisation.erase_identity([proposal.household_id])
    assert not ContactProposal.objects.filter(pk=proposal.pk).exists()


def test_rotating_the_keys_re_encrypts_the_proposed_address(staff, protected, settings):
    from cryptography.fernet import Fernet

    from parcours.core import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    proposal = _held_address(staff, protected)
    settings.ENCRYPTION_KEYS = [new, old]
    assert crypto.rotate_all()["households.ContactProposal.address_ciphertext"]["rotated"] == 1
    settings.ENCRYPTION_KEYS = [new]  # the old key removed: still readable
    proposal.refresh_from_db()
    assert proposal.address_values()["line"] == STREET
