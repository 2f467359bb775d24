"""The evaluation's pre-aggregates, refresh log and the bilan's context figures.

Nothing here points to a household: an `Aggregate` row is a number of people (or of facts) for
one indicator × department × month × breakdown, computed from the raw tables by the indicator's
function (core.indicators). The dashboards and exports read only these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


def breakdown_key(breakdown: dict[str, str]) -> str:
    """A canonical text for a breakdown ({"track": "protected"} → "track=protected"), for the unique key."""
    return "|".join(f"{name}={breakdown[name]}" for name in sorted(breakdown))


class Aggregate(models.Model):
    indicator = models.CharField("indicateur", max_length=80)
    department = models.CharField("département", max_length=3)
    month = models.DateField("mois", help_text="Premier jour du mois.")
    breakdown_key = models.CharField("ventilation", max_length=200, blank=True)
    breakdown = models.JSONField(default=dict, blank=True)
    numerator = models.FloatField("numérateur")
    denominator = models.FloatField("dénominateur", null=True, blank=True)
    # MEDIAN / P90: {"value": number of people} (keys are text in JSON).
    distribution = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField("calculé le", default=timezone.now)

    class Meta:
        verbose_name = "agrégat d'indicateur"
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "department", "month", "breakdown_key"], name="aggregate_unique_cell"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "month"], name="aggregate_indicator_month_idx")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.department} {self.month:%Y-%m} {self.breakdown_key}"


class Refresh(models.Model):
    """One computation of every indicator over a window of months (nightly, or on demand)."""

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", "Calcul de nuit"
        ON_DEMAND = "on_demand", "À la demande"
        COMMAND = "command", "Ligne de commande"

    class Status(models.TextChoices):
        RUNNING = "running", "En cours"
        DONE = "done", "Terminé"
        FAILED = "failed", "Échec"

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    first_month = models.DateField()
    last_month = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "calcul des indicateurs"

    def __str__(self) -> str:
        return f"Calcul des indicateurs n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Calcul des indicateurs n° {self.pk} ({self.first_month:%m/%Y}–{self.last_month:%m/%Y})"


class ContextFigure(models.Model):
    """An official national figure that sets the bilan in context: dated, sourced, updated by the national pilot."""

    label = models.CharField("intitulé", max_length=200)
    value = models.DecimalField("valeur", max_digits=14, decimal_places=2)
    unit = models.CharField("unité", max_length=60, default="personnes")
    period = models.CharField(
        "période", max_length=40, help_text="Par exemple « 2019 » ou « moyenne 2011–2018 »."
    )
    source = models.CharField("source", max_length=300)
    source_url = models.URLField("adresse de la source", blank=True)
    published_on = models.DateField("date de publication de la source")
    note = models.CharField("précision", max_length=300, blank=True)
    order = models.PositiveSmallIntegerField("ordre", default=100)
    updated_at = models.DateTimeField("mis à jour le", default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = "chiffre national de contexte"

    def __str__(self) -> str:
        return self.label

    def audit_ref(self) -> str:
        return f"Chiffre de contexte n° {self.pk} ({self.label[:60]})"
