"""Public registration benchmark: `make bench-registrations` (BENCH_ARGS="--database-url postgres://…").

Serves the app with gunicorn on a fresh database and runs concurrent anonymous clients through
the real public form (GET the form for its CSRF cookie, POST it, follow to the confirmation):

1. throughput: registrations per second to one large webinar, then spread over several sessions,
   with the CPU the gunicorn workers spent per registration (robust to a loaded machine);
2. overbooking: every client at once (2 × --clients) on a session of 10 seats, then the count;
3. the worker builds and sends the registrations' messages: messages per second;
4. one client in this process: CPU per registration (GET + POST) against /healthz and a trivial
   page, queries per POST, time and CPU with the session's row lock held.

`--baseline <git ref>` measures that commit's code (extracted with `git archive` into a temporary
folder, served from there) and the working tree's, alternately (A B A B…, `--rounds`), each on a
fresh database, and prints both (medians of the rounds), every round, and the ratios after/before.

Prints JSON. QUALITY.md asks for ≤ 12 ms of CPU per registration, ≥ 100 registrations/s to one
session and 0 overbooking.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

from run import ROOT, bench_env, fresh_database, log, parcours, start_server

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def setup_django(env: dict, src: Path) -> None:
    """run.setup_django, but for the code under `src` (the working tree's, or the baseline's)."""
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "parcours.settings"
    sys.path.insert(0, str(src))
    import django

    django.setup()


def make_sessions(big_capacity: int, several: int = 0) -> tuple[str, str, list[str]]:
    from django.utils import timezone

    from parcours.core.models import Department, Organisation
    from parcours.workshops.models import Workshop

    department = Department.objects.get(code="974")
    Organisation.objects.get_or_create(kind="caf", department=department, defaults={"name": "Caf 974"})
    starts_at = timezone.now() + timedelta(days=20)

    def session(capacity: int) -> str:
        workshop = Workshop.objects.create(
            department=department, format="webinar", starts_at=starts_at, capacity=capacity,
            registration_deadline=starts_at - timedelta(days=1), status=Workshop.Status.PUBLISHED,
            languages=["fr"],
        )  # fmt: skip
        return f"/seances/974/{workshop.pk}/inscription/"

    return session(big_capacity), session(10), [session(big_capacity) for _ in range(several)]


def register(port: int, path: str, email: str) -> tuple[int, float]:
    """One person's registration: the form, then the POST. Returns (status, seconds)."""
    started = time.perf_counter()
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    body = response.read()
    cookie = "; ".join(
        value.split(";", 1)[0] for key, value in response.getheaders() if key.lower() == "set-cookie"
    )
    token = CSRF.search(body).group(1).decode()
    form = urllib.parse.urlencode({
        "csrfmiddlewaretoken": token, "first_name": "Awa", "contact_kind": "email", "email": email,
        "phone": "", "party_size": "1", "accessibility_needs": "", "site_web": "",
    })  # fmt: skip
    conn.request("POST", path, body=form, headers={
        "Host": "127.0.0.1", "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://127.0.0.1:{port}{path}",
    })  # fmt: skip
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def server_cpu_ms(server) -> float:
    """CPU (user + system) the gunicorn workers have used so far, in ms."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for child in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / ticks


def run_clients(port: int, path, clients: int, per_client: int, prefix: str, server=None) -> dict:
    """`path`: one session's form, or a list of them (client i registers to path[i % len])."""
    paths = path if isinstance(path, list) else [path]
    statuses: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(index: int) -> None:
        barrier.wait()  # every client starts at the same instant
        for n in range(per_client):
            try:
                status, seconds = register(
                    port, paths[index % len(paths)], f"{prefix}.{index}.{n}@exemple.fr"
                )
            except (OSError, AttributeError) as exc:  # AttributeError: no CSRF token in the page
                status, seconds = repr(exc), 0.0
            with lock:
                statuses.append(status)
                latencies.append(seconds)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    cpu_before = server_cpu_ms(server) if server is not None else 0.0
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = server_cpu_ms(server) - cpu_before if server is not None else None
    accepted = sum(1 for s in statuses if s == 302)
    ordered = sorted(latencies)
    return {
        "sessions": len(paths),
        "clients": clients,
        "server_cpu_ms_per_registration": round(cpu / accepted, 2) if cpu is not None and accepted else None,
        "attempts": len(statuses),
        "accepted": accepted,
        "errors": [s for s in statuses if s != 302][:3],
        "seconds": round(elapsed, 2),
        "registrations_per_s": round(accepted / elapsed, 1),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
    }


def in_process(path: str, n: int) -> dict:
    """One client in this process, no contention: CPU per request, queries per POST, service time.

    The service's wall time is an upper bound of the time the workshop's row lock is held (the lock
    is taken at its start and released at its commit).
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parcours.workshops import services
    from parcours.workshops.access import PUBLIC
    from parcours.workshops.models import Workshop

    client = Client(HTTP_HOST="127.0.0.1")

    def cpu_ms_per(fn, count: int) -> float:
        fn(0)  # warm
        started = time.process_time()
        for i in range(1, count + 1):
            fn(i)
        return (time.process_time() - started) * 1000 / count

    def registration(i: int) -> None:
        client.get(path)
        client.post(path, {"first_name": "Awa", "contact_kind": "email", "email": f"cpu.{i}@exemple.fr",
                           "phone": "", "party_size": "1", "accessibility_needs": "", "site_web": ""})  # fmt: skip

    healthz = cpu_ms_per(lambda i: client.get("/healthz"), n)
    trivial = cpu_ms_per(lambda i: client.get("/"), n)
    per_registration = cpu_ms_per(registration, n)
    with CaptureQueriesContext(connection) as captured:
        client.post(path, {"first_name": "Awa", "contact_kind": "email", "email": "queries@exemple.fr",
                           "phone": "", "party_size": "1", "accessibility_needs": "", "site_web": ""})  # fmt: skip
    workshop = Workshop.objects.get(pk=int(path.rstrip("/").split("/")[-2]))
    held = []
    for i in range(n):
        started = time.perf_counter()
        services.register(actor=PUBLIC, workshop=workshop, first_name="Awa", contact_kind="email",
                          contact_value=f"lock.{i}@exemple.fr")  # fmt: skip
        held.append((time.perf_counter() - started) * 1000)
    held.sort()
    return {
        "requests_each": n,
        "cpu_ms_per_registration_get_post": round(per_registration, 2),
        "cpu_ms_per_healthz": round(healthz, 2),
        "cpu_ms_per_trivial_public_page": round(trivial, 2),
        "ratio_registration_to_trivial_page": round(per_registration / trivial, 1) if trivial else None,
        "queries_per_post": len(captured.captured_queries),
        "service_ms_p50_lock_upper_bound": round(held[len(held) // 2], 2),
        "service_ms_p95_lock_upper_bound": round(held[int(0.95 * (len(held) - 1))], 2),
    }


def drain(env) -> dict:
    """The worker builds and sends the registrations' messages: messages per second."""
    from parcours.notifications.models import Message

    before = Message.objects.filter(status="sent").count()
    queued = Message.objects.count()
    started = time.perf_counter()
    parcours(env, "worker", "--until-empty", "--no-periodic", "-v", "0")
    seconds = time.perf_counter() - started
    sent = Message.objects.filter(status="sent").count() - before
    return {
        "messages_written": Message.objects.count() - queued,
        "messages_sent": sent,
        "seconds": round(seconds, 1),
        "messages_per_s": round(sent / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-registrations.sqlite3'}")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=50, help="registrations per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--in-process", type=int, default=200, help="requests of the in-process phase")
    args = parser.parse_args()

    env = bench_env(args.database_url, Path(tempfile.mkdtemp(prefix="parcours-bench-")))
    env["PARCOURS_WORKSHOP_RATE_PER_IP_HOUR"] = "1000000"  # every client comes from 127.0.0.1
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # sent, then dropped
    fresh_database(args.database_url)
    parcours(env, "migrate", "-v", "0")
    setup_django(env)
    big, small = make_sessions(args.clients * args.per_client + 3 * args.in_process + 100)
    server, port = start_server(env, args.workers)
    try:
        log(f"{args.clients} clients × {args.per_client} inscriptions")
        throughput = run_clients(port, big, args.clients, args.per_client, "debit")
        log("tous les clients à la fois sur une séance de 10 places")
        rush = run_clients(port, small, args.clients * 2, 1, "ruee")
    finally:
        server.terminate()
        server.wait(timeout=30)
    log("le worker écrit et envoie les messages des inscriptions")
    drained = drain(env)
    log("un client dans ce processus : CPU par requête, requêtes SQL, temps sous verrou")
    single = in_process(big, args.in_process)

    from parcours.notifications.models import Message
    from parcours.workshops.models import Registration, Workshop

    small_workshop = Workshop.objects.get(pk=int(small.rstrip("/").split("/")[-2]))
    confirmed = Registration.objects.filter(workshop=small_workshop, status="confirmed").count()
    waiting = Registration.objects.filter(workshop=small_workshop, status="waiting").count()
    print(json.dumps({
        "database": urllib.parse.urlparse(args.database_url).scheme,
        "gunicorn_workers": args.workers,
        "throughput": throughput,
        "messages_in_outbox": Message.objects.count(),
        "worker": drained,
        "in_process": single,
        "overbooking": {**rush, "seats": 10, "confirmed": confirmed, "waiting": waiting,
                        "overbooked": max(0, confirmed - 10)},
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
