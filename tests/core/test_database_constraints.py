"""Integrity is the database's job, whoever writes the rows: raw SQL that bypasses Django and the
import alike is refused when a link leads nowhere or a copied column disagrees with its source.
Run on SQLite (Django turns PRAGMA foreign_keys on) and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from parcours.core.models import AuditEntry, Department
from parcours.households.models import Household, Person
from parcours.pathways.models import PathwayStep, SeparationEvent
from tests import factories

# Autocommit: each statement is its own transaction, so the deferred constraints are checked
# when it ends, as they would be when any writer's transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def raw_insert(model, **values) -> None:
    """INSERT one row with plain SQL: the given columns (by attname), defaults for the others."""
    now = timezone.now()
    columns, params = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.attname in values:
            value = values[field.attname]
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.get_internal_type() == "DateTimeField":
            value = now
        elif field.get_internal_type() == "BooleanField":
            value = False
        else:
            value = ""
        columns.append(f'"{field.column}"')
        params.append(field.get_db_prep_save(value, connection))
    marks = ", ".join(["%s"] * len(params))
    sql = f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _missing(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _pathway():
    from parcours.pathways.services import record_separation
    from tests.pathways.factories import event_input

    event, _ = record_separation(
        actor=None,
        event=event_input(department="92", file_number="7100000"),
        source=SeparationEvent.Source.DEMO,
    )
    return event.pathway


def _step(pathway, **values):
    fields = {
        "pathway_id": pathway.pk, "household_id": pathway.household_id, "department_id": pathway.department_id,
        "position": 9, "kind": "test", "label": "Étape écrite en SQL", "responsible_role": "social_worker",
        "base_on": date(2026, 1, 5), "due_at": timezone.now(),
    }  # fmt: skip
    fields.update(values)
    raw_insert(PathwayStep, **fields)


def test_a_step_pointing_to_a_missing_pathway_is_refused():
    pathway = _pathway()
    _step(pathway)  # the same row, well linked, is accepted
    assert PathwayStep.objects.filter(pathway=pathway, kind="test").count() == 1
    with pytest.raises(IntegrityError):
        _step(pathway, pathway_id=_missing(type(pathway)))
    assert PathwayStep.objects.filter(kind="test").count() == 1


def test_a_person_of_a_missing_household_is_refused():
    household = factories.HouseholdFactory(department_code="92", file_number="7200000")
    person = {"role": "parent", "first_name": "Awa", "last_name": "Diallo", "search_name": "diallo awa"}
    raw_insert(Person, household_id=household.pk, **person)
    with pytest.raises(IntegrityError):
        raw_insert(Person, household_id=_missing(Household), **person)
    assert Person.objects.filter(last_name="Diallo").count() == 1


def test_an_audit_entry_of_a_missing_actor_is_refused():
    user = factories.make_user("social_worker", "92")
    entry = {"actor_label": "SQL", "action": "test.raw", "hash": "1" * 64, "data": {}}
    raw_insert(AuditEntry, actor_id=user.pk, **entry)
    with pytest.raises(IntegrityError):
        raw_insert(AuditEntry, actor_id=_missing(type(user)), **entry)
    assert AuditEntry.objects.filter(action="test.raw").count() == 1


def test_a_copied_column_that_disagrees_with_its_source_is_refused():
    pathway = _pathway()
    other = factories.HouseholdFactory(department_code="92", file_number="7300000")
    elsewhere = Department.objects.get(code="974")
    with pytest.raises(IntegrityError):  # a step of this pathway in another household
        _step(pathway, household_id=other.pk)
    with pytest.raises(IntegrityError):  # ... or in another department
        _step(pathway, department_id=elsewhere.pk)
    with pytest.raises(IntegrityError):  # an event in another department than its household's
        raw_insert(
            SeparationEvent, department_id=elsewhere.pk, household_id=other.pk, external_id="SQL-1",
            source="file", declared_on=date(2026, 1, 5), children_count=0,
        )  # fmt: skip
    # ... and a copy may not be changed behind its source's back.
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "pathways_pathway" SET "household_id" = %s WHERE "id" = %s', [other.pk, pathway.pk]
        )
    assert not PathwayStep.objects.filter(kind="test").exists()
    assert not SeparationEvent.objects.filter(external_id="SQL-1").exists()
