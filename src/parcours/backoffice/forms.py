"""Staff forms. Labels and errors in French; widgets styled by core.forms."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms

from parcours.core import ratelimit
from parcours.core.auth import normalise_identifier
from parcours.core.forms import DateInput, StyledForm, StyledFormMixin, StyledModelForm, TimeInput
from parcours.core.models import Organisation, Site, User
from parcours.core.roles import Role
from parcours.households.models import Address, Consent, ContactChannel, Household, Person, ProtectedAddress


def clean_postal_code(value: str) -> str:
    value = (value or "").strip()
    if not (len(value) == 5 and value.isdigit()):
        raise forms.ValidationError("Le code postal compte 5 chiffres.")
    return value


class LoginForm(StyledForm):
    email = forms.EmailField(
        label="Adresse e-mail professionnelle",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_email(self):
        return normalise_identifier(self.cleaned_data["email"])


class OtpForm(StyledForm):
    otp_token = forms.RegexField(
        label="Code à 6 chiffres de votre application d'authentification",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Le code compte 6 chiffres."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "maxlength": 8}
        ),
    )

    def clean_otp_token(self):
        return self.cleaned_data["otp_token"].strip()


class ReauthForm(OtpForm):
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["password", "otp_token"]


class ParcoursPasswordResetForm(StyledFormMixin, auth_forms.PasswordResetForm):
    """The reset e-mail goes through the outbox (sent by the worker, never during the request), at most
    PARCOURS_PASSWORD_RESET_PER_ADDRESS_HOUR per address and _PER_SOURCE_HOUR per client address.
    Known, unknown and over-limit addresses get the same answer, and the request does the same work
    for each (two counts, one queued task; the worker looks the account up), so neither the page nor
    its timing tells them apart (bench/password_reset.py)."""

    def clean_email(self):
        return normalise_identifier(self.cleaned_data["email"])

    def save(self, request=None, **kwargs):
        from parcours.notifications.services import password_reset_requested

        email = self.cleaned_data["email"]
        per_source = ratelimit.hit(
            "password-reset-source",
            ratelimit.client_ip(request) if request is not None else "",
            limit=settings.PARCOURS_PASSWORD_RESET_PER_SOURCE_HOUR,
            period=3600,
        )
        per_address = ratelimit.hit(
            "password-reset-address",
            email,
            limit=settings.PARCOURS_PASSWORD_RESET_PER_ADDRESS_HOUR,
            period=3600,
        )
        if per_source and per_address:
            # The same single write for a known and an unknown address: the worker looks the account up.
            password_reset_requested.enqueue(email)


class ParcoursSetPasswordForm(StyledFormMixin, auth_forms.SetPasswordForm):
    pass


class ParcoursPasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    pass


class HouseholdSearchForm(StyledForm):
    q = forms.CharField(label="Numéro d'allocataire ou nom", max_length=80, required=False)


class HouseholdForm(StyledModelForm):
    class Meta:
        model = Household
        fields = ["file_number", "is_allocataire"]
        help_texts = {
            "file_number": "Le numéro du dossier dans le système d'information des prestations (7 chiffres en général)."
        }

    def clean_file_number(self):
        value = self.cleaned_data["file_number"].strip().upper()
        if not value.replace("-", "").isalnum():
            raise forms.ValidationError("Le numéro ne contient que des chiffres, des lettres et des tirets.")
        return value


class PersonForm(StyledModelForm):
    class Meta:
        model = Person
        fields = ["role", "first_name", "last_name", "birth_date", "is_declarant"]
        widgets = {"birth_date": DateInput()}


class AddressForm(StyledModelForm):
    class Meta:
        model = Address
        fields = ["line", "complement", "postal_code", "city"]

    def clean_postal_code(self):
        return clean_postal_code(self.cleaned_data["postal_code"])


class ProtectAddressForm(StyledModelForm):
    reason = forms.CharField(
        label="Motif de la protection", widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )

    class Meta:
        model = ProtectedAddress
        fields = ["elected_kind", "elected_name", "elected_line", "elected_postal_code", "elected_city"]
        labels = {
            "elected_line": "Adresse élue",
            "elected_postal_code": "Code postal",
            "elected_city": "Commune",
        }

    def clean_elected_postal_code(self):
        return clean_postal_code(self.cleaned_data["elected_postal_code"])


class LiftRestrictionForm(StyledForm):
    reason = forms.CharField(
        label="Motif de la levée de la restriction",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ce motif est conservé dans le journal d'accès avec votre nom et l'heure.",
    )


class LegalHoldForm(StyledForm):
    reason = forms.CharField(
        label="Motif",
        min_length=10,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="10 caractères au moins (procédure en cours, réclamation…). Conservé sur le dossier "
        "et dans le journal d'accès avec votre nom et l'heure.",
    )


class LimitationForm(StyledForm):
    reason = forms.CharField(
        label="Motif",
        min_length=10,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="10 caractères au moins (par exemple : demande reçue le …, exactitude des données "
        "contestée). Conservé sur la fiche et dans le journal d'accès avec votre nom et l'heure.",
    )
    confirm = forms.BooleanField(label="Je confirme.")

    def __init__(self, *args, limited: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = (
            "Je confirme la levée : les messages, les déclarations et les étapes de cette personne "
            "reprennent."
            if limited
            else "Je confirme la limitation : aucun message ne partira pour cette personne, aucune "
            "déclaration ne la modifiera et ses étapes seront en pause."
        )


class EraseForm(StyledForm):
    reason = forms.CharField(
        label="Motif de l'effacement",
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Par exemple : demande d'effacement reçue le … (référence du courrier). Conservé dans "
        "le journal d'accès avec votre nom et l'heure.",
    )
    confirm = forms.BooleanField(
        label="Je confirme l'effacement : noms, coordonnées, adresses, textes et justificatifs de ce "
        "dossier seront effacés définitivement.",
    )


class PersonEraseForm(EraseForm):
    """One member of the household (art. 17): the same reason, a confirmation that says what goes."""

    confirm = forms.BooleanField(
        label="Je confirme l'effacement : le nom, la date de naissance (l'année reste), les coordonnées, "
        "les adresses et les textes qui concernent cette personne seront effacés définitivement.",
    )


class RevealForm(StyledForm):
    reason = forms.CharField(
        label="Motif de la consultation",
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ce motif est conservé dans le journal d'accès avec votre nom et l'heure.",
        error_messages={
            "min_length": "Indiquez précisément pourquoi vous devez voir l'adresse (10 caractères au moins)."
        },
    )


class ContactForm(StyledModelForm):
    class Meta:
        model = ContactChannel
        fields = ["kind", "value", "is_safe", "safe_from", "safe_until", "note"]
        widgets = {"safe_from": TimeInput(), "safe_until": TimeInput()}

    # E-mail checked, numbers in E.164 form, safe hours in pairs: `ContactChannel.clean()`, run
    # by the form (`_post_clean`) and again by the service, so every door applies them.


class ConsentForm(StyledForm):
    purpose = forms.ChoiceField(label="Objet", choices=Consent.Purpose.choices)
    given = forms.TypedChoiceField(
        label="Réponse de la personne",
        choices=[("1", "Consent"), ("0", "Refuse")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Précision", max_length=200, required=False)


class AssignForm(StyledForm):
    user = forms.ModelChoiceField(label="Agent à affecter", queryset=User.objects.none())

    def __init__(self, *args, staff_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if staff_queryset is not None:
            self.fields["user"].queryset = staff_queryset
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.get_full_name()} — {', '.join(u.role_labels())}"
        )


class UserForm(StyledModelForm):
    roles = forms.MultipleChoiceField(
        label="Rôles", choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "organisation", "site"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True).select_related(
            "department"
        )
        self.fields["organisation"].empty_label = "Choisissez une organisation"
        self.fields["site"].queryset = Site.objects.select_related("organisation").order_by(
            "organisation__name", "name"
        )
        self.fields["site"].label_from_instance = lambda site: f"{site.organisation.name} — {site.name}"
        self.fields["site"].empty_label = "Aucun site (toute l'organisation)"
        self.fields[
            "site"
        ].help_text = "Les listes de travail de l'agent montrent d'abord les tâches de son site."
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.roles)
