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
