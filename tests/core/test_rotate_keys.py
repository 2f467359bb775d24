"""`parcours rotate-keys`: after it, the old key can be removed and everything still reads back."""

import json

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from parcours.core import crypto
from parcours.core.models import AuditEntry
from parcours.households.models import ProtectedAddress
from parcours.workshops.models import WebinarServer
from tests import factories

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _addresses(n: int) -> dict[int, str]:
    values = {}
    for i in range(n):
        person = factories.PersonFactory(household=factories.HouseholdFactory(department_code="92"))
        line = f"{i} rue Secrète"
        values[
            ProtectedAddress.objects.create(
                person=person, ciphertext=crypto.encrypt(json.dumps({"line": line}))
            ).pk
        ] = line
    return values


def _read_back() -> dict[int, str]:
    return {p.pk: json.loads(crypto.decrypt(p.ciphertext))["line"] for p in ProtectedAddress.objects.all()}


def test_every_encrypted_field_is_found():
    found = {(model, field) for model, field in crypto.encrypted_fields()}
    assert (ProtectedAddress, "ciphertext") in found
    assert (WebinarServer, "secret_ciphertext") in found
    labels = {f"{model._meta.label}.{field}" for model, field in found}
    assert {
        "accompaniment.Place.address_ciphertext",
        "accompaniment.Incident.narrative_ciphertext",
        "accompaniment.ChildWords.text_ciphertext",
    } <= labels


def test_rotate_then_remove_the_old_key_and_read_everything_back(db, settings, capsys):
    settings.ENCRYPTION_KEYS = [OLD]
    written = _addresses(7)
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    call_command("rotate-keys", batch_size=3)
    assert "7 valeur(s) rechiffrée(s), 0 déjà" in capsys.readouterr().out
    settings.ENCRYPTION_KEYS = [NEW]
    assert _read_back() == written
    entry = AuditEntry.objects.get(action="core.keys.rotated")
    assert entry.data == {"rotated": 7, "current": 0}
    assert "rue" not in json.dumps(entry.data)


def test_a_second_run_resumes_and_changes_nothing_already_rotated(db, settings):
    settings.ENCRYPTION_KEYS = [OLD]
    written = _addresses(4)
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    first = ProtectedAddress.objects.order_by("pk").first()
    first.ciphertext = crypto.rotate(first.ciphertext)  # as if a killed run had done one row
    first.save()
    counts = crypto.rotate_all(batch_size=2)
    assert counts["households.ProtectedAddress.ciphertext"] == {"rotated": 3, "current": 1}
    assert crypto.rotate_all()["households.ProtectedAddress.ciphertext"] == {"rotated": 0, "current": 4}
    settings.ENCRYPTION_KEYS = [NEW]
    assert _read_back() == written


def test_without_rotation_removing_the_old_key_loses_the_data(db, settings):
    """What the command prevents: proof that the test above would fail without it."""
    settings.ENCRYPTION_KEYS = [OLD]
    _addresses(1)
    settings.ENCRYPTION_KEYS = [NEW]
    with pytest.raises(ImproperlyConfigured):
        _read_back()
