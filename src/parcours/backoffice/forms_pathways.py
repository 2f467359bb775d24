"""Staff forms of the pathways module. Labels and errors in French; widgets styled by core.forms."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from django import forms
from django.utils import timezone

from parcours.core.forms import DateInput, StyledForm
from parcours.core.models import User
from parcours.pathways import rules
from parcours.pathways.imports import EventInput, RecordChecker
from parcours.pathways.models import STEP_ROLES, ContactAttempt, DeadlineUnit, PathwayStep, StepKind

LABELS = {
    "file_number": "Numéro d'allocataire",
    "declared_on": "Date de la déclaration",
    "separated_on": "Date de la séparation",
    "declarant_last_name": "Nom du déclarant ou de la déclarante",
    "declarant_first_name": "Prénom du déclarant ou de la déclarante",
    "declarant_birth_date": "Date de naissance du déclarant ou de la déclarante",
    "other_parent_last_name": "Nom de l'autre parent",
    "other_parent_first_name": "Prénom de l'autre parent",
    "children_count": "Nombre d'enfants à charge",
    "youngest_child_birth_date": "Date de naissance du plus jeune enfant",
    "shared_home": "Les parents vivent encore sous le même toit",
    "violence_reported": "Des violences conjugales sont signalées",
    "email": "Adresse e-mail du déclarant ou de la déclarante",
    "phone": "Téléphone du déclarant ou de la déclarante",
    "address_line": "Adresse",
    "postal_code": "Code postal",
    "city": "Commune",
    "external_id": "Identifiant de la déclaration dans le système d'information des prestations",
}


def _date_text(value) -> str:
    return value.isoformat() if value else ""


class SeparationForm(StyledForm):
    """The staff form: the same checks as a file or the API (imports.RecordChecker), then the same service."""

    form_token = forms.CharField(widget=forms.HiddenInput)
    # Set once the agent has read the warning about the pathway already open for this file.
    replace_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    external_id = forms.CharField(
        label=LABELS["external_id"], max_length=64, required=False,
        help_text="Facultatif : sans identifiant, la saisie reçoit le sien (un double envoi n'ouvre qu'un parcours).",
    )  # fmt: skip
    file_number = forms.CharField(label=LABELS["file_number"], max_length=20)
    is_allocataire = forms.BooleanField(
        label="La personne est allocataire de la Caf", required=False, initial=True
    )
    declared_on = forms.DateField(label=LABELS["declared_on"], widget=DateInput())
    separated_on = forms.DateField(label=LABELS["separated_on"], widget=DateInput(), required=False)
    declarant_last_name = forms.CharField(label=LABELS["declarant_last_name"], max_length=80)
    declarant_first_name = forms.CharField(label=LABELS["declarant_first_name"], max_length=80)
    declarant_birth_date = forms.DateField(
        label=LABELS["declarant_birth_date"], widget=DateInput(), required=False
    )
    other_parent_last_name = forms.CharField(
        label=LABELS["other_parent_last_name"], max_length=80, required=False
    )
    other_parent_first_name = forms.CharField(
        label=LABELS["other_parent_first_name"], max_length=80, required=False
    )
    children_count = forms.IntegerField(label=LABELS["children_count"], min_value=0, max_value=20, initial=0)
    youngest_child_birth_date = forms.DateField(
        label=LABELS["youngest_child_birth_date"], widget=DateInput(), required=False
    )
    shared_home = forms.BooleanField(label=LABELS["shared_home"], required=False)
    violence_reported = forms.BooleanField(
        label=LABELS["violence_reported"],
        required=False,
        help_text="Le parcours protégé s'applique : rendez-vous des droits sous 5 jours ouvrés, contact d'un "
        "travailleur social sous 72 heures, pas de médiation. Ne posez jamais la question frontalement.",
    )
    email = forms.CharField(label=LABELS["email"], max_length=200, required=False)
    phone = forms.CharField(label=LABELS["phone"], max_length=30, required=False)
    address_line = forms.CharField(label=LABELS["address_line"], max_length=200, required=False)
    postal_code = forms.CharField(label=LABELS["postal_code"], max_length=5, required=False)
    city = forms.CharField(label=LABELS["city"], max_length=100, required=False)

    def __init__(self, *args, department_code: str, known_departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_code = department_code
        self.known_departments = known_departments
        self.fields["form_token"].initial = uuid.uuid4().hex
        self.event: EventInput | None = None

    def clean_form_token(self):
        value = self.cleaned_data["form_token"]
        if not value.isalnum() or len(value) > 40:
            raise forms.ValidationError("Formulaire invalide : rechargez la page.")
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        raw = {
            "external_id": data.get("external_id") or f"SAISIE-{data['form_token']}",
            "department": self.department_code,
            "file_number": data["file_number"].strip(),
            "children_count": str(data["children_count"]),
            "shared_home": "oui" if data.get("shared_home") else "non",
            "violence_reported": "oui" if data.get("violence_reported") else "non",
        }
        for name in ("declared_on", "separated_on", "declarant_birth_date", "youngest_child_birth_date"):
            raw[name] = _date_text(data.get(name))
        for name in ("declarant_last_name", "declarant_first_name", "other_parent_last_name",
                     "other_parent_first_name", "email", "phone", "address_line", "postal_code", "city"):  # fmt: skip
            raw[name] = (data.get(name) or "").strip()
        checker = RecordChecker(
            self.known_departments, today=timezone.localdate(), own_department=self.department_code
        )
        event, errors = checker.check(1, raw)
        for error in errors:
            message = error.message
            for column, label in LABELS.items():
                message = re.sub(rf"\b{column}\b", f"« {label} »", message)
            field = error.field if error.field in self.fields else None
            self.add_error(field, message[0].upper() + message[1:])
        if event is not None:
            event.is_allocataire = bool(data.get("is_allocataire"))
            self.event = event
        return data


class WorklistFilterForm(StyledForm):
    kind = forms.ChoiceField(label="Type d'étape", required=False)
    due_from = forms.DateField(label="Échéance à partir du", required=False, widget=DateInput())
    due_to = forms.DateField(label="Échéance jusqu'au", required=False, widget=DateInput())
    site = forms.ChoiceField(label="Site", required=False)
    mine_only = forms.BooleanField(label="Seulement mes tâches", required=False)

    def __init__(self, *args, sites, kinds, show_mine_only: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Tous les types"), *kinds]
        self.fields["site"].choices = [("", "Tous les sites"), *[(str(s.pk), s.name) for s in sites]]
        self.sites = {str(s.pk): s for s in sites}
        if not show_mine_only:
            del self.fields["mine_only"]

    def clean(self):
        data = super().clean()
        if data.get("due_from") and data.get("due_to") and data["due_from"] > data["due_to"]:
            self.add_error("due_to", "La fin de la période précède son début.")
        data["site"] = self.sites.get(data.get("site") or "")
        return data


class ContactAttemptForm(StyledForm):
    channel = forms.ChoiceField(label="Canal", choices=ContactAttempt.Channel.choices)
    result = forms.ChoiceField(label="Résultat", choices=ContactAttempt.Result.choices)
    attempted_at = forms.DateTimeField(
        label="Date et heure",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        help_text="Heure du département du dossier.",
    )
    note = forms.CharField(
        label="Observation", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, tzinfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.tzinfo = tzinfo
        self.fields["attempted_at"].initial = timezone.localtime(timezone.now(), tzinfo).strftime(
            "%Y-%m-%dT%H:%M"
        )

    def clean_attempted_at(self):
        value: datetime = self.cleaned_data["attempted_at"]
        # The browser sends a wall-clock time: it is the department's.
        return value.replace(tzinfo=None).replace(tzinfo=self.tzinfo)


class CompleteStepForm(StyledForm):
    outcome = forms.ChoiceField(
        label="Résultat de l'étape", choices=PathwayStep.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Observation", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire si la famille décline ou si l'étape est sans objet.",
    )  # fmt: skip


class AssignStepForm(StyledForm):
    assignee = forms.ModelChoiceField(label="Attribuer à", queryset=User.objects.none())

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users
        self.fields["assignee"].label_from_instance = lambda u: (
            f"{u.get_full_name()}{f' ({u.site.name})' if u.site_id else ''}"
        )


class SituationForm(StyledForm):
    children_count = forms.IntegerField(label="Nombre d'enfants à charge", min_value=0, max_value=20)
    shared_home = forms.BooleanField(label="Les parents vivent encore sous le même toit", required=False)
    reason = forms.CharField(
        label="Motif du changement", max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Il apparaît dans la chronologie du dossier.",
    )  # fmt: skip


class ImportForm(StyledForm):
    file = forms.FileField(
        label="Fichier de déclarations (CSV ou JSON)",
        help_text="CSV avec en-tête, séparateur ; ou , — UTF-8 ou Windows-1252 ; ou JSON (liste d'objets).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,.txt,text/csv,application/json"}),
    )
    dry_run = forms.BooleanField(label="Vérifier seulement, sans rien écrire", required=False)


STEP_CODES_HELP = (
    "Type d'étape : une étape nationale, une étape déjà propre à votre modèle, ou « Autre étape » avec "
    "le code de votre choix (minuscules, chiffres et « _ », ex. aide_relogement)."
)
CONDITIONS_HELP = (
    "Choisissez dans les listes « Proposée si… » (toutes les conditions choisies à la fois ; rien = toujours). "
    "Pour une alternative (« ou »), le champ « Conditions combinées » accepte encore les mots enfants, "
    "violences, logement_commun, non_allocataire reliés par « et » / « ou », précédés au besoin de « non »."
)
OTHER_KIND = "autre"
_NEW_KIND = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# Each situation flag as a French select: indifferent, yes, no.
CONDITION_CHOICES = {
    "has_children": ("Enfants à charge", "Avec enfants à charge", "Sans enfant à charge"),
    "violence_reported": ("Violences", "Avec violences signalées", "Sans violence signalée"),
    "shared_home": ("Logement", "Logement encore commun", "Logements séparés"),
    "not_allocataire": ("Allocataire", "Non allocataire", "Allocataire"),
}


def condition_field(flag: str) -> str:
    return f"si_{flag}"


def conditions_initial(conditions: list[dict[str, bool]]) -> dict[str, str]:
    """The editor's initial values: one clause in the selects, alternatives in the combined text."""
    if len(conditions) == 1:
        return {condition_field(f): "oui" if v else "non" for f, v in conditions[0].items()} | {
            "conditions": ""
        }
    return {"conditions": rules.format_conditions(conditions)}


class TemplateStepForm(StyledForm):
    # Blank first choices: an untouched extra form posts nothing, and is skipped.
    # The type is chosen by its French label; a posted code (older pages, scripts, tests) still works.
    kind = forms.CharField(label="Type d'étape", max_length=40, widget=forms.Select)
    new_kind = forms.CharField(
        label="Code de l'autre étape", max_length=40, required=False,
        help_text="Seulement pour « Autre étape » : minuscules, chiffres et « _ ».",
    )  # fmt: skip
    label = forms.CharField(label="Intitulé", max_length=160)
    responsible_role = forms.ChoiceField(label="Rôle responsable", choices=[("", "—"), *STEP_ROLES])
    deadline_value = forms.IntegerField(label="Délai", min_value=0, max_value=400)
    deadline_unit = forms.ChoiceField(label="Unité", choices=[("", "—"), *DeadlineUnit.choices])
    protected_deadline_value = forms.IntegerField(
        label="Délai si violences", min_value=0, max_value=400, required=False
    )
    protected_deadline_unit = forms.ChoiceField(
        label="Unité (violences)", choices=[("", "—"), *DeadlineUnit.choices], required=False
    )
    conditions = forms.CharField(
        label="Conditions combinées (avancé)", max_length=200, required=False,
        help_text="Seulement pour une alternative « ou » ; sinon, utilisez les listes.",
    )  # fmt: skip

    def __init__(self, *args, custom_kinds: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *StepKind.choices, *(custom_kinds or {}).items()]
        posted = (self.data.get(self.add_prefix("kind")) or "").strip() if self.is_bound else ""
        if posted and posted != OTHER_KIND and posted not in dict(choices):
            choices.append((posted, posted))
        choices.append((OTHER_KIND, "Autre étape (propre au département)…"))
        self.fields["kind"].widget.choices = choices
        for flag, (label, yes, no) in CONDITION_CHOICES.items():
            self.fields[condition_field(flag)] = forms.ChoiceField(
                label=label, required=False, choices=[("", "Indifférent"), ("oui", yes), ("non", no)]
            )
            self.fields[condition_field(flag)].widget.attrs.setdefault("class", "form-select")

    def condition_fields(self):
        return [self[condition_field(flag)] for flag in CONDITION_CHOICES]

    def clean_kind(self):
        value = self.cleaned_data["kind"].strip()
        if value == OTHER_KIND:
            value = (self.data.get(self.add_prefix("new_kind")) or "").strip()
            if not value:
                raise forms.ValidationError("Indiquez le code de l'autre étape.")
        if value not in StepKind.values and not _NEW_KIND.match(value):
            raise forms.ValidationError(
                "Le code d'une étape s'écrit en minuscules, chiffres et « _ » (ex. aide_relogement)."
            )
        return value

    def clean_conditions(self):
        return rules.parse_conditions(self.cleaned_data.get("conditions", ""))

    def clean(self):
        data = super().clean()
        if (data.get("protected_deadline_value") is None) != (not data.get("protected_deadline_unit")):
            self.add_error(
                "protected_deadline_unit", "Indiquez le délai protégé et son unité, ou aucun des deux."
            )
        clause = {
            flag: data[condition_field(flag)] == "oui"
            for flag in CONDITION_CHOICES
            if data.get(condition_field(flag))
        }
        if clause:
            if data.get("conditions"):
                self.add_error(
                    "conditions",
                    "Choisissez les conditions dans les listes ou dans le champ combiné, pas les deux.",
                )
            else:
                data["conditions"] = [clause]
        return data


class BaseTemplateStepFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        kinds = [
            f.cleaned_data["kind"] for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if len(kinds) != len(set(kinds)):
            raise forms.ValidationError("Chaque code d'étape n'apparaît qu'une fois.")
        if not kinds:
            raise forms.ValidationError("Un modèle compte au moins une étape.")


TemplateStepFormSet = forms.formset_factory(
    TemplateStepForm, formset=BaseTemplateStepFormSet, extra=1, can_delete=True, can_order=True, max_num=20,
    validate_max=True,
)  # fmt: skip


class TemplateMetaForm(StyledForm):
    name = forms.CharField(label="Nom du modèle", max_length=120)
    change_note = forms.CharField(
        label="Objet de la modification", max_length=300,
        help_text="Une nouvelle version est créée ; les parcours déjà ouverts gardent la leur.",
    )  # fmt: skip
