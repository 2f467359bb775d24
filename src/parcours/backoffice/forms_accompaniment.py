"""Forms of the MAP pages (French labels; the services check the rules again)."""

from __future__ import annotations

from django import forms

from parcours.accompaniment.models import Handover, Incident, Measure
from parcours.core.forms import StyledForm, StyledModelForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class OrderForm(StyledModelForm):
    residential_parent = forms.ModelChoiceField(queryset=None, label="Parent chez qui l'enfant réside")
    visiting_parent = forms.ModelChoiceField(queryset=None, label="Parent bénéficiaire du droit de visite")
    children = forms.ModelMultipleChoiceField(
        queryset=None, label="Enfant(s) concerné(s)", widget=forms.CheckboxSelectMultiple
    )
    order_upload = forms.FileField(label="Ordonnance numérisée (PDF, JPEG ou PNG)", required=False)

    class Meta:
        model = Measure
        fields = [
            "court", "order_date", "case_number", "judge_kind", "context", "starts_on", "ends_on", "rhythm",
            "first_visit_on", "visit_days", "pickup_time", "return_time", "holidays", "extend_on_public_holiday",
            "meeting_place", "terms_note", "prison_name", "visit_kind", "visit_permit",
        ]  # fmt: skip
        widgets = {
            "order_date": DATE, "starts_on": DATE, "ends_on": DATE, "first_visit_on": DATE,
            "pickup_time": TIME, "return_time": TIME, "terms_note": forms.Textarea(attrs={"rows": 3}),
        }  # fmt: skip

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residential_parent"].queryset = household.parents()
        self.fields["visiting_parent"].queryset = household.parents()
        self.fields["children"].queryset = household.children()
        for name in ("residential_parent", "visiting_parent"):
            self.fields[name].label_from_instance = lambda p: p.full_name
        self.fields["children"].label_from_instance = lambda p: p.full_name


class ReferForm(StyledForm):
    map_organisation = forms.ModelChoiceField(queryset=None, label="Organisation MAP du département")

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["map_organisation"].queryset = organisations


class AnswerForm(StyledForm):
    accept = forms.TypedChoiceField(
        label="Réponse", choices=[("1", "Accepter la mesure"), ("0", "Refuser")], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(label="Motif du refus", required=False, max_length=300)


class PlaceForm(StyledForm):
    label = forms.CharField(label="Nom du lieu", max_length=120)
    address = forms.CharField(
        label="Adresse (chiffrée, visible des seuls accompagnants et coordinateurs)", max_length=250
    )
    is_home = forms.BooleanField(label="Domicile d'un parent", required=False)


class GenerateForm(StyledForm):
    residential_place = forms.ModelChoiceField(
        queryset=None, label="Lieu de prise en charge (parent chez qui l'enfant réside)"
    )
    visiting_place = forms.ModelChoiceField(queryset=None, label="Lieu de remise (parent visiteur)")
    from_day = forms.DateField(label="À partir du", required=False, widget=DATE)

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residential_place"].queryset = places
        self.fields["visiting_place"].queryset = places


class PrisonSlotsForm(StyledForm):
    residential_place = forms.ModelChoiceField(queryset=None, label="Lieu de prise en charge de l'enfant")
    prison_place = forms.ModelChoiceField(queryset=None, label="Établissement (lieu)")
    slots = forms.CharField(
        label="Créneaux accordés",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Un créneau par ligne : JJ/MM/AAAA;HH:MM;HH:MM;référence de réservation",
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residential_place"].queryset = places
        self.fields["prison_place"].queryset = places


class AssignForm(StyledForm):
    accompanist = forms.ModelChoiceField(queryset=None, label="Accompagnant", required=False)
    handovers = forms.ModelMultipleChoiceField(
        queryset=None, label="Remises", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, accompanists, handovers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accompanist"].queryset = accompanists
        self.fields["handovers"].queryset = handovers


class MoveForm(StyledForm):
    from_at = forms.DateTimeField(label="Prise en charge", widget=DATETIME)
    to_at = forms.DateTimeField(label="Remise", widget=DATETIME)
    series = forms.BooleanField(label="Déplacer aussi les remises suivantes de la série", required=False)
    reason = forms.CharField(label="Motif", max_length=200, required=False)


class OutcomeForm(StyledForm):
    outcome = forms.ChoiceField(
        label="Issue", choices=[c for c in Handover.Outcome.choices if c[0] != "planned"]
    )
    cancelled_by = forms.ChoiceField(
        label="Annulée par", choices=[("", "—"), *Handover.CancelledBy.choices], required=False
    )
    notice_hours = forms.IntegerField(label="Prévenu combien d'heures avant", min_value=0, required=False)
    absent_parent = forms.ChoiceField(label="Parent absent", required=False)
    incident_category = forms.ChoiceField(
        label="Incident", choices=[("", "Aucun"), *Incident.Category.choices], required=False
    )
    incident_parent = forms.ChoiceField(label="Parent concerné par l'incident", required=False)
    incident_narrative = forms.CharField(
        label="Récit de l'incident (chiffré ; lu par l'organisation et le référent seulement)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    child_words = forms.CharField(
        label="Paroles de l'enfant (consignées à part)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(str(p.pk), label) for p, label in parents]]
        self.fields["absent_parent"].choices = choices
        self.fields["incident_parent"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("incident_category") and not (data.get("incident_narrative") or "").strip():
            self.add_error("incident_narrative", "Décrivez l'incident.")
        return data


class ReportForm(StyledForm):
    period_start = forms.DateField(label="Du", widget=DATE)
    period_end = forms.DateField(label="Au", widget=DATE)
    observations = forms.CharField(
        label="Observations de l'organisation", widget=forms.Textarea(attrs={"rows": 5}), required=False
    )


class EndForm(StyledForm):
    reason = forms.ChoiceField(
        label="Motif", choices=[c for c in Measure.EndReason.choices if c[0] != "renewed"]
    )
    on = forms.DateField(label="Date de fin", widget=DATE)


class ConventionForm(StyledForm):
    map_organisation = forms.ModelChoiceField(queryset=None, label="Organisation")
    year = forms.IntegerField(label="Année", min_value=2020, max_value=2100)
    amount = forms.DecimalField(label="Montant (€)", min_value=0, max_digits=10, decimal_places=2)
    measures_planned = forms.IntegerField(label="Mesures prévues", min_value=0, required=False)
    reference = forms.CharField(label="Référence", max_length=60, required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["map_organisation"].queryset = organisations


class HolidaysForm(StyledForm):
    file = forms.FileField(
        label="Calendrier scolaire officiel (export CSV ou JSON de data.education.gouv.fr)"
    )
