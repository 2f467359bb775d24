"""The official national figures that set the bilan in context (the national pilot updates them)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

FIGURES = [
    {
        "label": "Personnes tuées par leur partenaire ou ex-partenaire",
        "value": Decimal("173"),
        "unit": "personnes",
        "period": "2019",
        "source": "Délégation aux victimes, ministère de l'Intérieur — étude nationale sur les morts violentes au sein du couple",
        "published_on": date(2020, 8, 1),
        "note": "146 femmes et 27 hommes. Le chiffre de 149 femmes et 24 hommes est celui de 2018. Publication : août 2020.",
        "order": 10,
    },
    {
        "label": "Victimes de violences conjugales enregistrées par la police et la gendarmerie",
        "value": Decimal("142310"),
        "unit": "personnes",
        "period": "2019",
        "source": "SSMSI (service statistique ministériel de la sécurité intérieure)",
        "published_on": date(2020, 11, 1),
        "note": "Victimes enregistrées, non l'ensemble des victimes : beaucoup ne portent pas plainte. Publication : novembre 2020.",
        "order": 20,
    },
    {
        "label": "Victimes de violences physiques ou sexuelles au sein du couple, par an",
        "value": Decimal("295000"),
        "unit": "personnes",
        "period": "moyenne 2011–2018",
        "source": "Enquête Cadre de vie et sécurité (Insee, ONDRP, SSMSI)",
        "published_on": date(2019, 12, 1),
        "note": "Personnes de 18 à 75 ans vivant en ménage ordinaire, en France métropolitaine. Publication : décembre 2019.",
        "order": 30,
    },
]


def add(apps, schema_editor):
    ContextFigure = apps.get_model("evaluation", "ContextFigure")
    for figure in FIGURES:
        ContextFigure.objects.get_or_create(label=figure["label"], period=figure["period"], defaults=figure)


def remove(apps, schema_editor):
    ContextFigure = apps.get_model("evaluation", "ContextFigure")
    ContextFigure.objects.filter(label__in=[f["label"] for f in FIGURES], updated_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
