"""Property tests of the calendar (pure functions): random terms, time zones, places and edits.

Invariants: (1) the two parents are never given the same place less than the gap apart, after the
generation and after any sequence of edits (an edit that would break it is refused, and the check that
refuses it agrees with a brute-force comparison of every pair); (2) each parent's own list holds only
their appointments; (3) visits stay inside the measure, outside the excluded dates, never overlap; (4)
times are the terms' wall-clock times in the department's zone (or later, when staggered).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from parcours.accompaniment import planning

ZONES = ("Europe/Paris", "Indian/Reunion")
RESIDENTIAL, VISITING = 1, 2


def brute_force_conflicts(items, gap):
    return [
        (a, b)
        for i, a in enumerate(items)
        for b in items[i + 1 :]
        if a.place == b.place and a.parent != b.parent and abs(a.at - b.at) < gap
    ]


@st.composite
def terms_strategy(draw):
    starts = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 330)))
    ends = starts + timedelta(days=draw(st.integers(7, 220)))
    minutes = st.integers(0, 23 * 12 + 11).map(lambda n: time(n // 12, (n % 12) * 5))
    holiday_periods = []
    for _ in range(draw(st.integers(0, 4))):
        a = starts + timedelta(days=draw(st.integers(-10, 200)))
        holiday_periods.append((a, a + timedelta(days=draw(st.integers(3, 20)))))
    exclusions = []
    for _ in range(draw(st.integers(0, 3))):
        a = starts + timedelta(days=draw(st.integers(0, 200)))
        exclusions.append((a, a + timedelta(days=draw(st.integers(0, 10)))))
    public = frozenset(starts + timedelta(days=d) for d in draw(st.lists(st.integers(0, 220), max_size=6)))
    return planning.Terms(
        starts_on=starts,
        ends_on=ends,
        first_visit_on=starts + timedelta(days=draw(st.integers(0, 13))),
        rhythm=draw(st.sampled_from([planning.WEEKLY, planning.FORTNIGHTLY])),
        visit_days=draw(st.integers(0, 3)),
        pickup_time=draw(minutes),
        return_time=draw(minutes),
        holidays=draw(
            st.sampled_from(
                [planning.NONE, planning.KEEP, planning.FIRST_HALF, planning.SECOND_HALF, planning.ALTERNATE]
            )
        ),
        extend_on_public_holiday=draw(st.booleans()),
        exclusions=tuple(exclusions),
        holiday_periods=tuple(holiday_periods),
        public_holidays=public,
    )


edits_strategy = st.lists(
    st.tuples(
        st.integers(0, 10_000),  # which handover
        st.integers(-180, 180),  # shift of the pick-up, minutes
        st.integers(-180, 180),  # shift of the drop-off, minutes
        st.sampled_from(["keep", "home", "neutral"]),  # move the drop-off place
    ),
    max_size=12,
)


def _apply(legs, index, shift_from, shift_to, place, gap):
    """An edit as the service does it: refused when the stagger check finds a conflict."""
    target = legs[index % len(legs)]
    edited = planning.Leg(**{**target.__dict__})
    edited.from_at += timedelta(minutes=shift_from)
    edited.to_at += timedelta(minutes=shift_to)
    if place != "keep":
        edited.to_place = place
    if edited.to_at <= edited.from_at:
        return legs, False
    candidate = [edited if leg is target else leg for leg in legs]
    items = planning.appointments(candidate)
    found = planning.stagger_conflicts(items, gap)
    # The fast check and the brute force agree on every candidate, accepted or not.
    assert bool(found) == bool(brute_force_conflicts(items, gap))
    return (legs, False) if found else (candidate, True)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    terms=terms_strategy(),
    zone=st.sampled_from(ZONES),
    same_place=st.booleans(),
    trip_minutes=st.integers(5, 120),
    gap_minutes=st.integers(5, 60),
    edits=edits_strategy,
)
def test_parents_never_meet_and_each_sees_only_their_own(
    terms, zone, same_place, trip_minutes, gap_minutes, edits
):
    tz = ZoneInfo(zone)
    gap, trip = timedelta(minutes=gap_minutes), timedelta(minutes=trip_minutes)
    home, neutral = "home", ("home" if same_place else "neutral")
    visits = planning.visit_dates(terms)
    legs = planning.plan(
        visits, terms=terms, tz=tz, residential=RESIDENTIAL, visiting=VISITING,
        residential_place=home, visiting_place=neutral, trip=trip, gap=gap,
    )  # fmt: skip
    assert len(legs) == 2 * len(visits)
    # visits: inside the measure, outside exclusions, never overlapping
    for visit in visits:
        assert terms.starts_on <= visit.starts_on <= visit.ends_on <= terms.ends_on
        assert not any(not (visit.ends_on < a or visit.starts_on > b) for a, b in terms.exclusions)
        if terms.holidays == planning.NONE:
            assert not planning._in_holidays(terms, visit.starts_on)
    for first, second in zip(visits, visits[1:], strict=False):
        assert first.ends_on < second.starts_on
    # wall-clock times: the pick-up is the terms' time in the zone, or later when staggered
    for leg in legs:
        assert leg.to_at > leg.from_at
        assert leg.to_at - leg.from_at >= trip
        if leg.leg == planning.OUTBOUND:
            ideal = planning.local_moment(visits[leg.visit - 1].starts_on, terms.pickup_time, tz)
            assert leg.from_at >= ideal
            if leg.from_at == ideal and ideal.astimezone(tz).replace(tzinfo=None) == datetime.combine(
                ideal.astimezone(tz).date(), terms.pickup_time
            ):
                assert ideal.astimezone(tz).time() == terms.pickup_time
    assert brute_force_conflicts(planning.appointments(legs), gap) == []
    accepted = 0
    for index, shift_from, shift_to, place in edits if legs else []:
        target_place = {"keep": "keep", "home": home, "neutral": neutral}[place]
        legs, ok = _apply(legs, index, shift_from, shift_to, target_place, gap)
        accepted += ok
        assert brute_force_conflicts(planning.appointments(legs), gap) == []
    event(f"edits: {len(edits)} tried, {'some' if accepted else 'none'} accepted")
    event(f"zone {zone}, {'one place' if same_place else 'two places'}")
    for parent in (RESIDENTIAL, VISITING):
        own = planning.appointments_of(parent, legs)
        assert all(a.parent == parent for a in own)
        assert len(own) == len(legs)  # one appointment per handover: giving or receiving the child


@settings(max_examples=300, deadline=None)
@given(
    starts=st.lists(st.integers(0, 60 * 24 * 20), min_size=1, max_size=30),
    lengths=st.lists(st.integers(5, 240), min_size=30, max_size=30),
    travel_minutes=st.integers(0, 90),
)
def test_booking_conflicts_find_exactly_the_overlapping_pairs(starts, lengths, travel_minutes):
    base = datetime(2026, 3, 1, tzinfo=UTC)
    travel = timedelta(minutes=travel_minutes)
    busy = [
        planning.Busy(i, base + timedelta(minutes=s), base + timedelta(minutes=s + lengths[i]))
        for i, s in enumerate(starts)
    ]
    brute = any(
        a.starts < b.ends + travel and b.starts < a.ends + travel
        for i, a in enumerate(busy)
        for b in busy[i + 1 :]
    )
    assert bool(planning.booking_conflicts(busy, travel)) == brute


PARIS, REUNION = ZoneInfo("Europe/Paris"), ZoneInfo("Indian/Reunion")


def _weekend(first: date, tz: ZoneInfo):
    terms = planning.Terms(
        starts_on=first - timedelta(days=1),
        ends_on=first + timedelta(days=3),
        first_visit_on=first,
        visit_days=1,
    )
    return planning.plan(
        planning.visit_dates(terms), terms=terms, tz=tz, residential=1, visiting=2,
        residential_place="a", visiting_place="b", trip=timedelta(minutes=30), gap=timedelta(minutes=15),
    )  # fmt: skip


def test_the_spring_change_of_hour_in_paris_keeps_wall_clock_times():
    outbound, back = _weekend(date(2026, 3, 28), PARIS)  # Saturday; the clocks go forward on Sunday 29
    assert outbound.from_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert back.from_at == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)  # 18:00 CEST


def test_the_autumn_change_of_hour_in_paris_keeps_wall_clock_times():
    outbound, back = _weekend(date(2026, 10, 24), PARIS)  # the clocks go back on Sunday 25
    assert outbound.from_at == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert back.from_at == datetime(2026, 10, 25, 17, 0, tzinfo=UTC)  # 18:00 CET


def test_la_reunion_has_no_change_of_hour():
    outbound, back = _weekend(date(2026, 3, 28), REUNION)
    assert outbound.from_at == datetime(2026, 3, 28, 6, 0, tzinfo=UTC)
    assert back.from_at == datetime(2026, 3, 29, 14, 0, tzinfo=UTC)


def test_one_neutral_place_for_both_parents_staggers_them_by_the_gap():
    terms = planning.Terms(
        starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 31), first_visit_on=date(2026, 5, 2)
    )
    legs = planning.plan(
        planning.visit_dates(terms), terms=terms, tz=PARIS, residential=1, visiting=2,
        residential_place="caf", visiting_place="caf", trip=timedelta(minutes=5), gap=timedelta(minutes=15),
    )  # fmt: skip
    outbound = legs[0]
    assert outbound.to_at - outbound.from_at == timedelta(minutes=15)


def test_holidays_first_half_replaces_the_rhythm_during_long_holidays():
    terms = planning.Terms(
        starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 31), first_visit_on=date(2026, 4, 4), visit_days=1,
        holidays=planning.FIRST_HALF, holiday_periods=((date(2026, 4, 18), date(2026, 5, 4)), (date(2026, 5, 14), date(2026, 5, 18))),
    )  # fmt: skip
    visits = planning.visit_dates(terms)
    assert planning.Visit(date(2026, 4, 18), date(2026, 4, 26), holiday=True) in visits
    assert all(v.starts_on != date(2026, 5, 2) for v in visits)  # inside the holidays: replaced
    assert any(v.starts_on == date(2026, 5, 16) for v in visits)  # the Ascension bridge keeps the rhythm


def test_an_excluded_weekend_and_a_public_holiday_monday():
    terms = planning.Terms(
        starts_on=date(2026, 5, 1), ends_on=date(2026, 6, 30), first_visit_on=date(2026, 5, 9), visit_days=1,
        exclusions=((date(2026, 5, 9), date(2026, 5, 10)),), public_holidays=frozenset({date(2026, 5, 25)}),
    )  # fmt: skip
    visits = planning.visit_dates(terms)
    assert visits[0].starts_on == date(2026, 5, 23)
    assert visits[0].ends_on == date(2026, 5, 25)  # Whit Monday: the return is on the holiday
