"""The calendar of a measure, as pure functions (no database): the property tests drive them directly.

1. `visit_dates(terms)`: the visits the order gives, as local dates (start day, return day): the
   rhythm from the first visit day, minus the periods the order excludes, with the school holidays'
   rule (suspended, kept, or the first / second half) and the return moved to a public holiday that
   follows the visit when the order says so.
2. `plan(visits, ...)`: each visit becomes two handovers (outbound, mirrored return) whose times are
   wall-clock times of the department's time zone (Europe/Paris changes hour on 29 March and 25 October
   2026; Indian/Reunion never does), stored as aware datetimes; every appointment is pushed forward
   until no parent shares a place with the other within `gap` (the staggering rule).
3. `stagger_conflicts` and `booking_conflicts`: the two invariants, checked again on every edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKLY, FORTNIGHTLY, PRISON = "weekly", "fortnightly", "prison"
NONE, KEEP, FIRST_HALF, SECOND_HALF, ALTERNATE = "none", "keep", "first_half", "second_half", "alternate"
OUTBOUND, RETURN = "outbound", "return"
# Shorter breaks (the Ascension bridge) do not change the rhythm.
MIN_HOLIDAY_DAYS = 7


@dataclass(frozen=True)
class Terms:
    starts_on: date
    ends_on: date
    first_visit_on: date
    rhythm: str = FORTNIGHTLY
    visit_days: int = 0
    pickup_time: time = time(10)
    return_time: time = time(18)
    holidays: str = KEEP
    extend_on_public_holiday: bool = True
    exclusions: tuple[tuple[date, date], ...] = ()  # inclusive
    holiday_periods: tuple[tuple[date, date], ...] = ()  # [first day, day back)
    public_holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Visit:
    starts_on: date
    ends_on: date
    holiday: bool = False


def _excluded(terms: Terms, start: date, end: date) -> bool:
    return any(not (end < a or start > b) for a, b in terms.exclusions)


def _in_holidays(terms: Terms, day: date) -> bool:
    return any(a <= day < b and (b - a).days >= MIN_HOLIDAY_DAYS for a, b in terms.holiday_periods)


def _holiday_visits(terms: Terms) -> list[Visit]:
    visits = []
    for start, back in terms.holiday_periods:
        length = (back - start).days
        if length < MIN_HOLIDAY_DAYS:
            continue
        middle = start + timedelta(days=length // 2)
        half = terms.holidays
        if half == ALTERNATE:
            half = FIRST_HALF if start.year % 2 == 0 else SECOND_HALF
        first, last = (start, middle) if half == FIRST_HALF else (middle, back - timedelta(days=1))
        visits.append(Visit(first, last, holiday=True))
    return visits


def visit_dates(terms: Terms) -> list[Visit]:
    """The visits of the order between its start and end, in order, never overlapping."""
    if terms.rhythm == PRISON:
        return []  # built from the slots the establishment grants
    step = timedelta(days=7 if terms.rhythm == WEEKLY else 14)
    candidates: list[Visit] = []
    day = terms.first_visit_on
    while day <= terms.ends_on:
        if day >= terms.starts_on and not (terms.holidays != KEEP and _in_holidays(terms, day)):
            candidates.append(Visit(day, day + timedelta(days=terms.visit_days)))
        day += step
    if terms.holidays in (FIRST_HALF, SECOND_HALF, ALTERNATE):
        candidates += _holiday_visits(terms)
    kept: list[Visit] = []
    for visit in sorted(candidates, key=lambda v: v.starts_on):
        end = visit.ends_on
        if terms.extend_on_public_holiday and end + timedelta(days=1) in terms.public_holidays:
            end += timedelta(days=1)
        visit = replace(visit, ends_on=end)
        if visit.starts_on < terms.starts_on or visit.ends_on > terms.ends_on:
            continue
        if _excluded(terms, visit.starts_on, visit.ends_on):
            continue
        if kept and visit.starts_on <= kept[-1].ends_on:
            continue
        kept.append(visit)
    return kept


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of a wall-clock time in `tz`, in UTC. A time that does not exist (the hour skipped on
    the last Sunday of March) is read with the offset before the change, i.e. one hour later on the clock."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@dataclass
class Leg:
    """One handover: `from_parent` meets the accompanist at `from_place` at `from_at`, `to_parent`
    receives the child at `to_place` at `to_at`. Parents and places are opaque keys (ids)."""

    leg: str
    visit: int
    from_parent: object
    to_parent: object
    from_place: object
    to_place: object
    from_at: datetime
    to_at: datetime
    key: object = None  # the database id, once saved
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Appointment:
    parent: object
    place: object
    at: datetime
    leg_key: object = None


def appointments(legs: Iterable[Leg]) -> list[Appointment]:
    found = []
    for leg in legs:
        found.append(Appointment(leg.from_parent, leg.from_place, leg.from_at, leg.key))
        found.append(Appointment(leg.to_parent, leg.to_place, leg.to_at, leg.key))
    return found


def appointments_of(parent, legs: Iterable[Leg]) -> list[Appointment]:
    """What one parent is told: their own times and places, nothing of the other's."""
    return [a for a in appointments(legs) if a.parent == parent]


def stagger_conflicts(items: Sequence[Appointment], gap: timedelta) -> list[tuple[Appointment, Appointment]]:
    """Pairs of appointments of two different parents at the same place less than `gap` apart.

    Sorted by place and time, a conflicting pair exists exactly when two neighbours with different
    parents are less than `gap` apart (the parent changes somewhere between them), so neighbours suffice.
    """
    found = []
    ordered = sorted(items, key=lambda a: (str(a.place), a.at))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if first.place == second.place and first.parent != second.parent and second.at - first.at < gap:
            found.append((first, second))
    return found


def _first_free(parent, place, at: datetime, placed: list[Appointment], gap: timedelta) -> datetime:
    """The earliest instant ≥ `at` when `parent` may be at `place` without meeting the other parent."""
    moved = True
    while moved:
        moved = False
        for other in placed:
            if other.place == place and other.parent != parent and abs(other.at - at) < gap:
                at = other.at + gap
                moved = True
    return at


def place_leg(leg: Leg, placed: list[Appointment], gap: timedelta, trip: timedelta) -> Leg:
    """Push the leg's two appointments forward until neither meets the other parent; keeps the trip
    length at least `trip` (the accompanist cannot be faster than the road)."""
    from_at = _first_free(leg.from_parent, leg.from_place, leg.from_at, placed, gap)
    to_at = max(leg.to_at + (from_at - leg.from_at), from_at + trip)
    while True:
        to_free = _first_free(leg.to_parent, leg.to_place, to_at, placed, gap)
        # Both ends of the same leg, when at the same place, must also be staggered.
        if leg.to_place == leg.from_place and leg.to_parent != leg.from_parent:
            to_free = max(to_free, from_at + gap)
        if to_free == to_at:
            break
        to_at = to_free
    leg.from_at, leg.to_at = from_at, to_at
    return leg


def plan(
    visits: Sequence[Visit],
    *,
    terms: Terms,
    tz: ZoneInfo,
    residential,
    visiting,
    residential_place,
    visiting_place,
    trip: timedelta,
    gap: timedelta,
    existing: Sequence[Appointment] = (),
    first_number: int = 1,
) -> list[Leg]:
    """Two handovers per visit, with staggered times; `existing` appointments are respected too."""
    placed = list(existing)
    legs: list[Leg] = []
    for number, visit in enumerate(visits, start=first_number):
        pickup = local_moment(visit.starts_on, terms.pickup_time, tz)
        back = local_moment(visit.ends_on, terms.return_time, tz)
        outbound = Leg(
            OUTBOUND, number, residential, visiting, residential_place, visiting_place, pickup, pickup + trip
        )
        place_leg(outbound, placed, gap, trip)
        placed += appointments([outbound])
        back = max(back, outbound.to_at + gap)
        mirrored = Leg(
            RETURN, number, visiting, residential, visiting_place, residential_place, back, back + trip
        )
        place_leg(mirrored, placed, gap, trip)
        placed += appointments([mirrored])
        legs += [outbound, mirrored]
    return legs


@dataclass(frozen=True)
class Busy:
    key: object
    starts: datetime
    ends: datetime


def booking_conflicts(busy: Sequence[Busy], travel: timedelta) -> list[tuple[Busy, Busy]]:
    """Pairs of one accompanist's handovers closer than the travel time (sorted: neighbours suffice,
    since every handover ends after it starts and a later start cannot end before an earlier one starts)."""
    ordered = sorted(busy, key=lambda b: (b.starts, b.ends))
    found = []
    latest: Busy | None = None
    for item in ordered:
        if latest is not None and item.starts < latest.ends + travel:
            found.append((latest, item))
        if latest is None or item.ends > latest.ends:
            latest = item
    return found
