"""Messages of the workshops module, all through the notifications outbox (the only module that
sends anything), written in the same transaction as the change that causes them.

Keys are `workshops.registration.<pk>.<purpose>` and `workshops.invitation.<pk>.<purpose>`, so a
registration's pending messages (reminders, an offer) are dropped together by prefix. The person of
a household gets the message on one of her safe channels (the chokepoint chooses); a member of the
public on the channel she gave herself. On the protected track the ICS itself is neutral.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from parcours.notifications import outbox
from parcours.workshops import ics, links
from parcours.workshops.models import Format


def _prefix(registration) -> str:
    return f"workshops.registration.{registration.pk}."


def _recipient(registration) -> dict:
    if registration.person_id:
        return {"person": registration.person, "household": registration.household}
    return {
        "address": outbox.DirectAddress(
            kind=registration.contact_kind, value=registration.contact_value, name=registration.first_name
        )
    }


def _manage_url(registration) -> str:
    return links.absolute(
        reverse("portal:registration-manage", kwargs={"token": links.registration_token(registration)})
    )


def _context(registration, **extra) -> dict:
    workshop = registration.workshop
    token = links.registration_token(registration)
    if workshop.format == Format.WEBINAR:
        place = "En ligne (webinaire)"
    elif workshop.venue_id:
        place = ", ".join(workshop.venue.lines()) + (
            " — ou en ligne" if workshop.format == Format.HYBRID else ""
        )
    else:
        place = "Lieu communiqué par la Caf"
    return {
        "registration_id": registration.pk,
        "starts_at": workshop.starts_at,
        "ends_at": workshop.ends_at,
        "place": place,
        "online": workshop.is_online,
        "party_size": registration.party_size,
        "manage_url": links.absolute(reverse("portal:registration-manage", kwargs={"token": token})),
        "join_url": links.absolute(reverse("portal:registration-join", kwargs={"token": token})),
        **extra,
    }


def _calendar(registration) -> list:
    content = ics.registration_calendar(
        registration,
        manage_url=_manage_url(registration),
        neutral=ics.needs_neutral_wording(registration)
        or (bool(registration.person_id) and outbox.recipient_is_protected(person=registration.person)),
    )
    return [("seance-caf.ics", content, "text/calendar")]


def _send(registration, *, actor, template: str, purpose: str, attachments=(), not_before=None, **extra):
    return outbox.enqueue(
        actor=actor if getattr(actor, "pk", None) else None,
        template=template,
        key=f"{_prefix(registration)}{purpose}",
        context=_context(registration, **extra),
        attachments=attachments,
        not_before=not_before,
        department=registration.workshop.department,
        **_recipient(registration),
    )


def _drop_pending(registration, reason: str) -> None:
    outbox.cancel(key_prefix=_prefix(registration), reason=reason)


def schedule_reminders(registration, *, actor) -> None:
    """One reminder per setting (7 and 1 days before by default); the key carries the session's date,
    so a moved session gets new reminders and the old ones are dropped."""
    starts_at = registration.workshop.starts_at
    now = timezone.now()
    for days in settings.PARCOURS_WORKSHOP_REMINDER_DAYS:
        when = starts_at - timedelta(days=days)
        if when <= now:
            continue
        _send(
            registration, actor=actor, template="workshops.reminder",
            purpose=f"reminder-{days}d.{starts_at:%Y%m%d%H%M}", not_before=when,
        )  # fmt: skip


def already_registered(registration, *, actor) -> None:
    _send(
        registration, actor=actor, template="workshops.already_registered",
        purpose=f"repeat.{timezone.now():%Y%m%d}",
    )  # fmt: skip


def registration_confirmed(registration, *, actor) -> None:
    _send(
        registration, actor=actor, template="workshops.confirmation", purpose="confirmation",
        attachments=_calendar(registration),
    )  # fmt: skip
    schedule_reminders(registration, actor=actor)


def registration_waitlisted(registration, *, actor) -> None:
    _send(registration, actor=actor, template="workshops.waitlisted", purpose="waitlisted")


def offer_made(registration, *, actor) -> None:
    _send(
        registration, actor=actor, template="workshops.offer", purpose="offer",
        offer_expires_at=registration.offer_expires_at,
    )  # fmt: skip


def registration_cancelled(registration, *, actor, replaced: bool = False) -> None:
    _drop_pending(registration, "Inscription annulée" if not replaced else "Inscription remplacée")
    _send(registration, actor=actor, template="workshops.cancelled", purpose="cancelled", replaced=replaced)


def registration_changed(registration, *, actor) -> None:
    _send(
        registration, actor=actor, template="workshops.changed",
        purpose=f"changed.{timezone.now():%Y%m%d%H%M%S%f}", attachments=_calendar(registration),
    )  # fmt: skip


def workshop_moved(registration, *, actor) -> None:
    workshop = registration.workshop
    outbox.cancel(key_prefix=f"{_prefix(registration)}reminder", reason="Séance déplacée")
    if registration.status == registration.Status.CONFIRMED:
        _send(
            registration, actor=actor, template="workshops.moved", purpose=f"moved.{workshop.sequence}",
            attachments=_calendar(registration),
        )  # fmt: skip
        schedule_reminders(registration, actor=actor)
    else:
        _send(registration, actor=actor, template="workshops.moved", purpose=f"moved.{workshop.sequence}")


def workshop_cancelled(registration, *, actor) -> None:
    _drop_pending(registration, "Séance annulée")
    _send(
        registration, actor=actor, template="workshops.session_cancelled", purpose="session-cancelled",
        reason=registration.workshop.cancel_reason,
    )  # fmt: skip


def survey_invitation(registration, *, token: str, actor) -> None:
    _send(
        registration, actor=actor, template="workshops.survey", purpose="survey",
        survey_url=links.absolute(reverse("portal:survey", kwargs={"token": token})),
    )  # fmt: skip


def _invitation_context(invitation) -> dict:
    return {
        "invitation_id": invitation.pk,
        "expires_at": invitation.expires_at,
        "invitation_url": links.absolute(
            reverse("portal:invitation", kwargs={"token": links.invitation_token(invitation)})
        ),
    }


def invitation_sent(invitation, *, actor) -> None:
    common = {
        "actor": actor if getattr(actor, "pk", None) else None,
        "person": invitation.person,
        "household": invitation.household,
        "context": _invitation_context(invitation),
    }
    outbox.enqueue(
        template="workshops.invitation", key=f"workshops.invitation.{invitation.pk}.sent", **common
    )
    remind_at = invitation.sent_at + timedelta(days=settings.PARCOURS_WORKSHOP_INVITATION_REMINDER_DAYS)
    if remind_at < invitation.expires_at:
        outbox.enqueue(
            template="workshops.invitation_reminder",
            key=f"workshops.invitation.{invitation.pk}.reminder",
            not_before=remind_at,
            **common,
        )


def invitation_closed(invitation) -> None:
    outbox.cancel(key_prefix=f"workshops.invitation.{invitation.pk}.reminder", reason="Invitation traitée")
