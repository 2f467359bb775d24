"""Simultaneous public registrations against a real database, in its own process.

    python -m tests.workshops.concurrency_run --requests 40 --capacity 10 [--database-url URL]

Without --database-url it uses a fresh SQLite file (the production SQLite settings: WAL, IMMEDIATE
transactions, busy timeout), which the in-memory test database cannot stand for: its shared cache
refuses concurrent writers outright. Prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="parcours-concurrency-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/concurrency.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["PARCOURS_WORKSHOP_RATE_PER_IP_HOUR"] = "0"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from parcours.workshops.models import Registration
    from tests.workshops import factories as wf

    setup_test_environment()
    call_command("migrate", verbosity=0)
    workshop = wf.workshop(capacity=args.capacity)
    url = reverse("portal:workshop-register", kwargs={"code": workshop.department.code, "pk": workshop.pk})
    barrier = threading.Barrier(args.requests)
    statuses: list[int] = []
    lock = threading.Lock()

    def post(index: int):
        client = Client(raise_request_exception=False)
        try:
            barrier.wait(timeout=60)
            response = client.post(
                url,
                {
                    "first_name": f"Parent{index}",
                    "contact_kind": "email",
                    "email": f"p{index}@exemple.fr",
                    "party_size": 1,
                },
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    import time

    threads = [threading.Thread(target=post, args=(i,)) for i in range(args.requests)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    workshop.refresh_from_db()
    result = {
        "database": connection.vendor,
        "requests": args.requests,
        "seats": args.capacity,
        "answers": {str(code): statuses.count(code) for code in sorted(set(statuses))},
        "confirmed": Registration.objects.filter(workshop=workshop, status="confirmed").count(),
        "waiting": Registration.objects.filter(workshop=workshop, status="waiting").count(),
        "seats_taken": workshop.seats_taken,
        "seconds": round(elapsed, 2),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
