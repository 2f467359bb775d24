"""Anonymisation benchmark: `.venv/bin/python bench/anonymise.py --households 20000 [--database-url postgres://…]`.

On a fresh database: N separations recorded through the real service (each a household with its
declarant, e-mail, phone and address, a pathway and its steps and messages), pathways then closed;
then the retention job (`households.anonymisation.run`) two years and two months later: first the
dry-run, then the run itself, then a second run (nothing left to do). Prints JSON: households and
rows erased per second, the dry-run's time, peak memory.

`--reuse --database-url postgres://… [--dry-run] [--compare-src /old/src]`: on the dataset `bench/run.py` built
and kept (e.g. 200,000 households), every date moved 3 years back, then (`--dry-run`) the dry run, then the real command
`parcours anonymise` in its own process (GNU time: peak RSS), alternating with another source
tree's on slices (`--limit`, `--other-limit`), then the whole rest, then a second run (nothing left).
"""

from __future__ import annotations

import argparse
import json
import os
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


SHIFT = "interval '3 years'"  # past every retention period but the emergency aid's (none in the bench)


def expire_everything() -> dict:
    """PostgreSQL, on the dataset `bench/run.py` built: every pathway closed and every date moved 3
    years back, so that every household has expired (the worst night: all of them at once)."""
    from django.db import connection

    statements = [
        f"UPDATE households_household SET created_at = created_at - {SHIFT}",
        f"UPDATE pathways_separationevent SET received_at = received_at - {SHIFT}",
        f"UPDATE pathways_pathway SET status = 'closed', opened_at = opened_at - {SHIFT}, "
        f"closed_at = COALESCE(closed_at, opened_at) - {SHIFT}",
        f"UPDATE pathways_pathwaystep SET closed_at = closed_at - {SHIFT} WHERE closed_at IS NOT NULL",
        f"UPDATE notifications_message SET status = 'sent', created_at = created_at - {SHIFT}",
        "VACUUM ANALYZE",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SELECT count(*) FROM households_household WHERE anonymised_at IS NULL")
        households = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM households_person")
        persons = cursor.fetchone()[0]
    return {"households_not_anonymised": households, "persons": persons}


def anonymised_counts() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM households_household WHERE anonymised_at IS NOT NULL), "
            "(SELECT count(*) FROM households_person WHERE last_name = %s)",
            ["Anonymisé"],
        )
        return cursor.fetchone()


def command_run(env, limit: int | None) -> dict:
    """`parcours anonymise [--limit N]` in its own process: seconds, households, persons, peak RSS."""
    from run import timed_command

    before = anonymised_counts()
    seconds, peak_kb, output = timed_command(env, "anonymise", *(["--limit", str(limit)] if limit else []))
    after = anonymised_counts()
    households, persons = after[0] - before[0], after[1] - before[1]
    return {
        "households": households,
        "persons": persons,
        "seconds": round(seconds, 1),
        "households_per_second": round(households / seconds, 1),
        "persons_per_second": round(persons / seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "output": output.splitlines()[-1] if output else "",
    }


def reuse(args) -> None:
    """The command on a large dataset: alternating with another tree's (`--compare-src`) on
    slices of it, then the whole rest in one run."""
    env = bench_env(args.database_url, Path(tempfile.mkdtemp(prefix="parcours-bench-anon-")))
    setup_django(env)
    result: dict = {"database": "postgresql", "dataset": {} if args.already_expired else expire_everything()}
    from django.db import connections

    connections.close_all()
    if args.dry_run:
        from run import timed_command

        seconds, peak_kb, output = timed_command(env, "anonymise", "--dry-run")
        first = output.splitlines()[0] if output else ""
        result["dry_run"] = {
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(peak_kb / 1024),
            "output": first,
        }
        log(f"essai à blanc : {first} en {seconds:.0f} s")
    if args.compare_src:
        other = {**env, "PYTHONPATH": args.compare_src}
        pairs = []
        for _ in range(args.rounds):
            old = command_run(other, args.other_limit)
            new = command_run(env, args.limit)
            pairs.append({"other": old, "this": new,
                          "ratio_households_per_s": round(new["households_per_second"] / old["households_per_second"], 1)})  # fmt: skip
            log(f"autre arbre {old['households_per_second']}/s ; celui-ci {new['households_per_second']}/s")
        result["alternating"] = {"other_src": args.compare_src, "rounds": pairs}
    log(f"un passage sur {args.whole_limit or 'tout le reste'}")
    result["whole_run"] = command_run(env, args.whole_limit)
    if not args.whole_limit:
        result["second_run"] = command_run(env, None)
    print(json.dumps(result, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--reuse", action="store_true",
        help="on the dataset bench/run.py left (PostgreSQL): every date moved 3 years back, then the command",
    )  # fmt: skip
    parser.add_argument(
        "--compare-src", default="", help="another tree's src/: its command alternates with this one"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--dry-run", action="store_true", help="--reuse: time `parcours anonymise --dry-run` first"
    )
    parser.add_argument("--already-expired", action="store_true", help="--reuse: dates already moved back")
    parser.add_argument("--whole-limit", type=int, default=None, help="--reuse: cap the last run (time)")
    parser.add_argument("--limit", type=int, default=5000, help="--reuse: households per run of this tree")
    parser.add_argument(
        "--other-limit", type=int, default=500, help="--reuse: households per run of the other"
    )
    args = parser.parse_args()
    if args.reuse:
        return reuse(args)
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
