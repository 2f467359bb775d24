"""Separation events, pathway templates (versioned data), pathways, their steps and contacts.

A declared separation (`SeparationEvent`, idempotent on (department, external_id)) opens a
`Pathway` for the household from the current `PathwayTemplate` version of its department
(the department's variant, else the national default). The pathway keeps that version; its
`PathwayStep`s carry their own deadline, responsible role and assignee, so that worklists
read one table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from parcours.core.models import Department, Site
from parcours.core.roles import Role
from parcours.households.models import Household, InHousehold


class StepKind(models.TextChoices):
    """The step codes of the national default template (templates may add others)."""

    INFORMATION_OFFER = "information_offer", "Information sur l'offre de service"
    RIGHTS_APPOINTMENT = "rights_appointment", "Rendez-vous des droits"
    SOCIAL_WORKER_CONTACT = "social_worker_contact", "Contact proactif d'un travailleur social"
    WORKSHOP_INVITATION = "workshop_invitation", "Invitation à une séance « Parents après la séparation »"
    CHILD_SUPPORT_INFORMATION = (
        "child_support_information",
        "Information sur la pension alimentaire et l'intermédiation (Aripa)",
    )
    MEDIATION_OFFER = "mediation_offer", "Proposition de médiation familiale"
    REVIEW_CLOSURE = "review_closure", "Bilan et clôture du parcours"


def step_kind_label(code: str) -> str:
    try:
        return StepKind(code).label
    except ValueError:
        return code.replace("_", " ").capitalize()


class DeadlineUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "jours ouvrés"
    CALENDAR_DAYS = "calendar_days", "jours calendaires"
    HOURS = "hours", "heures"
    MONTHS = "months", "mois"


# Roles that can be responsible for a step (the staff who work families).
STEP_ROLES = [
    (Role.SOCIAL_WORKER.value, Role.SOCIAL_WORKER.label),
    (Role.SERVICE_ADVISOR.value, Role.SERVICE_ADVISOR.label),
    (Role.BENEFITS_OFFICER.value, Role.BENEFITS_OFFICER.label),
]
STEP_ROLE_VALUES = frozenset(value for value, _ in STEP_ROLES)


class PathwayTemplate(models.Model):
    """One version of a pathway template: the national default (no department) or a department's variant.

    Versions are never edited in place: saving a change creates the next version and makes it
    current; pathways keep the version they were opened with.
    """

    department = models.ForeignKey(
        Department,
        verbose_name="département",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Vide pour le modèle national par défaut.",
    )
    name = models.CharField("nom", max_length=120)
    version = models.PositiveIntegerField("version")
    is_current = models.BooleanField("version en vigueur", default=True)
    change_note = models.CharField("objet de la modification", max_length=300, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["department__code", "-version"]
        verbose_name = "modèle de parcours"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "version"],
                condition=Q(department__isnull=False),
                name="pathway_template_version_per_department",
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(department__isnull=True),
                name="pathway_template_national_version",
            ),
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(is_current=True, department__isnull=False),
                name="pathway_template_one_current_per_department",
            ),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True, department__isnull=True),
                name="pathway_template_one_current_national",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    @property
    def is_national(self) -> bool:
        return self.department_id is None

    def policy_department(self) -> str | None:
        return self.department.code if self.department_id else None

    def audit_ref(self) -> str:
        scope = f"département {self.department.code}" if self.department_id else "national"
        return f"Modèle de parcours {scope}, version {self.version}"

    def audit_department(self) -> str:
        return self.department.code if self.department_id else ""

    def audit_scope(self) -> str:
        return ""


class TemplateStep(models.Model):
    """An ordered step of a template: who does it, by when, and for which situations.

    `conditions` is a list of alternatives (any may match); each alternative maps a situation
    flag (has_children, violence_reported, shared_home, not_allocataire) to the value it needs.
    An empty list means "always". E.g. [{"has_children": true}, {"violence_reported": true}].
    """

    template = models.ForeignKey(PathwayTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("ordre")
    kind = models.CharField("code de l'étape", max_length=40)
    label = models.CharField("intitulé", max_length=160)
    responsible_role = models.CharField("rôle responsable", max_length=32, choices=STEP_ROLES)
    deadline_value = models.PositiveSmallIntegerField("délai")
    deadline_unit = models.CharField("unité du délai", max_length=16, choices=DeadlineUnit.choices)
    protected_deadline_value = models.PositiveSmallIntegerField(
        "délai si violences signalées", null=True, blank=True
    )
    protected_deadline_unit = models.CharField(
        "unité du délai si violences signalées", max_length=16, choices=DeadlineUnit.choices, blank=True
    )
    conditions = models.JSONField("conditions", default=list, blank=True)

    class Meta:
        ordering = ["template", "position"]
        verbose_name = "étape de modèle"
        constraints = [
            models.UniqueConstraint(fields=["template", "kind"], name="template_step_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"


class ImportJob(models.Model):
    """A file of separation events uploaded in the back office, imported in the background."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        VALIDATING = "validating", "Vérification"
        WRITING = "writing", "Écriture"
        DONE = "done", "Terminé"
        REJECTED = "rejected", "Refusé (erreurs)"
        FAILED = "failed", "Échec technique"

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("déposé le", default=timezone.now)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200)
    original_name = models.CharField("nom du fichier", max_length=200)
    dry_run = models.BooleanField("vérification seule", default=False)
    status = models.CharField("état", max_length=12, choices=Status.choices, default=Status.PENDING)
    total_lines = models.PositiveIntegerField(default=0)
    processed_lines = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "import de déclarations"

    def __str__(self) -> str:
        return f"Import n° {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.REJECTED):
            return 100
        if not self.total_lines:
            return 0
        return min(99, int(100 * self.processed_lines / self.total_lines))

    def policy_department(self) -> str:
        return self.department.code

    def audit_ref(self) -> str:
        return f"Import n° {self.pk} ({self.department.code})"

    def audit_department(self) -> str:
        return self.department.code

    def audit_scope(self) -> str:
        return ""


class SeparationEvent(models.Model):
    """A declared separation, as the benefit system (or a staff member) sent it."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Source(models.TextChoices):
        FORM = "form", "Saisie par un agent"
        FILE = "file", "Fichier importé"
        API = "api", "API"
        DEMO = "demo", "Données de démonstration"

    # Foreign keys already led by a composite index (or never filtered on) get no index of their
    # own: every index costs time on each of the hundred thousand rows of an import. Every link
    # has its database constraint (integrity is the database's job, whoever writes the rows).
    # The household's department, repeated for the unique external_id per department.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", db_index=False)
    external_id = models.CharField("identifiant de la déclaration", max_length=64)
    # Indexed by separation_event_copies_key, which starts with it (and serves the cascade).
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="separation_events", db_index=False
    )
    source = models.CharField("origine", max_length=8, choices=Source.choices)
    source_label = models.CharField("précision sur l'origine", max_length=120, blank=True)
    received_at = models.DateTimeField("reçue le", default=timezone.now)
    declared_on = models.DateField("déclarée le")
    separated_on = models.DateField("séparés le", null=True, blank=True)
    children_count = models.PositiveSmallIntegerField("nombre d'enfants")
    youngest_child_birth_date = models.DateField("naissance du plus jeune enfant", null=True, blank=True)
    shared_home = models.BooleanField("logement commun", default=False)
    violence_reported = models.BooleanField("violences signalées", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    import_job = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "déclaration de séparation"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "external_id"], name="separation_event_external_id"
            ),
            # What a pathway's copies (household, department) refer to (COPIED_COLUMNS_SQL).
            models.UniqueConstraint(
                fields=["household", "id", "department"], name="separation_event_copies_key"
            ),
        ]

    def __str__(self) -> str:
        return f"Déclaration {self.external_id}"

    def policy_household(self) -> Household:
        return self.household

    def audit_ref(self) -> str:
        return f"Déclaration {self.external_id} du dossier {self.household.reference}"

    def audit_department(self) -> str:
        return self.department.code


class Pathway(InHousehold, models.Model):
    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        OPEN = "open", "En cours"
        CLOSED = "closed", "Clôturé"

    # Its event's household, repeated for the household page (the database checks that the copy
    # agrees: see COPIED_COLUMNS_SQL in migrations).
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="pathways", db_index=False
    )
    # The household's department, repeated for the worklists' indexes.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", db_index=False)
    event = models.OneToOneField(SeparationEvent, on_delete=models.CASCADE, related_name="pathway")
    # The parent who declared the separation: the one the Caf reaches out to.
    declarant = models.ForeignKey(
        "households.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    template = models.ForeignKey(PathwayTemplate, on_delete=models.PROTECT, related_name="pathways")
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    status = models.CharField("état", max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField("ouvert le", default=timezone.now)
    declared_on = models.DateField("séparation déclarée le")
    closed_at = models.DateTimeField("clôturé le", null=True, blank=True)
    closed_reason = models.CharField("motif de clôture", max_length=200, blank=True)
    # The situation the steps are evaluated against (updated by update_situation).
    children_count = models.PositiveSmallIntegerField("nombre d'enfants", default=0)
    shared_home = models.BooleanField("logement commun", default=False)
    violence_reported = models.BooleanField("violences signalées", default=False)
    violence_reported_at = models.DateTimeField("violences signalées le", null=True, blank=True)
    is_allocataire = models.BooleanField("allocataire", default=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "parcours"
        verbose_name_plural = "parcours"
        indexes = [models.Index(fields=["household", "status"], name="pathway_household_status_idx")]
        # What a step's copies (household, department) refer to (COPIED_COLUMNS_SQL).
        constraints = [
            models.UniqueConstraint(fields=["id", "household", "department"], name="pathway_copies_key")
        ]

    def __str__(self) -> str:
        return f"Parcours n° {self.pk}"

    def audit_ref(self) -> str:
        return self.audit_ref_for(self.pk, self.household.reference)

    @staticmethod
    def audit_ref_for(pk: int, household_reference: str) -> str:
        """`audit_ref` from the values, for imports that write entries without instances."""
        return f"Parcours n° {pk} du dossier {household_reference}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def situation(self) -> dict[str, bool]:
        return {
            "has_children": self.children_count > 0,
            "violence_reported": self.violence_reported,
            "shared_home": self.shared_home,
            "not_allocataire": not self.is_allocataire,
        }


class PathwayStep(InHousehold, models.Model):
    """A step of a pathway: the unit of work of the worklists.

    `household` and `department` repeat the pathway's so that worklists (a million pathways)
    filter and sort one table with its own indexes.
    """

    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        OPEN = "open", "À faire"
        CLOSED = "closed", "Terminée"
        WITHDRAWN = "withdrawn", "Retirée"
        # RGPD art. 18: the declarant's processing is limited; out of the worklists, its deadline
        # frozen until the limitation is lifted (pathways/services/limitation.py).
        PAUSED = "paused", "En pause (traitement limité)"

    class Outcome(models.TextChoices):
        DONE = "done", "Réalisée"
        DECLINED = "declined", "Déclinée par la famille"
        UNREACHABLE = "unreachable", "Famille injoignable"
        NOT_APPLICABLE = "not_applicable", "Sans objet"

    # `household` and `department` are copies of the pathway's, which the database checks.
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="steps")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+", db_index=False)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", db_index=False)
    template_step = models.ForeignKey(
        TemplateStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
    )  # fmt: skip
    position = models.PositiveSmallIntegerField("ordre")
    kind = models.CharField("type d'étape", max_length=40)
    label = models.CharField("intitulé", max_length=160)
    responsible_role = models.CharField("rôle responsable", max_length=32, choices=STEP_ROLES)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pathway_steps",
        db_index=False,
    )
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.OPEN)
    base_on = models.DateField("délai compté à partir du")
    due_at = models.DateTimeField("échéance")
    protected_deadline = models.BooleanField("délai protégé (violences)", default=False)
    opened_at = models.DateTimeField("ouverte le", default=timezone.now)
    outcome = models.CharField("résultat", max_length=16, choices=Outcome.choices, blank=True)
    note = models.TextField("observation", blank=True)
    closed_at = models.DateTimeField("terminée le", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    withdrawn_reason = models.CharField("motif du retrait", max_length=300, blank=True)
    paused_at = models.DateTimeField("en pause depuis le", null=True, blank=True)

    class Meta:
        ordering = ["pathway", "position"]
        verbose_name = "étape de parcours"
        indexes = [
            # Worklists read open steps only: partial indexes stay small with a million closed pathways.
            models.Index(
                fields=["assignee", "due_at"], condition=Q(status="open"), name="step_open_assignee_due_idx"
            ),
            models.Index(
                fields=["department", "due_at"],
                condition=Q(status="open"),
                name="step_open_department_due_idx",
            ),
            # The cascade from a household (and the database's check when one is deleted).
            models.Index(fields=["household"], name="step_household_idx"),
        ]

    def __str__(self) -> str:
        return f"Étape n° {self.pk} ({self.kind})"

    def audit_ref(self) -> str:
        return f"Étape n° {self.pk} ({self.kind}) du dossier {self.household.reference}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def kind_label(self) -> str:
        return step_kind_label(self.kind)

    def is_late(self, now=None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())


class ContactAttempt(InHousehold, models.Model):
    POLICY_HOUSEHOLD_PATH = "household"

    class Channel(models.TextChoices):
        PHONE = "phone", "Appel téléphonique"
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Courrier"
        OFFICE = "office", "Rendez-vous à l'accueil"
        HOME_VISIT = "home_visit", "Visite à domicile"

    class Result(models.TextChoices):
        REACHED = "reached", "Personne jointe"
        NO_ANSWER = "no_answer", "Pas de réponse"
        MESSAGE_LEFT = "message_left", "Message laissé"
        WRONG_CONTACT = "wrong_contact", "Coordonnées erronées"
        NOT_SAFE = "not_safe", "Contact interrompu (personne non seule, sécurité)"

    # Results that count as "not reached" for the unreachable outcome.
    NOT_REACHED = (Result.NO_ANSWER, Result.MESSAGE_LEFT, Result.WRONG_CONTACT, Result.NOT_SAFE)

    step = models.ForeignKey(PathwayStep, on_delete=models.CASCADE, related_name="attempts")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+", db_index=False)
    attempted_at = models.DateTimeField("date et heure", default=timezone.now)
    channel = models.CharField("canal", max_length=12, choices=Channel.choices)
    result = models.CharField("résultat", max_length=16, choices=Result.choices)
    note = models.CharField("observation", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-attempted_at"]
        verbose_name = "tentative de contact"
        indexes = [models.Index(fields=["household", "attempted_at"], name="attempt_household_idx")]

    def __str__(self) -> str:
        return f"Tentative de contact n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Tentative de contact n° {self.pk} (étape n° {self.step_id}) du dossier {self.household.reference}"


class SituationChange(InHousehold, models.Model):
    """A change of the situation a pathway is evaluated against, and what it did to the steps."""

    POLICY_HOUSEHOLD_PATH = "household"

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="situation_changes")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField("motif", max_length=300)
    # {"violence_reported": [false, true], "children_count": [0, 2]}
    changes = models.JSONField(default=dict)
    # What the re-evaluation did: {"withdrawn": [...labels], "added": [...], "rescheduled": [...]}
    effects = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = "changement de situation"

    def __str__(self) -> str:
        return f"Changement de situation n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Changement de situation n° {self.pk} du dossier {self.household.reference}"
