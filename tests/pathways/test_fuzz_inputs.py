"""Bounded fuzzing (hypothesis) of the import's parser and of the API's payload validation.

Whatever the bytes or the JSON, the only failure allowed is the French refusal (FileUnreadable or
line errors, HTTP 400/403), and a refused payload writes nothing.
"""

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.api.models import ApiToken
from parcours.api.views_pathways import type_errors
from parcours.pathways import imports
from parcours.pathways.models import SeparationEvent
from tests import factories

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text as hostile as JSON allows: lone surrogates, NUL, separators, quotes, exotic digits.
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(list(';,"\r\n\x00\ud800\udfff²٣0123456789/-')),
    ),
    max_size=40,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)
events = st.dictionaries(
    st.one_of(st.sampled_from(imports.COLUMNS), hostile_text), json_values, max_size=len(imports.COLUMNS) + 2
)
payloads = st.one_of(
    json_values,
    st.lists(events, max_size=4),
    st.builds(lambda items: {"events": items}, st.lists(events, max_size=4)),
    events,
)


def checker():
    return imports.RecordChecker({"92", "974"}, today=date(2026, 6, 1), own_department="92")


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["x.csv", "x.json", "x.txt", "x"]))
def test_the_file_parser_refuses_or_reads_any_bytes(data, name):
    try:
        parsed = imports.parse_file(data, name, checker())
    except imports.FileUnreadable as exc:
        assert str(exc)
        return
    for error in parsed.errors:
        json.dumps(error.as_dict(), ensure_ascii=False).encode("utf-8")  # shown back: must encode


@FUZZ
@given(
    lines=st.lists(st.lists(hostile_text.filter(lambda t: "\x00" not in t), max_size=22), max_size=5),
    sep=st.sampled_from([";", ","]),
)
def test_the_csv_parser_refuses_or_reads_any_table(lines, sep):
    header = sep.join(imports.COLUMNS)
    text = "\r\n".join([header, *(sep.join(values) for values in lines)])
    data = text.encode("utf-8", "surrogatepass")
    try:
        parsed = imports.parse_file(data, "x.csv", checker())
    except imports.FileUnreadable:
        return
    for error in parsed.errors:
        json.dumps(error.as_dict(), ensure_ascii=False).encode("utf-8")


@FUZZ
@given(payload=payloads)
def test_the_payload_validation_refuses_or_reads_any_json(payload):
    try:
        parsed = imports.check_records(payload, checker())
    except imports.FileUnreadable:
        return
    for error in [*parsed.errors, *type_errors(payload)]:
        json.dumps(error.as_dict(), ensure_ascii=False).encode("utf-8")


@pytest.fixture
def token(db):
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    _, clear = ApiToken.issue(organisation=factories.caf("92"), name="Fuzz")
    return clear


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(payload=payloads)
def test_the_api_never_fails_and_a_refusal_writes_nothing(client, token, settings_override, payload):
    before = SeparationEvent.objects.count()
    body = json.dumps(payload, ensure_ascii=True, allow_nan=True)  # lone surrogates travel as \\ud800
    response = client.post(
        "/api/v1/separation-events",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (200, 201, 400, 403), response.content[:300]
    if response.status_code >= 400:
        assert SeparationEvent.objects.count() == before
        assert response.json()["detail"]


@pytest.fixture
def settings_override(settings):
    # The throttle would answer 429 after 600 requests a minute; fuzzing is not a load test.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "100000/min"},
    }
