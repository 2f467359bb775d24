"""The AUU resource ceilings in force from 1 December 2023 (kept as data: a new scale is new rows)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

SOURCE = "Barème de l'aide universelle d'urgence (CASF D.214-11 s.), en vigueur au 1er décembre 2023"
CEILINGS_2023_12 = {0: "2074.63", 1: "3111.94", 2: "3734.33", 3: "4564.18"}


def add(apps, schema_editor):
    ResourceCeiling = apps.get_model("protection", "ResourceCeiling")
    for children, amount in CEILINGS_2023_12.items():
        ResourceCeiling.objects.update_or_create(
            valid_from=date(2023, 12, 1),
            children=children,
            defaults={"monthly_amount": Decimal(amount), "source": SOURCE},
        )


def remove(apps, schema_editor):
    apps.get_model("protection", "ResourceCeiling").objects.filter(valid_from=date(2023, 12, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("protection", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
