"""Field encryption for protected data, with a key kept outside the database.

Keys come from PARCOURS_ENCRYPTION_KEYS (Fernet keys, newest first); MultiFernet decrypts
with any of them and `rotate` re-encrypts with the newest. In DEBUG only, a development key
is derived from SECRET_KEY so that `make run` needs no configuration.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret: str, debug: bool) -> MultiFernet:
    if not keys:
        if not debug:
            raise ImproperlyConfigured("PARCOURS_ENCRYPTION_KEYS est obligatoire.")
        derived = base64.urlsafe_b64encode(hashlib.sha256(f"parcours-dev-fernet:{secret}".encode()).digest())
        keys = (derived.decode(),)
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY, settings.DEBUG)


def encrypt(plaintext: str) -> bytes:
    return fernet().encrypt(plaintext.encode("utf-8"))


def decrypt(token: bytes) -> str:
    try:
        return fernet().decrypt(bytes(token)).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured("Donnée chiffrée illisible avec les clés configurées.") from exc


def rotate(token: bytes) -> bytes:
    return fernet().rotate(bytes(token))
