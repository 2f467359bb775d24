"""Schemathesis over every operation of the published OpenAPI document (/api/v1/openapi.json).

The document is loaded from the Django app in-process (WSGI, no server) and every operation is
called with generated requests — valid ones and invalid ones — under an organisation's token:
no answer may be a server error, and every answer must conform to the document (status code,
content type, body schema, headers). Bounded: 30 generated cases per operation (plus the explicit
examples), no deadline. Negative cases included: schemathesis sends what the document forbids (an
empty batch, an address without its town…) and checks the API refuses it — the document and the
validation come from one source (api.schema, pathways.imports.ALL_OR_NONE).

Stateful testing: the document declares no links between operations (one POST, no resource to read
back), so there is no sequence to explore; `test_no_operation_links_another` says so and fails the day
a link appears, so that a state machine run is added then.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from parcours.api.models import ApiToken
from tests import factories


@pytest.fixture
def api_token(db, _test_transaction_kept_open):
    cache.clear()  # the throttle counts requests in the cache
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    _, clear = ApiToken.issue(organisation=factories.caf("92"), name="Schemathesis")
    return clear


@pytest.fixture
def _test_transaction_kept_open():
    """Schemathesis calls the real WSGI handler, whose request signals close a connection that is
    not in autocommit — the test's own transaction on PostgreSQL. Django's test client unhooks
    them the same way during its requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_conforms_to_the_document(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}"},
        # A well-formed declaration may still be refused with the documented 400: a date that does
        # not exist, a phone number that is not French, an address without its town, a department
        # that is not the token's (403)… — rules JSON Schema cannot state. Every other check runs.
        excluded_checks=[positive_data_acceptance],
    )


def test_no_operation_links_another():
    raw = schema.raw_schema
    links = [
        (path, method, code)
        for path, methods in raw["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict)
        for code, response in operation.get("responses", {}).items()
        if response.get("links")
    ]
    assert links == [], "des liens existent : ajoutez un test à états (schema.as_state_machine())"


def test_the_document_lists_every_api_url_so_schemathesis_reaches_them_all():
    from django.urls import reverse

    from parcours.core.policy import URLS

    api_urls = {reverse(name) for name in URLS if name.startswith("api:") and name != "api:openapi"}
    documented = {result.ok().path for result in schema.get_all_operations()}
    assert api_urls and documented == api_urls
