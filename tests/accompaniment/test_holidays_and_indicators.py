"""School holidays from the official open-data format, the indicators registered for the bilan, the
periodic job."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from parcours.accompaniment import school_holidays, services
from parcours.accompaniment.models import SchoolHolidayPeriod
from parcours.core import indicators, schedule
from tests import factories
from tests.accompaniment import factories as af

SAMPLE = Path(school_holidays.__file__).parent / "data" / "calendrier-scolaire-extrait.csv"


def test_the_official_csv_gives_one_period_per_zone_read_in_the_zones_time_zone():
    periods = school_holidays.parse(SAMPLE.read_bytes())
    toussaint = [
        p
        for p in periods
        if p.zone == "Zone C" and p.school_year == "2025-2026" and "Toussaint" in p.description
    ]
    assert [(p.starts_on, p.ends_on) for p in toussaint] == [
        (date(2025, 10, 18), date(2025, 11, 3))
    ]  # two académies, once
    reunion = [
        p for p in periods if p.zone == "Réunion" and "Noël" in p.description and p.school_year == "2025-2026"
    ]
    assert reunion[0].starts_on == date(2025, 12, 20)  # 19 Dec 20:00 UTC is the 20th in La Réunion


def test_teachers_only_rows_are_left_out():
    periods = school_holidays.parse(SAMPLE.read_bytes())
    noel = [
        p for p in periods if p.zone == "Zone C" and "Noël" in p.description and p.school_year == "2025-2026"
    ]
    assert len(noel) == 1 and noel[0].starts_on == date(2025, 12, 20)


def test_the_json_export_is_read_too():
    rows = [
        {"description": "Vacances d'Hiver", "population": "-", "start_date": "2026-02-20T23:00:00+00:00",
         "end_date": "2026-03-08T23:00:00+00:00", "location": "Paris", "zones": "Zone C", "annee_scolaire": "2025-2026"},
    ]  # fmt: skip
    (period,) = school_holidays.parse(json.dumps(rows).encode())
    assert (period.starts_on, period.ends_on) == (date(2026, 2, 21), date(2026, 3, 9))


def test_a_file_that_is_not_the_calendar_is_refused():
    with pytest.raises(ValidationError):
        school_holidays.parse(b"nom;prenom\nMartin;Camille\n")


def test_the_pilot_loads_the_zone_of_the_department(db):
    pilot = factories.make_user("local_pilot", "974")
    count = services.load_school_holidays(actor=pilot, content=SAMPLE.read_bytes())
    assert count == SchoolHolidayPeriod.objects.filter(zone="Réunion").count() > 0
    assert not SchoolHolidayPeriod.objects.filter(zone="Zone C").exists()
    assert (
        services.load_school_holidays(actor=pilot, content=SAMPLE.read_bytes()) == count
    )  # replaced, not doubled
    assert SchoolHolidayPeriod.objects.count() == count


def test_the_indicators_count_measures_and_handovers_by_context(db):
    org = af.map_organisation("92")
    m = af.measure("92", map_org=org)
    af.calendar(m)
    first = m.handovers.order_by("from_at").first()
    services.record_outcome(actor=af.coordinator_of(org), handover=first, outcome="done")
    window = indicators.Window(date(2026, 1, 1), date(2026, 12, 1), ("92",))
    ordered = list(indicators.get("accompaniment.measures_ordered").compute(window))
    assert [(c.month, c.breakdown, c.numerator) for c in ordered] == [
        (date(2026, 2, 1), {"context": "violence"}, 1)
    ]
    (delay,) = indicators.get("accompaniment.delay_to_first_handover").compute(window)
    assert delay.distribution == {29: 1}  # 2 Feb → 14 March 2026: 29 working days (no holiday in between)
    done = [
        c
        for c in indicators.get("accompaniment.handovers").compute(window)
        if c.breakdown["outcome"] == "done"
    ]
    assert sum(c.numerator for c in done) == 1


def test_the_end_alerts_are_a_periodic_job():
    assert schedule.get("accompaniment.remind").every.days == 1
