"""Password reset: the answer's time for a known and an unknown address (issue 16).

    .venv/bin/python bench/password_reset.py [--requests 200]

Fresh SQLite database, in-process Django client, requests alternated between a known and an unknown
address (each from its own client address, under the rate limits). The e-mail goes through the outbox,
so neither answer waits for a mail server. Prints JSON: median and 90th percentile per kind, and the
difference of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from run import bench_env, fresh_database, parcours, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="parcours-bench-reset-"))
    url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    fresh_database(url)
    env = bench_env(url, data_dir)
    env["PARCOURS_PASSWORD_RESET_PER_ADDRESS_HOUR"] = str(args.requests)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    parcours(env, "migrate", "--no-input")
    setup_django(env)
    from django.test import Client

    from parcours.core.models import Department, Organisation, User

    department = Department.objects.get(code="92")
    caf, _ = Organisation.objects.get_or_create(
        kind="caf", department=department, defaults={"name": "Caf 92"}
    )
    User.objects.create_user("agent@caf92.fr", "un mot de passe assez long", organisation=caf)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(args.requests * 2):
        kind = "known" if n % 2 else "unknown"
        email = "agent@caf92.fr" if kind == "known" else f"personne{n}@exemple.fr"
        client = Client(REMOTE_ADDR=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", HTTP_HOST="localhost")
        started = time.perf_counter()
        answer = client.post("/gestion/mot-de-passe-oublie/", {"email": email})
        timings[kind].append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 302
    result = {
        kind: {
            "median_ms": round(statistics.median(values), 2),
            "p90_ms": round(sorted(values)[int(len(values) * 0.9)], 2),
        }
        for kind, values in timings.items()
    }
    result["median_difference_ms"] = round(result["known"]["median_ms"] - result["unknown"]["median_ms"], 2)
    print(json.dumps({"password_reset": result, "requests_per_kind": args.requests}, indent=2))


if __name__ == "__main__":
    main()
