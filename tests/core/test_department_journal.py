"""The local pilot's department-wide access journal: filtered, exported, and nobody else's."""

import csv
import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from parcours.core import audit
from parcours.core.models import AuditEntry
from tests import factories

URL = "/gestion/journal/"


def _entries():
    household = factories.HouseholdFactory(department_code="92")
    other = factories.HouseholdFactory(department_code="974")
    alice = factories.make_user("social_worker", "92", last_name="Alice")
    bruno = factories.make_user("benefits_officer", "92", last_name="Bruno")
    audit.record(alice, "households.household.viewed", household)
    audit.record(bruno, "households.person.changed", household)
    audit.record(factories.make_user("social_worker", "974"), "households.household.viewed", other)
    return alice, bruno


def test_the_local_pilot_filters_by_staff_member_and_action(db, client_for):
    alice, bruno = _entries()
    client = client_for(factories.make_user("local_pilot", "92"))
    html = client.get(URL).content.decode()
    assert "Consultation — dossier du foyer" in html and "Modification — fiche de la personne" in html
    assert "974" not in html.split("<tbody>")[1]
    only_alice = client.get(URL, {"staff": alice.pk}).content.decode().split("<tbody>")[1]
    assert alice.email in only_alice and bruno.email not in only_alice
    persons = client.get(URL, {"action": "*.person."}).content.decode().split("<tbody>")[1]
    assert bruno.email in persons and alice.email not in persons


def test_the_period_filter_and_its_french_error(db, client_for):
    _entries()
    client = client_for(factories.make_user("local_pilot", "92"))
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    html = client.get(URL, {"start": tomorrow}).content.decode()
    assert "Aucune entrée ne correspond" in html
    wrong = client.get(URL, {"start": tomorrow, "end": "2026-01-01"}).content.decode()
    assert "La date de début doit précéder la date de fin." in wrong


def test_the_export_follows_the_filters_and_is_audited(db, client_for):
    alice, _ = _entries()
    client = client_for(factories.make_user("local_pilot", "92"))
    url = reverse("backoffice:export-audit-department-journal")
    response = client.get(url, {"staff": alice.pk, "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Agent", "Action", "Objet", "Motif"]
    assert len(rows) == 2 and alice.email in rows[1][1]
    assert AuditEntry.objects.filter(action="audit.department_journal.exported").exists()


def test_only_a_local_pilot_reads_the_journal(db, client_for):
    for role in ("social_worker", "benefits_officer", "partner"):
        assert client_for(factories.make_user(role, "92")).get(URL).status_code in (403, 404)
