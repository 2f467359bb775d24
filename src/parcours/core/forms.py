"""Form rendering shared by every face: Bootstrap classes and errors that screen readers announce."""

from django import forms
from django.forms.renderers import TemplatesSetting


class ParcoursFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


_CHECK = (forms.CheckboxInput,)
_CHOICE_LIST = (forms.RadioSelect, forms.CheckboxSelectMultiple)
_SELECT = (forms.Select, forms.SelectMultiple)


class StyledFormMixin:
    """Adds Bootstrap classes to widgets; errors are marked aria-invalid by Django itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _french_placeholder(field)
            widget = field.widget
            if isinstance(widget, _CHOICE_LIST):
                continue
            if isinstance(widget, _CHECK):
                css = "form-check-input"
            elif isinstance(widget, _SELECT):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


# Django's empty choice is "---------": say what to do instead, in French.
EMPTY_CHOICE = "Choisissez…"


def _french_placeholder(field) -> None:
    if getattr(field, "empty_label", None) == "---------":
        field.empty_label = EMPTY_CHOICE
    choices = getattr(field, "choices", None)
    if isinstance(choices, list) and any(label == "---------" for _, label in choices):
        field.choices = [(value, EMPTY_CHOICE if label == "---------" else label) for value, label in choices]


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):
    def validate_unique(self):
        # Django's own message reads "Un objet Utilisateur avec ce champ … existe déjà".
        try:
            self.instance.validate_unique(exclude=self._get_validation_exclusions())
        except forms.ValidationError as error:
            for name, messages in error.message_dict.items():
                label = self.fields[name].label if name in self.fields else None
                for message in messages:
                    if "existe déjà" in message and label:
                        message = f"Cette valeur de « {label} » est déjà utilisée."
                    self.add_error(name if name in self.fields else None, message)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def apply_errors(form: forms.BaseForm, error: forms.ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
