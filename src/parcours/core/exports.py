"""Registered exporters: the one way Parcours produces a file of data (pretix's data exporters, in spirit).

An exporter is a small declaration: an identifier ("workshops.registrations"), a French label, the
policy permission it needs, the kind of record it is about (or none: the actor's own scope), the
formats it offers, and one function that produces its content from an `ExportContext`:

- `table(ctx) -> Table` for the tabular formats (CSV, ODS, XLSX): headers and rows;
- `document(ctx) -> bytes` for a document format (PDF, ODT, DOCX, ICS, JSON).

`produce()` is the only door: it applies the policy to the actor and the record, renders the
format (spreadsheet cells neutralised by the one `neutralise`), and writes the audit entry. The
staff download view (`backoffice:export-<identifier>`, generated for each exporter, listed in the
access policy from here) and the command line call it. An exporter marked `background=True` (a
long bilan, the doctrine document) is produced by the worker into an `ExportJob`, with progress.

Registering an exporter also lists its URL in `core.policy.URLS` with the exporter's permission, so
the authorization-matrix test covers it, and the canary test walks `all_exporters()`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django_tasks import task

from parcours.core import policy

TABULAR = ("csv", "ods", "xlsx")
DOCUMENTS = ("pdf", "odt", "docx", "ics", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ics": "text/calendar; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
FORMAT_LABELS = {
    "csv": "CSV",
    "ods": "ODS (LibreOffice)",
    "xlsx": "XLSX (Excel)",
    "pdf": "PDF",
    "odt": "ODT (LibreOffice)",
    "docx": "DOCX (Word)",
    "ics": "Agenda (ICS)",
    "json": "JSON (lisible par une machine)",
}

# A spreadsheet reads a cell starting with one of these as a formula (or a DDE call): CSV injection.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a leading = + - @ (or tab, CR) gets a quote before it.

    Numbers, dates and None pass unchanged (a spreadsheet cannot run them); everything else is text.
    """
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


@dataclass
class ExportContext:
    """What an exporter's function receives."""

    actor: Any
    fmt: str
    obj: Any = None
    params: dict = field(default_factory=dict)
    # progress(done, total): the background job shows it; a no-op for direct downloads.
    progress: Callable[[int, int], None] = lambda done, total: None


@dataclass
class Table:
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    title: str = "Export"


@dataclass(frozen=True)
class Exporter:
    identifier: str
    label: str
    permission: str
    formats: tuple[str, ...]
    table: Callable[[ExportContext], Table] | None = None
    document: Callable[[ExportContext], bytes] | None = None
    # The kind of record the export is about (a record kind of the access policy, e.g. "workshop"),
    # and the selector that loads it for the actor (raising Http404 outside their scope).
    obj: str | None = None
    load: Callable[[Any, int], Any] | None = None
    restricted: str = "assigned"
    background: bool = False
    description: str = ""
    # File name without extension; a callable receives the context.
    filename: str | Callable[[ExportContext], str] = ""
    # Query-string parameters the exporter reads (anything else is ignored, never audited).
    params: tuple[str, ...] = ()
    # The audit action when it predates the registry (so a search of the trail finds old and new
    # entries alike); otherwise "<identifier>.exported".
    audit_name: str = ""
    # Addresses the export had before the registry, as (route under /gestion/, URL name): they
    # answer with a redirect to the exporter's URL, after the same policy checks, so bookmarks work.
    former_urls: tuple[tuple[str, str], ...] = ()

    @property
    def slug(self) -> str:
        return self.identifier.replace(".", "-").replace("_", "-")

    @property
    def url_name(self) -> str:
        return f"backoffice:export-{self.slug}"

    @property
    def audit_action(self) -> str:
        return self.audit_name or f"{self.identifier}.exported"

    def file_name(self, ctx: ExportContext) -> str:
        stem = self.filename(ctx) if callable(self.filename) else (self.filename or self.slug)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or self.slug
        return f"{stem}.{ctx.fmt}"


_REGISTRY: dict[str, Exporter] = {}


class ExportError(Exception):
    """An export that cannot be produced as asked (unknown format, bad parameter): a French message."""


def register(exporter: Exporter) -> Exporter:
    """Declare an exporter (from the app's `AppConfig.ready()`); lists its URL in the access policy."""
    unknown = set(exporter.formats) - set(TABULAR) - set(DOCUMENTS)
    if unknown:
        raise ValueError(f"{exporter.identifier}: formats inconnus {sorted(unknown)}")
    if set(exporter.formats) & set(TABULAR) and exporter.table is None:
        raise ValueError(f"{exporter.identifier}: un format tabulaire demande une fonction `table`")
    if set(exporter.formats) & set(DOCUMENTS) and exporter.document is None:
        raise ValueError(f"{exporter.identifier}: un format document demande une fonction `document`")
    if exporter.obj and exporter.load is None:
        raise ValueError(f"{exporter.identifier}: un export sur un enregistrement demande `load`")
    if exporter.permission not in policy.RULES:
        raise ValueError(f"{exporter.identifier}: permission inconnue {exporter.permission}")
    _REGISTRY[exporter.identifier] = exporter
    policy.URLS[exporter.url_name] = policy.Access(
        exporter.permission,
        obj=exporter.obj,
        restricted=exporter.restricted,
        methods=("GET", "POST") if exporter.background else ("GET",),
    )
    for _route, name in exporter.former_urls:
        policy.URLS[f"backoffice:{name}"] = policy.Access(
            exporter.permission, obj=exporter.obj, restricted=exporter.restricted
        )
    return exporter


def get(identifier: str) -> Exporter:
    return _REGISTRY[identifier]


def all_exporters() -> list[Exporter]:
    return sorted(_REGISTRY.values(), key=lambda e: e.identifier)


# --- writers -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return str(value)


def write_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (French spreadsheets then read the accents), `;`, CRLF, French dates."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_text(neutralise(v)) for v in row])
    return out.getvalue().encode("utf-8")


def write_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(table.title))
    sheet.append([neutralise(h) for h in table.headers])
    for row in table.rows:
        cells = []
        for value in row:
            value = neutralise(value)
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # openpyxl refuses aware datetimes
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_ods(table: Table) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    sheet = OdsTable(name=_sheet_title(table.title))

    def cell(value):
        value = neutralise(value)
        if isinstance(value, bool):
            node = TableCell(valuetype="string")
            node.addElement(P(text="oui" if value else "non"))
        elif isinstance(value, int | float | Decimal):
            node = TableCell(valuetype="float", value=str(value))
            node.addElement(P(text=_text(value)))
        elif isinstance(value, datetime | date):
            iso = (
                value.isoformat()
                if isinstance(value, date) and not isinstance(value, datetime)
                else value.replace(tzinfo=None).isoformat()
            )
            node = TableCell(valuetype="date", datevalue=iso)
            node.addElement(P(text=_text(value)))
        else:
            node = TableCell(valuetype="string")
            node.addElement(P(text=_text(value)))
        return node

    header = TableRow()
    for value in table.headers:
        header.addElement(cell(value))
    sheet.addElement(header)
    for row in table.rows:
        line = TableRow()
        for value in row:
            line.addElement(cell(value))
        sheet.addElement(line)
    document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    # Both formats refuse some characters in a sheet name, and Excel more than 31 of them.
    return re.sub(r"[\[\]:*?/\\]", " ", title or "Export")[:31]


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "ods": write_ods}


# --- producing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    content: bytes
    content_type: str
    filename: str


def check(exporter: Exporter, actor, obj=None) -> None:
    """The policy for this export (PermissionDenied: 403, Http404: record outside the actor's scope)."""
    policy.require(actor, exporter.permission, obj, restricted=exporter.restricted)


def clean_params(exporter: Exporter, raw) -> dict:
    """Only the parameters the exporter declares, as strings of bounded length."""
    return {name: str(raw.get(name))[:100] for name in exporter.params if raw.get(name) not in (None, "")}


def render(exporter: Exporter, ctx: ExportContext) -> Rendered:
    """The file, without policy or audit (for `produce` and the background job, which check first)."""
    if ctx.fmt not in exporter.formats:
        raise ExportError(f"Format « {ctx.fmt} » non proposé pour « {exporter.label} ».")
    content = WRITERS[ctx.fmt](exporter.table(ctx)) if ctx.fmt in TABULAR else exporter.document(ctx)
    return Rendered(content, CONTENT_TYPES[ctx.fmt], exporter.file_name(ctx))


def produce(*, actor, identifier: str, fmt: str, obj=None, params: dict | None = None) -> Rendered:
    """Check the policy, render the file and audit the export: the only door to a direct download."""
    from parcours.core import audit

    exporter = get(identifier)
    check(exporter, actor, obj)
    ctx = ExportContext(actor=actor, fmt=fmt, obj=obj, params=params or {})
    rendered = render(exporter, ctx)
    audit.record(actor, exporter.audit_action, obj, data={"format": fmt, **ctx.params})
    return rendered


# --- background exports --------------------------------------------------------------------------


def _private_dir():
    from django.conf import settings

    directory = settings.PRIVATE_MEDIA_ROOT / "exports"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def start_job(*, actor, identifier: str, fmt: str, obj=None, params: dict | None = None):
    """Queue a background export (policy checked now and again when it runs); audited when produced."""
    from django.db import transaction
    from django.utils.crypto import get_random_string

    from parcours.core.models import ExportJob

    exporter = get(identifier)
    check(exporter, actor, obj)
    if fmt not in exporter.formats:
        raise ExportError(f"Format « {fmt} » non proposé pour « {exporter.label} ».")
    job = ExportJob.objects.create(
        token=get_random_string(32),
        identifier=identifier,
        fmt=fmt,
        object_id=getattr(obj, "pk", None),
        params=params or {},
        requested_by=actor,
        department=getattr(actor, "department_code", None) or "",
    )
    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def job_for(actor, identifier: str, token: str):
    """The actor's own job for this exporter (another person's job, or an unknown token: 404)."""
    from django.http import Http404

    from parcours.core.models import ExportJob

    job = ExportJob.objects.filter(token=token, identifier=identifier, requested_by=actor).first()
    if job is None:
        raise Http404
    return job


def run_job(job_id: int) -> str:
    """Produce a queued export in the worker: the policy is checked again, progress is recorded."""
    import os

    from django.utils import timezone

    from parcours.core import audit
    from parcours.core.models import ExportJob

    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.is_finished:
        return job.status
    exporter = get(job.identifier)
    actor = job.requested_by
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)

    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        obj = exporter.load(actor, job.object_id) if exporter.obj else None
        check(exporter, actor, obj)
        ctx = ExportContext(actor=actor, fmt=job.fmt, obj=obj, params=job.params, progress=progress)
        rendered = render(exporter, ctx)
    except Exception as error:  # the person sees a French failure; the log has the details
        import logging

        logging.getLogger("parcours.exports").exception("Export %s n° %s en échec", job.identifier, job.pk)
        message = (
            str(error)
            if isinstance(error, ExportError)
            else "L'export a échoué ; réessayez ou prévenez l'assistance."
        )
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, message=message[:300], finished_at=timezone.now()
        )
        return ExportJob.Status.FAILED
    path = _private_dir() / f"{job.token}.{job.fmt}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(rendered.content)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        path=str(path),
        file_name=rendered.filename,
        finished_at=timezone.now(),
    )
    audit.record(
        actor, exporter.audit_action, obj, data={"format": job.fmt, "background": True, **job.params}
    )
    return ExportJob.Status.DONE


@task()
def run_export(job_id: int) -> str:
    """The worker's side of `start_job` (declared beside the function it runs: no import circle)."""
    return run_job(job_id)


def read_job_file(job) -> bytes:
    from pathlib import Path

    return Path(job.path).read_bytes()


def purge_jobs() -> int:
    """Delete the files and rows of background exports older than the retention (setting, hours)."""
    from datetime import timedelta
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from parcours.core.models import ExportJob

    limit = timezone.now() - timedelta(hours=settings.PARCOURS_EXPORT_RETENTION_HOURS)
    old = list(ExportJob.objects.filter(created_at__lt=limit).values_list("pk", "path"))
    for _, path in old:
        if path:
            Path(path).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[pk for pk, _ in old]).delete()
    return len(old)
