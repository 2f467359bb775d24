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


def is_current(token: bytes) -> bool:
    """Whether a token is already encrypted with the newest key (rotation can skip it)."""
    newest = fernet()._fernets[0]
    try:
        newest.decrypt(bytes(token))
    except InvalidToken:
        return False
    return True


def encrypted_fields() -> list[tuple[type, str]]:
    """Every (model, field) holding ciphertext: models declare `ENCRYPTED_FIELDS = ("field", …)`."""
    from django.apps import apps

    return [(model, name) for model in apps.get_models() for name in getattr(model, "ENCRYPTED_FIELDS", ())]


def rotate_all(*, batch_size: int = 500, progress=None) -> dict[str, dict[str, int]]:
    """Re-encrypt every protected value with the newest key, batch by batch.

    Each batch is its own transaction, and values already on the newest key are skipped: a run
    killed half-way leaves nothing half-written, and the next run completes it.
    """
    from django.db import transaction

    counts: dict[str, dict[str, int]] = {}
    for model, field in encrypted_fields():
        label = f"{model._meta.label}.{field}"
        tally = counts.setdefault(label, {"rotated": 0, "current": 0})
        last_pk = None
        while True:
            qs = model._default_manager.order_by("pk").exclude(**{f"{field}__isnull": True})
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            batch = list(qs.values_list("pk", field)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            with transaction.atomic():
                for pk, token in batch:
                    if not token:
                        continue
                    if is_current(token):
                        tally["current"] += 1
                        continue
                    # Only the row still holding the token read: a concurrent edit is never overwritten.
                    updated = model._default_manager.filter(pk=pk, **{field: token}).update(
                        **{field: rotate(token)}
                    )
                    tally["rotated"] += updated
            if progress:
                progress(label, tally)
    return counts
