"""The authorization matrix, beyond one role per account and refusals only.

- an *assigned* user opens the restricted records their role allows (the main matrix checks that
  the others are refused: without this, a page refusing everyone would pass);
- an account with several roles holds the union of their permissions, no more;
- a deactivated account, still holding a signed-in session, reaches no staff page;
- the other parent, signed in nowhere but holding his own private link, sees only his own
  registration: never the other parent's session, name, channel or address.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, translation

from parcours.core import policy
from parcours.core.models import User, UserRole
from parcours.households.models import Person
from parcours.workshops import links
from parcours.workshops.services import register
from tests import factories
from tests.authz import registry
from tests.authz.test_authorization_matrix import URL_NAMES, _request
from tests.authz.world import DEPARTMENT_ROLES, World
from tests.conftest import sign_in
from tests.workshops import factories as wf

registry.load_all()

OPEN = (policy.PUBLIC, policy.SIGN_IN, policy.SIGNED_IN, policy.API_TOKEN)


def _allowed(status: int) -> bool:
    return 200 <= status < 400


# Kinds whose records hold no household data, so no assignment opens them: department data
# (sessions, places, files of events, templates, directory entries), accounts, and the doctrine's
# sheets, whose "restricted" variant is another author's draft.
NO_HOUSEHOLD_KINDS = {"user", "import_job", "template", "partner", "workshop", "series", "venue"}
# A referral in a partner's inbox is opened by the receiving organisation with the person's consent,
# whatever the household's restriction (tests/protection/test_partner_inbox.py).
NO_HOUSEHOLD_KINDS |= {"partner_referral"}


# MAP measures are opened by the measure's own social worker and MAP organisation
# (core.policy.RECORD_RULES), not by an assignment to the household: tested by tests/accompaniment.
OWN_RULE_MODULES = ("kinds_doctrine", "kinds_accompaniment")


def _household_kind(kind: str) -> bool:
    return kind not in NO_HOUSEHOLD_KINDS and not registry.KINDS[kind].__module__.endswith(OWN_RULE_MODULES)


def _staff_urls(*, assigned_only: bool = False):
    for name in URL_NAMES:
        access = policy.URLS.get(name)
        if access is None or access.permission in OPEN or "GET" not in access.methods:
            continue
        if assigned_only and not (
            access.obj and access.restricted == "assigned" and _household_kind(access.obj)
        ):
            continue
        yield name


def _url(name: str, world: World, variant: str) -> str | None:
    access = policy.URLS[name]
    if access.obj:
        kwargs = registry.KINDS[access.obj](world, variant)
        return None if kwargs is None else reverse(name, kwargs=kwargs)
    if name in registry.URL_KWARGS:
        return reverse(name, kwargs=registry.URL_KWARGS[name](world))
    return reverse(name)


@pytest.mark.parametrize("name", list(_staff_urls(assigned_only=True)))
def test_an_assigned_user_opens_the_restricted_record(name, db):
    world = World(assign_principals_to_restricted=True)
    url = _url(name, world, "restricted")
    assert url is not None, f"{policy.URLS[name].obj}: no restricted record; list it in NO_HOUSEHOLD_KINDS"
    access = policy.URLS[name]
    holders = [role for role in DEPARTMENT_ROLES if policy.role_allows(world.users[role], access.permission)]
    assert holders, f"{name}: no department role holds {access.permission}"
    failures = []
    for role in holders:
        response = _request(world.client(role), "GET", url)
        if not _allowed(response.status_code):
            failures.append(f"GET {url} as assigned {role}: {response.status_code}")
    assert failures == [], "\n".join(failures)


# Combinations a Caf gives in practice (a social worker who also pilots, an advisor who also pays).
MULTI_ROLES = [("social_worker", "local_pilot"), ("service_advisor", "benefits_officer")]


@pytest.mark.parametrize("roles", MULTI_ROLES, ids="+".join)
def test_several_roles_hold_the_union_of_their_permissions(roles, db):
    world = World()
    user = factories.make_user(roles[0], "92")
    UserRole.objects.create(user=user, role=roles[1])
    user = User.objects.get(pk=user.pk)
    client = sign_in(Client(), user)
    singles = {role: world.client(role) for role in roles}
    failures = []
    for name in _staff_urls():
        kind = policy.URLS[name].obj
        if kind and registry.KINDS[kind].__module__.endswith(OWN_RULE_MODULES):
            continue  # opened by the person named on the record (a MAP measure's social worker), not by a role
        url = _url(name, world, "own")
        if url is None:
            continue
        # What each role alone gets, record rules included: the account gets their union.
        expected = any(_allowed(_request(singles[r], "GET", url).status_code) for r in roles)
        status = _request(client, "GET", url).status_code
        if expected != _allowed(status):
            failures.append(
                f"GET {url} as {'+'.join(roles)}: expected {'allowed' if expected else 'refused'}, got {status}"
            )
    assert failures == [], "\n".join(failures)


def test_a_deactivated_account_reaches_no_staff_page_with_its_old_session(db):
    world = World()
    user = world.users["local_pilot"]
    client = world.client("local_pilot")
    assert _allowed(client.get(reverse("backoffice:home")).status_code)
    # Deactivated behind the service's back: the policy itself must refuse, not only the session purge.
    User.objects.filter(pk=user.pk).update(is_active=False)
    failures = []
    for name in _staff_urls():
        url = _url(name, world, "own")
        if url is None or url.startswith("/api/"):
            continue
        response = _request(client, "GET", url)
        if not (response.status_code == 302 and "/gestion/connexion/" in response.get("Location", "")):
            failures.append(f"GET {url}: {response.status_code}")
    assert failures == [], "\n".join(failures)


def _separated_parents_registered(world: World):
    """The restricted household (violence reported): each parent registered to a different session."""
    household = world.household("restricted")
    mother = household.members.get(role=Person.Role.PARENT, is_declarant=True)
    father = household.members.get(role=Person.Role.PARENT, is_declarant=False)
    factories.ContactFactory(person=father, value="julien.pere@exemple.fr")
    mothers_session = wf.workshop("92", format="webinar", days=9, hour=10)
    fathers_session = wf.workshop("92", format="webinar", days=16, hour=19)
    hers = register(actor=world.assignee, workshop=mothers_session, person=mother).registration
    his = register(actor=world.assignee, workshop=fathers_session, person=father).registration
    return mother, hers, his


def _day_forms(moment) -> list[str]:
    """The ways a page may write a session's day: 23/12/2026, « 23 décembre 2026 », « 1er décembre »."""
    with translation.override("fr"):
        long = dateformat.format(moment, "j F Y")
    return [moment.strftime("%d/%m/%Y"), long, long.replace(" ", "\u00a0"), long.replace("1 ", "1er ", 1)]


def test_the_other_parent_with_his_private_link_sees_only_his_own_registration(db):
    world = World()
    mother, hers, his = _separated_parents_registered(world)
    token = links.registration_token(his)
    her_session = hers.workshop
    secrets = [
        mother.first_name,
        mother.last_name,
        *mother.contacts.values_list("value", flat=True),
        *_day_forms(her_session.start_local),
        f"/{her_session.pk}/",
        links.registration_token(hers),
    ]
    client = Client()  # no account: the link is his only credential
    pages = {}
    for name in ("registration-manage", "registration-move", "registration-calendar", "registration-offer"):
        response = client.get(reverse(f"portal:{name}", kwargs={"token": token}))
        assert response.status_code < 500
        pages[name] = response.content.decode("utf-8", errors="replace")
    assert any(day in pages["registration-manage"] for day in _day_forms(his.workshop.start_local))  # control
    leaks = [
        (name, secret) for name, text in pages.items() for secret in secrets if secret and secret in text
    ]
    assert leaks == []


def test_the_other_parents_link_cannot_be_turned_into_hers(db):
    world = World()
    _mother, hers, his = _separated_parents_registered(world)
    # Her link's content with his link's signature: the signature covers the content.
    his_payload, his_stamp, his_signature = links.registration_token(his).split(":")
    her_payload = links.registration_token(hers).split(":")[0]
    assert her_payload != his_payload
    forged = f"{her_payload}:{his_stamp}:{his_signature}"
    response = Client().get(reverse("portal:registration-manage", kwargs={"token": forged}))
    content = response.content.decode("utf-8", errors="replace")
    assert response.status_code < 500
    assert not any(day in content for day in _day_forms(hers.workshop.start_local))
    assert hers.first_name not in content
