"""Issue 23: one household page view writes exactly one read entry in the audit journal, whatever
panels the page shows (members, pathway, timeline excerpt, protected track, emergency aid, sessions),
never one `households.person.viewed` per member on top of it."""

import pytest
from django.urls import reverse

from parcours.core.models import AuditEntry
from tests import factories
from tests.pathways.factories import open_pathway
from tests.protection.factories import aid, protected_family


@pytest.fixture(autouse=True)
def templates(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


def _one_view(client_for, user, household) -> list[tuple[str, str]]:
    client = client_for(user)
    before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.get(reverse("backoffice:household-detail", args=[household.pk]))
    assert response.status_code == 200
    return list(AuditEntry.objects.filter(pk__gt=before).values_list("action", "object_id"))


def test_an_ordinary_household_page_is_one_read_entry(client_for):
    pathway = open_pathway(department="92")
    household = pathway.household
    factories.PersonFactory(household=household, first_name="Second", role="parent")
    factories.PersonFactory(household=household, first_name="Enfant", role="child")
    assert household.members.count() >= 3
    advisor = factories.make_user("service_advisor", "92")
    assert _one_view(client_for, advisor, household) == [("households.household.viewed", str(household.pk))]


def test_a_protected_household_page_with_an_aid_is_one_read_entry(client_for):
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=officer)
    aid(household, mother, officer=officer)
    assert _one_view(client_for, officer, household) == [("households.household.viewed", str(household.pk))]
    # A second view is a second entry: one per view, not one per session.
    assert len(_one_view(client_for, officer, household)) == 1
