from django.db import migrations


def load(apps, schema_editor):
    from parcours.pathways.defaults import NATIONAL_STEPS, NATIONAL_TEMPLATE_NAME

    PathwayTemplate = apps.get_model("pathways", "PathwayTemplate")
    TemplateStep = apps.get_model("pathways", "TemplateStep")
    if PathwayTemplate.objects.filter(department__isnull=True).exists():
        return
    template = PathwayTemplate.objects.create(
        department=None,
        name=NATIONAL_TEMPLATE_NAME,
        version=1,
        is_current=True,
        change_note="Modèle national livré avec Parcours",
    )
    for position, step in enumerate(NATIONAL_STEPS, start=1):
        TemplateStep.objects.create(
            template=template,
            position=position,
            kind=step["kind"],
            label=step["label"],
            responsible_role=step["responsible_role"],
            deadline_value=step["deadline_value"],
            deadline_unit=step["deadline_unit"],
            protected_deadline_value=step.get("protected_deadline_value"),
            protected_deadline_unit=step.get("protected_deadline_unit", ""),
            conditions=step["conditions"],
        )


def unload(apps, schema_editor):
    PathwayTemplate = apps.get_model("pathways", "PathwayTemplate")
    PathwayTemplate.objects.filter(department__isnull=True, version=1, pathways__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("pathways", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
