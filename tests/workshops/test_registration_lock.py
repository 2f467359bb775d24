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
