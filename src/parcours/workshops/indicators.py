"""The workshops module's indicators of the bilan: the funnel invited → registered → attended, and
satisfaction by format (from the anonymous survey, whose answers carry no identity)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from parcours.core import indicators
from parcours.core.indicators import Cell, Window
from parcours.workshops.models import Format, Invitation, Registration, SurveyResponse

indicators.breakdown("format", "Format", dict(Format.choices))


def _month(value) -> date:
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    return value.replace(day=1)


def _in_window(qs, window: Window, field: str, department: str):
    qs = qs.filter(**{f"{field}__date__gte": window.start, f"{field}__date__lt": window.end_exclusive})
    if window.departments:
        qs = qs.filter(**{f"{department}__in": window.departments})
    return qs


@indicators.register(
    code="workshops.invited",
    label="Parents invités à une séance",
    definition=(
        "Nombre d'invitations à une séance « Parents après la séparation » envoyées à un parent "
        "(les invitations retirées ne comptent pas). Unité : parents. Placée dans le mois d'envoi."
    ),
    unit=indicators.COUNT,
    value_unit="parents",
    order=60,
)
def invited(window: Window):
    rows = (
        _in_window(
            Invitation.objects.exclude(status=Invitation.Status.CANCELLED),
            window,
            "sent_at",
            "household__department__code",
        )
        .annotate(month=TruncMonth("sent_at"))
        .values("household__department__code", "month")
        .annotate(n=Count("id"))
    )
    for row in rows:
        yield Cell(row["household__department__code"], _month(row["month"]), {}, numerator=row["n"])


@indicators.register(
    code="workshops.invitation_take_up",
    label="Invitations suivies d'une inscription",
    definition=(
        "Part des invitations envoyées (hors invitations retirées) auxquelles le parent a répondu "
        "par une inscription à une séance. Unité : parents. Placée dans le mois d'envoi de l'invitation."
    ),
    unit=indicators.SHARE,
    order=61,
)
def invitation_take_up(window: Window):
    rows = (
        _in_window(
            Invitation.objects.exclude(status=Invitation.Status.CANCELLED),
            window,
            "sent_at",
            "household__department__code",
        )
        .annotate(month=TruncMonth("sent_at"))
        .values("household__department__code", "month")
        .annotate(n=Count("id"), registered=Count("id", filter=Q(status=Invitation.Status.REGISTERED)))
    )
    for row in rows:
        yield Cell(
            row["household__department__code"],
            _month(row["month"]),
            {},
            numerator=row["registered"],
            denominator=row["n"],
        )


@indicators.register(
    code="workshops.registered",
    label="Parents inscrits à une séance",
    definition=(
        "Nombre d'inscriptions confirmées à une séance (hors liste d'attente et inscriptions "
        "annulées), quelle qu'en soit l'origine : page publique, agent, invitation. Unité : "
        "personnes inscrites. Placée dans le mois de la séance ; ventilation : format de la séance."
    ),
    unit=indicators.COUNT,
    breakdowns=("format",),
    value_unit="personnes",
    order=62,
)
def registered(window: Window):
    rows = (
        _in_window(
            Registration.objects.filter(status=Registration.Status.CONFIRMED),
            window,
            "workshop__starts_at",
            "workshop__department__code",
        )
        .annotate(month=TruncMonth("workshop__starts_at"), format=F("workshop__format"))
        .values("workshop__department__code", "month", "format")
        .annotate(n=Count("id"))
    )
    for row in rows:
        yield Cell(
            row["workshop__department__code"],
            _month(row["month"]),
            {"format": row["format"]},
            numerator=row["n"],
        )


@indicators.register(
    code="workshops.attendance",
    label="Présence des inscrits",
    definition=(
        "Part des personnes inscrites (inscription confirmée) à une séance tenue qui y ont été "
        "présentes, d'après la feuille de présence ou la visioconférence. Unité : personnes. "
        "Placée dans le mois de la séance ; ventilation : format de la séance."
    ),
    unit=indicators.SHARE,
    breakdowns=("format",),
    order=63,
)
def attendance(window: Window):
    rows = (
        _in_window(
            Registration.objects.filter(
                status=Registration.Status.CONFIRMED, workshop__held_at__isnull=False
            ),
            window,
            "workshop__starts_at",
            "workshop__department__code",
        )
        .annotate(month=TruncMonth("workshop__starts_at"), format=F("workshop__format"))
        .values("workshop__department__code", "month", "format")
        .annotate(n=Count("id"), present=Count("id", filter=Q(attendance=Registration.Attendance.PRESENT)))
    )
    for row in rows:
        yield Cell(
            row["workshop__department__code"],
            _month(row["month"]),
            {"format": row["format"]},
            numerator=row["present"],
            denominator=row["n"],
        )


@indicators.register(
    code="workshops.satisfaction",
    label="Participants satisfaits",
    definition=(
        "Part des réponses à l'enquête anonyme de fin de séance dont la note moyenne aux cinq "
        "questions (utile, réponses, format adapté, mieux informé, recommanderait ; de 1 à 5) est "
        "d'au moins 4. Unité : réponses (anonymes, une par participant). Placée dans le mois de la "
        "séance ; ventilation : format de la séance."
    ),
    unit=indicators.SHARE,
    breakdowns=("format",),
    order=64,
)
def satisfaction(window: Window):
    score = F("useful") + F("answers") + F("format_suited") + F("better_informed") + F("recommend")
    qs = SurveyResponse.objects.filter(
        session_month__gte=window.start, session_month__lt=window.end_exclusive
    )
    if window.departments:
        qs = qs.filter(department_code__in=window.departments)
    rows = (
        qs.annotate(score=score)
        .values("department_code", "session_month", "format")
        .annotate(n=Count("id"), satisfied=Count("id", filter=Q(score__gte=20)))
    )
    for row in rows:
        yield Cell(
            row["department_code"],
            _month(row["session_month"]),
            {"format": row["format"]},
            numerator=row["satisfied"],
            denominator=row["n"],
        )
