"""The household page asks once which kinds of rows a household has, instead of a query per kind."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.core import page_memo
from parcours.households.models import Household
from parcours.pathways.services import record_contact_attempt
from parcours.protection.services import record_violence_report
from tests import factories
from tests.pathways.factories import open_pathway

PROBED_TABLES = (
    "pathways_contactattempt",
    "pathways_situationchange",
    "protection_violencereport",
    "protection_emergencyaid",
    "workshops_registration",
    "workshops_invitation",
)


@pytest.fixture
def social_worker(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return factories.make_user("social_worker", "92")


def test_a_household_with_none_of_those_rows_costs_one_probe_and_no_query_per_kind(social_worker, client_for):
    pathway = open_pathway(children_count=1)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(social_worker).get(
            reverse("backoffice:household-detail", args=[pathway.household_id])
        )
    sqls = [q["sql"] for q in queries.captured_queries]
    assert response.status_code == 200
    probes = [q for q in sqls if "EXISTS(" in q and 'FROM "pathways_contactattempt"' in q]
    assert len(probes) == 1
    for table in PROBED_TABLES:
        assert [q for q in sqls if f'FROM "{table}"' in q] == probes, table
    # Nor a query of its own for "violence reported?": the page has read the pathways already.
    assert not any(
        'FROM "pathways_pathway"' in q and "violence_reported" in q.split("WHERE")[-1] for q in sqls
    )


def test_the_probe_finds_the_kinds_a_household_has_and_the_page_shows_them(social_worker, client_for):
    pathway = open_pathway(children_count=1)
    household = pathway.household
    record_contact_attempt(
        actor=social_worker, step=pathway.steps.get(kind="social_worker_contact"), channel="phone",
        result="no_answer",
    )  # fmt: skip
    record_violence_report(actor=social_worker, household=household, source="person")

    fresh = Household.objects.get(pk=household.pk)
    assert page_memo.may_have(fresh, "protection:aids")  # outside a page: always look
    page_memo.start(fresh)
    assert page_memo.may_have(fresh, "pathways:contact_attempts")
    assert page_memo.may_have(fresh, "protection:reports")
    assert page_memo.may_have(fresh, "pathways:situation_changes")  # the violence switch is a change
    assert not page_memo.may_have(fresh, "protection:aids")
    assert not page_memo.may_have(fresh, "workshops:registrations")
    assert not page_memo.may_have(fresh, "workshops:invitations")
    assert page_memo.may_have(fresh, "a kind no module registered")  # unknown: look

    html = client_for(social_worker).get(reverse("backoffice:household-timeline", args=[household.pk]))
    text = html.content.decode()
    assert "Contact (appel téléphonique) : pas de réponse" in text
    assert "Violences signalées" in text
    assert "Changement de situation" in text
