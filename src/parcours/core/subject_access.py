"""The right of access (RGPD art. 15): what each module holds about ONE person, for her file.

Like the exporters and the retention registry, each module declares its part from its own code,
imported by its `AppConfig.ready()` (core knows no household):

    subject_access.register(subject_access.Section(
        key="workshops.registrations", title="Inscriptions aux séances", order=50,
        collect=lambda subject: [subject_access.Entry("Séance du 12 mars 2026", [("Statut", "…")])],
    ))

`collect(subject)` returns the entries about `subject.person` only: never another member's data,
never a staff member's free-text note (observations, motifs, précisions: internal by nature), never
a protected address in clear. `subject.withheld` is True when the household holds protected matters
about someone else (a violence report naming another member): the sections then leave out what would
tell the person that they exist (the protected track's steps). Modules say so through
`register_withholding(person -> bool)`.

`register_guard(person -> iterable of texts)`: the texts private to OTHER members (their addresses,
the channels of the person at risk…) a module knows; the finished file is searched for them and
refused if one appears — a net under the sections, which must never need it.

The document itself (JSON and PDF, the exporter, the policy) is in `households/subject_access.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    title: str
    fields: list[tuple[str, Any]]  # (French label, value): value is text, a date, a number or a bool
    items: list[Entry] = field(default_factory=list)  # nested entries (a pathway's steps)


@dataclass
class Subject:
    person: Any
    actor: Any
    withheld: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # French
    collect: Callable[[Subject], list[Entry]]
    order: int = 100
    empty: str = "Aucune donnée."


_SECTIONS: dict[str, Section] = {}
_WITHHOLDING: list[Callable[[Any], bool]] = []
_GUARDS: list[Callable[[Any], Iterable[str]]] = []


def register(section: Section) -> Section:
    _SECTIONS[section.key] = section
    return section


def all_sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def register_withholding(func: Callable[[Any], bool]) -> Callable:
    """`func(person) -> bool`: True when the household holds protected matters about someone else."""
    _WITHHOLDING.append(func)
    return func


def register_guard(func: Callable[[Any], Iterable[str]]) -> Callable:
    """`func(person) -> texts` private to that person: no other member's file may contain them."""
    _GUARDS.append(func)
    return func


def is_withheld(person) -> bool:
    return any(probe(person) for probe in _WITHHOLDING)


def private_texts(person) -> set[str]:
    """What the guards say is private to `person` (texts of at least 4 characters, to avoid noise)."""
    texts: set[str] = set()
    for guard in _GUARDS:
        texts |= {t.strip() for t in guard(person) if t and len(t.strip()) >= 4}
    return texts
