"""`parcours worker`: sends the outbox and runs the background tasks queued in the database.

One process does both, in turns: the due messages (claim, chokepoint, hand-over, outcome), then the
ready django-tasks tasks (imports, exports… of the other modules, database backend), and every few
seconds the periodic jobs that are due (core.schedule). SIGTERM or
Ctrl+C finishes the message or task in hand, then stops; SIGKILL loses and duplicates nothing
(see notifications/delivery.py).

`--processes N` (or PARCOURS_WORKER_PROCESSES), PostgreSQL only: this process starts N - 1 others,
the same command, and works beside them; messages and tasks are claimed `SKIP LOCKED`, so they share
the queues without waiting on each other. SIGTERM is passed on to them; each stops when this one
disappears (`--parent-pid`). On SQLite, which has a single writer, the worker stays one process.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string

from parcours.core import schedule, task_batches
from parcours.notifications import delivery

PERIODIC_CHECK_SECONDS = 5

logger = logging.getLogger("parcours.notifications")


class Command(BaseCommand):
    help = "Envoie les messages de la file (e-mail, SMS, courrier) et exécute les tâches de fond."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="pause quand rien n'est dû (secondes)"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=0,
            help="messages (et tâches) traités par lot entre deux tours (défaut : PARCOURS_OUTBOX_BATCH_SIZE)",
        )
        parser.add_argument(
            "--until-empty", action="store_true", help="s'arrêter quand plus rien n'est dû (tests, cron)"
        )
        parser.add_argument("--no-tasks", action="store_true", help="n'exécuter que la file des messages")
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="ne pas lancer les tâches périodiques (parcours periodic)",
        )
        parser.add_argument(
            "--worker-id", default="", help="identifiant unique du worker (par défaut : aléatoire)"
        )
        parser.add_argument(
            "--parent-pid", type=int, default=0, help="s'arrêter quand ce processus disparaît (make run)"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=0,
            help="processus côte à côte, PostgreSQL seulement (défaut : PARCOURS_WORKER_PROCESSES, 1 ; "
            "2 sur un serveur à 2 cœurs)",
        )

    def handle(self, *args, interval, batch_size, until_empty, no_tasks, worker_id, parent_pid, **options):
        self.running = True
        self.others: list[subprocess.Popen] = []
        batch_size = batch_size or settings.PARCOURS_OUTBOX_BATCH_SIZE
        worker_id = worker_id or f"worker-{get_random_string(12)}"
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        verbose = options["verbosity"] >= 1
        processes = options["processes"] or settings.PARCOURS_WORKER_PROCESSES
        if processes > 1 and not connection.features.has_select_for_update_skip_locked:
            if verbose:
                self.stdout.write("SQLite : un seul processus (un seul écrivain à la fois).")
            processes = 1
        for index in range(1, processes):
            self.others.append(self._start_other(f"{worker_id}-{index}", interval, batch_size, until_empty,
                                                 no_tasks, options))  # fmt: skip
        try:
            self._loop(interval, batch_size, until_empty, no_tasks, worker_id, parent_pid, verbose, options)
        finally:
            self._wait_for_others()

    def _start_other(
        self, worker_id, interval, batch_size, until_empty, no_tasks, options
    ) -> subprocess.Popen:
        """The same command in another process, one process only, stopping if this one disappears."""
        command = [sys.executable, "-m", "parcours", "worker", "--processes", "1", "--worker-id", worker_id,
                   "--interval", str(interval), "--batch-size", str(batch_size), "--parent-pid", str(os.getpid()),
                   "-v", str(options["verbosity"])]  # fmt: skip
        command += ["--until-empty"] * until_empty + ["--no-tasks"] * no_tasks
        command += ["--no-periodic"] * bool(options["no_periodic"])
        return subprocess.Popen(command)  # noqa: S603 (our own command, no user input)

    def _wait_for_others(self) -> None:
        failed = []
        for other in self.others:
            if other.wait() != 0:
                failed.append(other.returncode)
        if failed:
            raise CommandError(f"{len(failed)} processus du worker se sont arrêtés en erreur ({failed}).")

    def _loop(self, interval, batch_size, until_empty, no_tasks, worker_id, parent_pid, verbose, options):
        if verbose:
            self.stdout.write(
                f"Worker {worker_id} démarré (messages{'' if no_tasks else ' et tâches de fond'})."
            )
        totals = delivery.Report()
        next_periodic = 0.0
        # Draining the queues (--until-empty: tests, cron) leaves the periodic jobs to `parcours periodic`.
        periodic = not (no_tasks or until_empty or options["no_periodic"])
        # The database task worker announces every batch at INFO: only its warnings and errors here.
        logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        while self.running:
            if parent_pid and os.getppid() != parent_pid:
                break  # the demo server died (even through os._exit): do not outlive it
            if not connection.in_atomic_block:
                close_old_connections()  # a restarted database is reconnected to, as requests do
            report = delivery.run_once(
                worker_id=worker_id,
                limit=batch_size,
                batch_size=batch_size,
                should_stop=lambda: not self.running,
            )
            for name in ("sent", "failed", "refused", "dropped", "held", "retried", "recovered"):
                setattr(totals, name, getattr(totals, name) + getattr(report, name))
            tasks = 0 if no_tasks else self.run_tasks(batch_size)
            if periodic and time.monotonic() >= next_periodic:
                # Periodic jobs (core.schedule): each claims its own row, so several workers share them.
                tasks += len(schedule.run_due())
                next_periodic = time.monotonic() + PERIODIC_CHECK_SECONDS
            busy = report.handled or report.recovered or tasks
            if verbose and (report.handled or report.recovered):
                self.stdout.write(
                    f"envoyés {report.sent}, retenus {report.held}, nouvel essai {report.retried}, "
                    f"échecs {report.failed}, refusés {report.refused}, abandonnés {report.dropped}, "
                    f"repris {report.recovered}"
                )
            if not busy:
                if until_empty:
                    break
                time.sleep(interval)
        if verbose:
            self.stdout.write(
                f"Worker {worker_id} arrêté : {totals.sent} envoyés, {totals.failed} échecs, {totals.refused} refusés."
            )

    def _stop(self, signum, frame):
        for other in self.others:
            if other.poll() is None:
                other.send_signal(signal.SIGTERM)  # each finishes what it has in hand too
        if not self.running:
            raise SystemExit(1)
        self.running = False

    def run_tasks(self, limit: int) -> int:
        """Run up to `limit` ready tasks of the database task backend (what `db_worker` would run)."""
        try:
            from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
            from django_tasks_db.backend import DatabaseBackend
            from django_tasks_db.management.commands.db_worker import Worker
        except ImportError:  # pragma: no cover - both are dependencies of the project
            return 0
        from django_tasks_db.models import DBTaskResult

        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(backend, DatabaseBackend):
            return 0
        # Tasks declared batchable (outbox writes only) run many to a transaction; the others one by one.
        ran = task_batches.run_batch(
            backend_alias=backend.alias, worker_id=get_random_string(32), limit=limit
        )
        if ran:
            return ran
        if not DBTaskResult.objects.ready().filter(backend_name=backend.alias).exists():
            return 0
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name=backend.alias,
            startup_delay=False,
            max_tasks=limit,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.run()
        return worker._run_tasks
