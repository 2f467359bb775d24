"""Households (dossiers allocataires), their members, addresses, contact channels and consents.

A protected address lives encrypted in its own table; everywhere else the person's elected
address (lawyer, association, domiciliation) stands in for it. Only `services.reveal_protected_address`
decrypts it, with a reason, after a recent re-authentication, and audits it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone

from parcours.core import crypto
from parcours.core.models import Department
from parcours.core.phones import normalize_french_phone


class _NoCombining(dict):
    """str.translate table deleting the combining characters, filled as characters are met (the
    chokepoint folds every message's text: a generator per character cost a few % of the worker)."""

    def __missing__(self, codepoint: int):
        value = None if unicodedata.combining(chr(codepoint)) else codepoint
        self[codepoint] = value
        return value


_NO_COMBINING = _NoCombining()


def fold(text: str) -> str:
    """Lower-case, accent-free form used for search on SQLite and PostgreSQL alike."""
    normalized = unicodedata.normalize("NFKD", (text or "").lower())
    if normalized.isascii():  # no combining character below U+0300
        return normalized.strip()
    return normalized.translate(_NO_COMBINING).strip()


class InHousehold:
    """For a model with a `household` foreign key: the access policy and the audit follow its household."""

    def policy_household(self) -> Household:
        return self.household

    def audit_department(self) -> str:
        return self.household.department.code


class Household(models.Model):
    POLICY_HOUSEHOLD_PATH = ""

    # No index of its own: the unique (department, file_number) starts with it.
    department = models.ForeignKey(
        Department,
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    file_number = models.CharField("numéro d'allocataire", max_length=20)
    is_allocataire = models.BooleanField("allocataire", default=True)
    restricted = models.BooleanField("accès restreint", default=False)
    restricted_at = models.DateTimeField("restreint le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    # Retention (households/anonymisation.py): a local pilot's legal hold keeps the file from being
    # anonymised (a court case, a claim); anonymised_at marks a file done, so the job is idempotent.
    legal_hold = models.BooleanField("gel légal", default=False)
    legal_hold_reason = models.CharField("motif du gel légal", max_length=300, blank=True)
    legal_hold_at = models.DateTimeField("gel posé le", null=True, blank=True)
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)

    class Meta:
        ordering = ["department__code", "file_number"]
        verbose_name = "foyer"
        constraints = [
            models.UniqueConstraint(
                fields=["department", "file_number"], name="unique_file_number_per_department"
            ),
            # What the events' copy of (household, department) refers to (COPIED_COLUMNS_SQL in
            # pathways/migrations): the database checks that a copied department is the household's.
            models.UniqueConstraint(fields=["id", "department"], name="household_id_department_key"),
        ]
        indexes = [
            # The few restricted files of a department, which the worklists set aside (policy.hidden_households).
            models.Index(
                fields=["department"], condition=Q(restricted=True), name="household_restricted_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return self.reference_for(self.department.code, self.file_number)

    @staticmethod
    def reference_for(department_code: str, file_number: str) -> str:
        """The file's reference, also for imports that hold the values and no instance."""
        return f"{department_code}-{file_number}"

    def audit_ref(self) -> str:
        return f"Dossier {self.reference}"

    def audit_department(self) -> str:
        return self.department.code

    def policy_household(self) -> Household:
        return self

    def is_assigned(self, user) -> bool:
        cache = self.__dict__.setdefault("_assigned_cache", {})
        if user.pk not in cache:
            cache[user.pk] = self.assignments.filter(user=user).exists()
        return cache[user.pk]

    def parents(self):
        return self.members.filter(role=Person.Role.PARENT)

    def children(self):
        return self.members.filter(role=Person.Role.CHILD)


class HouseholdAssignment(InHousehold, models.Model):
    """Who may open a restricted household: set by the local pilot."""

    POLICY_HOUSEHOLD_PATH = "household"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["household", "user"], name="unique_assignment")]
        verbose_name = "affectation"

    def __str__(self) -> str:
        return f"Affectation n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Affectation de {self.user.email} au dossier {self.household.reference}"


class Person(InHousehold, models.Model):
    POLICY_HOUSEHOLD_PATH = "household"

    class Role(models.TextChoices):
        PARENT = "parent", "Parent"
        CHILD = "child", "Enfant"

    # No index of its own: person_household_role_idx starts with it (and serves the cascade).
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members", db_index=False)
    role = models.CharField("rôle dans le foyer", max_length=10, choices=Role.choices)
    first_name = models.CharField("prénom", max_length=80)
    last_name = models.CharField("nom", max_length=80)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    is_declarant = models.BooleanField("déclarant de la séparation", default=False)
    # RGPD art. 18: while set, no message leaves for this person (notifications chokepoint) and the
    # retention job keeps the household; set and lifted with a reason (services.set_processing_limitation).
    processing_limited = models.BooleanField("traitement limité", default=False)
    processing_limited_reason = models.CharField("motif de la limitation", max_length=300, blank=True)
    processing_limited_at = models.DateTimeField("limité le", null=True, blank=True)
    # Who set it: shown on the household page beside the date (the audit trail is purged after
    # 12 months, a limitation can last longer).
    processing_limited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="limité par",
    )  # fmt: skip
    # RGPD art. 17 for this member alone (services.erase_person_on_request): her identity, contacts,
    # addresses and the free text about her erased, the statistical skeleton kept.
    erased_at = models.DateTimeField("effacée le", null=True, blank=True)
    # Searched with `contains` (households.selectors), which no B-tree index serves: none is kept.
    search_name = models.CharField(max_length=170, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-role", "-is_declarant", "birth_date", "last_name", "first_name"]
        verbose_name = "personne"
        indexes = [
            models.Index(fields=["household", "role"], name="person_household_role_idx"),
            # "Never both parents": a public registrant with name and birth date is looked up here.
            models.Index(fields=["search_name", "birth_date"], name="person_identity_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.last_name} {self.first_name}")
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    def audit_ref(self) -> str:
        return f"Personne n° {self.pk} du dossier {self.household.reference}"

    def safe_channels(self) -> list[ContactChannel]:
        """The phone, SMS and e-mail channels confirmed safe — never the others. No policy here: each
        door checks its own first (staff: selectors.safe_contacts_for; the partner she was referred to:
        protection.selectors.inbox_referral_contacts)."""
        kinds = (ContactChannel.Kind.PHONE, ContactChannel.Kind.SMS, ContactChannel.Kind.EMAIL)
        return list(self.contacts.filter(is_safe=True, kind__in=kinds).order_by("kind", "pk"))

    @property
    def is_address_protected(self) -> bool:
        return hasattr(self, "protected_address")

    def display_address(self) -> DisplayAddress | None:
        """The address any page, letter, export or message may show: never the protected one."""
        protected = getattr(self, "protected_address", None)
        if protected is not None:
            return DisplayAddress(
                lines=protected.elected_lines(),
                is_elected=True,
                label=f"Adresse élue ({protected.get_elected_kind_display().lower()})",
            )
        address = getattr(self, "address", None)
        if address is None:
            return None
        if address.is_partial:
            return DisplayAddress(
                lines=address.lines(), is_elected=False, label="Adresse partielle (sans rue)", is_partial=True
            )
        return DisplayAddress(lines=address.lines(), is_elected=False, label="Adresse")


@dataclass(frozen=True)
class DisplayAddress:
    lines: list[str]
    is_elected: bool
    label: str
    # A postal code and town without a street line: places the person, but no letter reaches it.
    is_partial: bool = False

    def __str__(self) -> str:
        return ", ".join(self.lines)


class Address(models.Model):
    """The person's ordinary postal address (absent once the address is protected)."""

    POLICY_HOUSEHOLD_PATH = "person__household"

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="address")
    # Blank for a partial address (postal code and town only, as some declarations give it).
    line = models.CharField("adresse", max_length=200, blank=True)
    complement = models.CharField("complément", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("commune", max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "adresse"

    def __str__(self) -> str:
        return f"Adresse de la personne n° {self.person_id}"

    def lines(self) -> list[str]:
        return [x for x in (self.line, self.complement, f"{self.postal_code} {self.city}") if x]

    @property
    def is_partial(self) -> bool:
        """No street line: the person is placed (postal code, town), but cannot be written to."""
        return not self.line.strip()

    def policy_household(self) -> Household:
        return self.person.household


class ProtectedAddress(models.Model):
    """The real address of a person at risk: encrypted at rest, shown nowhere but the audited reveal."""

    POLICY_HOUSEHOLD_PATH = "person__household"

    class ElectedKind(models.TextChoices):
        LAWYER = "lawyer", "Cabinet d'avocat"
        ASSOCIATION = "association", "Association"
        DOMICILIATION = "domiciliation", "Adresse de domiciliation"

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="protected_address")
    ciphertext = models.BinaryField()
    ENCRYPTED_FIELDS = ("ciphertext",)  # re-encrypted by `parcours rotate-keys`
    elected_kind = models.CharField("type d'adresse élue", max_length=20, choices=ElectedKind.choices)
    elected_name = models.CharField("nom (cabinet, association…)", max_length=160)
    elected_line = models.CharField("adresse", max_length=200)
    elected_postal_code = models.CharField("code postal", max_length=5)
    elected_city = models.CharField("commune", max_length=100)
    protected_at = models.DateTimeField(default=timezone.now)
    protected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "adresse protégée"

    def __str__(self) -> str:
        # Never the address itself: this string may end up in logs or error reports.
        return f"Adresse protégée de la personne n° {self.person_id}"

    def elected_lines(self) -> list[str]:
        return [self.elected_name, self.elected_line, f"{self.elected_postal_code} {self.elected_city}"]

    def policy_household(self) -> Household:
        return self.person.household

    def audit_ref(self) -> str:
        return f"Adresse protégée de la personne n° {self.person_id}"

    def audit_department(self) -> str:
        return self.person.household.department.code


class ContactChannel(models.Model):
    POLICY_HOUSEHOLD_PATH = "person__household"

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"
        PHONE = "phone", "Téléphone (appel)"
        POSTAL = "postal", "Courrier"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField("canal", max_length=10, choices=Kind.choices)
    value = models.CharField("coordonnée", max_length=200, blank=True)
    is_safe = models.BooleanField(
        "canal sûr", default=False, help_text="Confirmé avec la personne : personne d'autre n'y a accès."
    )
    safe_from = models.TimeField("joignable à partir de", null=True, blank=True)
    safe_until = models.TimeField("joignable jusqu'à", null=True, blank=True)
    note = models.CharField("remarque", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_safe", "kind"]
        verbose_name = "canal de contact"
        # "Never both parents": every public registration looks its contact up by value.
        indexes = [models.Index(fields=["value"], name="contactchannel_value_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}".strip()

    @classmethod
    def normalised_value(cls, kind: str, value: str) -> str:
        """The value as stored: a checked e-mail address, a French number in E.164 form (+33…, +262…).

        Raises ValidationError on the `value` field. Every door (staff form, service, API) goes
        through here, so the chokepoint only ever sees numbers it can send to.
        """
        value = (value or "").strip()
        if kind == cls.Kind.EMAIL:
            if not value:
                raise ValidationError({"value": "Saisissez l'adresse e-mail."})
            try:
                validate_email(value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from None
        elif kind in (cls.Kind.SMS, cls.Kind.PHONE):
            normalised = normalize_french_phone(value)
            if normalised is None:
                raise ValidationError(
                    {
                        "value": "Numéro de téléphone français invalide (ex. 06 12 34 56 78 ou +262 692 12 34 56)."
                    }
                )
            value = normalised
        return value

    def clean(self):
        errors = {}
        try:
            self.value = self.normalised_value(self.kind, self.value)
        except ValidationError as error:
            errors.update(error.message_dict)
        # A window needs both ends: one alone would be read as "always" by some and "never" by others.
        if (self.safe_from is None) != (self.safe_until is None):
            errors["safe_until"] = ["Indiquez le début et la fin de la plage horaire, ou aucun des deux."]
        if errors:
            raise ValidationError(errors)

    def policy_household(self) -> Household:
        return self.person.household

    def audit_ref(self) -> str:
        return f"Canal de contact n° {self.pk} de la personne n° {self.person_id}"

    def audit_department(self) -> str:
        return self.person.household.department.code


class ContactProposal(InHousehold, models.Model):
    """A phone, an e-mail or a postal address that came with a declaration (form, file, API) for a
    family with violence on record. It never attaches itself to anyone of the family — it may be the
    other parent's, or typed by him: the assigned social worker confirms it (it then goes through
    `services.add_contact` or `services.set_address` and their checks) or rejects it, with a reason.
    Until then it is no channel and no address: no message ever uses it, and only the family's
    assigned social worker sees it, on the household page.

    A postal address (kind `address`) is encrypted like the protected address (`address_ciphertext`,
    re-encrypted by `parcours rotate-keys`); its `value` is then only a keyed fingerprint of the
    address, so that the same address is not proposed twice — never the address itself."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        PENDING = "pending", "À vérifier"
        CONFIRMED = "confirmed", "Confirmée"
        REJECTED = "rejected", "Écartée"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="contact_proposals")
    person = models.ForeignKey(
        Person, verbose_name="personne nommée par la déclaration", on_delete=models.CASCADE, related_name="+"
    )
    ADDRESS = "address"
    KIND_CHOICES = [*ContactChannel.Kind.choices, (ADDRESS, "Adresse postale")]

    kind = models.CharField("canal", max_length=10, choices=KIND_CHOICES)
    value = models.CharField("coordonnée", max_length=200)
    address_ciphertext = models.BinaryField(null=True, blank=True)
    ENCRYPTED_FIELDS = ("address_ciphertext",)  # re-encrypted by `parcours rotate-keys`
    source = models.CharField("origine", max_length=12, blank=True)  # form, file, api (pathways sources)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField("motif de la décision", max_length=300, blank=True)
    contact = models.ForeignKey(
        ContactChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "proposition de coordonnées"
        verbose_name_plural = "propositions de coordonnées"
        indexes = [models.Index(fields=["household", "status"], name="contact_proposal_pending_idx")]

    def __str__(self) -> str:
        return f"Proposition de coordonnées n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Proposition de coordonnées n° {self.pk} du dossier {self.household.reference}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_address(self) -> bool:
        return self.kind == self.ADDRESS

    @staticmethod
    def address_fingerprint(line: str, postal_code: str, city: str) -> str:
        """A keyed digest of the address (folded): the same address is recognised without being stored
        in clear, and the digest tells nothing without the server's secret."""
        from django.utils.crypto import salted_hmac

        text = "|".join(fold(v or "") for v in (line, postal_code, city))
        return "empreinte:" + salted_hmac("parcours.households.address-proposal", text).hexdigest()[:40]

    @staticmethod
    def encrypt_address(line: str, postal_code: str, city: str) -> bytes:
        values = {"line": line or "", "postal_code": postal_code or "", "city": city or ""}
        return crypto.encrypt(json.dumps(values, ensure_ascii=False))

    def address_values(self) -> dict[str, str]:
        """The proposed address, decrypted (for the assigned social worker's decision only)."""
        if not self.address_ciphertext:
            return {}
        return json.loads(crypto.decrypt(bytes(self.address_ciphertext)))

    def address_lines(self) -> list[str]:
        values = self.address_values()
        return [
            x
            for x in (
                values.get("line", ""),
                f"{values.get('postal_code', '')} {values.get('city', '')}".strip(),
            )
            if x
        ]


class Consent(models.Model):
    POLICY_HOUSEHOLD_PATH = "person__household"

    class Purpose(models.TextChoices):
        CONTACT = "contact", "Être contacté(e) dans le cadre du parcours"
        PARTNER_REFERRAL = "partner_referral", "Orientation vers un partenaire (transmission de coordonnées)"
        MEDIATION = "mediation", "Médiation familiale"
        SURVEY = "survey", "Enquête de satisfaction"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField("objet", max_length=32, choices=Purpose.choices)
    given = models.BooleanField("consentement donné")
    recorded_at = models.DateTimeField("recueilli le", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("précision", max_length=200, blank=True)
    withdrawn_at = models.DateTimeField("retiré le", null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = "consentement"

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} : {'oui' if self.given else 'non'}"

    def policy_household(self) -> Household:
        return self.person.household

    def audit_ref(self) -> str:
        return f"Consentement n° {self.pk} de la personne n° {self.person_id}"

    def audit_department(self) -> str:
        return self.person.household.department.code
