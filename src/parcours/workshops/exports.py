"""Exporters of a session (core.exports): the printable sign-in sheet (PDF) and the registrations.

Neither shows a contact or an address: first names, number of people, accessibility needs,
status and attendance. The registry applies the policy, neutralises formulas and audits.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import formats

from parcours.core import exports
from parcours.workshops import selectors
from parcours.workshops.models import Registration, Workshop

REGISTRATION_HEADERS = (
    "N°",
    "Prénom",
    "Personnes",
    "Statut",
    "Origine",
    "Besoins d'accessibilité",
    "Présence",
    "Inscrit(e) le",
)


def registrations_table(ctx: exports.ExportContext) -> exports.Table:
    workshop: Workshop = ctx.obj
    rows = (
        (
            registration.pk,
            registration.first_name,
            registration.party_size,
            registration.get_status_display(),
            registration.get_source_display(),
            registration.accessibility_needs,
            registration.get_attendance_display() if registration.attendance else "",
            formats.date_format(registration.created_at, "d/m/Y H:i"),
        )
        for registration in workshop.registrations.order_by("created_at", "pk")
    )
    return exports.Table(headers=REGISTRATION_HEADERS, rows=rows, title="Inscriptions")


def sign_in_sheet_html(actor, workshop: Workshop) -> str:
    participants = [r for r in selectors.roster(actor, workshop) if r.status == Registration.Status.CONFIRMED]
    return render_to_string(
        "workshops/sign_in_sheet.html",
        {
            "workshop": workshop,
            "participants": participants,
            "facilitations": selectors.facilitations(actor, workshop),
        },
    )


def sign_in_sheet(ctx: exports.ExportContext) -> bytes:
    from weasyprint import HTML

    return HTML(string=sign_in_sheet_html(ctx.actor, ctx.obj)).write_pdf()


def _loader(permission: str):
    def load(actor, pk: int) -> Workshop:
        return selectors.workshop_for(actor, pk, permission)

    return load


SIGN_IN_SHEET = exports.Exporter(
    identifier="workshops.sign_in_sheet",
    label="Feuille d'émargement",
    permission="workshops.attendance",
    formats=("pdf",),
    document=sign_in_sheet,
    obj="workshop",
    load=_loader("workshops.attendance"),
    restricted="reference",
    filename=lambda ctx: f"emargement-seance-{ctx.obj.pk}",
    former_urls=(("seances/<int:pk>/emargement.pdf", "workshop-sheet"),),
)

REGISTRATIONS = exports.Exporter(
    identifier="workshops.registrations",
    label="Inscriptions à la séance",
    permission="workshops.export",
    formats=("csv", "ods", "xlsx"),
    table=registrations_table,
    obj="workshop",
    load=_loader("workshops.export"),
    restricted="reference",
    filename=lambda ctx: f"inscriptions-seance-{ctx.obj.pk}",
    former_urls=(("seances/<int:pk>/inscriptions.csv", "workshop-export"),),
)


def register() -> None:
    exports.register(SIGN_IN_SHEET)
    exports.register(REGISTRATIONS)
