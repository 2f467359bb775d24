"""Practice sheets for the tests, written directly (the service tests go through the services)."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from parcours.doctrine import services
from parcours.doctrine.models import (
    Attachment,
    Funding,
    Practice,
    PracticePartner,
    PracticeVersion,
    ResultIndicator,
)
from tests import factories
from tests.protection import factories as pf

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def practice(
    code: str = "92",
    *,
    state: str = Practice.State.SUBMITTED,
    by=None,
    title: str = "Contact sous 72 h par un travailleur social",
    summary: str = "Un travailleur social appelle la personne victime de violences conjugales sous 72 heures.",
    role: str = "La Caf assure le premier contact et oriente vers la médiation familiale quand elle est possible.",
    partner_name: str | None = None,
    funding: tuple | None = ("service_benefit", Decimal("12000"), 2025),
    year: int = 2024,
    themes=(),
) -> Practice:
    department = factories.department(code)
    item = Practice.objects.create(
        department=department,
        state=state,
        title=title,
        team="Service social",
        audience="Parents séparés exposés aux violences",
        summary=summary,
        role_description=role,
        pathway_steps=["social_worker_contact"],
        staff_fte=Decimal("1.5"),
        budget=Decimal("30000"),
        started_year=year,
        created_by=by,
        published_at=timezone.now() if state == Practice.State.PUBLISHED else None,
    )
    if partner_name:
        PracticePartner.objects.create(
            practice=item, partner=pf.partner(code, name=partner_name), role="Permanence juridique"
        )
    if funding:
        Funding.objects.create(
            practice=item, source=funding[0], amount=funding[1], year=funding[2], instrument="Convention"
        )
    ResultIndicator.objects.create(
        practice=item, label="Personnes contactées sous 72 h", value="87 %", period="2025"
    )
    if themes:
        item.themes.set(themes)
    services.refresh(item)
    if state == Practice.State.PUBLISHED:
        PracticeVersion.objects.create(practice=item, number=1, data=services.snapshot(item))
    return item


def attachment(item: Practice) -> Attachment:
    row = Attachment(
        practice=item, title="Convention", content_type="image/png", size=len(PNG), sha256="0" * 64
    )
    row.file.save("piece.png", ContentFile(PNG), save=False)
    row.save()
    return row
