"""Hostile input replayed (issue 16): each answered HTTP 500 or crashed the command before.

Every case now gets a French refusal naming the line or the field, and nothing is written.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from parcours.api.models import ApiToken
from parcours.notifications import outbox
from parcours.pathways.models import ImportJob, SeparationEvent
from tests import factories
from tests.pathways.factories import csv_bytes, row

API = "/api/v1/separation-events"
DEEP = ("[" * 100_000 + "]" * 100_000).encode()
HUGE_INTEGER = "9" * 5000


@pytest.fixture(autouse=True)
def cafs(db):
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


@pytest.fixture
def token(db):
    _, clear = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    return clear


def api(client, body: bytes | str, token):
    return client.post(API, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def api_row(**overrides):
    values = row(**overrides)
    values["children_count"] = int(values["children_count"])
    return values


# --- the API ------------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_field_is_refused_naming_the_field(client, token):
    body = json.dumps([api_row(), api_row(city="Nanterre", address_line="1 rue \ud800", postal_code="92000")])
    response = api(client, body, token)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "line": 2,
            "field": "address_line",
            "message": "élément 2 : address_line contient un caractère invalide "
            "(caractère nul ou moitié de paire UTF-16)",
        }
    ]
    assert not SeparationEvent.objects.exists()


def test_a_nul_character_in_a_field_is_refused_instead_of_reaching_the_database(client, token):
    """PostgreSQL's text refuses NUL: without the check, a server error there."""
    body = json.dumps([api_row(declarant_last_name="Mar\x00tin")])  # encoded as \u0000
    response = api(client, body, token)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "declarant_last_name", response.json()
    assert not SeparationEvent.objects.exists()


def test_a_lone_surrogate_in_a_field_name_is_refused(client, token):
    response = api(client, json.dumps([{**api_row(), "\udc00x": "1"}]), token)
    assert response.status_code == 400 and "inconnue" in response.json()["errors"][0]["message"]


def test_json_nested_100000_deep_is_refused(client, token):
    response = api(client, DEEP, token)
    assert response.status_code == 400
    assert "trop imbriqué" in response.json()["detail"]


def test_a_5000_digit_integer_is_refused(client, token):
    response = api(client, '[{"children_count": ' + HUGE_INTEGER + "}]", token)
    assert response.status_code == 400 and "trop de chiffres" in response.json()["detail"]
    as_text = api(client, json.dumps([{**api_row(), "children_count": HUGE_INTEGER}]), token)
    assert as_text.status_code == 400 and as_text.json()["errors"][0]["field"] == "children_count"


def test_a_list_where_a_value_is_expected_is_refused(client, token):
    response = api(client, json.dumps([{**api_row(), "city": [[["Nanterre"]]]}]), token)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "city"


def test_a_body_that_is_not_utf8_is_refused(client, token):
    body = json.dumps([api_row(declarant_last_name="Lefèvre")], ensure_ascii=False).encode("cp1252")
    response = api(client, body, token)
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]


# --- files: the command and the web upload ----------------------------------------------------


def big_field_csv() -> bytes:
    good = csv_bytes([row()])
    return good + b'SEP-X;92;1234567;2026-03-02;;"' + b"A" * 140_000 + b'";Helene;;;;0;;non;non;;;;;\r\n'


HOSTILE_FILES = [
    ("deep.json", DEEP, "JSON trop imbriqué"),
    ("entier.json", ('[{"children_count": ' + HUGE_INTEGER + "}]").encode(), "trop de chiffres"),
    ("grand.csv", big_field_csv(), "Ligne 3 : une valeur dépasse 131\u202f072 caractères"),
    ("entier.csv", csv_bytes([row(children_count=HUGE_INTEGER)]), "children_count"),
    ("exposant.csv", csv_bytes([row(children_count="²")]), "children_count"),
    ("surrogate.json", json.dumps([row(city="\ud800")]).encode(), "caractère invalide"),
]


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE_FILES, ids=[f[0] for f in HOSTILE_FILES])
def test_the_command_refuses_a_hostile_file_in_french(tmp_path, capsys, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError) as refused:
        call_command("import-events", str(path), verbosity=0)
    assert message in str(refused.value) + capsys.readouterr().err
    assert not SeparationEvent.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"), HOSTILE_FILES[:3], ids=[f[0] for f in HOSTILE_FILES[:3]]
)
def test_the_web_upload_says_what_is_wrong(
    client_for, django_capture_on_commit_callbacks, name, data, message
):
    client = client_for(factories.make_user("benefits_officer", "92"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:import-list"), {"file": SimpleUploadedFile(name, data)})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    page = client.get(reverse("backoffice:import-detail", args=[job.pk])).content.decode()
    assert "Échec technique" not in page and message in page.replace("&#x27;", "'")
    assert not SeparationEvent.objects.exists()


# --- the staff message page -----------------------------------------------------------------


def test_the_page_of_a_message_to_a_member_of_the_public_without_household(client_for):
    message = outbox.enqueue(
        actor=None,
        template="notifications.callback_request",
        key="public-1",
        address=outbox.DirectAddress("email", "awa@exemple.fr", "Awa"),
        department="92",
    )
    client = client_for(factories.make_user("social_worker", "92"))
    response = client.get(reverse("backoffice:message-detail", kwargs={"pk": message.pk}))
    assert response.status_code == 200 and "Demande de rappel" in response.content.decode()


def test_a_file_of_a_lone_bom_start_is_refused_in_french():
    """Found by the fuzz test on PostgreSQL: b"\\xef" passed the incremental check, then failed to decode."""
    from parcours.pathways import imports

    with pytest.raises(imports.FileUnreadable):
        imports.decode(b"\xef")
