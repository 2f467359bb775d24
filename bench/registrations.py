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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

from run import PYTHON, ROOT, bench_env, fresh_database, log, parcours, start_server

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
    """One client in this process, no contention: CPU per request, queries per POST, and the time
    the session's row lock is held (from the locking statement to the commit) — wall and CPU."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parcours.core.policy import THE_PUBLIC
    from parcours.workshops import services
    from parcours.workshops.models import Workshop

    client = Client(HTTP_HOST="127.0.0.1")

    def cpu_ms_per(fn, count: int) -> float:
        fn(0)  # warm
        started = time.process_time()
        for i in range(1, count + 1):
            fn(i)
        return (time.process_time() - started) * 1000 / count

    def form(email: str) -> dict:
        return {"first_name": "Awa", "contact_kind": "email", "email": email, "phone": "", "party_size": "1",
                "accessibility_needs": "", "site_web": ""}  # fmt: skip

    def registration(i: int) -> None:
        client.get(path)
        client.post(path, form(f"cpu.{i}@exemple.fr"))

    healthz = cpu_ms_per(lambda i: client.get("/healthz"), n)
    trivial = cpu_ms_per(lambda i: client.get("/"), n)
    per_registration = cpu_ms_per(registration, n)
    get_only = cpu_ms_per(lambda i: client.get(path), n)
    with CaptureQueriesContext(connection) as captured:
        client.post(path, form("queries@exemple.fr"))
    workshop = Workshop.objects.get(pk=int(path.rstrip("/").split("/")[-2]))

    marks: dict = {}

    # A prepared statement runs as `EXECUTE parcours_…`: the statement it stands for (older code,
    # without `compiled` or without prepared statements: as is).
    try:
        from parcours.core import compiled
    except ImportError:
        compiled = None
    original_sql = getattr(compiled, "original_sql", lambda sql: sql)

    def lock_watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        upper = original_sql(sql).lstrip().upper()
        # PostgreSQL: SELECT … FOR UPDATE; SQLite: BEGIN IMMEDIATE took the lock, the row is read next.
        if "lock" not in marks and (
            "FOR UPDATE" in upper
            or (connection.vendor == "sqlite" and upper.startswith('SELECT "WORKSHOPS_WORKSHOP"'))
        ):
            marks["lock"] = (time.perf_counter(), time.process_time())
            transaction.on_commit(
                lambda: marks.setdefault("commit", (time.perf_counter(), time.process_time()))
            )
        return result

    held, held_cpu = [], []
    for i in range(n):
        marks.clear()
        with connection.execute_wrapper(lock_watch):
            services.register(actor=THE_PUBLIC, workshop=workshop, first_name="Awa", contact_kind="email",
                              contact_value=f"lock.{i}@exemple.fr")  # fmt: skip
        held.append((marks["commit"][0] - marks["lock"][0]) * 1000)
        held_cpu.append((marks["commit"][1] - marks["lock"][1]) * 1000)
    held.sort()
    held_cpu.sort()
    return {
        "requests_each": n,
        "cpu_ms_per_registration_get_post": round(per_registration, 2),
        "cpu_ms_per_registration_form_get": round(get_only, 2),
        "cpu_ms_per_healthz": round(healthz, 2),
        "cpu_ms_per_trivial_public_page": round(trivial, 2),
        "ratio_registration_to_trivial_page": round(per_registration / trivial, 1) if trivial else None,
        "queries_per_post": len(captured.captured_queries),
        "lock_held_ms_p50": round(held[len(held) // 2], 2),
        "lock_held_ms_p95": round(held[int(0.95 * (len(held) - 1))], 2),
        "lock_held_cpu_ms_p50": round(held_cpu[len(held_cpu) // 2], 2),
    }


def worker_cpu_s() -> float:
    """CPU (user + system) of the finished child processes so far: the worker's, measured around it."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def drain(env) -> dict:
    """The worker builds and sends the registrations' messages: messages per second (wall) and per
    CPU second of the worker process (robust to a loaded machine)."""
    from parcours.notifications.models import Message

    before = Message.objects.filter(status="sent").count()
    queued = Message.objects.count()
    cpu_before = worker_cpu_s()
    started = time.perf_counter()
    parcours(env, "worker", "--until-empty", "--no-periodic", "-v", "0")
    seconds = time.perf_counter() - started
    cpu = worker_cpu_s() - cpu_before
    sent = Message.objects.filter(status="sent").count() - before
    written = Message.objects.count() - queued
    return {
        "messages_written": written,
        "messages_sent": sent,
        "messages_not_sent": Message.objects.exclude(status__in=["sent", "pending"]).count(),
        "seconds": round(seconds, 1),
        "worker_cpu_s": round(cpu, 1),
        "messages_per_s": round(sent / seconds, 1),
        "messages_per_worker_cpu_s": round(sent / cpu, 1) if cpu else None,
        "written_and_sent_per_s": round((written + sent) / seconds, 1),
    }


def drain_only(args, src: Path) -> dict:
    """Only the worker's drain, on `--drain-only` N public registrations made in this process by the
    real service (each leaves the task that writes its messages), on a fresh database."""
    env = bench_env(args.database_url, Path(tempfile.mkdtemp(prefix="parcours-bench-")))
    env["PYTHONPATH"] = str(src)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # sent, then dropped
    # The worker's processes (PostgreSQL only); a baseline without the setting runs one.
    env["PARCOURS_WORKER_PROCESSES"] = str(args.worker_processes)
    fresh_database(args.database_url)
    parcours(env, "migrate", "-v", "0")
    setup_django(env, src)
    from django.db import transaction

    from parcours.core.policy import THE_PUBLIC
    from parcours.workshops import services
    from parcours.workshops.models import Workshop

    n = args.drain_only
    big, _small, _several = make_sessions(n + 10)
    workshop = Workshop.objects.get(pk=int(big.rstrip("/").split("/")[-2]))
    log(f"{n} inscriptions publiques (service réel)")
    for start in range(0, n, 500):
        with transaction.atomic():  # one commit per 500: the setup is not what is measured
            for i in range(start, min(n, start + 500)):
                services.register(actor=THE_PUBLIC, workshop=workshop, first_name="Awa", contact_kind="email",
                                  contact_value=f"drain.{i}@exemple.fr")  # fmt: skip
    log("le worker écrit et envoie les messages des inscriptions")
    return {
        "database": urllib.parse.urlparse(args.database_url).scheme,
        "registrations": n,
        "worker_processes_asked": args.worker_processes,
        "worker": drain(env),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def one_run(args, src: Path) -> dict:
    """Everything, for the code under `src`, on a fresh database."""
    env = bench_env(args.database_url, Path(tempfile.mkdtemp(prefix="parcours-bench-")))
    env["PYTHONPATH"] = str(src)
    env["PARCOURS_WORKSHOP_RATE_PER_IP_HOUR"] = "1000000"  # every client comes from 127.0.0.1
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"  # sent, then dropped
    fresh_database(args.database_url)
    parcours(env, "migrate", "-v", "0")
    setup_django(env, src)
    big_capacity = args.clients * args.per_client + 3 * args.in_process + 100
    big, small, several = make_sessions(big_capacity, args.sessions)
    server, port = start_server(env, args.workers)
    try:
        log(f"{args.clients} clients × {args.per_client} inscriptions, une séance")
        throughput = run_clients(port, big, args.clients, args.per_client, "debit", server)
        log(f"{args.clients} clients × {args.per_client} inscriptions, {args.sessions} séances")
        spread = run_clients(port, several, args.clients, args.per_client, "reparti", server)
        log(f"{args.clients * 2} clients à la fois sur une séance de 10 places")
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
    return {
        "database": urllib.parse.urlparse(args.database_url).scheme,
        "gunicorn_workers": args.workers,
        "throughput_one_session": throughput,
        "throughput_several_sessions": spread,
        "messages_in_outbox": Message.objects.count(),
        "worker": drained,
        "in_process": single,
        "overbooking": {**rush, "seats": 10, "confirmed": confirmed, "waiting": waiting,
                        "overbooked": max(0, confirmed - 10)},
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }  # fmt: skip


# What is compared between the two codes (lower is better for all but the rates).
COMPARED = {
    "cpu_ms_per_registration": ("in_process", "cpu_ms_per_registration_get_post"),
    "cpu_ms_per_form_get": ("in_process", "cpu_ms_per_registration_form_get"),
    "cpu_ms_per_trivial_page": ("in_process", "cpu_ms_per_trivial_public_page"),
    "ratio_registration_to_trivial_page": ("in_process", "ratio_registration_to_trivial_page"),
    "queries_per_post": ("in_process", "queries_per_post"),
    "lock_held_ms_p50": ("in_process", "lock_held_ms_p50"),
    "lock_held_cpu_ms_p50": ("in_process", "lock_held_cpu_ms_p50"),
    "server_cpu_ms_per_registration": ("throughput_one_session", "server_cpu_ms_per_registration"),
    "registrations_per_s_one_session": ("throughput_one_session", "registrations_per_s"),
    "registrations_per_s_several_sessions": ("throughput_several_sessions", "registrations_per_s"),
    "p95_ms_one_session": ("throughput_one_session", "p95_ms"),
    "worker_messages_per_s": ("worker", "messages_per_s"),
    "overbooked": ("overbooking", "overbooked"),
}


# With --drain-only: the worker's figures alone.
COMPARED_DRAIN = {
    "worker_messages_per_s": ("worker", "messages_per_s"),
    "worker_messages_per_cpu_s": ("worker", "messages_per_worker_cpu_s"),
    "worker_cpu_s": ("worker", "worker_cpu_s"),
    "worker_seconds": ("worker", "seconds"),
    "messages_written": ("worker", "messages_written"),
    "messages_sent": ("worker", "messages_sent"),
}


def summary(runs: list[dict], compared: dict) -> dict:
    """The median of each compared figure over the rounds."""
    out = {}
    for name, (section, key) in compared.items():
        values = [r[section][key] for r in runs if r[section].get(key) is not None]
        out[name] = round(statistics.median(values), 2) if values else None
    return out


def extract(ref: str) -> Path:
    """The code of `ref` (its src/ folder), outside any worktree: git archive into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="parcours-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    subprocess.run([PYTHON, "-m", "compileall", "-q", "-j", "0", str(folder / "src")], check=False)
    return folder / "src"


def alternate(args) -> None:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline],
                            check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    variants = {"before": extract(args.baseline), "after": ROOT / "src"}
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    passed = list(sys.argv[1:])
    i = passed.index("--baseline")
    del passed[i : i + 2]
    for round_ in range(args.rounds):
        for label, src in variants.items():  # A B A B…: both see the same load, in turn
            log(f"tour {round_ + 1}/{args.rounds} : {label} ({src})")
            child = subprocess.run(
                [PYTHON, __file__, *passed, "--src", str(src)], capture_output=True, text=True
            )
            if child.returncode != 0:
                raise SystemExit(f"{label} a échoué :\n{child.stderr[-3000:]}")
            runs[label].append(json.loads(child.stdout))
    compared = COMPARED_DRAIN if args.drain_only else COMPARED
    before, after = summary(runs["before"], compared), summary(runs["after"], compared)
    ratios = {
        name: round(after[name] / before[name], 2) if before[name] and after[name] is not None else None
        for name in compared
    }
    print(json.dumps({
        "baseline": {"ref": args.baseline, "commit": commit}, "current": {"commit": head, "dirty_tree_included": True},
        "rounds": args.rounds, "order": "before, after, before, after…",
        "before": before, "after": after, "ratios_after_over_before": ratios,
        "runs": runs,
    }, indent=1))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench-registrations.sqlite3'}")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=50, help="registrations per client")
    parser.add_argument("--sessions", type=int, default=5, help="sessions of the spread throughput phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--in-process", type=int, default=200, help="requests of the in-process phase")
    parser.add_argument(
        "--drain-only", type=int, default=0, metavar="N",
        help="only the worker's drain, on N public registrations (e.g. 10000)",
    )  # fmt: skip
    parser.add_argument(
        "--worker-processes", type=int, default=1, metavar="N",
        help="with --drain-only: PARCOURS_WORKER_PROCESSES of the worker (PostgreSQL; a code without it runs 1)",
    )  # fmt: skip
    parser.add_argument("--baseline", help="git ref to measure against the working tree, alternately")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline: rounds of (before, after)")
    parser.add_argument("--src", help=argparse.SUPPRESS)  # a child run of --baseline: the code to measure
    args = parser.parse_args()
    if args.baseline:
        alternate(args)
        return
    src = Path(args.src) if args.src else ROOT / "src"
    print(json.dumps(drain_only(args, src) if args.drain_only else one_run(args, src), indent=1))


if __name__ == "__main__":
    main()
