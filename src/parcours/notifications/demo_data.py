"""Demo messages: a few callback requests per pilot department, through the real outbox.

`make run` starts `parcours worker`, which sends them at once: e-mails appear in var/mailbox/
(one .eml file each), SMS in var/sms/, letters as PDF on the message page. Some parents have no safe
channel, so refusals show up too; a restricted household gets the neutral wording.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from parcours.core import calendar, demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import User
from parcours.households.models import ContactChannel, Household, Person
from parcours.notifications import outbox

PER_DEPARTMENT = 6


@demo.register("Messages", order=60)
def seed_messages(*, rng, scale, stdout):
    queued = 0
    for code in PILOT_DEPARTMENTS:
        actor = User.objects.get(email=demo.demo_email("social_worker", code))
        households = list(
            Household.objects.filter(department__code=code).order_by("pk")[
                : max(1, int(PER_DEPARTMENT * scale))
            ]
        )
        callback_before = calendar.add_working_days(code, calendar.local_date(code), 5)
        for index, household in enumerate(households):
            for person in household.members.filter(role=Person.Role.PARENT):
                if index % 3 == 2:
                    # Letters for some families: a safe postal channel (the elected address if protected).
                    ContactChannel.objects.get_or_create(
                        person=person, kind="postal", defaults={"is_safe": True}
                    )
                outbox.enqueue(
                    actor=actor,
                    template="notifications.callback_request",
                    key=f"demo.callback.{person.pk}",
                    person=person,
                    channel="postal" if index % 3 == 2 else None,
                    context={"agent_name": actor.get_full_name(), "callback_before": callback_before},
                    not_before=timezone.now() + timedelta(seconds=rng.randint(0, 30)),
                )
                queued += 1
    return f"{queued} messages en file (envoyés par le worker de `make run`)"
