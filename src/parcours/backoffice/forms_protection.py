"""Forms of the protected track, referrals and the AUU (staff pages). They only collect input:
the services decide."""

from __future__ import annotations

from django import forms

from parcours.core.forms import DateInput, StyledForm, StyledModelForm
from parcours.protection.models import EmergencyAid, Partner, Referral, SafetyStep, ViolenceReport
from parcours.protection.services.referrals import PARTNER_FIELDS


class EuroField(forms.DecimalField):
    """An amount as staff type it: "2 074,63", "2074.63" or "2074,63 €"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            for char in (" ", "\u00a0", "\u202f", "€"):
                value = value.replace(char, "")
            value = value.replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        return str(value).replace(".", ",") if value not in (None, "") else value


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


class ViolenceReportForm(StyledForm):
    person = PersonChoiceField(
        label="Personne exposée aux violences",
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    source = forms.ChoiceField(
        label="Comment les violences sont-elles connues ?",
        choices=ViolenceReport.Source.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Éléments utiles au suivi (facultatif)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Seulement ce qui sert à protéger la personne (urgence, enfants exposés, contraintes de contact). "
            "Pas d'appréciation. Ce texte n'apparaît que pour les agents affectés au dossier."
        ),
    )

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = parents
        declarant = next((p for p in parents if p.is_declarant), None)
        if declarant is not None:
            self.fields["person"].initial = declarant.pk


class SafetyStepForm(StyledForm):
    status = forms.ChoiceField(label="État", choices=SafetyStep.Status.choices, widget=forms.RadioSelect)
    done_on = forms.DateField(label="Fait le", required=False, widget=DateInput())
    note = forms.CharField(
        label="Précision",
        required=False,
        max_length=300,
        help_text="Obligatoire si l'étape est sans objet (par exemple : pas de compte en ligne partagé).",
    )

    def __init__(self, *args, step: SafetyStep, **kwargs):
        super().__init__(*args, **kwargs)
        if step.kind == SafetyStep.Kind.ONLINE_ACCOUNT:
            self.fields["done_on"].label = "Accès de l'autre parent révoqué le"
            self.fields[
                "done_on"
            ].help_text = "Date à laquelle l'accès a été révoqué dans le système de prestations."
        elif step.kind == SafetyStep.Kind.BANK_DETAILS:
            self.fields["done_on"].label = "Nouvelles coordonnées bancaires demandées le"


class ReferralForm(StyledForm):
    person = PersonChoiceField(label="Personne orientée", queryset=None, empty_label=None)
    partner = forms.ModelChoiceField(label="Partenaire", queryset=None, empty_label="— Choisir —")
    mode = forms.ChoiceField(label="Modalité", choices=Referral.Mode.choices, widget=forms.RadioSelect)
    consent_given = forms.BooleanField(
        label="La personne a donné son accord pour que ses coordonnées soient transmises à ce partenaire",
        required=False,
        help_text="Indispensable pour une transmission ; l'accord est enregistré sur sa fiche (consentements).",
    )
    need = forms.CharField(
        label="Besoin de la personne",
        max_length=300,
        help_text="Par exemple : conseil juridique, mise à l'abri, accompagnement au dépôt de plainte.",
    )
    follow_up_on = forms.DateField(label="À relancer le (facultatif)", required=False, widget=DateInput())

    def __init__(self, *args, persons, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = persons
        self.fields["partner"].queryset = partners
        self.fields["mode"].initial = Referral.Mode.TRANSMISSION


class ReferralFollowUpForm(StyledForm):
    status = forms.ChoiceField(label="Suivi", choices=Referral.Status.choices)
    status_note = forms.CharField(
        label="Précision",
        required=False,
        max_length=300,
        help_text="Obligatoire pour une orientation sans suite.",
    )
    follow_up_on = forms.DateField(label="À relancer le (facultatif)", required=False, widget=DateInput())


class PartnerForm(StyledModelForm):
    class Meta:
        model = Partner
        fields = PARTNER_FIELDS

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        from parcours.core.models import Organisation

        qs = Organisation.objects.filter(kind=Organisation.Kind.PARTNER)
        if department is not None:
            qs = qs.filter(department=department)
        self.fields["organisation"].queryset = qs.order_by("name")
        self.fields["organisation"].empty_label = "Aucune (pas de comptes Parcours)"
        self.fields[
            "organisation"
        ].help_text = (
            "Ses comptes reçoivent les orientations que les personnes acceptent de lui voir transmises."
        )


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class AidRequestForm(StyledForm):
    person = PersonChoiceField(label="Demandeur (personne victime)", queryset=None, empty_label=None)
    received_on = forms.DateField(label="Demande reçue le", widget=DateInput())
    is_allocataire = forms.BooleanField(
        label="Le demandeur est allocataire",
        required=False,
        help_text="Délai de paiement : 3 jours ouvrés après la réception pour un allocataire, 5 sinon.",
    )
    proof_kind = forms.ChoiceField(label="Justificatif", choices=EmergencyAid.ProofKind.choices)
    proof_date = forms.DateField(
        label="Date du justificatif", widget=DateInput(), help_text="Il doit dater de moins de 12 mois."
    )
    proof_file = forms.FileField(
        label="Document justificatif (facultatif, peut être ajouté ensuite)",
        required=False,
        help_text="PDF, JPEG ou PNG. Les métadonnées (position GPS, auteur…) sont supprimées à l'enregistrement.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )
    officer = OfficerChoiceField(
        label="Gestionnaire-conseil chargé du dossier", queryset=None, empty_label=None
    )
    acknowledge_warnings = forms.BooleanField(
        label="Je transmets la demande au gestionnaire-conseil malgré ces points d'attention",
        required=False,
        help_text="Il décidera (attribution, prêt ou refus) ; ces points lui sont montrés.",
    )

    def __init__(self, *args, persons, officers, warnings=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not warnings:
            # Shown only once the request raised warnings: nothing to acknowledge before.
            self.fields["acknowledge_warnings"].widget = forms.HiddenInput()
        self.fields["person"].queryset = persons
        self.fields["officer"].queryset = officers
        self.fields[
            "officer"
        ].help_text = (
            "Il est affecté au dossier (restreint) pour l'instruire ; l'affectation est journalisée."
        )


class ProofUploadForm(StyledForm):
    proof_file = forms.FileField(
        label="Document justificatif",
        help_text="PDF, JPEG ou PNG. Les métadonnées (position GPS, auteur…) sont supprimées à l'enregistrement.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )


class AidDecisionForm(StyledForm):
    monthly_resources = EuroField(
        label="Ressources mensuelles du demandeur (€)",
        help_text="Selon le système de prestations. Jusqu'au plafond inclus : aide non remboursable ; au-delà : prêt sans intérêt.",
    )
    children_count = forms.IntegerField(label="Enfants à charge", min_value=0, max_value=20)
    amount = EuroField(
        label="Montant de l'aide (€)",
        help_text="Montant calculé par le système de prestations.",
    )
    decided_on = forms.DateField(label="Date de la décision", widget=DateInput())


class AidRefusalForm(StyledForm):
    reason = forms.CharField(
        label="Motif du refus",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Il est journalisé. Le message envoyé à la personne ne le cite pas : elle est invitée à appeler la Caf.",
    )


class AidCorrectionForm(StyledForm):
    reason = forms.CharField(
        label="Motif de la correction",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Il est journalisé. La demande redevient « à décider » ; la nouvelle décision informe de nouveau la personne.",
    )


class AidPaymentForm(StyledForm):
    paid_on = forms.DateField(label="Paiement effectué le", widget=DateInput())
    reference = forms.CharField(label="Référence du paiement (facultatif)", required=False, max_length=60)


class ProceedingsForm(StyledForm):
    proceedings = forms.ChoiceField(
        label="Procédure pénale", choices=EmergencyAid.Proceedings.choices, widget=forms.RadioSelect
    )
    on = forms.DateField(label="Date de l'information ou de la décision", widget=DateInput())


class RepaymentForm(StyledForm):
    claimed_on = forms.DateField(label="Remboursement demandé le", widget=DateInput())


class CeilingScaleForm(StyledForm):
    valid_from = forms.DateField(label="En vigueur à partir du", widget=DateInput())
    amount_0 = EuroField(label="Personne seule (€ par mois)")
    amount_1 = EuroField(label="1 enfant (€ par mois)")
    amount_2 = EuroField(label="2 enfants (€ par mois)")
    amount_3 = EuroField(label="3 enfants ou plus (€ par mois)")
    source = forms.CharField(label="Texte de référence", max_length=200)
