"""Exporters of the protection module (core.exports): the referral sheet (fiche de liaison)."""

from __future__ import annotations

from parcours.core import exports
from parcours.protection import documents, selectors

REFERRAL_SHEET = exports.Exporter(
    identifier="protection.referral_sheet",
    label="Fiche de liaison",
    permission="protection.refer",
    formats=("pdf",),
    document=lambda ctx: documents.referral_sheet_pdf(ctx.obj),
    obj="referral",
    load=lambda actor, pk: selectors.referral_for(actor, pk, audited=False),
    filename=lambda ctx: f"fiche-de-liaison-{ctx.obj.pk}",
    audit_name="protection.referral_sheet.downloaded",
    former_urls=(("orientations/<int:pk>/fiche-de-liaison.pdf", "referral-sheet"),),
)


def register() -> None:
    exports.register(REFERRAL_SHEET)
