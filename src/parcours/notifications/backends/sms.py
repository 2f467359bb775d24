"""SMS: a small backend interface, a file backend (demo, tests) and Brevo's transactional SMS API.

Choose with `PARCOURS_SMS_BACKEND` (dotted path). Without a provider in production the backend is
`DisabledBackend`: the chokepoint then never picks SMS, and a message forced on SMS fails visibly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import requests
from django.conf import settings
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from parcours.notifications.backends import PermanentError, atomic_write

# GSM 03.38 basic set: a text outside it must be sent as Unicode (70 characters a part, not 160).
GSM_CHARS = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€")


def needs_unicode(text: str) -> bool:
    return any(ch not in GSM_CHARS and ch not in GSM_EXTENSION for ch in text)


class BaseSmsBackend:
    """Send one SMS. `to` is E.164 (+33…, +262…); `reference` is the message's hashed idempotency key."""

    enabled = True

    def send(self, *, to: str, text: str, sender: str, reference: str) -> str:
        """Hand the SMS over; return the provider's id. Raise PermanentError, or anything for a retry."""
        raise NotImplementedError

    can_tell = False  # whether `delivered` answers True/False (the worker then records by batches)

    def delivered(self, reference: str) -> bool | None:
        """Whether this reference was already handed over; None when the backend cannot tell."""
        return None


class FileBackend(BaseSmsBackend):
    """One JSON file per SMS in `PARCOURS_SMS_FILE_PATH` (var/sms/ in the demo)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.PARCOURS_SMS_FILE_PATH)

    def send(self, *, to, text, sender, reference):
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        name = f"{stamp}-{reference}-{get_random_string(6)}.json"
        record = {
            "to": to,
            "sender": sender,
            "text": text,
            "reference": reference,
            "at": datetime.now(UTC).isoformat(),
        }
        atomic_write(self.path / name, json.dumps(record, ensure_ascii=False, indent=1).encode())
        return name

    can_tell = True

    def delivered(self, reference):
        return any(self.path.glob(f"*-{reference}-*.json"))


class DisabledBackend(BaseSmsBackend):
    enabled = False

    def send(self, *, to, text, sender, reference):
        raise PermanentError("Aucun fournisseur SMS n'est configuré (PARCOURS_SMS_BACKEND).")


class BrevoBackend(BaseSmsBackend):
    """Brevo transactional SMS (POST /v3/transactionalSMS/send, header `api-key`).

    Settings: PARCOURS_BREVO_API_KEY, PARCOURS_BREVO_SMS_URL (to point at a test server),
    PARCOURS_SMS_SENDER (11 letters or digits at most). The hashed reference goes in the `tag`, so
    that a message can be traced in Brevo's logs without revealing its topic.
    """

    def __init__(self, *, api_key: str | None = None, url: str | None = None, timeout: float | None = None):
        self.api_key = api_key if api_key is not None else settings.PARCOURS_BREVO_API_KEY
        self.url = url or settings.PARCOURS_BREVO_SMS_URL
        self.timeout = timeout or settings.PARCOURS_SMS_TIMEOUT
        self.enabled = bool(self.api_key)

    def send(self, *, to, text, sender, reference):
        if not self.api_key:
            raise PermanentError("Clé d'API Brevo absente (PARCOURS_BREVO_API_KEY).")
        payload = {
            "sender": sender,
            "recipient": to.lstrip("+"),
            "content": text,
            "type": "transactional",
            "tag": reference,
            "unicodeEnabled": needs_unicode(text),
        }
        response = requests.post(
            self.url,
            json=payload,
            headers={"api-key": self.api_key, "accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status_code in (200, 201, 202):
            try:
                return str(response.json().get("messageId", ""))
            except ValueError:
                return ""
        detail = _error_message(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise RuntimeError(f"Brevo indisponible (HTTP {response.status_code}) : {detail}")
        # 400 invalid number or text, 401/403 key refused, 402 no credits left: retrying cannot help.
        raise PermanentError(f"Brevo a refusé le SMS (HTTP {response.status_code}) : {detail}")


def _error_message(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message") or body.get("code") or body)[:200]


def get_backend() -> BaseSmsBackend:
    return import_string(settings.PARCOURS_SMS_BACKEND)()
