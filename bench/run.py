"""The pathways benchmark: `make bench` (BENCH_ARGS="--pathways 1000000 --database-url postgres://…").

1. builds a national dataset on a fresh database: 101 Cafs, their staff (~1,700 social workers at
   full scale), N separation events in CSV files of at most 100,000 lines, imported with the
   real command (`parcours import-events`, one transaction per file);
2. ages it as years of work would (old steps done, pathways reviewed and closed);
3. measures the raw bulk insert of the very rows the last import wrote, into tables with the same
   constraints (foreign keys, composite ones, SQLite's triggers) and indexes (the limit);
4. serves the app with gunicorn and runs 20 concurrent signed-in clients on "Mes tâches",
   "En retard" and household pages: idle, at saturation, then *while* another file
   (`--concurrent-lines`, 100,000 by default) is imported, sampling the requests that wait on a
   lock (PostgreSQL);
5. prints JSON: import throughput and its ratio to the raw insert, latencies p50/p95 (idle and
   during the import), peak memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import date, timedelta
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FILE_LINES = 100_000
FERNET_KEY = "aW5zZWN1cmUtYmVuY2gta2V5LWZvci1wYXJjb3VycyE="  # 32 bytes, urlsafe base64: bench only
PILOT_WEIGHTS = {"92": 6.0, "974": 4.0, "27": 2.5, "86": 1.8, "47": 1.4}
STAFF = {"social_worker": 17, "service_advisor": 8, "benefits_officer": 8}  # per Caf at full scale
BENCH_USERS = 20
# Who the 20 signed-in clients are: the social workers' and the front desk's worklists are measured.
FRONT_DESK = "service_advisor"  # the front desk (conseiller de service à l'usager)
CLIENT_MIX = {"social_worker": 10, "service_advisor": 6, "benefits_officer": 4}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bench_env(database_url: str, data_dir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "PARCOURS_DEMO": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "PARCOURS_ENCRYPTION_KEYS": FERNET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "PARCOURS_SECURE_COOKIES": "0",
        "PARCOURS_STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "PARCOURS_DATA_DIR": str(data_dir),
        "PARCOURS_API_RATE": "100000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }


# --- the database --------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = {"host": parsed.hostname, "port": parsed.port or 5432, "user": parsed.username or "postgres",
             "password": parsed.password, "dbname": "postgres"}  # fmt: skip
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def parcours(env, *args) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "-m", "parcours", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"parcours {' '.join(args)} a échoué :\n{result.stdout}\n{result.stderr}")
    return result


def setup_django(env: dict) -> None:
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "parcours.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


# --- organisations, staff, events ----------------------------------------------------------------


def seed_staff(scale: float) -> dict:
    """A Caf per department with two sites and its staff; TOTP devices for the signed-in clients."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from parcours.core.models import Department, Organisation, Site, User, UserRole

    password = make_password("mot de passe du banc d'essai")
    users, roles = [], []
    for department in Department.objects.all():
        caf = Organisation.objects.create(name=f"Caf {department.code}", kind="caf", department=department)
        sites = [Site.objects.create(organisation=caf, name=n) for n in ("Siège", "Antenne")]
        for role, count in STAFF.items():
            # The Caf 92 (where the signed-in clients work) keeps its full staff whatever the scale.
            for n in range(count if department.code == "92" else max(1, round(count * scale))):
                users.append(User(email=f"{role}.{n}.{department.code}@bench.parcours.fr", first_name="Agent",
                                  last_name=f"{role} {n}", organisation=caf, site=sites[n % 2], password=password))  # fmt: skip
    User.objects.bulk_create(users, batch_size=500)
    for user in User.objects.all():
        roles.append(UserRole(user=user, role=user.email.split(".")[0]))
    UserRole.objects.bulk_create(roles, batch_size=500)
    # The signed-in clients: the Caf 92's social workers first, then its front desk (service advisors)
    # and benefits officers, so that each worklist of each role is measured (not the first 20 emails,
    # which were all benefits officers and service advisors).
    staff_92 = User.objects.filter(organisation__department__code="92").order_by("email")
    by_role = {role: [u for u in staff_92 if u.email.startswith(f"{role}.")] for role in CLIENT_MIX}
    chosen = [user for role, count in CLIENT_MIX.items() for user in by_role[role][:count]][:BENCH_USERS]
    for user in chosen:
        TOTPDevice.objects.create(
            user=user, name="banc", key="3132333435363738393031323334353637383930", confirmed=True
        )
    return {"cafs": Organisation.objects.filter(kind="caf").count(), "staff": User.objects.count()}


def write_events(
    n: int, folder: Path, seed: int = 2026, offset: int = 0, prefix: str = "declarations"
) -> list[Path]:
    from parcours.core.data.departments import DEPARTMENTS
    from parcours.pathways.imports import COLUMNS

    rng = random.Random(seed)
    codes = [code for code, _ in DEPARTMENTS]
    weights = [PILOT_WEIGHTS.get(code, rng.uniform(1, 5)) for code in codes]
    span = max(365, int(n / 300_000 * 365))  # ~300,000 separations a year nationally
    today = date.today()
    names = [
        "Martin",
        "Bernard",
        "Payet",
        "Hoarau",
        "Dubois",
        "Moreau",
        "Diallo",
        "Nguyen",
        "Da Silva",
        "Leroy",
    ]
    firsts = ["Camille", "Nadia", "Sarah", "Julien", "Karim", "Léa", "Inès", "Thomas", "Aïcha", "Manon"]
    files = []
    for start in range(0, n, FILE_LINES):
        path = folder / f"{prefix}-{start // FILE_LINES + 1:03d}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(COLUMNS)
            for i in range(start, min(n, start + FILE_LINES)):
                code = rng.choices(codes, weights)[0]
                declared = today - timedelta(days=rng.randint(0, span))
                children = 0 if rng.random() < 0.27 else rng.randint(1, 4)
                writer.writerow([
                    f"BENCH-{offset + i:08d}", code, f"{1_000_000 + offset + i}", declared.isoformat(), "", rng.choice(names),
                    rng.choice(firsts), "", rng.choice(names), rng.choice(firsts), children,
                    (declared - timedelta(days=rng.randint(100, 4000))).isoformat() if children else "",
                    "oui" if rng.random() < 0.2 else "non", "oui" if rng.random() < 0.17 else "non",
                    f"parent{i}@exemple.fr", f"06{rng.choice('124578')}{rng.randint(1_000_000, 9_999_999)}",
                    f"{rng.randint(1, 99)} rue des Lilas", "75001", "Paris",
                ])  # fmt: skip
        files.append(path)
    return files


TABLES = ["households_household", "households_person", "households_contactchannel", "households_address",
          "pathways_separationevent", "pathways_pathway", "pathways_pathwaystep", "core_auditentry"]  # fmt: skip


def max_ids() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


def timed_command(env, *args) -> tuple[float, int, str]:
    """(seconds, peak RSS in KB, stdout) of `parcours <args>` in its own process."""
    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        started = time.monotonic()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, PYTHON, "-m", "parcours", *args],
            env=env, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        peak = int(Path(rss.name).read_text().split()[-1])
    if result.returncode != 0:
        raise SystemExit(f"parcours {' '.join(args)} : {result.stdout}\n{result.stderr}")
    return elapsed, peak, result.stdout.strip()


def run_import(env, path: Path) -> tuple[float, int, str]:
    """(seconds, peak RSS in KB, output) of `parcours import-events` on one file (GNU time measures the RSS)."""
    rss_file = path.with_suffix(".rss")
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), PYTHON, "-m", "parcours", "import-events", "-v", "0",
         str(path)], env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"import de {path.name} en échec :\n{result.stdout}\n{result.stderr}")
    return elapsed, int(rss_file.read_text().split()[-1]), result.stdout.strip()


def _twin(table: str) -> str:
    return f"bench_raw_{table}"


def _twin_tables(cursor, vendor: str, table: str, twin: str) -> None:
    """An empty table shaped like `table`, with the same indexes and the same constraints: its
    foreign keys lead to the twins of the import's other tables (filled first, parents before
    children) and to the real reference tables (departments, staff, templates)."""
    if vendor == "postgresql":
        # Not a temporary table: its foreign keys lead to permanent tables. Rolled back afterwards.
        cursor.execute(f"CREATE TABLE {twin} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for n, (definition,) in enumerate(cursor.fetchall()):
            definition = re.sub(
                r"REFERENCES (\w+)\(",
                lambda m: f"REFERENCES {_twin(m[1]) if m[1] in TABLES else m[1]}(",
                definition,
            )
            cursor.execute(f"ALTER TABLE {twin} ADD CONSTRAINT {twin[:50]}_fk{n} {definition}")
        return
    cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table]
    )
    statements = cursor.fetchall()
    for kind, name, sql in sorted(statements, key=lambda s: s[0] != "table"):
        if kind in ("index", "trigger"):
            sql = sql.replace(f'"{name}"', f'"{twin}_{name}"', 1)
        # Every table of the import named in it (itself, what its foreign keys and triggers name).
        sql = re.sub(r'"(\w+)"', lambda m: f'"{_twin(m[1])}"' if m[1] in TABLES else m[0], sql)
        cursor.execute(sql)


def raw_insert_rate(before: dict, after: dict, events: int) -> tuple[float, int]:
    """Events/s of a raw bulk insert (COPY / executemany) of every row the last import wrote, into
    empty twins of its tables with the same indexes and constraints: what the database alone can
    take. The constraints are checked as each row is written (as in the import's writer)."""
    from django.db import connection, transaction

    elapsed, total_rows = 0.0, 0
    vendor = connection.vendor
    with transaction.atomic():
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(
                    f"SELECT * FROM {table} WHERE id > %s AND id <= %s", [before[table], after[table]]
                )  # noqa: S608
                columns = [c[0] for c in cursor.description]
                rows = cursor.fetchall()
                total_rows += len(rows)
                twin = _twin(table)
                _twin_tables(cursor, vendor, table, twin)
                names = ", ".join(f'"{c}"' for c in columns)
                started = time.perf_counter()
                if vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {twin} ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {twin} ({names}) VALUES ({marks})", rows)  # noqa: S608
                elapsed += time.perf_counter() - started
        transaction.set_rollback(True)
    return (events / elapsed if elapsed else 0.0), total_rows


def checkpoint() -> None:
    """PostgreSQL: write out what earlier steps dirtied (the schema, the staff, the previous file),
    so that the next measure starts a fresh checkpoint cycle instead of paying for theirs."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        log("CHECKPOINT refusé (il faut un superutilisateur ou le rôle pg_checkpoint) : mesures sans")


def age_dataset() -> dict:
    """Years of work: steps long past due are done, recent ones mostly; reviewed pathways are closed."""
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    ago = (
        (lambda days: f"strftime('%Y-%m-%d %H:%M:%S', 'now', '-{days} days')")
        if sqlite
        else (lambda days: f"now() - interval '{days} days'")
    )
    chance = (
        (lambda p: f"(abs(random()) % 100) < {int(p * 100)}") if sqlite else (lambda p: f"random() < {p}")
    )
    statements = [
        f"UPDATE pathways_pathwaystep SET status = 'closed', outcome = 'done', closed_at = due_at "
        f"WHERE status = 'open' AND due_at < {ago(45)} AND {chance(0.98)}",
        f"UPDATE pathways_pathwaystep SET status = 'closed', outcome = 'done', closed_at = due_at "
        f"WHERE status = 'open' AND due_at < {ago(0)} AND {chance(0.7)}",
        "UPDATE pathways_pathway SET status = 'closed', closed_at = opened_at, closed_reason = 'Parcours clôturé au bilan' "
        "WHERE status = 'open' AND id IN (SELECT pathway_id FROM pathways_pathwaystep "
        "WHERE kind = 'review_closure' AND status = 'closed')",
        "UPDATE pathways_pathwaystep SET status = 'withdrawn', closed_at = due_at, "
        "withdrawn_reason = 'Parcours clôturé au bilan' WHERE status = 'open' "
        "AND pathway_id IN (SELECT id FROM pathways_pathway WHERE status = 'closed')",
        # Autovacuum's steady state: the dead rows of the updates above leave the open-steps indexes.
        "ANALYZE" if sqlite else "VACUUM ANALYZE",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    # The updates above dirtied gigabytes at 1M: flush them now, or the checkpoint that follows
    # runs during the measures (a burst of writes no real day of work makes).
    checkpoint()
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, COUNT(*) FROM pathways_pathwaystep GROUP BY status")
        steps = dict(cursor.fetchall())
        cursor.execute("SELECT status, COUNT(*) FROM pathways_pathway GROUP BY status")
        pathways = dict(cursor.fetchall())
    return {"steps": steps, "pathways": pathways}


# --- signed-in clients against a real server -----------------------------------------------------


def sessions() -> list[dict]:
    """A session per bench user, as after password + TOTP; with the pages each will open."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from parcours.core import policy
    from parcours.core.middleware import LAST_SEEN, LOGIN_AT
    from parcours.pathways.models import PathwayStep

    clients = []
    for device in TOTPDevice.objects.select_related("user").order_by("user__email"):
        user = device.user
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "parcours.core.auth.EmailBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store[LOGIN_AT] = store[LAST_SEEN] = timezone.now().isoformat()
        store.create()
        households = list(
            PathwayStep.objects.filter(department__code="92", status="open", household__restricted=False)
            .order_by("due_at")
            .values_list("household_id", flat=True)[:200]
        )
        mine = PathwayStep.objects.filter(assignee=user, status="open").count()
        clients.append(
            {
                "cookie": f"parcours_session={store.session_key}",
                "households": households,
                "open_steps": mine,
                "role": FRONT_DESK if user.has_role(FRONT_DESK) else next(iter(sorted(user.roles))),
                # The session above is verified (both factors) by construction, but this `user` went
                # through no OTP middleware: `policy.has_perm` would see an unverified user and allow
                # nothing (the worklists then got 0 requests). The role table alone decides here.
                "pages": [(kind, path) for kind, path, perm in LIST_PAGES if policy.role_allows(user, perm)],
            }
        )
    if not any(kind.startswith("worklist") for c in clients for kind, _ in c["pages"]):
        raise SystemExit("aucun client du banc n'ouvre de liste de travail : rôles des agents à revoir")
    return clients


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "parcours.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--worker-class", "sync", "--log-level", "warning", "--timeout", "120"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn n'a pas démarré")


def worker_peak_rss(server: subprocess.Popen) -> int:
    """Peak RSS (KB) of the busiest gunicorn worker (VmHWM)."""
    peak = 0
    for child in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak


# Every list page a member of staff opens (each is paginated and filtered in the database).
# (kind, path, permission): a client opens those its roles allow.
LIST_PAGES = [
    ("worklist_mine", "/gestion/taches/", "pathways.view"),
    ("worklist_late", "/gestion/taches/en-retard/", "pathways.view"),
    ("worklist_team", "/gestion/taches/equipe/", "pathways.view"),
    ("invitation_list", "/gestion/seances/invitations/", "workshops.invite"),
]


def load(
    port: int, clients: list[dict], seconds: float, think: float, warmup: float = 3.0,
    stop: threading.Event | None = None,
) -> dict:  # fmt: skip
    """Each client, in its own thread, opens its worklists and household pages in turn.

    With `think` > 0 a client pauses 0.5 to 1.5 × think seconds between pages, as staff do
    (20 clients = 20 people at work); with 0 they fire back to back (the server's saturation).
    With `stop`, the clients stop when it is set (or after `seconds`).
    """
    started_at = time.monotonic()
    results: dict[str, list[float]] = {kind: [] for kind, _, _ in LIST_PAGES} | {"household": []}
    # The worklists (every worklist page) of each role apart: the social worker's, the front desk's.
    by_role: dict[str, list[float]] = {role: [] for role in CLIENT_MIX}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + warmup + seconds
    measure_from = time.monotonic() + warmup

    def client(index: int, profile: dict):
        rng = random.Random(index)
        pages = profile.get("pages", [(kind, path) for kind, path, _ in LIST_PAGES[:2]])
        if think:
            time.sleep(rng.uniform(0, think))  # people do not all click at the same instant
        while time.monotonic() < stop_at and not (stop is not None and stop.is_set()):
            for kind, path in [
                *pages,
                ("household", f"/gestion/foyers/{rng.choice(profile['households'])}/"),
            ]:
                started = time.perf_counter()
                try:
                    conn = HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request("GET", path, headers={"Cookie": profile["cookie"], "Host": "127.0.0.1"})
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    conn.close()
                except OSError as exc:
                    status = str(exc)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if status != 200:
                        errors.append(f"{path}: {status}")
                    elif time.monotonic() >= measure_from:
                        results[kind].append(elapsed)
                        if kind.startswith("worklist") and profile.get("role") in by_role:
                            by_role[profile["role"]].append(elapsed)
                if think:
                    time.sleep(rng.uniform(0.5, 1.5) * think)

    threads = [threading.Thread(target=client, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def summary(values):
        if not values:
            return {"requests": 0}
        ordered = sorted(values)
        return {
            "requests": len(values),
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max_ms": round(ordered[-1], 1),
        }

    every = [v for values in results.values() for v in values]
    seconds = min(seconds, time.monotonic() - started_at - warmup) if stop is not None else seconds
    return {
        "think_time_s": think,
        **{kind: summary(values) for kind, values in results.items()},
        "worklists": summary(
            [v for kind, values in results.items() if kind.startswith("worklist") for v in values]
        ),
        **{f"worklists_{role}": summary(values) for role, values in by_role.items()},
        "requests_per_s": round(len(every) / seconds, 1),
        "errors": len(errors),
        "error_sample": errors[:3],
    }


def serve_and_load(env, clients: list[dict], args) -> tuple[dict, dict, int]:
    """(latency, saturation, peak RSS of a web worker in KB) of the clients against gunicorn."""
    from django.db import connections

    connections.close_all()
    server, port = start_server(env, args.workers)
    try:
        log(
            f"{len(clients)} clients sur gunicorn ({args.workers} workers), {args.seconds:.0f} s, pause {args.think} s"
        )
        latency = load(port, clients, args.seconds, args.think)
        log(f"{len(clients)} clients sans pause (saturation), {args.seconds:.0f} s")
        saturation = load(port, clients, args.seconds, 0)
        return latency, saturation, worker_peak_rss(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def lock_sampler(database_url: str, done: threading.Event, every: float = 0.1) -> dict:
    """PostgreSQL: how often a web request was seen waiting on a lock (on the audit's tables, on any
    table), sampled in pg_stat_activity until `done` is set. Runs in a thread of its own."""
    import psycopg

    found = {"samples": 0, "requests_waiting_on_a_lock": 0, "requests_waiting_on_the_audit": 0}

    def sample():
        with psycopg.connect(database_url, autocommit=True) as conn:
            while not done.is_set():
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                    "count(*) FILTER (WHERE wait_event_type = 'Lock' AND query ILIKE '%%core_audit%%') "
                    "FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                    "AND query NOT ILIKE 'COPY%%' AND datname = current_database()"
                ).fetchone()
                found["samples"] += 1
                found["requests_waiting_on_a_lock"] += row[0]
                found["requests_waiting_on_the_audit"] += row[1]
                time.sleep(every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    found["thread"] = thread
    return found


# What the concurrent phase compares (p95 during the import over p95 idle).
PHASE_KINDS = ("household", "worklists", *(f"worklists_{role}" for role in CLIENT_MIX))


def pages_during_import(env, clients: list[dict], args, path: Path) -> dict:
    """The clients (with their pauses) idle, then while `path` is imported by the real command in
    another process: the p95 of each page during the import next to the idle one."""
    from django.db import connections

    connections.close_all()
    server, port = start_server(env, args.workers)
    try:
        log(f"{len(clients)} clients au repos, {args.seconds:.0f} s (référence de la phase concurrente)")
        idle = load(port, clients, args.seconds, args.think)
        idle_load = [round(x, 2) for x in os.getloadavg()]
        done, outcome = threading.Event(), {}

        def importer():
            try:
                outcome["seconds"], _peak, outcome["output"] = run_import(env, path)
            except BaseException as error:  # noqa: BLE001 (reported below)
                outcome["error"] = str(error)
            finally:
                done.set()

        log(f"{len(clients)} clients pendant l'import de {path.name}")
        sampled = (
            lock_sampler(env["DATABASE_URL"], done) if env["DATABASE_URL"].startswith("postgres") else None
        )
        thread = threading.Thread(target=importer)
        thread.start()
        during = load(port, clients, 3600, args.think, warmup=1.0, stop=done)
        during_load = [round(x, 2) for x in os.getloadavg()]
        thread.join()
        if sampled is not None:
            sampled.pop("thread").join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if "error" in outcome:
        raise SystemExit(outcome["error"])

    def p95(result, kind):
        return result[kind].get("p95_ms")

    ratios = {
        kind: round(p95(during, kind) / p95(idle, kind), 2) if p95(idle, kind) and p95(during, kind) else None
        for kind in PHASE_KINDS
    }
    return {
        "import_lines": sum(1 for _ in path.open(encoding="utf-8")) - 1,
        "import_seconds": round(outcome["seconds"], 1),
        "import_output": outcome["output"],
        "idle": {
            **{kind: idle[kind] for kind in PHASE_KINDS},
            "errors": idle["errors"],
            "load_average": idle_load,
        },
        "during_import": {
            **{kind: during[kind] for kind in PHASE_KINDS},
            "load_average": during_load,
            "errors": during["errors"],
            "error_sample": during["error_sample"],
        },
        "p95_during_over_idle": ratios,
        "lock_waits": sampled,
    }


# --- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pathways", type=int, default=100_000, help="separation events to import (default 100000)"
    )
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--seconds", type=float, default=30, help="duration of each load, after 3 s of warm-up"
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause of a client between two pages (s)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--concurrent-lines", type=int, default=FILE_LINES,
        help="lines of the file imported while the clients load the pages (0: no such phase)",
    )  # fmt: skip
    parser.add_argument(
        "--reuse", action="store_true",
        help="measure the pages again on the dataset a previous run left (no rebuild, no import)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.reuse:
        return measure_again(args)

    data_dir = Path(tempfile.mkdtemp(prefix="parcours-bench-"))
    env = bench_env(args.database_url, data_dir)
    scale = max(0.1, min(1.0, args.pathways / 1_000_000))
    parsed = urllib.parse.urlparse(args.database_url)
    log(f"base neuve : {parsed.scheme}://{parsed.hostname or ''}{parsed.path}")
    fresh_database(args.database_url)
    parcours(env, "migrate", "-v", "0")
    setup_django(env)
    staff = seed_staff(scale)
    log(f"{staff['cafs']} Caf, {staff['staff']} agents ; génération de {args.pathways} déclarations")
    files = write_events(args.pathways, data_dir)

    import_seconds, import_peak, outputs = 0.0, 0, []
    before = after = None
    for path in files:
        checkpoint()
        before = max_ids()
        seconds, peak, output = run_import(env, path)
        after = max_ids()
        import_seconds += seconds
        import_peak = max(import_peak, peak)
        outputs.append(output)
        log(f"{path.name} : {output}")
    rate = args.pathways / import_seconds
    last_events = after["pathways_separationevent"] - before["pathways_separationevent"]
    last_seconds = seconds
    raw_rate, raw_rows = raw_insert_rate(before, after, last_events)
    log(f"import {rate:.0f} évén./s ; insertion brute des mêmes lignes {raw_rate:.0f} évén./s")

    log("vieillissement du jeu de données (étapes faites, parcours clôturés)")
    aged = age_dataset()
    clients = sessions()[: args.clients]
    latency, saturation, worker_peak = serve_and_load(env, clients, args)
    concurrent = None
    if args.concurrent_lines:
        extra = write_events(
            args.concurrent_lines, data_dir, seed=2027, offset=args.pathways, prefix="pendant"
        )
        concurrent = pages_during_import(env, clients, args, extra[0])
        log(f"pendant l'import : p95 / repos = {concurrent['p95_during_over_idle']}")
    from django.db import connection

    result = {
        "database": connection.vendor,
        "pathways": args.pathways,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "dataset": {**staff, **aged},
        "import": {
            "events": args.pathways,
            "files": len(files),
            "seconds": round(import_seconds, 1),
            "events_per_s": round(rate),
            "last_file_events_per_s": round(last_events / last_seconds),
            "raw_bulk_insert_events_per_s": round(raw_rate),
            "raw_bulk_insert_rows": raw_rows,
            "ratio_to_raw_insert": round((last_events / last_seconds) / raw_rate, 2) if raw_rate else None,
            "peak_memory_mb": round(import_peak / 1024),
        },
        "latency": {"clients": len(clients), "gunicorn_workers": args.workers, **latency},
        "saturation": {"clients": len(clients), "gunicorn_workers": args.workers, **saturation},
        "pages_during_an_import": concurrent,
        "memory": {
            "import_process_peak_mb": round(import_peak / 1024),
            "web_worker_peak_mb": round(worker_peak / 1024),
        },
        "open_steps_of_the_signed_in_users": sorted(c["open_steps"] for c in clients),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)


def measure_again(args) -> None:
    """Latency and saturation only, on the database a previous run built and aged."""
    env = bench_env(args.database_url, Path(tempfile.mkdtemp(prefix="parcours-bench-")))
    setup_django(env)
    from django.db import connection

    from parcours.pathways.models import Pathway

    pathways = Pathway.objects.count()
    if not pathways:
        raise SystemExit("base vide : lancez d'abord le banc d'essai sans --reuse")
    clients = sessions()[: args.clients]
    latency, saturation, worker_peak = serve_and_load(env, clients, args)
    result = {
        "database": connection.vendor,
        "pathways": pathways,
        "reused_dataset": True,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "latency": {"clients": len(clients), "gunicorn_workers": args.workers, **latency},
        "saturation": {"clients": len(clients), "gunicorn_workers": args.workers, **saturation},
        "memory": {"web_worker_peak_mb": round(worker_peak / 1024)},
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
