"""Messages of the workshops module. Every one goes through the notifications outbox (the only
module that sends anything), written in the same transaction as the change that causes it.

Placeholder until `parcours.notifications.outbox` lands on main: the functions below are the
single place the services call, so wiring the outbox changes this file only.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("parcours.workshops")


def _outbox():
    try:
        from parcours.notifications import outbox
    except ImportError:
        return None
    return outbox


def _pending(name: str, obj) -> None:
    if _outbox() is None:
        logger.debug("Message %s pour %s : messagerie non encore branchée", name, obj)


def already_registered(registration, *, actor) -> None:
    _pending("already_registered", registration)


def registration_confirmed(registration, *, actor) -> None:
    _pending("registration_confirmed", registration)


def registration_waitlisted(registration, *, actor) -> None:
    _pending("registration_waitlisted", registration)


def offer_made(registration, *, actor) -> None:
    _pending("offer_made", registration)


def registration_cancelled(registration, *, actor, replaced: bool = False) -> None:
    _pending("registration_cancelled", registration)


def registration_changed(registration, *, actor) -> None:
    _pending("registration_changed", registration)


def workshop_moved(registration, *, actor) -> None:
    _pending("workshop_moved", registration)


def workshop_cancelled(registration, *, actor) -> None:
    _pending("workshop_cancelled", registration)


def survey_invitation(registration, *, token: str, actor) -> None:
    _pending("survey_invitation", registration)


def invitation_sent(invitation, *, actor) -> None:
    _pending("invitation_sent", invitation)


def invitation_closed(invitation) -> None:
    _pending("invitation_closed", invitation)
