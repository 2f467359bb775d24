"""A real `kill -9` of `parcours import-events` in the middle of its write: no partial batch, and a
rerun completes the job. Runs the command in a subprocess on a database of its own (a SQLite
file, or a scratch PostgreSQL database when the suite runs on PostgreSQL)."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.pathways.factories import csv_bytes, row

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 1_000
LINES = 2_400  # three chunks: the kill lands after the first one is written


class ScratchDatabase:
    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            settings = connection.settings_dict
            self.name = f"{settings['NAME']}_kill"[:60]
            self.admin = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
                          "user": settings["USER"], "dbname": "postgres"}  # fmt: skip
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
            self.url = (
                f"postgres://{self.admin['user']}@{self.admin['host']}:{self.admin['port']}/{self.name}"
            )
        else:
            self.path = tmp_path / "kill.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, *statements):
        import psycopg

        with psycopg.connect(**self.admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def count(self, table: str, where: str = "") -> int:
        sql = f"SELECT COUNT(*) FROM {table} {where}"  # noqa: S608 (fixed test tables)
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(**{**self.admin, "dbname": self.name}) as conn:
                return conn.execute(sql).fetchone()[0]
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql).fetchone()[0]

    def drop(self):
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def scratch(tmp_path):
    database = ScratchDatabase(tmp_path)
    yield database
    database.drop()


def parcours(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "parcours", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, **kwargs)  # fmt: skip


def test_an_import_killed_mid_write_leaves_nothing_and_a_rerun_completes_it(scratch, tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": scratch.url,
           "PYTHONPATH": str(ROOT), "PARCOURS_DATA_DIR": str(tmp_path),
           "PARCOURS_IMPORT_CHUNK_SIZE": str(CHUNK)}  # fmt: skip
    assert parcours(env, "migrate", "-v", "0").returncode == 0
    seeded = parcours(env, "shell", "-c", "from tests import factories; factories.caf('92')")
    assert seeded.returncode == 0, seeded.stderr
    path = tmp_path / "declarations.csv"
    path.write_bytes(
        csv_bytes([row(external_id=f"KILL-{n:05d}", file_number=f"{3000000 + n}") for n in range(LINES)])
    )

    process = subprocess.Popen([sys.executable, "-m", "parcours", "import-events", str(path)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    progress, deadline = b"", time.monotonic() + 240
    while f"crites : {CHUNK}".encode() not in progress:  # the first chunk is in, the transaction is open
        assert process.poll() is None, f"l'import s'est terminé avant d'être tué : {progress[-300:]!r}"
        assert time.monotonic() < deadline, "l'import n'a pas commencé à écrire"
        ready, _, _ = select.select([process.stderr], [], [], 1)
        if ready:
            progress += os.read(process.stderr.fileno(), 4096)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    for table in ("pathways_separationevent", "pathways_pathway", "pathways_pathwaystep", "households_household",
                  "households_person"):  # fmt: skip
        assert scratch.count(table) == 0, f"{table} garde des lignes d'un import interrompu"
    assert scratch.count("core_auditentry", "WHERE action LIKE 'pathways.%'") == 0

    rerun = parcours(env, "import-events", str(path), "-v", "0")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{LINES} parcours ouverts, 0 déclarations déjà importées" in rerun.stdout
    assert scratch.count("pathways_pathway") == LINES

    again = parcours(env, "import-events", str(path), "-v", "0")
    assert f"0 parcours ouverts, {LINES} déclarations déjà importées" in again.stdout
    assert scratch.count("pathways_pathway") == LINES
    verified = parcours(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
