"""The evaluation benchmark: `python bench/evaluation.py [--scale 1] [--database-url …] [--reuse]`.

1. builds the demo year on a fresh database (`parcours seed_demo --scale S`), unless `--reuse`
   points at a database that already holds data (e.g. the pathways benchmark's national dataset);
   With `--multiply K` (PostgreSQL), the seeded families, declarations, pathways, steps and contact
   attempts are then copied K − 1 times in SQL through the real constraints (bench/scale_up.py):
   the demo year's distribution, K times the volume (K = 667: about 1,000,000 pathways);
2. times a full refresh of every indicator (the nightly job), then the publications (secrecy and
   intervals, cached after the refresh);
3. times the dashboard in-process, signed in as a local pilot (their department compared with the
   others: 5 departments × 12 months) and as the national pilot, `--requests` times each, from
   the pre-aggregates;
4. times the bilan PDF;
5. prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-evaluation.sqlite3'}")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="scale of the demo year (1: the demo's volumes)"
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep the database's data (no reseeding)")
    parser.add_argument(
        "--multiply", type=int, default=1, help="PostgreSQL: copy the pathways K − 1 times (scale_up.py)"
    )
    parser.add_argument("--skip-refresh", action="store_true", help="with --reuse: measure the stored rows")
    args = parser.parse_args()

    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "DEBUG": "1",
            "PARCOURS_DEMO": "1",
            "DJANGO_SETTINGS_MODULE": "parcours.settings",
            "PARCOURS_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    if not args.reuse and args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if not args.reuse:
        log(f"demo year at scale {args.scale}…")
        started = time.perf_counter()
        call_command("seed_demo", "--scale", str(args.scale), stdout=StringIO())
        log(f"seeded in {time.perf_counter() - started:.0f} s")

    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from parcours.core.middleware import start_session_clock
    from parcours.evaluation import bilan, publication, services
    from parcours.pathways.models import Pathway

    multiplied = None
    if args.multiply > 1:
        sys.path.insert(0, str(ROOT / "bench"))
        import scale_up

        # Copies per transaction: each transaction's deferred foreign-key checks are queued in memory.
        batch = max(1, 2_000_000 // max(1, Pathway.objects.count() * 12))
        multiplied = scale_up.multiply(args.multiply, batch=batch, log=log)
        log(f"multiplied ×{args.multiply}: {multiplied}")
    pathways = Pathway.objects.count()
    log(f"{pathways} pathways; refresh…")
    cpu_started = time.process_time()
    run = publication.latest_refresh() if args.skip_refresh else services.refresh()
    refresh_cpu = time.process_time() - cpu_started
    started = time.perf_counter()
    warmed = publication.warm()
    warm_seconds = time.perf_counter() - started
    log(f"refresh {run.seconds:.1f} s ({run.rows} rows); publications {warm_seconds:.1f} s ({warmed})")

    User = get_user_model()

    def signed_in(email: str) -> Client:
        client = Client()
        user = User.objects.get(email=email)
        client.force_login(user, backend="parcours.core.auth.EmailBackend")
        session = client.session
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id

        class Request:
            pass

        request = Request()
        request.session = session
        start_session_clock(request)
        session.save()
        return client

    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the in-process client's host
    url = reverse("backoffice:evaluation-dashboard")
    year = publication.years_available()[0]
    results = {}
    for label, email, query in (
        ("local_pilot_92", "local_pilot.92@demo.parcours.fr", f"?annee={year}"),
        ("national", "national_pilot@demo.parcours.fr", f"?perimetre=national&annee={year}"),
    ):
        client = signed_in(email)
        assert client.get(url + query).status_code == 200
        timings, cpu = [], []
        for _ in range(args.requests):
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = client.get(url + query)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu_started) * 1000)
            assert response.status_code == 200
        results[label] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(p95(timings), 1),
            "cpu_p95_ms": round(p95(cpu), 1),
            "bytes": len(response.content),
        }
        log(f"dashboard {label}: p95 {results[label]['p95_ms']} ms")
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = bilan.render_pdf(actor=None, scope="national", year=year)
    pdf_seconds, pdf_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "scale": args.scale,
                "pathways": pathways,
                "aggregate_rows": run.rows,
                "refresh_seconds": round(run.seconds, 2),
                "publications_seconds": round(warm_seconds, 2),
                "publications": warmed,
                "dashboard": results,
                "bilan_pdf_seconds": round(pdf_seconds, 2),
                "bilan_pdf_cpu_seconds": round(pdf_cpu, 2),
                "bilan_pdf_bytes": len(pdf),
                "multiplied": multiplied,
                "refresh_cpu_seconds_of_this_process": round(refresh_cpu, 2),
                # The machine's load while measuring (the figures scale with it on a shared host).
                "load_average": [round(v, 1) for v in os.getloadavg()],
                "year": year,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
