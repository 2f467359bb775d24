"""`field__any_of=[…]`: membership in a list of integers bound as ONE parameter (an array on
PostgreSQL, a JSON array on SQLite) instead of one placeholder per value.

The anonymisation filters some forty statements per batch by the batch's 500 household ids: with
`__in`, each statement is compiled by Django and re-parsed by the driver with 500 placeholders,
which cost more CPU than the statements themselves (cProfile of a run, see
docs/decisions/perf-029-anonymisation-un-parametre-par-lot.md). The plans are the same: PostgreSQL
turns `IN (…)` into `= ANY('{…}')` itself.
"""

from __future__ import annotations

import json

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        # Integers only (ids): anything else is a programming error, refused before the database.
        return "%s", [[int(v) for v in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::bigint[])", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, (values,) = self.process_rhs(compiler, connection)
        # Column and placeholder from Django, the values bound as one JSON parameter.
        return f"{lhs} IN (SELECT value FROM json_each({rhs}))", [*lhs_params, json.dumps(values)]  # noqa: S608


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # a foreign key's lookups do not inherit Field's
