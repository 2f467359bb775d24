"""Scale a seeded demo year up for the evaluation benchmark (PostgreSQL): `multiply(times)` copies the
families, their declarations, pathways, steps and contact attempts `times − 1` times, in SQL.

Each copy keeps the demo year's distribution (departments, months, tracks, outcomes, delays) and
goes through the real constraints: primary keys, the composite "copies" foreign keys, the unique
file number per department and external id per department ("C" + the copy's id), the checks. No
constraint is dropped or deferred past a batch: each batch of copies is one transaction, whose
deferred foreign keys are checked at its commit. Ids are shifted by the table's largest id times k
(the foreign keys to copied tables by theirs), then the sequences are moved past the copies.
"""

from __future__ import annotations

import time

# Parents first: each copy's foreign keys find their copied parents in the same batch.
TABLES = (
    "households_household",
    "households_person",
    "pathways_separationevent",
    "pathways_pathway",
    "pathways_pathwaystep",
    "pathways_contactattempt",
)
SUFFIXED = {"households_household": "file_number", "pathways_separationevent": "external_id"}


def _foreign_keys(cursor, table: str) -> dict[str, str]:
    """{column: referenced table} for the single-column foreign keys of `table` to copied tables."""
    cursor.execute(
        """
        SELECT a.attname, c.confrelid::regclass::text
        FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND array_length(c.conkey, 1) = 1
        """,
        [table],
    )
    return {column: target for column, target in cursor.fetchall() if target in TABLES}


def multiply(times: int, *, batch: int = 20, log=print) -> dict:
    """Copy the copied tables' current rows `times − 1` times; returns the row counts and seconds."""
    from django.db import connection, transaction

    assert connection.vendor == "postgresql", "the scale-up writes PostgreSQL SQL"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        offsets, plans = {}, {}
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            offsets[table] = cursor.fetchone()[0]
        for table in TABLES:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "ORDER BY ordinal_position",
                [table],
            )
            columns = [c for (c,) in cursor.fetchall()]
            references = _foreign_keys(cursor, table)
            values = []
            for column in columns:
                if column == "id":
                    values.append(f"t.id + k.k * {offsets[table]}")
                elif column in references:
                    values.append(f"t.{column} + k.k * {offsets[references[column]]}")
                elif SUFFIXED.get(table) == column:
                    # "C" + the copy's own id: unique whatever was copied before (a copy of a copy).
                    values.append(
                        f"CASE WHEN t.{column} IS NULL THEN NULL ELSE 'C' || (t.id + k.k * {offsets[table]}) END"
                    )
                else:
                    values.append(f"t.{column}")
            plans[table] = (
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
                f"FROM {table} t CROSS JOIN generate_series(%s, %s) AS k(k) WHERE t.id <= {offsets[table]}"
            )
    for first in range(1, times, batch):
        last = min(times - 1, first + batch - 1)
        with transaction.atomic(), connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(plans[table], [first, last])
        log(f"copies {first}–{last} of {times - 1} ({time.perf_counter() - started:.0f} s)")
    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        cursor.execute("ANALYZE")
    return {"rows": counts, "seconds": round(time.perf_counter() - started, 1)}
