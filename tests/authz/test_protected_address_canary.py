"""The protected-address canary.

A unique token is stored as the protected address of the parents of every household of the
world (own department, restricted, other department), and every principal — including staff
assigned to the restricted household — opens every URL of the project on those records, plus
every other output modules register (documents, exports, messages: `outputs_*.py` beside this
file). The token must appear nowhere but in the audited reveal.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import transaction
from django.urls import reverse

from parcours.core import policy
from parcours.households import services
from parcours.households.models import Person
from tests.authz import registry
from tests.authz.test_authorization_matrix import URL_NAMES
from tests.authz.world import PRINCIPALS, World

CANARY = "CANARY-7f3e-rue-cachée"
CANARY_FORMS = (CANARY, CANARY.encode("utf-8").hex(), json.dumps(CANARY)[1:-1], "CANARY-7f3e")
# The only place the protected address may be read in clear: the audited reveal, after it is asked for.
ALLOWED = {("backoffice:address-reveal", "POST")}

registry.load_all()


def seed_canary(world: World) -> None:
    for variant in registry.VARIANTS:
        household = world.household(variant)
        for person in household.members.filter(role=Person.Role.PARENT):
            actor = world.assignee if variant != "other" else world.other_department_user
            services.protect_address(
                actor=actor,
                person=person,
                reason="Violences signalées",
                address={
                    "line": f"{CANARY} {person.pk}",
                    "complement": CANARY,
                    "postal_code": "92000",
                    "city": CANARY,
                },
                elected_kind="association",
                elected_name="CIDFF",
                elected_line="1 place de la Mairie",
                elected_postal_code="92000",
                elected_city="Nanterre",
            )


def leaks(content) -> bool:
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
    return any(form in text for form in CANARY_FORMS)


@pytest.fixture
def canary_world(db):
    world = World(assign_principals_to_restricted=True)
    seed_canary(world)
    return world


def _urls(world):
    for name in URL_NAMES:
        access = policy.URLS.get(name)
        if access is None:
            continue
        for url in registry.urls_on_records(world, name, access):
            yield name, access, url
            if not access.obj and (name.endswith("-search") or name.endswith("-list")):
                yield name, access, f"{url}?q={CANARY}"


def _force_reauth(client):
    from django.utils import timezone

    from parcours.backoffice.views.auth import REAUTH_AT

    session = client.session
    session[REAUTH_AT] = timezone.now().isoformat()
    session.save()


def still_signed_in(client, world, principal: str):
    """The client, or a new one signed in again when the page just crawled signed it out (logout):
    otherwise every page after it is the sign-in redirect and the canary sees nothing there."""
    if principal == "anonymous" or SESSION_KEY in client.session:
        return client
    client = world.client(principal)
    _force_reauth(client)
    return client


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_no_page_shows_the_protected_address(principal, canary_world):
    client = canary_world.client(principal)
    if principal != "anonymous":
        _force_reauth(client)  # so that the reveal form itself is reached, not only the re-auth page
    found = []
    pages = 0
    for name, access, url in _urls(canary_world):
        methods = [m for m in ("GET", "POST") if m in access.methods]
        for method in methods:
            with transaction.atomic():
                if method == "POST":
                    response = client.post(url, {"reason": "Vérification de l'adresse pour un courrier"})
                else:
                    response = client.get(url)
                transaction.set_rollback(True)
            pages += 1
            client = still_signed_in(client, canary_world, principal)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            # A search form echoes what the user typed: that is not a leak (the results are checked),
            # in its field and in the links that keep the filters (sorting a list of accounts).
            body = body.replace(f'value="{CANARY}"'.encode(), b"")
            body = body.replace(f"q={quote(CANARY, safe='/')}&amp;".encode(), b"")
            if leaks(body) and (name, method) not in ALLOWED:
                found.append(f"{method} {url} ({name})")
    for message in mail.outbox:
        if leaks(message.subject) or leaks(message.body) or any(leaks(a[1]) for a in message.attachments):
            found.append(f"e-mail « {message.subject} »")
    assert pages > len(URL_NAMES)
    assert found == [], f"L'adresse protégée apparaît pour {principal} dans : {found}"


def test_no_other_output_shows_the_protected_address(canary_world):
    # One world for every principal: most outputs (messages, PDFs) do not depend on who looks and are
    # produced once (world.memo); producing them again per principal only cost time.
    found = []
    assert registry.OUTPUTS, "aucune sortie enregistrée"
    checked = 0
    for principal in PRINCIPALS:
        for producer in registry.OUTPUTS:
            for label, content in producer(canary_world, principal):
                checked += 1
                if leaks(content):
                    found.append(f"{label} ({principal})")
    assert checked > len(registry.OUTPUTS)
    assert found == [], f"L'adresse protégée apparaît dans : {found}"


def test_the_canary_produces_every_registered_exporter(canary_world):
    """The registry walk of outputs_core.py reaches each exporter: a new one is checked as it registers."""
    from parcours.core import exports
    from tests.authz.outputs_core import registered_exports

    produced = {
        label.split()[1]
        for principal in PRINCIPALS
        for label, _ in registered_exports(canary_world, principal)
    }
    assert produced == {exporter.identifier for exporter in exports.all_exporters()}


def test_the_audited_reveal_does_show_it_so_the_canary_can_be_seen(canary_world):
    """Positive control: the canary is really stored and the test really sees it where it is allowed."""
    client = canary_world.client("social_worker")
    _force_reauth(client)
    person = canary_world.parent("own")
    response = client.post(
        reverse("backoffice:address-reveal", kwargs={"pk": person.pk}),
        {"reason": "Envoi d'une convocation au tribunal"},
    )
    assert response.status_code == 200
    assert leaks(response.content)
