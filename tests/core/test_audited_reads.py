"""Reads of household data are audited by the selector that reads them, once per consultation."""

from datetime import date

import pytest
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.households import selectors as household_selectors
from parcours.pathways import selectors as pathway_selectors
from parcours.workshops import selectors as workshop_selectors
from tests import factories
from tests.pathways.factories import open_pathway


def _entries(action: str):
    return list(AuditEntry.objects.filter(action=action))


@pytest.fixture
def household(db):
    household = factories.HouseholdFactory(department_code="92", file_number="7654321")
    factories.PersonFactory(household=household, last_name="Lefèvre", is_declarant=True)
    return household


def test_a_search_is_audited_by_the_selector_with_its_count_not_its_words(household, make_user):
    worker = make_user("social_worker", "92")
    page = household_selectors.search_page(worker, "Lefèvre", 1)
    assert [h.pk for h in page.object_list] == [household.pk]
    [entry] = _entries("households.household.searched")
    assert entry.actor_id == worker.pk and entry.data == {"results": 1} and "Lefèvre" not in str(entry.data)


def test_the_search_page_writes_one_entry(household, make_user, client_for):
    client = client_for(make_user("social_worker", "92"))
    assert client.get(reverse("backoffice:household-search"), {"q": "Lefèvre"}).status_code == 200
    assert len(_entries("households.household.searched")) == 1


def test_the_household_log_audits_its_own_consultation_first(household, make_user):
    pilot = make_user("local_pilot", "92")
    found, entries = household_selectors.household_log_for(pilot, household.pk)
    assert found == household
    assert [e.action for e in entries][:1] == ["audit.household_log.viewed"]
    assert len(_entries("audit.household_log.viewed")) == 1


def test_the_timeline_is_audited_by_its_selector(db, make_user, client_for):
    pathway = open_pathway(children_count=1)
    worker = make_user("social_worker", "92")
    household, entries = pathway_selectors.timeline_for(worker, pathway.household_id)
    assert household.pk == pathway.household_id and entries
    assert [(e.actor_id, e.object_id) for e in _entries("pathways.timeline.viewed")] == [
        (worker.pk, str(household.pk))
    ]
    client_for(worker).get(reverse("backoffice:household-timeline", kwargs={"pk": household.pk}))
    assert len(_entries("pathways.timeline.viewed")) == 2  # one more for the page, not two


def test_the_workshop_comparison_is_audited_by_its_selector(db, make_user):
    pilot = make_user("local_pilot", "92")
    department = factories.department("92")
    workshop_selectors.comparison(pilot, department=department, start=date(2026, 1, 1), end=date(2026, 6, 30))
    [entry] = _entries("workshops.comparison.viewed")
    assert entry.department == "92" and entry.data == {"from": "2026-01-01", "to": "2026-06-30"}
