"""The second canary: the existence of a violence report.

A unique marker is written, through the real services, in the free texts of a protected track (the
report's note, a checklist note, a referral's need and follow-up) of the declarant of every household
of the access world — own department, restricted, other department — by the staff assigned to it.

1. No principal who is not assigned to the file (every role, anonymous) finds the marker on any page
   of the project; the assigned social worker does (positive control).
2. The other parent — the person the protected track is kept from — receives every registered
   message, on every channel, after the report: none carries the marker, the violence vocabulary,
   the channels of the person at risk or her correspondence address, and none switches to the neutral
   wording (which would itself tell him that something happened).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import transaction

from parcours.households import services as household_services
from parcours.households.models import ContactChannel, Person
from parcours.notifications import outbox, safety, templates
from parcours.notifications.backends import letters
from parcours.notifications.models import Message
from parcours.protection import services
from parcours.protection.models import Partner, Referral, SafetyStep
from tests import factories
from tests.authz.registry import VARIANTS
from tests.authz.test_protected_address_canary import _force_reauth, _urls, still_signed_in
from tests.authz.world import OTHER, OWN, PRINCIPALS, World
from tests.notifications.factories import pdf_text

REPORT_CANARY = "CANARY-signalement-4b1d"
# The « signalement croisé » flag (issue 15): a counter-claim against the father of every household.
CROSS_CLAIM_CANARY = "CANARY-croise-77e0"
# A contact that came with a declaration for the family, held for its social worker (issue 15).
PROPOSAL_CANARY = "canary-proposition-5c2a"
# …and a postal address that came the same way (issue 22): encrypted, held for the social worker.
ADDRESS_PROPOSAL_CANARY = "CANARY-rue-proposee-91f3"


def _leaks(content) -> bool:
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
    return any(
        marker in text or marker.encode().hex() in text
        for marker in (REPORT_CANARY, CROSS_CLAIM_CANARY, PROPOSAL_CANARY, ADDRESS_PROPOSAL_CANARY)
    )


def _tells_the_flag(text: str) -> bool:
    """The other parent must not even read the words (staff may: the local pilot is alerted)."""
    return "croisé" in text.lower() or "croise" in text.lower()


def seed_reports(world: World) -> None:
    for variant in VARIANTS:
        household = world.household(variant)
        actor = world.other_department_user if variant == "other" else world.assignee
        code = OTHER if variant == "other" else OWN
        mother = household.members.get(role=Person.Role.PARENT, is_declarant=True)
        services.record_violence_report(
            actor=actor,
            household=household,
            person=mother,
            source="police",
            note=f"{REPORT_CANARY} note du signalement",
        )
        step = SafetyStep.objects.get(person=mother, kind=SafetyStep.Kind.ONLINE_ACCOUNT)
        services.update_safety_step(
            actor=actor,
            step=step,
            status=SafetyStep.Status.NOT_APPLICABLE,
            note=f"{REPORT_CANARY} pas de compte",
        )
        partner = world.memo(
            ("report-canary-partner", code),
            lambda code=code: services.save_partner(
                actor=factories.make_user("local_pilot", code),
                name=f"Association d'aide aux victimes {code}",
                kind=Partner.Kind.FRANCE_VICTIMES,
            ),
        )
        referral = services.refer(
            actor=actor, person=mother, partner=partner, mode=Referral.Mode.TRANSMISSION,
            need=f"{REPORT_CANARY} besoin", consent_given=True,
        )  # fmt: skip
        services.update_referral(
            actor=actor,
            referral=referral,
            status=Referral.Status.IN_PROGRESS,
            status_note=f"{REPORT_CANARY} suivi",
        )
        # The other parent files a counter-claim: flagged, nothing recorded for him, he never learns of it.
        father = household.members.get(role=Person.Role.PARENT, is_declarant=False)
        claim = services.record_violence_report(
            actor=actor, household=household, person=father, source="person"
        )
        assert claim.person == father and not father.violence_reports.exists()
        claim.reason = f"{CROSS_CLAIM_CANARY} motif"
        claim.save(update_fields=["reason"])
        # …and asks for a protected address: held as a counter-claim too, nothing protected for him.
        held = household_services.protect_address(
            actor=actor, person=father, reason=f"{CROSS_CLAIM_CANARY} demande", elected_kind="lawyer",
            elected_name=f"{CROSS_CLAIM_CANARY} avocat", elected_line="1 rue du Palais",
            elected_postal_code="92000", elected_city="Nanterre",
        )  # fmt: skip
        assert held.kind == "address_protection" and not father.is_address_protected
        held.reason = f"{CROSS_CLAIM_CANARY} motif adresse"
        held.save(update_fields=["reason"])
        # He declares again with a new e-mail: held as a proposal, attached to nobody.
        from parcours.pathways.defaults import ensure_national_template
        from parcours.pathways.models import SeparationEvent
        from parcours.pathways.services import record_separations
        from tests.pathways.factories import event_input

        ensure_national_template()
        # …and a postal address, which would attach to him had he none on file (his address is put
        # back after: the other tests read it).
        from parcours.households.models import Address

        his_address = Address.objects.get(person=father)
        his_address.delete()
        record_separations(
            actor=None, source=SeparationEvent.Source.FILE,
            events=[event_input(
                department=code, file_number=household.file_number, declarant_last_name=father.last_name,
                declarant_first_name=father.first_name, email=f"{PROPOSAL_CANARY}.{household.pk}@exemple.fr",
                address_line=f"4 {ADDRESS_PROPOSAL_CANARY}", postal_code=his_address.postal_code,
                city=his_address.city,
            )],
        )  # fmt: skip
        assert not Address.objects.filter(person=father).exists()
        his_address.save()
        assert household.contact_proposals.filter(value__startswith=PROPOSAL_CANARY).exists()
        assert not ContactChannel.objects.filter(value__startswith=PROPOSAL_CANARY).exists()
        assert household.contact_proposals.filter(kind="address").exists()


@pytest.fixture
def report_world(db):
    world = World()  # the principals are assigned to nothing
    seed_reports(world)
    return world


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_no_page_tells_staff_who_are_not_assigned_that_a_report_exists(principal, report_world):
    client = report_world.client(principal)
    if principal != "anonymous":
        _force_reauth(client)
    found, pages = [], 0
    for name, access, url in _urls(report_world):
        for method in [m for m in ("GET", "POST") if m in access.methods]:
            with transaction.atomic():
                response = (
                    client.post(url, {"reason": "Vérification"}) if method == "POST" else client.get(url)
                )
                transaction.set_rollback(True)
            pages += 1
            client = still_signed_in(client, report_world, principal)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if _leaks(body):
                found.append(f"{method} {url} ({name})")
    assert pages > 50
    assert found == [], f"Le signalement apparaît pour {principal} dans : {found}"


def test_the_assigned_social_worker_does_see_the_report_so_the_marker_can_be_seen(report_world, client_for):
    """Positive control: the marker is stored and the test sees it where it belongs."""
    from django.urls import reverse

    client = client_for(report_world.assignee)
    response = client.get(
        reverse("backoffice:protection-track", kwargs={"pk": report_world.household("own").pk})
    )
    assert response.status_code == 200 and _leaks(response.content)
    # …and the contact held for her on the household page.
    page = client.get(reverse("backoffice:household-detail", kwargs={"pk": report_world.household("own").pk}))
    assert PROPOSAL_CANARY in page.content.decode()
    assert ADDRESS_PROPOSAL_CANARY in page.content.decode()  # the address held for her, in clear for her


# --- what the other parent receives ---------------------------------------------------------------


def _other_parent_outputs(world: World) -> list[tuple[str, str | bytes, Message]]:
    produced = []
    queued: list[Message] = []
    for variant in VARIANTS:
        household = world.household(variant)
        father = household.members.get(role=Person.Role.PARENT, is_declarant=False)
        for kind, value in (("email", f"pere.{father.pk}@exemple.fr"), ("sms", "0698765432"), ("postal", "")):
            ContactChannel.objects.get_or_create(
                person=father, kind=kind, defaults={"value": value, "is_safe": True}
            )
        for template in templates.all_templates():
            for channel in template.available_channels:
                queued.append(
                    outbox.enqueue(
                        actor=None,
                        template=template.key,
                        key=f"other-parent.{template.key}.{channel}.{father.pk}",
                        person=father,
                        channel=channel,
                        context=dict(template.example_context),
                    )  # fmt: skip
                )
    outbox.deliver_due()
    references = {}
    for message in Message.objects.filter(pk__in=[m.pk for m in queued]):
        references[message.reference] = message
        label = f"{message.template} {message.channel} [{message.household.reference}]"
        produced.append((f"message {label}", message.subject + "\n" + message.body, message))
        if message.letter_path:
            produced.append((f"courrier PDF {label}", pdf_text(letters.read(message.letter_path)), message))
    for email in mail.outbox:
        message = references.get(email.extra_headers.get("X-Parcours-Reference"))
        if message is not None:
            produced.append((f"e-mail « {email.subject} »", str(email.message()), message))
    for path in Path(settings.PARCOURS_SMS_FILE_PATH).glob("*.json"):
        record = json.loads(path.read_text())
        if record["reference"] in references:
            produced.append((f"SMS {path.name}", record["text"], references[record["reference"]]))
    return produced


def test_what_the_other_parent_receives_never_reveals_the_report(report_world):
    # The mother's address is protected too: her correspondence (elected) address is hers alone.
    world = report_world
    for variant in VARIANTS:
        mother = world.parent(variant)
        actor = world.other_department_user if variant == "other" else world.assignee
        household_services.protect_address(
            actor=actor, person=mother, reason="Mise à l'abri", elected_kind="association",
            elected_name="Maison des femmes", elected_line="4 allée des Glycines", elected_postal_code="92000",
            elected_city="Nanterre",
        )  # fmt: skip
        ContactChannel.objects.create(person=mother, kind="sms", value="0677889900", is_safe=True)
    with time_machine.travel(datetime(2026, 6, 10, 10, 0, tzinfo=UTC), tick=False):
        produced = _other_parent_outputs(world)
    sent = {m.pk for _, _, m in produced if m.status == Message.Status.SENT}
    assert len(sent) >= 3 * len(templates.all_templates())  # control: most messages did reach him
    assert any(label.startswith("courrier PDF") for label, _, _ in produced)

    her_values = set()
    for variant in VARIANTS:
        mother = world.parent(variant)
        her_values |= {c.value for c in mother.contacts.all() if c.value}
    problems = []
    for label, content, message in produced:
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        if _leaks(text):
            problems.append(f"{label} : marqueur du signalement")
        if _tells_the_flag(text):
            problems.append(f"{label} : signalement croisé")
        if message.status == Message.Status.SENT:
            if safety.violence_term(text):
                problems.append(f"{label} : vocabulaire des violences ({safety.violence_term(text)})")
            if message.protected_wording:
                problems.append(f"{label} : formulation neutre (le changement trahirait le signalement)")
            for value in her_values:
                if value in text:
                    problems.append(f"{label} : canal de la personne protégée ({value})")
            if "Glycines" in text or "Maison des femmes" in text:
                problems.append(f"{label} : adresse élue de la personne protégée")
    assert problems == []


# --- the access file (RGPD art. 15) of each parent -------------------------------------------------


def _access_file(actor, person) -> str:
    from parcours.core import exports
    from tests.authz.outputs_core import readable

    texts = []
    for fmt in ("json", "pdf"):
        rendered = exports.produce(actor=actor, identifier="households.subject_access", fmt=fmt, obj=person)
        content = readable(fmt, rendered.content)
        texts.append(content if isinstance(content, str) else content.decode("utf-8"))
    return "\n".join(texts)


# Tokens of each parent's MAP handovers and public registrations (linked to no household), and the
# narratives of incidents, which neither file may carry.
HANDOVER_TOKENS = {"mother": "JETON-REMISE-MERE-31c4", "father": "JETON-REMISE-PERE-8d0e"}
REGISTRATION_TOKENS = {"mother": "JETON-INSCRIPTION-MERE-a61f", "father": "JETON-INSCRIPTION-PERE-2b97"}
NARRATIVE_TOKEN = "JETON-RECIT-INCIDENT-40ab"


def _seed_handovers_and_registrations(world: World) -> None:
    """For each family: a MAP measure whose handovers start at a place named for each parent, with an
    incident about each parent (narratives marked); a public registration made with each parent's own
    e-mail (needs marked) — the father's e-mail is his, recorded on his person."""
    from parcours.accompaniment import services as map_services
    from parcours.accompaniment.models import Handover
    from parcours.core.policy import THE_PUBLIC
    from parcours.workshops import services as workshop_services
    from tests.accompaniment import factories as af
    from tests.workshops import factories as wf

    for variant in VARIANTS:
        household = world.household(variant)
        code = OTHER if variant == "other" else OWN
        actor = world.other_department_user if variant == "other" else world.assignee
        mother = household.members.get(role=Person.Role.PARENT, is_declarant=True)
        father = household.members.get(role=Person.Role.PARENT, is_declarant=False)
        child = household.members.get(role=Person.Role.CHILD)
        org = world.memo(("access-map-org", code), lambda code=code: af.map_organisation(code))
        measure = map_services.record_order(
            actor=actor, household=household, residential_parent=mother, visiting_parent=father,
            children=[child], values=dict(af.TERMS),
        )  # fmt: skip
        map_services.refer(actor=actor, measure=measure, map_organisation=org)
        coordinator = af.coordinator_of(org)
        map_services.answer_referral(actor=coordinator, measure=measure, accept=True)
        places = {
            who: map_services.add_place(
                actor=coordinator,
                measure=measure,
                label=f"{HANDOVER_TOKENS[who]} lieu",
                address=f"{HANDOVER_TOKENS[who]} adresse",
            )  # fmt: skip
            for who in ("mother", "father")
        }
        map_services.generate_calendar(
            actor=coordinator, measure=measure, residential_place=places["mother"],
            visiting_place=places["father"], from_day=measure.starts_on,
        )  # fmt: skip
        map_services.record_outcome(
            actor=coordinator, handover=measure.handovers.order_by("from_at", "pk").first(),
            outcome=Handover.Outcome.DONE,
            incidents=[map_services.IncidentInput("threat", f"{NARRATIVE_TOKEN} sur le père", father),
                       map_services.IncidentInput("lateness", f"{NARRATIVE_TOKEN} sur la mère", mother)],
        )  # fmt: skip
        ContactChannel.objects.get_or_create(
            person=father, kind="email", defaults={"value": f"pere.{father.pk}@exemple.fr"}
        )
        for who, person, days in (("mother", mother, 12), ("father", father, 14)):
            email = person.contacts.filter(kind="email").first().value
            workshop_services.register(
                actor=THE_PUBLIC, workshop=wf.workshop(code, days=days), first_name=person.first_name,
                contact_kind="email", contact_value=email.upper(),
                accessibility_needs=f"{REGISTRATION_TOKENS[who]} {person.pk}",
            )  # fmt: skip


def test_the_access_file_of_each_parent_keeps_to_that_parent(report_world):
    """The other parent's file never tells him of the report (nor of his own flagged counter-claim),
    and neither file carries a token of the other parent: her channels and address, his address, the
    place of each one's handovers, each one's public registrations; nor an incident's narrative."""
    world = report_world
    _seed_handovers_and_registrations(world)
    problems = []
    for variant in VARIANTS:
        household = world.household(variant)
        actor = world.other_department_user if variant == "other" else world.assignee
        mother = household.members.get(role=Person.Role.PARENT, is_declarant=True)
        father = household.members.get(role=Person.Role.PARENT, is_declarant=False)
        his, hers = _access_file(actor, father), _access_file(actor, mother)
        her_tokens = [c.value for c in mother.contacts.all() if c.value] + [mother.address.line]
        her_tokens += [HANDOVER_TOKENS["mother"], f"{REGISTRATION_TOKENS['mother']} {mother.pk}"]
        his_tokens = [father.address.line, f"pere.{father.pk}@exemple.fr"]
        his_tokens += [HANDOVER_TOKENS["father"], f"{REGISTRATION_TOKENS['father']} {father.pk}"]
        if NARRATIVE_TOKEN in his + hers:
            problems.append(f"dossiers [{variant}] : récit d'un incident")
        assert all(t in hers for t in her_tokens) and all(t in his for t in his_tokens)  # control
        assert "Signalement du" in hers  # control: her own report is hers to read
        if _leaks(his) or "Signalement du" in his or _tells_the_flag(his):
            problems.append(f"dossier du père [{variant}] : signalement")
        if _leaks(hers) or _tells_the_flag(hers):
            problems.append(f"dossier de la mère [{variant}] : notes ou signalement croisé")
        problems += [f"dossier du père [{variant}] : {t}" for t in her_tokens if t in his]
        problems += [f"dossier de la mère [{variant}] : {t}" for t in his_tokens if t in hers]
    assert problems == []
