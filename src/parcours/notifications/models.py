"""The outbox: one row per message to a person, written in the transaction of the change that causes it.

A message is `pending` until the worker claims it (`sending`), asks the safe-contact chokepoint
and the transport, and records the outcome: `sent`, `failed` (the transport kept failing, or
refused for good), `refused` (the chokepoint said no: unsafe channel, content about the other
parent…) or `dropped` (cancelled, or no longer relevant). Every change of status is kept as a
`MessageEvent`, so staff see why a message was held, retried, refused or dropped.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from parcours.core.models import Department
from parcours.households.models import Household, Person


def reference_for(key: str) -> str:
    """The public reference of an idempotency key: a hash, because the key may name the topic."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class Message(models.Model):
    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"
        REFUSED = "refused", "Refusé (sécurité)"
        DROPPED = "dropped", "Abandonné"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"
        POSTAL = "postal", "Courrier"

    FINAL = (Status.SENT, Status.FAILED, Status.REFUSED, Status.DROPPED)

    key = models.CharField("clé d'idempotence", max_length=200, unique=True)
    reference = models.CharField("référence", max_length=32, unique=True, editable=False)
    template = models.CharField("modèle", max_length=100)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField("motif", max_length=500, blank=True)

    department = models.ForeignKey(
        Department, verbose_name="département", null=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household,
        verbose_name="foyer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    person = models.ForeignKey(
        Person,
        verbose_name="destinataire",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    # A member of the public who gave this channel herself (no Person record): kind, value, name.
    direct_kind = models.CharField("canal donné par la personne", max_length=10, blank=True)
    direct_value = models.CharField("coordonnée donnée par la personne", max_length=200, blank=True)
    direct_name = models.CharField("nom donné par la personne", max_length=160, blank=True)
    requested_channel = models.CharField("canal demandé", max_length=10, blank=True)

    context = models.JSONField("contexte", default=dict, blank=True)
    not_before = models.DateTimeField("pas avant", null=True, blank=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", default=timezone.now)
    attempts = models.PositiveSmallIntegerField("tentatives d'envoi", default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    # What was sent, kept for staff (only once the chokepoint accepted it).
    channel = models.CharField("canal", max_length=10, choices=Channel.choices, blank=True)
    recipient = models.CharField("envoyé à", max_length=200, blank=True)
    protected_wording = models.BooleanField("formulation neutre (parcours protégé)", default=False)
    subject = models.CharField("objet", max_length=200, blank=True)
    body = models.TextField("contenu", blank=True)
    letter_path = models.CharField("courrier (PDF)", max_length=300, blank=True)
    provider_id = models.CharField("identifiant chez le fournisseur", max_length=100, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "message"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["household", "-created_at"], name="message_household_idx"),
            models.Index(fields=["department", "status"], name="message_department_idx"),
        ]

    def __str__(self) -> str:
        return f"Message n° {self.pk}"

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = reference_for(self.key)
        super().save(*args, **kwargs)

    # --- access policy and audit -------------------------------------------------------------
    def policy_household(self) -> Household | None:
        return self.household

    def policy_department(self) -> str | None:
        if self.household_id:
            return self.household.department.code
        return self.department.code if self.department_id else None

    def audit_ref(self) -> str:
        # Never the key, the recipient or the content: the template key says only what kind of message.
        household = f" du dossier {self.household.reference}" if self.household_id else ""
        return f"Message n° {self.pk}{household}"

    def audit_department(self) -> str:
        return self.policy_department() or ""

    # --- helpers --------------------------------------------------------------------------------
    @property
    def decoded_context(self) -> dict:
        from parcours.notifications.context import decode

        return decode(self.context)

    @property
    def status_badge(self) -> str:
        """Bootstrap badge class for the status (staff pages)."""
        return {
            self.Status.SENT: "text-bg-success",
            self.Status.FAILED: "text-bg-danger",
            self.Status.REFUSED: "text-bg-warning",
            self.Status.DROPPED: "text-bg-secondary",
        }.get(self.status, "text-bg-info")

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def recipient_label(self) -> str:
        if self.person_id:
            return self.person.full_name
        return self.direct_name or "Destinataire sans dossier"

    @property
    def template_label(self) -> str:
        from parcours.notifications import templates

        found = templates.get(self.template)
        return found.label if found else self.template


class MessageAttachment(models.Model):
    """A file sent with an e-mail (an ICS invitation…), stored with the message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField("nom du fichier", max_length=120)
    mimetype = models.CharField("type", max_length=100)
    content = models.BinaryField("contenu")

    class Meta:
        verbose_name = "pièce jointe"

    def __str__(self) -> str:
        return self.filename


class MessageEvent(models.Model):
    """One step in a message's life: queued, held for safe hours, attempt failed, sent, refused…"""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Message.Status.choices)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "étape d'un message"

    def __str__(self) -> str:
        return f"{self.get_status_display()} — {self.detail}"
