"""The satisfaction survey: one-time tickets to the people present, answers kept apart from identity.

A ticket is a random token sent in the message; only its hash is stored, with the workshop and
no link to the registration, and tickets are issued in random order. An answer copies the
grouping keys (department, format, month) and keeps no relation, timestamp or ticket reference.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parcours.core import audit
from parcours.workshops import messaging
from parcours.workshops.models import Registration, SurveyResponse, SurveyToken, Workshop


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def send_surveys(*, actor, workshop: Workshop) -> int:
    present = list(
        workshop.registrations.filter(
            status=Registration.Status.CONFIRMED,
            attendance=Registration.Attendance.PRESENT,
            survey_sent_at__isnull=True,
        )
    )
    secrets.SystemRandom().shuffle(present)
    now = timezone.now()
    expires = now + timedelta(days=settings.PARCOURS_WORKSHOP_SURVEY_DAYS)
    for registration in present:
        token = secrets.token_urlsafe(24)
        SurveyToken.objects.create(token_hash=token_hash(token), workshop=workshop, expires_at=expires)
        registration.survey_sent_at = now
        registration.save(update_fields=["survey_sent_at"])
        registration.workshop = workshop
        messaging.survey_invitation(registration, token=token, actor=actor)
    audit.record(actor, "workshops.survey.sent", workshop, data={"count": len(present)})
    return len(present)


def ticket_for(token: str) -> SurveyToken | None:
    return (
        SurveyToken.objects.select_related("workshop__department")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def submit_survey(*, token: str, answers: dict, comment: str = "") -> None:
    """Record one anonymous answer; a ticket serves once and until the survey closes."""
    ticket = SurveyToken.objects.select_for_update().filter(token_hash=token_hash(token)).first()
    if ticket is None:
        raise ValidationError("Ce lien d'enquête n'est pas valide.")
    if ticket.used:
        raise ValidationError("Vous avez déjà répondu à cette enquête. Merci !")
    if timezone.now() >= ticket.expires_at:
        raise ValidationError("L'enquête sur cette séance est close.")
    values = {}
    for question in SurveyResponse.QUESTIONS:
        value = answers.get(question)
        if value not in (1, 2, 3, 4, 5):
            raise ValidationError({question: "Choisissez une note de 1 à 5."})
        values[question] = value
    workshop = Workshop.objects.select_related("department").get(pk=ticket.workshop_id)
    ticket.used = True
    ticket.save(update_fields=["used"])
    SurveyResponse.objects.create(
        department_code=workshop.department.code,
        format=workshop.format,
        session_month=workshop.local_start().date().replace(day=1),
        comment=(comment or "").strip()[:2000],
        **values,
    )
