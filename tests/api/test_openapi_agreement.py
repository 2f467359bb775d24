"""Issue 16: the OpenAPI document and the validation agree (one source) on what schemathesis found
accepted by the document but refused by the API."""

import json

import jsonschema
import pytest

from tests.api.test_separation_events import _json_schema, post, row, setup, token  # noqa: F401


def document(client) -> dict:
    return json.loads(client.get("/api/v1/openapi.json").content)


def valid(doc, payload) -> bool:
    try:
        jsonschema.validate(
            payload, _json_schema(doc, "SeparationEventPayload"), format_checker=jsonschema.FormatChecker()
        )
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "payload, accepted",
    [
        ({"events": []}, False),
        ([], False),
        # Issue 23: a postal code and town without a street line is a partial address, accepted.
        ({"events": [row(postal_code="92000", city="Nanterre", address_line="")]}, True),
        ([row(postal_code="92000", city="Nanterre")], True),
        ([row(city="Nanterre", address_line="  ")], False),
        ([row(postal_code="92000", city="  ")], False),
        ([row(address_line="12 rue des Lilas")], False),
        ([row(address_line="12 rue des Lilas", postal_code="92000", city="")], False),
        ([row(address_line="12 rue des Lilas", postal_code="92000", city="Nanterre")], True),
        ([row(address_line="", postal_code="", city="")], True),
    ],
    ids=[
        "empty-batch",
        "empty-list",
        "postal-code-and-city-alone",
        "partial-address-without-street-field",
        "city-alone",
        "postal-code-alone",
        "street-alone",
        "no-city",
        "whole-address",
        "no-address",
    ],
)
def test_the_document_and_the_api_agree(client, token, payload, accepted):  # noqa: F811
    doc = document(client)
    assert valid(doc, payload) is accepted
    response = post(client, payload, token)
    assert (response.status_code in (200, 201)) is accepted, response.json()


def test_the_batch_bound_is_the_setting(client):
    doc = document(client)
    from django.conf import settings

    batch = doc["components"]["schemas"]["SeparationEventBatch"]["properties"]["events"]
    assert (batch["minItems"], batch["maxItems"]) == (1, settings.PATHWAYS_API_MAX_BATCH)
