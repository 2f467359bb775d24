"""Hot ORM reads whose SQL is built once per process, then run with each call's values.

Building a query costs Django more than running it: reading a session with its department and
venue (about sixty columns, two joins) took 3.6 ms of CPU, 0.5 ms of which to run the SQL. A
`CompiledRead` builds its queryset once with marker values (the same ORM code: nothing is
rewritten by hand), notes where each marker lands in the parameters, and keeps Django's compiler
to turn rows into model instances (converters, `select_related` objects) exactly as the queryset
would. When a marker is not found among the parameters (the ORM folded it into the SQL text), the
read falls back to the queryset each time: slower, never wrong.

On PostgreSQL, `execute` also keeps these statements prepared on the server (`PREPARE` once per
database connection, then `EXECUTE`): Django binds parameters on the client, so PostgreSQL parsed
and planned them again at every run — 1.4 ms of planning for the registration's facts, inside the
session's lock, for 0.25 ms of execution. `PARCOURS_PREPARED_STATEMENTS=0` turns this off (behind a
pooler in transaction mode, where a connection's prepared statements may not be the session's).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import connections
from django.db.models.query import get_related_populators

# Statements prepared on each open database connection (its driver object: a reconnection starts
# empty, as the server's session does). PREPARE outlives a rolled-back transaction.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%%|%s")
_STATEMENTS: dict[str, str] = {}  # name → the SQL it stands for (what a query log shows as EXECUTE name)
_EXECUTE = re.compile(r"\s*(?:EXECUTE|PREPARE) (parcours_[0-9a-f]+)\b")


def _name(sql: str) -> str:
    return "parcours_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]


def original_sql(sql: str) -> str:
    """The statement a logged `EXECUTE parcours_…` (or its `PREPARE`) runs; any other SQL unchanged."""
    match = _EXECUTE.match(sql)
    return _STATEMENTS.get(match.group(1), sql) if match else sql


def _numbered(sql: str) -> str:
    """`%s` placeholders as PostgreSQL's `$1, $2…` (and `%%` as `%`), for PREPARE."""
    count = 0

    def number(match) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def execute(cursor, sql: str, params: Sequence, db: str = "default") -> None:
    """`cursor.execute(sql, params)`; on PostgreSQL, the statement prepared once per connection and
    run by `EXECUTE`: same statement, same parameters, parsed and planned once. Through Django's
    cursor all the same (query log, execute wrappers, error wrapping)."""
    connection = connections[db]
    if connection.vendor != "postgresql" or not settings.PARCOURS_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    prepared = _PREPARED.setdefault(connection.connection, {})
    name = prepared.get(sql)
    if name is None:
        name = _name(sql)
        _STATEMENTS[name] = sql
        cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        prepared[sql] = name
    if params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")


class _Slot(str):
    """A parameter filled in at each run."""


class _Plan:
    __slots__ = ("converters", "fields", "init_list", "model", "populators", "slots", "sql", "compiler")

    def __init__(self, queryset, markers: dict, db: str):
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        by_value = {(type(v), v): name for name, v in markers.items()}
        self.slots = [_Slot(by_value[(type(p), p)]) if (type(p), p) in by_value else p for p in params]
        found = {s for s in self.slots if isinstance(s, _Slot)}
        if found != set(markers):
            raise LookupError("marker not found among the parameters")
        self.sql = sql
        self.compiler = compiler
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.fields = (start, end)
        self.model = klass_info["model"]
        self.init_list = [f[0].target.attname for f in select[start:end]]
        self.populators = get_related_populators(klass_info, select, db)
        self.converters = compiler.get_converters([s[0] for s in select[0 : compiler.col_count]])


class CompiledRead:
    """`build(**values)` returns a queryset of one model; `first(**values)` runs its SQL, built once
    per database with `markers` (one distinctive value of the right type per keyword)."""

    def __init__(self, build: Callable, **markers):
        self.build = build
        self.markers = markers
        self._plans: dict[tuple[str, str], _Plan | None] = {}

    def plan(self, db: str = "default") -> _Plan | None:
        connection = connections[db]
        shape = (db, connection.vendor)
        if shape not in self._plans:
            try:
                self._plans[shape] = _Plan(self.build(**self.markers), self.markers, db)
            except LookupError:
                self._plans[shape] = None
        return self._plans[shape]

    def first(self, db: str = "default", **values):
        """The first row's instance (with its `select_related` objects), or None."""
        plan = self.plan(db)
        if plan is None:
            return self.build(**values).using(db).first()
        connection = connections[db]
        with connection.cursor() as cursor:
            execute(cursor, plan.sql, [values[p] if isinstance(p, _Slot) else p for p in plan.slots], db)
            row = cursor.fetchone()
        if row is None:
            return None
        if plan.converters:
            row = next(iter(plan.compiler.apply_converters([row], plan.converters)))
        start, end = plan.fields
        obj = plan.model.from_db(db, plan.init_list, row[start:end])
        for populator in plan.populators:
            populator.populate(row, obj)
        return obj


_INSERTS: dict[tuple, tuple[str, list] | None] = {}


def _insert_plan(model, connection) -> tuple[str, list] | None:
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.pk]
    if (
        meta.parents
        or not connection.features.can_return_columns_from_insert
        or not meta.pk.db_returning
        or any(f.generated or f.has_db_default() for f in fields)
    ):
        return None  # what the ORM does differently there is not repeated here
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {q(meta.pk.column)}"
    )
    return sql, fields


def insert(obj, db: str = "default"):
    """`obj.save(force_insert=True)` for a new instance with an automatic primary key, as one plain
    `INSERT … RETURNING` built once per model and database: the same values (each field's
    `pre_save` then `get_db_prep_save`, as the ORM does), without building the statement again.
    A model with `pre_save`/`post_save` receivers, a parent model, database defaults or generated
    columns go through `save()`: nothing that listens or differs is ever skipped."""
    from django.db.models import signals

    model = type(obj)
    connection = connections[db]
    shape = (db, connection.vendor, model)
    if shape not in _INSERTS:
        _INSERTS[shape] = _insert_plan(model, connection)
    plan = _INSERTS[shape]
    if (
        plan is None
        or obj.pk is not None
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
    ):
        obj.save(force_insert=True, using=db)
        return obj
    sql, fields = plan
    with connection.cursor() as cursor:
        execute(cursor, sql, [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields], db)
        (pk,) = cursor.fetchone()
    obj.pk = model._meta.pk.to_python(pk)
    obj._state.adding, obj._state.db = False, db
    return obj
