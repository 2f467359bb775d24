"""PostgreSQL: tell the planner that a pathway (and a household) has a handful of steps.

ANALYZE samples 30,000 rows; steps are stored pathway by pathway, so the sample sees each pathway's
steps together and estimates 117,000 distinct pathways among 5.9 million steps (1 million in fact):
50 steps per household instead of 6. With that estimate the household page's steps were joined to
their assignees by hashing the whole staff table twice (2.4 ms at 3,333 accounts, and growing with
them) instead of a few index look-ups (0.1 ms). A negative n_distinct is a ratio to the row count:
-0.15 is about 6.7 steps per pathway, as the templates make them. Nothing is done on SQLite.
"""

from django.db import migrations

COLUMNS = ("household_id", "pathway_id")


def set_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    alter = ", ".join(f'ALTER COLUMN "{column}" SET (n_distinct = -0.15)' for column in COLUMNS)
    schema_editor.execute(f'ALTER TABLE "pathways_pathwaystep" {alter}')
    schema_editor.execute('ANALYZE "pathways_pathwaystep"')


def reset_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    alter = ", ".join(f'ALTER COLUMN "{column}" RESET (n_distinct)' for column in COLUMNS)
    schema_editor.execute(f'ALTER TABLE "pathways_pathwaystep" {alter}')


class Migration(migrations.Migration):
    dependencies = [("pathways", "0004_shared_cache_table")]

    operations = [migrations.RunPython(set_statistics, reset_statistics)]
