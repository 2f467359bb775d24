"""`parcours worker --processes N`: on PostgreSQL (SKIP LOCKED) the worker starts N - 1 more of
itself, which stop when it disappears; on SQLite (one writer) it stays one process."""

import os
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from parcours.notifications.management.commands import worker as worker_command


class FakeProcess:
    def __init__(self, command):
        self.command, self.returncode = command, 0

    def wait(self):
        return 0

    def poll(self):
        return 0


@pytest.fixture
def started(monkeypatch):
    commands = []

    def popen(command):
        commands.append(command)
        return FakeProcess(command)

    monkeypatch.setattr(worker_command.subprocess, "Popen", popen)
    return commands


@pytest.mark.django_db(transaction=True)
def test_on_a_database_with_skip_locked_the_worker_starts_the_other_processes(started, monkeypatch):
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)
    call_command("worker", "--until-empty", "--no-tasks", "--processes", "3", "--worker-id", "w", verbosity=0)
    assert len(started) == 2
    for index, command in enumerate(started, start=1):
        assert command[:4] == [sys.executable, "-m", "parcours", "worker"]
        options = dict(zip(command[4::1], command[5::1], strict=False))
        assert options["--processes"] == "1"  # each of the others is one process
        assert options["--worker-id"] == f"w-{index}"
        assert options["--parent-pid"] == str(os.getpid())  # it stops when this one is gone
        assert "--until-empty" in command and "--no-tasks" in command


@pytest.mark.django_db(transaction=True)
def test_the_setting_gives_the_default_number_of_processes(started, monkeypatch, settings):
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)
    settings.PARCOURS_WORKER_PROCESSES = 2
    call_command("worker", "--until-empty", "--no-tasks", verbosity=0)
    assert len(started) == 1


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_the_worker_stays_one_process(started, monkeypatch):
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", False)
    call_command("worker", "--until-empty", "--no-tasks", "--processes", "2", verbosity=0)
    assert started == []


@pytest.mark.django_db(transaction=True)
def test_a_process_that_fails_makes_the_worker_fail(monkeypatch):
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", True)

    class Failing(FakeProcess):
        def wait(self):
            self.returncode = 1
            return 1

    monkeypatch.setattr(worker_command.subprocess, "Popen", Failing)
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("worker", "--until-empty", "--no-tasks", "--processes", "2", verbosity=0)
