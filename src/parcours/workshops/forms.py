"""Forms of the workshops module, for the back office and the public pages (labels and errors in French)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.conf import settings

from parcours.core.forms import DateInput, StyledForm, StyledModelForm, TimeInput
from parcours.core.phones import is_mobile, normalize_french_phone
from parcours.workshops.models import (
    LANGUAGES,
    Facilitation,
    Format,
    Registration,
    SurveyResponse,
    Venue,
    WebinarServer,
    Workshop,
    WorkshopSeries,
)


def party_choices(workshop=None):
    top = settings.PARCOURS_WORKSHOP_MAX_PARTY
    if workshop is not None:
        top = min(top, workshop.capacity)
    return [(n, f"{n} personne{'s' if n > 1 else ''}") for n in range(1, top + 1)]


class HoneypotField(forms.CharField):
    """A field people never see nor reach with the keyboard; robots fill it in."""

    def __init__(self, **kwargs):
        super().__init__(
            template_name="workshops/forms/honeypot.html",
            required=False,
            label="Ne remplissez pas ce champ",
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
            **kwargs,
        )


class RegistrantForm(StyledForm):
    """First name, one contact channel, number of people, accessibility needs: nothing else."""

    first_name = forms.CharField(
        label="Votre prénom", max_length=80, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    contact_kind = forms.ChoiceField(
        label="Comment recevoir la confirmation et les rappels ?",
        choices=Registration.Channel.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=Registration.Channel.EMAIL,
    )
    email = forms.EmailField(
        label="Adresse e-mail",
        required=False,
        help_text="Si vous avez choisi l'e-mail. Utilisez une adresse que vous êtes seul(e) à consulter.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Numéro de téléphone mobile",
        required=False,
        max_length=20,
        help_text="Si vous avez choisi le SMS, par exemple 06 12 34 56 78 ou 0692 12 34 56.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    party_size = forms.TypedChoiceField(label="Nombre de personnes", coerce=int, choices=party_choices())
    accessibility_needs = forms.CharField(
        label="Besoins d'accessibilité (facultatif)",
        required=False,
        max_length=500,
        help_text="Par exemple : fauteuil roulant, interprète en langue des signes, sous-titrage.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, workshop=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_size"].choices = party_choices(workshop)

    def clean(self):
        data = super().clean()
        kind = data.get("contact_kind")
        if kind == Registration.Channel.EMAIL:
            if not data.get("email"):
                self.add_error("email", "Saisissez votre adresse e-mail, ou choisissez le SMS.")
            data["contact_value"] = (data.get("email") or "").strip().lower()
        elif kind == Registration.Channel.SMS:
            phone = normalize_french_phone(data.get("phone") or "")
            if phone is None:
                self.add_error(
                    "phone", "Saisissez un numéro de mobile français valide, ou choisissez l'e-mail."
                )
            elif not is_mobile(phone):
                self.add_error("phone", "Ce numéro n'est pas un mobile : il ne peut pas recevoir de SMS.")
            data["contact_value"] = phone or ""
        return data


class PublicRegistrationForm(RegistrantForm):
    # Optional: nobody has to give more to register. Given, they help the Caf recognise a parent
    # it already follows (`services.register`).
    last_name = forms.CharField(
        label="Votre nom (facultatif)", max_length=80, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )  # fmt: skip
    birth_date = forms.DateField(
        label="Votre date de naissance (facultatif)", required=False, widget=DateInput(),
        help_text="Avec votre nom, elle permet à la Caf de rattacher votre inscription à votre dossier.",
    )  # fmt: skip
    site_web = HoneypotField()

    field_order = ["first_name", "last_name", "birth_date"]


class ManageRegistrationForm(StyledForm):
    party_size = forms.TypedChoiceField(label="Nombre de personnes", coerce=int, choices=party_choices())
    accessibility_needs = RegistrantForm.base_fields["accessibility_needs"]

    def __init__(self, *args, workshop=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_size"].choices = party_choices(workshop)


class WorkshopChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, workshop):
        start = workshop.local_start()
        from django.utils import formats

        day = formats.date_format(start, "l j F Y à H\\hi")
        seats = "complet, liste d'attente" if workshop.seats_left == 0 else f"{workshop.seats_left} place(s)"
        return f"{day} — {workshop.get_format_display()} — {workshop.place_label()} ({seats})"


class MoveForm(StyledForm):
    workshop = WorkshopChoiceField(
        label="Nouvelle séance", queryset=Workshop.objects.none(), empty_label=None
    )

    def __init__(self, *args, workshops=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = workshops if workshops is not None else Workshop.objects.none()


class InvitationAnswerForm(StyledForm):
    workshop = WorkshopChoiceField(
        label="Choisissez une séance",
        queryset=Workshop.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    party_size = forms.TypedChoiceField(label="Nombre de personnes", coerce=int, choices=party_choices())
    accessibility_needs = RegistrantForm.base_fields["accessibility_needs"]

    def __init__(self, *args, workshops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workshop"].queryset = (
            Workshop.objects.filter(pk__in=[w.pk for w in workshops])
            .select_related("department", "venue")
            .order_by("starts_at")
        )


class PersonRegistrationForm(InvitationAnswerForm):
    workshop = WorkshopChoiceField(label="Séance", queryset=Workshop.objects.none(), empty_label=None)


SCALE_LABELS = {1: "1 (pas du tout)", 2: "2", 3: "3", 4: "4", 5: "5 (tout à fait)"}


class SurveyForm(StyledForm):
    useful = forms.TypedChoiceField(label="Les informations données vous ont-elles été utiles ?", coerce=int)
    answers = forms.TypedChoiceField(label="Les intervenants ont-ils répondu à vos questions ?", coerce=int)
    format_suited = forms.TypedChoiceField(
        label="Le format de la séance (en salle ou en ligne) vous a-t-il convenu ?", coerce=int
    )
    better_informed = forms.TypedChoiceField(
        label="Vous sentez-vous mieux informé(e) sur vos démarches et vos droits ?", coerce=int
    )
    recommend = forms.TypedChoiceField(
        label="Recommanderiez-vous cette séance à un autre parent ?", coerce=int
    )
    comment = forms.CharField(
        label="Un commentaire, une suggestion ? (facultatif)",
        required=False,
        max_length=2000,
        help_text="N'écrivez ni votre nom ni rien qui permette de vous reconnaître.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SurveyResponse.QUESTIONS:
            self.fields[name].choices = list(SCALE_LABELS.items())
            self.fields[name].widget = forms.RadioSelect(attrs={"class": "form-check-input"})
            self.fields[name].widget.choices = self.fields[name].choices
            self.fields[name].help_text = "De 1 (pas du tout) à 5 (tout à fait)."


# --- staff ------------------------------------------------------------------------------------------


class WorkshopForm(StyledModelForm):
    day = forms.DateField(label="Date", widget=DateInput())
    start = forms.TimeField(label="Heure de début (heure locale du département)", widget=TimeInput())
    deadline_day = forms.DateField(
        label="Clôture des inscriptions (date)",
        required=False,
        widget=DateInput(),
        help_text="Par défaut, la veille de la séance.",
    )
    languages = forms.MultipleChoiceField(
        label="Langues",
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        initial=["fr"],
    )
    publish = forms.BooleanField(label="Publier tout de suite sur la page publique", required=False)
    # Set once the staff member has seen the public-holiday warning and keeps the date.
    holiday_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    room_url = forms.URLField(
        label="Lien de la salle en ligne",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Pour un webinaire dont la salle n'est pas créée par Parcours (BigBlueButton) : "
        "le lien n'est donné qu'aux personnes inscrites.",
    )

    class Meta:
        model = Workshop
        fields = [
            "title",
            "format",
            "venue",
            "duration_minutes",
            "capacity",
            "languages",
            "public_notes",
            "room_url",
        ]
        help_texts = {
            "public_notes": "Affiché sur la page publique de la séance (accès, documents utiles…).",
        }

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        self.department = department
        self.fields["venue"].queryset = Venue.objects.filter(department=department, is_active=True)
        self.fields["venue"].required = False
        if self.instance.pk:
            del self.fields["publish"]
            start = self.instance.local_start()
            self.initial.update(
                day=start.date(), start=start.time(), deadline_day=self.instance.local_deadline().date()
            )

    def clean(self):
        data = super().clean()
        tz = self.department.tzinfo
        if data.get("day") and data.get("start"):
            data["starts_at"] = datetime.combine(data["day"], data["start"], tzinfo=tz)
            # None: the service applies the domain's default (the eve, `Workshop.closing_time`).
            deadline_day = data.get("deadline_day")
            data["registration_deadline"] = (
                Workshop.closing_time(data["starts_at"], tz, deadline_day) if deadline_day else None
            )
        return data


class CancelWorkshopForm(StyledForm):
    reason = forms.CharField(
        label="Motif de l'annulation",
        max_length=300,
        help_text="Il figure dans le message envoyé aux personnes inscrites.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FacilitatorsForm(StyledForm):
    def __init__(self, *args, candidates, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(u.pk): u for u in candidates}
        for user in candidates:
            self.fields[f"role_{user.pk}"] = forms.ChoiceField(
                label=f"{user.get_full_name()} — {user.organisation.name}",
                required=False,
                choices=[("", "N'anime pas cette séance"), *Facilitation.Role.choices],
                initial=current.get(user.pk, ""),
            )

    def chosen(self):
        return [
            (self.candidates[name.removeprefix("role_")], value)
            for name, value in self.cleaned_data.items()
            if name.startswith("role_") and value
        ]


class AttendanceForm(StyledForm):
    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.registrations = registrations
        choices = [c for c in Registration.Attendance.choices if c[0]]
        for registration in registrations:
            self.fields[f"attendance_{registration.pk}"] = forms.ChoiceField(
                label=f"{registration.first_name} ({registration.party_size} pers.)",
                choices=choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial=registration.attendance or None,
            )

    def marks(self) -> dict[int, str]:
        return {
            int(name.removeprefix("attendance_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("attendance_") and value
        }


class SeriesForm(StyledModelForm):
    languages = forms.MultipleChoiceField(
        label="Langues",
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        initial=["fr"],
    )
    publish = forms.BooleanField(label="Publier les séances tout de suite", required=False)
    # Set once the staff member has seen the public-holiday warning and keeps the date.
    holiday_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = WorkshopSeries
        fields = [
            "title", "format", "venue", "frequency", "interval", "weekday", "week_of_month", "start_time",
            "duration_minutes", "capacity", "languages", "first_date", "last_date",
        ]  # fmt: skip
        widgets = {"start_time": TimeInput(), "first_date": DateInput(), "last_date": DateInput()}
        help_texts = {
            "interval": "1 = chaque semaine ou chaque mois, 2 = une semaine (ou un mois) sur deux…",
            "week_of_month": "Pour un rythme mensuel : par exemple le premier mardi du mois.",
        }

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        self.department = department
        self.fields["venue"].queryset = Venue.objects.filter(department=department, is_active=True)
        self.fields["venue"].required = False


class VenueForm(StyledModelForm):
    class Meta:
        model = Venue
        fields = [
            "name",
            "line",
            "postal_code",
            "city",
            "step_free",
            "hearing_loop",
            "access_notes",
            "is_active",
        ]

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        if not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError("Le code postal compte 5 chiffres.")
        return value


class WebinarServerForm(StyledModelForm):
    api_url = forms.URLField(
        label="Adresse de l'API",
        assume_scheme="https",
        help_text="Par exemple https://visio.caf-exemple.fr/bigbluebutton/api/",
    )
    secret = forms.CharField(
        label="Secret partagé",
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Donné par « bbb-conf --secret » sur le serveur. Laissez vide pour garder le secret actuel.",
    )

    class Meta:
        model = WebinarServer
        fields = ["api_url", "algorithm", "enabled"]


class ComparisonForm(StyledForm):
    department = forms.ModelChoiceField(label="Département", queryset=None, empty_label=None)
    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "La fin de la période doit suivre son début.")
        return data


class CancelForm(StyledForm):
    reason = forms.CharField(label="Motif (facultatif)", required=False, max_length=300)


__all__ = ["Format"]
