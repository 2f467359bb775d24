"""The audit trail: who saw or changed what, append-only, and sealed into a signed chain.

Writing an entry waits for nobody: it is one INSERT, with the HMAC of its own content (its id
included). A sealer (`seal()`: the worker every few seconds, and at the end of a file import)
takes the committed entries no seal holds yet, in id order, and signs them as a batch: a seal
lists its entries' ids (as ranges), the digest of their (id, hash) pairs, and the previous
seal's hash, under an HMAC. Seals are numbered 1, 2, 3… and the chain head (one row, signed,
written only by the sealer and the purge) names the last one. `verify()` therefore names an
edited entry (its hash no longer matches its content), a deleted one (a seal lists it, it is
gone), a moved or reordered one (its id is part of its hash; its seal must list it), a truncated
tail (the head names a later seal), and counts the entries still waiting for a seal.

The retention purge (`purge()`) deletes whole seals older than PARCOURS_AUDIT_RETENTION_DAYS
from the start of the chain; the head then records, as its anchor, the last purged seal and
its hash: the kept part verifies from there. The purge is itself audited.

The HMAC key lives outside the database: someone who can write to the tables cannot forge
an entry, a seal or the head. See docs/decisions/0002-journal-d-audit-scelle-par-lots.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from parcours.core import compiled
from parcours.core.models import AuditChainHead, AuditEntry, AuditSeal

GENESIS = "0" * 64
SEAL_SIZE = 50_000  # entries per seal at most: a seal's UPDATE stays short
logger = logging.getLogger("parcours.audit")


def _key() -> bytes:
    explicit = getattr(settings, "AUDIT_HMAC_KEY", "")
    material = explicit or f"parcours-audit:{settings.SECRET_KEY}"
    return hashlib.sha256(material.encode()).digest()


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(entry: AuditEntry) -> bytes:
    payload = [
        entry.id,
        _instant(entry.created_at),
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
        # A message to a member of the public has no household: no file to attach the entry to.
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


# -- writing: inserts only, no lock --------------------------------------------------------------

_SEQUENCE: dict[str, str] = {}


def _next_id(cursor) -> int:
    """A fresh id for one entry, before its INSERT (its hash covers it). PostgreSQL: the identity
    sequence, which never waits. SQLite: the transaction holds the write lock (BEGIN IMMEDIATE)."""
    if connection.vendor == "postgresql":
        if "name" not in _SEQUENCE:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [AuditEntry._meta.db_table])
            _SEQUENCE["name"] = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass)", [_SEQUENCE["name"]])
        return cursor.fetchone()[0]
    from parcours.core import bulk

    return bulk.reserve_ids(AuditEntry, 1)[0]


def _append(entries: list[AuditEntry]) -> list[AuditEntry]:
    from parcours.core import bulk

    with transaction.atomic():
        for entry, pk in zip(entries, bulk.reserve_ids(AuditEntry, len(entries)), strict=True):
            entry.id = pk
            entry.hash = compute_hash(entry)
        # Imports, the large batches, go through record_described and core.bulk instead.
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return entries


def record(
    actor,
    action: str,
    obj=None,
    *,
    reason: str = "",
    data: dict | None = None,
    department: str | None = None,
    reserved_id: int | None = None,
) -> AuditEntry:
    """Append one entry. `action` is dotted: "<app>.<object>.<verb>", e.g. households.household.viewed.

    `reserved_id`: the entry's id, taken beforehand by `reserve_id()`."""
    entry = _build(actor, action, obj, reason=reason, data=data, department=department)
    return _append_one(entry, reserved_id)


def reserve_id() -> int | None:
    """An entry's id taken ahead, for a caller that will record under a lock others wait on (the
    session's lock of a registration): one statement less while it is held. PostgreSQL: from the
    sequence, which never waits (an id left unused, as after a rollback, is a gap that no seal
    lists). SQLite: None — the id is taken at the INSERT, under the transaction's write lock, where
    taking it earlier could hand it to another entry of the same transaction."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        return _next_id(cursor)


def _append_one(entry: AuditEntry, reserved_id: int | None = None) -> AuditEntry:
    """`_append` for a single entry, in plain SQL: every page that shows a household writes one,
    and the ORM's query building cost more than the two statements themselves."""
    fields = _INSERTED
    # No savepoint inside the caller's transaction: the entry and the change it records commit or
    # fail together (a failed INSERT must break the caller's transaction, not be caught and skipped).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        entry.id = reserved_id if reserved_id is not None else _next_id(cursor)
        entry.hash = compute_hash(entry)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        compiled.execute(
            cursor,
            f"INSERT INTO {_ENTRIES} ({columns}) VALUES ({marks})",  # noqa: S608
            [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields],
        )
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


_ENTRIES, _SEALS = (connection.ops.quote_name(m._meta.db_table) for m in (AuditEntry, AuditSeal))
_INSERTED = [f for f in AuditEntry._meta.concrete_fields if f.name != "seal"]  # NULL: not sealed yet


def record_many(actor, action: str, objects: Iterable, *, reason: str = "", data: dict | None = None) -> int:
    """Append one entry per object (imports)."""
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
    from parcours.core import bulk

    described = list(described)
    if not described:
        return 0
    with transaction.atomic():
        entries = DescribedEntries(
            actor, action, object_type, data=data, ids=bulk.reserve_ids(AuditEntry, len(described))
        )
        for item in described:
            entries.add(*item)
        entries.table.flush()
    return len(described)


class DescribedEntries:
    """Entries of one action written by an import, as rows of a `bulk.Table`.

    An import writes one entry per pathway: building an AuditEntry, `describe()` and a
    `json.dumps` each cost more than the pathway's own rows. Here the parts common to the
    batch (instant, actor, action, data…) are serialised once and each entry's canonical form
    is put together from them; it is byte for byte what `_canonical` gives (a test compares
    them), so `compute_hash` and `verify()` are unchanged. The ids were reserved beforehand
    (`bulk.reserve_ids`, before a background writer takes the connection). Nothing is locked:
    the entries are sealed once the import has committed.
    """

    def __init__(self, actor, action: str, object_type: str, *, ids: Sequence[int], data: dict | None = None):
        from parcours.core import bulk

        actor_id = actor.pk if getattr(actor, "pk", None) else None
        self.default_department = getattr(actor, "department_code", None) or ""
        created_at, data = timezone.now(), data or {}
        dumps = _JSON.encode
        # The canonical list: [id, created, actor, label, action, type, object_id, ref, department, scope, reason, data].
        self.middle = (
            ","
            + ",".join(
                dumps(v) for v in (_instant(created_at), actor_id, _actor_label(actor), action, object_type)
            )
            + ","
        )
        self.tail = "," + dumps("") + "," + dumps(data) + "]"
        self.mac = hmac.new(_key(), digestmod=hashlib.sha256)  # copied per entry: the key is hashed once
        self.table = bulk.Table(
            AuditEntry, ["id", "object_id", "object_ref", "department", "scope", "hash"],
            fixed={"created_at": created_at, "actor": actor_id, "actor_label": _actor_label(actor),
                   "action": action, "object_type": object_type, "reason": "", "data": data},
        )  # fmt: skip
        self.ids = iter(ids)
        self.added = 0

    def add(self, object_id: str, ref: str, department: str, scope: str) -> None:
        text = encode_basestring
        pk = next(self.ids)
        ref, department = ref[:200], department or self.default_department
        canonical = (
            f"[{pk}{self.middle}{text(object_id)},{text(ref)},{text(department)},{text(scope)}{self.tail}"
        )
        digest = self.mac.copy()
        digest.update(canonical.encode())
        self.table.add(pk, object_id, ref, department, scope, digest.hexdigest())
        self.added += 1


# The encoder `_canonical` uses (`json.dumps` with these options), for the pieces of `DescribedEntries`.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# -- sealing ---------------------------------------------------------------------------------------


def _ranges(ids: list[int]) -> list[list[int]]:
    """[[first, last], …] of sorted ids: a seal lists a million consecutive ids in a few numbers."""
    ranges: list[list[int]] = []
    for pk in ids:
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def _seal_hash(seal: AuditSeal) -> str:
    payload = [seal.id, _instant(seal.created_at), _instant(seal.newest_at), seal.ranges, seal.count,
               seal.digest, seal.prev_hash]  # fmt: skip
    text = json.dumps(payload, separators=(",", ":")).encode()
    return hmac.new(_key(), text, hashlib.sha256).hexdigest()


def _head_signature(head: AuditChainHead) -> str:
    payload = [
        head.last_seal_id,
        head.last_hash,
        head.sealed,
        head.anchor_seal_id,
        head.anchor_hash,
        head.purged,
    ]
    return hmac.new(_key(), json.dumps(payload).encode(), hashlib.sha256).hexdigest()


def _take_head(*, wait: bool) -> AuditChainHead | None:
    """The chain head, locked for this transaction: only sealers and the purge take it, never a
    writer or a reader. Without `wait`, None when another sealer holds it (it does the work)."""
    rows = AuditChainHead.objects.filter(id=1)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(skip_locked=not wait)
    head = rows.first()
    if head is None:
        AuditChainHead.objects.get_or_create(id=1, defaults={"last_hash": GENESIS, "anchor_hash": GENESIS})
        head = rows.first()
    return head


def _save_head(head: AuditChainHead) -> None:
    head.signature = _head_signature(head)
    head.save()


def seal(*, wait: bool = False, size: int = SEAL_SIZE) -> int:
    """Seal every committed entry that no seal holds yet, in id order, `size` at a time; returns
    how many. Entries of transactions still open (an import) are not visible: a later run seals them."""
    total = 0
    while True:
        with transaction.atomic():
            head = _take_head(wait=wait)
            if head is None:
                return total
            count = _seal_once(head, size)
        total += count
        if count < size:
            return total


def _seal_once(head: AuditChainHead, size: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, hash, created_at FROM {_ENTRIES} WHERE seal_id IS NULL ORDER BY id LIMIT %s",  # noqa: S608
            [size],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        convert = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else None
        newest = max(r[2] if convert is None else _aware(r[2]) for r in rows)
        ids = [r[0] for r in rows]
        new = AuditSeal(
            id=head.last_seal_id + 1,
            created_at=timezone.now(),
            newest_at=newest,
            ranges=_ranges(ids),
            count=len(rows),
            digest=_digest((r[0], r[1]) for r in rows),
            prev_hash=head.last_hash,
        )
        new.hash = _seal_hash(new)
        new.save(force_insert=True)
        sealed = 0
        for first, last in new.ranges:
            # Every id between first and last was just read as unsealed: the range is exactly them.
            cursor.execute(
                f"UPDATE {_ENTRIES} SET seal_id = %s WHERE id BETWEEN %s AND %s AND seal_id IS NULL",  # noqa: S608
                [new.id, first, last],
            )
            sealed += cursor.rowcount
        if sealed != new.count:
            raise RuntimeError(f"Scellement incohérent : {sealed} entrées marquées pour {new.count} lues.")
    head.last_seal_id, head.last_hash, head.sealed = new.id, new.hash, head.sealed + new.count
    _save_head(head)
    return new.count


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _digest(pairs: Iterable[tuple[int, str]]) -> str:
    digest = hashlib.sha256()
    for pk, entry_hash in pairs:
        digest.update(f"{pk}:{entry_hash}\n".encode())
    return digest.hexdigest()


def seal_after_commit() -> None:
    """Seal what the current transaction wrote once it commits (the end of a file import)."""
    transaction.on_commit(lambda: seal(wait=True))


# -- retention -------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    entries: int = 0
    seals: tuple[int, int] | None = None
    entry_ids: tuple[int, int] | None = None


PURGE_SETTING = "parcours.audit_purge"  # the only session in which the trigger lets entries go


def purge(now: datetime | None = None, *, days: int | None = None) -> PurgeResult:
    """Delete the oldest seals whose entries are all older than the retention period, with their
    entries, from the start of the chain; the head keeps the last purged seal's hash as anchor."""
    days = settings.PARCOURS_AUDIT_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    seal(wait=True)
    result = PurgeResult()
    with transaction.atomic():
        head = _take_head(wait=True)
        doomed = []
        for old in (
            AuditSeal.objects.order_by("id").only("id", "newest_at", "hash", "count", "ranges").iterator()
        ):
            if old.newest_at >= cutoff:
                break
            doomed.append(old)
        if not doomed:
            return result
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])  # this transaction only
            for old in doomed:
                cursor.execute(f"DELETE FROM {_ENTRIES} WHERE seal_id = %s", [old.id])  # noqa: S608
                if cursor.rowcount != old.count:
                    raise RuntimeError(
                        f"Sceau n° {old.id} : {cursor.rowcount} entrées pour {old.count} scellées."
                    )
            cursor.execute(f"DELETE FROM {_SEALS} WHERE id <= %s", [doomed[-1].id])  # noqa: S608
        result.entries = sum(old.count for old in doomed)
        result.seals = (doomed[0].id, doomed[-1].id)
        result.entry_ids = (min(old.ranges[0][0] for old in doomed), max(old.ranges[-1][1] for old in doomed))
        head.anchor_seal_id, head.anchor_hash = doomed[-1].id, doomed[-1].hash
        head.sealed -= result.entries
        head.purged += result.entries
        _save_head(head)
        record(
            None,
            "core.audit.purged",
            data={
                "entries": result.entries,
                "seals": list(result.seals),
                "entry_ids": list(result.entry_ids),
                "older_than": _instant(cutoff),
                "retention_days": days,
            },
        )
    logger.info("Journal d'audit : %s entrées purgées (sceaux %s)", result.entries, result.seals)
    return result


# -- verification ----------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int  # sealed entries found sound
    broken_id: int | None = None  # the first entry (or seal) named
    problem: str = ""  # the first problem
    problems: list[str] = field(default_factory=list)
    unsealed: int = 0  # entries waiting for the sealer
    seals: int = 0
    purged: int = 0


MAX_PROBLEMS = 50


class _Report:
    def __init__(self):
        self.problems: list[tuple[int | None, str]] = []

    def add(self, at: int | None, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((at, problem))


_VERIFIED_COLUMNS = ["id", "hash", "seal_id", "created_at", "actor_id", "actor_label", "action", "object_type",
                     "object_id", "object_ref", "department", "scope", "reason", "data"]  # fmt: skip


def _entry_hashes(chunk_size: int) -> Iterator[tuple[int, str, int | None, str]]:
    """(id, stored hash, seal id, hash recomputed from the content) of every entry, in id order.

    Streams plain rows through a server-side cursor (PostgreSQL; constant memory at any size) and
    builds each entry's canonical form from the pieces, byte for byte what `_canonical` gives (a
    test compares them): no model instance, the key hashed once, the timestamp and the `data`
    shared by a whole import's entries formatted once. `verify` of 1,000,000 entries was spent
    for the most part instantiating models and re-hashing the key."""
    text, encode = encode_basestring, _JSON.encode
    mac = hmac.new(_key(), digestmod=hashlib.sha256)
    instants: dict[str, str] = {}  # created_at as text -> its canonical text (an import's entries share one)
    datas: dict[str, str] = {}  # the stored JSON text -> its canonical text
    # The instant as text: parsed once per distinct value, not once per row by the driver.
    columns = ", ".join(
        f"CAST({connection.ops.quote_name(c)} AS TEXT)" if c == "created_at" else connection.ops.quote_name(c)
        for c in _VERIFIED_COLUMNS
    )
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {_ENTRIES} ORDER BY id")  # noqa: S608
        while rows := cursor.fetchmany(chunk_size):
            for (
                pk,
                stored,
                seal_id,
                created,
                actor_id,
                label,
                action,
                kind,
                oid,
                ref,
                dept,
                scope,
                reason,
                data,
            ) in rows:
                instant = instants.get(created)
                if instant is None:
                    if len(instants) > 10_000:
                        instants.clear()
                    instant = instants[created] = text(_instant(_aware(created)))
                if not isinstance(data, str):  # a driver that decodes JSON itself
                    data = json.dumps(data)
                canonical = datas.get(data)
                if canonical is None:
                    if len(datas) > 10_000:
                        datas.clear()
                    canonical = datas[data] = encode(json.loads(data))
                line = (
                    f"[{pk},{instant},{'null' if actor_id is None else actor_id},{text(label)},{text(action)},"
                    f"{text(kind)},{text(oid)},{text(ref)},{text(dept)},{text(scope)},{text(reason)},{canonical}]"
                )
                digest = mac.copy()
                digest.update(line.encode())
                yield pk, stored, seal_id, digest.hexdigest()


def verify(chunk_size: int = 5000) -> VerifyResult:
    """Check the head, the chain of seals and every entry; name what is broken (up to 50 problems).

    One snapshot for the head, the seals and the entries (PostgreSQL: REPEATABLE READ), so that a
    sealer running meanwhile is not mistaken for a tamper."""
    outermost = not connection.in_atomic_block  # inside a caller's transaction (a test): its snapshot
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _verify(chunk_size)


def _verify(chunk_size: int) -> VerifyResult:
    report = _Report()
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None:
        head = AuditChainHead(last_hash=GENESIS, anchor_hash=GENESIS)
        head.signature = _head_signature(head)
    elif not hmac.compare_digest(_head_signature(head), head.signature):
        report.add(None, "la tête de chaîne a été modifiée (sa signature ne correspond plus)")

    # The seals: consecutive from the anchor, each chained to the previous one and signed.
    intervals: list[tuple[int, int, int]] = []  # (first id, last id, seal)
    seals: dict[int, AuditSeal] = {}
    expected, prev, sealed_total = head.anchor_seal_id + 1, head.anchor_hash, 0
    for each in AuditSeal.objects.order_by("id").iterator(chunk_size=1000):
        if each.id != expected:
            missing = f"n° {expected}" if each.id == expected + 1 else f"n° {expected} à {each.id - 1}"
            report.add(None, f"sceau(x) {missing} supprimé(s), avec les entrées qu'il(s) scellai(en)t")
        elif each.prev_hash != prev:
            report.add(None, f"sceau n° {each.id} : le chaînage avec le sceau précédent est rompu")
        if not hmac.compare_digest(_seal_hash(each), each.hash):
            report.add(None, f"sceau n° {each.id} : il a été modifié")
        seals[each.id] = each
        intervals.extend((first, last, each.id) for first, last in each.ranges)
        sealed_total += each.count
        expected, prev = each.id + 1, each.hash
    last_seal = expected - 1
    if last_seal != head.last_seal_id or prev != head.last_hash:
        report.add(
            None,
            f"journal tronqué : la tête de chaîne annonce le sceau n° {head.last_seal_id}, le dernier présent "
            f"est le n° {last_seal} ; les entrées scellées après lui ont disparu",
        )
    elif sealed_total != head.sealed:
        report.add(
            None, f"la tête annonce {head.sealed} entrées scellées, les sceaux en comptent {sealed_total}"
        )
    intervals.sort()

    # The entries, in id order, against the seals' ranges.
    digests = {pk: hashlib.sha256() for pk in seals}
    at, position = 0, None  # the current interval; the next id it expects
    checked = unsealed = 0

    def missing_until(stop: int) -> None:
        """Ids the intervals list below `stop` that were not met: deleted entries."""
        nonlocal at, position
        while at < len(intervals) and intervals[at][0] <= stop - 1:
            first, last, seal_id = intervals[at]
            start = first if position is None else position
            end = min(last, stop - 1)
            if start <= end:
                shown = f"n° {start}" if start == end else f"n° {start} à {end}"
                report.add(
                    start,
                    f"entrée(s) {shown} supprimée(s) ou déplacée(s) (scellée(s) dans le sceau n° {seal_id})",
                )
            if last <= stop - 1:
                at, position = at + 1, None
            else:
                position = stop
                return

    for pk, stored_hash, seal_id, expected_hash in _entry_hashes(chunk_size):
        missing_until(pk)
        inside = at < len(intervals) and intervals[at][0] <= pk <= intervals[at][1]
        listed_in = intervals[at][2] if inside else None
        if inside:
            position = pk + 1
        if not hmac.compare_digest(expected_hash, stored_hash):
            report.add(pk, f"entrée n° {pk} : son contenu a été modifié, ou elle a changé de place")
        if listed_in is not None:
            if seal_id != listed_in:
                report.add(
                    pk,
                    f"entrée n° {pk} : scellée dans le sceau n° {listed_in}, elle désigne le sceau n° {seal_id}",
                )
            digests[listed_in].update(f"{pk}:{stored_hash}\n".encode())
            checked += 1
        elif seal_id is None:
            unsealed += 1
        else:
            report.add(pk, f"entrée n° {pk} : le sceau n° {seal_id} qu'elle désigne ne la contient pas")
    missing_until(2**63)
    for pk, each in seals.items():
        if digests[pk].hexdigest() != each.digest:
            report.add(
                None, f"sceau n° {pk} : ses entrées ne sont plus celles qu'il a scellées (contenu ou ordre)"
            )

    problems = report.problems
    first_at = next((at for at, _ in problems if at is not None), None)
    return VerifyResult(
        ok=not problems,
        checked=checked,
        broken_id=first_at,
        problem=problems[0][1] if problems else "",
        problems=[p for _, p in problems],
        unsealed=unsealed,
        seals=len(seals),
        purged=head.purged,
    )
