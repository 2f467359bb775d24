"""Message templates: a small registry that each module fills from its own `<app>/messages.py`.

    # src/parcours/workshops/messages.py  (imported automatically when Django starts)
    from parcours.notifications.templates import MessageTemplate, register

    register(MessageTemplate(
        key="workshops.reminder",
        label="Rappel de séance",
        email_subject="Rappel : séance du {{ starts_at|date:'j F' }}",
        email_body="Bonjour {{ first_name }},\\n\\nNous vous rappelons …",
        sms_text="Caf : rappel, séance le {{ starts_at|date:'j F à H\\hi' }}, {{ place }}.",
        protected_email_body="Bonjour,\\n\\nVous avez un rendez-vous le {{ starts_at|date:'j F à H\\hi' }} …",
        example_context={"registration_id": 1, "starts_at": datetime(2026, 3, 3, 10, tzinfo=UTC), "place": "…"},
        is_relevant=lambda message: still_registered(message.decoded_context) or "inscription annulée",
    ))

Texts use the Django template language; e-mail and SMS texts are rendered without HTML escaping,
letter bodies (HTML paragraphs) with it. Dates are shown in the department's time zone, in French.
Every template gives an `example_context`: the tests render every registered template with it on
every channel (safety checks, canary), so it must be realistic.

On the protected track the chokepoint never uses the ordinary wording: the subject is always the
neutral one (`PARCOURS_NEUTRAL_SUBJECT`, "Message de votre Caf"), the sender is "Caf", and the body is
the template's `protected_*` text, or else a neutral text asking the person to contact the Caf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.text import normalize_newlines

from parcours.core.models import Department
from parcours.notifications.memo import remembered

CHANNELS = ("email", "sms", "postal")

NEUTRAL_EMAIL_BODY = (
    "Bonjour{% if first_name %} {{ first_name }}{% endif %},\n\n"
    "Votre Caf a une information à vous communiquer. Vous pouvez la contacter au {{ caf_phone }} "
    "(service gratuit + prix d'un appel) ou vous rendre dans l'un de ses points d'accueil.\n\n"
    "Ce message est envoyé automatiquement : merci de ne pas y répondre.\n\nVotre Caf"
)
NEUTRAL_SMS_TEXT = "Votre Caf a une information à vous communiquer. Contactez-la au {{ caf_phone }}."
NEUTRAL_LETTER_BODY = (
    "<p>Votre Caf a une information à vous communiquer.</p>"
    "<p>Vous pouvez la contacter au {{ caf_phone }} (service gratuit + prix d'un appel) ou vous rendre "
    "dans l'un de ses points d'accueil.</p>"
)


@dataclass(frozen=True)
class MessageTemplate:
    """One kind of message, in French, on up to three channels.

    key: "<app>.<name>", used by `outbox.enqueue(template=...)`.
    label: what staff read in the timeline and the message page ("Rappel de séance").
    email_subject / email_body, sms_text, letter_body (HTML paragraphs): the ordinary wording; a
        channel without text is not offered for this template.
    protected_email_body, protected_sms_text, protected_letter_body: the neutral wording used on the
        protected track (no topic, no violence, no separation detail, no other parent).
    channels: order of preference when the caller does not force one (limited to those with a text).
    example_context: a realistic context, rendered by the tests on every channel.
    is_relevant: optional `(message) -> True | False | "reason"`, called just before sending; anything
        but True drops the message (recorded as dropped, with the reason).
    secrets: optional `(message) -> dict | "reason"`, called just before sending: values (a one-time
        link) added to the context for this hand-over only. They are never stored: the recorded body
        shows « [masqué] » in their place. A reason (str) drops the message.
    preload: optional `(messages) -> None`, called once per batch of the worker with the batch's
        messages of this template, just before their decisions: reads in one query what
        `is_relevant` / `secrets` will look at, and leaves it on the messages (they must still
        read it themselves when it is absent: a message decided alone).
    """

    key: str
    label: str
    email_subject: str = ""
    email_body: str = ""
    sms_text: str = ""
    letter_body: str = ""
    protected_email_body: str = ""
    protected_sms_text: str = ""
    protected_letter_body: str = ""
    channels: tuple[str, ...] = CHANNELS
    example_context: dict = field(default_factory=dict)
    is_relevant: Callable | None = None
    secrets: Callable | None = None
    preload: Callable | None = None

    def __post_init__(self):
        if "." not in self.key:
            raise ImproperlyConfigured(f"Modèle de message « {self.key} » : la clé s'écrit « <app>.<nom> ».")
        unknown = set(self.channels) - set(CHANNELS)
        if unknown:
            raise ImproperlyConfigured(f"Modèle « {self.key} » : canaux inconnus {sorted(unknown)}.")
        if self.email_body and not self.email_subject:
            raise ImproperlyConfigured(f"Modèle « {self.key} » : un e-mail a besoin d'un objet.")
        if not self.available_channels:
            raise ImproperlyConfigured(f"Modèle « {self.key} » : aucun texte (e-mail, SMS ou courrier).")

    @property
    def available_channels(self) -> tuple[str, ...]:
        texts = {"email": self.email_body, "sms": self.sms_text, "postal": self.letter_body}
        return tuple(c for c in self.channels if texts[c])


REGISTRY: dict[str, MessageTemplate] = {}


def register(template: MessageTemplate) -> MessageTemplate:
    """Add a template (from `<app>/messages.py`); registering another one under the same key is an error."""
    existing = REGISTRY.get(template.key)
    if existing is not None and existing != template:
        raise ImproperlyConfigured(f"Le modèle de message « {template.key} » est déjà enregistré.")
    REGISTRY[template.key] = template
    return template


def get(key: str) -> MessageTemplate | None:
    return REGISTRY.get(key)


def all_templates() -> list[MessageTemplate]:
    return sorted(REGISTRY.values(), key=lambda t: t.key)


# --- rendering ----------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _engine(autoescape: bool) -> Engine:
    # The same French `date` (« 1er mars ») as the pages.
    return Engine(
        autoescape=autoescape, libraries={}, debug=False, builtins=["parcours.core.templatetags.french_dates"]
    )


@lru_cache(maxsize=1024)
def _compile(source: str, autoescape: bool):
    return _engine(autoescape).from_string(source)


@dataclass(frozen=True)
class Recipient:
    """Who the message is written to, as far as the wording needs it."""

    name: str = ""
    first_name: str = ""
    postal_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    channel: str
    protected: bool
    sender_name: str
    subject: str  # e-mail subject, letter "Objet" (empty for SMS)
    text: str  # what the person reads: e-mail body, SMS text, letter as plain text
    html: str = ""  # the whole letter, for the PDF

    def all_text(self) -> str:
        return f"{self.sender_name}\n{self.subject}\n{self.text}"


def caf_name(department: Department | None) -> str:
    if department is None:
        return "Caf"
    from parcours.core.models import Organisation

    def read() -> str:
        org = Organisation.objects.filter(kind=Organisation.Kind.CAF, department=department).first()
        return org.name if org else "Caf"

    return remembered(("caf_name", department.pk), read)


def render(
    template: MessageTemplate,
    channel: str,
    *,
    context: dict,
    recipient: Recipient,
    protected: bool,
    department: Department | None,
) -> Rendered:
    """The message as the person will read it, in French, in the department's time zone."""
    if channel not in template.available_channels:
        raise ValueError(f"Le modèle « {template.key} » n'existe pas pour le canal {channel}.")
    sender = "Caf" if protected else caf_name(department)
    base = {
        **context,
        "first_name": recipient.first_name,
        "recipient_name": recipient.name,
        "caf_name": sender,
        "caf_phone": settings.PARCOURS_CAF_PHONE,
        "site_url": settings.PARCOURS_SITE_URL,
        "protected": protected,
    }
    tz = department.tzinfo if department is not None else timezone.get_default_timezone()
    with translation.override("fr"), timezone.override(tz):
        if protected:
            subject = settings.PARCOURS_NEUTRAL_SUBJECT
        else:
            subject = _text(template.email_subject, base).replace("\n", " ").strip()
        if channel == "email":
            source = (
                (template.protected_email_body or NEUTRAL_EMAIL_BODY) if protected else template.email_body
            )
            return Rendered(channel, protected, sender, subject, _text(source, base))
        if channel == "sms":
            source = (template.protected_sms_text or NEUTRAL_SMS_TEXT) if protected else template.sms_text
            text = " ".join(_text(source, base).split())
            return Rendered(channel, protected, "Caf", "", text)
        source = (
            (template.protected_letter_body or NEUTRAL_LETTER_BODY) if protected else template.letter_body
        )
        body_html = _compile(source, True).render(Context(base, autoescape=True))
        html = render_to_string(
            "notifications/letter.html",
            {
                "sender": sender,
                "department": None if protected else department,
                "recipient": recipient,
                "subject": subject or settings.PARCOURS_NEUTRAL_SUBJECT,
                "body": body_html,
                "today": timezone.localdate(),
            },
        )
        text = "\n".join(line.strip() for line in strip_tags(html).splitlines() if line.strip())
        return Rendered(channel, protected, sender, subject, _unescape(text), html)


def _text(source: str, context: dict) -> str:
    rendered = _compile(source, False).render(Context(context, autoescape=False))
    return normalize_newlines(rendered).strip()


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)
