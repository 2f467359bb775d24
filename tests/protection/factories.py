"""Protected-track families, partners, referrals and AUU files for the protection tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile

from parcours.households.models import Consent, HouseholdAssignment
from parcours.protection import rules
from parcours.protection.models import (
    EmergencyAid,
    Partner,
    ProofDocument,
    Referral,
    ResourceCeiling,
    SafetyStep,
    ViolenceReport,
)
from parcours.protection.uploads import clean_proof
from tests import factories
from tests.notifications.factories import family

CEILINGS_2023_12 = {
    0: Decimal("2074.63"),
    1: Decimal("3111.94"),
    2: Decimal("3734.33"),
    3: Decimal("4564.18"),
}


def ensure_ceilings() -> None:
    """The scale of the data migration (a transactional test flushes it: put it back)."""
    for children, amount in CEILINGS_2023_12.items():
        ResourceCeiling.objects.get_or_create(
            valid_from=date(2023, 12, 1), children=children, defaults={"monthly_amount": amount}
        )


def report(household, person, *, source=ViolenceReport.Source.PERSON, note="", by=None, restrict=True):
    """A report and its checklist written directly (no service): for access and canary worlds."""
    found = ViolenceReport.objects.create(
        household=household, person=person, source=source, note=note, reported_by=by
    )
    for kind in SafetyStep.Kind.values:
        SafetyStep.objects.get_or_create(
            person=person, kind=kind, defaults={"position": SafetyStep.ORDER[kind]}
        )
    if restrict and not household.restricted:
        household.restricted = True
        household.save(update_fields=["restricted"])
    if by is not None:
        HouseholdAssignment.objects.get_or_create(household=household, user=by)
    return found


def protected_family(code: str = "92", *, assignee=None, note: str = "", channels=("email", "sms", "postal")):
    """A family where violence is reported for the mother (restricted, assigned to `assignee`)."""
    household, mother, father, child = family(code, channels=channels, assignee=assignee)
    report(household, mother, note=note, by=assignee)
    household.refresh_from_db()
    return household, mother, father, child


def partner(code: str = "92", **values) -> Partner:
    values.setdefault("name", f"CIDFF {code} — {Partner.objects.count() + 1}")
    values.setdefault("kind", Partner.Kind.CIDFF)
    values.setdefault("phone", "01 47 00 00 00")
    values.setdefault("address", "10 rue de l'Abreuvoir, 92400 Courbevoie")
    return Partner.objects.create(department=factories.department(code), **values)


def referral(person, partner_obj, *, by=None, mode=Referral.Mode.TRANSMISSION, **values) -> Referral:
    consent = None
    if mode == Referral.Mode.TRANSMISSION:
        consent = Consent.objects.create(
            person=person, purpose=Consent.Purpose.PARTNER_REFERRAL, given=True, recorded_by=by
        )
    values.setdefault("need", "Conseil juridique")
    return Referral.objects.create(
        person=person, partner=partner_obj, mode=mode, consent=consent, referred_by=by, **values
    )


def aid(household, person, *, received_on: date | None = None, officer=None, **values) -> EmergencyAid:
    received_on = received_on or household.department.local_today()
    allocataire = values.pop("is_allocataire", True)
    values.setdefault("proof_kind", EmergencyAid.ProofKind.COMPLAINT)
    values.setdefault("proof_date", received_on)
    return EmergencyAid.objects.create(
        household=household,
        person=person,
        officer=officer,
        is_allocataire=allocataire,
        received_on=received_on,
        due_on=rules.due_date(household.department, received_on, is_allocataire=allocataire),
        **values,
    )


def png_bytes(size=(40, 30), **save_options) -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG", **save_options)
    return out.getvalue()


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A photo as a phone takes it: EXIF with a GPS position, the phone model and a date."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12 Pro"  # Model
    exif[0x0132] = "2026:03:02 21:14:05"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 53.0, 30.0)
    gps[3] = "E"
    gps[4] = (2.0, 12.0, 6.0)
    out = BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(
        out, format="JPEG", exif=exif.tobytes(), comment=b"secret comment"
    )
    return out.getvalue()


def pdf_with_metadata(author="Nadia HOARAU", title="Plainte contre Julien GRONDIN") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Author": author, "/Title": title, "/Producer": "Scanner de la gendarmerie"})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def proof(aid_obj, *, by=None, content: bytes | None = None, name: str = "photo.png") -> ProofDocument:
    from django.core.files.base import ContentFile

    clean = clean_proof(upload(name, content or png_bytes()))
    document = ProofDocument(
        aid=aid_obj,
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        uploaded_by=by,
    )
    document.file.save(f"justificatif.{clean.extension}", ContentFile(clean.content), save=False)
    document.save()
    return document
