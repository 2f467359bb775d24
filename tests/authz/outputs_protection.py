"""Outputs of the protection module for the canary test (the parents' protected addresses hold the
canary): the referral sheet (PDF) of each household, the AUU messages really produced by the services
(decision, payment, refusal) on e-mail, SMS and postal letter (PDF read back), the protected track on
the household timeline, and the audit entries the module writes."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core import mail

from parcours.core.models import AuditEntry
from parcours.households import timeline
from parcours.households.models import ContactChannel, HouseholdAssignment
from parcours.notifications import outbox
from parcours.notifications.backends import letters
from parcours.notifications.models import Message
from parcours.protection import documents, services
from parcours.protection.models import EmergencyAid
from tests import factories
from tests.authz.kinds_protection import protection_records
from tests.authz.registry import VARIANTS, output
from tests.authz.world import OTHER, OWN
from tests.notifications.factories import pdf_text

# Which safe channel the person at risk has in each household, so that every transport is exercised.
CHANNEL_BY_VARIANT = {"own": "email", "restricted": "postal", "other": "sms"}


def _officer(world, variant, household):
    code = OTHER if variant == "other" else OWN
    officer = world.memo(("aid-officer", code), lambda: factories.make_user("benefits_officer", code))
    HouseholdAssignment.objects.get_or_create(household=household, user=officer)
    return officer


def _only_channel(person, kind: str) -> None:
    values = {"email": f"victime.{person.pk}@exemple.fr", "sms": "0611223344", "postal": ""}
    ContactChannel.objects.filter(person=person).update(is_safe=False)
    contact, _ = ContactChannel.objects.get_or_create(
        person=person, kind=kind, defaults={"value": values[kind]}
    )
    contact.is_safe, contact.safe_from, contact.safe_until = True, None, None
    contact.value = contact.value or values[kind]
    contact.save()


def _produce(world) -> list[tuple[str, str | bytes]]:
    produced: list[tuple[str, str | bytes]] = []
    for variant in VARIANTS:
        records = protection_records(world, variant)
        html = documents.referral_sheet_html(records["referral"])
        pdf = documents.render_pdf(html)
        produced += [
            (f"fiche de liaison HTML [{variant}]", html),
            (f"fiche de liaison PDF [{variant}]", pdf_text(pdf)),
            (f"fiche de liaison PDF (octets) [{variant}]", pdf),
        ]
        aid: EmergencyAid = records["aid"]
        officer = _officer(world, variant, aid.household)
        _only_channel(aid.person, CHANNEL_BY_VARIANT[variant])
        today = aid.household.department.local_today()
        if variant == "other":
            services.refuse_aid(actor=officer, aid=aid, reason="Justificatif illisible, demande à renouveler")
        else:
            resources = "100" if variant == "own" else "9000"  # a grant, and a loan
            services.decide_aid(
                actor=officer, aid=aid, monthly_resources=resources, children_count=1, amount="950"
            )
            services.record_payment(actor=officer, aid=aid, paid_on=today)
            if aid.is_loan:
                services.record_proceedings(actor=officer, aid=aid, proceedings="conviction", on=today)
    # Control: the sheet really carries the correspondence address (the elected one stands in).
    assert any(
        "1 place de la Mairie" in text
        for label, text in produced
        if label.startswith("fiche de liaison PDF [")
    )

    outbox.deliver_due()
    queued = list(Message.objects.filter(key__startswith="protection.aid."))
    assert {m.channel for m in queued} == set(CHANNEL_BY_VARIANT.values()), [
        (m.key, m.reason) for m in queued
    ]
    references = set()
    for message in queued:
        assert message.status == Message.Status.SENT, f"{message.template}: {message.reason}"
        references.add(message.reference)
        label = f"{message.template} {message.channel} [{message.household.reference}]"
        produced.append((f"message enregistré {label}", message.subject + message.body + message.recipient))
        if message.letter_path:
            content = letters.read(message.letter_path)
            produced.append((f"courrier PDF {label}", pdf_text(content)))
            produced.append((f"courrier PDF (octets) {label}", content))
    for email in mail.outbox:
        if email.extra_headers.get("X-Parcours-Reference") in references:
            produced.append((f"e-mail « {email.subject} »", str(email.message())))
    for path in Path(settings.PARCOURS_SMS_FILE_PATH).glob("*.json"):
        if json.loads(path.read_text())["reference"] in references:
            produced.append((f"SMS {path.name}", path.read_text()))
    rows = list(
        AuditEntry.objects.filter(action__startswith="protection.").values(
            "action", "object_ref", "reason", "data"
        )
    )
    produced.append(
        ("journal d'audit (entrées protection)", json.dumps(rows, ensure_ascii=False, default=str))
    )
    return produced


@output
def protection_documents_and_messages(world, principal):
    yield from world.memo("protection-outputs", lambda: _produce(world))


@output
def protection_on_the_timeline(world, principal):
    if principal == "anonymous":
        return
    world.memo("protection-outputs", lambda: _produce(world))
    user = world.users[principal]
    for variant in VARIANTS:
        entries = [e for e in timeline.entries_for(user, world.household(variant)) if e.kind == "protection"]
        if principal == "social_worker" and variant != "other":
            assert entries  # control: the assigned social worker does see the protected track
        yield (
            f"frise du foyer, suivi protégé [{variant}]",
            json.dumps([e.__dict__ for e in entries], default=str, ensure_ascii=False),
        )
