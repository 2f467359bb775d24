"""PostgreSQL: the search vector stored in a generated column (GIN-indexed), instead of an index on
the expression. Ranking needs each match's vector: computed from the text at query time it cost
seconds on 10,000 sheets (every match parsed, unaccented and stemmed again); stored, it is read.
The column is the database's own (generated), unknown to the ORM; SQLite keeps its FTS5 table."""

from django.db import migrations

PG_FORWARD = [
    "ALTER TABLE doctrine_practice ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('parcours_french'::regconfig, search_document)) STORED",
    "CREATE INDEX IF NOT EXISTS doctrine_practice_vector_gin ON doctrine_practice USING gin (search_vector)",
    "DROP INDEX IF EXISTS doctrine_practice_search_gin",
]
PG_BACKWARD = [
    "CREATE INDEX IF NOT EXISTS doctrine_practice_search_gin ON doctrine_practice "
    "USING gin (to_tsvector('parcours_french'::regconfig, search_document))",
    "DROP INDEX IF EXISTS doctrine_practice_vector_gin",
    "ALTER TABLE doctrine_practice DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("doctrine", "0004_facet_codes")]

    operations = [migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD))]
