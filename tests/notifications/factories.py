"""Families with safe (or unsafe) channels, and helpers to read what the transports received."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core import mail

from parcours.households.models import ContactChannel, HouseholdAssignment
from tests import factories


def family(
    department_code: str = "92",
    *,
    restricted: bool = False,
    channels: tuple[str, ...] = ("email", "sms", "postal"),
    safe: bool = True,
    assignee=None,
):
    """A household with two separated parents, each with an address and the given channels."""
    factories.caf(department_code)
    household = factories.HouseholdFactory(department_code=department_code, restricted=restricted)
    mother = factories.PersonFactory(
        household=household, first_name="Nadia", last_name="Hoarau", is_declarant=True
    )
    father = factories.PersonFactory(household=household, first_name="Julien", last_name="Grondin")
    factories.AddressFactory(
        person=mother, line="14 chemin des Goyaviers", postal_code="97400", city="Saint-Denis"
    )
    factories.AddressFactory(
        person=father, line="3 avenue de la Victoire", postal_code="97400", city="Saint-Denis"
    )
    child = factories.PersonFactory(household=household, role="child", first_name="Emma", last_name="Hoarau")
    for person, n in ((mother, 1), (father, 2)):
        for kind in channels:
            add_channel(person, kind, safe=safe, n=n)
    if assignee is not None:
        HouseholdAssignment.objects.create(household=household, user=assignee)
    return household, mother, father, child


def add_channel(person, kind: str, *, safe: bool = True, n: int = 1, **extra) -> ContactChannel:
    value = {"email": f"parent{n}.{person.pk}@exemple.fr", "sms": f"06120000{n:02d}", "postal": ""}[kind]
    if kind == "sms" and person.household.department.code == "974":
        value = f"06921000{n:02d}"
    return ContactChannel.objects.create(person=person, kind=kind, value=value, is_safe=safe, **extra)


def sms_sent() -> list[dict]:
    path = Path(settings.PARCOURS_SMS_FILE_PATH)
    return [json.loads(p.read_text()) for p in sorted(path.glob("*.json"))] if path.exists() else []


def letters_stored() -> list[Path]:
    path = Path(settings.PARCOURS_LETTERS_DIR)
    return sorted(path.rglob("*.pdf")) if path.exists() else []


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages)


def nothing_sent() -> bool:
    return not mail.outbox and not sms_sent() and not letters_stored()
