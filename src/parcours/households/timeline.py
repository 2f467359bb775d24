"""The household timeline: modules register sources (events, steps, contacts, messages, reports…).

A source is a function (actor, household) -> iterable of TimelineEntry, called once the access
policy has let the actor open the household. The timeline shows them merged in time order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # e.g. "event", "step", "contact", "message", "change"
    title: str
    detail: str = ""
    status: str = ""  # e.g. "sent", "failed", "late"
    extra: dict = field(default_factory=dict)
    # Where only a day was recorded (a request received on, a payment made on): shown without any
    # time, and `at` is only where the entry sorts within that day, never displayed.
    day: date | None = None


def on_day(day: date, tz, *, late_in_day: bool = False, **values) -> TimelineEntry:
    """An entry known by its day only: sorted at the start of that day (or its end, for what
    closes the day's events, such as a payment), displayed as the day alone."""
    moment = datetime.combine(day, time.min, tzinfo=tz)
    if late_in_day:
        moment += timedelta(days=1, microseconds=-1)
    return TimelineEntry(at=moment, day=day, **values)


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
