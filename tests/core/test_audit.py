"""The audit trail is append-only and sealed in signed batches; `parcours audit verify` names what was
edited, deleted, reordered or truncated, and counts the entries waiting for a seal."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from parcours.core import audit
from parcours.core.models import AuditChainHead, AuditEntry, AuditSeal
from tests import factories


def _record(count, start=0, **kwargs):
    actor = factories.make_user("social_worker", "92")
    household = factories.HouseholdFactory()
    for index in range(start, start + count):
        audit.record(actor, "households.household.viewed", household, data={"n": index}, **kwargs)


@pytest.fixture
def chain(db):
    """Six entries, sealed in two seals (3 + 3)."""
    _record(3)
    audit.seal()
    _record(3, start=3)
    audit.seal()
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
    assert result.ok and result.checked == 6 and result.unsealed == 0 and result.seals == 2
    assert list(AuditSeal.objects.values_list("id", "count")) == [(1, 3), (2, 3)]


def test_entries_record_actor_action_reference_department_and_time(chain):
    entry = chain[0]
    assert entry.action == "households.household.viewed"
    assert entry.department == "92"
    assert entry.object_ref.startswith("Dossier 92-")
    assert entry.actor_label.endswith(">") and entry.created_at is not None
    assert entry.scope == f"household:{entry.object_id}"


def test_an_entry_never_sealed_is_reported_and_sealed_later(chain):
    _record(2, start=6)
    result = audit.verify()
    assert result.ok and result.checked == 6 and result.unsealed == 2
    assert audit.seal() == 2
    result = audit.verify()
    assert result.ok and result.checked == 8 and result.unsealed == 0


def test_an_edited_entry_is_named(chain):
    raw("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["Quelqu'un d'autre", chain[2].id])
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[2].id
    assert f"entrée n° {chain[2].id} : son contenu a été modifié" in result.problem


def test_an_edited_unsealed_entry_is_named_too(chain):
    _record(1, start=6)
    last = AuditEntry.objects.order_by("-id").first()
    raw("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["effacé", last.id])
    result = audit.verify()
    assert not result.ok and result.broken_id == last.id


def test_a_deleted_entry_is_named(chain):
    raw("DELETE FROM core_auditentry WHERE id = %s", [chain[3].id])
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[3].id
    assert f"entrée(s) n° {chain[3].id} supprimée(s)" in result.problem


def test_reordered_entries_are_named(chain):
    a, b = chain[1], chain[4]
    raw("UPDATE core_auditentry SET id = -1 WHERE id = %s", [a.id])
    raw("UPDATE core_auditentry SET id = %s WHERE id = %s", [a.id, b.id])
    raw("UPDATE core_auditentry SET id = %s WHERE id = -1", [b.id])
    result = audit.verify()
    assert not result.ok and result.broken_id == a.id
    named = " ".join(result.problems)
    assert f"entrée n° {a.id} : son contenu a été modifié, ou elle a changé de place" in named
    assert f"entrée n° {b.id} : son contenu a été modifié, ou elle a changé de place" in named


def test_an_entry_moved_to_another_seal_is_named(chain):
    raw("UPDATE core_auditentry SET seal_id = 2 WHERE id = %s", [chain[0].id])
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[0].id
    assert "scellée dans le sceau n° 1, elle désigne le sceau n° 2" in result.problem


def test_a_truncated_tail_is_named(chain):
    raw("DELETE FROM core_auditentry WHERE seal_id = 2")
    raw("DELETE FROM core_auditseal WHERE id = 2")
    result = audit.verify()
    assert not result.ok
    assert "journal tronqué : la tête de chaîne annonce le sceau n° 2, le dernier présent est le n° 1" in (
        result.problem
    )


def test_a_deleted_seal_in_the_middle_is_named(chain):
    _record(1, start=6)
    audit.seal()
    raw("DELETE FROM core_auditentry WHERE seal_id = 2")
    raw("DELETE FROM core_auditseal WHERE id = 2")
    result = audit.verify()
    assert not result.ok and "sceau(x) n° 2 supprimé(s)" in result.problem


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
    result = audit.verify()
    assert not result.ok and result.broken_id == chain[5].id


def test_an_edited_head_is_named(chain):
    raw("UPDATE core_auditchainhead SET last_seal_id = 1")
    result = audit.verify()
    assert not result.ok and "la tête de chaîne a été modifiée" in result.problem


def test_the_command_names_the_broken_entry_and_counts_the_unsealed(chain):
    _record(1, start=6)
    call_command("audit", "verify")  # intact: no error
    raw("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["effacé", chain[1].id])
    with pytest.raises(
        CommandError, match=f"(?s)entrée n° {chain[1].id}.*1 entrée\\(s\\) en attente de scellement"
    ):
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
def test_postgresql_refuses_updates_and_deletes_outside_the_purge(chain):
    from django.db import DatabaseError, transaction

    _record(1, start=6)
    unsealed = AuditEntry.objects.order_by("-id").first()
    statements = [
        ("UPDATE core_auditentry SET reason = 'x' WHERE id = %s", [chain[0].id]),
        ("UPDATE core_auditentry SET seal_id = NULL WHERE id = %s", [chain[0].id]),  # unsealing
        ("UPDATE core_auditentry SET seal_id = 2 WHERE id = %s", [chain[0].id]),  # resealing
        ("UPDATE core_auditentry SET seal_id = 1, reason = 'x' WHERE id = %s", [unsealed.id]),
        ("DELETE FROM core_auditentry WHERE id = %s", [chain[0].id]),
        ("UPDATE core_auditseal SET count = 2 WHERE id = 1", []),
        ("DELETE FROM core_auditseal WHERE id = 2", []),
    ]
    for sql, params in statements:
        with (
            pytest.raises(DatabaseError, match="ajout seul"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    # The purge's setting lets sealed entries go, and only in its own transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('parcours.audit_purge', 'on', true)")
        with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [unsealed.id])
        transaction.set_rollback(True)
    with (
        pytest.raises(DatabaseError, match="ajout seul"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [chain[0].id])


def test_record_many_writes_a_batch_that_seals(db):
    households = [factories.HouseholdFactory() for _ in range(5)]
    assert audit.record_many(None, "pathways.event.imported", households) == 5
    assert audit.verify().unsealed == 5
    assert audit.seal() == 5
    assert audit.verify().ok and AuditChainHead.objects.get().sealed == 5


def test_a_large_backlog_is_sealed_in_several_seals_in_id_order(db):
    _record(7)
    assert audit.seal(size=3) == 7
    seals = list(AuditSeal.objects.order_by("id"))
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    assert [s.count for s in seals] == [3, 3, 1]
    assert [s.ranges for s in seals] == [[[ids[0], ids[2]]], [[ids[3], ids[5]]], [[ids[6], ids[6]]]]
    assert seals[1].prev_hash == seals[0].hash and seals[2].prev_hash == seals[1].hash
    assert audit.verify().ok


def test_record_described_hashes_as_record_does(db):
    """The import's fast path builds the canonical form piecewise: verify() recomputes it from the rows."""
    from parcours.core import bulk

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
    audit.seal()
    assert audit.verify().ok
    entries = list(AuditEntry.objects.filter(action="pathways.pathway.opened"))
    assert [e.object_ref for e in entries] == [r[1][:200] for r in described]
    assert [e.scope for e in entries] == ["household:1", "household:2", "household:3"]
    assert entries[0].data == data and entries[0].actor_label == "système"
    assert all(audit.compute_hash(e) == e.hash for e in entries)
    assert bulk  # the reserved ids come from bulk.reserve_ids


# -- retention -------------------------------------------------------------------------------------


def _age(days, ids):
    """Back-date entries as if written `days` ago, and re-sign them as the app would have."""
    for pk in ids:
        entry = AuditEntry.objects.get(pk=pk)
        entry.created_at = timezone.now() - timedelta(days=days)
        raw("UPDATE core_auditentry SET created_at = %s, hash = %s WHERE id = %s",
            [entry.created_at, audit.compute_hash(entry), pk])  # fmt: skip


def test_the_purge_deletes_old_seals_keeps_the_rest_verifiable_and_is_audited(db, settings):
    settings.PARCOURS_AUDIT_RETENTION_DAYS = 30
    _record(4)
    _age(400, AuditEntry.objects.values_list("id", flat=True))
    audit.seal()  # seal 1: four old entries
    _record(3, start=4)
    audit.seal()  # seal 2: three recent ones
    kept = list(AuditEntry.objects.filter(seal_id=2).order_by("id").values_list("id", flat=True))
    purged_ids = list(AuditEntry.objects.filter(seal_id=1).order_by("id").values_list("id", flat=True))

    result = audit.purge()
    assert result.entries == 4 and result.seals == (1, 1)
    assert result.entry_ids == (purged_ids[0], purged_ids[-1])
    assert not AuditEntry.objects.filter(id__in=purged_ids).exists()
    head = AuditChainHead.objects.get()
    assert head.anchor_seal_id == 1 and head.purged == 4 and head.sealed == 3
    note = AuditEntry.objects.get(action="core.audit.purged")
    assert note.data["entries"] == 4 and note.data["entry_ids"] == [purged_ids[0], purged_ids[-1]]
    verified = audit.verify()
    assert verified.ok and verified.checked == 3 and verified.unsealed == 1 and verified.purged == 4
    audit.seal()
    assert audit.verify().ok and audit.purge().entries == 0  # nothing old is left

    # Tampering after the purge is still named.
    raw("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["effacé", kept[1]])
    result = audit.verify()
    assert not result.ok and result.broken_id == kept[1]
    raw("DELETE FROM core_auditentry WHERE id = %s", [kept[0]])
    assert f"entrée(s) n° {kept[0]} supprimée(s)" in audit.verify().problem


def test_after_a_purge_a_deleted_first_kept_seal_is_named(db, settings):
    settings.PARCOURS_AUDIT_RETENTION_DAYS = 30
    _record(2)
    _age(400, AuditEntry.objects.values_list("id", flat=True))
    audit.seal()
    _record(2, start=2)
    audit.seal()
    _record(2, start=4)
    audit.seal()
    audit.purge()
    raw("DELETE FROM core_auditentry WHERE seal_id = 2")
    raw("DELETE FROM core_auditseal WHERE id = 2")
    result = audit.verify()
    assert not result.ok and "sceau(x) n° 2 supprimé(s)" in result.problem


def test_the_purge_and_the_sealer_are_periodic_jobs():
    from parcours.core import schedule

    names = {job.name: job for job in schedule.jobs()}
    assert names["core.audit_seal"].every <= timedelta(seconds=10)
    assert "core.audit_purge" in names
