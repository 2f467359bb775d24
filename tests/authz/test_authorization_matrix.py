"""The authorization matrix: every URL pattern × every principal × every record variant.

It reads the URL patterns from Django's resolver and the expectations from core.policy, so a
new page is covered as soon as it exists, and a page missing from the policy fails here.
Expected answers:
- anonymous on a staff page: redirect to sign-in (401 on the API);
- a role without the permission: 403;
- a role with it: 2xx/3xx on its own department's records, 404 on another department's,
  404 on a restricted record it is not assigned to (unless the page shows the reference only).
Every request runs in a rolled-back transaction, so POSTs do not leak into the next principal.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from parcours.core import policy
from tests.authz import registry
from tests.authz.world import PRINCIPALS, World

registry.load_all()

OPEN = (policy.PUBLIC, policy.SIGN_IN)


def walk(patterns=None, namespace: str = "") -> list[tuple[str, str]]:
    """(view name, route) of every URL pattern, recursively; unnamed patterns are reported as such."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(walk(entry.url_patterns, ns))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"<sans nom> {entry.pattern}"
            found.append((name, str(entry.pattern)))
    return found


ALL_URLS = walk()
URL_NAMES = sorted({name for name, _ in ALL_URLS})


def test_every_url_pattern_is_named_and_listed_in_the_policy():
    missing = [name for name in URL_NAMES if name not in policy.URLS]
    assert missing == [], f"URL absentes de core.policy.URLS : {missing}"


def test_the_policy_lists_no_url_that_does_not_exist():
    stale = sorted(set(policy.URLS) - set(URL_NAMES))
    assert stale == [], f"Entrées de core.policy.URLS sans URL : {stale}"


def test_every_permission_of_the_policy_is_defined():
    pseudo = {policy.PUBLIC, policy.SIGN_IN, policy.SIGNED_IN, policy.API_TOKEN}
    unknown = sorted({a.permission for a in policy.URLS.values()} - pseudo - set(policy.RULES))
    assert unknown == []


def test_every_record_kind_has_a_builder():
    kinds = {a.obj for a in policy.URLS.values() if a.obj}
    assert sorted(kinds - set(registry.KINDS)) == []


def _expected(access: policy.Access, principal: str, variant: str | None, world: World) -> str:
    """'login', 'forbidden', 'not_found' or 'allowed'."""
    if access.permission in OPEN:
        return "open"
    if access.permission == policy.API_TOKEN:
        return "api_denied"  # sessions never authenticate the API
    if principal == "anonymous":
        return "login"
    user = world.users[principal]
    if not policy.role_allows(user, access.permission):
        return "forbidden"
    if variant == registry.SHARED:
        # The policy's cross-department read (doctrine): open only through URLs that say so.
        return "allowed" if access.branch else "not_found"
    if variant == "other":
        # Branch URLs let national roles reach every department's records.
        national = user.department_code is None and user.is_national
        return "allowed" if access.branch and national else "not_found"
    if variant == "restricted" and access.restricted == "assigned":
        return "not_found"
    return "allowed"


def _check(expected: str, status: int, location: str, is_api: bool) -> bool:
    if expected == "open":
        return status < 500
    if expected == "api_denied":
        return status in (401, 403)
    if expected == "login":
        return status == 401 if is_api else (status == 302 and "/gestion/connexion/" in location)
    if expected == "forbidden":
        return status == 403
    if expected == "not_found":
        return status == 404
    return 200 <= status < 400


def _request(client, method: str, url: str):
    with transaction.atomic():
        response = client.post(url, {}) if method == "POST" else client.get(url)
        transaction.set_rollback(True)
    return response


def _kwargs_sets(name: str, access: policy.Access, world: World):
    if access.obj:
        for variant in registry.variants_of(access.obj):
            kwargs = registry.KINDS[access.obj](world, variant)
            if kwargs is not None:
                yield variant, kwargs
    elif name in registry.URL_KWARGS:
        yield None, registry.URL_KWARGS[name](world)
    else:
        yield None, {}


@pytest.mark.parametrize("name", [n for n in URL_NAMES if n in policy.URLS])
def test_url_answers_each_principal_as_the_policy_says(name, db):
    access = policy.URLS[name]
    world = World()
    clients = {principal: world.client(principal) for principal in PRINCIPALS}
    failures = []
    checked = 0
    for variant, kwargs in _kwargs_sets(name, access, world):
        url = reverse(name, kwargs=kwargs)
        is_api = url.startswith("/api/")
        for principal in PRINCIPALS:
            expected = _expected(access, principal, variant, world)
            methods = ["GET"] if "GET" in access.methods else []
            # Denied principals also try every write the URL accepts.
            if "POST" in access.methods and (expected != "allowed" or not methods):
                methods.append("POST")
            for method in methods:
                response = _request(clients[principal], method, url)
                checked += 1
                if not _check(expected, response.status_code, response.get("Location", ""), is_api):
                    failures.append(
                        f"{method} {url} [{variant or '-'}] as {principal}: expected {expected}, got {response.status_code}"
                    )
    assert checked > 0
    assert failures == [], "\n".join(failures)
