"""E-mail through Django's e-mail backends (`django.core.mail`): SMTP or django-anymail in production,
`MailboxBackend` in the demo (one .eml file per message in `var/mailbox/`, opens in any mail client),
locmem in the tests.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.utils import formataddr, parseaddr
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.crypto import get_random_string

from parcours.notifications.backends import PermanentError, atomic_write

REFERENCE_HEADER = "X-Parcours-Reference"


class MailboxBackend(BaseEmailBackend):
    """Writes each message to its own `<time>-<reference>-<random>.eml` file in EMAIL_FILE_PATH."""

    def __init__(self, file_path=None, **kwargs):
        super().__init__(**kwargs)
        self.path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages):
        for message in email_messages:
            reference = message.extra_headers.get(REFERENCE_HEADER, "sans-reference")
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            name = f"{stamp}-{reference}-{get_random_string(6)}.eml"
            atomic_write(self.path / name, message.message().as_bytes(linesep="\n"))
        return len(email_messages)


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "parcours.local"


def connection():
    """One connection of the configured backend, for the e-mails of a batch (closed by the caller)."""
    return mail.get_connection(fail_silently=False)


def send(
    *, to: str, sender_name: str, subject: str, body: str, reference: str, attachments=(), connection=None
) -> str:
    """Hand one e-mail to the configured backend (through `connection`, one per batch of the worker,
    when given); returns its Message-ID."""
    from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    message_id = f"<{reference}@{_domain()}>"
    email = mail.EmailMessage(
        subject=subject,
        body=body,
        from_email=formataddr((sender_name, from_address)),
        to=[to],
        headers={"Message-ID": message_id, REFERENCE_HEADER: reference, "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    for attachment in attachments:
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError("Adresse e-mail refusée par le serveur de messagerie.") from exc
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise PermanentError(f"Refus définitif du serveur de messagerie (code {exc.smtp_code}).") from exc
        raise
    return message_id


MAILBOX = f"{MailboxBackend.__module__}.{MailboxBackend.__qualname__}"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def can_tell() -> bool:
    """Whether `delivered` can answer for the configured backend (the demo mailbox, locmem)."""
    return settings.EMAIL_BACKEND in (MAILBOX, LOCMEM)


def delivered(reference: str) -> bool | None:
    """Whether an e-mail with this reference was already handed over; None when the backend cannot tell
    (SMTP: the worker then sends again, with the same Message-ID so that mail clients merge them)."""
    backend = settings.EMAIL_BACKEND
    if backend == MAILBOX:
        return any(Path(settings.EMAIL_FILE_PATH).glob(f"*-{reference}-*.eml"))
    if backend == LOCMEM:
        return any(m.extra_headers.get(REFERENCE_HEADER) == reference for m in getattr(mail, "outbox", []))
    return None
