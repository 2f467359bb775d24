"""Background tasks the worker may run by batches: many tasks in one transaction.

    from parcours.core import task_batches

    @task()
    def registration_messages_task(registration_id, status, actor_id): ...
    task_batches.batchable(registration_messages_task, around=outbox.deferred)

Only a task whose whole effect is database writes that are safe to repeat (outbox rows with their
idempotency keys) may be declared batchable. The worker (`parcours worker`) then takes up to N of
them ready in the database queue and runs them, each in a savepoint, inside one transaction that
also records their results: killed mid-batch, the transaction is rolled back and the tasks are still
ready (nothing lost, nothing done twice); a task that fails rolls back its own savepoint only and is
recorded failed with its traceback, as django-tasks-db's worker does. On PostgreSQL the rows are
taken `FOR UPDATE SKIP LOCKED` (several workers share the queue); on SQLite the transaction is
exclusive. Every other task runs one by one through django-tasks-db's worker.

`around` (optional): a context manager factory entered once around the whole batch (the outbox's
`deferred`: the batch's messages written in a few statements when it ends). Its object offers
`checkpoint()` and `rollback(mark)`, called around each task so that a failed task leaves nothing
in it. If the batch's own writes fail (a key written meanwhile by another worker), the batch is run
again without `around`, each task writing its rows itself.

`prepare` (optional): called once with the (args, kwargs) of the batch's tasks of that kind, it
returns a context manager entered around the batch, inside its transaction — a task reads there, in
one query for the whole batch, the rows it would read alone (the registrations of
`registration_messages_task`); outside a batch the task reads them itself.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from traceback import format_exception

from django.db import connection, transaction
from django.utils import timezone

from parcours.core import bulk

logger = logging.getLogger("parcours.tasks")

BATCHABLE: dict[str, object] = {}  # task path → `around` factory (or None)
PREPARE: dict[str, object] = {}  # task path → `prepare` (see the module's docstring)


def batchable(task, *, around=None, prepare=None):
    """Declare a task batchable (see the module's docstring for what that requires)."""
    BATCHABLE[task.module_path] = around
    if prepare is not None:
        PREPARE[task.module_path] = prepare
    return task


def run_batch(*, backend_alias: str, worker_id: str, limit: int) -> int:
    """Run up to `limit` ready batchable tasks in one transaction; returns how many ran."""
    if not BATCHABLE or limit <= 0:
        return 0
    try:
        return _run_batch(backend_alias, worker_id, limit, wrap=True)
    except Exception:
        logger.exception("Lot de tâches : repris sans écriture groupée")
        return _run_batch(backend_alias, worker_id, limit, wrap=False)


def _run_batch(backend_alias: str, worker_id: str, limit: int, *, wrap: bool) -> int:
    from django_tasks_db.compat import task_finished
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    with exclusive_transaction(DBTaskResult.objects.db):
        qs = DBTaskResult.objects.ready().filter(backend_name=backend_alias, task_path__in=BATCHABLE)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        results = list(qs[:limit])
        if not results:
            return 0
        now = timezone.now()
        with ExitStack() as stack:
            arounds = []
            if wrap:
                for factory in {BATCHABLE.get(row.task_path) for row in results} - {None}:
                    arounds.append(stack.enter_context(factory()))
            for path, prepare in PREPARE.items():
                calls = [
                    (r.args_kwargs["args"], r.args_kwargs["kwargs"]) for r in results if r.task_path == path
                ]
                if calls:
                    stack.enter_context(prepare(calls))
            for row in results:
                _run_one(row, worker_id, now, arounds)
        bulk.update_rows(
            DBTaskResult,
            results,
            ["status", "started_at", "finished_at", "worker_ids", "return_value", "exception_class_path",
             "traceback"],
        )  # fmt: skip
        for row in results:
            task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
    return len(results)


def _run_one(row, worker_id: str, now, arounds: list) -> None:
    """One task of the batch in its savepoint (opened at its first SQL statement); its outcome is left
    on the row."""
    from django_tasks.base import TaskResultStatus as Status
    from django_tasks_db.compat import task_started

    task = row.task
    task_result = row.task_result
    marks = [around.checkpoint() for around in arounds]
    row.status, row.started_at = Status.RUNNING, now
    row.worker_ids = [*row.worker_ids, worker_id]
    task_started.send(sender=type(task.get_backend()), task_result=task_result)
    opener = _SavepointAtFirstQuery()
    try:
        try:
            with connection.execute_wrapper(opener):
                value = task.call(*task_result.args, **task_result.kwargs)
        except BaseException as exc:
            opener.close(exc)
            raise
        opener.close(None)
    except Exception as exc:
        logger.exception("Tâche %s (lot) : échec", row.pk)
        for around, mark in zip(arounds, marks, strict=True):
            around.rollback(mark)
        row.status, row.return_value = Status.FAILED, None
        row.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
        row.traceback = "".join(format_exception(exc))
    else:
        row.status, row.return_value = Status.SUCCESSFUL, value
        row.exception_class_path, row.traceback = "", ""
    row.finished_at = timezone.now()


class _SavepointAtFirstQuery:
    """The task's own atomic block (its savepoint), opened just before its first SQL statement: a task
    that writes rolls back alone when it fails, exactly as inside `transaction.atomic()`; a task that
    reads and writes nothing in the database (its rows deferred, its registration prepared) costs no
    SAVEPOINT / RELEASE round trips — two per task, a sixth of a drain's time on PostgreSQL."""

    def __init__(self):
        self.block = None
        # Where the block belongs in the connection's stacks: below any block the task opened before
        # its first statement (an `atomic(savepoint=False)` has no statement of its own).
        self.depth = (len(connection.savepoint_ids), len(connection.atomic_blocks))
        # Callbacks the task registers before its first statement belong to its block as well: a task
        # that fails must not have them run at the batch's commit.
        self.callbacks = len(connection.run_on_commit)

    def __call__(self, execute, sql, params, many, context):
        if self.block is None:
            self.block = transaction.atomic()
            self.block.__enter__()  # its SAVEPOINT passes through here again, the block already set
            sid, block = connection.savepoint_ids.pop(), connection.atomic_blocks.pop()
            connection.savepoint_ids.insert(self.depth[0], sid)
            connection.atomic_blocks.insert(self.depth[1], block)
            if sid is not None:
                connection.run_on_commit[self.callbacks :] = [
                    (sids | {sid}, func, robust)
                    for sids, func, robust in connection.run_on_commit[self.callbacks :]
                ]
        return execute(sql, params, many, context)

    def close(self, exc) -> None:
        if self.block is not None:
            self.block.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
