"""Typed refusals raised by the domain, so that each face maps them once (the API in one handler).

They subclass Django's own exceptions: a face that knows nothing of them still answers 403 or 400,
and code catching `PermissionDenied`/`ValidationError` keeps working. The message is French and
meant for the person who made the request.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


class Refused(PermissionDenied):
    """A rule refuses this actor this action (HTTP 403), whatever the record's validity."""

    default_message = "Accès refusé."

    def __init__(self, message: str | None = None, *, errors=()):
        self.message = message or self.default_message
        self.errors = list(errors)  # details (line errors…) for the answer, when there are some
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NotYours(Refused):
    """The record or declaration belongs to another department (or caseload) than the actor's."""

    default_message = "Cet élément ne relève pas de votre Caf."


class Invalid(ValidationError):
    """The request's content breaks a rule (HTTP 400); `errors` lists each fault when there are several."""

    def __init__(self, message: str, *, errors=()):
        super().__init__(message)
        self.errors = list(errors)


__all__ = ["Invalid", "NotYours", "PermissionDenied", "Refused", "ValidationError"]
