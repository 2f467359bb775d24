"""`.ci/run` fails when PostgreSQL answers but no PostgreSQL-only test ran (tests/conftest.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUICK = "tests/core/test_schedule.py"


def _pytest(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PARCOURS_REQUIRE_POSTGRES_TESTS")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly", QUICK, "-k", "due"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_run_that_requires_the_postgresql_tests_fails_when_none_ran():
    required = _pytest(PARCOURS_REQUIRE_POSTGRES_TESTS="1")  # on SQLite: they are all deselected
    assert required.returncode != 0
    assert "aucun test réservé à PostgreSQL" in required.stdout + required.stderr
    assert _pytest().returncode == 0  # the same run, not required: passes
