"""Importing a file of separation events: from the command line or the back-office upload page.

All-or-nothing per file: every line is checked first; any bad line and nothing is written
(the report lists them all). Then everything is written in one transaction, so that an
import killed half-way leaves no partial batch, and running it again completes it (lines
already imported are reported as such).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from parcours.core import audit, policy, schedule
from parcours.core.models import Organisation
from parcours.pathways import imports
from parcours.pathways.models import ImportJob, SeparationEvent
from parcours.pathways.services.opening import Source, record_separations
from parcours.pathways.services.planning import open_steps_in_background

logger = logging.getLogger("parcours.pathways.imports")
ALLOWED_EXTENSIONS = (".csv", ".json", ".txt")


def max_upload_bytes() -> int:
    return getattr(settings, "PATHWAYS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "PATHWAYS_IMPORT_STALE_MINUTES", 15))


def caf_departments() -> set[str]:
    return set(
        Organisation.objects.filter(kind=Organisation.Kind.CAF, is_active=True).values_list(
            "department__code", flat=True
        )
    )


@dataclass
class ImportOutcome:
    total: int = 0
    errors: list[imports.LineError] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    dry_run: bool = False
    unreadable: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unreadable


def already_imported(events: list[imports.EventInput]) -> int:
    """How many lines would be reported as already imported (dry run): earlier in the file or in the base."""
    seen, duplicates = set(), 0
    by_department: dict[str, list[str]] = {}
    for event in events:
        key = (event.department, event.external_id)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        by_department.setdefault(event.department, []).append(event.external_id)
    found = 0
    for code, ids in by_department.items():
        for start in range(0, len(ids), 900):
            found += SeparationEvent.objects.filter(
                department__code=code, external_id__in=ids[start : start + 900]
            ).count()
    return duplicates + found


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """An import allocates millions of tuples and objects that form no reference cycle: the
    cyclic collector, run every 700 allocations, walked the ever larger heap of rows again
    and again (a fifth of a 100,000-line import on SQLite, a third of its Python time on
    PostgreSQL). Reference counting still frees everything; the collector resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_data(
    *,
    actor,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    import_job: ImportJob | None = None,
    on_checked: Callable[[int], None] | None = None,
    on_written: Callable[[int], None] | None = None,
    before_write: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Check a whole file, then (unless a dry run or a bad line) write it in one transaction.

    `actor` None is the operator's command line (any department); a staff member imports for
    their own department only.
    """
    if actor is not None:
        policy.require(actor, "pathways.import")
    # The file's bytes are handed over in a list that `_import` empties: once checked, no frame
    # (this one, or a decorator's wrapper) holds them during the write.
    handed, data = [data], None
    with _no_cycle_collection():
        return _import(actor, handed, filename, dry_run, import_job, on_checked, on_written, before_write)


def _import(
    actor, handed, filename, dry_run, import_job, on_checked, on_written, before_write
) -> ImportOutcome:
    data = handed.pop()
    own = actor.department_code if actor is not None else None
    checker = imports.RecordChecker(caf_departments(), today=timezone.localdate(), own_department=own)
    outcome = ImportOutcome(dry_run=dry_run)
    staff_loads = None if dry_run else open_steps_in_background()
    try:
        parsed = imports.parse_file(data, filename, checker, progress=on_checked)
    except imports.FileUnreadable as exc:
        outcome.unreadable = str(exc)
        return outcome
    data = None  # the file's bytes are no longer needed: keep the write phase's memory for the rows
    outcome.total, outcome.errors = parsed.total, parsed.errors
    # RGPD art. 18: a line naming a limited person is reported « traitement limité » on its line.
    limited = imports.limited_lines(parsed.rows)
    if limited:
        outcome.errors = sorted([*outcome.errors, *limited], key=lambda e: e.line)
    if outcome.errors:
        return outcome
    if dry_run:
        outcome.existing = already_imported(parsed.rows)
        outcome.created = len(parsed.rows) - outcome.existing
        return outcome
    if before_write is not None:
        before_write(len(parsed.rows))
    rows, parsed = parsed.rows, None  # the engine frees the rows as it writes them
    report = record_separations(
        actor=actor,
        events=rows,
        source=Source.FILE,
        source_label=Path(filename).name[:120],
        import_job=import_job,
        progress=on_written,
        keep_results=False,
        release_events=True,
        staff_loads=staff_loads,
    )
    outcome.created, outcome.existing = report.created, report.existing
    return outcome


# --- the upload page's background job ------------------------------------------------------


@transaction.atomic
def start_import(*, actor, uploaded_file, dry_run: bool = False) -> ImportJob:
    """Store the uploaded file (outside the web root) and queue its import."""
    policy.require(actor, "pathways.import")
    name = Path(uploaded_file.name or "").name
    if not name.lower().endswith(ALLOWED_EXTENSIONS):
        raise ValidationError({"file": "Déposez un fichier CSV (.csv) ou JSON (.json)."})
    if uploaded_file.size > max_upload_bytes():
        raise ValidationError(
            {
                "file": f"Le fichier dépasse {max_upload_bytes() // (1024 * 1024)} Mo : découpez-le en plusieurs fichiers."
            }
        )
    if uploaded_file.size == 0:
        raise ValidationError({"file": "Le fichier est vide."})
    job = ImportJob(department=actor.department, created_by=actor, original_name=name[:200], dry_run=dry_run)
    job.file.save(
        f"import-{timezone.now():%Y%m%d-%H%M%S}{Path(name).suffix.lower()}", uploaded_file, save=False
    )
    job.save()
    audit.record(
        actor, "pathways.import.uploaded", job, data={"dry_run": dry_run, "bytes": uploaded_file.size}
    )
    _enqueue(job)
    return job


@task()
def import_separation_events(job_id: int) -> dict:
    """The worker's side of an upload: import the file of separation events (see `run_import`)."""
    return run_import(job_id)


def _enqueue(job: ImportJob) -> None:
    transaction.on_commit(lambda: import_separation_events.enqueue(job.pk))


def can_restart(job: ImportJob) -> bool:
    if not job.file:  # its upload was purged after the retention: it must be deposited again
        return False
    if job.status == ImportJob.Status.FAILED:
        return True
    return not job.is_finished and timezone.now() - job.updated_at > stale_after()


@transaction.atomic
def restart_import(*, actor, job: ImportJob) -> ImportJob:
    """Run a failed or interrupted import again; lines written by a run that did finish stay reported as such."""
    policy.require(actor, "pathways.import", job)
    if not can_restart(job):
        raise ValidationError(
            "Cet import est terminé ou encore en cours : il ne peut pas être relancé maintenant."
        )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.PENDING, updated_at=timezone.now(), message=""
    )
    audit.record(actor, "pathways.import.restarted", job)
    _enqueue(job)
    return job


class _SideChannel:
    """Progress of the write phase, published while its transaction is still open.

    On PostgreSQL a second connection updates the job row (the import's own transaction
    cannot be seen before it commits). SQLite has one writer at a time: the page then shows
    the write phase without a running count.
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.conn = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.conn = connections.create_connection(DEFAULT_DB_ALIAS)

    def publish(self, processed: int) -> None:
        if self.conn is None:
            return
        try:
            with self.conn.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET processed_lines = %s, updated_at = %s WHERE id = %s",  # noqa: S608
                    [processed, timezone.now(), self.job_id],
                )
        except Exception:  # progress is a courtesy: never let it break the import
            logger.warning("Progression de l'import n° %s non publiée", self.job_id, exc_info=True)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _update(job_id: int, **fields) -> None:
    ImportJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **fields)


def run_import(job_id: int) -> dict:
    """The background task: check, then write, reporting progress on the job row. Once the job is
    done or rejected, the uploaded file is deleted (its addresses, maybe protected later, would stay
    on disk); a technically failed job keeps it for a restart until PATHWAYS_IMPORT_FILE_RETENTION_HOURS."""
    try:
        return _run_import(job_id)
    finally:
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is not None and job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED):
            discard_file(job)


def discard_file(job: ImportJob) -> None:
    """Delete the stored upload of a finished job (idempotent)."""
    if job.file and job.file.name:
        job.file.storage.delete(job.file.name)
        ImportJob.objects.filter(pk=job.pk).update(file="")


@schedule.periodic("pathways.purge_import_files", every=timedelta(hours=1))
def purge_import_files(now=None) -> int:
    """Supprime les fichiers d'import d'un import terminé ou refusé, ou en échec depuis plus que la
    durée de conservation (PATHWAYS_IMPORT_FILE_RETENTION_HOURS)."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PATHWAYS_IMPORT_FILE_RETENTION_HOURS)
    stale = ImportJob.objects.exclude(file="").filter(
        Q(status__in=(ImportJob.Status.DONE, ImportJob.Status.REJECTED))
        | Q(updated_at__lt=cutoff, status=ImportJob.Status.FAILED)
    )
    count = 0
    for job in stale:
        discard_file(job)
        count += 1
    return count


def _run_import(job_id: int) -> dict:
    """The background task: check, then write, reporting progress on the job row."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.VALIDATING, started_at=timezone.now(), updated_at=timezone.now(),
        processed_lines=0, errors=[], error_count=0,
    )  # fmt: skip
    if not claimed:
        return {"skipped": True}
    job = ImportJob.objects.select_related("department", "created_by__organisation__department").get(
        pk=job_id
    )
    side = _SideChannel(job_id)
    try:

        def before_write(count: int) -> None:
            _update(job_id, status=ImportJob.Status.WRITING, total_lines=count, processed_lines=0)

        with job.file.open("rb") as handle:
            outcome = import_data(
                actor=job.created_by,
                data=handle.read(),  # no other reference: freed once checked
                filename=job.original_name,
                dry_run=job.dry_run,
                import_job=job,
                on_checked=lambda n: _update(job_id, processed_lines=n),
                on_written=side.publish,
                before_write=before_write,
            )
    except Exception:
        logger.exception("Import n° %s en échec", job_id)
        _update(
            job_id, status=ImportJob.Status.FAILED, finished_at=timezone.now(),
            message="Échec technique : rien n'a été écrit. Relancez l'import ; s'il échoue encore, prévenez l'assistance.",
        )  # fmt: skip
        raise
    finally:
        side.close()
    if not outcome.ok:
        errors = [e.as_dict() for e in outcome.errors] or [
            {"line": 0, "field": "", "message": outcome.unreadable}
        ]
        _update(
            job_id, status=ImportJob.Status.REJECTED, finished_at=timezone.now(), total_lines=outcome.total,
            processed_lines=outcome.total, errors=errors, error_count=len(errors),
            message="Fichier refusé : rien n'a été écrit. Corrigez les lignes signalées et déposez-le à nouveau.",
        )  # fmt: skip
        return {"status": "rejected", "errors": len(errors)}
    message = (
        f"Vérification seule : {outcome.total} lignes valides ; {outcome.created} seraient créées, "
        f"{outcome.existing} sont déjà importées. Rien n'a été écrit."
        if outcome.dry_run
        else f"{outcome.created} parcours ouverts ; {outcome.existing} déclarations déjà importées."
    )
    _update(
        job_id, status=ImportJob.Status.DONE, finished_at=timezone.now(), total_lines=outcome.total,
        processed_lines=outcome.total, created_count=outcome.created, existing_count=outcome.existing, message=message,
    )  # fmt: skip
    return {"status": "done", "created": outcome.created, "already_imported": outcome.existing}
