"""The report to the judge as a registered exporter (core.exports): PDF, produced in the background by
the worker, once the coordinator signed it off; policy and audit are the registry's."""

from __future__ import annotations

from parcours.core import exports


def _document(ctx: exports.ExportContext) -> bytes:
    from parcours.accompaniment import report

    if not ctx.obj.is_signed:
        raise exports.ExportError("Le rapport doit être signé par le coordinateur avant d'être produit.")
    ctx.progress(0, 1)
    content = report.pdf(ctx.obj)
    ctx.progress(1, 1)
    return content


def _load(actor, pk):
    from parcours.accompaniment import selectors

    return selectors.report_for(actor, pk)


JUDGE_REPORT = exports.register(
    exports.Exporter(
        identifier="accompaniment.judge_report",
        label="Rapport au juge (mesure d'accompagnement protégé)",
        permission="accompaniment.report",
        formats=("pdf",),
        document=_document,
        obj="judge_report",
        load=_load,
        background=True,
        description="Bilan de la période : remises prévues, effectuées, annulées, non-présentations, incidents.",
        filename=lambda ctx: f"rapport-juge-MAP-{ctx.obj.measure_id}-{ctx.obj.period_end:%Y%m%d}",
    )
)
