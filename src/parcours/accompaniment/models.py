"""Mesures d'accompagnement protégé (MAP): the judge's order, the referral to a MAP organisation, the
handovers with their staggered times, their outcomes and incidents, the report to the judge.

Everything here belongs to a household (usually restricted: violence) through its measure. Free texts
that describe the family (incident narratives, the child's words) are encrypted at rest with the
project's keys (core.crypto), like protected addresses; handover places are too, since a place may be a
parent's home. Nothing here is ever written to an audit entry or a message in clear.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from parcours.core import crypto
from parcours.core.models import Department, Organisation
from parcours.households.models import Household, InHousehold, Person


class MapOrganisation(models.Model):
    """A MAP organisation: an entry of the partner directory whose staff hold accounts.

    `partner` is the directory entry (protection.Partner: name, phone, department) the social worker
    refers to; `organisation` is the account organisation of its coordinators (role partner) and
    accompanists (role accompanist).
    """

    class Kind(models.TextChoices):
        MAP = "map", "Association de mesures d'accompagnement protégé"
        RELAIS = "relais", "Relais enfants-parents (milieu carcéral)"

    partner = models.OneToOneField(
        "protection.Partner", verbose_name="fiche de l'annuaire", on_delete=models.PROTECT, related_name="map"
    )
    organisation = models.OneToOneField(
        Organisation, verbose_name="organisation (comptes)", on_delete=models.PROTECT, related_name="map"
    )
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.MAP)
    report_header = models.TextField(
        "en-tête du rapport au juge",
        blank=True,
        help_text="Nom, adresse du siège, téléphone de l'association.",
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["partner__name"]
        verbose_name = "organisation MAP"

    def __str__(self) -> str:
        return self.partner.name

    @property
    def name(self) -> str:
        return self.partner.name

    @property
    def department(self) -> Department:
        return self.partner.department

    def policy_department(self) -> str:
        return self.partner.department.code

    def audit_ref(self) -> str:
        return f"Organisation MAP n° {self.pk}"

    def audit_department(self) -> str:
        return self.policy_department()


class FundingConvention(models.Model):
    """The Caf's funding of a MAP organisation for a year (convention d'objectifs et de financement)."""

    map_organisation = models.ForeignKey(
        MapOrganisation, on_delete=models.CASCADE, related_name="conventions"
    )
    year = models.PositiveSmallIntegerField("année")
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)
    measures_planned = models.PositiveIntegerField("mesures prévues", default=0)
    reference = models.CharField("référence de la convention", max_length=60, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = "convention de financement"
        constraints = [
            models.UniqueConstraint(fields=["map_organisation", "year"], name="one_convention_per_year"),
        ]

    def __str__(self) -> str:
        return f"Convention {self.year} — {self.map_organisation}"

    def policy_department(self) -> str:
        return self.map_organisation.policy_department()

    def audit_ref(self) -> str:
        return f"Convention MAP n° {self.pk} ({self.year})"

    def audit_department(self) -> str:
        return self.policy_department()


class Accompanist(models.Model):
    """A professional of a MAP organisation who does the handovers (account with role accompanist).

    The row is also the lock taken while assigning handovers to them (no double booking), and holds the
    key of their private calendar feed: a new key revokes the old link.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accompanist"
    )
    map_organisation = models.ForeignKey(
        MapOrganisation, on_delete=models.PROTECT, related_name="accompanists"
    )
    feed_key = models.CharField(max_length=64, default=secrets.token_urlsafe, editable=False)
    feed_enabled = models.BooleanField("agenda partagé", default=False)

    class Meta:
        verbose_name = "accompagnant"

    def __str__(self) -> str:
        return self.user.get_full_name()

    def policy_department(self) -> str:
        return self.map_organisation.policy_department()

    def audit_ref(self) -> str:
        return f"Accompagnant n° {self.pk}"

    def audit_department(self) -> str:
        return self.policy_department()


class SchoolHolidayPeriod(models.Model):
    """School holidays as dated data (official open-data calendar), per zone ("Zone C", "Réunion")."""

    zone = models.CharField("zone", max_length=40)
    description = models.CharField("vacances", max_length=120)
    school_year = models.CharField("année scolaire", max_length=9, blank=True)
    # First day without school and first day back (exclusive), in the zone's own calendar.
    starts_on = models.DateField("premier jour")
    ends_on = models.DateField("reprise des cours")
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["zone", "starts_on"]
        verbose_name = "période de vacances scolaires"
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "description", "starts_on"], name="unique_holiday_period"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="holiday_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.zone})"


def order_upload_path(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"accompaniment/ordonnances/{instance.household.department.code}/{uuid.uuid4().hex}.{extension}"


class Measure(InHousehold, models.Model):
    """A mesure d'accompagnement protégé ordered by the family judge (C. civ. 373-2-9, 515-11 5°)."""

    POLICY_HOUSEHOLD_PATH = "household"

    class JudgeKind(models.TextChoices):
        JAF = "jaf", "Juge aux affaires familiales (jugement, C. civ. art. 373-2-9)"
        PROTECTION = "protection", "JAF — ordonnance de protection (C. civ. art. 515-11 5°)"

    class Context(models.TextChoices):
        VIOLENCE = "violence", "Violences conjugales"
        INCARCERATION = "incarceration", "Incarcération d'un parent"
        BOTH = "both", "Violences et incarcération"

    class Rhythm(models.TextChoices):
        WEEKLY = "weekly", "Chaque semaine"
        FORTNIGHTLY = "fortnightly", "Une semaine sur deux"
        PRISON = "prison", "Créneaux de visite accordés par l'établissement"

    class Holidays(models.TextChoices):
        NONE = "none", "Pas de vacances scolaires (rythme habituel suspendu)"
        KEEP = "keep", "Rythme habituel maintenu pendant les vacances"
        FIRST_HALF = "first_half", "Première moitié des vacances"
        SECOND_HALF = "second_half", "Seconde moitié des vacances"
        ALTERNATE = "alternate", "Première moitié les années paires, seconde les années impaires"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Ordonnance enregistrée"
        REFERRED = "referred", "Orientée vers une organisation"
        DECLINED = "declined", "Orientation refusée"
        ACTIVE = "active", "En cours"
        ENDED = "ended", "Terminée"

    class EndReason(models.TextChoices):
        TERM = "term", "Échéance de la mesure"
        RENEWED = "renewed", "Renouvelée par une nouvelle décision"
        JUDGE = "judge", "Décision du juge"
        SUSPENSION = "suspension", "Suspension du droit de visite (C. civ. art. 378-2)"
        MOVE = "move", "Déménagement"
        MAJORITY = "majority", "Majorité de l'enfant"

    class VisitKind(models.TextChoices):
        PARLOIR = "parloir", "Parloir"
        FAMILY = "family", "Parloir familial"
        UVF = "uvf", "Unité de vie familiale (UVF)"

    OPEN_STATUSES = (Status.RECORDED, Status.REFERRED, Status.ACTIVE)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="accompaniment_measures")
    # The order (jugement / ordonnance)
    court = models.CharField("tribunal judiciaire", max_length=120)
    order_date = models.DateField("date de la décision")
    case_number = models.CharField("numéro RG", max_length=30)
    judge_kind = models.CharField("juge", max_length=12, choices=JudgeKind.choices, default=JudgeKind.JAF)
    context = models.CharField("contexte", max_length=14, choices=Context.choices, default=Context.VIOLENCE)
    residential_parent = models.ForeignKey(
        Person, verbose_name="parent chez qui l'enfant réside", on_delete=models.PROTECT, related_name="+"
    )
    visiting_parent = models.ForeignKey(
        Person,
        verbose_name="parent bénéficiaire du droit de visite",
        on_delete=models.PROTECT,
        related_name="+",
    )
    children = models.ManyToManyField(Person, verbose_name="enfants", related_name="accompaniment_measures")
    # The terms
    starts_on = models.DateField("début de la mesure")
    ends_on = models.DateField("fin de la mesure")
    rhythm = models.CharField("rythme", max_length=12, choices=Rhythm.choices, default=Rhythm.FORTNIGHTLY)
    first_visit_on = models.DateField(
        "premier jour de visite", help_text="Fixe le jour de la semaine et, une semaine sur deux, la parité."
    )
    visit_days = models.PositiveSmallIntegerField(
        "durée de la visite (jours)", default=0, help_text="0 : retour le jour même ; 1 : le lendemain…"
    )
    pickup_time = models.TimeField("heure de prise en charge", default="10:00")
    return_time = models.TimeField("heure du retour", default="18:00")
    holidays = models.CharField(
        "vacances scolaires", max_length=12, choices=Holidays.choices, default=Holidays.KEEP
    )
    extend_on_public_holiday = models.BooleanField(
        "prolongé du jour férié qui suit",
        default=True,
        help_text="Le retour a lieu le jour férié s'il suit la visite.",
    )
    meeting_place = models.CharField(
        "espace de rencontre désigné par le juge (repli)", max_length=200, blank=True
    )
    terms_note = models.TextField("autres modalités de l'ordonnance", blank=True)
    # Incarceration
    prison_name = models.CharField("établissement pénitentiaire", max_length=160, blank=True)
    visit_kind = models.CharField("type de visite", max_length=10, choices=VisitKind.choices, blank=True)
    visit_permit = models.CharField("permis de visite (référence)", max_length=60, blank=True)
    # The scanned order (checked and stripped like the AUU proofs)
    order_file = models.FileField(upload_to=order_upload_path, max_length=200, blank=True)
    order_file_type = models.CharField(max_length=40, blank=True)
    order_file_sha256 = models.CharField(max_length=64, blank=True)
    # Follow-up
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.RECORDED)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="travailleur social référent",
        on_delete=models.PROTECT,
        related_name="referent_measures",
    )
    map_organisation = models.ForeignKey(
        MapOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    referred_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField("motif du refus", max_length=300, blank=True)
    ended_on = models.DateField("terminée le", null=True, blank=True)
    end_reason = models.CharField("motif de fin", max_length=12, choices=EndReason.choices, blank=True)
    renews = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal",
        verbose_name="renouvelle",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = "mesure d'accompagnement protégé"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="measure_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(residential_parent=models.F("visiting_parent")), name="measure_two_parents"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"MAP-{self.pk}"

    def audit_ref(self) -> str:
        return f"Mesure MAP n° {self.pk} du dossier {self.household.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_prison(self) -> bool:
        return self.context in (self.Context.INCARCERATION, self.Context.BOTH) and bool(self.prison_name)

    @property
    def tzinfo(self):
        return self.household.department.tzinfo


class ExcludedPeriod(models.Model):
    """Dates the order excludes (a parent's holidays, a family event): no visit starts in them."""

    POLICY_HOUSEHOLD_PATH = "measure__household"

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="exclusions")
    starts_on = models.DateField("du")
    ends_on = models.DateField("au (inclus)")
    reason = models.CharField("motif", max_length=120, blank=True)

    class Meta:
        ordering = ["starts_on"]
        verbose_name = "période exclue"

    def __str__(self) -> str:
        return f"Période exclue n° {self.pk}"

    def policy_household(self) -> Household:
        return self.measure.household


class Place(models.Model):
    """A pick-up or drop-off place of a measure. The address is encrypted: it may be a parent's home.

    `parent` says whose place it is (their home, or the neutral place where they meet the accompanist);
    a neutral place used by both parents has no parent.
    """

    POLICY_HOUSEHOLD_PATH = "measure__household"

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="places")
    label = models.CharField(
        "nom du lieu", max_length=120, help_text="Ex. « Point rencontre Caf de Nanterre »."
    )
    is_home = models.BooleanField("domicile d'un parent", default=False)
    address_ciphertext = models.BinaryField()
    ENCRYPTED_FIELDS = ("address_ciphertext",)  # re-encrypted by `parcours rotate-keys`

    class Meta:
        ordering = ["label"]
        verbose_name = "lieu de remise"

    def __str__(self) -> str:
        return self.label

    @property
    def address(self) -> str:
        return crypto.decrypt(self.address_ciphertext) if self.address_ciphertext else ""

    def policy_household(self) -> Household:
        return self.measure.household


class Handover(models.Model):
    """One accompanied trip: the child is taken from one parent and brought to the other.

    Each parent has their own time and place (the "appointment"): the parent who hands the child over
    meets the accompanist at `from_place` at `from_at`, the other receives the child at `to_place` at
    `to_at`. A visit is two handovers: the outbound one and its mirrored return.
    """

    POLICY_HOUSEHOLD_PATH = "measure__household"

    class Leg(models.TextChoices):
        OUTBOUND = "outbound", "Aller"
        RETURN = "return", "Retour"
        PRISON = "prison", "Visite en établissement"

    class Outcome(models.TextChoices):
        PLANNED = "planned", "Prévue"
        DONE = "done", "Effectuée"
        CANCELLED = "cancelled", "Annulée"
        NOT_PRESENTED = "not_presented", "Non-présentation"

    class CancelledBy(models.TextChoices):
        RESIDENTIAL = "residential", "Parent chez qui l'enfant réside"
        VISITING = "visiting", "Parent bénéficiaire du droit de visite"
        ORGANISATION = "organisation", "Organisation"
        ESTABLISHMENT = "establishment", "Parloir annulé par l'établissement"

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="handovers")
    leg = models.CharField("trajet", max_length=10, choices=Leg.choices)
    # Visits are numbered in the order they were generated; "the rest of the series" = same leg, later visits.
    visit_number = models.PositiveIntegerField("visite n°")
    from_parent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    to_parent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    from_place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    to_place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    from_at = models.DateTimeField("prise en charge")
    to_at = models.DateTimeField("remise")
    accompanist = models.ForeignKey(
        Accompanist, null=True, blank=True, on_delete=models.PROTECT, related_name="handovers"
    )
    booking_reference = models.CharField("réservation du parloir", max_length=60, blank=True)
    outcome = models.CharField("issue", max_length=14, choices=Outcome.choices, default=Outcome.PLANNED)
    cancelled_by = models.CharField("annulée par", max_length=14, choices=CancelledBy.choices, blank=True)
    notice_hours = models.PositiveIntegerField("prévenu (heures avant)", null=True, blank=True)
    absent_parent = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="parent absent",
    )
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["from_at", "id"]
        verbose_name = "remise accompagnée"
        constraints = [
            models.CheckConstraint(
                condition=Q(to_at__gt=models.F("from_at")), name="handover_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["accompanist", "from_at"], name="handover_accompanist_idx")]

    def __str__(self) -> str:
        return f"Remise n° {self.pk}"

    def policy_household(self) -> Household:
        return self.measure.household

    def audit_ref(self) -> str:
        return f"Remise n° {self.pk} de la mesure MAP n° {self.measure_id}"

    def audit_department(self) -> str:
        return self.measure.household.department.code


class Incident(models.Model):
    """An incident during a handover; the narrative is encrypted and shown to the organisation and the
    referent only."""

    POLICY_HOUSEHOLD_PATH = "handover__measure__household"

    class Category(models.TextChoices):
        VERBAL = "verbal", "Violence verbale"
        THREAT = "threat", "Menace"
        ADDRESS = "address", "Tentative d'apprendre l'adresse"
        REFUSAL = "refusal", "Refus de l'enfant"
        LATENESS = "lateness", "Retard"
        OTHER = "other", "Autre"

    # Categories that alert the referent at once and are flagged for the next report.
    VIOLENT = (Category.VERBAL, Category.THREAT, Category.ADDRESS)

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="incidents")
    category = models.CharField("catégorie", max_length=10, choices=Category.choices)
    by_parent = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="parent concerné",
    )
    narrative_ciphertext = models.BinaryField()
    ENCRYPTED_FIELDS = ("narrative_ciphertext",)  # re-encrypted by `parcours rotate-keys`
    flagged_for_report = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = "incident"

    def __str__(self) -> str:
        return f"Incident n° {self.pk}"

    @property
    def is_violent(self) -> bool:
        return self.category in self.VIOLENT

    @property
    def narrative(self) -> str:
        return crypto.decrypt(self.narrative_ciphertext) if self.narrative_ciphertext else ""

    def policy_household(self) -> Household:
        return self.handover.measure.household

    def audit_ref(self) -> str:
        return f"Incident n° {self.pk} de la remise n° {self.handover_id}"

    def audit_department(self) -> str:
        return self.handover.measure.household.department.code


class ChildWords(models.Model):
    """What the child said, recorded apart from the outcome and the incidents (encrypted)."""

    POLICY_HOUSEHOLD_PATH = "handover__measure__household"

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="child_words")
    text_ciphertext = models.BinaryField()
    ENCRYPTED_FIELDS = ("text_ciphertext",)  # re-encrypted by `parcours rotate-keys`
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "parole de l'enfant"

    def __str__(self) -> str:
        return f"Paroles de l'enfant n° {self.pk}"

    @property
    def text(self) -> str:
        return crypto.decrypt(self.text_ciphertext) if self.text_ciphertext else ""

    def policy_household(self) -> Household:
        return self.handover.measure.household


class JudgeReport(models.Model):
    """The report to the judge for a period: drafted and signed off by a coordinator, then produced as PDF."""

    POLICY_HOUSEHOLD_PATH = "measure__household"

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateField("du")
    period_end = models.DateField("au")
    observations = models.TextField("observations de l'organisation", blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = "rapport au juge"

    def __str__(self) -> str:
        return f"Rapport n° {self.pk}"

    def policy_household(self) -> Household:
        return self.measure.household

    def audit_ref(self) -> str:
        return f"Rapport au juge n° {self.pk} de la mesure MAP n° {self.measure_id}"

    def audit_department(self) -> str:
        return self.measure.household.department.code

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
