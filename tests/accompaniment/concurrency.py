"""Simultaneous assignments of one accompanist, from threads with their own database connections.

    python -m tests.accompaniment.concurrency --measures 12 [--database-url URL]

`scenario()` is shared by the test (in-process on PostgreSQL) and this command (a fresh SQLite file with
the production settings — WAL, IMMEDIATE transactions — which the in-memory test database cannot stand
for). Round 1: every measure's first handover is at the same time: exactly one assignment may win.
Round 2: handovers two hours apart: all of them fit. Prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading


def _assign_all(handovers, accompanist, coordinator) -> tuple[int, int, list[str]]:
    from django.core.exceptions import ValidationError
    from django.db import connection

    from parcours.accompaniment import services

    barrier = threading.Barrier(len(handovers))
    lock = threading.Lock()
    won, refused, errors = [0], [0], []

    def run(handover):
        try:
            barrier.wait(timeout=60)
            services.assign(actor=coordinator, handovers=[handover], accompanist=accompanist)
            with lock:
                won[0] += 1
        except ValidationError:
            with lock:
                refused[0] += 1
        except Exception as exc:  # reported in the figures: the test asserts there is none
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(h,)) for h in handovers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return won[0], refused[0], errors


def double_bookings(accompanist) -> int:
    """Pairs of the accompanist's handovers closer than the travel time, counted pair by pair."""
    from datetime import timedelta

    from django.conf import settings

    from parcours.accompaniment.models import Handover

    travel = timedelta(minutes=settings.PARCOURS_MAP_TRAVEL_MINUTES)
    rows = list(Handover.objects.filter(accompanist=accompanist).values_list("from_at", "to_at"))
    return sum(
        1
        for i, (a1, b1) in enumerate(rows)
        for a2, b2 in rows[i + 1 :]
        if a1 < b2 + travel and a2 < b1 + travel
    )


def scenario(measures: int) -> dict:
    from datetime import time

    from django.db import connection

    from tests.accompaniment import factories as af

    org = af.map_organisation("92")
    coordinator = af.coordinator_of(org)
    accompanist = af.accompanist(org)
    same = []
    for _ in range(measures):
        m = af.measure("92", map_org=org)
        af.calendar(m)
        same.append(m.handovers.order_by("from_at").first())
    won, refused, errors = _assign_all(same, accompanist, coordinator)
    spread = []
    for index in range(measures):
        m = af.measure(
            "92",
            map_org=org,
            pickup_time=time(6 + index),
            return_time=time(23, 30),
            first_visit_on=af.TERMS["first_visit_on"].replace(day=21),
        )
        af.calendar(m)
        spread.append(m.handovers.order_by("from_at").first())
    won2, refused2, errors2 = _assign_all(spread, accompanist, coordinator)
    return {
        "database": connection.vendor,
        "attempts": 2 * measures,
        "same_time": {"assigned": won, "refused": refused},
        "spread": {"assigned": won2, "refused": refused2},
        "errors": errors + errors2,
        "double_bookings": double_bookings(accompanist),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measures", type=int, default=12)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="parcours-map-concurrency-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/concurrency.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    result = scenario(args.measures)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
