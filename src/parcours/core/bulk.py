"""Fast bulk inserts: imports of tens of thousands of rows a second, and the audit entries they write.

Django's `bulk_create` builds every value through the ORM (and SQLite batches of 999
parameters): fine for a form, ten times too slow for a 100,000-line file. Here rows are plain
lists in the table's column order, converted once per column type, and sent with
`executemany` (SQLite) or `COPY` (PostgreSQL). Ids that other rows point to are reserved up
front, inside the import's transaction.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import models
from django.utils import timezone


def reserve_ids(model: type[models.Model], count: int, connection=default_connection) -> list[int]:
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
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608 (model table name)
        start = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(start, row[0] if row else 0)
    return list(range(start + 1, start + 1 + count))


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
    "id" is listed.
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
            rest.append(field)
            if field.name in fixed or field.attname in fixed:
                tail.append(fixed.get(field.name, fixed.get(field.attname)))
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                tail.append(now)
            else:
                tail.append(field.get_default())  # "" for text, None when nullable
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
                tail[i - self.width] = convert(tail[i - self.width])
        self.tail = tuple(tail)
        self.rows: list = []
        self.pg_types = _pg_types(self.fields) if connection.vendor == "postgresql" else None

    def add(self, *values) -> None:
        self.rows.append(values)

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        tail = self.tail
        if self.converters:
            prepared = []
            converters = self.converters
            for values in rows:
                row = list(values)
                for i, convert in converters:
                    row[i] = convert(row[i])  # None stays None
                row.extend(tail)
                prepared.append(row)
        else:
            prepared = [values + tail for values in rows]
        table = self.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                raw = cursor.cursor  # psycopg 3: COPY is the fastest way in, binary when every type is known
                binary = " (FORMAT BINARY)" if self.pg_types else ""
                with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN{binary}') as copy:
                    if self.pg_types:
                        copy.set_types(self.pg_types)
                    for row in prepared:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', prepared)  # noqa: S608
        return len(prepared)


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
