"""What each module holds about households, and for how long: the registry the anonymisation job reads.

Like the exporters (core/exports.py), a module declares its holdings from its own code, imported by
its `AppConfig.ready()`:

    retention.register(retention.Holding(
        key="pathways.pathway",
        label="Données du parcours",
        setting="PARCOURS_RETENTION_PATHWAY_DAYS",
        default_days=730,
        justification="…",
        keeps=lambda now, cutoff: Pathway.objects.filter(...).values("household_id"),
        erase=erase_pathway_data,
    ))

- `keeps(now, cutoff)` answers, as a queryset of household ids (one column) or a tuple of them, the households this
  holding still keeps alive: not expired yet, or something open (a pathway, a MAP measure, an aid to
  recover). A household is anonymised only when no holding keeps it and no legal hold is set.
- `erase(household_ids)` blanks, in the caller's transaction, what the module holds about those
  households, keeping the statistical skeleton (department, dates, track, step outcomes, counts)
  so that the evaluation's indicators are unchanged. Files on disk are deleted on commit.
- `erase_unlinked(now, cutoff)` (optional) does the same for expired rows tied to no household
  (a public workshop registration), returning how many it erased.
- One member's erasure on request (RGPD art. 17, `households.services.erase_person_on_request`: a
  child come of age, a parent who left): `keeps_person(now)` answers, as a queryset (or a tuple) of
  person ids (one column), the persons something still open needs (an open pathway she declared, a
  measure where she is a parent or a child, an aid to decide or recover…), named by
  `person_open_label`; `erase_person(person_ids)` blanks what the module holds about those persons
  alone, with the same skeleton kept as `erase`. Both optional: a module that holds nothing about
  one person declares neither.

The job itself lives in `households/anonymisation.py` (core knows no household).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings


@dataclass(frozen=True)
class Holding:
    key: str
    label: str  # French, for the docs and the dry-run
    setting: str  # the setting giving the duration in days
    default_days: int
    justification: str  # French
    keeps: Callable[[datetime, datetime], object]  # (now, cutoff) -> queryset(s) of household ids
    erase: Callable[[list[int]], int] | None = None  # household ids -> rows changed
    erase_unlinked: Callable[[datetime, datetime], int] | None = None
    order: int = 100
    # What keeps a household alive whatever its age (French, « un parcours en cours »): the
    # refusal of an erasure on request names it. `keeps(now, cutoff=now)` gives those households.
    open_label: str = ""
    # One member's erasure on request (see the module's docstring).
    keeps_person: Callable[[datetime], object] | None = None  # now -> queryset(s) of person ids
    person_open_label: str = ""
    erase_person: Callable[[list[int]], int] | None = None  # person ids -> rows changed

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting, self.default_days))

    def cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days)

    def kept(self, now: datetime) -> tuple:
        """The querysets of household ids this holding keeps alive at `now`."""
        kept = self.keeps(now, self.cutoff(now))
        return tuple(kept) if isinstance(kept, (tuple, list)) else (kept,)

    def keeps_household(self, now: datetime, pk: int, *, on_request: bool = False) -> bool:
        """Whether this holding keeps this one household: the same querysets narrowed to it (a
        per-household check must not scan every household's rows, which made the job quadratic).

        `on_request` (an erasure the person asked for, RGPD art. 17): the durations no longer count,
        only what is still open (a cutoff at `now`: nothing is "recent enough" any more)."""
        querysets = self.keeps(now, now) if on_request else self.kept(now)
        for kept in querysets if isinstance(querysets, (tuple, list)) else (querysets,):
            (column,) = kept.query.values_select  # the one column the declaration selects
            if kept.filter(**{column: pk}).exists():
                return True
        return False

    def kept_among(self, now: datetime, ids: list[int], *, on_request: bool = False) -> set[int]:
        """Those of these household ids this holding keeps: its querysets narrowed to them
        (`on_request`: what is still open only, as in `keeps_household`)."""
        found: set[int] = set()
        for kept in self.kept_querysets_among(now, ids, on_request=on_request):
            found.update(kept)
        return found

    def kept_querysets_among(self, now: datetime, ids: list[int], *, on_request: bool = False) -> list:
        """Its querysets narrowed to these household ids, as flat lists of household ids, unordered
        (a model's default ordering would add a sort, and for some a join, to an existence check)."""
        querysets = self.keeps(now, now) if on_request else self.kept(now)
        narrowed = []
        for kept in querysets if isinstance(querysets, (tuple, list)) else (querysets,):
            (column,) = kept.query.values_select
            narrowed.append(
                kept.filter(**{f"{column}__any_of": ids}).order_by().values_list(column, flat=True)
            )
        return narrowed

    def keeps_this_person(self, now: datetime, pk: int) -> bool:
        """Whether something open in this module still needs this one person (narrowed to her)."""
        if self.keeps_person is None:
            return False
        querysets = self.keeps_person(now)
        for kept in querysets if isinstance(querysets, (tuple, list)) else (querysets,):
            (column,) = kept.query.values_select
            if kept.filter(**{column: pk}).exists():
                return True
        return False


_REGISTRY: dict[str, Holding] = {}


def register(holding: Holding) -> Holding:
    _REGISTRY[holding.key] = holding
    return holding


def all_holdings() -> list[Holding]:
    return sorted(_REGISTRY.values(), key=lambda h: (h.order, h.key))


def get(key: str) -> Holding:
    return _REGISTRY[key]


def kept_among(now: datetime, ids: list[int], *, on_request: bool = False) -> set[int]:
    """Those of these household ids any holding keeps: every holding's querysets narrowed to them,
    in one UNION ALL query (one round trip per batch rather than one per declaration)."""
    if not ids:
        return set()
    querysets = [
        kept
        for holding in all_holdings()
        for kept in holding.kept_querysets_among(now, ids, on_request=on_request)
    ]
    return set(querysets[0].union(*querysets[1:], all=True))


ANONYMISED = "Anonymisé"


def delete_files_on_commit(names, storage=None) -> int:
    """Delete these stored files once the transaction that erased their rows commits.

    A rolled-back anonymisation keeps its files; a crash between the commit and the deletion leaves
    an orphan file no row points to (found by `parcours anonymise` of no household: see docs).
    """
    import contextlib

    from django.core.files.storage import default_storage
    from django.db import transaction

    storage = storage or default_storage
    names = [n for n in names if n]

    def delete():
        for name in names:
            with contextlib.suppress(OSError):  # already gone: the erasure is what matters
                storage.delete(name)

    if names:
        transaction.on_commit(delete)
    return len(names)
