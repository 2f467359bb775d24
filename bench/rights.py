"""Persons' rights benchmark: `.venv/bin/python bench/rights.py --households 5000 --lines 100000`.

On a fresh database: N separations recorded through the real service. Then, alternating A and B in
the same run (the machine is noisy): the check every declaration batch now makes for RGPD art. 18
(`pathways.imports.limited_lines`) on a batch of `--lines` declarations of the department — A with
no limited person in it (one query), B with 20 limited persons whose files appear in the batch — and
the access file (RGPD art. 15) of one declarant, JSON and PDF. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from anonymise import seed
from run import bench_env, fresh_database, parcours, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="parcours-bench-rights-"))
    url = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    fresh_database(url)
    env = bench_env(url, data_dir)
    parcours(env, "migrate", "--noinput")
    setup_django(env)
    seed(args.households)

    from parcours.core import exports
    from parcours.core.models import User
    from parcours.core.roles import Role
    from parcours.households.models import Person
    from parcours.pathways.imports import EventInput, limited_lines

    events = [
        EventInput(
            line=i + 2,
            external_id=f"SEP-R-{i:08d}",
            department="92",
            file_number=f"{10000000 + i % args.households}",
            declared_on=date(2026, 3, 2),
            declarant_last_name=f"Nom{i % args.households}",
            declarant_first_name="Camille",
            children_count=1,
        )  # fmt: skip
        for i in range(args.lines)
    ]
    limited = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:20])

    def check(with_limited: bool) -> float:
        Person.objects.filter(pk__in=limited).update(processing_limited=with_limited)
        started = time.perf_counter()
        found = limited_lines(events)
        seconds = time.perf_counter() - started
        assert bool(found) == with_limited
        return seconds

    a, b = [], []
    for _ in range(args.rounds):
        a.append(check(False))
        b.append(check(True))

    from parcours.core.models import Organisation

    user = User.objects.create_user(
        "bench-ts@exemple.fr", "x" * 20, organisation=Organisation.objects.get(kind="caf", department__code="92"),
        roles=[Role.SOCIAL_WORKER], first_name="Bench", last_name="Social",
    )  # fmt: skip
    user = User.objects.select_related("organisation__department").get(pk=user.pk)
    person = Person.objects.filter(is_declarant=True).order_by("pk").first()
    timings = {"json": [], "pdf": []}
    for _ in range(args.rounds):
        for fmt in ("json", "pdf"):
            started = time.perf_counter()
            exports.produce(actor=user, identifier="households.subject_access", fmt=fmt, obj=person)
            timings[fmt].append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "database": url.split(":", 1)[0],
                "households": args.households,
                "lines": args.lines,
                "limited_check_no_limited_ms": round(statistics.median(a) * 1000, 1),
                "limited_check_20_limited_ms": round(statistics.median(b) * 1000, 1),
                "limited_check_us_per_line_with_limited": round(statistics.median(b) * 1e6 / args.lines, 2),
                "access_file_json_ms": round(statistics.median(timings["json"]) * 1000, 1),
                "access_file_pdf_ms": round(statistics.median(timings["pdf"]) * 1000, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
