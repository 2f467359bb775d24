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


# Reads that views used to audit themselves (issue 17): the selector audits, whatever door calls it.


def test_the_practice_page_is_audited_by_its_selector_once(db, make_user, client_for):
    from parcours.doctrine import selectors as doctrine_selectors
    from tests.doctrine.factories import practice

    sheet = practice("92", state="published")
    worker = make_user("social_worker", "92")
    doctrine_selectors.practice_for(worker, sheet.pk)  # the other doors (edit, compare) do not audit
    assert _entries("doctrine.practice.viewed") == []
    doctrine_selectors.practice_page_for(worker, sheet.pk)
    assert len(_entries("doctrine.practice.viewed")) == 1
    client_for(worker).get(reverse("backoffice:doctrine-detail", kwargs={"pk": sheet.pk}))
    assert len(_entries("doctrine.practice.viewed")) == 2  # one more for the page, not two


def test_an_attachment_download_is_audited_by_its_selector(db, make_user):
    from parcours.doctrine import selectors as doctrine_selectors
    from tests.doctrine.factories import attachment, practice

    item = attachment(practice("92", state="published"))
    worker = make_user("social_worker", "92")
    assert doctrine_selectors.attachment_for(worker, item.pk) == item
    [entry] = _entries("doctrine.attachment.downloaded")
    assert entry.actor_id == worker.pk and entry.object_id == str(item.pk)


def test_the_department_journal_is_audited_by_its_selector_once(db, make_user, client_for):
    from parcours.core import journal

    pilot = make_user("local_pilot", "92")
    journal.entries_for(pilot, journal.JournalFilter())  # the export reads without this entry
    assert _entries("audit.department_log.viewed") == []
    journal.consult(pilot, journal.JournalFilter(action="households.household.viewed"))
    [entry] = _entries("audit.department_log.viewed")
    assert entry.department == "92" and entry.data == {"action": "households.household.viewed"}
    client_for(pilot).get(reverse("backoffice:audit-department"))
    assert len(_entries("audit.department_log.viewed")) == 2


def test_the_order_download_is_audited_by_its_selector(db, make_user):
    from django.core.files.base import ContentFile
    from django.http import Http404

    from parcours.accompaniment import selectors as map_selectors
    from tests.accompaniment.factories import measure

    m = measure("92")
    referent = m.referent
    with pytest.raises(Http404):
        map_selectors.order_file_for(referent, m.pk)  # no order attached: nothing downloaded
    assert _entries("accompaniment.order.downloaded") == []
    m.order_file.save("ordonnance.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    map_selectors.order_file_for(referent, m.pk)
    [entry] = _entries("accompaniment.order.downloaded")
    assert entry.actor_id == referent.pk and entry.object_id == str(m.pk)
