"""The doctrine's themes, which the national pilot tags published sheets with."""

from django.db import migrations

THEMES = (
    ("aller-vers", "Aller vers les familles"),
    ("mise-en-securite", "Mise en sécurité et droits"),
    ("partenariats", "Partenariats locaux"),
    ("parentalite", "Parentalité après la séparation"),
    ("acces-aux-droits", "Accès aux droits et aides financières"),
    ("formation", "Formation des équipes"),
)


def add_themes(apps, schema_editor):
    Theme = apps.get_model("doctrine", "Theme")
    for position, (code, label) in enumerate(THEMES, start=1):
        Theme.objects.update_or_create(code=code, defaults={"label": label, "position": position})


class Migration(migrations.Migration):
    dependencies = [("doctrine", "0002_search")]

    operations = [migrations.RunPython(add_themes, migrations.RunPython.noop)]
