"""Parents après la séparation: sessions (workshops), registrations, invitations, attendance, survey.

A workshop belongs to a department; its date and time are stored in UTC and always shown in the
department's time zone (La Réunion is UTC+4). Capacity is counted in people (a registration may
bring several) and kept in `seats_taken`, which a database constraint holds at or under
`capacity`: even a bug in the locking could not overbook a session.

Survey answers (`SurveyResponse`) have no relation at all: no foreign key to a registration, a
person, a workshop or a token, so no join leads from an answer back to the person who gave it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from parcours.core.models import Department
from parcours.households.models import InHousehold


class Format(models.TextChoices):
    IN_PERSON = "in_person", "En salle"
    WEBINAR = "webinar", "Webinaire (en ligne)"
    HYBRID = "hybrid", "Hybride (en salle et en ligne)"


ONLINE_FORMATS = (Format.WEBINAR, Format.HYBRID)
ON_SITE_FORMATS = (Format.IN_PERSON, Format.HYBRID)

LANGUAGES = [
    ("fr", "Français"),
    ("rcf", "Créole réunionnais"),
    ("lsf", "Langue des signes française"),
    ("en", "Anglais"),
    ("ar", "Arabe"),
    ("es", "Espagnol"),
    ("pt", "Portugais"),
]
LANGUAGE_LABELS = dict(LANGUAGES)


class Venue(models.Model):
    """A place where in-person sessions are held (Caf office, social centre, town hall…)."""

    department = models.ForeignKey(
        Department, verbose_name="département", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("nom du lieu", max_length=160)
    line = models.CharField("adresse", max_length=200)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("commune", max_length=100)
    step_free = models.BooleanField("accessible en fauteuil roulant", default=True)
    hearing_loop = models.BooleanField("boucle magnétique", default=False)
    access_notes = models.CharField("accès (transports, stationnement, étage…)", max_length=300, blank=True)
    is_active = models.BooleanField("proposé pour de nouvelles séances", default=True)

    class Meta:
        ordering = ["department__code", "city", "name"]
        verbose_name = "lieu"

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"

    def lines(self) -> list[str]:
        return [self.name, self.line, f"{self.postal_code} {self.city}"]

    def policy_department(self) -> str:
        return self.department.code

    def audit_ref(self) -> str:
        return f"Lieu n° {self.pk} ({self.name})"

    def audit_department(self) -> str:
        return self.department.code


class WebinarServer(models.Model):
    """The department's BigBlueButton server: its API address and shared secret (encrypted at rest)."""

    class Algorithm(models.TextChoices):
        SHA1 = "sha1", "SHA-1 (toutes versions)"
        SHA256 = "sha256", "SHA-256 (BigBlueButton 2.6 et suivantes)"
        SHA384 = "sha384", "SHA-384"
        SHA512 = "sha512", "SHA-512"

    department = models.OneToOneField(
        Department, verbose_name="département", on_delete=models.PROTECT, related_name="+"
    )
    api_url = models.URLField(
        "adresse de l'API",
        help_text="Par exemple https://visio.caf-exemple.fr/bigbluebutton/api/",
    )
    secret_ciphertext = models.BinaryField(editable=False)
    ENCRYPTED_FIELDS = ("secret_ciphertext",)  # re-encrypted by `parcours rotate-keys`
    algorithm = models.CharField(
        "algorithme de la somme de contrôle", max_length=8, choices=Algorithm.choices, default="sha256"
    )
    enabled = models.BooleanField("utiliser ce serveur pour les nouveaux webinaires", default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "serveur de visioconférence"

    def __str__(self) -> str:
        return f"Serveur BigBlueButton du {self.department.code}"

    def policy_department(self) -> str:
        return self.department.code

    def audit_ref(self) -> str:
        return f"Serveur de visioconférence du {self.department.code}"

    def audit_department(self) -> str:
        return self.department.code


class RoomKind(models.TextChoices):
    NONE = "", "Pas encore de salle"
    MANUAL = "manual", "Lien saisi à la main"
    BBB = "bbb", "Salle BigBlueButton créée par Parcours"


class WorkshopSeries(models.Model):
    """A recurring series, e.g. the first Tuesday of each month at 18:00: it generates workshops."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Toutes les semaines (ou toutes les N semaines)"
        MONTHLY = "monthly", "Tous les mois, un jour donné"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "lundi"
        TUESDAY = 1, "mardi"
        WEDNESDAY = 2, "mercredi"
        THURSDAY = 3, "jeudi"
        FRIDAY = 4, "vendredi"
        SATURDAY = 5, "samedi"

    class WeekOfMonth(models.IntegerChoices):
        FIRST = 1, "premier"
        SECOND = 2, "deuxième"
        THIRD = 3, "troisième"
        FOURTH = 4, "quatrième"
        LAST = -1, "dernier"

    department = models.ForeignKey(
        Department, verbose_name="département", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("titre", max_length=160, default="Parents après la séparation")
    format = models.CharField("format", max_length=12, choices=Format.choices)
    venue = models.ForeignKey(
        Venue, verbose_name="lieu", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frequency = models.CharField("rythme", max_length=8, choices=Frequency.choices)
    interval = models.PositiveSmallIntegerField(
        "toutes les", default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    weekday = models.PositiveSmallIntegerField("jour", choices=Weekday.choices)
    week_of_month = models.SmallIntegerField(
        "semaine du mois", choices=WeekOfMonth.choices, null=True, blank=True
    )
    start_time = models.TimeField("heure de début (heure locale)")
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)", default=120)
    capacity = models.PositiveSmallIntegerField("places")
    languages = models.JSONField("langues", default=list)
    first_date = models.DateField("à partir du")
    last_date = models.DateField("jusqu'au")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["department__code", "first_date"]
        verbose_name = "série de séances"
        verbose_name_plural = "séries de séances"

    def __str__(self) -> str:
        return f"{self.title} — {self.describe_rule()}"

    def describe_rule(self) -> str:
        day = self.Weekday(self.weekday).label
        hour = self.start_time.strftime("%Hh%M")
        if self.frequency == self.Frequency.MONTHLY:
            which = self.WeekOfMonth(self.week_of_month or 1).label
            months = "chaque mois" if self.interval == 1 else f"tous les {self.interval} mois"
            return f"le {which} {day} {months} à {hour}"
        weeks = "chaque semaine" if self.interval == 1 else f"toutes les {self.interval} semaines"
        return f"le {day} {weeks} à {hour}"

    def policy_department(self) -> str:
        return self.department.code

    def audit_ref(self) -> str:
        return f"Série de séances n° {self.pk}"

    def audit_department(self) -> str:
        return self.department.code


class Workshop(models.Model):
    """One session « Parents après la séparation »."""

    POLICY_HOUSEHOLD_PATH = ""  # a workshop is department data, not a household's

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        PUBLISHED = "published", "Publiée"
        CANCELLED = "cancelled", "Annulée"
        HELD = "held", "Tenue"

    department = models.ForeignKey(
        Department, verbose_name="département", on_delete=models.PROTECT, related_name="+"
    )
    series = models.ForeignKey(
        WorkshopSeries,
        verbose_name="série",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workshops",
    )
    title = models.CharField("titre", max_length=160, default="Parents après la séparation")
    format = models.CharField("format", max_length=12, choices=Format.choices)
    venue = models.ForeignKey(
        Venue, verbose_name="lieu", null=True, blank=True, on_delete=models.PROTECT, related_name="workshops"
    )
    starts_at = models.DateTimeField("début", db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(
        "durée (minutes)", default=120, validators=[MinValueValidator(30), MaxValueValidator(480)]
    )
    capacity = models.PositiveSmallIntegerField("places", validators=[MinValueValidator(1)])
    seats_taken = models.PositiveSmallIntegerField("places attribuées", default=0, editable=False)
    registration_deadline = models.DateTimeField("clôture des inscriptions")
    languages = models.JSONField("langues", default=list)
    public_notes = models.TextField("informations pratiques (publiques)", blank=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    cancel_reason = models.CharField("motif d'annulation", max_length=300, blank=True)
    room_kind = models.CharField("salle en ligne", max_length=8, choices=RoomKind.choices, blank=True)
    room_url = models.URLField("lien de la salle en ligne", max_length=500, blank=True)
    bbb_meeting_id = models.CharField(max_length=64, blank=True, editable=False)
    bbb_attendee_secret = models.CharField(max_length=40, blank=True, editable=False)
    bbb_moderator_secret = models.CharField(max_length=40, blank=True, editable=False)
    # ICS SEQUENCE: bumped when the date, time or place changes, so calendars update the event.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    held_at = models.DateTimeField("clôturée le", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Facilitation", related_name="facilitated_workshops", blank=True
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "séance"
        indexes = [models.Index(fields=["department", "status", "starts_at"], name="workshop_listing_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seats_taken__lte=models.F("capacity")), name="workshop_never_overbooked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} du {self.local_start():%d/%m/%Y %H:%M} ({self.department.code})"

    # --- time, in the department's time zone -------------------------------------------------
    @property
    def tzinfo(self):
        return self.department.tzinfo

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def local_start(self):
        return timezone.localtime(self.starts_at, self.tzinfo)

    def local_end(self):
        return timezone.localtime(self.ends_at, self.tzinfo)

    def local_deadline(self):
        return timezone.localtime(self.registration_deadline, self.tzinfo)

    @staticmethod
    def closing_time(starts_at: datetime, tz, day: date | None = None) -> datetime:
        """When registrations close: 23:59 local time on `day`, by default the eve; never after the start."""
        day = day or timezone.localtime(starts_at, tz).date() - timedelta(days=1)
        return min(datetime.combine(day, time(23, 59), tzinfo=tz), starts_at)

    # For templates: the wall-clock time in the department, naive, because Django's `date` filter
    # would convert an aware value to the server's time zone (18:00 in 974 would read 15:00).
    @property
    def start_local(self):
        return timezone.make_naive(self.starts_at, self.tzinfo)

    @property
    def end_local(self):
        return timezone.make_naive(self.ends_at, self.tzinfo)

    @property
    def deadline_local(self):
        return timezone.make_naive(self.registration_deadline, self.tzinfo)

    @property
    def timezone_label(self) -> str:
        return "heure de Paris" if self.department.timezone == "Europe/Paris" else "heure locale"

    # --- state ------------------------------------------------------------------------------
    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    @property
    def is_online(self) -> bool:
        return self.format in ONLINE_FORMATS

    @property
    def is_on_site(self) -> bool:
        return self.format in ON_SITE_FORMATS

    def is_past(self, now=None) -> bool:
        return (now or timezone.now()) >= self.ends_at

    def registration_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED and now < self.registration_deadline and now < self.starts_at
        )

    def language_labels(self) -> list[str]:
        return [LANGUAGE_LABELS.get(code, code) for code in self.languages]

    def place_label(self) -> str:
        if self.format == Format.WEBINAR:
            return "En ligne"
        place = str(self.venue) if self.venue_id else "Lieu à préciser"
        return f"{place} et en ligne" if self.format == Format.HYBRID else place

    # --- policy and audit ---------------------------------------------------------------------
    def policy_department(self) -> str:
        return self.department.code

    def audit_ref(self) -> str:
        return f"Séance n° {self.pk} du {self.local_start():%d/%m/%Y}"

    def audit_department(self) -> str:
        return self.department.code


class Facilitation(models.Model):
    class Role(models.TextChoices):
        LAWYER = "lawyer", "Juriste"
        MEDIATOR = "mediator", "Médiateur familial"
        SOCIAL_WORKER = "social_worker", "Travailleur social de la Caf"
        PSYCHOLOGIST = "psychologist", "Psychologue"

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="facilitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitations")
    role = models.CharField("rôle", max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["role", "user__last_name"]
        verbose_name = "animation"
        constraints = [models.UniqueConstraint(fields=["workshop", "user"], name="unique_facilitator")]

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} ({self.get_role_display()})"


class Registration(models.Model):
    """A person's place (or waiting-list entry) for a workshop, from the public page, staff or an invitation."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Inscription confirmée"
        WAITING = "waiting", "Liste d'attente"
        OFFERED = "offered", "Place proposée (en attente de réponse)"
        CANCELLED = "cancelled", "Annulée"
        OFFER_EXPIRED = "offer_expired", "Place proposée non confirmée à temps"
        OFFER_DECLINED = "offer_declined", "Place proposée refusée"
        # A public registration (or a move, a waiting-list offer) that matches the other parent of a
        # family with violence on record while a parent of that family is in the session: held,
        # without saying why, until the family's social worker confirms or cancels it.
        PENDING_REVIEW = "pending_review", "En attente de confirmation"

    class Source(models.TextChoices):
        PUBLIC = "public", "Page publique"
        STAFF = "staff", "Agent de la Caf"
        INVITATION = "invitation", "Invitation"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    class Attendance(models.TextChoices):
        UNKNOWN = "", "Non renseignée"
        PRESENT = "present", "Présent(e)"
        EXCUSED = "excused", "Absent(e) excusé(e)"
        ABSENT = "absent", "Absent(e)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="registrations")
    status = models.CharField("statut", max_length=16, choices=Status.choices)
    source = models.CharField("origine", max_length=12, choices=Source.choices)
    first_name = models.CharField("prénom", max_length=80)
    # The registrant's own channel (public page, walk-in); empty when a household's person is
    # registered: messages then go to that person's safe channel through the notifications outbox.
    contact_kind = models.CharField("canal", max_length=8, choices=Channel.choices, blank=True)
    contact_value = models.CharField("coordonnée", max_length=200, blank=True)
    # Public page, optional: the registrant's last name (kept only folded, "nom prénom" as
    # `Person.search_name`) and birth date, so that the other parent of a family with violence on
    # record is recognised by name and birth date too — never both parents in one session.
    search_name = models.CharField(max_length=170, blank=True, editable=False)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    person = models.ForeignKey(
        "households.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    household = models.ForeignKey(
        "households.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    party_size = models.PositiveSmallIntegerField(
        "nombre de personnes", default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    accessibility_needs = models.CharField("besoins d'accessibilité", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField("motif", max_length=300, blank=True)
    attendance = models.CharField("présence", max_length=8, choices=Attendance.choices, blank=True)
    attendance_from_video = models.BooleanField("relevée par la visioconférence", default=False)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    survey_sent_at = models.DateTimeField(null=True, blank=True)
    # Bumped to revoke every private link already sent (e.g. after a change of channel).
    link_version = models.PositiveSmallIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["workshop__starts_at", "created_at", "pk"]
        verbose_name = "inscription"
        indexes = [
            models.Index(fields=["workshop", "status", "waitlisted_at"], name="registration_queue_idx"),
            models.Index(fields=["household"], name="registration_household_idx"),
        ]

    def __str__(self) -> str:
        return f"Inscription n° {self.pk}"

    ACTIVE = (Status.CONFIRMED, Status.WAITING, Status.OFFERED)
    HOLDING_SEATS = (Status.CONFIRMED, Status.OFFERED)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def identity(self) -> dict:
        """Who the registrant is, for `selectors.other_parent_sessions` (every door passes all of it)."""
        return {
            "person": self.person, "contact_kind": self.contact_kind, "contact_value": self.contact_value,
            "search_name": self.search_name, "birth_date": self.birth_date,
        }  # fmt: skip

    @property
    def holds_seats(self) -> bool:
        return self.status in self.HOLDING_SEATS

    def policy_household(self):
        return self.household

    def policy_department(self) -> str:
        return self.workshop.department.code

    def audit_ref(self) -> str:
        return f"Inscription n° {self.pk} à la séance n° {self.workshop_id}"

    def audit_department(self) -> str:
        return self.workshop.department.code

    def audit_scope(self) -> str:
        return f"household:{self.household_id}" if self.household_id else f"workshop:{self.workshop_id}"


class Invitation(InHousehold, models.Model):
    """An invitation sent to one parent of a household, usually from the pathway step."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de réponse"
        REGISTERED = "registered", "Inscription faite"
        DECLINED = "declined", "Déclinée"
        EXPIRED = "expired", "Expirée sans réponse"
        CANCELLED = "cancelled", "Retirée"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("households.Person", on_delete=models.CASCADE, related_name="+")
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.PENDING)
    # The pathway step it answers (pathways.PathwayStep), kept as a plain id so that both apps stay apart.
    step_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Violence reported: each parent gets their own sessions, never the other parent's, webinars first.
    separate_sessions = models.BooleanField("séances distinctes pour chaque parent", default=False)
    preferred_format = models.CharField(
        "format proposé d'abord", max_length=12, choices=Format.choices, blank=True
    )
    offered_workshops = models.ManyToManyField(Workshop, blank=True, related_name="+")
    registration = models.OneToOneField(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link_version = models.PositiveSmallIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "invitation"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation n° {self.pk}"

    def is_open(self, now=None) -> bool:
        return self.status == self.Status.PENDING and (now or timezone.now()) < self.expires_at

    def audit_ref(self) -> str:
        return f"Invitation n° {self.pk} du dossier {self.household.reference}"


class SurveyToken(models.Model):
    """A one-time survey ticket, sent to an attendee. Not linked to the registration: only its hash is kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)

    class Meta:
        verbose_name = "ticket d'enquête"

    def __str__(self) -> str:
        return f"Ticket d'enquête n° {self.pk}"


SCALE = [(n, str(n)) for n in range(1, 6)]


class SurveyResponse(models.Model):
    """One anonymous answer. Deliberately no relation: the grouping keys are copied, identity never is.

    The primary key is random (no order to match against the moment a ticket was used) and there
    is no timestamp; the session month is enough for the comparison by period.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    department_code = models.CharField(max_length=3, db_index=True)
    format = models.CharField(max_length=12, choices=Format.choices)
    session_month = models.DateField(help_text="Premier jour du mois de la séance.")
    useful = models.PositiveSmallIntegerField(choices=SCALE)
    answers = models.PositiveSmallIntegerField(choices=SCALE)
    format_suited = models.PositiveSmallIntegerField(choices=SCALE)
    better_informed = models.PositiveSmallIntegerField(choices=SCALE)
    recommend = models.PositiveSmallIntegerField(choices=SCALE)
    comment = models.TextField(blank=True)

    QUESTIONS = ("useful", "answers", "format_suited", "better_informed", "recommend")

    class Meta:
        verbose_name = "réponse à l'enquête"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(useful__range=(1, 5))
                & models.Q(answers__range=(1, 5))
                & models.Q(format_suited__range=(1, 5))
                & models.Q(better_informed__range=(1, 5))
                & models.Q(recommend__range=(1, 5)),
                name="survey_scale_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return "Réponse anonyme"

    @property
    def score(self) -> float:
        return sum(getattr(self, q) for q in self.QUESTIONS) / len(self.QUESTIONS)
