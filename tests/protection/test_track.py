"""Recording violence, and the safety checklist it opens."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parcours.core.models import AuditEntry
from parcours.households.models import HouseholdAssignment
from parcours.protection import services
from parcours.protection.models import SafetyStep, ViolenceReport
from tests import factories
from tests.notifications.factories import family

pytestmark = pytest.mark.django_db
S = SafetyStep.Status


@pytest.mark.parametrize("role", ["social_worker", "service_advisor", "benefits_officer"])
def test_any_casework_role_records_violence_and_the_file_is_restricted_to_assigned_staff(role):
    actor = factories.make_user(role, "92")
    household, mother, _, _ = family("92")
    report = services.record_violence_report(
        actor=actor, household=household, person=mother, source="police", note="Enfants exposés"
    )
    household.refresh_from_db()
    assert household.restricted and household.restricted_at is not None
    assert HouseholdAssignment.objects.filter(household=household, user=actor).exists()
    assert report.person == mother and report.source == "police" and report.reported_by == actor
    kinds = list(SafetyStep.objects.filter(person=mother).order_by("position").values_list("kind", "status"))
    assert kinds == [(k, S.TODO) for k in SafetyStep.Kind.values]


def test_the_report_is_audited_without_its_note():
    actor = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92")
    services.record_violence_report(
        actor=actor, household=household, person=mother, source="person", note="NOTE-SECRETE"
    )
    actions = list(
        AuditEntry.objects.filter(scope=f"household:{household.pk}").values_list("action", flat=True)
    )
    assert {
        "protection.violence.reported",
        "households.household.restricted",
        "protection.checklist.opened",
    } <= set(actions)
    assert not AuditEntry.objects.filter(reason__contains="NOTE-SECRETE").exists()
    assert not any("NOTE-SECRETE" in str(e.data) for e in AuditEntry.objects.all())


def test_the_declarant_is_the_person_at_risk_by_default():
    actor = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92")
    assert (
        services.record_violence_report(actor=actor, household=household, source="partner").person == mother
    )


def test_a_child_or_someone_of_another_household_cannot_be_the_person_at_risk():
    actor = factories.make_user("social_worker", "92")
    household, _, _, child = family("92")
    _, stranger, _, _ = family("92")
    for person in (child, stranger):
        with pytest.raises(ValidationError):
            services.record_violence_report(actor=actor, household=household, person=person, source="person")
    assert not ViolenceReport.objects.exists()
    household.refresh_from_db()
    assert not household.restricted


def test_an_unknown_source_is_refused_and_nothing_changes():
    actor = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92")
    with pytest.raises(ValidationError):
        services.record_violence_report(actor=actor, household=household, person=mother, source="rumeur")
    household.refresh_from_db()
    assert not household.restricted and not SafetyStep.objects.exists()


def test_a_second_report_keeps_one_checklist():
    actor = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92")
    services.record_violence_report(actor=actor, household=household, person=mother, source="person")
    services.record_violence_report(actor=actor, household=household, person=mother, source="police")
    assert ViolenceReport.objects.filter(person=mother).count() == 2
    assert SafetyStep.objects.filter(person=mother).count() == len(SafetyStep.Kind.values)


def test_an_already_protected_address_ticks_its_step():
    from parcours.households import services as household_services

    actor = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92")
    household_services.protect_address(
        actor=actor, person=mother, reason="Mise à l'abri", elected_kind="association", elected_name="CIDFF",
        elected_line="1 place de la Mairie", elected_postal_code="92000", elected_city="Nanterre",
    )  # fmt: skip
    services.record_violence_report(actor=actor, household=household, person=mother, source="person")
    step = SafetyStep.objects.get(person=mother, kind=SafetyStep.Kind.PROTECTED_ADDRESS)
    assert step.status == S.DONE and step.done_on is not None


def test_other_roles_and_other_departments_cannot_record_violence():
    household, mother, _, _ = family("92")
    with pytest.raises(PermissionDenied):
        services.record_violence_report(
            actor=factories.make_user("local_pilot", "92"),
            household=household,
            person=mother,
            source="person",
        )
    with pytest.raises(Http404):
        services.record_violence_report(
            actor=factories.make_user("social_worker", "974"),
            household=household,
            person=mother,
            source="person",
        )


def test_staff_not_assigned_to_a_restricted_household_cannot_record_violence():
    household, mother, _, _ = family(
        "92", restricted=True, assignee=factories.make_user("social_worker", "92")
    )
    with pytest.raises(Http404):
        services.record_violence_report(
            actor=factories.make_user("social_worker", "92"),
            household=household,
            person=mother,
            source="person",
        )


# --- checklist ------------------------------------------------------------------------------------


@pytest.fixture
def on_track():
    actor = factories.make_user("social_worker", "92")
    household, mother, father, _ = family("92", channels=("email",), safe=False)
    services.record_violence_report(actor=actor, household=household, person=mother, source="person")
    steps = {s.kind: s for s in SafetyStep.objects.filter(person=mother)}
    return actor, household, mother, steps


def _update(actor, step, **values):
    return services.update_safety_step(actor=actor, step=step, **values)


def test_safe_contact_cannot_be_ticked_without_a_safe_channel(on_track):
    actor, _, mother, steps = on_track
    with pytest.raises(ValidationError, match="Aucun canal de contact n'est marqué sûr"):
        _update(actor, steps["safe_contact"], status=S.DONE, done_on=date.today())
    mother.contacts.update(is_safe=True)
    assert _update(actor, steps["safe_contact"], status=S.DONE, done_on=date.today()).status == S.DONE


def test_the_protected_address_step_needs_the_address_protected(on_track):
    actor, _, _, steps = on_track
    with pytest.raises(ValidationError, match="pas encore protégée"):
        _update(actor, steps["protected_address"], status=S.DONE, done_on=date.today())


def test_the_online_account_step_records_the_date_of_revocation(on_track):
    actor, _, _, steps = on_track
    with pytest.raises(ValidationError) as error:
        _update(actor, steps["online_account"], status=S.DONE)
    assert "date de révocation" in str(error.value)
    step = _update(actor, steps["online_account"], status=S.DONE, done_on=date.today() - timedelta(days=1))
    step.refresh_from_db()
    assert step.done_on == date.today() - timedelta(days=1) and step.updated_by == actor
    assert AuditEntry.objects.filter(action="protection.safety_step.updated", object_id=str(step.pk)).exists()


def test_a_date_in_the_future_is_refused(on_track):
    actor, _, _, steps = on_track
    with time_machine.travel(date(2026, 6, 10), tick=False), pytest.raises(ValidationError, match="futur"):
        _update(actor, steps["bank_details"], status=S.DONE, done_on=date(2026, 6, 12))
    steps["bank_details"].refresh_from_db()
    assert steps["bank_details"].status == S.TODO


def test_not_applicable_needs_a_reason(on_track):
    actor, _, _, steps = on_track
    with pytest.raises(ValidationError, match="sans objet"):
        _update(actor, steps["online_account"], status=S.NOT_APPLICABLE)
    step = _update(actor, steps["online_account"], status=S.NOT_APPLICABLE, note="Pas de compte en ligne")
    assert step.status == S.NOT_APPLICABLE and step.done_on is None


def test_staff_of_another_department_cannot_tick_a_step(on_track):
    _, _, _, steps = on_track
    with pytest.raises(Http404):
        _update(
            factories.make_user("social_worker", "974"),
            steps["bank_details"],
            status=S.DONE,
            done_on=date.today(),
        )


def test_recording_violence_switches_the_pathway_to_the_protected_deadlines():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from parcours.core import calendar
    from parcours.pathways.models import PathwayStep
    from tests.pathways.factories import open_pathway

    paris = ZoneInfo("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=paris), tick=False):
        pathway = open_pathway(children_count=2, declared_on=date(2026, 3, 2))
    household = pathway.household
    rights = pathway.steps.get(kind="rights_appointment")
    assert calendar.local_date(household.department, rights.due_at) == date(2026, 3, 16)  # 10 working days
    reported_at = datetime(2026, 3, 3, 14, 0, tzinfo=paris)
    with time_machine.travel(reported_at, tick=False):
        report = services.record_violence_report(
            actor=factories.make_user("social_worker", "92"), household=household, source="person"
        )
    assert report.pathway_switched is True
    pathway.refresh_from_db()
    rights.refresh_from_db()
    assert pathway.violence_reported
    # 5 working days from the day the Caf learned of it, earlier than the ordinary deadline.
    assert calendar.local_date(household.department, rights.due_at) == date(2026, 3, 10)
    contact = pathway.steps.get(kind="social_worker_contact")
    assert contact.due_at <= reported_at + timedelta(hours=72)
    assert pathway.steps.get(kind="mediation_offer").status == PathwayStep.Status.WITHDRAWN


def test_a_household_without_pathway_in_progress_is_still_protected():
    actor = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92")
    report = services.record_violence_report(
        actor=actor, household=household, person=mother, source="partner"
    )
    assert report.pathway_switched is False
    household.refresh_from_db()
    assert household.restricted
