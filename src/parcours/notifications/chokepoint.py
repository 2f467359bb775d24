"""The chokepoint: the one place that decides whether, how and when a message reaches a person.

`decide(message)` is called by the worker just before each hand-over (never earlier: a channel may
have been withdrawn, a household restricted, a registration cancelled since the message was
queued) and answers send, hold (until a safe hour), drop (no longer relevant) or refuse (unsafe),
with the reason. `safety.py` holds the rules themselves.

`decide_batch(messages)` gives exactly the decisions `decide` would give one by one: it only reads
in a few queries, for the whole batch, what the same rules read (contacts, household members,
attachments, the templates' relevance data), and remembers for the batch what does not depend on
the message (a department's Caf name, a person's protected track). No rule is skipped or rewritten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from parcours.notifications import safety, templates
from parcours.notifications.backends import sms as sms_backends
from parcours.notifications.memo import batch
from parcours.notifications.models import Message

SEND, HOLD, DROP, REFUSE = "send", "hold", "drop", "refuse"


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason: str = ""
    channel: str = ""
    to: str = ""  # e-mail address, E.164 number, or the postal lines joined
    rendered: templates.Rendered | None = None
    hold_until: datetime | None = None
    stored_text: str = ""  # the text kept in the database: the rendered one with its secrets masked


def preload(messages: list[Message]) -> None:
    """Read, in a few queries for the whole batch, what the rules will read for each message."""
    from parcours.households.models import Person

    members = Prefetch("members", queryset=Person.objects.select_related("address", "protected_address"))
    prefetch_related_objects(messages, "attachments")
    with_person = [m for m in messages if m.person_id]
    prefetch_related_objects(with_person, "person__contacts")
    households = [m.household for m in messages if m.household_id]
    prefetch_related_objects(households, members)
    by_template = defaultdict(list)
    for message in messages:
        by_template[message.template].append(message)
    for key, group in by_template.items():
        template = templates.get(key)
        if template is not None and template.preload is not None:
            template.preload(group)


def decide_batch(messages: list[Message], *, now: datetime | None = None) -> list[Decision]:
    """`decide` for each message, with the batch's data read once (same rules, same results)."""
    now = now or timezone.now()
    with batch():
        preload(messages)
        return [decide(message, now=now) for message in messages]


def _refuse(reason: str) -> Decision:
    return Decision(REFUSE, reason)


def _department(message: Message):
    if message.household_id:
        return message.household.department
    return message.department


def decide(message: Message, *, now: datetime | None = None) -> Decision:
    now = now or timezone.now()
    template = templates.get(message.template)
    if template is None:
        return _refuse(f"Modèle de message inconnu : {message.template}.")

    if template.is_relevant is not None:
        verdict = template.is_relevant(message)
        if verdict is not True:
            return Decision(
                DROP, verdict if isinstance(verdict, str) and verdict else "Message devenu sans objet."
            )

    household = message.household
    person = message.person
    if person is not None and person.processing_limited:
        return _refuse("Traitement limité (RGPD art. 18) : aucun message ne part pour cette personne.")
    context = message.decoded_context
    structural = safety.check_context(context, person=person, household=household)
    if structural:
        return _refuse(structural)

    sms_enabled = sms_backends.get_backend().enabled
    contact = None
    if person is not None:
        if household is not None and person.household_id != household.pk:
            return _refuse("Le destinataire n'appartient pas au foyer du message.")
        channel, contact, problem = safety.choose_channel(
            template.available_channels, person, message.requested_channel, sms_enabled=sms_enabled
        )
        if problem:
            return _refuse(problem)
        protected = safety.on_protected_track(person)
        display = person.display_address()
        recipient = templates.Recipient(
            name=person.full_name,
            first_name=person.first_name,
            postal_lines=tuple(display.lines) if display else (),
        )
        to = (
            "\n".join(recipient.postal_lines)
            if channel == "postal"
            else safety.usable_value(channel, contact.value)
        )
    else:
        channel = message.direct_kind
        if channel not in template.available_channels:
            return _refuse(f"Ce message n'existe pas sur le canal {channel}.")
        if channel == "sms" and not sms_enabled:
            return _refuse("SMS : aucun fournisseur configuré.")
        to = safety.usable_value(channel, message.direct_value)
        if not to:
            return _refuse("Coordonnée invalide.")
        protected = safety.on_protected_track(None, household)
        recipient = templates.Recipient(
            name=message.direct_name, first_name=message.direct_name.split(" ")[0]
        )

    secrets = {}
    if template.secrets is not None:
        secrets = template.secrets(message)
        if isinstance(secrets, str):
            return Decision(DROP, secrets or "Message devenu sans objet.")

    department = _department(message)
    try:
        rendered = templates.render(
            template,
            channel,
            context={**context, **secrets},
            recipient=recipient,
            protected=protected,
            department=department,
        )
    except Exception as exc:  # a template error must not stop the worker: it is a refusal, recorded
        return _refuse(f"Le modèle n'a pas pu être mis en forme ({type(exc).__name__}).")

    text = rendered.all_text()
    if channel == "email":
        text += "\n" + "\n".join(_text_of(a) for a in message.attachments.all())
    problem = safety.check_content(
        text, person=person, household=household, protected=protected, direct_value=message.direct_value
    )
    if problem:
        return _refuse(problem)

    if channel in ("email", "sms") and contact is not None:
        tz = department.tzinfo if department is not None else timezone.get_default_timezone()
        later = safety.next_safe_time(contact, now, tz)
        if later is not None:
            local = timezone.localtime(later, tz)
            return Decision(
                HOLD,
                f"Hors des heures sûres de la personne : retenu jusqu'au {local:%d/%m/%Y à %H:%M} "
                f"(heure locale, {tz.key if hasattr(tz, 'key') else tz}).",
                channel=channel,
                hold_until=later,
            )
    stored = rendered.text
    for value in secrets.values():
        if value:
            stored = stored.replace(str(value), "[masqué]")
    return Decision(SEND, channel=channel, to=to, rendered=rendered, stored_text=stored)


def _text_of(attachment) -> str:
    if attachment.mimetype.startswith("text/") or attachment.mimetype in (
        "application/json",
        "application/ics",
    ):
        text = bytes(attachment.content).decode("utf-8", errors="replace")
        # Unfold iCalendar lines (RFC 5545 §3.1) so that a folded word is still seen whole.
        return text.replace("\r\n ", "").replace("\n ", "").replace("\\,", ",").replace("\\;", ";")
    return ""
