"""No double booking of an accompanist under simultaneous assignments (real parallel transactions)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.accompaniment.concurrency import scenario

MEASURES = 12


@pytest.mark.django_db(transaction=True)
def test_simultaneous_assignments_never_double_book(capsys):
    if connection.vendor == "postgresql":
        result = scenario(MEASURES)
    else:
        # The in-memory SQLite test database refuses concurrent writers (shared-cache table locks): the
        # same threads run in another process on a SQLite file with the production settings.
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.accompaniment.concurrency", "--measures", str(MEASURES)],
            capture_output=True, text=True, timeout=600, env=env, check=True,
        )  # fmt: skip
        result = json.loads(completed.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\n[concurrence MAP] {result}")
    assert result["errors"] == []
    assert result["same_time"] == {"assigned": 1, "refused": MEASURES - 1}
    assert result["spread"] == {"assigned": MEASURES, "refused": 0}
    assert result["double_bookings"] == 0
