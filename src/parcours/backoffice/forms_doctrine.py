"""Forms of the doctrine pages: the practice sheet (five dimensions) and its rows, transitions, themes,
attachments, the document's chapters, the import."""

from __future__ import annotations

import re

from django import forms

from parcours.core.forms import StyledForm, StyledModelForm
from parcours.doctrine.models import Funding, Practice, Theme
from parcours.pathways.models import StepKind, TemplateStep


class FrenchDecimalField(forms.DecimalField):
    """A decimal as people type it: "12 000", "0,5", "8 500 €" (any kind of space as thousands)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f€]", "", value).replace(",", ".")
        return super().to_python(value)


def step_choices(department) -> list[tuple[str, str]]:
    """The steps of the parcours séparation: the national codes, and the Caf's own template's steps."""
    choices = dict(StepKind.choices)
    for kind, label in TemplateStep.objects.filter(
        template__is_current=True, template__department=department
    ).values_list("kind", "label"):
        choices.setdefault(kind, label)
    return list(choices.items())


class PracticeForm(StyledModelForm):
    pathway_steps = forms.MultipleChoiceField(
        label="Étapes du parcours séparation concernées",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Practice
        fields = [
            "title",
            "team",
            "audience",
            "summary",
            "started_year",
            "role_description",
            "pathway_steps",
            "staff_fte",
            "tools",
            "budget",
            "innovation",
            "evidence",
            "links",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "role_description": forms.Textarea(attrs={"rows": 4}),
            "tools": forms.Textarea(attrs={"rows": 2}),
            "innovation": forms.Textarea(attrs={"rows": 3}),
            "evidence": forms.Textarea(attrs={"rows": 3}),
            "links": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"staff_fte": FrenchDecimalField, "budget": FrenchDecimalField}
        help_texts = {
            "role_description": "Ce que fait la Caf, et à quelle étape du parcours séparation.",
            "staff_fte": "En équivalents temps plein, par exemple 0,5.",
        }

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway_steps"].choices = step_choices(department)
        for name in ("staff_fte", "budget"):
            # Shown with a decimal comma; read back by FrenchDecimalField.
            self.fields[name].localize = True
            self.fields[name].widget.is_localized = True

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["pathway_steps"] = list(data.get("pathway_steps") or [])
        return data


class PartnerRowForm(StyledForm):
    partner = forms.ModelChoiceField(label="Partenaire (annuaire de la Caf)", queryset=None, required=False)
    role = forms.CharField(label="Rôle dans la pratique", max_length=300, required=False)

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners


class FundingRowForm(StyledForm):
    source = forms.ChoiceField(label="Source", choices=[("", "—"), *Funding.Source.choices], required=False)
    amount = FrenchDecimalField(
        label="Montant (€)", min_value=0, max_digits=12, decimal_places=2, required=False, localize=True
    )
    year = forms.IntegerField(label="Année", min_value=1990, max_value=2100, required=False)
    instrument = forms.CharField(label="Instrument", max_length=200, required=False)

    def clean(self):
        data = super().clean()
        filled = [data.get(k) not in (None, "") for k in ("source", "amount", "year")]
        if any(filled) and not all(filled):
            raise forms.ValidationError("Un financement a une source, un montant et une année.")
        return data


class IndicatorRowForm(StyledForm):
    label = forms.CharField(label="Indicateur", max_length=200, required=False)
    value = forms.CharField(label="Valeur", max_length=60, required=False)
    period = forms.CharField(label="Période", max_length=60, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("label")) != bool(data.get("value")):
            raise forms.ValidationError("Un indicateur a un intitulé et une valeur.")
        return data


PartnerFormSet = forms.formset_factory(PartnerRowForm, extra=2, max_num=30)
FundingFormSet = forms.formset_factory(FundingRowForm, extra=2, max_num=30)
IndicatorFormSet = forms.formset_factory(IndicatorRowForm, extra=2, max_num=30)


class SheetForms:
    """The sheet and its three sets of rows, bound together (edit page and autosave)."""

    def __init__(self, data=None, *, practice: Practice | None, department, partners):
        initial_partners = initial_fundings = initial_indicators = None
        if practice is not None and practice.pk:
            initial_partners = [{"partner": r.partner_id, "role": r.role} for r in practice.partners.all()]
            initial_fundings = [
                {"source": f.source, "amount": f.amount, "year": f.year, "instrument": f.instrument}
                for f in practice.fundings.all()
            ]
            initial_indicators = [
                {"label": i.label, "value": i.value, "period": i.period} for i in practice.indicators.all()
            ]
        self.sheet = PracticeForm(data, instance=practice, department=department)
        self.partners = PartnerFormSet(
            data, prefix="partenaires", initial=initial_partners, form_kwargs={"partners": partners}
        )
        self.fundings = FundingFormSet(data, prefix="financements", initial=initial_fundings)
        self.indicators = IndicatorFormSet(data, prefix="indicateurs", initial=initial_indicators)

    def is_valid(self) -> bool:
        return all(
            [
                self.sheet.is_valid(),
                self.partners.is_valid(),
                self.fundings.is_valid(),
                self.indicators.is_valid(),
            ]
        )

    def rows(self) -> dict:
        partners = {}
        for form in self.partners.forms:
            partner = form.cleaned_data.get("partner")
            if partner is not None:
                partners[partner.pk] = (partner, form.cleaned_data.get("role", ""))
        fundings = [
            {k: form.cleaned_data[k] for k in ("source", "amount", "year", "instrument")}
            for form in self.fundings.forms
            if form.cleaned_data.get("source")
        ]
        indicators = [
            {k: form.cleaned_data[k] for k in ("label", "value", "period")}
            for form in self.indicators.forms
            if form.cleaned_data.get("label")
        ]
        return {"partners": list(partners.values()), "fundings": fundings, "indicators": indicators}

    def errors(self) -> list[str]:
        out = [
            f"{self.sheet.fields[f].label if f in self.sheet.fields else ''} : {' '.join(e)}".lstrip(" :")
            for f, e in self.sheet.errors.items()
        ]
        for formset in (self.partners, self.fundings, self.indicators):
            for form in formset.forms:
                out += [" ".join(e) for e in form.errors.values()]
            out += list(formset.non_form_errors())
        return out


class CommentForm(StyledForm):
    comment = forms.CharField(
        label="Commentaire", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class ThemesForm(StyledForm):
    themes = forms.ModelMultipleChoiceField(
        label="Thèmes de la doctrine",
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AttachmentForm(StyledForm):
    title = forms.CharField(label="Titre de la pièce jointe", max_length=200, required=False)
    file = forms.FileField(label="Fichier (PDF, JPEG ou PNG)")


class ImportForm(StyledForm):
    file = forms.FileField(label="Inventaire (XLSX, ODS ou CSV)")
    dry_run = forms.BooleanField(label="Vérifier seulement, sans rien écrire", required=False)
