"""Foundation outputs for the canary test: the audit trail, the console of audit verification, and
every registered exporter (core.exports) in every format, for every principal who may produce it."""

import json
import zipfile
from io import BytesIO, StringIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404

from parcours.core import exports, policy
from parcours.core.models import AuditEntry
from tests.authz.registry import KINDS, VARIANTS, output


@output
def audit_trail(world, principal):
    # The audit trail holds references and reasons, never the protected value itself.
    rows = list(AuditEntry.objects.values("actor_label", "action", "object_ref", "reason", "data"))
    assert rows
    yield "journal d'audit (toutes les entrées)", json.dumps(rows, ensure_ascii=False, default=str)


@output
def audit_verify_console(world, principal):
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    yield "parcours audit verify", out.getvalue()


def readable(fmt: str, content: bytes) -> str | bytes:
    """What a canary can search: a PDF's text, the XML inside an ODS/XLSX/ODT/DOCX zip, else the bytes."""
    if fmt == "pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(content)).pages)
    if content.startswith(b"PK"):
        with zipfile.ZipFile(BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return content


def exportable_records(world, exporter, user):
    """Each record of the world the user may export (the exporter's own loader says which)."""
    if not exporter.obj:
        yield None
        return
    for variant in VARIANTS:
        kwargs = KINDS[exporter.obj](world, variant)
        if kwargs is None:
            continue
        try:
            yield exporter.load(user, kwargs["pk"])
        except Http404:
            continue


@output
def registered_exports(world, principal):
    """Label "export <identifier> <format> [...]": the canary's coverage test reads the identifier."""
    # The records first, for every principal (memoised by the world): later outputs change the
    # world (a protection output leaves the declarant one safe channel), which a builder may need.
    for exporter in exports.all_exporters():
        for variant in VARIANTS if exporter.obj else ():
            KINDS[exporter.obj](world, variant)
    if principal == "anonymous":
        return
    user = world.users[principal]
    for exporter in exports.all_exporters():
        if not policy.role_allows(user, exporter.permission):
            continue
        for obj in exportable_records(world, exporter, user):
            for fmt in exporter.formats:
                try:
                    rendered = exports.produce(actor=user, identifier=exporter.identifier, fmt=fmt, obj=obj)
                except (PermissionDenied, Http404, ValidationError):
                    continue  # outside the user's scope, or refused by a rule (no consent): no file
                label = f"export {exporter.identifier} {fmt} [{getattr(obj, 'pk', '-')}]"
                yield label, readable(fmt, rendered.content)
                yield f"{label} (octets)", rendered.content
