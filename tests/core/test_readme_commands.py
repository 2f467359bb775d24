"""Every `.venv/bin/parcours …` command the README shows works as written, on the database that
`make run` writes into `.env` — no SECRET_KEY, DEBUG or DATABASE_URL to add by hand."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def readme_blocks(kind: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{kind}\n(.*?)```", text, flags=re.S)


def readme_commands() -> list[str]:
    commands = []
    for block in readme_blocks("sh"):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith(".venv/bin/parcours"):
                commands.append(line)
    return commands


def test_the_readme_shows_parcours_commands():
    names = {shlex.split(c, comments=True)[1] for c in readme_commands()}
    assert {"import-events", "create-api-token", "list-api-tokens", "revoke-api-token", "demo_totp"} <= names


def test_each_readme_command_runs_as_written(tmp_path):
    # What `make run` writes (see the Makefile), pointed at a scratch database.
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comme make run\nDEBUG=1\nPARCOURS_DEMO=1\n"
        f"DATABASE_URL=sqlite:///{tmp_path / 'demo.sqlite3'}\nPARCOURS_DATA_DIR={tmp_path / 'var'}\n",
        encoding="utf-8",
    )
    (tmp_path / "declarations.csv").write_text(readme_blocks("csv")[0], encoding="utf-8")
    # A newcomer's shell: none of the suite's settings, only the `.env` that `make run` wrote.
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PARCOURS_DOTENV_FILE": str(dotenv)}

    def run(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    # `make run` migrates and loads the demo (here a reduced one) before the README's commands.
    assert run([str(BIN / "parcours"), "migrate", "--no-input", "-v", "0"]).returncode == 0
    assert run([str(BIN / "parcours"), "seed_demo", "--scale", "0.1"]).returncode == 0
    failures = []
    for command in readme_commands():
        args = shlex.split(command, comments=True)
        args[0] = str(BIN / "parcours")
        result = run(args)
        if result.returncode != 0:
            failures.append(f"{command}\n  → code {result.returncode} : {result.stderr.strip()[-400:]}")
    assert not failures, "\n".join(failures)


def test_dotenv_fills_only_what_the_environment_lacks(tmp_path, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from parcours.core.env import load_dotenv

    path = tmp_path / ".env"
    path.write_text(
        "# démo\nPARCOURS_T_A=1\nexport PARCOURS_T_B='deux mots'\nPARCOURS_T_C=fichier\n", encoding="utf-8"
    )
    monkeypatch.delenv("PARCOURS_T_A", raising=False)
    monkeypatch.delenv("PARCOURS_T_B", raising=False)
    monkeypatch.setenv("PARCOURS_T_C", "environnement")
    assert load_dotenv(path) == ["PARCOURS_T_A", "PARCOURS_T_B"]
    assert os.environ["PARCOURS_T_B"] == "deux mots"
    assert os.environ["PARCOURS_T_C"] == "environnement"
    monkeypatch.delenv("PARCOURS_T_A")
    monkeypatch.delenv("PARCOURS_T_B")
    assert load_dotenv(tmp_path / "absent") == []
    path.write_text("pas une affectation\n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="ligne 1"):
        load_dotenv(path)
