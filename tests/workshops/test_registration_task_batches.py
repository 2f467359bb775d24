"""The worker writes the messages of many registrations by batches: one transaction, a fixed number of
queries per batch, and a task that fails leaves nothing of its own while the others are written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.core import task_batches
from parcours.notifications.models import Message, MessageAttachment, MessageEvent
from tests.notifications.test_delivery import database_task_backend  # noqa: F401  (fixture)
from tests.workshops import factories as wf


def run_tasks(limit=100) -> int:
    with CaptureQueriesContext(connection) as captured:
        ran = task_batches.run_batch(backend_alias="default", worker_id="test", limit=limit)
    return ran, len(captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_the_messages_of_n_registrations_cost_the_same_queries_for_5_or_25(database_task_backend):  # noqa: F811
    workshop = wf.workshop(capacity=100)
    for _ in range(5):
        wf.public_registration(workshop)
    five, five_queries = run_tasks()
    for _ in range(25):
        wf.public_registration(workshop)
    twenty_five, twenty_five_queries = run_tasks()
    assert (five, twenty_five) == (5, 25)
    # Per registration: its row (1), the task's savepoint (2); the messages, attachments, events and
    # the task results are written together for the batch.
    assert twenty_five_queries - five_queries <= 4 * 20  # one by one: about 15 per registration
    confirmations = Message.objects.filter(template="workshops.confirmation")
    assert confirmations.count() == 30
    assert MessageAttachment.objects.filter(message__in=confirmations).count() == 30
    assert MessageEvent.objects.filter(message__template="workshops.confirmation").count() == 30
    assert run_tasks() == (0, run_tasks()[1])  # nothing left, nothing written twice
    assert Message.objects.filter(template="workshops.confirmation").count() == 30


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_leaves_nothing_while_the_others_of_its_batch_are_written(
    database_task_backend,  # noqa: F811
    monkeypatch,
):
    from django_tasks_db.models import DBTaskResult

    from parcours.workshops import messaging

    workshop = wf.workshop(capacity=10)
    registrations = [wf.public_registration(workshop) for _ in range(3)]
    real = messaging.schedule_reminders

    def broken(registration, *, actor):
        if registration.pk == registrations[1].pk:
            raise RuntimeError("panne")
        return real(registration, actor=actor)

    monkeypatch.setattr(messaging, "schedule_reminders", broken)
    assert run_tasks()[0] == 3
    written = {
        r.pk: Message.objects.filter(key__startswith=f"workshops.registration.{r.pk}.").count()
        for r in registrations
    }
    assert written[registrations[1].pk] == 0  # not even its confirmation, enqueued before the failure
    assert written[registrations[0].pk] > 0 and written[registrations[2].pk] > 0
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [
        "FAILED",
        "SUCCESSFUL",
        "SUCCESSFUL",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_registrations_of_a_batch_are_read_in_one_query(database_task_backend):  # noqa: F811
    workshop = wf.workshop(capacity=100)
    for _ in range(5):
        wf.public_registration(workshop)
    _, five_queries = run_tasks()
    for _ in range(25):
        wf.public_registration(workshop)
    _, twenty_five_queries = run_tasks()
    # Per registration only the task's savepoint (2) is left: its row comes with the batch's (read
    # one by one, 3 per registration: 62 here); a few more for the batch's larger bulk writes.
    assert twenty_five_queries - five_queries <= 2 * 20 + 5
    assert Message.objects.filter(template="workshops.confirmation").count() == 30


@pytest.mark.django_db(transaction=True)
def test_a_task_that_reads_and_writes_nothing_itself_costs_no_savepoint(database_task_backend):  # noqa: F811
    workshop = wf.workshop(capacity=100)
    for _ in range(5):
        wf.public_registration(workshop)
    with CaptureQueriesContext(connection) as five:
        task_batches.run_batch(backend_alias="default", worker_id="test", limit=100)
    for _ in range(25):
        wf.public_registration(workshop)
    with CaptureQueriesContext(connection) as twenty_five:
        task_batches.run_batch(backend_alias="default", worker_id="test", limit=100)
    savepoints = [q["sql"] for q in twenty_five.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # Its rows are deferred, its registration prepared: nothing to isolate (the batch's own writes
    # keep their one savepoint); one by one, SAVEPOINT and RELEASE for each of the 25 tasks.
    assert len(savepoints) <= 2
    assert len(twenty_five.captured_queries) - len(five.captured_queries) <= 5
    assert Message.objects.filter(template="workshops.confirmation").count() == 30


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "inner", ["none", "savepoint", "no_savepoint", "no_savepoint_fails_inside", "on_commit_first"]
)
def test_a_task_that_writes_then_fails_rolls_back_its_own_writes_only(
    database_task_backend,  # noqa: F811
    monkeypatch,
    caplog,
    inner,
):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from parcours.workshops import messaging
    from parcours.workshops.models import Registration

    workshop = wf.workshop(capacity=10)
    registrations = [wf.public_registration(workshop) for _ in range(3)]
    real = messaging.schedule_reminders

    def write(registration):
        Registration.objects.filter(pk=registration.pk).update(accessibility_needs="écrit par la tâche")

    committed = []

    def writes_then_fails(registration, *, actor):
        if inner == "on_commit_first":  # registered before the task's first statement
            transaction.on_commit(lambda pk=registration.pk: committed.append(pk))
            write(registration)
        elif inner == "savepoint":
            with transaction.atomic():
                write(registration)
        elif inner.startswith("no_savepoint"):
            with transaction.atomic(savepoint=False):
                write(registration)
                if inner.endswith("inside") and registration.pk == registrations[1].pk:
                    raise RuntimeError("panne dans un bloc sans point de sauvegarde")
        else:
            write(registration)
        if registration.pk == registrations[1].pk:
            raise RuntimeError("panne après une écriture")
        return real(registration, actor=actor)

    monkeypatch.setattr(messaging, "schedule_reminders", writes_then_fails)
    assert run_tasks()[0] == 3
    written = dict(Registration.objects.filter(pk__in=[r.pk for r in registrations]).values_list(
        "pk", "accessibility_needs"))  # fmt: skip
    assert written[registrations[1].pk] == ""  # its own write is rolled back
    assert written[registrations[0].pk] == written[registrations[2].pk] == "écrit par la tâche"
    assert (
        Message.objects.filter(key__startswith=f"workshops.registration.{registrations[1].pk}.").count() == 0
    )
    assert (
        Message.objects.filter(key__startswith=f"workshops.registration.{registrations[2].pk}.").count() > 0
    )
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == [
        "FAILED",
        "SUCCESSFUL",
        "SUCCESSFUL",
    ]
    assert "repris sans écriture groupée" not in caplog.text  # the failure did not spoil its batch
    if inner == "on_commit_first":  # the failed task's callback went with its savepoint
        assert committed == [registrations[0].pk, registrations[2].pk]
