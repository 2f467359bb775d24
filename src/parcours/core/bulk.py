"""Fast bulk inserts: imports of tens of thousands of rows a second, and the audit entries they write.

Django's `bulk_create` builds every value through the ORM (and SQLite batches of 999
parameters): fine for a form, ten times too slow for a 100,000-line file. Here rows are plain
lists in the table's column order, converted once per column type, and sent as INSERTs of a
few hundred rows each (SQLite) or with `COPY` (PostgreSQL), by a `Writer` that can work in a
thread of its own while the next rows are built. Ids that other rows point to are reserved up
front, inside the import's transaction.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import sys
import threading
from array import array
from collections.abc import Sequence

from django.db import connection as default_connection
from django.db import models
from django.utils import timezone


def reserve_ids(model: type[models.Model], count: int, connection=default_connection) -> Sequence[int]:
    """`count` fresh primary keys for `model`, valid until the current transaction ends.

    SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so the next ids after both
    the table's maximum and its AUTOINCREMENT counter are ours. PostgreSQL: taken from the
    identity sequence, like any insert would.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence is named once: resolved on every row, it took three quarters of the time.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
            return array("q", [row[0] for row in cursor.fetchall()])  # 8 bytes an id, not 36
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608 (model table name)
        start = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(start, row[0] if row else 0)
    return range(start + 1, start + 1 + count)


class _Memo(dict):
    """Deadlines and dates repeat across a batch: each distinct value is converted once.

    Looked up as `memo[value]` (a C-level dict lookup, no Python call unless the value is
    new); None maps to None, as a NULL needs no conversion.
    """

    def __init__(self, convert):
        super().__init__({None: None})
        self.convert = convert

    def __missing__(self, value):
        found = self[value] = self.convert(value)
        return found


class Table:
    """Rows for one model's table: `add(*values)` in the order of `fields`, then `flush()`.

    Columns not listed take `fixed[name]`, else the field's default (computed once for the
    whole batch: one `timezone.now()`, "" for text); the primary key is written only when
    "id" is listed. A column left NULL is not sent at all (the database fills it): a large
    import spends most of its Python time turning values into the bytes of a COPY.
    """

    def __init__(self, model: type[models.Model], fields: list[str], *, fixed: dict | None = None,
                 connection=default_connection):  # fmt: skip
        self.model = model
        self.connection = connection
        fixed = fixed or {}
        by_name = {}
        for field in model._meta.concrete_fields:
            by_name[field.name] = by_name[field.attname] = field
        listed = [by_name[name] for name in fields]
        now = timezone.now()
        rest, tail = [], []
        for field in model._meta.concrete_fields:
            if field in listed or (field.primary_key and "id" not in fields):
                continue
            if field.name in fixed or field.attname in fixed:
                value = fixed.get(field.name, fixed.get(field.attname))
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()  # "" for text, None when nullable
            if value is None and field.db_default is models.NOT_PROVIDED:
                continue  # NULL: the column's default in the database
            rest.append(field)
            tail.append(value)
        self.fields = listed + rest
        self.width = len(listed)
        self.columns = [f.column for f in self.fields]
        self.converters = []
        sqlite = connection.vendor == "sqlite"
        ops = connection.ops
        for i, field in enumerate(self.fields):
            internal = field.get_internal_type()
            if internal == "JSONField":
                convert = lambda v, f=field: None if v is None else f.get_db_prep_save(v, connection)  # noqa: E731
            elif sqlite and internal == "DateTimeField":
                convert = _Memo(ops.adapt_datetimefield_value).__getitem__
            elif sqlite and internal == "DateField":
                convert = _Memo(ops.adapt_datefield_value).__getitem__
            else:
                continue
            if i < self.width:
                self.converters.append((i, convert))
            elif tail[i - self.width] is not None:
                tail[i - self.width] = _dumped_once(convert(tail[i - self.width]))
        self.tail = tuple(tail)
        self.rows: list = []
        self.pg_types = _pg_types(self.fields) if connection.vendor == "postgresql" else None
        self._per_insert: int | None = None

    def add(self, *values) -> None:
        self.rows.append(values + self.tail)  # one tuple per row, the fixed columns included

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self) -> int:
        """Write the rows now, on the connection of the current transaction."""
        batch = self.take()
        if batch is None:
            return 0
        batch.write_now()
        return batch.count

    def take(self) -> Batch | None:
        """The rows added so far, ready to be written (the table starts empty again).

        For SQLite they come as one flat list of parameters per INSERT of `per_insert` rows,
        built here, in the thread that adds rows, rather than in the Writer's.
        """
        rows, self.rows = self.rows, []
        if not rows:
            return None
        count = len(rows)
        if self.converters:
            rows = self._converted(rows)
        if self.connection.vendor != "sqlite":
            return Batch(self, rows, count)
        groups, start = [], 0
        for size in _statement_sizes(count, self.per_insert()):
            flat = []
            extend = flat.extend
            for values in rows[start : start + size]:
                extend(values)
            groups.append(flat)
            start += size
        return Batch(self, groups, count)

    def _converted(self, rows: list) -> list:
        converters, converted = self.converters, []
        for values in rows:
            values = list(values)
            for i, convert in converters:
                values[i] = convert(values[i])  # None stays None
            converted.append(values)
        return converted

    def per_insert(self) -> int:
        """Rows per SQLite INSERT: a few hundred, within the build's limit of parameters."""
        if self._per_insert is None:
            self.connection.ensure_connection()
            limit = self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self._per_insert = max(1, min(_SQLITE_ROWS_PER_INSERT, limit // len(self.columns)))
        return self._per_insert


def _dumped_once(value):
    """A JSON value repeated on every row (psycopg's Jsonb): serialised here, once, not per row."""
    from psycopg.types.json import Jsonb

    if not isinstance(value, Jsonb):
        return value
    text = (value.dumps or json.dumps)(value.obj)
    return Jsonb(value.obj, dumps=lambda _obj: text)


def _write_now(job, connection) -> None:
    """A Writer's job run in the calling thread, on Django's connection, so
    that errors become Django's."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        job.write(connection.connection)


class Batch:
    """Prepared rows of one table, written through the DB-API connection itself: the Writer's
    thread cannot use Django's connection object, which belongs to the thread that opened it."""

    __slots__ = ("table", "rows", "count")

    def __init__(self, table: Table, rows: list, count: int):
        self.table, self.rows, self.count = table, rows, count

    def write_now(self) -> None:
        _write_now(self, self.table.connection)

    def write(self, raw) -> None:
        table, rows = self.table, self.rows
        name = table.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in table.columns)
        if table.connection.vendor == "postgresql":
            # psycopg 3: COPY is the fastest way in, binary when every type is known
            binary = " (FORMAT BINARY)" if table.pg_types else ""
            with raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({columns}) FROM STDIN{binary}') as copy:
                if table.pg_types:
                    copy.set_types(table.pg_types)
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite: many rows per INSERT. Per row, executemany costs a statement reset and a trip
        # through the GIL; a few hundred rows per statement insert a fifth faster, and the GIL is
        # released for the whole statement (see Writer).
        width = len(table.columns)
        one = "(" + ", ".join(["?"] * width) + ")"
        head = f'INSERT INTO "{name}" ({columns}) VALUES '  # noqa: S608 (model table and columns)
        full = head + ", ".join([one] * table.per_insert())
        cursor = raw.cursor()
        try:
            for flat in rows:
                count = len(flat) // width
                cursor.execute(full if count == table.per_insert() else head + ", ".join([one] * count), flat)
        finally:
            cursor.close()


_SQLITE_ROWS_PER_INSERT = 512


def _statement_sizes(count: int, per: int) -> list[int]:
    """Rows per INSERT: `per`, then powers of two for the rest. SQLite keeps each prepared
    statement (hundreds of kilobytes for 512 rows of 20 columns) in the connection's cache: a
    remainder of any length would add one per chunk and table; this way a table has ten shapes."""
    full, rest = divmod(count, per)
    sizes = [per] * full
    bit = 1 << per.bit_length()
    while rest:
        if bit <= rest:
            sizes.append(bit)
            rest -= bit
        bit >>= 1
    return sizes


class Writer:
    """Writes tables in the order they are sent, in the caller's transaction.

    Inline, each table is written when sent. In the background, a thread of its own writes
    them while the caller builds the next rows: the database works (SQLite in C without the
    GIL, PostgreSQL in its own process) alongside the Python that prepares the rows, instead
    of after it. The caller must not use the connection between `start()` and `close()`; a
    failed write is raised again in the caller at its next `send()` or at `close()`, and the
    caller's transaction rolls everything back.

    On PostgreSQL foreign keys are checked as each table is written rather than all at
    commit (they are deferred otherwise), so that this work too runs alongside the Python:
    the caller sends parents before their children.
    """

    def __init__(
        self,
        connection=default_connection,
        *,
        background: bool = False,
        depth: int = 8,
    ):
        self.connection = connection
        self.background = background
        self.depth = depth
        self.error: BaseException | None = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._switch: float | None = None

    def start(self) -> Writer:
        if not self.background:
            return self
        self.connection.ensure_connection()
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Hand the GIL over within 0.5 ms (instead of 5) when the writer's statement returns.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, 0.0005))
        self._queue = queue.Queue(maxsize=self.depth)
        self._thread = threading.Thread(
            target=self._run, args=(self.connection.connection,), name="parcours-bulk-writer", daemon=True
        )
        self._thread.start()
        return self

    def _run(self, raw) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self.error is None:  # after a failure, the rest is dropped: the transaction is lost anyway
                try:
                    batch.write(raw)
                except BaseException as exc:  # noqa: BLE001 (raised again in the caller's thread)
                    self.error = exc

    def send(self, table: Table) -> None:
        self._raise_failure()
        batch = table.take()
        if batch is None:
            return
        if self._thread is None:
            batch.write_now()
        else:
            self._queue.put(batch)

    def close(self) -> None:
        """Wait for every write; raise the first failure."""
        if self._thread is not None:
            self._stop()
        self._raise_failure()
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                # Rows written inline are checked now rather than at commit: what follows the
                # writer (the import's hooks) reads them and must not meet a broken link first.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def abandon(self) -> None:
        """Stop after a failure in the caller: skip what is queued, wait for the write in progress."""
        if self._thread is not None:
            self.error = self.error or RuntimeError("écriture abandonnée")  # the thread skips the rest
            self._stop()

    def _stop(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._thread = None
        sys.setswitchinterval(self._switch)

    def _raise_failure(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            with self.connection.wrap_database_errors:
                raise error

    def __enter__(self) -> Writer:
        return self.start()

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


# Django field type -> PostgreSQL type for a binary COPY (a third faster than text: no formatting).
_PG_TYPES = {
    "AutoField": "int4", "BigAutoField": "int8", "SmallAutoField": "int2",
    "IntegerField": "int4", "BigIntegerField": "int8", "SmallIntegerField": "int2",
    "PositiveIntegerField": "int4", "PositiveBigIntegerField": "int8", "PositiveSmallIntegerField": "int2",
    "CharField": "varchar", "TextField": "text", "EmailField": "varchar", "SlugField": "varchar",
    "BooleanField": "bool", "DateField": "date", "DateTimeField": "timestamptz", "TimeField": "time",
    "JSONField": "jsonb", "BinaryField": "bytea",
}  # fmt: skip


def _pg_types(fields) -> list[str] | None:
    types = []
    for field in fields:
        target = field.target_field if field.is_relation else field
        name = _PG_TYPES.get(target.get_internal_type())
        if name is None:
            return None  # an unusual column: text COPY then
        types.append(name)
    return types


def update_rows(model: type[models.Model], rows: Sequence[models.Model], fields: Sequence[str],
                connection=default_connection) -> int:  # fmt: skip
    """`UPDATE … SET <fields> WHERE id = …` for each row, sent as one `executemany` (one statement for the
    batch). Django's `bulk_update` builds a CASE expression per field and row: for a batch of a hundred
    messages it cost more than deciding and sending them."""
    if not rows:
        return 0
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    sets = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in columns)
    pk = meta.pk
    sql = f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {sets} WHERE {connection.ops.quote_name(pk.column)} = %s"  # noqa: S608,E501 (model's own table and columns)
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns]
        + [pk.get_db_prep_save(row.pk, connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(rows)
