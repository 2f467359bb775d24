"""A worker that dies at any step: the next one neither loses nor repeats the message."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from parcours.notifications import chokepoint, delivery, outbox
from parcours.notifications.models import Message
from tests.notifications.factories import family, letters_stored, sms_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(template):
    template(
        key="tests.simple",
        email_subject="Information",
        email_body="Votre dossier est à jour.",
        sms_text="Votre dossier est à jour.",
        letter_body="<p>Votre dossier est à jour.</p>",
    )

    def make(channel):
        _, mother, _, _ = family(channels=(channel,))
        return outbox.enqueue(actor=None, template="tests.simple", key=f"k-{channel}", person=mother)

    return make


def die_after(step: str, message: Message) -> Message:
    """Run the worker's steps by hand up to `step`, as if it were killed right after, lease expired."""
    claimed = delivery.claim_next("dead-worker")
    assert claimed.pk == message.pk
    if step != "claim":
        decision = chokepoint.decide(claimed)
        Message.objects.filter(pk=claimed.pk).update(
            channel=decision.channel, recipient=decision.to, body=decision.rendered.text
        )
        if step == "hand_over":
            delivery.hand_over(claimed, decision)
    Message.objects.filter(pk=message.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    return claimed


def delivered_count(channel: str) -> int:
    return {"email": len(mail.outbox), "sms": len(sms_sent()), "postal": len(letters_stored())}[channel]


@pytest.mark.parametrize("channel", ["email", "sms", "postal"])
@pytest.mark.parametrize("step", ["claim", "prepare", "hand_over"])
def test_a_worker_killed_at_any_step_leaves_exactly_one_delivery(queued, channel, step):
    message = queued(channel)
    die_after(step, message)
    report = outbox.deliver_due(worker_id="next-worker")
    assert report.recovered == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert delivered_count(channel) == 1
    if step == "hand_over":
        assert (
            "pas de second envoi" in message.reason or "pas de second envoi" in message.events.last().detail
        )


def test_a_live_workers_claim_is_not_taken_over_before_its_lease_ends(queued):
    message = queued("email")
    delivery.claim_next("slow-worker")
    report = outbox.deliver_due(worker_id="other-worker")
    assert report.recovered == 0 and report.handled == 0
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING and message.claimed_by == "slow-worker"


def test_when_the_transport_cannot_tell_the_message_is_sent_again_with_the_same_reference(queued, settings):
    # SMTP-like: a backend that keeps no trace the worker could look up after a crash.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    message = queued("email")
    die_after("hand_over", message)
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert any("ne dit pas si l'envoi a eu lieu" in e.detail for e in message.events.all())


def test_a_claimed_message_cannot_be_finished_by_a_worker_that_lost_its_claim(queued):
    message = queued("email")
    claimed = delivery.claim_next("first")
    Message.objects.filter(pk=message.pk).update(claimed_by="second")
    assert delivery.finish(claimed, Message.Status.SENT) is False
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING


@pytest.mark.django_db(
    transaction=True
)  # a command runs outside any transaction (it closes stale connections)
def test_the_worker_command_sends_what_is_due_then_stops(queued):
    message = queued("sms")
    call_command("worker", "--until-empty", "--no-tasks", verbosity=0)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(sms_sent()) == 1


RAN: list[str] = []


@task()
def record_value(value):
    RAN.append(value)


@pytest.fixture
def database_task_backend(settings):
    """The production task backend (tasks queued in the database) instead of the tests' immediate one."""
    from asgiref.local import Local
    from django_tasks import task_backends

    def reset():
        task_backends._settings = None
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    reset()
    yield
    reset()


@pytest.mark.django_db(transaction=True)
def test_the_worker_also_runs_the_tasks_other_modules_queue_in_the_database(database_task_backend):
    from django_tasks_db.models import DBTaskResult

    RAN.clear()
    record_value.enqueue("import n° 1")
    assert RAN == [] and DBTaskResult.objects.count() == 1
    call_command("worker", "--until-empty", verbosity=0)
    assert RAN == ["import n° 1"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_worker_started_by_make_run_stops_when_its_parent_is_gone(queued):
    import os

    message = queued("email")
    not_my_parent = os.getppid() + 1
    call_command("worker", "--until-empty", "--no-tasks", "--parent-pid", str(not_my_parent), verbosity=0)
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING  # stopped before doing anything
    call_command("worker", "--until-empty", "--no-tasks", "--parent-pid", str(os.getppid()), verbosity=0)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
