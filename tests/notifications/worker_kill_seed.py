"""Seeds a file-backed database for the worker-kill test: `python -m tests.notifications.worker_kill_seed N`.

Run in a subprocess (DJANGO_SETTINGS_MODULE=tests.settings, DATABASE_URL pointing at the test's own
database). Queues N messages with keys wk.0 … wk.N-1, half by e-mail, half by SMS.
"""

import sys

import django


def main(count: int) -> None:
    django.setup()
    from django.db import transaction

    from parcours.notifications import outbox
    from tests.notifications.factories import family

    with transaction.atomic():
        parents = []
        for _ in range(max(1, count // 10)):
            _, mother, father, _ = family("974", channels=("email", "sms"))
            parents += [mother, father]
        for index in range(count):
            outbox.enqueue(
                actor=None,
                template="notifications.callback_request",
                key=f"wk.{index}",
                person=parents[index % len(parents)],
                channel="email" if index % 2 else "sms",
                context={"agent_name": "Mme Payet"},
            )


if __name__ == "__main__":
    main(int(sys.argv[1]))
