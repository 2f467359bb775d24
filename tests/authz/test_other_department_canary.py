"""The other-department canary (issue 17).

A household of La Réunion (974) gets names, e-mail addresses, phone numbers, an address and a file
number made of random tokens drawn for this run, and every record the access world builds for
another department (pathway, protection track, MAP measure, messages, workshop registrations…) is
built on it. Then, signed in as each role of the Hauts-de-Seine (92) — and as the national pilot, who
sees aggregates only — the test crawls every page of the project (each GET form submitted with
fragments of the tokens, so each list and search really looks for them), every registered exporter
on every record it may export (tabular ones in CSV: ODS and XLSX write the same rows; each document
format), and every operation of the API's OpenAPI document with a token of a 92 Caf. No token
may appear in an answer, in a message, or in the application's logs (every `parcours` and `django`
logger at DEBUG) written during the crawl.

Searches are made with fragments (a prefix of a name, the first digits of the file number): a page
that echoes the words typed shows the fragment, a page that finds the household shows the whole token.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import string
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse

from parcours.api.models import ApiToken
from parcours.core import exports, policy
from parcours.core.policy import THE_PUBLIC as PUBLIC
from parcours.households import services as household_services
from parcours.households.models import Address, ContactChannel, Person
from parcours.pathways.models import Pathway, SeparationEvent
from parcours.workshops.services import register
from tests import factories
from tests.authz import registry
from tests.authz.kinds_workshops import workshop_of
from tests.authz.outputs_core import exportable_records, readable
from tests.authz.test_authorization_matrix import URL_NAMES
from tests.authz.test_protected_address_canary import _force_reauth, still_signed_in
from tests.authz.world import OTHER, OWN, World
from tests.workshops import factories as wf

registry.load_all()

# Every role of the department, and the national pilot (aggregates only).
# The pilots come last: their journals and dashboards then list what the others did.
CRAWLERS = (
    "anonymous",
    "social_worker",
    "service_advisor",
    "benefits_officer",
    "partner",
    "accompanist",
    "local_pilot",
    "national_pilot",
)


def _word(length: int = 10) -> str:
    # Consonants only: no French word, no hexadecimal token, no accident of the fold.
    return "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(length))


@dataclass
class Canary:
    """The tokens of one run: the words searched case-insensitively, the phone and file number digit-wise."""

    mother_first: str = field(default_factory=lambda: _word().capitalize())
    mother_last: str = field(default_factory=lambda: _word().capitalize())
    father_first: str = field(default_factory=lambda: _word().capitalize())
    father_last: str = field(default_factory=lambda: _word().capitalize())
    child_first: str = field(default_factory=lambda: _word().capitalize())
    street: str = field(default_factory=lambda: _word().capitalize())
    email_local: str = field(default_factory=_word)
    registrant: str = field(default_factory=lambda: _word().capitalize())
    registrant_email_local: str = field(default_factory=_word)
    # A Réunion mobile number (0692…) and a file number: digits, searched digit-wise.
    phone_subscriber: str = field(
        default_factory=lambda: "692" + "".join(secrets.choice(string.digits) for _ in range(6))
    )
    file_number: str = field(
        default_factory=lambda: "9" + "".join(secrets.choice(string.digits) for _ in range(6))
    )

    @property
    def words(self) -> tuple[str, ...]:
        return (
            self.mother_first, self.mother_last, self.father_first, self.father_last, self.child_first,
            self.street, self.email_local, self.registrant, self.registrant_email_local,
        )  # fmt: skip

    @property
    def email(self) -> str:
        return f"{self.email_local}@exemple.re"

    @property
    def phone(self) -> str:
        return "0" + self.phone_subscriber

    def queries(self) -> list[str]:
        """What a 92 user types in a search box: fragments of the tokens, never a whole one."""
        return [
            self.mother_last[:7],
            self.father_first[:7],
            self.registrant[:7],
            self.email_local[:7],
            self.file_number[:5],
            self.phone[:7],
        ]

    def found_in(self, content) -> list[str]:
        text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
        lowered = text.lower()
        found = [w for w in self.words if w.lower() in lowered or w.lower().encode().hex() in lowered]
        # Phone numbers are written +262 692…, 06 92…, 0692…: look at the digits without separators.
        squeezed = re.sub(r"[\s.\-\u00a0\u202f]", "", text)
        if self.phone_subscriber in squeezed:
            found.append(f"téléphone {self.phone}")
        if re.search(rf"(?<!\d){self.file_number}(?!\d)", text):
            found.append(f"numéro d'allocataire {self.file_number}")
        return found


def seed(world: World, canary: Canary) -> None:
    """The 974 household of the world, renamed with the tokens before anything is built on it."""
    household = world.household("other")
    assert household.department.code == OTHER
    household.file_number = canary.file_number
    household.save(update_fields=["file_number"])
    mother = world.parent("other")
    father = household.members.get(role=Person.Role.PARENT, is_declarant=False)
    child = household.members.get(role=Person.Role.CHILD)
    for person, first, last in (
        (mother, canary.mother_first, canary.mother_last),
        (father, canary.father_first, canary.father_last),
        (child, canary.child_first, canary.mother_last),
    ):
        person.first_name, person.last_name = first, last
        person.save()
    Address.objects.filter(person__household=household).update(
        line=f"8 chemin {canary.street}", city="Saint-Denis", postal_code="97400"
    )
    ContactChannel.objects.filter(person=mother, kind="email").update(value=canary.email)
    ContactChannel.objects.create(
        person=mother, kind="sms", value=ContactChannel.normalised_value("sms", canary.phone), is_safe=True
    )
    ContactChannel.objects.create(
        person=father,
        kind="phone",
        value=ContactChannel.normalised_value("phone", canary.phone),
        is_safe=False,
    )
    # Every record of every kind, the 974 ones on the canary household.
    for name, build in registry.KINDS.items():
        for variant in registry.variants_of(name):
            build(world, variant)
    # A 974 session with the household's mother registered by her social worker, and a stranger
    # registered from the public page.
    workshop = workshop_of(world, "other")
    register(actor=world.other_department_user, workshop=workshop, person=mother)
    wf.public_registration(
        workshop, first_name=canary.registrant, email=f"{canary.registrant_email_local}@exemple.re"
    )
    # The family has violence on its open pathway (its restriction lifted). Both parents register
    # from the public page to a 92 session, with channels of theirs that are not tokens (what they
    # type is theirs to show): the second registration is held and linked to the 974 file.
    Pathway.objects.filter(household=household).update(violence_reported=True)
    household.refresh_from_db()
    if household.restricted:
        household_services.lift_restriction(
            actor=factories.make_user("local_pilot", OTHER), household=household, reason="Levée après examen"
        )
    typed_phone = canary.phone
    while typed_phone == canary.phone:
        typed_phone = "0692" + "".join(secrets.choice(string.digits) for _ in range(6))
    ContactChannel.objects.create(
        person=mother, kind="phone", value=ContactChannel.normalised_value("phone", typed_phone)
    )
    typed_email = f"{_word()}@exemple.fr"
    ContactChannel.objects.create(person=father, kind="email", value=typed_email)
    session = workshop_of(world, "own")
    register(
        actor=PUBLIC, workshop=session, first_name="Nadia", contact_kind="sms", contact_value=typed_phone
    )
    held = register(
        actor=PUBLIC, workshop=session, first_name="Julien", contact_kind="email", contact_value=typed_email
    )
    assert held.registration.household_id == household.pk
    world.memo("canary-records", dict).setdefault("registration", []).append(held.registration.pk)
    # Control: the tokens are really stored where the crawl looks.
    assert canary.found_in(mother.full_name) and canary.found_in(household.reference)


@pytest.fixture
def canary_world(db):
    world = World(assign_principals_to_restricted=True)
    canary = Canary()
    seed(world, canary)
    return world, canary


# --- the crawl --------------------------------------------------------------------------------------


class _GetForms(HTMLParser):
    """The GET forms of a page: their action and their text inputs (what a user may type in)."""

    TEXT = {"text", "search", "email", "tel"}

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._current: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._current = (a.get("action") or "", []) if method == "get" else None
        elif (
            tag == "input"
            and self._current is not None
            and a.get("name")
            and (a.get("type") or "text").lower() in self.TEXT
        ):
            self._current[1].append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            if self._current[1]:
                self.forms.append(self._current)
            self._current = None


def _pages(world, principal: str):
    """(name, access, url) of every URL the principal may open, on every record variant (the 974
    ones included: they must answer 404 without a word of the record). Pages the role may not open
    answer 403 (the authorization matrix checks it) and public pages are crawled once, anonymously."""
    user = world.users.get(principal)
    for name in URL_NAMES:
        access = policy.URLS.get(name)
        if access is None or access.permission == policy.API_TOKEN:
            continue
        if user is None:
            if access.permission != policy.PUBLIC:
                continue
        elif access.permission == policy.PUBLIC or (
            access.permission not in (policy.SIGN_IN, policy.SIGNED_IN)
            and not policy.role_allows(user, access.permission)
        ):
            continue
        for url in registry.urls_on_records(world, name, access):
            yield name, access, url
        # Records of 92 that point to the 974 family (seeded for this canary).
        for pk in world.memo("canary-records", dict).get(access.obj, []) if access.obj else ():
            yield name, access, reverse(name, kwargs={"pk": pk})


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@dataclass
class Crawl:
    canary: Canary
    found: list[str] = field(default_factory=list)
    pages: int = 0
    searches: int = 0
    exports: int = 0
    api: int = 0

    def check(self, label: str, content) -> None:
        tokens = self.canary.found_in(content)
        if tokens:
            self.found.append(f"{label} : {', '.join(tokens)}")


def _crawl_pages(crawl: Crawl, world, principal: str) -> None:
    client = world.client(principal)
    if principal != "anonymous":
        _force_reauth(client)
    searched: set[tuple[str, tuple[str, ...]]] = set()
    for name, access, url in _pages(world, principal):
        # A form's page is its GET; a POST is sent only where there is no page to GET (an action).
        for method in ["GET"] if "GET" in access.methods else ["POST"] if "POST" in access.methods else []:
            if method == "POST":
                with transaction.atomic():
                    response = client.post(url, {"reason": "Vérification", "q": crawl.canary.queries()[0]})
                    transaction.set_rollback(True)
            else:
                # Kept: a read leaves its audit entry, which the pilots' journals crawled later list.
                response = client.get(url)
            crawl.pages += 1
            client = still_signed_in(client, world, principal)  # after the logout page
            body = _body(response)
            crawl.check(f"{principal} {method} {url} ({name})", body)
            if method != "GET" or response.status_code != 200:
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            parser = _GetForms()
            parser.feed(body.decode("utf-8", errors="replace"))
            for action, inputs in parser.forms:
                target = action or url
                key = (target.split("?")[0], tuple(inputs))
                if key in searched:
                    continue
                searched.add(key)
                for field_name in inputs:
                    for query in crawl.canary.queries():
                        search_url = f"{target.split('?')[0]}?{urlencode({field_name: query})}"
                        found = client.get(search_url)
                        crawl.searches += 1
                        crawl.check(f"{principal} GET {search_url} (recherche de {name})", _body(found))


def _crawl_exports(crawl: Crawl, world, principal: str) -> None:
    user = world.users[principal]
    # The journal filtered on a 974 account, the bilan asked for 974: the answer is the actor's scope.
    param_sets = {
        "audit.department_journal": [{}, {"staff": str(world.other_department_user.pk)}],
        "evaluation.figures": [{}, {"scope": OTHER}],
    }
    for exporter in exports.all_exporters():
        if not policy.role_allows(user, exporter.permission):
            continue
        # The tabular formats write the same rows (one is enough); each document format has its renderer.
        tabular = [f for f in exporter.formats if f in exports.TABULAR]
        formats = [
            *(["csv"] if "csv" in tabular else tabular[:1]),
            *(f for f in exporter.formats if f not in exports.TABULAR),
        ]
        for obj in exportable_records(world, exporter, user):
            for params in param_sets.get(exporter.identifier, [{}]):
                for fmt in formats:
                    try:
                        with transaction.atomic():
                            rendered = exports.produce(
                                actor=user, identifier=exporter.identifier, fmt=fmt, obj=obj, params=params
                            )
                    except (PermissionDenied, Http404, ValidationError, exports.ExportError):
                        continue
                    crawl.exports += 1
                    label = f"{principal} export {exporter.identifier} {fmt} {params or ''} [{getattr(obj, 'pk', '-')}]"
                    crawl.check(label, readable(fmt, rendered.content))
                    crawl.check(f"{label} (octets)", rendered.content)


# --- the API ----------------------------------------------------------------------------------------


def _api_event(canary_world, external_id: str, **changes) -> dict:
    world, _ = canary_world
    own = world.household("own")
    declarant = own.members.filter(is_declarant=True).first()
    return {
        "external_id": external_id, "department": OWN, "file_number": own.file_number,
        "declared_on": "2026-03-02", "declarant_last_name": declarant.last_name,
        "declarant_first_name": declarant.first_name, "children_count": 1, "violence_reported": "non",
        **changes,
    }  # fmt: skip


def _api_requests(canary_world, operation_id: str):
    """The requests the canary sends to one operation of the OpenAPI document, as a 92 Caf."""
    world, canary = canary_world
    if operation_id == "separation_events_create":
        other_event = SeparationEvent.objects.filter(household=world.household("other")).first()
        assert other_event is not None
        yield "une déclaration de 92", [_api_event(canary_world, "CANARY-API-1")]
        # The 974 file's number and source id, declared in 92: another household, never the 974 one.
        yield (
            "le numéro d'allocataire du foyer de 974",
            [_api_event(canary_world, "CANARY-API-2", file_number=canary.file_number)],
        )
        yield (
            "l'identifiant source d'une déclaration de 974",
            [_api_event(canary_world, other_event.external_id)],
        )
        yield (
            "une déclaration de 974",
            [_api_event(canary_world, "CANARY-API-3", department=OTHER, file_number=canary.file_number)],
        )
        yield "une déclaration invalide", [_api_event(canary_world, "CANARY-API-4", declared_on="31/02/2026")]
        return
    raise AssertionError(
        f"Opération d'API « {operation_id} » inconnue du canari autre département : dites-lui quoi envoyer."
    )


def _crawl_api(crawl: Crawl, canary_world) -> None:
    world, canary = canary_world
    schema = json.loads(Client().get(reverse("api:openapi")).content)
    crawl.check("API openapi.json", json.dumps(schema))
    _, clear = ApiToken.issue(organisation=factories.caf(OWN), name="canari autre département")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")

    other_pathways = set(
        Pathway.objects.filter(household=world.household("other")).values_list("pk", flat=True)
    )
    for path, operations in schema["paths"].items():
        url = "/api/v1/" + path.split("/api/v1/", 1)[-1].lstrip("/")
        for method, operation in operations.items():
            for label, body in _api_requests(canary_world, operation["operationId"]):
                with transaction.atomic():
                    response = client.generic(
                        method.upper(), url, data=json.dumps(body), content_type="application/json"
                    )
                    transaction.set_rollback(True)
                crawl.api += 1
                crawl.check(
                    f"API {method.upper()} {path} ({label}, {response.status_code})", response.content
                )
                answer = response.json() if response.content else {}
                for result in answer.get("results", []) if isinstance(answer, dict) else []:
                    if result.get("pathway") in other_pathways:
                        crawl.found.append(
                            f"API {method.upper()} {path} ({label}) : parcours de 974 n° {result['pathway']}"
                        )


# --- the test ---------------------------------------------------------------------------------------


def _capture_every_log(caplog) -> None:
    names = [
        "parcours",
        "django",
        *[n for n in logging.root.manager.loggerDict if n.startswith(("parcours", "django"))],
    ]
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)


def _log_text(record: logging.LogRecord) -> str:
    extra = {
        k: v
        for k, v in record.__dict__.items()
        if k not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
    }
    trace = record.exc_text or (
        logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    )
    return " ".join([record.name, record.getMessage(), trace, repr(extra)])


def test_no_answer_to_a_92_user_names_the_974_household(canary_world, caplog):
    world, canary = canary_world
    crawl = Crawl(canary)
    mail.outbox.clear()
    _capture_every_log(caplog)
    for principal in CRAWLERS:
        before = crawl.pages
        _crawl_pages(crawl, world, principal)
        assert crawl.pages > before, f"aucune page ouverte par {principal}"
        if principal != "anonymous":
            _crawl_exports(crawl, world, principal)
    _crawl_api(crawl, canary_world)
    for message in mail.outbox:
        crawl.check(f"e-mail « {message.subject} »", str(message.message()))
    logged = list(caplog.records)
    for record in logged:
        crawl.check(f"journal applicatif {record.name} {record.levelname}", _log_text(record))
    assert crawl.pages > len(URL_NAMES) and crawl.searches > 0 and crawl.exports > 0 and crawl.api > 0
    assert any(r.name.startswith("parcours") for r in logged) and any(
        r.name.startswith("django") for r in logged
    )
    print(
        f"pages {crawl.pages}, recherches {crawl.searches}, exports {crawl.exports}, API {crawl.api}, journaux {len(logged)}"
    )
    assert crawl.found == [], "Le foyer de 974 apparaît :\n" + "\n".join(crawl.found)


def test_the_974_staff_do_see_the_tokens_so_the_canary_can_see_them(canary_world, client_for):
    """Positive control: the tokens are stored, a search by fragment finds them, an export shows them."""
    world, canary = canary_world
    client = client_for(world.other_department_user)
    household = world.household("other")
    page = client.get(reverse("backoffice:household-detail", kwargs={"pk": household.pk}))
    assert page.status_code == 200
    found = set(canary.found_in(page.content))
    assert {canary.mother_first, canary.mother_last, canary.child_first, canary.street} <= found
    assert f"téléphone {canary.phone}" in found and f"numéro d'allocataire {canary.file_number}" in found
    for query in (canary.mother_last[:7], canary.file_number[:5]):
        results = client.get(reverse("backoffice:household-search"), {"q": query})
        assert canary.mother_last in canary.found_in(results.content), query
    assert canary.email_local in found  # the e-mail address is on the page too
