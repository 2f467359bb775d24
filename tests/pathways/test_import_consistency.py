"""Issue 16: a duplicate external_id with different data is an error on both lines; a file in another
encoding than UTF-8 or Windows-1252 is refused clearly instead of being read as gibberish."""

import json

import pytest
from django.core.cache import cache

from parcours.api.models import ApiToken
from parcours.pathways.models import SeparationEvent
from parcours.pathways.services import import_data
from tests import factories
from tests.pathways.factories import csv_bytes, json_bytes, row


@pytest.fixture(autouse=True)
def cafs(db):
    cache.clear()
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


def run(data: bytes, name="declarations.csv"):
    return import_data(actor=None, data=data, filename=name)


def test_a_duplicate_external_id_with_different_data_is_an_error_on_both_lines():
    first = row(external_id="SEP-DUP")
    outcome = run(csv_bytes([row(), first, dict(first, children_count="3")]))
    assert [(e.line, e.field) for e in outcome.errors] == [(3, "external_id"), (4, "external_id")]
    assert "figure aussi ligne 4 avec d'autres données" in str(outcome.errors[0])
    assert "figure aussi ligne 3" in str(outcome.errors[1])
    assert not SeparationEvent.objects.exists()


def test_a_duplicate_with_the_same_data_is_one_declaration():
    first = row(external_id="SEP-SAME")
    outcome = run(csv_bytes([first, dict(first)]))
    assert not outcome.errors and outcome.created == 1


def test_the_api_reports_a_conflicting_duplicate_on_both_elements(client):
    _, token = ApiToken.issue(organisation=factories.caf("92"), name="SI")
    first = {**row(external_id="SEP-API"), "children_count": 1}
    body = json.dumps([first, {**first, "children_count": 2}])
    response = client.post(
        "/api/v1/separation-events",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (1, "external_id"),
        (2, "external_id"),
    ]
    assert not SeparationEvent.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes([row(declarant_last_name="テスト", declarant_first_name="テスト")], encoding="shift_jis"),
        csv_bytes([row(declarant_last_name="Lefèvre")], encoding="utf-8")
        + csv_bytes([row(declarant_last_name="Hélène")], encoding="cp1252").split(b"\r\n", 1)[1],
    ],
    ids=["shift-jis", "utf8-and-cp1252-mixed"],
)
def test_a_file_in_another_encoding_is_refused_clearly(data):
    outcome = run(data)
    assert outcome.unreadable.startswith("Le fichier semble écrit dans un autre encodage")
    assert not SeparationEvent.objects.exists()


def test_a_real_windows_1252_file_with_french_text_is_still_read():
    outcome = run(
        csv_bytes([row(declarant_last_name="Lefèvre", declarant_first_name="Zoé Œuvré")], encoding="cp1252")
    )
    assert outcome.unreadable == "" and not outcome.errors and outcome.created == 1


def test_a_json_file_duplicate_is_reported_too():
    first = row(external_id="SEP-J")
    outcome = run(json_bytes([first, dict(first, declared_on="2026-03-01")]), "d.json")
    assert [e.line for e in outcome.errors] == [1, 2]
