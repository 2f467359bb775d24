"""Exporters of the pathways module (core.exports): the report of a refused file of events."""

from __future__ import annotations

from parcours.core import exports
from parcours.pathways import selectors


def import_report(ctx: exports.ExportContext) -> exports.Table:
    """Every bad line of a refused file (the registry neutralises formula-looking cells)."""
    rows = (
        (error.get("line", ""), error.get("field", ""), error.get("message", ""))
        for error in ctx.obj.errors or []
    )
    return exports.Table(headers=("ligne", "champ", "erreur"), rows=rows, title="Erreurs")


IMPORT_REPORT = exports.Exporter(
    identifier="pathways.import_report",
    label="Rapport d'erreurs d'un import",
    permission="pathways.import",
    formats=("csv", "ods", "xlsx"),
    table=import_report,
    obj="import_job",
    load=selectors.import_job_for,
    filename=lambda ctx: f"import-{ctx.obj.pk}-erreurs",
    audit_name="pathways.import.report_downloaded",
    former_urls=(("parcours/imports/<int:pk>/erreurs.csv", "import-report"),),
)


def register() -> None:
    exports.register(IMPORT_REPORT)
