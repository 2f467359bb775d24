"""Organisations, departments, staff users and the audit trail."""

from functools import cached_property
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from parcours.core.roles import Role


class Department(models.Model):
    """A French department: the scoping key of every Caf's data."""

    code = models.CharField("code", max_length=3, unique=True)
    name = models.CharField("nom", max_length=80)
    timezone = models.CharField("fuseau horaire", max_length=40, default="Europe/Paris")
    # Subdivision of the `holidays` package (974 has its own days, 57 and 6AE too); empty = mainland.
    holiday_subdivision = models.CharField("subdivision des jours fériés", max_length=8, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "département"

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def calendar_key(self) -> tuple[str, str]:
        """Departments with the same key have the same working days and clock, hence the same deadlines."""
        return (self.holiday_subdivision, self.timezone)

    def local_today(self):
        return timezone.localtime(timezone.now(), self.tzinfo).date()


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CAF = "caf", "Caf"
        NATIONAL = "national", "Cnaf"
        PARTNER = "partner", "Partenaire"

    name = models.CharField("nom", max_length=160)
    kind = models.CharField("type", max_length=16, choices=Kind.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="département",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="Caf de rattachement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partners",
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["kind", "department__code", "name"]
        verbose_name = "organisation"
        constraints = [
            models.UniqueConstraint(
                fields=["department"], condition=models.Q(kind="caf"), name="one_caf_per_department"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.NATIONAL and self.department_id:
            raise ValidationError("La Cnaf n'est rattachée à aucun département.")
        if self.kind in (self.Kind.CAF, self.Kind.PARTNER) and not self.department_id:
            raise ValidationError({"department": "Une Caf ou un partenaire appartient à un département."})
        if self.kind == self.Kind.PARTNER and not self.parent_id:
            raise ValidationError({"parent": "Un partenaire est rattaché à une Caf."})


class Site(models.Model):
    """A Caf's office (accueil, antenne): staff belong to one, worklists filter by it."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="organisation", on_delete=models.CASCADE, related_name="sites"
    )
    name = models.CharField("nom", max_length=120)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = "site"
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unique_site_name")]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=(username or "").strip())

    def create_user(self, email, password=None, *, organisation, roles=(), **extra):
        user = self.model(email=self.normalize_email(email).lower(), organisation=organisation, **extra)
        user.set_password(password)
        user.save(using=self._db)
        for role in roles:
            UserRole.objects.create(user=user, role=role)
        return user


class User(AbstractBaseUser):
    """A staff account. Parents have no account: they use signed links on the public pages."""

    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=80)
    last_name = models.CharField("nom", max_length=80)
    organisation = models.ForeignKey(
        Organisation, verbose_name="organisation", on_delete=models.PROTECT, related_name="users"
    )
    site = models.ForeignKey(
        Site, verbose_name="site", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    is_active = models.BooleanField("actif", default=True)
    date_joined = models.DateTimeField("créé le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = "utilisateur"

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_rows.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def department(self) -> Department | None:
        return self.organisation.department

    @property
    def department_code(self) -> str | None:
        dep = self.organisation.department
        return dep.code if dep else None

    @property
    def is_national(self) -> bool:
        return self.organisation.kind == Organisation.Kind.NATIONAL

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in sorted(self.roles)]

    def audit_ref(self) -> str:
        return f"Compte {self.email}"

    def audit_department(self) -> str:
        return self.department_code or ""


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_rows")
    role = models.CharField("rôle", max_length=32, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]
        verbose_name = "rôle"

    def __str__(self) -> str:
        return f"{self.user} : {self.get_role_display()}"


class UserSession(models.Model):
    """Which sessions a user holds, so that deactivating an account ends all of them at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_rows")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Session de l'utilisateur n° {self.user_id}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul.")

    def delete(self):
        raise PermissionError("Le journal d'audit est en ajout seul.")


class AuditEntry(models.Model):
    """One line of the append-only access and change log, sealed in signed batches (core.audit).

    It holds references, never sensitive values: `object_ref` is a label such as
    "Dossier 92-1234567", never an address.
    """

    created_at = models.DateTimeField("date", default=timezone.now, db_index=True)
    # Users are deactivated, never deleted (PROTECT, and a database constraint).
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("auteur", max_length=200)
    action = models.CharField("action", max_length=100)
    object_type = models.CharField("type d'objet", max_length=60, blank=True)
    object_id = models.CharField("identifiant", max_length=64, blank=True)
    object_ref = models.CharField("référence", max_length=200, blank=True)
    department = models.CharField("département", max_length=3, blank=True)
    # The file the entry is about, e.g. "household:42", whatever the object (person, contact…).
    scope = models.CharField("dossier", max_length=64, blank=True)
    reason = models.TextField("motif", blank=True)
    data = models.JSONField("détails", default=dict, blank=True)
    # The HMAC of the entry's own content, its id included. Not unique, not indexed: nothing looks
    # an entry up by its hash, and a unique index of random keys slowed every append.
    hash = models.CharField(max_length=64)
    # The seal that holds it; NULL until the sealer's next run (the only UPDATE the database
    # allows on an entry). Indexed by audit_seal_idx: the sealer's unsealed rows, the purge.
    seal = models.ForeignKey(
        "AuditSeal", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal d'audit"
        # Plain indexes rather than db_index: on PostgreSQL, db_index on a text column adds a
        # second, pattern-matching index that no query here uses, written on every entry.
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
            models.Index(fields=["department"], name="audit_department_idx"),
            models.Index(fields=["scope"], name="audit_scope_idx"),
            models.Index(fields=["seal"], name="audit_seal_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Le journal d'audit est en ajout seul.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal d'audit est en ajout seul.")


class AuditSeal(models.Model):
    """A signed batch of audit entries: their ids, the digest of their hashes in id order, and the
    previous seal's hash. Seals are numbered 1, 2, 3… by the sealer (core.audit.seal)."""

    id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()
    newest_at = models.DateTimeField()  # the latest entry's date: the purge keeps younger seals
    ranges = models.JSONField()  # [[first id, last id], …]: the entries it holds
    count = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        verbose_name = "sceau du journal"

    def __str__(self) -> str:
        return f"Sceau n° {self.id} ({self.count} entrées)"


class AuditChainHead(models.Model):
    """The last seal of the chain and, after a purge, the anchor where the kept part starts.

    One row, written only by the sealer and the purge (never by a writer or a reader), signed
    so that a truncated chain cannot be passed off with an edited head.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seal_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    sealed = models.BigIntegerField(default=0)  # entries the kept seals hold
    anchor_seal_id = models.BigIntegerField(default=0)  # the last purged seal (0: none)
    anchor_hash = models.CharField(
        max_length=64, default="0" * 64
    )  # its hash: the first kept seal chains to it
    purged = models.BigIntegerField(default=0)
    signature = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Tête du journal : sceau n° {self.last_seal_id}"


class ExportJob(models.Model):
    """A registered export produced by the worker (core.exports, `background=True`), with progress.

    Only the person who asked for it may download it; the file lives under the private data
    directory and is deleted after PARCOURS_EXPORT_RETENTION_HOURS.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En cours"
        DONE = "done", "Prêt"
        FAILED = "failed", "Échec"

    token = models.CharField(max_length=32, unique=True)
    identifier = models.CharField("export", max_length=100)
    fmt = models.CharField("format", max_length=8)
    object_id = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    department = models.CharField(max_length=3, blank=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    path = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "export en arrière-plan"
        indexes = [models.Index(fields=["requested_by", "identifier"], name="export_job_requester_idx")]

    def __str__(self) -> str:
        return f"Export {self.identifier} n° {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class PeriodicRun(models.Model):
    """When each registered periodic job (core.schedule) last ran: one row per job, never a global lock."""

    name = models.CharField(max_length=100, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, blank=True)
    last_message = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "tâche périodique"

    def __str__(self) -> str:
        return self.name


class RateCounter(models.Model):
    """One counter per (hashed identity, time window) for the public forms' rate limits.

    A check is one atomic upsert on the unique key — its cost does not depend on how many
    counters exist — and expired windows are purged by a periodic job (core.ratelimit).
    """

    key = models.CharField(max_length=64)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)  # epoch seconds, for the purge

    class Meta:
        verbose_name = "compteur de limitation de débit"
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_counter_key_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}"
