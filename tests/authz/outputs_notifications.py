"""Every registered message template, on every channel, to both parents of every household of the
canary world (their protected addresses hold the canary): the e-mails, SMS and PDF letters really
produced by the worker, plus the ordinary wording rendered directly, and the household timeline."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core import mail

from parcours.households import timeline
from parcours.households.models import ContactChannel, Person
from parcours.notifications import outbox, templates
from parcours.notifications.backends import letters
from parcours.notifications.models import Message
from tests.authz.registry import VARIANTS, output


def _pdf_text(content: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages)


def _produce(world) -> list[tuple[str, str | bytes]]:
    produced: list[tuple[str, str | bytes]] = []
    queued: list[Message] = []
    for variant in VARIANTS:
        household = world.household(variant)
        for index, person in enumerate(household.members.filter(role=Person.Role.PARENT)):
            for kind, value in (
                ("email", f"canari{index}.{person.pk}@exemple.fr"),
                ("sms", "0612345678"),
                ("postal", ""),
            ):
                ContactChannel.objects.get_or_create(
                    person=person, kind=kind, defaults={"value": value, "is_safe": True}
                )
            for template in templates.all_templates():
                for channel in template.available_channels:
                    queued.append(
                        outbox.enqueue(
                            actor=None,
                            template=template.key,
                            key=f"canary.{template.key}.{channel}.{person.pk}",
                            person=person,
                            channel=channel,
                            context=dict(template.example_context),
                        )
                    )
                    # The ordinary wording too, as if the person were not on the protected track.
                    display = person.display_address()
                    rendered = templates.render(
                        template,
                        channel,
                        context=dict(template.example_context),
                        recipient=templates.Recipient(
                            person.full_name, person.first_name, tuple(display.lines)
                        ),
                        protected=False,
                        department=household.department,
                    )
                    produced.append(
                        (
                            f"{template.key} {channel} (formulation ordinaire) [{variant}]",
                            rendered.all_text() + rendered.html,
                        )
                    )
    outbox.deliver_due()
    references = {m.reference for m in queued}
    for message in Message.objects.filter(pk__in=[m.pk for m in queued]):
        assert message.status == Message.Status.SENT, (
            f"{message.template} {message.channel}: {message.reason}"
        )
        label = f"{message.template} {message.channel} [{message.household.reference}]"
        produced.append((f"message enregistré {label}", message.subject + message.body + message.recipient))
        if message.letter_path:
            pdf = letters.read(message.letter_path)
            produced.append((f"courrier PDF {label}", _pdf_text(pdf)))
            produced.append((f"courrier PDF (octets) {label}", pdf))
    # Control: the letters are really read, address block included (the elected address stands in).
    assert any(
        "1 place de la Mairie" in text
        for label, text in produced
        if label.startswith("courrier PDF ") and isinstance(text, str)
    )
    for email in mail.outbox:
        if email.extra_headers.get("X-Parcours-Reference") in references:
            attachments = "".join(str(a[1]) for a in email.attachments)
            produced.append((f"e-mail « {email.subject} »", str(email.message()) + attachments))
    for path in Path(settings.PARCOURS_SMS_FILE_PATH).glob("*.json"):
        record = json.loads(path.read_text())
        if record["reference"] in references:
            produced.append((f"SMS {path.name}", path.read_text()))
    return produced


@output
def messages_on_every_channel(world, principal):
    yield from world.memo("notifications-outputs", lambda: _produce(world))


@output
def household_timeline(world, principal):
    if principal == "anonymous":
        return
    world.memo("notifications-outputs", lambda: _produce(world))
    user = world.users[principal]
    for variant in VARIANTS:
        entries = timeline.entries_for(user, world.household(variant))
        yield (
            f"frise du foyer [{variant}]",
            json.dumps([e.__dict__ for e in entries], default=str, ensure_ascii=False),
        )
