"""The protected track: violence reports, the safety checklist, partners and referrals, and the
emergency aid (aide universelle d'urgence, AUU — law 2023-140, CASF L.214-8 and D.214-11 ff.).

Everything here is violence data: it belongs to a household that a report restricts to its assigned
staff, and its free texts never reach an audit entry, a message or the other parent.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from parcours.core.models import Department
from parcours.households.models import Consent, Household, InHousehold, Person
from parcours.protection import choices, rules


class ViolenceReport(InHousehold, models.Model):
    """Violence reported for a person of the household: opens (or feeds) her protected track."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Source(models.TextChoices):
        PERSON = "person", "Déclarées par la personne elle-même"
        PARTNER = "partner", "Signalées par un partenaire (association, service social, santé…)"
        POLICE = "police", "Signalées par la police, la gendarmerie ou la justice"
        # A declaration of separation that says violence is reported, by the door it came through:
        # the declarant is the presumed person at risk, to confirm or correct at the 72 h contact.
        DECLARATION = "declaration", "Déclaration de séparation saisie par un agent"
        IMPORT = "import", "Déclaration de séparation importée (fichier)"
        API = "api", "Déclaration de séparation reçue par l'API"

    # The sources where the software, not a person, named the person at risk.
    PRESUMED_SOURCES = (Source.DECLARATION, Source.IMPORT, Source.API)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="violence_reports")
    person = models.ForeignKey(
        Person, verbose_name="personne exposée", on_delete=models.CASCADE, related_name="violence_reports"
    )
    source = models.CharField("origine du signalement", max_length=16, choices=Source.choices)
    note = models.TextField("éléments utiles", blank=True)
    reported_at = models.DateTimeField("signalé le", default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the pathway switch did (None: no pathway in progress, or the pathways module is absent).
    pathway_switched = models.BooleanField("parcours basculé", null=True)
    # A report from a declaration presumes the declarant is at risk: a social worker confirms (or
    # corrects) the person at the 72 h contact. Reports recorded by an agent are confirmed at once.
    confirmed_at = models.DateTimeField("personne exposée confirmée le", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = "signalement de violences"
        verbose_name_plural = "signalements de violences"

    def __str__(self) -> str:
        return f"Signalement n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Signalement n° {self.pk} du dossier {self.household.reference}"

    @staticmethod
    def audit_ref_for(pk: int, household_reference: str) -> str:
        """`audit_ref` without the instance (bulk writes)."""
        return f"Signalement n° {pk} du dossier {household_reference}"

    @property
    def to_confirm(self) -> bool:
        return self.confirmed_at is None


class CrossClaim(InHousehold, models.Model):
    """« Signalement croisé »: a request or report for a person who is the other parent of a recorded
    victim. Counter-accusations are a known pattern of abusers, but men are victims too: the software
    neither refuses nor automates. Nothing is recorded for the claimant (no report, no checklist, no
    protection) until a person decides, with a reason; the first victim's protection is never
    touched. The other parent never learns of the flag (it is no output of his)."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Kind(models.TextChoices):
        AID_REQUEST = "aid_request", "Demande d'aide universelle d'urgence"
        VIOLENCE_REPORT = "violence_report", "Signalement de violences"
        ADDRESS_PROTECTION = "address_protection", "Demande d'adresse protégée"

    class Decision(models.TextChoices):
        PENDING = "pending", "À décider"
        CONFIRMED = "confirmed", "Retenu : la personne est aussi suivie comme personne exposée"
        DISMISSED = "dismissed", "Non retenu"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="cross_claims")
    person = models.ForeignKey(
        Person, verbose_name="personne concernée", on_delete=models.CASCADE, related_name="cross_claims"
    )
    kind = models.CharField("objet", max_length=20, choices=Kind.choices)
    source = models.CharField("origine déclarée", max_length=16, blank=True)
    aid = models.ForeignKey(
        "EmergencyAid", null=True, blank=True, on_delete=models.CASCADE, related_name="cross_claims"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField("décision", max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField("motif de la décision", blank=True)
    # A held protected-address request: the real and elected addresses asked for, and the request's
    # reason, encrypted until the decision (applied if confirmed), then erased either way.
    request_ciphertext = models.BinaryField(null=True, blank=True, editable=False)
    ENCRYPTED_FIELDS = ("request_ciphertext",)  # re-encrypted by `parcours rotate-keys`

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "signalement croisé"
        verbose_name_plural = "signalements croisés"

    def __str__(self) -> str:
        return f"Signalement croisé n° {self.pk}"

    def audit_ref(self) -> str:
        return f"Signalement croisé n° {self.pk} du dossier {self.household.reference}"

    @property
    def is_pending(self) -> bool:
        return self.decision == self.Decision.PENDING


class SafetyStep(models.Model):
    """One line of the safety checklist of a person on the protected track."""

    POLICY_HOUSEHOLD_PATH = "person__household"

    class Kind(models.TextChoices):
        SAFE_CONTACT = "safe_contact", "Canaux et horaires de contact sûrs confirmés avec la personne"
        PROTECTED_ADDRESS = "protected_address", "Adresse protégée et adresse élue"
        BANK_DETAILS = "bank_details", "Nouvelles coordonnées bancaires demandées"
        ONLINE_ACCOUNT = (
            "online_account",
            "Compte en ligne partagé sécurisé (accès de l'autre parent révoqué dans le système de prestations)",
        )
        REFERRALS = "referrals", "Orientation vers les partenaires"

    class Status(models.TextChoices):
        TODO = "todo", "À faire"
        DONE = "done", "Fait"
        NOT_APPLICABLE = "not_applicable", "Sans objet"

    ORDER = {kind: index for index, kind in enumerate(Kind.values)}

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="safety_steps")
    kind = models.CharField("étape", max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField("état", max_length=16, choices=Status.choices, default=Status.TODO)
    done_on = models.DateField("fait le", null=True, blank=True)
    note = models.CharField("précision", max_length=300, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["person_id", "position"]
        verbose_name = "étape de mise en sécurité"
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="unique_safety_step")]

    def __str__(self) -> str:
        return f"Étape de mise en sécurité n° {self.pk}"

    def policy_household(self) -> Household:
        return self.person.household

    def audit_ref(self) -> str:
        return f"Étape « {self.kind} » de la personne n° {self.person_id} du dossier {self.person.household.reference}"

    def audit_department(self) -> str:
        return self.person.household.department.code

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.TODO


class Partner(models.Model):
    """A partner of the Caf for victims (CIDFF, France Victimes, 3919, shelters, lawyers): per department."""

    class Kind(models.TextChoices):
        CIDFF = "cidff", "CIDFF (droits des femmes et des familles)"
        FRANCE_VICTIMES = "france_victimes", "Association d'aide aux victimes (France Victimes)"
        HELPLINE = "helpline", "Ligne d'écoute (3919…)"
        SHELTER = "shelter", "Hébergement, mise à l'abri"
        LAWYER = "lawyer", "Avocat"
        OTHER = "other", "Autre partenaire"

    department = models.ForeignKey(
        Department, verbose_name="département", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("nom", max_length=160)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    phone = models.CharField("téléphone", max_length=40, blank=True)
    email = models.EmailField("e-mail", blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    hours = models.CharField("horaires", max_length=200, blank=True)
    note = models.CharField("précisions (public accueilli, modalités)", max_length=300, blank=True)
    # The partner's own accounts (role « partenaire »): they receive, in their inbox, the referrals
    # whose details the person agreed to pass on.
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name="organisation (comptes du partenaire)",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_entries",
    )
    accepts_referrals = models.BooleanField(
        "reçoit les coordonnées transmises par la Caf",
        default=True,
        help_text="Décochez pour une ligne d'écoute anonyme : la personne l'appelle elle-même.",
    )
    is_active = models.BooleanField("actif", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department__code", "kind", "name"]
        verbose_name = "partenaire"
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="unique_partner_name_per_department")
        ]

    def __str__(self) -> str:
        return self.name

    def policy_department(self) -> str:
        return self.department.code

    def audit_ref(self) -> str:
        return f"Partenaire n° {self.pk} ({self.name})"

    def audit_department(self) -> str:
        return self.department.code


class Referral(models.Model):
    """A person oriented to a partner, with her consent when her details are passed on."""

    POLICY_HOUSEHOLD_PATH = "person__household"

    class Mode(models.TextChoices):
        TRANSMISSION = "transmission", "La Caf transmet les coordonnées de la personne au partenaire"
        INFORMATION = (
            "information",
            "La personne reçoit les coordonnées du partenaire et le contacte elle-même",
        )

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposée"
        CONTACTED = "contacted", "Contact établi"
        IN_PROGRESS = "in_progress", "Accompagnement en cours"
        COMPLETED = "completed", "Terminée"
        DECLINED = "declined", "Sans suite"

    OPEN_STATUSES = (Status.PROPOSED, Status.CONTACTED, Status.IN_PROGRESS)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(
        Partner, verbose_name="partenaire", on_delete=models.PROTECT, related_name="referrals"
    )
    mode = models.CharField("modalité", max_length=16, choices=Mode.choices)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="accord"
    )
    need = models.CharField("besoin", max_length=300)
    status = models.CharField("suivi", max_length=16, choices=Status.choices, default=Status.PROPOSED)
    status_note = models.CharField("précision sur le suivi", max_length=300, blank=True)
    follow_up_on = models.DateField("à relancer le", null=True, blank=True)
    referred_at = models.DateTimeField("orientée le", default=timezone.now)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField("suivi mis à jour le", null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = "orientation"

    def __str__(self) -> str:
        return f"Orientation n° {self.pk}"

    def policy_household(self) -> Household:
        return self.person.household

    def audit_ref(self) -> str:
        return f"Orientation n° {self.pk} de la personne n° {self.person_id} du dossier {self.person.household.reference}"

    def audit_department(self) -> str:
        return self.person.household.department.code

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ResourceCeiling(models.Model):
    """Monthly-resource ceiling under which the AUU is a grant (above: an interest-free loan).

    Dated data, not code: a new scale is a new set of rows with its `valid_from`; a request uses the
    scale in force on the day it was received.
    """

    MAX_CHILDREN = choices.CEILING_MAX_CHILDREN

    valid_from = models.DateField("en vigueur à partir du")
    children = models.PositiveSmallIntegerField("enfants à charge (3 = 3 ou plus)")
    monthly_amount = models.DecimalField(
        "plafond mensuel (€)",
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    source = models.CharField("texte de référence", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_from", "children"]
        verbose_name = "plafond de ressources de l'AUU"
        constraints = [
            models.UniqueConstraint(fields=["valid_from", "children"], name="unique_ceiling_per_date"),
            models.CheckConstraint(condition=models.Q(children__lte=3), name="ceiling_children_0_to_3"),
        ]

    def __str__(self) -> str:
        return f"Plafond du {self.valid_from:%d/%m/%Y}, {self.children_label} : {self.monthly_amount} €"

    @classmethod
    def in_force(cls, on, children_count: int) -> ResourceCeiling | None:
        """The row in force on `on` for that number of children, or None when no scale applies yet."""
        return (
            cls.objects.filter(valid_from__lte=on, children=rules.ceiling_line(children_count))
            .order_by("-valid_from")
            .first()
        )

    @property
    def children_label(self) -> str:
        return {0: "personne seule", 1: "1 enfant", 2: "2 enfants"}.get(self.children, "3 enfants ou plus")


class EmergencyAid(InHousehold, models.Model):
    """One request for the aide universelle d'urgence, from receipt to payment (or refusal)."""

    POLICY_HOUSEHOLD_PATH = "household"

    class Status(models.TextChoices):
        RECEIVED = "received", "Reçue, à décider"
        GRANTED = "granted", "Accordée, à payer"
        PAID = "paid", "Payée"
        REFUSED = "refused", "Refusée"

    OPEN_STATUSES = (Status.RECEIVED, Status.GRANTED)

    ProofKind = choices.ProofKind
    ACCEPTED_PROOFS = choices.ACCEPTED_PROOFS
    Form = choices.AidForm

    class Proceedings(models.TextChoices):
        NONE = "none", "Aucune procédure pénale"
        PENDING = "pending", "Procédure pénale en cours"
        CONVICTION = "conviction", "Auteur condamné (ou composition pénale, classement sous condition)"
        ENDED = "ended", "Procédure terminée sans condamnation"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="emergency_aids")
    person = models.ForeignKey(
        Person, verbose_name="demandeur", on_delete=models.CASCADE, related_name="emergency_aids"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="gestionnaire-conseil chargé du dossier",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_allocataire = models.BooleanField("allocataire")
    received_on = models.DateField("demande reçue le")
    due_on = models.DateField("à payer au plus tard le")
    proof_kind = models.CharField("justificatif", max_length=20, choices=ProofKind.choices)
    proof_date = models.DateField("date du justificatif")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.RECEIVED)

    # decision
    monthly_resources = models.DecimalField(
        "ressources mensuelles (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    children_count = models.PositiveSmallIntegerField("enfants à charge", null=True, blank=True)
    ceiling = models.ForeignKey(
        ResourceCeiling, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    form = models.CharField("forme de l'aide", max_length=5, choices=Form.choices, blank=True)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decided_on = models.DateField("date de la décision d'attribution", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField("motif du refus", blank=True)

    # payment
    paid_on = models.DateField("payée le", null=True, blank=True)
    payment_reference = models.CharField("référence du paiement", max_length=60, blank=True)

    # a loan: never claimed from the victim while proceedings are pending (CASF L.214-12)
    proceedings = models.CharField(
        "procédure pénale", max_length=10, choices=Proceedings.choices, default=Proceedings.NONE
    )
    proceedings_updated_on = models.DateField("procédure mise à jour le", null=True, blank=True)
    perpetrator_recovery_on = models.DateField(
        "recouvrement auprès de l'auteur demandé le", null=True, blank=True
    )
    perpetrator_recovery_amount = models.DecimalField(
        "montant à recouvrer auprès de l'auteur (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    repayment_claimed_on = models.DateField("remboursement demandé au bénéficiaire le", null=True, blank=True)

    # Eligibility problems seen at intake (main courante, proof too old, aid in the last 12 months):
    # warnings for the benefits officer, who alone decides — never a refusal by the software.
    intake_warnings = models.JSONField(
        "points d'attention relevés à l'enregistrement", default=list, blank=True
    )
    # Each correction of a decision starts a new revision: its messages are new ones (the person is
    # informed again), never the first decision's message sent twice or silently replaced.
    revision = models.PositiveSmallIntegerField("révision de la décision", default=0)
    corrected_at = models.DateTimeField("décision corrigée le", null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "aide universelle d'urgence"
        verbose_name_plural = "aides universelles d'urgence"
        indexes = [models.Index(fields=["status", "due_on"], name="aid_status_due_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"AUU-{self.household.department.code}-{self.pk:05d}" if self.pk else "AUU (nouvelle)"

    def audit_ref(self) -> str:
        return f"Aide d'urgence {self.reference} du dossier {self.household.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_loan(self) -> bool:
        return self.form == self.Form.LOAN

    @property
    def deadline_days(self) -> int:
        return rules.payment_deadline_days(self.is_allocataire)

    # --- the state machine: the one place that says which actions a file allows -----------------
    # Services refuse what is not allowed (`require_action`); pages show only the allowed buttons.

    class Action(models.TextChoices):
        DECIDE = "decide", "Décider"
        REFUSE = "refuse", "Refuser"
        PAY = "pay", "Enregistrer le paiement"
        PROCEEDINGS = "proceedings", "Procédure pénale"
        REPAYMENT = "repayment", "Demander le remboursement"
        ADD_PROOF = "add_proof", "Ajouter un justificatif"
        CORRECT = "correct", "Corriger la décision"

    def why_not(self, action: str, today=None) -> str | None:
        """Why `action` is not possible on this file now (None: it is)."""
        from parcours.protection import rules

        status, A, S = self.status, self.Action, self.Status
        if action == A.DECIDE:
            if status != S.RECEIVED:
                return f"la demande est déjà « {self.get_status_display().lower()} »"
            if self.pk and self.cross_claims.filter(decision=CrossClaim.Decision.PENDING).exists():
                return "signalement croisé en attente de la décision du travailleur social"
            return None
        if action == A.REFUSE:
            return (
                None
                if status in self.OPEN_STATUSES
                else f"la demande est « {self.get_status_display().lower()} »"
            )
        if action == A.PAY:
            return None if status == S.GRANTED else "seule une aide accordée peut être payée"
        if action == A.PROCEEDINGS:
            if self.is_loan and status in (S.GRANTED, S.PAID):
                return None
            return "le suivi de la procédure ne concerne qu'une aide accordée sous forme de prêt"
        if action == A.REPAYMENT:
            if not self.is_loan or status != S.PAID:
                return "seul un prêt déjà versé peut faire l'objet d'une demande de remboursement"
            return "le remboursement a déjà été demandé" if self.repayment_claimed_on else None
        if action == A.ADD_PROOF:
            return (
                "la demande a été refusée : enregistrez une nouvelle demande" if status == S.REFUSED else None
            )
        if action == A.CORRECT:
            if status not in (S.GRANTED, S.REFUSED):
                return "seule une décision d'attribution non encore payée, ou un refus, se corrige"
            decided = self.decided_on or (self.decided_at.date() if self.decided_at else None)
            if decided is None:
                return "aucune décision à corriger"
            if today is None:
                from parcours.core import calendar

                today = calendar.local_date(self.household.department)
            if today > rules.correction_deadline(decided):
                return (
                    f"le délai de recours de {rules.CORRECTION_MONTHS} mois est écoulé depuis le "
                    f"{rules.french_date(decided)}"
                )
            return None
        raise ValueError(f"action inconnue : {action}")

    def allowed_actions(self, today=None) -> frozenset[str]:
        return frozenset(a for a in self.Action.values if self.why_not(a, today) is None)


def proof_upload_path(instance: ProofDocument, filename: str) -> str:
    # A random name: the person's file name may say who she is or what happened.
    extension = filename.rsplit(".", 1)[-1].lower()
    department = instance.aid.household.department.code
    return f"protection/justificatifs/{department}/{uuid.uuid4().hex}.{extension}"


class ProofDocument(models.Model):
    """The proof attached to an aid request: checked, stripped of its metadata, stored outside the web root."""

    POLICY_HOUSEHOLD_PATH = "aid__household"

    aid = models.ForeignKey(EmergencyAid, on_delete=models.CASCADE, related_name="proofs")
    file = models.FileField(upload_to=proof_upload_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "justificatif"

    def __str__(self) -> str:
        return f"Justificatif n° {self.pk}"

    def policy_household(self) -> Household:
        return self.aid.household

    def audit_ref(self) -> str:
        return f"Justificatif n° {self.pk} de l'aide {self.aid.reference}"

    def audit_department(self) -> str:
        return self.aid.household.department.code

    @property
    def extension(self) -> str:
        return self.file.name.rsplit(".", 1)[-1].lower()

    @property
    def label(self) -> str:
        return {"application/pdf": "PDF", "image/jpeg": "image JPEG", "image/png": "image PNG"}.get(
            self.content_type, self.content_type
        )
