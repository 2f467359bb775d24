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


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):
    pass


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
