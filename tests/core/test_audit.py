"""The audit trail is append-only and hash-chained; `parcours audit verify` finds the first broken entry."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from parcours.core import audit
from parcours.core.models import AuditChainHead, AuditEntry
from tests import factories


@pytest.fixture
def chain(db):
    actor = factories.make_user("social_worker", "92")
    household = factories.HouseholdFactory()
    for index in range(6):
        audit.record(actor, "households.household.viewed", household, data={"n": index})
    return list(AuditEntry.objects.order_by("id"))


def raw(sql, params=()):
    """Tamper as someone with direct database access would (the app itself refuses to)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser can switch ordinary triggers off for the session
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_an_intact_chain_verifies(chain):
    result = audit.verify()
    assert result.ok and result.checked == 6


def test_entries_record_actor_action_reference_department_and_time(chain):
    entry = chain[0]
    assert entry.action == "households.household.viewed"
    assert entry.department == "92"
    assert entry.object_ref.startswith("Dossier 92-")
    assert entry.actor_label.endswith(">") and entry.created_at is not None
    assert entry.scope == f"household:{entry.object_id}"


def test_an_edited_entry_is_detected(chain):
    raw("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["Quelqu'un d'autre", chain[2].id])
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[2].id
    assert "modifié" in result.problem


def test_a_deleted_entry_is_detected(chain):
    raw("DELETE FROM core_auditentry WHERE id = %s", [chain[3].id])
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[3].id


def test_reordered_entries_are_detected(chain):
    a, b = chain[1], chain[4]
    raw("UPDATE core_auditentry SET id = -1 WHERE id = %s", [a.id])
    raw("UPDATE core_auditentry SET id = %s WHERE id = %s", [a.id, b.id])
    raw("UPDATE core_auditentry SET id = %s WHERE id = -1", [b.id])
    result = audit.verify()
    assert not result.ok and result.broken_id == a.id


def test_a_truncated_tail_is_detected(chain):
    raw("DELETE FROM core_auditentry WHERE id >= %s", [chain[4].id])
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[4].id
    assert "tronqué" in result.problem


def test_a_recomputed_chain_without_the_key_is_still_detected(chain, settings):
    """Rewriting an entry and recomputing the hashes needs the HMAC key, which is not in the database."""
    settings.AUDIT_HMAC_KEY = "a key an attacker would guess"
    forged = AuditEntry(**{f.attname: getattr(chain[5], f.attname) for f in AuditEntry._meta.fields})
    forged.actor_label = "Personne"
    forged_hash = audit.compute_hash(forged)
    del settings.AUDIT_HMAC_KEY
    raw(
        "UPDATE core_auditentry SET actor_label = %s, hash = %s WHERE id = %s",
        ["Personne", forged_hash, chain[5].id],
    )
    raw("UPDATE core_auditchainhead SET last_hash = %s", [forged_hash])
    assert not audit.verify().ok


def test_the_command_names_the_first_broken_entry(chain):
    raw("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["effacé", chain[1].id])
    with pytest.raises(CommandError, match=f"entrée n° {chain[1].id}"):
        call_command("audit", "verify")


def test_the_app_refuses_to_update_or_delete_entries(chain):
    entry = chain[0]
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(id=entry.id).update(reason="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


@pytest.mark.postgres
def test_postgresql_refuses_updates_and_deletes_at_the_database_level(chain):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = 'x' WHERE id = %s", [chain[0].id])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [chain[0].id])


def test_record_many_chains_a_batch(db):
    households = [factories.HouseholdFactory() for _ in range(5)]
    assert audit.record_many(None, "pathways.event.imported", households) == 5
    assert audit.verify().ok
    assert AuditChainHead.objects.get().count == 5


def test_record_described_hashes_as_record_does(db):
    """The import's fast path builds the canonical form piecewise: verify() recomputes it from the rows."""
    audit.record(None, "core.test.before")
    described = [
        ("1", 'Parcours n° 1 du dossier 92-"A\\B"', "92", "household:1"),
        ("2", "Réf. é à \u2028 \t fin", "", "household:2"),
        ("3", "x" * 250, "974", "household:3"),
    ]
    data = {"source": "file", "b": [1, "é"], "a": None}
    assert (
        audit.record_described(None, "pathways.pathway.opened", "pathways.pathway", described, data=data) == 3
    )
    audit.record(None, "core.test.after")
    assert audit.verify().ok
    entries = list(AuditEntry.objects.filter(action="pathways.pathway.opened"))
    assert [e.object_ref for e in entries] == [r[1][:200] for r in described]
    assert [e.scope for e in entries] == ["household:1", "household:2", "household:3"]
    assert entries[0].data == data and entries[0].actor_label == "système"
    assert all(audit.compute_hash(e) == e.hash for e in entries)
