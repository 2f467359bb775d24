"""The full-text search of practices, per database (see parcours/doctrine/search.py).

PostgreSQL: the `unaccent` extension, the `parcours_french` configuration (french, words unaccented
then stemmed) and a GIN index on the expression the queries use. SQLite: the FTS5 table.
Creating an extension needs the right to; `make run` and the tests connect as its owner.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'parcours_french') THEN
            CREATE TEXT SEARCH CONFIGURATION parcours_french (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION parcours_french
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
    END $$""",
    "CREATE INDEX IF NOT EXISTS doctrine_practice_search_gin ON doctrine_practice "
    "USING gin (to_tsvector('parcours_french'::regconfig, search_document))",
]
PG_BACKWARD = ["DROP INDEX IF EXISTS doctrine_practice_search_gin"]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS doctrine_practice_fts USING fts5("
    "stems, words, tokenize = 'unicode61 remove_diacritics 2')"
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS doctrine_practice_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("doctrine", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
