"""POST /api/v1/separation-events: token authentication, department scope, idempotency, errors,
throttling, and the OpenAPI document that describes it."""

import hashlib
import json
from io import StringIO

import jsonschema
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from parcours.api.models import ApiToken
from parcours.core.models import AuditEntry
from parcours.pathways.models import Pathway, SeparationEvent
from tests import factories
from tests.pathways.factories import row as file_row

URL = "/api/v1/separation-events"


def row(**overrides):
    """An event as the OpenAPI document describes it (an integer `children_count`, not the file's text)."""
    values = file_row(**overrides)
    if str(values["children_count"]).isdigit():
        values["children_count"] = int(values["children_count"])
    return values


@pytest.fixture(autouse=True)
def setup(db):
    cache.clear()  # the throttle counts requests in the cache
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


@pytest.fixture
def token(db):
    _, clear = ApiToken.issue(organisation=factories.caf("92"), name="SI prestations")
    return clear


def post(client, payload, token=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(URL, data=body, content_type="application/json", **headers, **extra)


# --- authentication --------------------------------------------------------------------------


def test_without_a_token_the_api_answers_401_in_french(client):
    response = post(client, row())
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer pct_nope_nope", "Bearer", "Token abc", "Bearer ééé"])
def test_a_bad_token_is_refused(client, header):
    response = client.post(
        URL, data=json.dumps(row()), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert not SeparationEvent.objects.exists()


def test_a_revoked_token_or_an_inactive_organisation_is_refused(client, token):
    ApiToken.objects.update(revoked_at=timezone.now())
    assert post(client, row(), token).status_code == 401
    ApiToken.objects.update(revoked_at=None)
    factories.caf("92").__class__.objects.filter(department__code="92", kind="caf").update(is_active=False)
    assert post(client, row(), token).status_code == 401


def test_a_staff_session_does_not_open_the_api(client_for):
    client = client_for(factories.make_user("service_advisor", "92"))
    assert post(client, row()).status_code == 401


def test_only_post_is_allowed(client, token):
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


# --- recording -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["object", "list", "events"])
def test_one_event_or_a_batch_opens_pathways(client, token, shape):
    events = [row(), row(violence_reported=True, children_count=0)]
    payload = {"object": events[0], "list": events, "events": {"events": events}}[shape]
    response = post(client, payload, token)
    assert response.status_code == 201
    body = response.json()
    expected = 1 if shape == "object" else 2
    assert body["created"] == expected and body["already_imported"] == 0
    assert [r["status"] for r in body["results"]] == ["created"] * expected
    assert Pathway.objects.filter(pk__in=[r["pathway"] for r in body["results"]]).count() == expected
    assert set(SeparationEvent.objects.values_list("source", flat=True)) == {"api"}


def test_the_same_event_twice_is_one_pathway(client, token):
    event = row()
    first = post(client, [event], token).json()
    again = post(client, [event], token)
    assert again.status_code == 200
    assert again.json()["results"] == [
        {
            "line": 1,
            "external_id": event["external_id"],
            "status": "already_imported",
            "pathway": first["results"][0]["pathway"],
        }
    ]
    assert Pathway.objects.count() == 1


def test_events_of_another_department_are_refused_and_nothing_is_written(client, token):
    response = post(client, [row(), row(department="974")], token)
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"line": 2, "field": "department",
         "message": "élément 2 : department « 974 » n'est pas le vôtre : vous ne déclarez que pour le 92"}
    ]  # fmt: skip
    assert not SeparationEvent.objects.exists()


def test_a_bad_event_is_reported_and_nothing_is_written(client, token):
    response = post(client, [row(), row(declared_on="31/02/2026"), row(children_count="deux")], token)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "2 erreur(s) : rien n'a été écrit."
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(2, "declared_on"), (3, "children_count")]
    assert body["errors"][0]["message"] == (
        "élément 2 : declared_on « 31/02/2026 » n'est pas une date valide (AAAA-MM-JJ ou JJ/MM/AAAA)"
    )
    assert not SeparationEvent.objects.exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("city", None, "city doit être une chaîne de caractères"),
        ("file_number", 1234567, "file_number doit être une chaîne de caractères"),
        ("children_count", "2", "children_count doit être un nombre entier JSON (sans guillemets)"),
        ("children_count", True, "children_count doit être un nombre entier JSON (sans guillemets)"),
        ("shared_home", "yes", "shared_home doit valoir « oui », « non », « true », « false », « 1 », « 0 » ou un booléen JSON"),
        ("declarant_last_name", "Martin" + " " * 80, "declarant_last_name dépasse 80 caractères"),
    ],
)  # fmt: skip
def test_a_value_the_openapi_document_does_not_allow_is_refused(client, token, field, value, message):
    """Found by Schemathesis: the import checks read any JSON value as text (null as "", 2 as "2")."""
    response = post(client, [row(), {**row(), field: value}], token)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 2, "field": field, "message": f"élément 2 : {message}"}]
    assert not SeparationEvent.objects.exists()


@pytest.mark.parametrize(
    "payload, detail",
    [
        (
            "{not json",
            "Le corps de la requête n'est pas du JSON valide : JSON invalide (ligne 1, colonne 2).",
        ),
        ([], "Aucune déclaration dans la requête."),
        ("42", 'Le JSON attendu est une liste d\'objets, ou un objet {"events": [...]}.'),
    ],
)
def test_a_malformed_request_is_explained_in_french(client, token, payload, detail):
    response = post(client, payload, token)
    assert response.status_code == 400 and response.json()["detail"] == detail


def test_a_batch_is_limited(client, token, settings):
    settings.PATHWAYS_API_MAX_BATCH = 2
    response = post(client, [row(), row(), row()], token)
    assert (
        response.status_code == 400 and response.json()["detail"] == "3 déclarations : 2 au plus par requête."
    )


def test_requests_are_throttled_per_token(client, token, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_token": "2/min"}}
    assert post(client, row(), token).status_code == 201
    assert post(client, row(), token).status_code == 201
    throttled = post(client, row(), token)
    assert throttled.status_code == 429 and throttled.json()["detail"].startswith("Trop de requêtes")
    _, other = ApiToken.issue(organisation=factories.caf("92"), name="autre")
    assert post(client, row(), other).status_code == 201


def test_the_api_is_audited_under_the_token_name(client, token):
    post(client, [row(), row()], token)
    summary = AuditEntry.objects.get(action="pathways.import.completed")
    prefix = ApiToken.objects.get().prefix
    assert summary.actor_label == f"API Caf 92 (jeton {prefix})" and summary.department == "92"
    assert summary.data["source"] == "api" and summary.data["created"] == 2
    assert AuditEntry.objects.filter(action="pathways.pathway.opened").count() == 2


# --- tokens ----------------------------------------------------------------------------------


def test_create_api_token_shows_the_token_once_and_stores_only_its_hash():
    out = StringIO()
    call_command("create-api-token", "92", "--name", "SI prestations", stdout=out)
    clear = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert clear.startswith(f"pct_{token.prefix}_") and len(clear) > 40
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert clear not in stored
    assert AuditEntry.objects.filter(action="api.token.created", data__prefix=token.prefix).exists()
    with pytest.raises(CommandError, match="Aucune Caf pour le département « 01 »"):
        call_command("create-api-token", "01")


# --- the OpenAPI document ---------------------------------------------------------------------


def _json_schema(document: dict, name: str) -> dict:
    """An OpenAPI 3.0 component as JSON Schema (nullable → a type that admits null)."""

    def convert(node):
        if isinstance(node, dict):
            node = {k: convert(v) for k, v in node.items()}
            if node.pop("nullable", False) and "type" in node:
                node["type"] = [node["type"], "null"]
            return node
        if isinstance(node, list):
            return [convert(v) for v in node]
        return node

    return {"$ref": f"#/components/schemas/{name}", "components": convert(document["components"])}


def test_the_openapi_document_describes_the_operation(client, token):
    document = json.loads(client.get("/api/v1/openapi.json").content)
    operation = document["paths"]["/api/v1/separation-events"]["post"]
    assert operation["security"] == [{"jetonOrganisation": []}]
    assert document["components"]["securitySchemes"]["jetonOrganisation"]["scheme"] == "bearer"
    assert set(operation["responses"]) == {"200", "201", "400", "401", "403", "429"}
    request_schema = _json_schema(document, "SeparationEventPayload")
    for payload in (row(), [row()], {"events": [row()]}):
        jsonschema.validate(payload, request_schema, format_checker=jsonschema.FormatChecker())
    created = post(client, [row()], token)
    jsonschema.validate(created.json(), _json_schema(document, "SeparationEventsResult"))
    refused = post(client, [row(declared_on="x")], token)
    jsonschema.validate(refused.json(), _json_schema(document, "ApiError"))
    unauthenticated = post(client, row())
    jsonschema.validate(unauthenticated.json(), _json_schema(document, "ApiError"))
