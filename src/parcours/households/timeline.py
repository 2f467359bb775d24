"""The household timeline: modules register sources (events, steps, contacts, messages, reports…).

A source is a function (actor, household) -> iterable of TimelineEntry, called once the access
policy has let the actor open the household. The timeline shows them merged in time order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # e.g. "event", "step", "contact", "message", "change"
    title: str
    detail: str = ""
    status: str = ""  # e.g. "sent", "failed", "late"
    extra: dict = field(default_factory=dict)


SOURCES: dict[str, Callable[..., Iterable[TimelineEntry]]] = {}


def register(key: str):
    def decorator(func):
        SOURCES[key] = func
        return func

    return decorator


def entries_for(actor, household) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for source in SOURCES.values():
        entries.extend(source(actor, household))
    return sorted(entries, key=lambda e: e.at, reverse=True)
