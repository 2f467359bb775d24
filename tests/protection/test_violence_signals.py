"""Issue 15, rules 1 and 2: every violence signal protects the file at once, whatever its door
(service, staff form, `import-events`, back-office import, API), and a violence report follows the
family: a later declaration opens a protected pathway, without mediation."""

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.api.models import ApiToken
from parcours.core.models import AuditEntry
from parcours.households import services as household_services
from parcours.households.models import Household, HouseholdAssignment
from parcours.pathways.models import Pathway, SeparationEvent
from parcours.pathways.services import import_data, record_separations
from parcours.protection import services
from parcours.protection.models import SafetyStep, ViolenceReport
from tests import factories
from tests.notifications.factories import family
from tests.pathways.factories import csv_bytes, event_input, row

pytestmark = pytest.mark.django_db
Source = SeparationEvent.Source


@pytest.fixture
def staff(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return {
        "worker": factories.make_user("social_worker", "92"),
        "advisor": factories.make_user("service_advisor", "92"),
        "officer": factories.make_user("benefits_officer", "92"),
        "pilot": factories.make_user("local_pilot", "92"),
    }


def assert_protected(household_id, *, source, worker, also=()):
    """The file is restricted to the pathway's social worker (and `also`), the declarant is the
    presumed person at risk with her checklist open, and the panel shows it."""
    household = Household.objects.get(pk=household_id)
    assert household.restricted and household.restricted_at is not None
    declarant = household.members.get(is_declarant=True)
    report = ViolenceReport.objects.get(household=household)
    assert (report.person, report.source, report.to_confirm) == (declarant, source, True)
    assert set(household.assignments.values_list("user_id", flat=True)) == {worker.pk, *(u.pk for u in also)}
    assert SafetyStep.objects.filter(person=declarant).count() == len(SafetyStep.Kind.values)
    pathway = Pathway.objects.get(household=household, status="open")
    assert pathway.violence_reported and not pathway.steps.filter(kind="mediation_offer").exists()
    assert pathway.steps.get(kind="social_worker_contact").assignee == worker
    actions = set(
        AuditEntry.objects.filter(scope=f"household:{household.pk}").values_list("action", flat=True)
    )
    assert {"protection.violence.reported", "households.household.restricted"} <= actions
    return household


# --- rule 1: through each door -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("door", "source"),
    [(Source.FILE, ViolenceReport.Source.IMPORT), (Source.FORM, ViolenceReport.Source.DECLARATION)],
)
def test_the_service_turns_a_declared_violence_into_a_report_that_restricts_the_file(staff, door, source):
    actor = staff["advisor"] if door == Source.FORM else None
    report = record_separations(
        actor=actor, events=[event_input(violence_reported=True, children_count=1)], source=door
    )
    also = [actor] if actor else []
    assert_protected(report.results[0].household_id, source=source, worker=staff["worker"], also=also)


def test_a_declaration_without_violence_restricts_nothing(staff):
    report = record_separations(actor=None, events=[event_input(children_count=1)], source=Source.FILE)
    household = Household.objects.get(pk=report.results[0].household_id)
    assert not household.restricted and not ViolenceReport.objects.exists()
    assert Pathway.objects.get(household=household).steps.filter(kind="mediation_offer").exists()


def test_the_staff_form_protects_the_file_and_keeps_the_agent_who_typed_it(staff, client_for):
    advisor = staff["advisor"]
    client = client_for(advisor)
    response = client.post(
        reverse("backoffice:pathway-record"),
        {
            "form_token": "a1b2c3d4",
            "file_number": "1234567",
            "is_allocataire": "on",
            "declared_on": advisor.department.local_today().isoformat(),
            "declarant_last_name": "Martin",
            "declarant_first_name": "Camille",
            "children_count": "2",
            "violence_reported": "on",
        },  # fmt: skip
    )
    household = Household.objects.get(file_number="1234567")
    assert response.status_code == 302
    assert_protected(
        household.pk, source=ViolenceReport.Source.DECLARATION, worker=staff["worker"], also=[advisor]
    )
    # The agent is assigned: the file page still opens for her, and the panel names the protected track.
    html = client.get(reverse("backoffice:household-detail", args=[household.pk])).content.decode()
    assert "Aucune violence signalée" not in html and "parcours protégé depuis" in html
    # Not for a colleague who is not assigned.
    other = client_for(factories.make_user("service_advisor", "92"))
    assert other.get(reverse("backoffice:household-detail", args=[household.pk])).status_code == 404


def test_the_import_command_protects_every_file_declared_with_violence(staff, tmp_path):
    path = tmp_path / "declarations.csv"
    lines = [row(violence_reported="oui"), row(violence_reported="non"), row(violence_reported="oui")]
    path.write_bytes(csv_bytes(lines))
    call_command("import-events", str(path), verbosity=0)
    for line in lines:
        household = Household.objects.get(file_number=line["file_number"])
        if line["violence_reported"] == "oui":
            assert_protected(household.pk, source=ViolenceReport.Source.IMPORT, worker=staff["worker"])
        else:
            assert not household.restricted and not household.violence_reports.exists()


def test_the_back_office_import_protects_the_files_declared_with_violence(staff):
    line = row(violence_reported="oui")
    outcome = import_data(actor=staff["advisor"], data=csv_bytes([line]), filename="d.csv")
    assert outcome.created == 1
    household = Household.objects.get(file_number=line["file_number"])
    # The importing agent is not assigned: she imports files, she does not follow this one.
    assert_protected(household.pk, source=ViolenceReport.Source.IMPORT, worker=staff["worker"])


def test_the_api_protects_a_file_declared_with_violence(staff, client):
    cache.clear()
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    payload = row(violence_reported="oui", children_count=1)
    response = client.post(
        "/api/v1/separation-events", data=json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
    household = Household.objects.get(file_number=payload["file_number"])
    assert_protected(household.pk, source=ViolenceReport.Source.API, worker=staff["worker"])


def test_the_bulk_import_protects_in_a_fixed_number_of_queries(staff):
    """The import keeps its speed: protecting 40 files costs (almost) the same queries as protecting 4
    (multi-row inserts split by the database's parameter limit, never a query per file)."""

    def queries(count):
        lines = [row(violence_reported="oui") for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert import_data(actor=None, data=csv_bytes(lines), filename="d.csv").created == count
        return len(captured)

    queries(2)  # warm caches (templates, calendars)
    assert queries(4) <= queries(40) <= queries(4) + 2
    assert Household.objects.filter(restricted=True).count() == 2 + 4 + 40 + 4


def test_a_file_restricted_already_keeps_its_staff_and_gets_a_new_report(staff):
    household, mother, _, _ = family("92", restricted=True, assignee=staff["worker"])
    event = event_input(
        violence_reported=True, file_number=household.file_number, declarant_last_name=mother.last_name,
        declarant_first_name=mother.first_name,
    )  # fmt: skip
    record_separations(actor=None, events=[event], source=Source.FILE)
    assert ViolenceReport.objects.get(household=household).person == mother
    assert list(household.assignments.values_list("user_id", flat=True)) == [staff["worker"].pk]


def test_the_social_worker_confirms_or_corrects_the_presumed_person(staff):
    household, mother, father, _ = family("92")
    event = event_input(
        violence_reported=True, file_number=household.file_number, declarant_last_name=mother.last_name,
        declarant_first_name=mother.first_name,
    )  # fmt: skip
    record_separations(actor=None, events=[event], source=Source.FILE)
    report = ViolenceReport.objects.get(household=household)
    services.confirm_report(actor=staff["worker"], report=report, person=father)
    report.refresh_from_db()
    assert (report.person, report.to_confirm) == (father, False)
    assert SafetyStep.objects.filter(person=father).count() == len(SafetyStep.Kind.values)
    assert not SafetyStep.objects.filter(person=mother).exists()
    assert AuditEntry.objects.filter(action="protection.violence.confirmed").exists()


# --- lifting a restriction -----------------------------------------------------------------------


def test_only_the_local_pilot_lifts_a_restriction_with_a_reason_and_it_is_audited(staff):
    household, _, _, _ = family("92", restricted=True, assignee=staff["worker"])
    with pytest.raises(ValidationError):
        household_services.lift_restriction(actor=staff["pilot"], household=household, reason="court")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        household_services.lift_restriction(
            actor=staff["worker"], household=household, reason="Signalement infondé, vérifié avec la personne"
        )
    household_services.lift_restriction(
        actor=staff["pilot"], household=household, reason="Signalement infondé, vérifié avec la personne"
    )
    household.refresh_from_db()
    assert not household.restricted
    entry = AuditEntry.objects.get(action="households.household.unrestricted")
    assert entry.reason.startswith("Signalement infondé") and entry.actor == staff["pilot"]


def test_the_pilot_lifts_a_restriction_from_the_assignments_page(staff, client_for):
    household, _, _, _ = family("92", restricted=True, assignee=staff["worker"])
    client = client_for(staff["pilot"])
    page = client.get(reverse("backoffice:household-reference", args=[household.pk])).content.decode()
    url = reverse("backoffice:household-lift-restriction", args=[household.pk])
    assert url in page
    response = client.post(url, {"reason": "Erreur de saisie confirmée par le travailleur social"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert not household.restricted
    assert HouseholdAssignment.objects.filter(household=household).exists()


# --- rule 2: a violence report follows the family ------------------------------------------------


def _later_declaration(household, person, **extra):
    return event_input(
        file_number=household.file_number, declarant_last_name=person.last_name,
        declarant_first_name=person.first_name, children_count=2, violence_reported=False, **extra,
    )  # fmt: skip


@pytest.mark.parametrize("door", [Source.FILE, Source.FORM])
def test_a_new_declaration_for_a_family_with_a_report_opens_a_protected_pathway(staff, door):
    household, mother, father, _ = family("92", restricted=True, assignee=staff["worker"])
    services.record_violence_report(
        actor=staff["worker"], household=household, person=mother, source="person"
    )
    actor = {Source.FILE: None, Source.FORM: staff["worker"]}[door]
    # The other parent declares, saying nothing of violence.
    record_separations(actor=actor, events=[_later_declaration(household, father)], source=door)
    pathway = Pathway.objects.get(household=household, status="open")
    assert pathway.violence_reported and pathway.event.violence_reported is False
    assert not pathway.steps.filter(kind="mediation_offer").exists()
    # It is no new report: the other parent is not named anywhere as at risk.
    assert list(ViolenceReport.objects.values_list("person", flat=True)) == [mother.pk]


def test_the_api_scenario_of_the_issue_file_6993671(staff, client):
    """A restricted household, the API sends a declaration without violence: protected, no mediation."""
    cache.clear()
    household, mother, father, _ = family("92", restricted=True, assignee=staff["worker"])
    household.file_number = "6993671"
    household.save()
    services.record_violence_report(
        actor=staff["worker"], household=household, person=mother, source="police"
    )
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    payload = row(file_number="6993671", declarant_last_name=father.last_name,
                  declarant_first_name=father.first_name, children_count=2, violence_reported="non")  # fmt: skip
    response = client.post(
        "/api/v1/separation-events", data=json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
    pathway = Pathway.objects.get(household=household, status="open")
    assert pathway.violence_reported
    assert not pathway.steps.filter(kind="mediation_offer").exists()
