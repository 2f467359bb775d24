"""PostgreSQL's planner is told that a pathway and a household have a handful of steps."""

import importlib

from django.db import connection

statistics = importlib.import_module("parcours.pathways.migrations.0001_initial")


class _Editor:
    def __init__(self, vendor):
        self.connection = type("Connection", (), {"vendor": vendor})()
        self.statements = []

    def execute(self, sql):
        self.statements.append(sql)


def test_the_statistics_are_set_on_postgresql_only():
    postgres, sqlite = _Editor("postgresql"), _Editor("sqlite")
    statistics.set_statistics(None, postgres)
    statistics.set_statistics(None, sqlite)
    assert sqlite.statements == []
    alter, analyze = postgres.statements
    assert 'ALTER COLUMN "household_id" SET (n_distinct = -0.15)' in alter
    assert 'ALTER COLUMN "pathway_id" SET (n_distinct = -0.15)' in alter
    assert analyze == 'ANALYZE "pathways_pathwaystep"'


def test_the_migrated_database_holds_them(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM django_migrations WHERE app = 'pathways' AND name = %s",
            ["0001_initial"],
        )
        assert cursor.fetchone() == (1,)
        if connection.vendor == "postgresql":  # SQLite has no such setting
            cursor.execute(
                "SELECT attname, attoptions FROM pg_attribute WHERE attrelid = 'pathways_pathwaystep'::regclass "
                "AND attname IN ('household_id', 'pathway_id') ORDER BY attname"
            )
            options = dict(cursor.fetchall())
            assert set(options) == {"household_id", "pathway_id"}
            assert all("n_distinct=-0.15" in values for values in options.values())
