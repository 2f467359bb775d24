"""The doctrine: every Caf's practices against domestic violence (fiches pratiques), their review and
publication, and the doctrine document composed from the published ones.

Nothing here is about a family: a practice describes what a Caf team does. A published practice is
therefore readable by the staff of every department (the policy's one cross-department read,
`Access(branch=True)` + `Practice.policy_shared()`); the other states stay within the Caf, and a
draft (brouillon) with its author.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from parcours.core.models import Department


class Dimension(models.TextChoices):
    """The five dimensions of a practice sheet (each one a group of structured fields)."""

    ROLE = "role", "Rôle de la Caf"
    MEANS = "means", "Moyens"
    PARTNERS = "partners", "Partenaires"
    FUNDING = "funding", "Financement"
    RESULTS = "results", "Innovation et résultats"


class Theme(models.Model):
    """A theme of the doctrine, set by the national pilot when publishing (e.g. « Aller vers »)."""

    code = models.SlugField("code", max_length=40, unique=True)
    label = models.CharField("intitulé", max_length=120, unique=True)
    position = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        ordering = ["position", "label"]
        verbose_name = "thème de la doctrine"

    def __str__(self) -> str:
        return self.label


class Practice(models.Model):
    """A practice sheet (fiche pratique) of one Caf, with its five dimensions as structured fields."""

    class State(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SUBMITTED = "submitted", "Soumise"
        CHANGES_REQUESTED = "changes_requested", "À revoir"
        VALIDATED = "validated", "Validée"
        PUBLISHED = "published", "Publiée"
        ARCHIVED = "archived", "Archivée"

    department = models.ForeignKey(
        Department, verbose_name="Caf (département)", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.DRAFT)
    title = models.CharField("titre", max_length=200)
    team = models.CharField("équipe", max_length=200, blank=True)
    audience = models.CharField("public concerné", max_length=300, blank=True)
    summary = models.TextField("résumé", blank=True)
    started_year = models.PositiveSmallIntegerField(
        "année de mise en place",
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    # Dimension 1 — role of the Caf, at which steps of the parcours séparation (step codes of the
    # pathway templates: stable across template versions, unlike a step row).
    role_description = models.TextField("rôle de la Caf", blank=True)
    pathway_steps = models.JSONField("étapes du parcours séparation", default=list, blank=True)
    # Dimension 2 — means.
    staff_fte = models.DecimalField(
        "effectif (ETP)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    tools = models.TextField("outils", blank=True)
    budget = models.DecimalField(
        "budget annuel (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Dimension 5 — innovation and results (indicators are rows, see ResultIndicator).
    innovation = models.TextField("ce qui est innovant", blank=True)
    evidence = models.TextField("éléments d'évaluation", blank=True)
    links = models.TextField("liens (un par ligne)", blank=True)
    themes = models.ManyToManyField(Theme, verbose_name="thèmes", blank=True, related_name="practices")

    # What the search reads: the text of the sheet, rebuilt by the services on every change.
    search_document = models.TextField(default="", blank=True, editable=False)
    # Which dimensions the sheet documents (facets and synthesis), kept by the services.
    has_role = models.BooleanField(default=False, editable=False)
    has_means = models.BooleanField(default=False, editable=False)
    has_partners = models.BooleanField(default=False, editable=False)
    has_funding = models.BooleanField(default=False, editable=False)
    has_results = models.BooleanField(default=False, editable=False)
    # The facet values of the rows (" code code "), so that one read of the matching sheets gives
    # every facet count of a search (themes, partner types, funding sources), kept by the services.
    theme_codes = models.CharField(max_length=400, default="", blank=True, editable=False)
    partner_kinds = models.CharField(max_length=200, default="", blank=True, editable=False)
    funding_sources = models.CharField(max_length=200, default="", blank=True, editable=False)

    created_at = models.DateTimeField("créée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("modifiée le", default=timezone.now)
    # Bumped by every save of the sheet: the edit page sends the revision it shows, and an autosave
    # sent before a later save (slow network, a request still in flight when "Enregistrer" is
    # pressed) is refused instead of replacing the saved rows with older ones.
    revision = models.PositiveIntegerField("révision", default=0, editable=False)
    submitted_at = models.DateTimeField("soumise le", null=True, blank=True)
    published_at = models.DateTimeField("publiée le", null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "fiche pratique"
        verbose_name_plural = "fiches pratiques"
        indexes = [
            models.Index(fields=["state", "department"], name="doctrine_practice_state_dep"),
        ]

    def __str__(self) -> str:
        return self.title

    # --- policy and audit ---
    def policy_department(self) -> str:
        return self.department.code

    def policy_shared(self) -> bool:
        """A published sheet is read by the whole branch (it holds no personal data)."""
        return self.state == self.State.PUBLISHED

    def policy_hidden_from(self, user) -> bool:
        """A draft is its author's until submitted."""
        return self.state == self.State.DRAFT and self.created_by_id != getattr(user, "pk", None)

    def audit_ref(self) -> str:
        return f"Fiche pratique n° {self.pk}"

    def audit_department(self) -> str:
        return self.department.code

    def audit_scope(self) -> str:
        return ""

    # --- dimensions ---
    DIMENSION_FLAGS = {
        Dimension.ROLE: "has_role",
        Dimension.MEANS: "has_means",
        Dimension.PARTNERS: "has_partners",
        Dimension.FUNDING: "has_funding",
        Dimension.RESULTS: "has_results",
    }

    @property
    def dimensions(self) -> list[str]:
        return [d for d, flag in self.DIMENSION_FLAGS.items() if getattr(self, flag)]

    @property
    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]


class PracticePartner(models.Model):
    """A partner of the practice: an entry of protection's partner directory (one directory), and its role."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="partners")
    partner = models.ForeignKey(
        "protection.Partner", verbose_name="partenaire", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("rôle dans la pratique", max_length=300, blank=True)

    class Meta:
        ordering = ["practice", "id"]
        verbose_name = "partenaire de la pratique"
        constraints = [
            models.UniqueConstraint(fields=["practice", "partner"], name="doctrine_partner_once_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.role}"


class Funding(models.Model):
    class Source(models.TextChoices):
        SERVICE_BENEFIT = "service_benefit", "Prestation de service"
        LOCAL_FUNDS = "local_funds", "Fonds locaux / action sociale"
        STATE_GRANT = "state_grant", "Subvention État"
        LOCAL_AUTHORITY = "local_authority", "Collectivité"
        OTHER = "other", "Autre"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="fundings")
    source = models.CharField("source", max_length=20, choices=Source.choices)
    amount = models.DecimalField(
        "montant (€)", max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    year = models.PositiveSmallIntegerField(
        "année", validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    instrument = models.CharField("instrument (convention, appel à projets…)", max_length=200, blank=True)

    class Meta:
        ordering = ["practice", "year", "id"]
        verbose_name = "financement"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="doctrine_funding_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.year} : {self.amount} €"


class ResultIndicator(models.Model):
    """One result of the practice: an indicator, its value and the period it covers."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="indicators")
    label = models.CharField("indicateur", max_length=200)
    value = models.CharField("valeur", max_length=60)
    period = models.CharField("période", max_length=60, blank=True)

    class Meta:
        ordering = ["practice", "id"]
        verbose_name = "indicateur de résultat"

    def __str__(self) -> str:
        return f"{self.label} : {self.value}"


def attachment_path(instance, filename: str) -> str:
    # A random name: the stored name never carries the uploaded one.
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"doctrine/{uuid.uuid4().hex}.{extension}"


class Attachment(models.Model):
    """A document attached to a sheet, checked and cleaned by the upload checks of protection."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField("titre", max_length=200)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["practice", "id"]
        verbose_name = "pièce jointe"

    def __str__(self) -> str:
        return self.title

    def policy_department(self) -> str:
        return self.practice.department.code

    def policy_shared(self) -> bool:
        return self.practice.policy_shared()

    def policy_hidden_from(self, user) -> bool:
        return self.practice.policy_hidden_from(user)

    def audit_ref(self) -> str:
        return f"Pièce jointe n° {self.pk} de la fiche pratique n° {self.practice_id}"

    def audit_department(self) -> str:
        return self.practice.department.code

    def audit_scope(self) -> str:
        return ""

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].lower()


class Transition(models.Model):
    """One step of a sheet's workflow, with the comment that goes with it (the audit has it too)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField("de", max_length=20, choices=Practice.State.choices)
    to_state = models.CharField("vers", max_length=20, choices=Practice.State.choices)
    comment = models.TextField("commentaire", blank=True)
    at = models.DateTimeField("le", default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["practice", "at", "id"]
        verbose_name = "changement d'état"

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class PracticeVersion(models.Model):
    """A published version of a sheet, kept as it was (fields as text, for reading and comparing)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("version")
    data = models.JSONField("contenu")
    published_at = models.DateTimeField("publiée le", default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["practice", "-number"]
        verbose_name = "version publiée"
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="doctrine_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"


class Chapter(models.Model):
    """A chapter of the doctrine document: an introduction and an ordered selection of published practices."""

    position = models.PositiveSmallIntegerField("ordre", default=0)
    title = models.CharField("titre", max_length=200)
    introduction = models.TextField("introduction", blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "chapitre de la doctrine"

    def __str__(self) -> str:
        return self.title

    def audit_ref(self) -> str:
        return f"Chapitre n° {self.pk} de la doctrine"


class ChapterPractice(models.Model):
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="entries")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        ordering = ["chapter", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "practice"], name="doctrine_practice_once_per_chapter")
        ]

    def __str__(self) -> str:
        return f"{self.chapter} : fiche n° {self.practice_id}"
