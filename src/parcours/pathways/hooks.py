"""What other modules tell the opening of pathways, and what it tells them (registered at start-up).

The pathways module does not know the protection module (which depends on it); the safety rules
that must hold for every declaration — form, file, API — plug in here:

- `known_violence(household_ids) -> set of ids`: households with violence on record (a violence
  report). A new declaration for one of them opens a *protected* pathway, without mediation, even
  when the declaration itself says nothing about violence: a violence report follows the family.
- `violence_signalled(actor, source, signals)`: called once per batch, in its transaction, with
  every declaration that reports violence (`ViolenceSignal`), so that each becomes a violence
  report at once — in bulk, a fixed number of queries per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ViolenceSignal:
    """A declaration that reports violence: its household, its declarant (the presumed person at
    risk), the pathway it opened and the social worker that pathway was given (or None)."""

    household_id: int
    person_id: int
    pathway_id: int
    social_worker_id: int | None
    pathway_open: bool


KNOWN_VIOLENCE: list[Callable[[list[int]], set[int]]] = []
VIOLENCE_SIGNALLED: list[Callable[..., None]] = []


def register_known_violence(func: Callable[[list[int]], set[int]]) -> Callable:
    KNOWN_VIOLENCE.append(func)
    return func


def register_violence_signalled(func: Callable[..., None]) -> Callable:
    VIOLENCE_SIGNALLED.append(func)
    return func


def known_violence(household_ids: Iterable[int]) -> set[int]:
    ids = list(household_ids)
    found: set[int] = set()
    if not ids:
        return found
    for func in KNOWN_VIOLENCE:
        found |= func(ids)
    return found


def violence_signalled(*, actor, source: str, signals: list[ViolenceSignal]) -> None:
    if not signals:
        return
    for func in VIOLENCE_SIGNALLED:
        func(actor=actor, source=source, signals=signals)
