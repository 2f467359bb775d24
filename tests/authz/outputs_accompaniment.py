"""Outputs of the MAP module for the canaries (the parents' protected addresses hold the canary):
the accompanist's calendar feed (ICS), the report to the judge (PDF read back, through the registered
exporter in the background), the messages to each parent (calendar, reminders) and the staff alert,
really delivered on their channel, and the audit entries of the module."""

from __future__ import annotations

import json

from django.core import mail

from parcours.accompaniment import ics, messaging
from parcours.core import exports
from parcours.core.models import AuditEntry
from parcours.notifications import outbox
from parcours.notifications.models import Message
from tests.authz.kinds_accompaniment import map_records
from tests.authz.registry import VARIANTS, output
from tests.notifications.factories import pdf_text


def _produce(world) -> list[tuple[str, str | bytes]]:
    produced: list[tuple[str, str | bytes]] = []
    for variant in VARIANTS:
        records = map_records(world, variant)
        produced.append((f"agenda ICS de l'accompagnant [{variant}]", ics.feed(records["accompanist"])))
        job = exports.start_job(
            actor=records["coordinator"],
            identifier="accompaniment.judge_report",
            fmt="pdf",
            obj=records["report"],
        )
        exports.run_job(job.pk)
        job.refresh_from_db()
        assert job.status == "done", job.message
        content = exports.read_job_file(job)
        text = pdf_text(content)
        assert "Rapport au juge" in text  # control: the PDF is really read back
        produced += [
            (f"rapport au juge PDF [{variant}]", text),
            (f"rapport au juge PDF (octets) [{variant}]", content),
        ]
        messaging.send_schedule(
            actor=records["coordinator"],
            measure=records["measure"],
            handovers=records["measure"].handovers.all(),
        )
    outbox.deliver_due()
    for message in Message.objects.filter(key__startswith="accompaniment."):
        produced.append(
            (
                f"message {message.template} [{message.key}]",
                message.subject + message.body + message.recipient,
            )
        )
    for email in mail.outbox:
        produced.append((f"e-mail « {email.subject} »", str(email.message())))
    rows = list(
        AuditEntry.objects.filter(action__startswith="accompaniment.").values(
            "action", "object_ref", "reason", "data"
        )
    )
    produced.append(("journal d'audit (accompagnement)", json.dumps(rows, ensure_ascii=False, default=str)))
    return produced


@output
def accompaniment_documents_and_messages(world, principal):
    yield from world.memo("accompaniment-outputs", lambda: _produce(world))
