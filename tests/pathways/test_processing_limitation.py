"""RGPD art. 18: no declaration — file, API, staff form — changes a person whose processing is limited;
the line is reported « traitement limité », and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.api.models import ApiToken
from parcours.households import services as household_services
from parcours.households.models import Person
from parcours.pathways.models import SeparationEvent
from parcours.pathways.services import jobs, record_separations
from tests import factories
from tests.pathways.factories import csv_bytes, event_input, open_pathway, row


@pytest.fixture
def limited(db):
    """A declarant on file whose processing the local pilot limited."""
    cache.clear()
    pathway = open_pathway(declarant_last_name="Limitée", declarant_first_name="Anne")
    person = pathway.declarant
    pilot = factories.make_user("local_pilot", "92")
    household_services.set_processing_limitation(
        actor=pilot, person=person, limited=True, reason="Demande de limitation reçue le 3 décembre"
    )
    return person


def _line_for(person: Person, **overrides) -> dict:
    return row(
        file_number=person.household.file_number, declarant_last_name=person.last_name,
        declarant_first_name=person.first_name, **overrides,
    )  # fmt: skip


def test_an_import_line_naming_a_limited_person_is_reported_on_its_line_and_nothing_is_written(limited):
    before = SeparationEvent.objects.count()
    data = csv_bytes([row(), _line_for(limited), row()])
    outcome = jobs.import_data(actor=None, data=data, filename="declarations.csv")
    assert [(e.line, e.field) for e in outcome.errors] == [(3, "declarant_last_name")]
    assert "traitement limité" in str(outcome.errors[0])
    assert SeparationEvent.objects.count() == before


def test_the_other_parent_named_on_a_line_counts_too(limited):
    line = row(
        file_number=limited.household.file_number,
        other_parent_last_name=limited.last_name,
        other_parent_first_name=limited.first_name,
    )
    outcome = jobs.import_data(actor=None, data=csv_bytes([line]), filename="declarations.csv")
    assert [e.field for e in outcome.errors] == ["other_parent_last_name"]


def test_a_declaration_already_imported_is_still_accepted_as_such(limited):
    event = SeparationEvent.objects.get(household=limited.household)
    line = _line_for(limited, external_id=event.external_id)
    outcome = jobs.import_data(actor=None, data=csv_bytes([line]), filename="declarations.csv")
    assert outcome.errors == [] and outcome.existing == 1


def test_the_api_refuses_the_element_in_french_with_its_line(limited, client):
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    body = [row(), {**_line_for(limited), "children_count": 1}]
    body[0]["children_count"] = 1
    response = client.post(
        "/api/v1/separation-events", data=json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "declarant_last_name")]
    assert errors[0]["message"].startswith("élément 2 : traitement limité (RGPD art. 18)")


def test_the_service_itself_refuses_for_every_door(limited):
    event = event_input(
        file_number=limited.household.file_number,
        declarant_last_name=limited.last_name,
        declarant_first_name=limited.first_name,
    )
    with pytest.raises(ValidationError, match="traitement limité"):
        record_separations(actor=None, events=[event], source=SeparationEvent.Source.FILE)


def test_the_declarants_steps_pause_while_limited_and_resume_with_the_time_they_had_left(db, client_for):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from parcours.core.models import AuditEntry
    from parcours.pathways.models import PathwayStep
    from parcours.pathways.services import complete_step

    pathway = open_pathway()
    person, pilot = pathway.declarant, factories.make_user("local_pilot", "92")
    social_worker = factories.make_user("social_worker", "92")
    due = dict(PathwayStep.objects.filter(pathway=pathway, status="open").values_list("pk", "due_at"))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        household_services.set_processing_limitation(
            actor=pilot, person=person, limited=True, reason="Demande de limitation reçue"
        )
    steps = PathwayStep.objects.filter(pathway=pathway, pk__in=due)
    assert set(steps.values_list("status", flat=True)) == {PathwayStep.Status.PAUSED}
    with pytest.raises(ValidationError, match="en pause"):
        complete_step(actor=social_worker, step=steps.first(), outcome="done")
    client = client_for(social_worker)
    for name in ("backoffice:household-detail", "backoffice:household-timeline"):
        page = client.get(reverse(name, kwargs={"pk": pathway.household_id}))
        assert page.status_code == 200 and "en pause" in page.content.decode().lower()
    step_page = client.get(reverse("backoffice:step-detail", kwargs={"pk": steps.first().pk}))
    assert "En pause (traitement limité)" in step_page.content.decode()
    with time_machine.travel(start + timedelta(days=10), tick=False):
        household_services.set_processing_limitation(
            actor=pilot, person=person, limited=False, reason="Contestation tranchée par le DPD"
        )
    for step in PathwayStep.objects.filter(pk__in=due):
        assert step.status == PathwayStep.Status.OPEN and step.paused_at is None
        assert step.due_at == due[step.pk] + timedelta(days=10)
    actions = AuditEntry.objects.filter(action__startswith="pathways.pathway.").values_list(
        "action", "reason"
    )
    assert ("pathways.pathway.paused", "Demande de limitation reçue") in actions
    assert ("pathways.pathway.resumed", "Contestation tranchée par le DPD") in actions


# --- the switch to the protected track while the declarant is limited ------------------------------


def _switch_while_limited(children_count: int):
    """Declared on 2 March 2026, limited on the 3rd, violence reported on the 5th (still limited)."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    from parcours.protection import services as protection_services

    t0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    pilot = factories.make_user("local_pilot", "92")
    social_worker = factories.make_user("social_worker", "92")
    with time_machine.travel(t0, tick=False):
        pathway = open_pathway(children_count=children_count)
        household_services.set_processing_limitation(
            actor=pilot, person=pathway.declarant, limited=True, reason="Demande de limitation reçue"
        )
    switch = t0 + timedelta(days=2)
    with time_machine.travel(switch, tick=False):
        protection_services.record_violence_report(
            actor=social_worker, household=pathway.household, person=pathway.declarant, source="police"
        )
    return pathway, pilot, social_worker, t0, switch


def _lift(pilot, person, at):
    import time_machine

    with time_machine.travel(at, tick=False):
        household_services.set_processing_limitation(
            actor=pilot, person=person, limited=False, reason="Limitation levée par le DPD"
        )


def test_a_step_the_protected_track_adds_is_paused_while_limited_and_resumes_with_its_time_left(db):
    from datetime import timedelta

    from parcours.pathways import rules
    from parcours.pathways.models import PathwayStep, StepKind
    from parcours.pathways.services.planning import protected_due

    pathway, pilot, _, t0, switch = _switch_while_limited(0)  # no child: the contact comes with the report
    steps = PathwayStep.objects.filter(pathway=pathway)
    contact = steps.get(kind=StepKind.SOCIAL_WORKER_CONTACT)
    assert contact.status == PathwayStep.Status.PAUSED and contact.paused_at == switch
    assert not steps.filter(status=PathwayStep.Status.OPEN).exists()
    # Its 72 hours run from the report, frozen from that moment on.
    expected = protected_due(rules.DeadlineCalculator(), pathway.department, contact.template_step, switch)
    assert contact.protected_deadline and contact.due_at - contact.paused_at == expected - switch
    # A step paused before the report gets the protected deadline too, counted from the report: the
    # appointment of rights (5 working days from the 5th) instead of what the normal one had left.
    rights = steps.get(kind=StepKind.RIGHTS_APPOINTMENT)
    assert rights.status == PathwayStep.Status.PAUSED and rights.paused_at == t0 and rights.protected_deadline
    rights_expected = protected_due(
        rules.DeadlineCalculator(), pathway.department, rights.template_step, switch
    )
    left = {s.pk: s.due_at - s.paused_at for s in steps.filter(status=PathwayStep.Status.PAUSED)}
    assert left[rights.pk] == rights_expected - switch
    lift = t0 + timedelta(days=9)
    _lift(pilot, pathway.declarant, lift)
    for step in steps.filter(pk__in=left):
        assert step.status == PathwayStep.Status.OPEN and step.paused_at is None
        assert step.due_at == lift + left[step.pk], step.label


def test_a_paused_mediation_is_withdrawn_by_the_report_and_never_resumes(db):
    from datetime import timedelta

    from parcours.pathways.models import PathwayStep, StepKind
    from parcours.pathways.services import update_situation

    pathway, pilot, social_worker, t0, switch = _switch_while_limited(1)
    mediation = PathwayStep.objects.get(pathway=pathway, kind=StepKind.MEDIATION_OFFER)
    assert mediation.status == PathwayStep.Status.WITHDRAWN and mediation.paused_at is None
    # The report withdrawn while still limited: the mediation comes back, paused.
    import time_machine

    with time_machine.travel(switch + timedelta(days=1), tick=False):
        update_situation(
            actor=social_worker, household=pathway.household, reason="Signalement infirmé",
            violence_reported=False,
        )  # fmt: skip
    mediation.refresh_from_db()
    assert mediation.status == PathwayStep.Status.PAUSED
    with time_machine.travel(switch + timedelta(days=2), tick=False):
        update_situation(
            actor=social_worker, household=pathway.household, reason="Signalement confirmé",
            violence_reported=True,
        )  # fmt: skip
    _lift(pilot, pathway.declarant, t0 + timedelta(days=9))
    mediation.refresh_from_db()
    assert mediation.status == PathwayStep.Status.WITHDRAWN
