"""Documents of a session: the printable sign-in sheet (PDF) and the registrations (CSV).

Neither shows a contact or an address: first names, number of people, accessibility needs,
status and attendance. CSV cells that a spreadsheet would read as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string
from django.utils import formats

from parcours.workshops import selectors
from parcours.workshops.models import Registration, Workshop

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will show as text: a leading = + - @ (or tab, CR) gets a quote before it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def registrations_csv(workshop: Workshop) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # BOM: French spreadsheets then read UTF-8 correctly
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "N°",
            "Prénom",
            "Personnes",
            "Statut",
            "Origine",
            "Besoins d'accessibilité",
            "Présence",
            "Inscrit(e) le",
        ]
    )
    for registration in workshop.registrations.order_by("created_at", "pk"):
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    registration.pk,
                    registration.first_name,
                    registration.party_size,
                    registration.get_status_display(),
                    registration.get_source_display(),
                    registration.accessibility_needs,
                    registration.get_attendance_display() if registration.attendance else "",
                    formats.date_format(registration.created_at, "d/m/Y H:i"),
                )
            ]
        )
    return out.getvalue()


def sign_in_sheet_html(workshop: Workshop) -> str:
    participants = [r for r in selectors.roster(workshop) if r.status == Registration.Status.CONFIRMED]
    return render_to_string(
        "workshops/sign_in_sheet.html",
        {
            "workshop": workshop,
            "participants": participants,
            "facilitations": selectors.facilitations(workshop),
        },
    )


def sign_in_sheet(workshop: Workshop) -> bytes:
    from weasyprint import HTML

    return HTML(string=sign_in_sheet_html(workshop)).write_pdf()
