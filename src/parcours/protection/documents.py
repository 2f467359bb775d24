"""Documents of the protection module: the referral sheet (fiche de liaison) for a partner.

It carries what the person agreed to pass on: her name, her correspondence address (the elected one
when her address is protected — never the protected one) and her safe channels with their hours.
Nothing about the other parent.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone, translation

from parcours.notifications.templates import caf_name
from parcours.protection.models import Referral


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.PACKAGE_DIR)).write_pdf()


def referral_sheet_html(referral: Referral) -> str:
    person = referral.person
    department = person.household.department
    with translation.override("fr"), timezone.override(department.tzinfo):
        return render_to_string(
            "protection/referral_sheet.html",
            {
                "referral": referral,
                "partner": referral.partner,
                "person": person,
                "address": person.display_address(),
                "safe_channels": [c for c in person.contacts.all() if c.is_safe],
                "caf_name": caf_name(department),
                "caf_phone": settings.PARCOURS_CAF_PHONE,
            },
        )


def referral_sheet_pdf(referral: Referral) -> bytes:
    """The PDF for the partner; only for a transmission the person agreed to (no policy, no audit:
    the exporter `protection.referral_sheet` is the door)."""
    if referral.mode != Referral.Mode.TRANSMISSION or referral.consent_id is None:
        raise ValidationError(
            "Pas de fiche de liaison : la personne n'a pas donné son accord à la transmission de ses coordonnées."
        )
    return render_pdf(referral_sheet_html(referral))


def referral_sheet(*, actor, referral: Referral) -> bytes:
    """The referral sheet through its exporter: policy checked, download audited."""
    from parcours.core import exports

    return exports.produce(
        actor=actor, identifier="protection.referral_sheet", fmt="pdf", obj=referral
    ).content
