"""What the panels of one page read once and share (the household page: timeline and panels).

The household page renders a panel per module and a timeline excerpt, and several of them read
the same rows (the household's messages, its workshop activity, its violence reports). The view
that renders them calls `start(obj)`; within that render, `shared(obj, key, compute)` computes
once. Anywhere else `compute()` runs every time, so a service or a test never sees a stale read.

Most households have no violence report, no emergency aid, no workshop registration, no contact
attempt yet: a query each to find nothing was a third of the household page's queries. Modules
register a *probe* per kind of row (`register_probe`); within a page, the first `may_have(obj, key)`
asks the database once, in a single query of EXISTS clauses, which kinds the object has at all.
A probe only tells whether to look: the module's own read, with its access rules, still decides
what is shown. Outside a page, or for a probe registered too late, `may_have` answers True.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")
_ATTR = "_page_memo"
_PROBED = ("page_memo", "probed")
# model -> {key: (model of the rows, their foreign key to the instance)}
PROBES: dict[type, dict[str, tuple[type, str]]] = {}


def start(obj) -> None:
    obj.__dict__[_ATTR] = {}


def active(obj) -> bool:
    """Whether `obj` is being rendered by a page that shares its reads."""
    return obj is not None and obj.__dict__.get(_ATTR) is not None


def shared(obj, key, compute: Callable[[], T]) -> T:
    memo = obj.__dict__.get(_ATTR) if obj is not None else None
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def rows(obj, key: str, queryset) -> list:
    """The rows of `queryset` (of kind `key`), or none without a query when the probe found none."""
    return list(queryset) if may_have(obj, key) else []


def register_probe(model: type, key: str, related: type, field: str) -> None:
    """Declare that the rows of kind `key` of an instance of `model` are those of `related` whose
    foreign key `field` points to it."""
    PROBES.setdefault(model, {})[key] = (related, field)
    _SQL.pop(model, None)


def may_have(obj, key: str) -> bool:
    """False only when the page's probe found no row of kind `key` for `obj`."""
    memo = obj.__dict__.get(_ATTR) if obj is not None else None
    if memo is None:
        return True
    found = memo.get(_PROBED)
    if found is None:
        found = memo[_PROBED] = _probe(obj)
    return found.get(key, True)


# model -> (keys, SQL): written once, from the models' table and column names. Built by the ORM,
# the query of seven EXISTS clauses took 5 ms to compile on every page, ten times its execution.
_SQL: dict[type, tuple[list[str], str]] = {}


def _probe(obj) -> dict[str, bool]:
    model = type(obj)
    if model not in _SQL:
        probes = PROBES.get(model, {})
        quote = connection.ops.quote_name
        clauses = []
        for related, field in probes.values():
            column = related._meta.get_field(field).column
            table = quote(related._meta.db_table)
            clauses.append(f"EXISTS(SELECT 1 FROM {table} WHERE {quote(column)} = %s)")  # noqa: S608 (model names)
        _SQL[model] = (list(probes), "SELECT " + ", ".join(clauses))
    keys, sql = _SQL[model]
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [obj.pk] * len(keys))
        row = cursor.fetchone()
    return {key: bool(value) for key, value in zip(keys, row, strict=True)}
