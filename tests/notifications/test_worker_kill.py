"""Kill the real worker process (SIGKILL) several times mid-batch: 0 messages lost, 0 duplicated.

The worker runs as `python -m parcours worker` on a database of its own (a SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL), with the file transports: one .eml file per
e-mail, one .json file per SMS, each carrying the message's reference (hashed idempotency key).
Deliveries are counted per reference in those files; the figures are printed and written to
`worker-kill-figures.json` in the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings

from parcours.notifications.models import reference_for

ROOT = Path(__file__).resolve().parents[2]
QUEUED = 250
KILL_AT = (30, 70, 110, 150, 190)  # deliveries counted before each SIGKILL
LEASE_SECONDS = 2


def _database(tmp_path: Path):
    """(DATABASE_URL for the subprocesses, SQL runner, cleanup)."""
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        path = tmp_path / "worker-kill.sqlite3"

        def query(sql):
            with sqlite3.connect(path) as conn:
                return conn.execute(sql).fetchall()

        return f"sqlite:///{path}", query, lambda: None

    import psycopg

    base = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"{base['NAME']}_workerkill"[:60]
    admin = {
        "host": base["HOST"] or "127.0.0.1",
        "port": base["PORT"] or 5432,
        "user": base["USER"],
        "dbname": "postgres",
    }
    if base.get("PASSWORD"):
        admin["password"] = base["PASSWORD"]
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def query(sql):
        with psycopg.connect(**{**admin, "dbname": name}) as conn:
            return conn.execute(sql).fetchall()

    def drop():
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    user = base["USER"] + (f":{base['PASSWORD']}" if base.get("PASSWORD") else "")
    return f"postgres://{user}@{admin['host']}:{admin['port']}/{name}", query, drop


def _deliveries(mailbox: Path, sms: Path) -> Counter:
    counts: Counter = Counter()
    for path in mailbox.glob("*.eml"):
        counts[message_from_bytes(path.read_bytes())["X-Parcours-Reference"]] += 1
    for path in sms.glob("*.json"):
        counts[json.loads(path.read_text())["reference"]] += 1
    return counts


def _delivered(mailbox: Path, sms: Path) -> int:
    return len(list(mailbox.glob("*.eml"))) + len(list(sms.glob("*.json")))


@pytest.mark.xdist_group("worker-kill")
def test_killing_the_worker_mid_batch_loses_and_duplicates_nothing(tmp_path):
    url, query, drop = _database(tmp_path)
    mailbox, sms = tmp_path / "mailbox", tmp_path / "sms"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "PARCOURS_DATA_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "parcours.notifications.backends.email.MailboxBackend",
        "EMAIL_FILE_PATH": str(mailbox),
        "PARCOURS_SMS_BACKEND": "parcours.notifications.backends.sms.FileBackend",
        "PARCOURS_SMS_FILE_PATH": str(sms),
        "PARCOURS_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "PARCOURS_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
    python = [sys.executable]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "timeout": 300}
    try:
        subprocess.run([*python, "-m", "parcours", "migrate", "-v", "0"], **run)  # noqa: S603
        subprocess.run([*python, "-m", "tests.notifications.worker_kill_seed", str(QUEUED)], **run)  # noqa: S603
        assert query("SELECT count(*) FROM notifications_message WHERE status = 'pending'") == [(QUEUED,)]

        worker = [*python, "-m", "parcours", "worker", "--no-tasks", "--interval", "0.1", "-v", "0"]
        kills = []
        for threshold in KILL_AT:
            process = subprocess.Popen(worker, cwd=ROOT, env=env)  # noqa: S603
            deadline = time.monotonic() + 120
            while _delivered(mailbox, sms) < threshold and time.monotonic() < deadline:
                assert process.poll() is None, "le worker s'est arrêté seul"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            in_flight = query("SELECT count(*) FROM notifications_message WHERE status = 'sending'")[0][0]
            kills.append({"delivered_at_kill": _delivered(mailbox, sms), "left_sending": in_flight})
        assert 0 < kills[-1]["delivered_at_kill"] < QUEUED, "le worker n'a pas été tué en cours de lot"

        time.sleep(LEASE_SECONDS + 0.5)  # the dead workers' leases expire
        subprocess.run([*worker, "--until-empty"], **run)  # noqa: S603

        counts = _deliveries(mailbox, sms)
        expected = {reference_for(f"wk.{i}") for i in range(QUEUED)}
        statuses = dict(query("SELECT status, count(*) FROM notifications_message GROUP BY status"))
        recovered = query(
            "SELECT count(*) FROM notifications_messageevent WHERE detail LIKE '%arrêt d''un worker%'"
        )[0][0]
        figures = {
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "queued": QUEUED,
            "kills": kills,
            "sent": statuses.get("sent", 0),
            "delivered_files": sum(counts.values()),
            "duplicated": sum(n - 1 for n in counts.values() if n > 1),
            "lost": len(expected - set(counts)),
            "unexpected": len(set(counts) - expected),
            "recovered_after_kill": recovered,
        }
        (tmp_path / "worker-kill-figures.json").write_text(json.dumps(figures, indent=1))
        print("\nworker-kill figures:", json.dumps(figures))
        assert figures["lost"] == 0
        assert figures["duplicated"] == 0
        assert figures["unexpected"] == 0
        assert statuses == {"sent": QUEUED}
    finally:
        drop()
