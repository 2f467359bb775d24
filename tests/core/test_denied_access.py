"""Denied accesses to personal-data URLs (issue 16): traced, logged at WARNING, rated, alerted."""

import logging

import pytest
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.notifications.models import Message
from tests import factories

DENIED = "core.access.denied"


@pytest.fixture
def foreign_household(db):
    return factories.HouseholdFactory(department_code="974")


def test_a_cross_department_read_is_traced_and_logged_without_data(client_for, foreign_household, caplog):
    prober = factories.make_user("social_worker", "92")
    client = client_for(prober)
    url = reverse("backoffice:household-detail", kwargs={"pk": foreign_household.pk})
    with caplog.at_level(logging.WARNING, logger="parcours.security"):
        assert client.get(url).status_code == 404
    entry = AuditEntry.objects.get(action=DENIED)
    assert entry.actor_id == prober.pk and entry.department == "92"
    assert entry.data == {
        "url": "backoffice:household-detail",
        "ref": f"pk={foreign_household.pk}",
        "status": 404,
        "method": "GET",
    }
    assert foreign_household.file_number not in str(entry.data) + entry.reason + entry.object_ref
    assert any(
        r.levelno == logging.WARNING and "backoffice:household-detail" in r.getMessage()
        for r in caplog.records
    )


def test_a_forbidden_data_page_is_traced_but_a_public_page_is_not(client_for, client, db):
    pilot = factories.make_user("national_pilot", None)
    assert client_for(pilot).get(reverse("backoffice:household-search")).status_code == 403
    assert AuditEntry.objects.filter(action=DENIED, actor=pilot).count() == 1
    client.get("/gestion/foyers/999999/")  # not signed in: sent to the sign-in page, nothing to trace
    client.get("/nulle-part/")
    assert AuditEntry.objects.filter(action=DENIED).count() == 1


def test_the_local_pilot_sees_the_top_deniers_of_her_department_only(client_for, foreign_household):
    prober = factories.make_user("social_worker", "92")
    quiet = factories.make_user("social_worker", "92")
    probe = client_for(prober)
    for _ in range(3):
        probe.get(reverse("backoffice:household-detail", kwargs={"pk": foreign_household.pk}))
    client_for(quiet).get(reverse("backoffice:household-detail", kwargs={"pk": foreign_household.pk}))
    page = client_for(factories.make_user("local_pilot", "92")).get(reverse("backoffice:denied-accesses"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(prober.email) < html.index(quiet.email)
    assert ">3<" in html
    elsewhere = client_for(factories.make_user("local_pilot", "974")).get(
        reverse("backoffice:denied-accesses")
    )
    assert prober.email not in elsewhere.content.decode()


def test_the_administrators_are_alerted_once_past_the_threshold(client_for, foreign_household, settings):
    settings.PARCOURS_DENIED_ALERT_PER_HOUR = 3
    admin = factories.make_user("admin", None)
    prober = client_for(factories.make_user("social_worker", "92"))
    for _ in range(6):
        prober.get(reverse("backoffice:household-detail", kwargs={"pk": foreign_household.pk}))
    alerts = Message.objects.filter(template="notifications.security_alert")
    assert [m.direct_value for m in alerts] == [admin.email]
