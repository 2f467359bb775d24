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
