"""The audit trail: who saw or changed what, append-only and hash-chained.

Each entry carries the HMAC of its content and of the previous entry's hash, and entries are
numbered 1, 2, 3… without gaps. `verify()` therefore detects an edited entry (its hash no
longer matches), a deleted or reordered one (numbering or chaining breaks) and a truncated tail
(the chain head, kept in its own row, names a later entry). The HMAC key lives outside the
database, so someone who can write to the tables cannot forge a new chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from json.encoder import encode_basestring
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from parcours.core.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _key() -> bytes:
    explicit = getattr(settings, "AUDIT_HMAC_KEY", "")
    material = explicit or f"parcours-audit:{settings.SECRET_KEY}"
    return hashlib.sha256(material.encode()).digest()


def _canonical(entry: AuditEntry) -> bytes:
    created = entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = [
        entry.id,
        created,
        entry.actor_id,
        entry.actor_label,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_ref,
        entry.department,
        entry.scope,
        entry.reason,
        entry.data,
        entry.prev_hash,
    ]
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hmac.new(_key(), _canonical(entry), hashlib.sha256).hexdigest()


def describe(obj: Any) -> tuple[str, str, str, str, str]:
    """(object_type, object_id, reference, department, scope) of a model instance, without sensitive values."""
    if obj is None:
        return "", "", "", "", ""
    object_type = obj._meta.label_lower
    object_id = str(obj.pk)
    ref = obj.audit_ref() if hasattr(obj, "audit_ref") else f"{obj._meta.verbose_name} n° {obj.pk}"
    department = obj.audit_department() if hasattr(obj, "audit_department") else ""
    if hasattr(obj, "audit_scope"):
        scope = obj.audit_scope()
    elif hasattr(obj, "policy_household"):
        # A message to a member of the public (a public registration) has no household.
        household = obj.policy_household()
        scope = f"household:{household.pk}" if household is not None else ""
    else:
        scope = ""
    return object_type, object_id, ref, department or "", scope


def _actor_label(actor) -> str:
    if actor is None:
        return "système"
    if getattr(actor, "pk", None) is None:
        return str(actor)
    return f"{actor.get_full_name()} <{actor.email}>"


def _build(actor, action: str, obj, *, reason: str, data: dict | None, department: str | None) -> AuditEntry:
    object_type, object_id, ref, obj_department, scope = describe(obj)
    if department is None:
        department = obj_department or (getattr(actor, "department_code", None) or "")
    return AuditEntry(
        created_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_ref=ref[:200],
        department=department,
        scope=scope,
        reason=reason or "",
        data=data or {},
    )


def _lock_head() -> AuditChainHead:
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1, defaults={"last_hash": GENESIS})
    return head


def _advance_head(head: AuditChainHead, last_id: int, last_hash: str, added: int) -> None:
    AuditChainHead.objects.filter(id=1).update(
        last_entry_id=last_id, last_hash=last_hash, count=head.count + added
    )


def _append(entries: list[AuditEntry]) -> list[AuditEntry]:
    with transaction.atomic():
        head = _lock_head()
        prev, next_id = head.last_hash, head.last_entry_id + 1
        for entry in entries:
            entry.id = next_id
            entry.prev_hash = prev
            entry.hash = compute_hash(entry)
            prev, next_id = entry.hash, next_id + 1
        # Imports, the large batches, go through record_described and core.bulk instead.
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
        _advance_head(head, next_id - 1, prev, len(entries))
    return entries


def record(
    actor,
    action: str,
    obj=None,
    *,
    reason: str = "",
    data: dict | None = None,
    department: str | None = None,
) -> AuditEntry:
    """Append one entry. `action` is dotted: "<app>.<object>.<verb>", e.g. households.household.viewed."""
    return _append_one(_build(actor, action, obj, reason=reason, data=data, department=department))


def _append_one(entry: AuditEntry) -> AuditEntry:
    """`_append` for a single entry, in plain SQL: every page that shows a household writes one,
    and the ORM's query building cost more than the three statements themselves."""
    fields = AuditEntry._meta.concrete_fields
    with transaction.atomic(), connection.cursor() as cursor:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(f"SELECT last_entry_id, last_hash FROM {_HEAD} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
        if row is None:  # a new database: the general path creates the chain head
            return _append([entry])[0]
        entry.id, entry.prev_hash = row[0] + 1, row[1]
        entry.hash = compute_hash(entry)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        cursor.execute(
            f"INSERT INTO {_ENTRIES} ({columns}) VALUES ({marks})",  # noqa: S608
            [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields],
        )
        cursor.execute(
            f"UPDATE {_HEAD} SET last_entry_id = %s, last_hash = %s, count = count + 1 WHERE id = 1",  # noqa: S608
            [entry.id, entry.hash],
        )
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


_HEAD, _ENTRIES = (connection.ops.quote_name(m._meta.db_table) for m in (AuditChainHead, AuditEntry))


def record_many(actor, action: str, objects: Iterable, *, reason: str = "", data: dict | None = None) -> int:
    """Append one entry per object in a single chained batch (imports)."""
    entries = [_build(actor, action, obj, reason=reason, data=data, department=None) for obj in objects]
    if entries:
        _append(entries)
    return len(entries)


def record_described(
    actor,
    action: str,
    object_type: str,
    described: Iterable[tuple[str, str, str, str]],
    *,
    data: dict | None = None,
) -> int:
    """`record_many` for imports, from (object_id, reference, department, scope) tuples."""
    described = list(described)
    if not described:
        return 0
    with transaction.atomic():
        chain = DescribedChain(actor, action, object_type, data=data)
        for item in described:
            chain.add(*item)
        chain.table.flush()
        chain.close()
    return len(described)


class DescribedChain:
    """Entries of one action appended to the chain by an import, as rows of a `bulk.Table`.

    An import writes one entry per pathway: building an AuditEntry, `describe()` and a
    `json.dumps` each cost more than the pathway's own rows. Here the parts common to the
    batch (instant, actor, action, data…) are serialised once and each entry's canonical form
    is put together from them; it is byte for byte what `_canonical` gives (a test compares
    them), so `compute_hash` and `verify()` are unchanged.

    Opening locks the chain head until the transaction ends; the caller writes `table` (at
    once, or through a `bulk.Writer`), then `close()` moves the head past the new entries.
    """

    def __init__(self, actor, action: str, object_type: str, *, data: dict | None = None):
        from parcours.core import bulk

        if not connection.in_atomic_block:
            raise RuntimeError("Le chaînage du journal d'audit se fait dans une transaction.")
        actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.default_department = getattr(actor, "department_code", None) or ""
        created_at, data = timezone.now(), data or {}
        created = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        dumps = _JSON.encode
        # The canonical list: [id, created, actor, label, action, type, object_id, ref, department, scope, reason, data, prev].
        self.middle = (
            ","
            + ",".join(dumps(v) for v in (created, actor_id, _actor_label(actor), action, object_type))
            + ","
        )
        self.tail = "," + dumps("") + "," + dumps(data) + ","
        self.mac = hmac.new(_key(), digestmod=hashlib.sha256)  # copied per entry: the key is hashed once
        self.table = bulk.Table(
            AuditEntry, ["id", "object_id", "object_ref", "department", "scope", "prev_hash", "hash"],
            fixed={"created_at": created_at, "actor": actor_id, "actor_label": _actor_label(actor),
                   "action": action, "object_type": object_type, "reason": "", "data": data},
        )  # fmt: skip
        self.head = _lock_head()
        self.prev, self.next_id = self.head.last_hash, self.head.last_entry_id + 1
        self.added = 0

    def add(self, object_id: str, ref: str, department: str, scope: str) -> None:
        text = encode_basestring
        ref, department = ref[:200], department or self.default_department
        canonical = (
            f"[{self.next_id}{self.middle}{text(object_id)},{text(ref)},{text(department)},{text(scope)}"
            f'{self.tail}"{self.prev}"]'
        )
        digest = self.mac.copy()
        digest.update(canonical.encode())
        entry_hash = digest.hexdigest()
        self.table.add(self.next_id, object_id, ref, department, scope, self.prev, entry_hash)
        self.prev, self.next_id, self.added = entry_hash, self.next_id + 1, self.added + 1

    def close(self) -> None:
        if self.added:
            _advance_head(self.head, self.next_id - 1, self.prev, self.added)


# The encoder `_canonical` uses (`json.dumps` with these options), for the pieces of `record_described`.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""


def verify(chunk_size: int = 5000) -> VerifyResult:
    """Walk the chain from the first entry; name the first entry that breaks it."""
    expected_id, prev, checked = 1, GENESIS, 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=chunk_size):
        if entry.id != expected_id:
            return VerifyResult(
                False,
                checked,
                expected_id,
                f"entrée n° {expected_id} manquante (supprimée ou déplacée) ; l'entrée suivante porte le n° {entry.id}",
            )
        if entry.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                entry.id,
                f"entrée n° {entry.id} : le chaînage avec l'entrée précédente est rompu",
            )
        if not hmac.compare_digest(compute_hash(entry), entry.hash):
            return VerifyResult(False, checked, entry.id, f"entrée n° {entry.id} : son contenu a été modifié")
        prev, expected_id, checked = entry.hash, expected_id + 1, checked + 1

    head = AuditChainHead.objects.filter(id=1).first()
    last_id = expected_id - 1
    if head is None:
        if checked:
            return VerifyResult(False, checked, 1, "la tête de chaîne a disparu")
        return VerifyResult(True, 0)
    if head.last_entry_id != last_id or head.last_hash != prev or head.count != checked:
        return VerifyResult(
            False,
            checked,
            last_id + 1,
            f"journal tronqué : la tête de chaîne annonce {head.last_entry_id} entrées, "
            f"il en reste {checked} ; la première entrée manquante est la n° {last_id + 1}",
        )
    return VerifyResult(True, checked)
