"""Concurrent enqueues and claims on PostgreSQL (row locks: SQLite serialises writers anyway)."""

import threading

import pytest
from django.db import connection, transaction

from parcours.notifications import delivery, outbox
from parcours.notifications.models import Message
from tests.notifications.factories import family

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results.append(target(index))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


def test_the_same_key_enqueued_by_concurrent_transactions_gives_one_message():
    _, mother, _, _ = family(channels=("email",))

    def enqueue(index):
        with transaction.atomic():
            message = outbox.enqueue(
                actor=None, template="notifications.callback_request", key="concurrent.key", person=mother
            )
            return message.pk

    pks = _in_threads(8, enqueue)
    assert len(set(pks)) == 1
    assert Message.objects.filter(key="concurrent.key").count() == 1


def test_concurrent_workers_never_claim_the_same_message():
    _, mother, _, _ = family(channels=("email",))
    for index in range(40):
        outbox.enqueue(
            actor=None, template="notifications.callback_request", key=f"claim.{index}", person=mother
        )

    def claim_all(index):
        claimed = []
        while (message := delivery.claim_next(f"worker-{index}")) is not None:
            claimed.append(message.pk)
        return claimed

    batches = _in_threads(4, claim_all)
    everything = [pk for batch in batches for pk in batch]
    assert len(everything) == 40
    assert len(set(everything)) == 40
