from django import forms

from parcours.evaluation.models import ContextFigure


class ContextFigureForm(forms.ModelForm):
    class Meta:
        model = ContextFigure
        fields = ["label", "value", "unit", "period", "source", "source_url", "published_on", "note", "order"]
        widgets = {"published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
