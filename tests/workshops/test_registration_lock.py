"""Inside the workshop's lock a registration writes only what capacity needs; the worker writes its messages."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.notifications.models import Message
from tests.notifications.test_delivery import database_task_backend  # noqa: F401  (fixture)
from tests.workshops import factories as wf


@pytest.mark.django_db(transaction=True)
def test_the_messages_are_written_by_the_worker_from_one_task_row(database_task_backend):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    workshop = wf.workshop(capacity=5)
    with CaptureQueriesContext(connection) as captured:
        registration = wf.public_registration(workshop)
    assert Message.objects.count() == 0  # no message rendered (nor its calendar file) under the lock
    assert DBTaskResult.objects.count() == 1
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].upper().startswith("INSERT")]
    assert not any("notifications_message" in sql for sql in inserts)
    call_command("worker", "--until-empty", "--no-periodic", verbosity=0)
    keys = set(
        Message.objects.filter(key__startswith=f"workshops.registration.{registration.pk}.").values_list(
            "template", flat=True
        )
    )
    assert "workshops.confirmation" in keys


@pytest.mark.django_db(transaction=True)
def test_a_registration_cancelled_before_the_worker_runs_gets_no_confirmation(database_task_backend):  # noqa: F811
    from parcours.core.policy import LinkHolder
    from parcours.workshops import services

    workshop = wf.workshop(capacity=5)
    registration = wf.public_registration(workshop)
    services.cancel_registration(
        actor=LinkHolder(registration=registration), registration=registration, reason="Erreur de saisie"
    )
    call_command("worker", "--until-empty", "--no-periodic", verbosity=0)
    assert not Message.objects.filter(template="workshops.confirmation").exists()


_POST = {
    "first_name": "Awa",
    "contact_kind": "email",
    "phone": "",
    "party_size": "1",
    "accessibility_needs": "",
}


def _post_register(client, workshop, email: str):
    from django.urls import reverse

    url = reverse("portal:workshop-register", kwargs={"code": workshop.department.code, "pk": workshop.pk})
    return client.post(url, {**_POST, "email": email})


@pytest.mark.django_db(transaction=True)
def test_a_public_registration_post_runs_at_most_12_queries(
    client,
    database_task_backend,  # noqa: F811
    django_assert_max_num_queries,
):
    workshop = wf.workshop(capacity=50)
    _post_register(client, workshop, "premiere@exemple.fr")  # warm: the audit's sequence name, etc.
    with django_assert_max_num_queries(12):
        response = _post_register(client, workshop, "seconde@exemple.fr")
    assert response.status_code == 302 and response["Location"].endswith("/confirmee/")


def _kind(sql: str) -> str:
    from parcours.core import compiled

    upper = compiled.original_sql(sql).upper()  # PostgreSQL: EXECUTE of a prepared statement
    if "FOR UPDATE" in upper:
        return "lock"
    if upper.startswith("SELECT") and '"WORKSHOPS_REGISTRATION"' in upper:
        return "count"  # the one statement that looks at the session's registrations
    if upper.startswith('SELECT "WORKSHOPS_WORKSHOP"') and connection.vendor == "sqlite":
        return "lock"  # SQLite: BEGIN IMMEDIATE took the write lock; this reads the row under it
    if upper.startswith('INSERT INTO "WORKSHOPS_REGISTRATION"'):
        return "insert"
    if upper.startswith('UPDATE "WORKSHOPS_WORKSHOP" SET "SEATS_TAKEN"'):
        return "seats"
    if "CORE_AUDITENTRY" in upper:
        return "audit"  # the entry's id (its hash covers it), then its INSERT: every write is audited
    if upper.startswith('INSERT INTO "DJANGO_TASKS_DATABASE_DBTASKRESULT"'):
        return "task"
    return f"other: {sql[:120]}"


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_held_for_the_lock_the_count_the_insert_and_one_task_row_only(
    client,
    database_task_backend,  # noqa: F811
):
    from collections import Counter

    workshop = wf.workshop(capacity=50)
    _post_register(client, workshop, "premiere@exemple.fr")
    with CaptureQueriesContext(connection) as captured:
        _post_register(client, workshop, "seconde@exemple.fr")
    sqls = [q["sql"] for q in captured.captured_queries]
    begin = next(i for i, sql in enumerate(sqls) if sql.upper().startswith("BEGIN"))
    commit = next(i for i, sql in enumerate(sqls) if sql.upper().startswith("COMMIT"))
    kinds = Counter(_kind(sql) for sql in sqls[begin + 1 : commit])
    audit = kinds.pop("audit")
    assert kinds == {"lock": 1, "count": 1, "insert": 1, "seats": 1, "task": 1}
    assert 1 <= audit <= 3  # one INSERT, after reserving its id (SQLite: two reads under its write lock)
    if connection.vendor == "postgresql":  # the entry's id was taken from its sequence before the lock
        lock = next(i for i, sql in enumerate(sqls) if _kind(sql) == "lock")
        assert [_kind(sql) for sql in sqls[lock:commit]].count("audit") == 1
    assert not any("NOTIFICATIONS_MESSAGE" in sql.upper() for sql in sqls)


@pytest.mark.django_db(transaction=True)
def test_an_offer_that_lapsed_is_passed_on_before_a_public_registration_counts_the_seats():
    from datetime import timedelta

    import time_machine

    from parcours.core.policy import LinkHolder
    from parcours.workshops import services
    from parcours.workshops.models import Registration

    workshop = wf.workshop(capacity=1, days=20)
    holder = wf.public_registration(workshop)
    first = wf.public_registration(workshop)  # waits, then is offered the freed seat
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    first.refresh_from_db()
    assert first.status == Registration.Status.OFFERED
    with time_machine.travel(first.offer_expires_at + timedelta(minutes=1)):
        newcomer = wf.public_registration(workshop)
    first.refresh_from_db()
    newcomer.refresh_from_db()
    assert first.status == Registration.Status.OFFER_EXPIRED
    # The lapsed seat went free before the count: nobody waited, so the newcomer got it.
    assert newcomer.status == Registration.Status.CONFIRMED
