"""The incident narrative (and the child's words) reach only the MAP organisation and the referent.

A marker is written in an incident's narrative and the child's words of every variant's measure (own
department, restricted, other department); every principal opens every page of the MAP module, the
household pages and the home page, and every MAP output (ICS, report PDF, messages, audit) is read.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from parcours.core import policy
from tests.authz import registry
from tests.authz.kinds_accompaniment import NARRATIVE, map_records
from tests.authz.outputs_accompaniment import accompaniment_documents_and_messages
from tests.authz.registry import VARIANTS
from tests.authz.test_authorization_matrix import URL_NAMES
from tests.authz.world import PRINCIPALS, World

PAGES = ("backoffice:map-", "backoffice:household-", "backoffice:export-accompaniment", "backoffice:home")
READERS = {"partner", "social_worker"}  # the own variant's organisation and referent


def _urls(world):
    """The GET pages of the MAP module, the household pages and the home page, on every variant's records."""
    for name in URL_NAMES:
        access = policy.URLS.get(name)
        if access is None or not name.startswith(PAGES) or "GET" not in access.methods:
            continue
        if access.obj:
            for variant in registry.VARIANTS:
                kwargs = registry.KINDS[access.obj](world, variant)
                if kwargs is not None:
                    yield reverse(name, kwargs=kwargs)
        else:
            yield reverse(
                name, kwargs=registry.URL_KWARGS[name](world) if name in registry.URL_KWARGS else {}
            )


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_narrative_reaches_only_the_organisation_and_the_referent(principal, db):
    world = World()
    for variant in VARIANTS:
        map_records(world, variant)
    client = world.client(principal)
    found = []
    for url in _urls(world):
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if NARRATIVE.encode() in body:
            found.append(url)
    if principal in READERS:
        own = map_records(world, "own")["measure"]
        assert found == [f"/gestion/accompagnement/{own.pk}/"]  # its own measure's page, nothing else
    else:
        assert found == []


def test_no_output_carries_the_narrative(db):
    world = World()
    outputs = list(accompaniment_documents_and_messages(world, "partner"))
    assert len(outputs) > 6
    leaks = [
        label
        for label, content in outputs
        if NARRATIVE in (content.decode("utf-8", "replace") if isinstance(content, bytes) else content)
    ]
    assert leaks == []
