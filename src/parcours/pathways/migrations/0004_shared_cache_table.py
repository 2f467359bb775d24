"""The database table of the default cache (settings.CACHES["default"], the menu's worklist counts),
so that `migrate` creates everything the pages need. Nothing is done for another cache backend."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("pathways", "0003_copies_without_constraints")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
