"""Anonymisation benchmark: `.venv/bin/python bench/anonymise.py --households 20000 [--database-url postgres://…]`.

On a fresh database: N separations recorded through the real service (each a household with its
declarant, e-mail, phone and address, a pathway and its steps and messages), pathways then closed;
then the retention job (`households.anonymisation.run`) two years and two months later: first the
dry-run, then the run itself, then a second run (nothing left to do). Prints JSON: households and
rows erased per second, the dry-run's time, peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from run import bench_env, fresh_database, log, parcours, setup_django


def seed(households: int) -> None:
    from django.utils import timezone

    from parcours.core.models import Department, Organisation
    from parcours.notifications.models import Message
    from parcours.pathways.defaults import ensure_national_template
    from parcours.pathways.imports import EventInput
    from parcours.pathways.models import Pathway
    from parcours.pathways.services import record_separations

    department = Department.objects.get(code="92")
    Organisation.objects.get_or_create(kind="caf", department=department, defaults={"name": "Caf 92"})
    ensure_national_template()
    batch = 1000
    for start in range(0, households, batch):
        events = [
            EventInput(
                line=i + 2,
                external_id=f"SEP-B-{n:08d}",
                department="92",
                file_number=f"{10000000 + n}",
                declared_on=date(2026, 3, 2),
                declarant_last_name=f"Nom{n}",
                declarant_first_name="Camille",
                declarant_birth_date=date(1985, 5, 17),
                children_count=1,
                email=f"parent{n}@exemple.fr",
                phone=f"06{n:08d}"[:10],
                address_line=f"{n} rue des Lilas",
                postal_code="92000",
                city="Nanterre",
            )
            for i, n in enumerate(range(start, min(start + batch, households)))
        ]
        record_separations(actor=None, events=events, source="file")
        log(f"{min(start + batch, households)}/{households} foyers")
    Pathway.objects.update(status=Pathway.Status.CLOSED, closed_at=timezone.now())
    Message.objects.update(status=Message.Status.SENT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="parcours-bench-anon-"))
    url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    fresh_database(url)
    env = bench_env(url, data_dir)
    parcours(env, "migrate", "--noinput")
    setup_django(env)
    seed(args.households)

    from django.utils import timezone

    from parcours.households import anonymisation
    from parcours.households.models import Person

    later = timezone.now() + timedelta(days=800)
    started = time.perf_counter()
    dry = anonymisation.run(dry_run=True, now=later)
    dry_seconds = time.perf_counter() - started
    persons = Person.objects.count()
    started = time.perf_counter()
    done = anonymisation.run(now=later)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = anonymisation.run(now=later)
    again_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "database": url.split(":", 1)[0],
                "households": done.households,
                "persons": persons,
                "dry_run_households": dry.households,
                "dry_run_seconds": round(dry_seconds, 2),
                "seconds": round(seconds, 2),
                "households_per_second": round(done.households / seconds, 1),
                "persons_per_second": round(persons / seconds, 1),
                "second_run_households": again.households,
                "second_run_seconds": round(again_seconds, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
