"""Nothing sensitive left behind (issue 16): uploads deleted after import, private files 0600,
deleted rows overwritten by SQLite, VACUUM on PostgreSQL after a protected address's clear row goes."""

import os
import sqlite3
import stat

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from parcours.households import services as household_services
from parcours.households.models import Address
from parcours.pathways.models import ImportJob
from parcours.pathways.services import jobs
from tests import factories
from tests.pathways.factories import csv_bytes, row
from tests.protection.factories import aid, png_bytes, protected_family, upload


@pytest.fixture
def officer(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return factories.make_user("benefits_officer", "92")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    "content", [csv_bytes([row()]), csv_bytes([row(declared_on="31/02/2026")])], ids=["done", "rejected"]
)
def test_an_uploaded_import_file_is_deleted_once_the_import_is_finished(
    officer, client_for, django_capture_on_commit_callbacks, content
):
    client = client_for(officer)
    stored = []
    original_run = jobs._run_import

    def spy(job_id):
        job = ImportJob.objects.get(pk=job_id)
        stored.append(job.file.path)
        assert mode(job.file.path) == 0o600  # while it waits, only the server's account reads it
        return original_run(job_id)

    jobs._run_import = spy
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("backoffice:import-list"), {"file": SimpleUploadedFile("d.csv", content)})
    finally:
        jobs._run_import = original_run
    job = ImportJob.objects.get()
    assert job.status in ("done", "rejected")
    assert stored and not os.path.exists(stored[0])
    assert not job.file


def test_a_failed_import_keeps_its_file_for_a_restart_until_the_retention(
    officer, client_for, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    job = jobs.start_import(actor=officer, uploaded_file=SimpleUploadedFile("d.csv", csv_bytes([row()])))
    path = job.file.path
    ImportJob.objects.filter(pk=job.pk).update(status="failed", updated_at=timezone.now())
    assert jobs.purge_import_files() == 0 and os.path.exists(path)
    later = timezone.now() + timedelta(hours=settings.PATHWAYS_IMPORT_FILE_RETENTION_HOURS + 1)
    assert jobs.purge_import_files(now=later) == 1 and not os.path.exists(path)
    assert not jobs.can_restart(ImportJob.objects.get(pk=job.pk))


def test_an_emergency_aid_proof_is_readable_by_the_server_only(db):
    from parcours.protection.services import aid as aid_services

    worker = factories.make_user("social_worker", "92")
    household, mother, _, _ = protected_family("92", assignee=worker)
    request = aid(household, mother)
    proof = aid_services.add_proof(actor=worker, aid=request, upload=upload("photo.png", png_bytes()))
    assert mode(proof.file.path) == 0o600
    assert mode(os.path.dirname(proof.file.path)) == 0o700


def test_sqlite_overwrites_deleted_rows(tmp_path):
    """The settings' connection command turns secure_delete on: a deleted row is zeroed in the file."""
    init = django_settings.SQLITE_INIT_COMMAND
    path = tmp_path / "probe.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(init)
    db.execute("CREATE TABLE address (line TEXT)")
    db.execute("INSERT INTO address VALUES ('12 rue du Secret Bien Gardé')")
    db.commit()
    db.execute("DELETE FROM address")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    assert b"12 rue du Secret" not in path.read_bytes()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_vacuums_the_addresses_after_a_clear_address_is_deleted():
    worker = factories.make_user("social_worker", "92")
    household, mother, _, _ = protected_family("92", assignee=worker)
    assert Address.objects.filter(person=mother).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_reset_single_table_counters(%s::regclass)", [Address._meta.db_table])
    household_services.protect_address(actor=worker, person=mother, reason="Ordonnance de protection")
    assert not Address.objects.filter(person=mother).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s", [Address._meta.db_table]
        )
        assert cursor.fetchone()[0] >= 1
